"""One training run from start to saved files: train, score on the test set, save, record.

Used by the CLI's `train` and `finetune` and by both job back ends, so every run is saved the
same way. A request that names a model to fine-tune (`TrainRequest.fine_tune`) fine-tunes it on
the class's drawings instead of training a new network (see `run_job`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

from mnist_cnn.classdata import ClassDigits, accuracy
from mnist_cnn.data import MnistData
from mnist_cnn.evaluation import evaluate
from mnist_cnn.finetune import finetune
from mnist_cnn.lifecycle import move
from mnist_cnn.model import parameter_count
from mnist_cnn.progress import StopSignal
from mnist_cnn.request import TrainRequest
from mnist_cnn.status import Status
from mnist_cnn.storage import (
    HOST,
    MAX_NAME_LENGTH,
    SHIPPED_ID,
    ModelFileError,
    ModelRecord,
    ModelStore,
    library_versions,
    load_model_file,
    save_model_file,
    write_metadata,
)
from mnist_cnn.training import TrainingCallback, TrainResult, train

INTERRUPTED = (
    "Training was interrupted: the process training it was ended (Ctrl+C, or the server stopped)."
)
FINETUNE_SUFFIX = " + class handwriting"  # a fine-tuned model's name: its base's, and this
NO_CLASS_DRAWINGS = (
    "There are no class drawings to learn from: save some on the Draw page (or with "
    "`python -m mnist_cnn class add`) first."
)


def run_job(
    request: TrainRequest,
    data: MnistData,
    record: ModelRecord,
    callbacks: Sequence[TrainingCallback] = (),
    stop: StopSignal | None = None,
) -> TrainResult:
    """What a job back end runs: a fine-tune when the request names a model to fine-tune, else
    a new training (train_run)."""
    if request.fine_tune:
        return finetune_run(request, data, record, callbacks, stop)
    return train_run(request, data, record, callbacks, stop)


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
    return _record_training(
        record,
        request,
        data,
        lambda: train(
            request.config,
            data,
            callbacks,
            stop,
            *request.extras,
            handwriting_dir=request.handwriting_dir,
        ),
    )


def _record_training(
    record: ModelRecord, request: TrainRequest, data: MnistData, train_model
) -> TrainResult:
    """What every run does around its training (`train_model()`, which returns a
    TrainResult): running -> finished or stopped, scored on the MNIST test set, its model and
    metadata saved; failed (or interrupted) with the error kept if anything raises."""
    move(record, Status.RUNNING)
    record.pid, record.host = os.getpid(), HOST
    record.config = request.config
    record.dataset_checksum = data.checksum
    record.versions = library_versions()
    try:
        write_metadata(record)
        result = train_model()
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


def finetune_name(base_name: str) -> str:
    """The name of a fine-tuned model: "quick" -> "quick + class handwriting", shortened to fit."""
    room = MAX_NAME_LENGTH - len(FINETUNE_SUFFIX)
    short = base_name if len(base_name) <= room else base_name[: room - 1] + "…"
    return short + FINETUNE_SUFFIX


def finetune_request(base: ModelRecord, class_dir, model_path=None) -> dict:
    """What a fine-tune's record keeps in `fine_tune` before it runs: its base model (the
    record's model file, or `model_path`) and the class's drawings folder. The figures are
    added when it ends (see finetune_run)."""
    path = Path(model_path) if model_path else base.model_path
    if not path.is_file():
        raise ModelFileError(f"{base.name} has no trained model to fine-tune. Received: {path}")
    if not ClassDigits(class_dir).entries("train"):
        raise ValueError(NO_CLASS_DRAWINGS + f" Received: 0 training drawings in {class_dir}")
    return {
        "base_model_id": base.id,
        "base_model_name": base.name,
        "base_model_path": str(path),
        "class_dir": str(class_dir),
    }


def base_model_path(details: dict) -> Path:
    """Where the model a fine-tune starts from is, here: the path its request names, or, for the
    shipped model when that path is not here, this machine's own copy (a cluster worker's
    checkout may live in another folder than the app server's)."""
    path = Path(details["base_model_path"])
    if not path.is_file() and details.get("base_model_id") == SHIPPED_ID:
        return ModelStore().shipped().model_path
    return path


def finetune_run(
    request: TrainRequest,
    data: MnistData,
    record: ModelRecord,
    callbacks: Sequence[TrainingCallback] = (),
    stop: StopSignal | None = None,
    held_out_writers: tuple[str, ...] | None = None,
) -> TrainResult:
    """Fine-tune the model `request.fine_tune` names on the class's training drawings, score it
    on the held-out ones and the MNIST test set, and save it in the record's folder (the
    record's status changes as train_run's do).

    record.fine_tune gets request.fine_tune (see finetune_request) and: class_drawings and
    held_out_drawings (how many), held_out_before and held_out_after (accuracy on the held-out
    drawings; None when there are none), mnist_before (the base's MNIST test accuracy) and
    seconds (all of it up to the trained model, preparing the mixed-in images included;
    train_seconds is the training alone). held_out_writers: pen-written digits not to mix in (default:
    handwriting.HELD_OUT_WRITERS).
    """
    started = time.perf_counter()
    details = dict(request.fine_tune)
    record.fine_tune = details

    def fine_tune_model() -> TrainResult:
        model = load_model_file(base_model_path(details))
        class_digits = ClassDigits(details["class_dir"])
        training, held_out = class_digits.entries("train"), class_digits.entries("held_out")
        details["class_drawings"], details["held_out_drawings"] = len(training), len(held_out)
        details["held_out_before"] = accuracy(model, held_out)
        details["mnist_before"] = evaluate(model, data.test_images, data.test_labels).accuracy
        result = finetune(
            model,
            request.config,
            *class_digits.arrays("train"),
            data,
            callbacks,
            stop,
            request.handwriting_dir,
            *([held_out_writers] if held_out_writers else []),
        )
        details["held_out_after"] = accuracy(result.model, held_out)
        details["seconds"] = round(time.perf_counter() - started, 2)
        return result

    return _record_training(record, request, data, fine_tune_model)
