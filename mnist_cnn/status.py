"""The status words of a training run, written once for storage, the job queue and the pages."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """Where a training run is. A Status is a str, so it is saved in JSON as its word."""

    QUEUED = "queued"  # waiting for the trainer
    STARTING = "starting"  # the trainer took it and is loading TensorFlow and MNIST
    RUNNING = "running"  # training
    FINISHED = "finished"  # trained, scored and saved
    STOPPED = "stopped"  # stopped early on request; the model so far is saved
    FAILED = "failed"  # an error ended it; `error` says which
    CANCELLED = "cancelled"  # taken out of the queue before it started
    INTERRUPTED = "interrupted"  # the server stopped while it was queued or training

    def __str__(self) -> str:
        return self.value

    @property
    def is_active(self) -> bool:
        """Queued, starting or running: not over yet."""
        return self in ACTIVE

    @property
    def symbol(self) -> str:
        """A small picture for tables."""
        return SYMBOLS[self]


ACTIVE = frozenset({Status.QUEUED, Status.STARTING, Status.RUNNING})
SYMBOLS = {  # in every common font (emoji show as empty boxes where no emoji font is installed)
    Status.QUEUED: "…",
    Status.STARTING: "▶",
    Status.RUNNING: "▶",
    Status.FINISHED: "✓",
    Status.STOPPED: "■",
    Status.FAILED: "✗",
    Status.CANCELLED: "⊘",
    Status.INTERRUPTED: "!",
}
