"""Training jobs for the web app and the CLI: submit, watch, stop and cancel training runs.

One interface, `JobBackend` (jobs.base), two back ends:

    local.py     LocalJobs: this machine, one run at a time in a warm trainer process (trainer.py)
    cluster.py   ClusterJobs: a Dask cluster; the workers run worker.py, state in the shared
                 models folder (runfiles.py)

`open_jobs()` picks one: the cluster when MNIST_CNN_CLUSTER names its scheduler, else this
machine. Every run is asked for with a `TrainRequest` (mnist_cnn.request), and its status
changes only through mnist_cnn.lifecycle.
"""

from __future__ import annotations

from mnist_cnn.jobs.base import Job, JobBackend
from mnist_cnn.jobs.local import LocalJobs
from mnist_cnn.request import TrainRequest
from mnist_cnn.settings import cluster_address
from mnist_cnn.storage import ModelStore

__all__ = ["Job", "JobBackend", "LocalJobs", "TrainRequest", "open_jobs"]


def open_jobs(
    store: ModelStore, data_dir: str | None = None, cluster: str | None = None
) -> JobBackend:
    """The job back end: a Dask cluster when `cluster` (else MNIST_CNN_CLUSTER) gives its
    scheduler's address, else this machine (reading MNIST from `data_dir`, else where
    mnist_cnn.data finds it). Connecting waits for the first submit, so pages that only read
    runs work while the cluster is down."""
    address = cluster_address(cluster)
    if address:
        from mnist_cnn.jobs.cluster import ClusterJobs  # Dask only where it is used

        return ClusterJobs(store, address)
    return LocalJobs(store, data_dir)
