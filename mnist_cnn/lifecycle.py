"""A training run's life: the one module that changes a run's status.

    queued ──> starting ──> running ──> finished | stopped | failed | interrupted
       │           └──────────────────> stopped | failed | interrupted
       └──> running (the CLI trains at once) | cancelled | failed | interrupted

A run is a `storage.ModelRecord` (what the runs folder says) or a `jobs.Job` (what a job back
end shows of it); both have `status`, `error` and `finished_at`, and both change only through
`move`. Any other change is refused with TransitionRefused: a finished run never runs again, a
cancelled one never trains. A run is over when `not status.is_active` (mnist_cnn.status): the
CLI, the pages and both back ends ask that, and nothing else.
"""

from __future__ import annotations

import time

from mnist_cnn.status import Status
from mnist_cnn.storage import ModelFileError, ModelStore

ENDINGS = (Status.STOPPED, Status.FAILED, Status.INTERRUPTED)  # how any active run can end
ALLOWED = {
    Status.QUEUED: {Status.STARTING, Status.RUNNING, Status.CANCELLED, *ENDINGS},
    Status.STARTING: {Status.RUNNING, *ENDINGS},
    Status.RUNNING: {Status.FINISHED, *ENDINGS},
}  # a status that is no key here is over: it changes no more


class TransitionRefused(ValueError):
    """A run cannot go from its status to the one asked for (see ALLOWED)."""


def can_move(current: Status, status: Status) -> bool:
    return status in ALLOWED.get(current, ())


def move(run, status: Status, error: str | None = None) -> None:
    """Change `run` (a ModelRecord or a Job) to `status`, with `error` saying why (None clears
    it), and note when it ended. Nothing is written: the caller saves a record."""
    status = Status(status)
    if not can_move(run.status, status):
        raise TransitionRefused(
            f"A run that is {run.status} cannot become {status}. Received: status={status!r}"
        )
    run.status, run.error = status, error
    if not status.is_active:
        run.finished_at = time.time()


def end_run(store: ModelStore, run_id: str, status: Status, why: str) -> bool:
    """End a run of the store that is still active with `status` and `why`, and save it. False
    when it is over already, or gone (cancelled)."""
    try:
        record = store.get(run_id)
    except ModelFileError:
        return False
    if not record.status.is_active:
        return False
    move(record, status, why)
    store.update(record)
    return True


def last_ended(runs: list):
    """Of these runs (Jobs), the one that ended last, interrupted ones included (not cancelled:
    they never ran); None when none has ended."""
    ended = [run for run in runs if not run.status.is_active and run.status != Status.CANCELLED]
    return max(ended, key=lambda run: run.finished_at or 0.0, default=None)
