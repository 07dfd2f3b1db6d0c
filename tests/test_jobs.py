"""The training job manager, with real child processes training tiny networks on real MNIST.

Every job starts a fresh Python that imports TensorFlow (a few seconds), so the scenarios are
grouped to start as few jobs as possible.
"""

import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from mnist_cnn.config import TrainConfig
from mnist_cnn.jobs import LocalJobs, TrainRequest
from mnist_cnn.jobs.base import MovingAverage
from mnist_cnn.storage import SHIPPED_ID, ModelStore, write_metadata

pytestmark = pytest.mark.slow
TINY = TrainConfig(train_size=500, validation_size=200, epochs=1, batch_size=50)
LONG = TINY.replace(epochs=100)  # 1,000 batches: runs until stopped or killed
TIMEOUT = 120  # seconds; generous for two busy cores
ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def training(manager, job_id):
    """The job once it is running and has finished at least one batch."""
    return wait_for(
        lambda: (job := manager.get(job_id)).status == "running" and job.progress and job
    )


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def test_jobs_run_one_at_a_time_report_progress_and_can_be_stopped_or_cancelled(mnist, store):
    manager = LocalJobs(store, data_dir=mnist.source)
    first = manager.submit(TrainRequest(LONG, "first", owner="alice"))
    assert store.get(first.id).status == "queued"  # listed at once
    seen = training(manager, first.id).progress.step
    assert wait_for(lambda: manager.get(first.id).progress.step > seen)  # progress advances
    assert [job.id for job in manager.running()] == [first.id]
    assert store.get(first.id).status == "running"  # the runs list says what the trainer does

    second = manager.submit(TrainRequest(TINY, "second", owner="bob"))
    assert second.status == "queued" and second.queue_position == 1
    assert [job.id for job in manager.queued()] == [second.id]
    assert manager.cancel(second.id)
    assert manager.get(second.id).status == "cancelled"
    assert not (store.root / second.id).exists()
    assert not manager.cancel(second.id) and not manager.cancel(first.id)  # not queued

    third = manager.submit(TrainRequest(TINY.replace(epochs=2), "third", owner="bob"))
    assert manager.get(third.id).queue_position == 1

    # Stopping: within a batch, and the model reached so far is saved (but not activated).
    assert manager.stop(first.id)
    asked = time.monotonic()
    first = manager.wait(first.id, TIMEOUT)
    assert first.status == "stopped" and first.error is None
    assert time.monotonic() - asked < 30  # one more batch, then scoring and saving
    assert first.progress.step < LONG.epochs * 10
    record = store.get(first.id)
    assert record.status == "stopped" and record.has_model and record.test_accuracy is not None
    assert not manager.stop(first.id)

    # The queued job runs next, to the end.
    third = manager.wait(third.id, TIMEOUT)
    assert third.started_at >= first.finished_at
    # 20 batches on 500 images: well above chance (0.1), not yet good
    assert third.status == "finished" and third.error is None and 0.3 < third.test_accuracy <= 1
    assert [epoch["epoch"] for epoch in third.epoch_history] == [1, 2]
    assert third.epoch_history[-1]["val_accuracy"] is not None
    assert [step for step, _, _ in third.batch_history] == list(range(1, 21))
    assert third.progress.step == 20 and third.owner == "bob"
    record = store.get(third.id)
    assert record.status == "finished" and record.has_model
    assert record.pid == store.get(first.id).pid  # one warm trainer process trained both
    assert record.test_accuracy == third.test_accuracy
    # (both may have been made in the same second, which orders them by their random part)
    assert {listed.id for listed in store.list()[1:]} == {third.id, first.id}

    assert [job.id for job in manager.jobs()] == [third.id, second.id, first.id]
    assert manager.running() == [] and manager.queued() == []
    assert store.active_id() == SHIPPED_ID  # the manager never changes the active model


def test_failures_are_reported_and_the_manager_carries_on(mnist, store, tmp_path, monkeypatch):
    # Under `streamlit run`, __main__ is the app script; a training child must not run it.
    app_script = tmp_path / "app.py"
    app_script.write_text("raise SystemExit('the app script ran in the training process')")
    streamlit_main = types.ModuleType("__main__")
    streamlit_main.__file__ = str(app_script)
    monkeypatch.setitem(sys.modules, "__main__", streamlit_main)

    empty = tmp_path / "no-mnist"
    empty.mkdir()
    manager = LocalJobs(store, data_dir=str(empty))
    failed = manager.wait(manager.submit(TrainRequest(TINY, "no data", owner="a")).id, TIMEOUT)
    assert failed.status == "failed" and failed.error.startswith("DataError: ")
    assert "train-images-idx3-ubyte.gz" in failed.error
    assert store.get(failed.id).status == "failed" and store.get(failed.id).error == failed.error

    manager.data_dir = mnist.source  # the same manager takes the next job
    killed = manager.submit(TrainRequest(LONG, "killed", owner="a"))
    training(manager, killed.id)
    pid = store.get(killed.id).pid
    assert pid and pid != os.getpid()
    os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer would
    killed = manager.wait(killed.id, TIMEOUT)
    assert killed.status == "failed"
    assert killed.error == (
        "The training process ended unexpectedly (exit code -9: killed, perhaps out of memory)."
    )
    record = store.get(killed.id)
    assert record.status == "failed" and record.error == killed.error and not record.has_model


def test_a_restarted_server_marks_runs_left_behind_as_interrupted(store):
    finished_process = subprocess.Popen([sys.executable, "-c", "pass"])
    finished_process.wait()
    dead, alive = finished_process.pid, os.getpid()

    def record(status, pid):
        made = store.new_run(f"{status} {pid}", TINY.to_dict(), status=status)
        made.pid = pid
        write_metadata(made)
        return made.id

    left_running = record("running", dead)
    left_queued = record("queued", None)
    still_running = record("running", alive)  # e.g. the CLI training in another process
    finished = record("finished", dead)
    before = Path(store.root / finished / "metadata.json").read_text()

    LocalJobs(store)  # a new server starts
    for model_id in (left_running, left_queued):
        got = store.get(model_id)
        assert got.status == "interrupted" and "server stopped" in got.error
    assert store.get(still_running).status == "running"
    assert (store.root / finished / "metadata.json").read_text() == before


SERVER = """
import os, signal, sys, time
from mnist_cnn.config import TrainConfig
from mnist_cnn.jobs import LocalJobs, TrainRequest
from mnist_cnn.storage import ModelStore

manager = LocalJobs(ModelStore(sys.argv[1]), data_dir=sys.argv[2])
config = TrainConfig(train_size=500, validation_size=200, epochs=100, batch_size=50)
running = manager.submit(TrainRequest(config, "running", owner="a"))
queued = manager.submit(TrainRequest(config, "queued", owner="a"))
while manager.get(running.id).status != "running":
    time.sleep(0.02)
print(running.id, queued.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_server_leaves_no_run_looking_alive(mnist, store):
    server = subprocess.run(
        [sys.executable, "-c", SERVER, str(store.root), mnist.source],
        cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert server.returncode == -signal.SIGKILL, server.stderr[-2000:]
    running_id, queued_id = server.stdout.split()
    # The orphaned training process notices within a batch and leaves without saving.
    wait_for(lambda: store.get(running_id).status == "interrupted")
    assert not store.get(running_id).has_model
    assert store.get(queued_id).status == "queued"  # nobody is left to run it...
    LocalJobs(store)  # ...until the server starts again
    assert store.get(queued_id).status == "interrupted"


def test_the_training_curves_average_without_restarting_at_epochs():
    average = MovingAverage(smoothing=0.9)
    assert average.add(2.0) == pytest.approx(2.0)  # no pull towards zero at the start
    assert average.add(1.0) == pytest.approx((0.9 * 0.1 * 2 + 0.1) / (0.9 * 0.1 + 0.1))
    for _ in range(200):
        smoothed = average.add(0.5)
    assert smoothed == pytest.approx(0.5)


def test_the_first_page_the_app_serves_starts_the_trainer(tmp_path, monkeypatch, hand_jobs):
    """app.py warms the trainer on any page (here Draw, the default), before anyone opens
    Train, so that the first Start trains at once."""
    from streamlit.testing.v1 import AppTest

    from mnist_cnn.jobs.trainer import Trainer

    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    trainer = Trainer()
    hand_jobs(LocalJobs(ModelStore(tmp_path / "models"), trainer=trainer))
    try:
        assert trainer.process is None
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not app.exception
        assert trainer.process is not None and trainer.process.is_alive()
        started = trainer.process.pid
        app.run()
        assert trainer.process.pid == started  # later pages reuse it
    finally:
        trainer.close()
