"""A Dask cluster on 127.0.0.1 started with the README's commands, for the tests and the cluster
benchmark: `dask scheduler` and `dask worker … --nthreads 1 --preload mnist_cnn.jobs.worker`, each
its own process group, as on a real training machine.

    with LocalDaskCluster(workers=2) as cluster:
        jobs = ClusterJobs(store, cluster.address)
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

DASK = [sys.executable, "-m", "dask"]
LOOPBACK = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]


class LocalDaskCluster:
    def __init__(self, workers: int = 2, log_dir: str | os.PathLike | None = None):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        self.log_path = Path(log_dir or tempfile.mkdtemp()) / f"dask-{port}.log"
        self.processes: list[subprocess.Popen] = []
        self._start(DASK + ["scheduler", "--port", str(port)] + LOOPBACK)
        worker = ["worker", self.address, "--nthreads", "1", "--nworkers", str(workers)]
        self._start(DASK + worker + ["--preload", "mnist_cnn.jobs.worker"] + LOOPBACK)
        try:
            self.wait_for_workers(workers)
        except BaseException:
            self.stop()
            raise

    def _start(self, command: list[str]) -> None:
        with open(self.log_path, "ab") as log:
            self.processes.append(
                subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own group: kill() ends its workers too
                )
            )

    def wait_for_workers(self, count: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL every process of the cluster, as when its machine loses power."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, number: int) -> None:
        for process in reversed(self.processes):  # workers first, then the scheduler
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, number)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def __enter__(self) -> LocalDaskCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
