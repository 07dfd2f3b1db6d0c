"""A run's life (mnist_cnn.lifecycle): the moves allowed, the ones refused, ending a run of the
store, the run that ended last; and the request that starts a run (mnist_cnn.request)."""

import numpy as np
import pytest

from mnist_cnn.config import TrainConfig
from mnist_cnn.jobs.base import Job
from mnist_cnn.lifecycle import ALLOWED, TransitionRefused, end_run, last_ended, move
from mnist_cnn.request import TrainRequest
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelStore

TINY = TrainConfig(train_size=500, validation_size=200, epochs=1, batch_size=50)


def job(status=Status.QUEUED, finished_at=None) -> Job:
    return Job("id", "run", TINY, "a", status=status, finished_at=finished_at)


def test_a_run_goes_from_queued_to_its_end_and_notes_when():
    run = job()
    move(run, Status.STARTING)
    move(run, Status.RUNNING)
    assert run.finished_at is None
    move(run, Status.FINISHED)
    assert run.status == Status.FINISHED and run.finished_at is not None and run.error is None


@pytest.mark.parametrize("over", [s for s in Status if not s.is_active])
def test_a_run_that_is_over_never_changes_again(over):
    assert over not in ALLOWED
    for status in Status:
        with pytest.raises(TransitionRefused, match=f"A run that is {over} cannot become"):
            move(job(over), status)


def test_moves_the_table_does_not_allow_are_refused_and_change_nothing():
    queued = job()
    with pytest.raises(TransitionRefused, match="queued cannot become finished"):
        move(queued, Status.FINISHED)  # a run is finished only after it ran
    running = job(Status.RUNNING)
    with pytest.raises(TransitionRefused, match="running cannot become cancelled"):
        move(running, Status.CANCELLED)  # a training run is stopped, not cancelled
    assert queued.status == Status.QUEUED and running.status == Status.RUNNING
    with pytest.raises(ValueError):
        move(queued, "paused")  # no such status


def test_end_run_ends_an_active_run_of_the_store_once(tmp_path):
    store = ModelStore(tmp_path / "models")
    record = store.new_run("left running", TINY)
    assert end_run(store, record.id, Status.INTERRUPTED, "the cluster stopped")
    ended = store.get(record.id)
    assert ended.status == Status.INTERRUPTED and ended.error == "the cluster stopped"
    assert ended.finished_at is not None
    assert not end_run(store, record.id, Status.FAILED, "again")  # over already
    assert store.get(record.id).status == Status.INTERRUPTED
    assert not end_run(store, "20260101-000000-abcdef", Status.FAILED, "gone")  # no such run


def test_the_last_run_is_the_one_that_ended_last_interrupted_included():
    failed = job(Status.FAILED, finished_at=100.0)
    interrupted = job(Status.INTERRUPTED, finished_at=200.0)
    cancelled = job(Status.CANCELLED, finished_at=300.0)  # it never ran
    running = job(Status.RUNNING)
    assert last_ended([interrupted, failed, cancelled, running]) is interrupted
    assert last_ended([failed, interrupted]) is interrupted  # not by the list's order
    assert last_ended([running, cancelled]) is None


def test_a_request_is_checked_when_it_is_made():
    images = np.zeros((3, 28, 28), np.uint8)
    request = TrainRequest(TINY, "mine", "alice", images, np.zeros(3, np.uint8))
    assert request.extras[0] is images and request.data_dir is None
    with pytest.raises(ValueError, match="one label each. Received: 3 images and 2 labels"):
        TrainRequest(TINY, "mine", "alice", images, np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="Received: 3 images and 0 labels"):
        TrainRequest(TINY, "mine", "alice", extra_images=images)
    with pytest.raises(ValueError, match="config must be a TrainConfig"):
        TrainRequest({"epochs": 1}, "mine")
    with pytest.raises(ValueError, match="cannot be empty"):
        TrainRequest(TINY, "  ")
    with pytest.raises(AttributeError):
        request.name = "changed"  # frozen
