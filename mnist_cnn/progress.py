"""What training reports while it runs, the callback base class that receives it, and the
signal that stops it.

Kept apart from `training` (which loads TensorFlow) so that the CLI and the pages can name them
without loading TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Progress:
    epoch: int  # current epoch, counting from 1
    epochs: int  # epochs planned
    batch: int  # batches finished in the current epoch
    batches_per_epoch: int
    loss: float  # training loss, running mean over this epoch
    accuracy: float  # training accuracy, running mean over this epoch
    val_loss: float | None  # validation loss after the last finished epoch
    val_accuracy: float | None
    elapsed: float  # seconds since training started
    eta: float | None  # estimated seconds left, None until a few batches are timed
    batch_loss: float | None = None  # the last batch's own loss (noisy: for smoothed curves)
    batch_accuracy: float | None = None  # the last batch's own accuracy

    @property
    def step(self) -> int:
        """Batches finished over all epochs."""
        return (self.epoch - 1) * self.batches_per_epoch + self.batch

    @property
    def total_steps(self) -> int:
        return self.epochs * self.batches_per_epoch

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps


class TrainingCallback:
    """Base class for progress listeners; override what you need.

    While training, `self.model` is the network being trained (as in Keras callbacks).
    """

    model: keras.Model | None = None

    def on_batch_end(self, progress: Progress) -> None:
        pass

    def on_epoch_end(self, progress: Progress) -> None:
        pass


class StopSignal(Protocol):
    """How training is asked to stop: it asks `is_set()` after every batch. A threading.Event
    (the CLI, tests), a multiprocessing Event (the local trainer) and a run's stop file on a
    cluster (jobs.runfiles.RunFiles) all are one."""

    def is_set(self) -> bool: ...
