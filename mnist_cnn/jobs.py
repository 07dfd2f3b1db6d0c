"""Training jobs for the web app and the CLI: submit, watch, stop and cancel training runs.

There are two back ends with the same methods (submit, stop, cancel, get, running, queued, jobs,
wait, warm_up): `JobManager` here, which trains on this machine, and
`mnist_cnn.cluster.ClusterJobs`, which trains on a Dask cluster. `open_jobs()` picks one:
the cluster when `MNIST_CNN_CLUSTER` names its scheduler, else this machine.

The local back end: one training at a time, a queue for the rest, live progress.

Training happens in one long-lived child process, the `Trainer`, started when the Train page
first loads: it imports TensorFlow and reads MNIST once, then waits for jobs, so a run starts
training within a moment of its Start. It runs at a lower priority, and a crash of it (or the
out-of-memory killer) fails only the job it was training: the server carries on and starts a new
trainer for the next job. A worker thread in the server hands the queued jobs to the trainer one
after another, reads their progress, and keeps a `Job` per run that any page can read. Runs are
saved by `runs.train_run`, exactly like the CLI's. The manager never changes which model is
active.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import threading
import time
import traceback
import types
from dataclasses import dataclass, field

from mnist_cnn.config import TrainConfig
from mnist_cnn.data import load_mnist
from mnist_cnn.progress import Progress, TrainingCallback
from mnist_cnn.status import Status
from mnist_cnn.storage import HOST, ModelStore

# A job is over in these; a run left INTERRUPTED is found by recover(), never by a job.
FINAL = (Status.FINISHED, Status.STOPPED, Status.FAILED, Status.CANCELLED)
MAX_BATCH_POINTS = 2000  # batch_history keeps every k-th batch so that it stays about this long
SMOOTHING = 0.95  # weight of the past in the training curves' moving average (per batch)
_SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited
CLUSTER_VARIABLE = "MNIST_CNN_CLUSTER"  # the Dask scheduler's address, e.g. tcp://10.0.0.5:8786


def cluster_address(given: str | None = None) -> str:
    """The Dask scheduler's address to train on: `given`, else MNIST_CNN_CLUSTER; "" for none
    (train on this machine)."""
    return (given or os.environ.get(CLUSTER_VARIABLE, "")).strip()


def open_jobs(store: ModelStore, data_dir: str | None = None, cluster: str | None = None):
    """The job back end: a Dask cluster when `cluster` (else MNIST_CNN_CLUSTER) gives its
    scheduler's address, else this machine. Connecting waits for the first submit, so pages that
    only read runs work while the cluster is down."""
    cluster = cluster_address(cluster)
    if cluster:
        from mnist_cnn.cluster import ClusterJobs

        return ClusterJobs(store, cluster)
    return JobManager(store, data_dir)


def check_extras(extra_images, extra_labels) -> None:
    """Extra training images (the class's drawings) come with one label each, or not at all."""
    if (extra_images is None) != (extra_labels is None) or (
        extra_images is not None and len(extra_images) != len(extra_labels)
    ):
        raise ValueError("extra_images and extra_labels must be given together, one label each.")


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
    """A snapshot of one training job. Changing it changes nothing; ask the manager again."""

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


class Trainer:
    """One long-lived child process that has TensorFlow and MNIST loaded and trains one job at a
    time. If it dies, the job it was training fails and the next job starts a new one.

    One Trainer serves every JobManager of the server process (see TRAINER).
    """

    def __init__(self, target=None):
        self.target = target  # the child's function; None: _serve (tests put in their own)
        self.process = None
        self.tasks = self.events = None
        self.stop_event = _SPAWN.Event()  # set to stop the current job
        self.lock = threading.Lock()  # held while a job trains
        self.job_id: str | None = None  # the job it trains now
        self.stopping: set[str] = set()  # jobs asked to stop, perhaps before they started

    def warm_up(self, data_dir: str | None = None) -> None:
        """Start the child process now, if it is not running and no job holds it."""
        if self.lock.acquire(blocking=False):
            try:
                self._start(data_dir)
            finally:
                self.lock.release()

    def _start(self, data_dir: str | None) -> None:
        if self.process is not None and self.process.is_alive():
            return
        self.tasks, self.events = _SPAWN.Queue(), _SPAWN.Queue()
        target = self.target or _serve
        args = (self.tasks, self.events, self.stop_event, os.getpid(), data_dir)
        self.process = _SPAWN.Process(target=target, args=args, daemon=True, name="trainer")
        with _without_main_script():
            self.process.start()

    def stop(self, job_id: str) -> None:
        """Stop the job within one batch once it trains (its model so far is saved)."""
        self.stopping.add(job_id)
        if self.job_id == job_id:
            self.stop_event.set()

    def train(
        self, store, job_id, config, data_dir, extras, report
    ) -> tuple[str | None, int | None]:
        """Train one job in the child; `report(kind, progress)` gets its progress. Returns (what
        the child said went wrong, its exit code if it died)."""
        with self.lock:
            self._start(data_dir)
            self.stop_event.clear()
            self.job_id = job_id
            if job_id in self.stopping:
                self.stop_event.set()
            try:
                self.tasks.put((store, job_id, config, data_dir, extras))
                return self._follow(report)
            finally:
                self.job_id = None
                self.stopping.discard(job_id)

    def _follow(self, report) -> tuple[str | None, int | None]:
        child_error = None  # what the child said went wrong, in case it could not record it
        while True:
            exited = not self.process.is_alive()  # once it has exited, all it sent is queued
            try:
                kind, payload = self.events.get(timeout=0.2)
            except queue.Empty:
                if exited:
                    self.process.join()
                    return child_error, self.process.exitcode
                continue
            if kind == "done":
                return child_error, None
            if kind == "error":
                child_error = payload
            elif kind in ("batch", "epoch"):
                report(kind, payload)

    def close(self) -> None:
        """End the child process (it leaves at once when idle)."""
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(10)


TRAINER = Trainer()  # the server's one trainer


class JobManager:
    """The local back end: this server's trainer process, one run at a time (see the module
    docstring)."""

    trains_here = True  # False for cluster.ClusterJobs

    def __init__(
        self, store: ModelStore, data_dir: str | None = None, trainer: Trainer | None = None
    ):
        self.store, self.data_dir = store, data_dir
        self.trainer = trainer or TRAINER
        self._lock = threading.Condition()  # guards everything below
        self._jobs: dict[str, Job] = {}  # every job of this server's lifetime, oldest first
        self._waiting: list[str] = []  # ids of queued jobs, first in first out
        self._extras: dict[str, tuple] = {}  # extra images and labels of queued jobs
        self._current: str | None = None  # id of the starting or running job
        self._worker: threading.Thread | None = None
        self.recover()

    def recover(self) -> list[str]:
        """Mark runs left queued or running by a server process of this machine that is gone as
        interrupted. Runs on a cluster are not this server's to judge (see mnist_cnn.cluster)."""
        fixed = []
        for record in self.store.list():
            ours = record.host in (None, HOST)  # not a cluster's, nor another machine's
            if record.status.is_active and ours and not _alive(record.pid):
                record.status = Status.INTERRUPTED
                record.error = "The server stopped before this run finished."
                self.store.update(record)
                fixed.append(record.id)
        return fixed

    # --- what the pages call ---
    def warm_up(self) -> None:
        """Start the trainer process now, so that the first Start trains at once."""
        self.trainer.warm_up(self.data_dir)

    def submit(
        self,
        config: TrainConfig,
        name: str,
        owner: str,
        extra_images=None,
        extra_labels=None,
        fine_tune: dict | None = None,
    ) -> Job:
        """Record a new run (queued, listed at once) and queue it; returns its Job.
        fine_tune: fine-tune a model on the class's drawings instead of training a new network
        (what runs.finetune_request gives)."""
        check_extras(extra_images, extra_labels)
        record = self.store.new_run(name, config, status=Status.QUEUED)
        record.fine_tune = fine_tune
        record.pid, record.host = os.getpid(), HOST  # this server's until its child starts
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
            self.trainer.stop(job_id)
            return True

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._snapshot(job_id) if job_id in self._jobs else None

    def running(self) -> list[Job]:
        """The jobs starting or training now (here at most one), first started first."""
        with self._lock:
            return [self._snapshot(self._current)] if self._current else []

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
            try:
                record = self.store.get(job_id)
                record.status = Status.STARTING  # so the runs list says so too
                self.store.update(record)
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
        """Train in the trainer process, following its progress; return (status, error,
        accuracy)."""

        def report(kind: str, progress: Progress) -> None:
            with self._lock:
                add_progress(job, kind, progress)

        child_error, exit_code = self.trainer.train(
            self.store, job.id, job.config, self.data_dir, extras, report
        )
        record = self.store.get(job.id)
        if record.status.is_active:  # the trainer died, or could not write (disk full)
            record.status = Status.FAILED
            record.error = child_error or _ended_unexpectedly(exit_code)
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


def add_progress(job: Job, kind: str, progress: Progress) -> None:
    """Add a batch's or an epoch's progress to the job's curves (smoothed, at most about
    MAX_BATCH_POINTS batches kept)."""
    job.status, job.progress = Status.RUNNING, progress
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


def _serve(tasks, events, stop, parent_pid: int, data_dir: str | None) -> None:
    """The trainer process: load TensorFlow and MNIST once, then train the jobs it is sent, one
    at a time, until the server is gone."""
    with contextlib.suppress(OSError):
        os.nice(10)  # the server's predictions come first
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the server, which then ends us
    signal.signal(signal.SIGTERM, _quit)  # how the server ends us when it shuts down
    loaded = {}  # data folder -> MNIST read from it
    with contextlib.suppress(Exception):  # a failure here is reported with the first job
        # read from files only: a download waits for a run that needs it
        loaded[data_dir] = load_mnist(data_dir, allow_download=False)
        warm_up_training(loaded[data_dir])
    try:
        while True:
            try:
                store, job_id, config, job_data_dir, extras = tasks.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent_pid:  # we were adopted: the server is gone
                    return
                continue
            _train_in_child(
                store, job_id, config, job_data_dir, extras, events, stop, parent_pid, loaded
            )
            events.put(("done", None))
            gc.collect()
    except _ServerGone:
        events.cancel_join_thread()  # nobody may be reading the queue any more


def warm_up_training(data) -> None:
    """Train a few batches and score a few images once, so that TensorFlow's one-time costs
    (its first compiled functions and kernels) are paid before the first real run."""
    from mnist_cnn.evaluation import evaluate
    from mnist_cnn.training import train

    config = TrainConfig(train_size=256, validation_size=0, epochs=1, batch_size=128)
    result = train(config, data)
    evaluate(result.model, data.test_images[:1000], data.test_labels[:1000])


def _train_in_child(
    store, job_id, config, data_dir, extras, events, stop, parent_pid, loaded
) -> None:
    """Train one job in the trainer process; an error fails the job, not the process."""
    from mnist_cnn.runs import run_job  # loads TensorFlow

    record = store.get(job_id)
    try:
        if data_dir not in loaded:
            loaded[data_dir] = load_mnist(data_dir)
        run_job(
            config, loaded[data_dir], record, [_SendProgress(events, parent_pid)], stop, *extras
        )
    except _ServerGone:
        record.status, record.error = Status.INTERRUPTED, "The server stopped during training."
        store.update(record)
        raise
    except Exception as error:
        record.status, record.error = Status.FAILED, f"{type(error).__name__}: {error}"[:2000]
        events.put(("error", record.error))
        with contextlib.suppress(OSError, ValueError):  # a full disk: the server records it
            store.update(record)
        traceback.print_exc()  # to the server's log
