"""The local back end: training on this machine, one run at a time, a queue for the rest.

A worker thread in the server hands the queued runs to the trainer process (jobs.trainer) one
after another, reads their progress, and keeps a `Job` per run that any page can read. Runs
are saved by `runs.run_job` (a training or a fine-tune), exactly like the CLI's. It never changes which model is active.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import threading
import time

from mnist_cnn.jobs.base import Job, add_progress
from mnist_cnn.jobs.trainer import TRAINER, Task, Trainer, ended_unexpectedly
from mnist_cnn.lifecycle import move
from mnist_cnn.progress import Progress
from mnist_cnn.request import TrainRequest
from mnist_cnn.status import Status
from mnist_cnn.storage import HOST, ModelStore


class LocalJobs:
    """This server's trainer process, one run at a time (a `jobs.base.JobBackend`)."""

    trains_here = True
    address = ""

    def __init__(
        self, store: ModelStore, data_dir: str | None = None, trainer: Trainer | None = None
    ):
        self.store = store
        self.data_dir = data_dir  # MNIST for requests that name none (None: mnist_cnn.data's)
        self.trainer = trainer or TRAINER
        self._lock = threading.Condition()  # guards everything below
        self._jobs: dict[str, Job] = {}  # every job of this server's lifetime, oldest first
        self._waiting: list[str] = []  # ids of queued jobs, first in first out
        self._requests: dict[str, TrainRequest] = {}  # the requests of queued jobs
        self._current: str | None = None  # id of the starting or running job
        self._worker: threading.Thread | None = None
        self.recover()

    def recover(self) -> list[str]:
        """Mark runs left queued or running by a server process of this machine that is gone as
        interrupted. Runs on a cluster are not this server's to judge (see jobs.cluster)."""
        fixed = []
        for record in self.store.list():
            ours = record.host in (None, HOST)  # not a cluster's, nor another machine's
            if record.status.is_active and ours and not _alive(record.pid):
                move(record, Status.INTERRUPTED, "The server stopped before this run finished.")
                self.store.update(record)
                fixed.append(record.id)
        return fixed

    # --- what the pages call ---
    def warm_up(self) -> None:
        """Start the trainer process now, so that the first Start trains at once."""
        self.trainer.warm_up(self.data_dir)

    def close(self) -> None:
        """Nothing to let go: the trainer serves the whole server (Trainer.close ends it)."""

    def submit(self, request: TrainRequest) -> Job:
        """Record a new run (queued, listed at once) and queue it; returns its Job."""
        if self.data_dir and not request.data_dir:
            request = dataclasses.replace(request, data_dir=self.data_dir)
        record = self.store.new_run(request.name, request.config, status=Status.QUEUED)
        record.fine_tune = request.fine_tune
        record.pid, record.host = os.getpid(), HOST  # this server's until its child starts
        self.store.update(record)
        job = Job(record.id, record.name, request.config, request.owner, submitted_at=time.time())
        with self._lock:
            self._jobs[job.id] = job
            self._waiting.append(job.id)
            self._requests[job.id] = request
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
            del self._requests[job_id]
            self._end(job_id, Status.CANCELLED)
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
            while self._jobs[job_id].status.is_active:
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
                move(job, Status.STARTING)
                job.started_at = time.time()
                request = self._requests.pop(job_id)
            try:
                record = self.store.get(job_id)
                move(record, Status.STARTING)  # so the runs list says so too
                self.store.update(record)
                status, error, accuracy = self._run_child(job, request)
            except Exception as problem:  # e.g. no process could start; the worker carries on
                status, error, accuracy = (
                    Status.FAILED,
                    f"{type(problem).__name__}: {problem}",
                    None,
                )
                with contextlib.suppress(Exception):  # the record may be unusable too
                    record = self.store.get(job_id)
                    move(record, Status.FAILED, error)
                    self.store.update(record)
            with self._lock:
                job.test_accuracy, self._current = accuracy, None
                self._end(job_id, status, error)

    def _run_child(
        self, job: Job, request: TrainRequest
    ) -> tuple[Status, str | None, float | None]:
        """Train in the trainer process, following its progress; return (status, error,
        accuracy)."""

        def report(kind: str, progress: Progress) -> None:
            with self._lock:
                add_progress(job, kind, progress)

        task = Task(self.store, job.id, request)
        child_error, exit_code = self.trainer.train(task, report, self.data_dir)
        record = self.store.get(job.id)
        if record.status.is_active:  # the trainer died, or could not write (disk full)
            move(record, Status.FAILED, child_error or ended_unexpectedly(exit_code))
            with contextlib.suppress(OSError, ValueError):  # the job says why all the same
                self.store.update(record)
        return record.status, record.error, record.test_accuracy

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

    def _end(self, job_id: str, status: Status, error: str | None = None) -> None:
        move(self._jobs[job_id], status, error)
        self._lock.notify_all()  # wakes wait()


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
