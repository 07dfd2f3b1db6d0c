"""What both job back ends share: the `JobBackend` interface the pages and the CLI call, the `Job`
snapshot they show, and how progress becomes curves."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from mnist_cnn.config import TrainConfig
from mnist_cnn.lifecycle import move
from mnist_cnn.progress import Progress
from mnist_cnn.request import TrainRequest
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelStore

MAX_BATCH_POINTS = 300  # batch_history keeps every k-th batch so that it stays about this long
# (a smoothed curve needs no more, and every open Train page redraws it every few seconds)
SMOOTHING = 0.95  # weight of the past in the training curves' moving average (per batch)


class MovingAverage:
    """An exponential moving average that starts without a bias towards zero (as TensorBoard's
    smoothing): each new value counts 1 - SMOOTHING, the older ones fade away. Unlike a mean
    restarted every epoch, it does not jump at epoch boundaries."""

    def __init__(self, smoothing: float = SMOOTHING):
        self.smoothing, self.total, self.weight = smoothing, 0.0, 0.0

    def add(self, value: float) -> float:
        self.total = self.smoothing * self.total + (1 - self.smoothing) * value
        self.weight = self.smoothing * self.weight + (1 - self.smoothing)
        return self.total / self.weight


@dataclass
class Job:
    """A snapshot of one training job. Changing it changes nothing; ask the back end again."""

    id: str  # the run's ModelRecord id
    name: str
    config: TrainConfig
    owner: str  # who submitted it (the browser session); see mnist_cnn.permissions
    status: Status = Status.QUEUED
    submitted_at: float = 0.0  # time.time() values
    started_at: float | None = None
    finished_at: float | None = None
    progress: Progress | None = None  # the latest batch or epoch
    batch_history: list[tuple] = field(default_factory=list)  # (step, loss, accuracy), smoothed
    epoch_history: list[dict] = field(default_factory=list)  # epoch, loss, accuracy, val_loss,
    # val_accuracy and elapsed of each finished epoch
    first_eta: float | None = None  # the first estimate of the seconds left, to check it
    error: str | None = None
    test_accuracy: float | None = None
    queue_position: int | None = None  # 1 for the next to start, while queued
    smoothed: tuple = field(  # the moving averages behind batch_history (loss, accuracy)
        default_factory=lambda: (MovingAverage(), MovingAverage()), repr=False, compare=False
    )


@runtime_checkable
class JobBackend(Protocol):
    """Where runs train: `local.LocalJobs` (this machine, one run at a time) or
    `cluster.ClusterJobs` (a Dask cluster). `mnist_cnn.jobs.open_jobs` picks one."""

    store: ModelStore  # the models folder every run is saved in
    trains_here: bool  # True: this machine trains (and reads MNIST); False: the cluster does
    address: str  # the cluster scheduler's address; "" on this machine

    def submit(self, request: TrainRequest) -> Job:
        """Record a new run (queued, listed at once) and queue it."""

    def stop(self, job_id: str) -> bool:
        """Stop a training run within one batch (its model so far is saved), or cancel a queued
        one. False when it is neither."""

    def cancel(self, job_id: str) -> bool:
        """Drop a queued run and its folder. False when it is not queued (any more)."""

    def get(self, job_id: str) -> Job | None: ...

    def running(self) -> list[Job]:
        """The runs starting or training now, first started first."""

    def queued(self) -> list[Job]:
        """The queue, next first."""

    def jobs(self) -> list[Job]:
        """Every job the back end knows, newest first."""

    def wait(self, job_id: str, timeout: float) -> Job:
        """Block until the run is over; TimeoutError after `timeout` seconds."""

    def warm_up(self) -> None:
        """Get ready to train at once (the app calls it when it serves its first page)."""

    def close(self) -> None:
        """Let go of what it holds (a cluster connection)."""


def add_progress(job: Job, kind: str, progress: Progress) -> None:
    """Add a batch's or an epoch's progress to the job's curves (smoothed, at most about
    MAX_BATCH_POINTS batches kept); a starting job is running from its first batch on."""
    if job.status != Status.RUNNING:
        move(job, Status.RUNNING)
    job.progress = progress
    if job.first_eta is None:
        job.first_eta = progress.eta
    if kind == "batch":
        loss = job.smoothed[0].add(progress.batch_loss)
        accuracy = job.smoothed[1].add(progress.batch_accuracy)
        every = math.ceil(progress.total_steps / MAX_BATCH_POINTS)
        if progress.step % every == 0 or progress.step == progress.total_steps:
            job.batch_history.append((progress.step, loss, accuracy))
    else:
        names = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "elapsed")
        job.epoch_history.append({name: getattr(progress, name) for name in names})


def warm_up_training(data) -> None:
    """Train a few batches and score a few images once, so that TensorFlow's one-time costs
    (its first compiled functions and kernels) are paid before the first real run."""
    from mnist_cnn.evaluation import evaluate
    from mnist_cnn.training import train

    config = TrainConfig(train_size=256, validation_size=0, epochs=1, batch_size=128)
    result = train(config, data)
    evaluate(result.model, data.test_images[:1000], data.test_labels[:1000])
