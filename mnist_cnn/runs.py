"""One training run from start to saved files: train, score on the test set, save, record.

Used by the CLI's `train` and by both job back ends, so every run is saved the same way.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from mnist_cnn.data import MnistData
from mnist_cnn.evaluation import evaluate
from mnist_cnn.lifecycle import move
from mnist_cnn.model import parameter_count
from mnist_cnn.progress import StopSignal
from mnist_cnn.request import TrainRequest
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

INTERRUPTED = (
    "Training was interrupted: the process training it was ended (Ctrl+C, or the server stopped)."
)


def train_run(
    request: TrainRequest,
    data: MnistData,
    record: ModelRecord,
    callbacks: Sequence[TrainingCallback] = (),
    stop: StopSignal | None = None,
) -> TrainResult:
    """Train as `request` asks, evaluate on the MNIST test set and save model.keras +
    metadata.json in the record's folder (storage's docstring has the folder's layout).

    The record (queued or starting) goes running -> finished (or stopped, or failed with the
    error kept; interrupted if its process is ended). The model file is replaced atomically, so a crash never leaves half a model
    behind. A full disk or a read-only folder raises ModelFileError and leaves the files there
    as they were.
    """
    move(record, Status.RUNNING)
    record.pid, record.host = os.getpid(), HOST
    record.config = request.config
    record.dataset_checksum = data.checksum
    record.versions = library_versions()
    try:
        write_metadata(record)
        result = train(request.config, data, callbacks, stop, *request.extras,
                       handwriting_dir=request.handwriting_dir)  # fmt: skip
        scores = evaluate(result.model, data.test_images, data.test_labels)
        record.history = result.history
        record.train_seconds = round(result.train_seconds, 2)
        record.precision = result.precision
        record.epochs_completed = result.epochs_completed
        record.test_accuracy, record.test_loss = scores.accuracy, scores.loss
        record.parameters = parameter_count(result.model)
        save_model_file(result.model, record)
        move(record, Status.STOPPED if result.stopped else Status.FINISHED)
        write_metadata(record)
        return result
    except BaseException as error:
        if isinstance(error, Exception):
            move(record, Status.FAILED, f"{type(error).__name__}: {error}"[:2000])
        else:  # Ctrl+C, or the process is being ended (the server stopped: see jobs.trainer)
            move(record, Status.INTERRUPTED, INTERRUPTED)
        with contextlib.suppress(ModelFileError):  # the disk is full: raise the first error
            write_metadata(record)
        raise
