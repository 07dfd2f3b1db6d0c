"""What runs on a Dask worker (`dask worker ... --preload mnist_cnn.jobs.worker`): the task that
trains one run from the shared models folder, its live progress file and its heartbeat. The app
servers' side is jobs.cluster."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import threading
import time

from mnist_cnn.data import load_mnist
from mnist_cnn.jobs.base import Job, add_progress, warm_up_training
from mnist_cnn.jobs.runfiles import CANCELLED, CLAIM, LOST_WORKER, PROGRESS, RunFiles
from mnist_cnn.lifecycle import end_run, move
from mnist_cnn.progress import Progress, TrainingCallback
from mnist_cnn.request import TrainRequest
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelFileError, ModelStore

PROGRESS_EVERY = 0.5  # seconds between the worker's progress.json writes
HEARTBEAT_EVERY = 2.0  # seconds between the worker's heartbeats


class ProgressFile(TrainingCallback):
    """Collects the run's progress as the local back end does, and writes it to progress.json at
    most every PROGRESS_EVERY seconds and after every epoch."""

    def __init__(self, files: RunFiles, job: Job):
        self.files, self.job, self.written = files, job, 0.0

    def on_batch_end(self, progress: Progress) -> None:
        add_progress(self.job, "batch", progress)
        if time.monotonic() - self.written > PROGRESS_EVERY:
            self.write()

    def on_epoch_end(self, progress: Progress) -> None:
        add_progress(self.job, "epoch", progress)
        self.write()

    def write(self) -> None:
        job = self.job
        self.files.write(
            PROGRESS,
            {
                "started_at": job.started_at,
                "finished_at": job.finished_at,
                "first_eta": job.first_eta,
                "progress": dataclasses.asdict(job.progress) if job.progress else None,
                "batch_history": job.batch_history,
                "epoch_history": job.epoch_history,
            },
        )
        self.written = time.monotonic()


_MNIST_LOCK = threading.Lock()  # one reading of MNIST at a time (load_mnist keeps it)


def _mnist():
    """MNIST as this worker finds it (its MNIST_DATA_DIR, ./data/mnist, or a download)."""
    with _MNIST_LOCK:
        return load_mnist()


@contextlib.contextmanager
def _heartbeat(files: RunFiles):
    """Beat every HEARTBEAT_EVERY seconds while the run is this worker's."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_EVERY):
            with contextlib.suppress(OSError):
                files.beat()

    files.beat()
    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def train_on_worker(models_dir: str, run_id: str, request: TrainRequest) -> str:
    """The Dask task: train one run from the shared models folder; returns its status (or
    "already taken")."""
    from mnist_cnn.runs import run_job  # loads TensorFlow

    store = ModelStore(models_dir)
    files = RunFiles(store.root / run_id)
    if not files.claim(f"{socket.gethostname()} pid {os.getpid()}"):
        return _already_taken(store, files, run_id)
    record = store.get(run_id)
    job = Job(record.id, record.name, request.config, request.owner, started_at=time.time())
    progress = ProgressFile(files, job)
    with _heartbeat(files):
        move(record, Status.STARTING)
        store.update(record)
        progress.write()
        try:
            run_job(request, _mnist(), record, [progress], stop=files)
        except BaseException as error:  # MNIST missing here, say: the run says why
            if record.status.is_active:
                move(record, Status.FAILED, f"{type(error).__name__}: {error}")
                with contextlib.suppress(ModelFileError):
                    store.update(record)
            raise
        finally:
            job.finished_at = time.time()
            with contextlib.suppress(OSError):
                progress.write()
    return str(record.status)


def _already_taken(store: ModelStore, files: RunFiles, run_id: str) -> str:
    """The run was cancelled, or Dask gives it again because the worker training it was lost
    (killed, out of memory): then it fails, saying so, unless it ended meanwhile."""
    if files.text(CLAIM) != CANCELLED:
        end_run(store, run_id, Status.FAILED, LOST_WORKER)  # nothing if it is over, or gone
    return "already taken"


def dask_setup(worker) -> None:
    """`dask worker --preload mnist_cnn.jobs.worker`: load TensorFlow and MNIST and warm them up in
    the background as the worker starts, so that the first run trains at once."""

    def warm() -> None:
        from mnist_cnn.quiet import load_tensorflow

        with contextlib.suppress(Exception):  # a problem here is reported by the first run
            load_tensorflow()
            warm_up_training(_mnist())

    threading.Thread(target=warm, name="warm-up", daemon=True).start()
