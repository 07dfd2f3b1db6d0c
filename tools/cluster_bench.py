"""Cluster benchmark: `python -m tools.cluster_bench` prints, from one run on this machine, what
training on a Dask cluster costs and gains (README, Speed).

1. Overhead of one run: the time from submit to the run's end, less its training time (what
   is left is the same scoring on the test set and saving, plus what the back end adds), on this machine's back end (its warm trainer process) and on a Dask cluster (a warm
   worker, the run's state in the models folder), each after a warm-up run.
2. Throughput: runs per minute when RUNS runs are submitted at once to a cluster of one worker
   and to one of two workers.

The cluster runs on 127.0.0.1, started with the README's commands (tools/cluster.py: one thread
per worker, mnist_cnn.jobs.worker preloaded). Every figure comes from the runs' own
timestamps (submitted, finished), not from polling. On one machine the workers share its cores:
two workers on two cores cannot be twice as fast; on two machines they would be.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile

from mnist_cnn.config import PRESETS
from mnist_cnn.jobs import LocalJobs, TrainRequest
from mnist_cnn.jobs.cluster import ClusterJobs
from mnist_cnn.storage import ModelStore
from tools.cluster import LocalDaskCluster

CONFIG = PRESETS["quick"].replace(epochs=1)  # a real run of a few seconds
TIMEOUT = 600


def run_seconds(jobs, job_id: str) -> tuple[float, float, float]:
    """(submitted, finished, training seconds) of an ended run."""
    job = jobs.wait(job_id, TIMEOUT)
    if job.status != "finished":
        raise RuntimeError(f"a benchmark run ended {job.status}: {job.error}")
    record = jobs.store.get(job_id)
    return job.submitted_at, job.finished_at, record.train_seconds


def overheads(jobs, config, count: int) -> tuple[float, float]:
    """Medians of (seconds from submit to end beyond the run's own training, the training
    seconds themselves), over `count` runs in a row after a warm-up run."""
    run_seconds(jobs, jobs.submit(TrainRequest(config, "warm-up", "bench")).id)
    extra, trained = [], []
    for n in range(count):
        job = jobs.submit(TrainRequest(config, f"run {n}", "bench"))
        submitted, finished, seconds = run_seconds(jobs, job.id)
        extra.append(finished - submitted - seconds)
        trained.append(seconds)
    return statistics.median(extra), statistics.median(trained)


def throughput(config, workers: int, runs: int, models_dir: str) -> float:
    """Runs per minute for `runs` runs submitted at once to `workers` warm workers."""
    cluster = LocalDaskCluster(workers)
    jobs = ClusterJobs(ModelStore(f"{models_dir}/{workers}-workers"), cluster.address)
    try:
        warm = [jobs.submit(TrainRequest(config, "warm-up", "bench")) for _ in range(workers)]
        for job in warm:
            run_seconds(jobs, job.id)
        ids = [jobs.submit(TrainRequest(config, f"run {n}", "bench")).id for n in range(runs)]
        times = [run_seconds(jobs, job_id) for job_id in ids]
        first = min(submitted for submitted, _, _ in times)
        last = max(finished for _, finished, _ in times)
        return 60 * runs / (last - first)
    finally:
        jobs.close()
        cluster.stop()


def run(count: int, runs: int, tiny: bool) -> dict:
    config = CONFIG.replace(train_size=2000, validation_size=500) if tiny else CONFIG
    results = {"config": "quick, 1 epoch" + (" (tiny: 2,000 images)" if tiny else "")}
    with tempfile.TemporaryDirectory() as models_dir:
        print("1/2 overhead of one run: this machine, then a one-worker cluster…", file=sys.stderr)
        local = LocalJobs(ModelStore(f"{models_dir}/local"))
        local.warm_up()
        results["local_overhead"], results["local_train"] = overheads(local, config, count)
        cluster = LocalDaskCluster(1)
        try:
            jobs = ClusterJobs(ModelStore(f"{models_dir}/cluster"), cluster.address)
            results["cluster_overhead"], results["cluster_train"] = overheads(jobs, config, count)
            jobs.close()
        finally:
            cluster.stop()
        print(f"2/2 throughput: {runs} runs on one worker, then on two…", file=sys.stderr)
        results["one_worker_runs_per_minute"] = throughput(config, 1, runs, models_dir)
        results["two_workers_runs_per_minute"] = throughput(config, 2, runs, models_dir)
    results["throughput_ratio"] = (
        results["two_workers_runs_per_minute"] / results["one_worker_runs_per_minute"]
    )
    return results


def as_table(results: dict) -> str:
    return "\n".join(
        [
            f"Runs: {results['config']}",
            "",
            "| measurement | value |",
            "| --- | --- |",
            f"| one run, submit to end less its training: this machine / cluster | "
            f"{results['local_overhead']:.2f} s / {results['cluster_overhead']:.2f} s |",
            f"| the run's training time: this machine / cluster | "
            f"{results['local_train']:.2f} s / {results['cluster_train']:.2f} s |",
            f"| runs per minute: one worker / two workers | "
            f"{results['one_worker_runs_per_minute']:.1f} / "
            f"{results['two_workers_runs_per_minute']:.1f} "
            f"({results['throughput_ratio']:.2f}x) |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.cluster_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=6, help="runs for the throughput (6)")
    parser.add_argument("--repeat", type=int, default=3, help="runs for the overhead (3)")
    parser.add_argument("--tiny", action="store_true", help="small runs, to check it works")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    results = run(args.repeat, args.runs, args.tiny)
    print(json.dumps(results) if args.json else as_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
