"""The files in a cluster run's folder that say how its job goes, read and written by the app
servers and the Dask workers alike (their layout is in mnist_cnn.storage's docstring)."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from mnist_cnn.storage import write_json_atomic

JOB, CLAIM, PROGRESS, HEARTBEAT, STOP = "job.json", "claim", "progress.json", "heartbeat", "stop"
CANCELLED = "cancelled"  # what a Cancel writes in the claim file
LOST_WORKER = (
    "The worker training this run was lost (killed, out of memory, or its machine stopped). "
    "Start the run again."
)


class RunFiles:
    """One run's job files; also the run's `progress.StopSignal` on a worker."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def claim(self, who: str) -> bool:
        """Take the run, unless someone already has (an exclusive create: one winner)."""
        try:
            handle = os.open(self.directory / CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except (FileExistsError, FileNotFoundError):  # taken, or the run was deleted
            return False
        with os.fdopen(handle, "w") as file:
            file.write(who)
        return True

    def text(self, name: str) -> str | None:
        """A file's text (`claim`, `heartbeat`), or None if it is not there."""
        with contextlib.suppress(OSError):
            return (self.directory / name).read_text()
        return None

    def read(self, name: str) -> dict | None:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads((self.directory / name).read_text())
            return data if isinstance(data, dict) else None
        return None

    def write(self, name: str, data: dict) -> None:
        write_json_atomic(data, self.directory / name)

    def version(self) -> tuple | None:
        """What changes whenever the run's record or progress is written (files are replaced,
        never edited); None when this is no cluster run."""
        stamps = []
        for name in (JOB, "metadata.json", PROGRESS):
            try:
                stat = (self.directory / name).stat()
                stamps.append((stat.st_mtime_ns, stat.st_ino, stat.st_size))
            except OSError:
                if name == JOB:
                    return None
                stamps.append(None)
        return tuple(stamps)

    def beat(self) -> None:
        self.write(HEARTBEAT, {"at": time.time()})

    def request_stop(self) -> None:
        (self.directory / STOP).touch()

    def is_set(self) -> bool:
        """Stop was pressed (on any server): `train` asks this after every batch."""
        return (self.directory / STOP).exists()
