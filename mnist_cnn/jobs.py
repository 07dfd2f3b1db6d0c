"""Training jobs for the web app: one training at a time, a queue for the rest, live progress.

Each training runs in its own child process, at a lower priority, so that a crash (or the
out-of-memory killer) cannot take the server down and predictions stay quick. A worker thread in
the server starts the children one after another, reads their progress from a queue, and keeps a
`Job` per run that any page can read. Runs are saved by `runs.train_run`, exactly like the CLI's.
The manager never changes which model is active.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import threading
import time
import types
from dataclasses import dataclass, field

from mnist_cnn.config import TrainConfig
from mnist_cnn.data import load_mnist
from mnist_cnn.progress import Progress, TrainingCallback
from mnist_cnn.runs import train_run
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelStore

# A job is over in these; a run left INTERRUPTED is found by recover(), never by a job.
FINAL = (Status.FINISHED, Status.STOPPED, Status.FAILED, Status.CANCELLED)
MAX_BATCH_POINTS = 2000  # batch_history keeps every k-th batch so that it stays about this long
_SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited


@dataclass
class Job:
    """A snapshot of one training job. Changing it changes nothing; ask the manager again."""

    id: str  # the run's ModelRecord id
    name: str
    config: TrainConfig
    owner: str  # who submitted it (the browser session); the manager does not interpret it
    status: Status = Status.QUEUED
    submitted_at: float = 0.0  # time.time() values
    started_at: float | None = None
    finished_at: float | None = None
    progress: Progress | None = None  # the latest batch or epoch
    batch_history: list[tuple] = field(default_factory=list)  # (step, loss, accuracy)
    epoch_history: list[dict] = field(default_factory=list)  # epoch, loss, accuracy, val_loss,
    # val_accuracy and elapsed of each finished epoch
    error: str | None = None
    test_accuracy: float | None = None
    queue_position: int | None = None  # 1 for the next to start, while queued


class JobManager:
    def __init__(self, store: ModelStore, data_dir: str | None = None):
        self.store, self.data_dir = store, data_dir
        self._lock = threading.Condition()  # guards everything below
        self._jobs: dict[str, Job] = {}  # every job of this server's lifetime, oldest first
        self._waiting: list[str] = []  # ids of queued jobs, first in first out
        self._extras: dict[str, tuple] = {}  # extra images and labels of queued jobs
        self._current: str | None = None  # id of the starting or running job
        self._stop = _SPAWN.Event()  # set to stop the current job
        self._worker: threading.Thread | None = None
        self.recover()

    def recover(self) -> list[str]:
        """Mark runs left queued or running by a server process that is gone as interrupted."""
        fixed = []
        for record in self.store.list():
            if record.status in (Status.QUEUED, Status.RUNNING) and not _alive(record.pid):
                record.status = Status.INTERRUPTED
                record.error = "The server stopped before this run finished."
                self.store.update(record)
                fixed.append(record.id)
        return fixed

    # --- what the pages call ---
    def submit(
        self, config: TrainConfig, name: str, owner: str, extra_images=None, extra_labels=None
    ) -> Job:
        """Record a new run (queued, listed at once) and queue it; returns its Job."""
        if (extra_images is None) != (extra_labels is None) or (
            extra_images is not None and len(extra_images) != len(extra_labels)
        ):
            raise ValueError(
                "extra_images and extra_labels must be given together, one label each."
            )
        record = self.store.new_run(name, config, status=Status.QUEUED)
        record.pid = os.getpid()  # this server owns it until its child starts: see recover()
        self.store.update(record)
        job = Job(record.id, record.name, config, owner, submitted_at=time.time())
        with self._lock:
            self._jobs[job.id] = job
            self._waiting.append(job.id)
            self._extras[job.id] = (extra_images, extra_labels)
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="training-jobs", daemon=True
                )
                self._worker.start()
            return self._snapshot(job.id)

    def cancel(self, job_id: str) -> bool:
        """Drop a queued job and its empty run folder. False if it is not queued (any more)."""
        with self._lock:
            if job_id not in self._waiting:
                return False
            self._waiting.remove(job_id)
            del self._extras[job_id]
            self._set_final(job_id, Status.CANCELLED)
        shutil.rmtree(self.store.root / job_id, ignore_errors=True)
        return True

    def stop(self, job_id: str) -> bool:
        """Stop the job within one batch (its model so far is saved), or cancel it if queued."""
        if self.cancel(job_id):
            return True
        with self._lock:
            if job_id != self._current:
                return False
            self._stop.set()
            return True

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._snapshot(job_id) if job_id in self._jobs else None

    def current(self) -> Job | None:
        with self._lock:
            return self._snapshot(self._current) if self._current else None

    def queued(self) -> list[Job]:
        with self._lock:
            return [self._snapshot(job_id) for job_id in self._waiting]

    def jobs(self) -> list[Job]:
        """Every job since the server started, newest first."""
        with self._lock:
            return [self._snapshot(job_id) for job_id in reversed(self._jobs)]

    def wait(self, job_id: str, timeout: float) -> Job:
        """Block until the job is over; raise TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._jobs[job_id].status not in FINAL:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"Job {job_id} is still {self._jobs[job_id].status}.")
                self._lock.wait(left)
            return self._snapshot(job_id)

    # --- the worker thread ---
    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._worker = None
                    return
                job_id = self._current = self._waiting.pop(0)
                job = self._jobs[job_id]
                job.status, job.started_at = Status.STARTING, time.time()
                extras = self._extras.pop(job_id)
                self._stop.clear()
            try:
                status, error, accuracy = self._run_child(job, extras)
            except Exception as problem:  # e.g. no process could start; the worker carries on
                status, error, accuracy = (
                    Status.FAILED,
                    f"{type(problem).__name__}: {problem}",
                    None,
                )
                with contextlib.suppress(Exception):  # the record may be unusable too
                    record = self.store.get(job_id)
                    record.status, record.error = Status.FAILED, error
                    self.store.update(record)
            with self._lock:
                job.error, job.test_accuracy, self._current = error, accuracy, None
                self._set_final(job_id, status)

    def _run_child(self, job: Job, extras: tuple) -> tuple[str, str | None, float | None]:
        """Train in a child process, following its progress; return (status, error, accuracy)."""
        events = _SPAWN.Queue()
        args = (self.store, job.id, job.config, self.data_dir, extras, events, self._stop)
        process = _SPAWN.Process(target=_train_in_child, args=(*args, os.getpid()), daemon=True)
        with _without_main_script():
            process.start()
        child_error = None  # what the child said went wrong, in case it could not record it
        while True:
            exited = not process.is_alive()  # once it has exited, all it sent is in the queue
            try:
                kind, progress = events.get(timeout=0.2)
            except queue.Empty:
                if exited:
                    break
                continue
            if kind == "error":
                child_error = progress
                continue
            with self._lock:
                _add_progress(job, kind, progress)
        process.join()
        events.close()
        record = self.store.get(job.id)
        if record.status in (
            Status.QUEUED,
            Status.RUNNING,
        ):  # the child died, or could not write (disk full)
            record.status = Status.FAILED
            record.error = child_error or _ended_unexpectedly(process.exitcode)
            with contextlib.suppress(OSError, ValueError):  # the job says why all the same
                self.store.update(record)
        status = record.status if record.status in FINAL else Status.FAILED
        return status, record.error, record.test_accuracy

    # --- helpers; the lock is held ---
    def _snapshot(self, job_id: str) -> Job:
        job = self._jobs[job_id]
        position = self._waiting.index(job_id) + 1 if job_id in self._waiting else None
        return dataclasses.replace(
            job,
            batch_history=list(job.batch_history),
            epoch_history=[dict(epoch) for epoch in job.epoch_history],
            queue_position=position,
        )

    def _set_final(self, job_id: str, status: str) -> None:
        self._jobs[job_id].status, self._jobs[job_id].finished_at = status, time.time()
        self._lock.notify_all()  # wakes wait()


def _add_progress(job: Job, kind: str, progress: Progress) -> None:
    job.status, job.progress = Status.RUNNING, progress
    if kind == "batch":
        every = math.ceil(progress.total_steps / MAX_BATCH_POINTS)
        if progress.step % every == 0 or progress.step == progress.total_steps:
            job.batch_history.append((progress.step, progress.loss, progress.accuracy))
    else:
        names = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "elapsed")
        job.epoch_history.append({name: getattr(progress, name) for name in names})


@contextlib.contextmanager
def _without_main_script():
    """A spawned child first re-runs the parent's __main__ script. Under Streamlit that is the app
    itself (Streamlit installs app.py as __main__), which must not run in a training process; so
    the child is shown an empty __main__ while it starts."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, but belongs to someone else
    return True


def _ended_unexpectedly(code: int | None) -> str:
    if code == -signal.SIGKILL:
        why = "killed, perhaps out of memory"
    elif code is not None and code < 0:
        why = signal.Signals(-code).name if -code in signal.valid_signals() else "a signal"
    else:
        why = "see the server log"
    return f"The training process ended unexpectedly (exit code {code}: {why})."


# --- what runs in the child process ---
class _ServerGone(BaseException):
    """The server died or asked us to quit: leave without saving a model."""


def _quit(signum, frame):
    raise _ServerGone


class _SendProgress(TrainingCallback):
    def __init__(self, events, parent_pid: int):
        self.events, self.parent_pid = events, parent_pid

    def on_batch_end(self, progress: Progress) -> None:
        if os.getppid() != self.parent_pid:  # we were adopted: the server is gone
            raise _ServerGone
        self.events.put(("batch", progress))

    def on_epoch_end(self, progress: Progress) -> None:
        self.events.put(("epoch", progress))


def _train_in_child(store, job_id, config, data_dir, extras, events, stop, parent_pid) -> None:
    with contextlib.suppress(OSError):
        os.nice(10)  # the server's predictions come first
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the server, which then ends us
    signal.signal(signal.SIGTERM, _quit)  # how the server ends us when it shuts down
    record = store.get(job_id)
    try:
        data = load_mnist(data_dir)
        train_run(config, data, record, [_SendProgress(events, parent_pid)], stop, *extras)
    except _ServerGone:
        record.status, record.error = Status.INTERRUPTED, "The server stopped during training."
        store.update(record)
        events.cancel_join_thread()  # nobody may be reading the queue any more
    except BaseException as error:
        record.status, record.error = Status.FAILED, f"{type(error).__name__}: {error}"[:2000]
        events.put(("error", record.error))
        with contextlib.suppress(OSError, ValueError):  # a full disk: the server records it
            store.update(record)
        raise  # the traceback goes to the server's log
