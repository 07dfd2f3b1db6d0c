"""The teacher's passphrase (mnist_cnn.permissions): what students may and may not do, checked
in the package, whatever a page shows or sends."""

import shutil
import time

import pytest

from mnist_cnn.config import TrainConfig
from mnist_cnn.jobs import LocalJobs, TrainRequest
from mnist_cnn.permissions import Classroom, NotAllowed, teacher_passphrase
from mnist_cnn.storage import ASSETS_DIR, ModelStore

LONG = TrainConfig(train_size=500, validation_size=200, epochs=100, batch_size=50)
TIMEOUT = 120


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def finished(store, name):
    record = store.new_run(name, LONG, status="finished")
    shutil.copy(ASSETS_DIR / "model.keras", record.model_path)
    return record


def test_the_passphrase_comes_from_the_environment_or_the_secrets(monkeypatch):
    monkeypatch.delenv("MNIST_CNN_TEACHER_KEY", raising=False)
    assert teacher_passphrase() is None and teacher_passphrase({}) is None
    assert teacher_passphrase({"teacher_key": " owl "}) == "owl"
    assert teacher_passphrase({"teacher_key": "  "}) is None
    monkeypatch.setenv("MNIST_CNN_TEACHER_KEY", "from the environment")
    assert teacher_passphrase({"teacher_key": "owl"}) == "from the environment"


def test_without_a_passphrase_everyone_may_do_everything(store):
    record = finished(store, "mine")
    room = Classroom(store, LocalJobs(store), passphrase=None)
    assert not room.has_teacher and room.is_teacher(None)
    room.set_active_for_everyone(record.id, None)
    assert room.rename(record.id, "renamed", None).name == "renamed"
    room.delete(record.id, None)
    assert store.active_id() == "shipped"


def test_with_a_passphrase_only_the_teacher_switches_renames_and_deletes(store):
    record = finished(store, "mine")
    room = Classroom(store, LocalJobs(store), passphrase="owl feathers")
    assert room.has_teacher and room.is_teacher("owl feathers")
    for attempt in (None, "", "owl", "owl feathers!", 42):
        assert not room.is_teacher(attempt)
        with pytest.raises(NotAllowed, match="switch the model for everyone"):
            room.set_active_for_everyone(record.id, attempt)
        with pytest.raises(NotAllowed, match="rename runs"):
            room.rename(record.id, "taken over", attempt)
        with pytest.raises(NotAllowed, match="delete runs"):
            room.delete(record.id, attempt)
    assert store.active_id() == "shipped" and store.get(record.id).name == "mine"

    room.set_active_for_everyone(record.id, "owl feathers")
    assert room.rename(record.id, "class model", "owl feathers").name == "class model"
    room.delete(record.id, "owl feathers")
    assert [kept.id for kept in store.list()] == ["shipped"]


@pytest.mark.slow
def test_students_stop_and_cancel_only_their_own_runs(mnist, store):
    jobs = LocalJobs(store, data_dir=mnist.source)
    room = Classroom(store, jobs, passphrase="owl feathers")
    running = jobs.submit(TrainRequest(LONG, "alice's", owner="alice"))
    queued = jobs.submit(TrainRequest(LONG, "alice's next", owner="alice"))
    mine = jobs.submit(TrainRequest(LONG, "bob's", owner="bob"))
    deadline = time.monotonic() + TIMEOUT
    while jobs.get(running.id).progress is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    for job in (running, queued):
        assert not room.may_stop(job.id, "bob", None)
        with pytest.raises(NotAllowed, match="someone else's run"):
            room.stop(job.id, "bob", "wrong")
    assert jobs.get(running.id).status == "running" and jobs.get(queued.id).status == "queued"

    assert room.stop(mine.id, "bob", None)  # his own: cancelled
    assert room.stop(queued.id, "alice", None)  # hers
    assert room.stop(running.id, "bob", "owl feathers")  # the teacher stops anyone's
    assert jobs.wait(running.id, TIMEOUT).status == "stopped"
    assert jobs.get(mine.id).status == jobs.get(queued.id).status == "cancelled"
