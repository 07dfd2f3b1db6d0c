"""Training on a Dask cluster: for a school with a training machine or several app servers.

With `MNIST_CNN_CLUSTER=tcp://host:8786` (the scheduler's address) the app and the CLI hand each
training run to a Dask cluster through `ClusterJobs`, a `jobs.base.JobBackend` like the local
one. Dask is an optional dependency: `pip install -r requirements-cluster.txt`. Each worker
trains one run at a time (start it with `--nthreads 1`, one worker per GPU) and keeps TensorFlow
and MNIST loaded between runs (`--preload mnist_cnn.jobs.worker`, which holds what runs there).

Nothing a page shows lives in one server's memory: the shared models folder holds it, so every
app server pointed at the same folder and cluster shows the same runs, queue and progress. Each
run's folder says how its job goes (job.json, claim, progress.json, heartbeat, stop: see
mnist_cnn.storage's docstring; jobs.runfiles reads and writes them).

A killed worker is seen by Dask, which gives the run to another worker; that one finds the run
claimed but unfinished and records it as failed because its worker was lost. A run whose
heartbeat stops (the whole cluster went down) is marked interrupted by any app server after
STALE_AFTER seconds, and so is a queued run that old which the scheduler does not know (it was
restarted, or cannot be reached).
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
import time

from mnist_cnn.config import TrainConfig
from mnist_cnn.jobs.base import Job
from mnist_cnn.jobs.runfiles import CANCELLED, HEARTBEAT, JOB, LOST_WORKER, PROGRESS, RunFiles
from mnist_cnn.lifecycle import end_run
from mnist_cnn.progress import Progress
from mnist_cnn.request import TrainRequest
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelFileError, ModelStore

__all__ = ["LOST_WORKER", "ClusterJobs", "ClusterUnavailable", "RunFiles"]

INSTALL = "pip install -r requirements-cluster.txt"
CONNECT_TIMEOUT = 5  # seconds to reach the scheduler before Start says the cluster is down
STALE_AFTER = 30.0  # seconds without a heartbeat before a server marks a run interrupted
CHECK_EVERY = 5.0  # seconds between a server's checks of the runs on the cluster
REFRESH_EVERY = 0.5  # the pages see the shared folder at most this much late


class ClusterUnavailable(ConnectionError):
    """The cluster cannot take runs now: Dask is missing, or its scheduler does not answer."""


class ClusterJobs:
    """The job back end on a Dask cluster (a `jobs.base.JobBackend`), with everything kept in
    the shared models folder (see the module docstring)."""

    trains_here = False  # the workers train, and read MNIST from their own environment
    address: str  # the scheduler's

    def __init__(self, store: ModelStore, address: str, stale_after: float = STALE_AFTER):
        self.store, self.address, self.stale_after = store, address, stale_after
        self._client = None
        self._lock = threading.RLock()  # guards everything below
        self._futures: dict = {}  # run id -> Dask future, for the runs this server submitted
        self._seen: tuple[float, list[Job]] = (-1e9, [])  # (monotonic time, every job)
        self._read: dict[str, tuple] = {}  # run id -> (its files' version, its Job as read)
        self._beats: dict[str, tuple] = {}  # run id -> (heartbeat, monotonic time it changed)
        self._checker: threading.Thread | None = None
        self._connecting = threading.Lock()  # held while connecting, which may take seconds

    # --- the cluster ---
    def client(self):
        """The Dask client, connected on first use; ClusterUnavailable says why it cannot be."""
        with self._connecting:  # not self._lock: the pages read on meanwhile
            if self._client is not None and self._client.status == "running":
                return self._client
            try:
                from distributed import Client
            except ImportError as error:
                raise ClusterUnavailable(
                    f"MNIST_CNN_CLUSTER is set ({self.address}), but Dask is not installed "
                    f"here: {INSTALL}"
                ) from error
            try:
                self._client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as error:
                raise ClusterUnavailable(
                    f"The training cluster at {self.address} does not answer ({error}). Start "
                    "its scheduler and a worker (README: Beyond one laptop), or unset "
                    "MNIST_CNN_CLUSTER to train on this machine."
                ) from error
            return self._client

    def warm_up(self) -> None:
        """Start checking the cluster's runs in the background (the pages call this)."""
        with self._lock:
            if self._checker is None:
                self._checker = threading.Thread(
                    target=self._check_forever, name="cluster-runs", daemon=True
                )
                self._checker.start()

    def close(self) -> None:
        with self._connecting:
            if self._client is not None:
                self._client.close()
                self._client = None

    # --- what the pages and the CLI call ---
    def submit(self, request: TrainRequest) -> Job:
        """Record a new run (queued, listed at once on every server) and send it to the
        cluster; returns its Job. Raises ClusterUnavailable, and records nothing, when the
        cluster cannot take it. The workers read MNIST and the pen-written digits from their
        own environment, so the request names no folder."""
        if request.data_dir or request.handwriting_dir:
            raise ValueError(
                "On a cluster each worker reads MNIST_DATA_DIR and MNIST_CNN_HANDWRITING_DIR from "
                f"its own environment. Received: data_dir={request.data_dir!r}, "
                f"handwriting_dir={request.handwriting_dir!r}"
            )
        client = self.client()  # first: it says so when Dask is not installed
        from distributed import fire_and_forget

        from mnist_cnn.jobs.worker import train_on_worker

        self.warm_up()
        record = self.store.new_run(request.name, request.config, status=Status.QUEUED)
        record.fine_tune = request.fine_tune
        record.host = self.address  # the cluster's, not this server's: see LocalJobs.recover
        self.store.update(record)
        RunFiles(record.directory).write(JOB, {"owner": request.owner, "submitted_at": time.time()})
        try:
            future = client.submit(
                train_on_worker,
                str(self.store.root),
                record.id,
                request,
                key=f"train-{record.id}",
                pure=False,
            )
        except Exception as error:  # the scheduler went away just now
            shutil.rmtree(record.directory, ignore_errors=True)
            raise ClusterUnavailable(
                f"The training cluster did not take the run: {error}"
            ) from error
        fire_and_forget(future)  # it trains even if this server stops
        future.add_done_callback(self._task_ended)
        with self._lock:
            self._futures[record.id] = future
            self._forget()
        return self.get(record.id)

    def cancel(self, job_id: str) -> bool:
        """Drop a queued run and its folder. False if it is not queued (any more)."""
        if self._status(job_id) != Status.QUEUED:
            return False
        if not RunFiles(self.store.root / job_id).claim(CANCELLED):
            return False  # a worker took it a moment ago: stop it instead
        with self._lock:
            future = self._futures.pop(job_id, None)
            self._forget()
        if future is not None:
            with contextlib.suppress(Exception):
                future.cancel()
        shutil.rmtree(self.store.root / job_id, ignore_errors=True)
        return True

    def stop(self, job_id: str) -> bool:
        """Stop a run within one batch (its model so far is saved), or cancel it if queued."""
        if self.cancel(job_id):
            return True
        if self._status(job_id) not in (Status.STARTING, Status.RUNNING):
            return False
        RunFiles(self.store.root / job_id).request_stop()
        return True

    def _forget(self) -> None:
        """Read the folder again at the next look (the lock is held)."""
        self._seen = (-1e9, [])

    def _status(self, job_id: str) -> Status | None:
        """The run's status as its folder says now (not as last read)."""
        try:
            return self.store.get(job_id).status
        except ModelFileError:
            return None

    def get(self, job_id: str) -> Job | None:
        return next((job for job in self.jobs() if job.id == job_id), None)

    def running(self) -> list[Job]:
        """The runs starting or training now, on any worker, first submitted first."""
        active = (Status.STARTING, Status.RUNNING)
        return [job for job in reversed(self.jobs()) if job.status in active]

    def queued(self) -> list[Job]:
        return [job for job in reversed(self.jobs()) if job.status == Status.QUEUED]

    def jobs(self) -> list[Job]:
        """Every run submitted to the cluster with this models folder, newest first."""
        with self._lock:
            seen_at, jobs = self._seen
            if time.monotonic() - seen_at > REFRESH_EVERY:
                jobs = self._read_jobs()
                self._seen = (time.monotonic(), jobs)
            return [dataclasses.replace(job) for job in jobs]

    def wait(self, job_id: str, timeout: float) -> Job:
        """Block until the run is over; raise TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None:  # cancelled: its folder is gone
                raise KeyError(f"No run {job_id} on the cluster (cancelled?).")
            if not job.status.is_active:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"Job {job_id} is still {job.status}.")
            time.sleep(0.2)

    # --- reading the shared folder ---
    def _read_jobs(self) -> list[Job]:
        """Every cluster run in the folder; a run whose files have not changed since the last
        look is not read again (a class's finished runs, with their long curves)."""
        jobs = []
        if not self.store.root.is_dir():
            return jobs
        for directory in sorted(self.store.root.iterdir(), reverse=True):
            files = RunFiles(directory)
            version = files.version()
            if version is None:
                continue  # not a cluster run (or not a run at all)
            known = self._read.get(directory.name)
            job = known[1] if known and known[0] == version else self._read_job(files)
            if job is None:
                continue
            self._read[directory.name] = (version, job)
            jobs.append(dataclasses.replace(job))
        jobs.sort(key=lambda job: job.submitted_at, reverse=True)
        waiting = [job for job in reversed(jobs) if job.status == Status.QUEUED]
        for position, job in enumerate(waiting, start=1):
            job.queue_position = position
        return jobs

    def _read_job(self, files: RunFiles) -> Job | None:
        submitted = files.read(JOB)
        try:
            record = self.store.get(files.directory.name)
        except ModelFileError:
            return None
        if submitted is None:
            return None
        progress = files.read(PROGRESS) or {}
        status = record.status
        if status == Status.RUNNING and not progress.get("progress"):
            status = Status.STARTING  # as on this machine: running once it trains
        job = Job(
            record.id,
            record.name,
            record.config or TrainConfig(),
            str(submitted.get("owner", "")),
            status=status,
            submitted_at=float(submitted.get("submitted_at", 0.0)),
            error=record.error,
            test_accuracy=record.test_accuracy,
        )
        _read_progress(job, progress)
        job.finished_at = job.finished_at or record.finished_at  # interrupted: no worker wrote it
        return job

    # --- noticing runs that will never end by themselves ---
    def _task_ended(self, future) -> None:
        """A Dask task ended (in Dask's thread). A task that raised before the run could say
        so, or whose workers kept dying (Dask's KilledWorker), fails its run here."""
        run_id = str(future.key).removeprefix("train-")
        with self._lock:
            self._futures.pop(run_id, None)
        if future.status != "error":
            return
        with contextlib.suppress(Exception):
            error = future.exception()
            killed = type(error).__name__ == "KilledWorker"
            why = LOST_WORKER if killed else f"{type(error).__name__}: {error}"
            end_run(self.store, run_id, Status.FAILED, why)

    def _check_forever(self) -> None:
        while True:
            time.sleep(CHECK_EVERY)
            with contextlib.suppress(Exception):  # a bad moment; the next check tries again
                self.check()

    def check(self) -> list[str]:
        """Mark as interrupted the runs that will not end by themselves: a running run whose
        heartbeat has not changed for `stale_after` seconds (its worker or the cluster is
        gone), and a queued run the scheduler does not know (it was restarted, or is gone).
        Any server may do this; returns the ids it marked."""
        now, marked = time.monotonic(), []
        jobs = self._read_jobs()
        for job in jobs:
            if job.status not in (Status.STARTING, Status.RUNNING):
                self._beats.pop(job.id, None)
                continue
            beat = RunFiles(self.store.root / job.id).text(HEARTBEAT)
            last = self._beats.get(job.id)
            if last is None or last[0] != beat:
                self._beats[job.id] = (beat, now)
            elif now - last[1] > self.stale_after:
                why = "The training worker stopped answering (the cluster or its worker stopped)."
                if self._interrupt(job.id, why):
                    marked.append(job.id)
        waiting = [job for job in jobs if job.status == Status.QUEUED]
        old = [job for job in waiting if time.time() - job.submitted_at > self.stale_after]
        if old:
            try:
                keys = [f"train-{job.id}" for job in old]
                known = self.client().run_on_scheduler(_known_keys, keys)
            except ClusterUnavailable:
                known = []  # the cluster is gone: its queue with it
            for job in old:
                if f"train-{job.id}" not in known:
                    why = "The training cluster was stopped before this run started."
                    if self._interrupt(job.id, why):
                        marked.append(job.id)
        if marked:
            with self._lock:
                self._forget()
        return marked

    def _interrupt(self, run_id: str, why: str) -> bool:
        return end_run(self.store, run_id, Status.INTERRUPTED, why)


def _known_keys(keys: list[str], dask_scheduler=None) -> list[str]:
    """Runs on the scheduler: which of these tasks it still has."""
    return [key for key in keys if key in dask_scheduler.tasks]


_known_keys.__module__ = "__main__"  # sent by value: the scheduler need not have mnist_cnn


def _read_progress(job: Job, data: dict) -> None:
    """Fill a Job from a progress.json."""
    with contextlib.suppress(TypeError, ValueError):
        job.started_at = data.get("started_at")
        job.finished_at = data.get("finished_at")
        job.first_eta = data.get("first_eta")
        job.progress = Progress(**data["progress"]) if data.get("progress") else None
        job.batch_history = [tuple(point) for point in data.get("batch_history", [])]
        job.epoch_history = list(data.get("epoch_history", []))
