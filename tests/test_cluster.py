"""Training on a real Dask cluster (mnist_cnn.jobs.cluster): a scheduler and two worker
processes on 127.0.0.1, started by the `dask_cluster` fixture; no mock of the engine.

"Two app servers" are two ClusterJobs, each with its own connection to the scheduler, over one
models folder, as two Streamlit servers would be (tests/browser/test_cluster_browser.py runs two
real ones).
"""

import os
import signal
import subprocess
import sys
from inspect import signature

import numpy as np
import pytest

from mnist_cnn.jobs import JobBackend, LocalJobs, TrainRequest, open_jobs
from mnist_cnn.jobs.cluster import LOST_WORKER, ClusterJobs, ClusterUnavailable, RunFiles
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelStore
from tests.test_jobs import LONG, TIMEOUT, TINY, training, wait_for  # as on one machine
from tools.cluster import LocalDaskCluster

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(dask_cluster, tmp_path):
    """Two app servers' job back ends over one models folder and one cluster."""
    store = ModelStore(tmp_path / "models")
    first, second = ClusterJobs(store, dask_cluster), ClusterJobs(store, dask_cluster)
    yield first, second
    for job in first.jobs():  # leave the workers free for the next test
        first.stop(job.id)
    for job in first.jobs():
        first.wait(job.id, TIMEOUT)
    first.close()
    second.close()


def test_a_run_trains_on_the_cluster_and_both_servers_see_it(servers):
    first, second = servers
    job = first.submit(TrainRequest(TINY, "on the cluster", owner="alice"))
    assert job.status == "queued"
    seen = second.get(job.id)  # the other server lists it at once
    assert seen.name == "on the cluster" and seen.owner == "alice"

    done = second.wait(job.id, TIMEOUT)
    assert done.status == "finished" and done.error is None
    assert 0.2 < done.test_accuracy <= 1  # 500 images, one epoch
    assert done.progress.step == done.progress.total_steps == 10  # progress came back, per batch
    assert done.batch_history and len(done.epoch_history) == 1
    assert done.started_at >= done.submitted_at and done.finished_at >= done.started_at
    record = first.store.get(job.id)
    assert record.has_model and record.status == "finished" and record.pid != os.getpid()
    assert first.get(job.id) == second.get(job.id)
    assert first.running() == [] and second.queued() == []


def test_progress_is_live_and_stop_from_the_other_server_stops_within_a_batch(servers):
    first, second = servers
    job = first.submit(TrainRequest(LONG, "stop me", owner="alice"))
    running = training(second, job.id)
    assert (
        [each.id for each in second.running()] == [job.id] == [each.id for each in first.running()]
    )
    assert wait_for(lambda: second.get(job.id).progress.step > running.progress.step + 5)

    assert second.stop(job.id)
    stopped = first.wait(job.id, 60)
    assert stopped.status == "stopped"
    record = first.store.get(job.id)
    assert record.has_model and record.epochs_completed < 100  # what it learned is kept
    assert stopped.progress.step < stopped.progress.total_steps


def test_the_queue_keeps_its_order_and_a_queued_run_can_be_cancelled(servers, dask_cluster):
    first, second = servers
    busy = [
        first.submit(TrainRequest(LONG, f"busy {n}", owner="alice")) for n in (1, 2)
    ]  # both workers
    for job in busy:
        training(first, job.id)
    waiting = [second.submit(TrainRequest(TINY, f"waiting {n}", owner="bob")) for n in (1, 2)]
    in_order = [("waiting 1", 1), ("waiting 2", 2)]
    wait_for(lambda: [(job.name, job.queue_position) for job in first.queued()] == in_order, 5)
    # A server's check asks the scheduler about queued runs: these it knows; one it does not
    # (its scheduler was restarted since) will never run, and is marked so.
    orphan = first.store.new_run("queued before a restart", TINY)
    RunFiles(orphan.directory).write("job.json", {"owner": "carol", "submitted_at": 0.0})
    checker = ClusterJobs(first.store, dask_cluster, stale_after=0)
    assert checker.check() == [orphan.id]
    assert first.store.get(orphan.id).status == "interrupted"
    assert "before this run started" in first.store.get(orphan.id).error
    assert [job.status for job in checker.jobs() if job.id != orphan.id] == ["queued"] * 2 + [
        "running"
    ] * 2
    checker.close()

    assert first.cancel(waiting[0].id)  # by the other server than the one that submitted it
    assert first.get(waiting[0].id) is None
    assert not (first.store.root / waiting[0].id).exists()
    left = [("waiting 2", 1)]
    wait_for(lambda: [(job.name, job.queue_position) for job in second.queued()] == left, 5)
    assert not second.cancel(busy[0].id)  # running: cancel refuses, stop is for that

    first.stop(busy[0].id)  # one worker frees up: the next in the queue starts
    assert second.wait(waiting[1].id, TIMEOUT).status == "finished"
    assert not (first.store.root / waiting[0].id).exists()  # the cancelled one never ran
    first.stop(busy[1].id)


def test_teach_it_our_handwriting_runs_on_the_cluster(servers, tmp_path):
    """A fine-tune of the shipped model goes to a worker like a training run. The request names
    the app server's copy of the shipped model; a worker whose checkout lives elsewhere (here:
    a path that does not exist) uses its own copy."""
    from mnist_cnn.classdata import ClassDigits
    from mnist_cnn.runs import finetune_name, finetune_request
    from tests.test_class_digits_page import fill

    first, second = servers
    class_digits = ClassDigits(tmp_path / "class")  # beside the models folder, as in a class
    fill(class_digits, [1, 7, 1, 7, 3])
    base = first.store.shipped()
    fine_tune = finetune_request(base, class_digits.root)
    fine_tune["base_model_path"] = "/where/the/app/server/lives/assets/model.keras"
    request = TrainRequest(base.config, finetune_name(base.name), "alice", fine_tune=fine_tune)
    job = first.submit(request)
    done = second.wait(job.id, TIMEOUT * 5)
    assert done.status == "finished", done.error
    assert done.progress.epochs == 3  # the fine-tune's rounds, reported from the worker
    record = second.store.get(job.id)
    assert record.name == "Shipped: accurate preset + class handwriting"
    assert record.fine_tune["class_drawings"] == 4 and record.fine_tune["held_out_drawings"] == 1
    assert record.has_model and record.test_accuracy >= 0.99 and record.pid != os.getpid()


def test_a_failing_run_is_reported_with_its_error(servers):
    first, second = servers
    images = np.zeros((3, 5, 5), np.uint8)  # not 28x28: training refuses them on the worker
    job = first.submit(TrainRequest(TINY, "bad extras", "alice", images, np.zeros(3, np.int64)))
    failed = second.wait(job.id, TIMEOUT)
    assert failed.status == "failed"
    assert "ValueError" in failed.error
    assert first.store.get(job.id).status == "failed"


def test_a_worker_killed_mid_run_fails_the_run_as_lost(servers, dask_cluster):
    import distributed

    first, second = servers
    job = first.submit(TrainRequest(LONG, "killed", owner="alice"))
    training(first, job.id)
    worker_pid = first.store.get(job.id).pid
    os.kill(worker_pid, signal.SIGKILL)
    failed = second.wait(job.id, TIMEOUT)
    assert failed.status == "failed" and failed.error == LOST_WORKER
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=TIMEOUT)  # its nanny has started a new worker


def test_runs_of_a_dead_cluster_are_marked_interrupted(mnist, tmp_path):
    pytest.importorskip("distributed")
    cluster = LocalDaskCluster(workers=1, log_dir=tmp_path)
    store = ModelStore(tmp_path / "models")
    jobs = ClusterJobs(store, cluster.address, stale_after=3)
    running = jobs.submit(TrainRequest(LONG, "running", owner="alice"))
    queued = jobs.submit(TrainRequest(LONG, "queued", owner="alice"))
    training(jobs, running.id)
    cluster.kill()  # scheduler and worker gone at once, as when the training machine loses power

    other = ClusterJobs(store, cluster.address, stale_after=3)  # a server still up

    def interrupted(job_id):
        other.check()
        return other.get(job_id).status == "interrupted"

    wait_for(lambda: interrupted(running.id), timeout=60)
    wait_for(lambda: interrupted(queued.id), timeout=60)
    assert "stopped answering" in other.get(running.id).error
    assert "before this run started" in other.get(queued.id).error
    assert store.get(queued.id).status == "interrupted"  # never left "running" or "queued"
    jobs.close()


def test_start_says_why_when_the_cluster_does_not_answer(tmp_path):
    pytest.importorskip("distributed")
    store = ModelStore(tmp_path / "models")
    jobs = ClusterJobs(store, "tcp://127.0.0.1:9")  # nothing listens there
    with pytest.raises(ClusterUnavailable, match="does not answer.*unset MNIST_CNN_CLUSTER"):
        jobs.submit(TrainRequest(TINY, "nowhere", owner="alice"))
    assert [record.id for record in store.list()] == ["shipped"]  # nothing half-made is left
    assert jobs.jobs() == [] and jobs.running() == [] and jobs.queued() == []


def test_start_says_how_to_install_dask_when_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    store = ModelStore(tmp_path / "models")
    jobs = ClusterJobs(store, "tcp://127.0.0.1:9")
    with pytest.raises(ClusterUnavailable, match="Dask is not installed.*requirements-cluster"):
        jobs.submit(TrainRequest(TINY, "no dask", owner="alice"))
    assert [record.id for record in store.list()] == ["shipped"]


def test_a_request_naming_this_machines_folders_is_refused(tmp_path):
    store = ModelStore(tmp_path / "models")
    jobs = ClusterJobs(store, "tcp://127.0.0.1:9")
    with pytest.raises(ValueError, match="its own environment. Received: data_dir='/data'"):
        jobs.submit(TrainRequest(TINY, "mine", "alice", data_dir="/data"))
    assert [record.id for record in store.list()] == ["shipped"]


def test_both_back_ends_are_the_one_interface(tmp_path):
    store = ModelStore(tmp_path / "models")
    members = [name for name in vars(JobBackend) if not name.startswith("_")]
    assert {"submit", "stop", "cancel", "wait", "warm_up", "close"} <= set(members)
    for backend in (LocalJobs(store), ClusterJobs(store, "tcp://127.0.0.1:9")):
        assert isinstance(backend, JobBackend)
        for name in members:
            assert signature(getattr(backend, name)) == signature(
                getattr(JobBackend, name).__get__(backend)
            ), name
        assert isinstance(backend.trains_here, bool) and backend.store is store
    assert LocalJobs(store).address == "" and not ClusterJobs(store, "tcp://h:1").trains_here


def test_open_jobs_chooses_the_back_end(tmp_path, monkeypatch):
    store = ModelStore(tmp_path / "models")
    monkeypatch.delenv("MNIST_CNN_CLUSTER", raising=False)
    assert isinstance(open_jobs(store), LocalJobs)
    monkeypatch.setenv("MNIST_CNN_CLUSTER", "tcp://127.0.0.1:9")
    jobs = open_jobs(store)
    assert isinstance(jobs, ClusterJobs) and jobs.address == "tcp://127.0.0.1:9"


def test_the_local_back_end_leaves_cluster_runs_alone(tmp_path):
    """A server without the cluster, on the same folder, must not call them interrupted."""
    store = ModelStore(tmp_path / "models")
    queued = ClusterJobs(store, "tcp://127.0.0.1:9")
    record = store.new_run("queued on the cluster", TINY)  # as ClusterJobs.submit makes it
    record.host = queued.address
    store.update(record)
    running = store.new_run("on a worker of another machine", TINY, status=Status.RUNNING)
    running.pid, running.host = 1, "another-machine"
    store.update(running)
    LocalJobs(store)
    assert store.get(record.id).status == "queued"
    assert store.get(running.id).status == "running"


def test_the_cli_trains_on_the_cluster(dask_cluster, tmp_path):
    models = tmp_path / "models"
    env = {**os.environ, "MNIST_CNN_MODELS_DIR": str(models)}
    command = [sys.executable, "-m", "mnist_cnn", "train", "--cluster", dask_cluster, "--json"]
    command += ["--train-size", "500", "--validation-size", "200", "--epochs", "1"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    summary = __import__("json").loads(result.stdout.strip().splitlines()[-1])
    record = ModelStore(models).get(summary["model_id"])
    assert record.status == "finished" and record.has_model
    assert "on the cluster" in result.stderr


def test_the_cli_says_why_when_the_cluster_does_not_answer(tmp_path):
    pytest.importorskip("distributed")
    env = {**os.environ, "MNIST_CNN_MODELS_DIR": str(tmp_path / "models")}
    command = [sys.executable, "-m", "mnist_cnn", "train", "--cluster", "tcp://127.0.0.1:9"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 2
    assert "does not answer" in result.stderr and "Traceback" not in result.stderr
