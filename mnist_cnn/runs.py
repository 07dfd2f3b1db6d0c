"""One training run from start to saved files: train, score on the test set, save, record.

Used by the CLI's `train` and by the web app's training jobs, so both save models the same way.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence

import numpy as np

from mnist_cnn.config import TrainConfig
from mnist_cnn.data import MnistData
from mnist_cnn.evaluation import evaluate
from mnist_cnn.model import parameter_count
from mnist_cnn.status import Status
from mnist_cnn.storage import (
    HOST,
    ModelFileError,
    ModelRecord,
    library_versions,
    save_model_file,
    write_metadata,
)
from mnist_cnn.training import TrainingCallback, TrainResult, train


def train_run(
    config: TrainConfig,
    data: MnistData,
    record: ModelRecord,
    callbacks: Sequence[TrainingCallback] = (),
    stop_event: threading.Event | None = None,
    extra_images: np.ndarray | None = None,
    extra_labels: np.ndarray | None = None,
) -> TrainResult:
    """Train, evaluate on the MNIST test set and save model.keras + metadata.json in the record's folder.

    The record's status goes running -> finished (or stopped, or failed with the error kept).
    The model file is replaced atomically, so a crash never leaves half a model behind. A full
    disk or a read-only folder raises ModelFileError and leaves the files there as they were.
    """
    record.status, record.error, record.pid, record.host = Status.RUNNING, None, os.getpid(), HOST
    record.config = config
    record.dataset_checksum = data.checksum
    record.versions = library_versions()
    try:
        write_metadata(record)
        result = train(config, data, callbacks, stop_event, extra_images, extra_labels)
        scores = evaluate(result.model, data.test_images, data.test_labels)
        record.history = result.history
        record.train_seconds = round(result.train_seconds, 2)
        record.precision = result.precision
        record.epochs_completed = result.epochs_completed
        record.test_accuracy, record.test_loss = scores.accuracy, scores.loss
        record.parameters = parameter_count(result.model)
        save_model_file(result.model, record)
        record.status = Status.STOPPED if result.stopped else Status.FINISHED
        write_metadata(record)
        return result
    except BaseException as error:
        record.status = Status.FAILED
        record.error = f"{type(error).__name__}: {error}"[:2000]
        with contextlib.suppress(ModelFileError):  # e.g. the disk is full: raise the first error
            write_metadata(record)
        raise
