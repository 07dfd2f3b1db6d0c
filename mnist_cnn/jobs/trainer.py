"""The local back end's trainer: one long-lived child process that has TensorFlow and MNIST
loaded and trains one run at a time.

It starts when the app serves its first page (`LocalJobs.warm_up`), imports TensorFlow, reads
MNIST and trains a few warm-up batches, then waits for runs, so a run starts training within a
moment of its Start. It runs at a lower priority, and a crash of it (or the out-of-memory
killer) fails only the run it was training: the server carries on and starts a new trainer for
the next run.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import traceback
import types
from dataclasses import dataclass

from mnist_cnn.data import load_mnist
from mnist_cnn.jobs.base import warm_up_training
from mnist_cnn.lifecycle import move
from mnist_cnn.progress import Progress, TrainingCallback
from mnist_cnn.request import TrainRequest
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelStore

_SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited


@dataclass(frozen=True)
class Task:
    """One run for the child: where to save it and what to train."""

    store: ModelStore
    job_id: str
    request: TrainRequest


class Trainer:
    """The child process and the queues to it. If it dies, the run it was training fails and
    the next run starts a new one. One Trainer serves every LocalJobs of the server (TRAINER).
    """

    def __init__(self, target=None):
        self.target = target  # the child's function; None: serve (tests put in their own)
        self.process = None
        self.tasks = self.events = None
        self.stop_event = _SPAWN.Event()  # set to stop the current run
        self.lock = threading.Lock()  # held while a run trains
        self.job_id: str | None = None  # the run it trains now
        self.stopping: set[str] = set()  # runs asked to stop, perhaps before they started

    def warm_up(self, data_dir: str | None = None) -> None:
        """Start the child process now, if it is not running and no run holds it."""
        if self.lock.acquire(blocking=False):
            try:
                self._start(data_dir)
            finally:
                self.lock.release()

    def _start(self, data_dir: str | None) -> None:
        if self.process is not None and self.process.is_alive():
            return
        self.tasks, self.events = _SPAWN.Queue(), _SPAWN.Queue()
        target = self.target or serve
        args = (self.tasks, self.events, self.stop_event, os.getpid(), data_dir)
        self.process = _SPAWN.Process(target=target, args=args, daemon=True, name="trainer")
        with _without_main_script():
            self.process.start()

    def stop(self, job_id: str) -> None:
        """Stop the run within one batch once it trains (its model so far is saved)."""
        self.stopping.add(job_id)
        if self.job_id == job_id:
            self.stop_event.set()

    def train(self, task: Task, report, data_dir: str | None) -> tuple[str | None, int | None]:
        """Train one run in the child; `report(kind, progress)` gets its progress. `data_dir`:
        MNIST for a child that has to be started. Returns (what the child said went wrong, its
        exit code if it died)."""
        with self.lock:
            self._start(data_dir)
            self.stop_event.clear()
            self.job_id = task.job_id
            if task.job_id in self.stopping:
                self.stop_event.set()
            try:
                self.tasks.put(task)
                return self._follow(report)
            finally:
                self.job_id = None
                self.stopping.discard(task.job_id)

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


def ended_unexpectedly(code: int | None) -> str:
    """What a run says when the trainer died under it with this exit code."""
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


@dataclass
class _Link:
    """The child's line to the server: progress out, the stop signal in."""

    events: object  # a multiprocessing Queue
    stop: object  # a multiprocessing Event
    parent_pid: int

    def check_server(self) -> None:
        if os.getppid() != self.parent_pid:  # we were adopted: the server is gone
            raise _ServerGone


class _SendProgress(TrainingCallback):
    def __init__(self, link: _Link):
        self.link = link

    def on_batch_end(self, progress: Progress) -> None:
        self.link.check_server()
        self.link.events.put(("batch", progress))

    def on_epoch_end(self, progress: Progress) -> None:
        self.link.events.put(("epoch", progress))


def serve(tasks, events, stop, parent_pid: int, data_dir: str | None) -> None:
    """The trainer process: load TensorFlow and MNIST once, then train the runs it is sent, one
    at a time, until the server is gone."""
    with contextlib.suppress(OSError):
        os.nice(10)  # the server's predictions come first
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the server, which then ends us
    signal.signal(signal.SIGTERM, _quit)  # how the server ends us when it shuts down
    link = _Link(events, stop, parent_pid)
    with contextlib.suppress(Exception):  # a failure here is reported with the first run
        # read from files only: a download waits for a run that needs it
        data = load_mnist(data_dir, allow_download=False)
        if tasks.empty():  # a run already waiting pays TensorFlow's first costs itself
            warm_up_training(data)
    try:
        while True:
            try:
                task = tasks.get(timeout=1.0)
            except queue.Empty:
                link.check_server()
                continue
            _train_in_child(task, link)
            events.put(("done", None))
            gc.collect()
    except _ServerGone:
        events.cancel_join_thread()  # nobody may be reading the queue any more


def _train_in_child(task: Task, link: _Link) -> None:
    """Train one run in the trainer process; an error fails the run, not the process."""
    from mnist_cnn.runs import run_job  # loads TensorFlow

    store, request = task.store, task.request
    record = store.get(task.job_id)
    try:
        data = load_mnist(request.data_dir)
        run_job(request, data, record, [_SendProgress(link)], link.stop)
    except _ServerGone:
        if record.status.is_active:  # before training began (train_run marks it otherwise)
            move(record, Status.INTERRUPTED, "The server stopped before this run trained.")
            store.update(record)
        raise
    except Exception as error:
        if record.status.is_active:  # before training began: MNIST is missing, say
            move(record, Status.FAILED, f"{type(error).__name__}: {error}"[:2000])
        link.events.put(("error", record.error))
        with contextlib.suppress(OSError, ValueError):  # a full disk: the server records it
            store.update(record)
        traceback.print_exc()  # to the server's log
