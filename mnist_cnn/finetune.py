"""Fine-tuning: a trained network learns a class's own handwriting in seconds.

The class's training drawings (mnist_cnn.classdata: every drawing but the held-out fifth) are
mixed into every batch with MNIST images, the training writers' pen-written digits and, for a
network with a "not a digit" output, drawn marks, so that it learns the class's hand without
forgetting everybody else's. All layers keep learning, with small steps; every image is varied
(moved, turned, re-inked) as in training, so a few drawings per digit are not learned by heart.
The network keeps its outputs (an 11th, "not a digit", stays).

Like `training.train`, it takes callbacks (`on_batch_end`, `on_epoch_end`) and a stop event, so
it runs as a job with live progress and Stop.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.config import TrainConfig
from mnist_cnn.data import MnistData, as_uint8
from mnist_cnn.handwriting import (
    HELD_OUT_WRITERS,
    NOT_A_DIGIT,
    HandwritingMissing,
    extra_training_data,
)
from mnist_cnn.progress import Progress, TrainingCallback
from mnist_cnn.training import TrainResult, make_train_step, split_training_data

STEPS = 150  # gradient steps: a few seconds, less than a `quick` run
BATCH_SIZE = 128
CLASS_PER_DIGIT = 3  # of each batch, places for each label the class's drawings hold (30 for
# all ten digits: about a quarter; see class_batch)
LEARNING_RATE = 5e-4  # the first step size, decaying to zero by the last step
MNIST_SAMPLE = 10_000  # MNIST training images mixed in
OTHERS_SHARE = 0.05  # the share of the pen-written digits and marks training uses, mixed in
EPOCHS = 3  # progress is reported in this many rounds, each of STEPS / EPOCHS steps


def class_batch(class_labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The class's drawings in one batch, as indices into class_labels: CLASS_PER_DIGIT places
    for each label they hold, each filled with one of that label's drawings at random.

    A class often saves only what the model got wrong (say one student's 1s), and more of some
    digits than of others. Places per label, not per drawing, keep the batch's digits balanced:
    when four 1s filled a quarter of every batch, the network learned that much more is a 1 (13
    of 40 ordinary 7s were read as 1 afterwards); with three places it learns those 1s and
    keeps reading 7s.
    """
    return np.concatenate(
        [
            rng.choice(np.flatnonzero(class_labels == label), CLASS_PER_DIGIT)
            for label in np.unique(class_labels)
        ]
    )


def finetune(
    model: keras.Model,
    config: TrainConfig,
    class_images: np.ndarray,
    class_labels: np.ndarray,
    data: MnistData,
    callbacks: Sequence[TrainingCallback] = (),
    stop_event: threading.Event | None = None,
    handwriting_directory=None,
    held_out_writers: tuple[str, ...] = HELD_OUT_WRITERS,
) -> TrainResult:
    """Fine-tune `model` (changed in place, and returned in the result) on the class's drawings.

    config: the network's hyperparameters (its augmentation settings vary the images; the
    variation is always on). class_images: (N, 28, 28), uint8 or floats in [0, 1] (as
    `preprocess` gives); class_labels: digits 0-9 and, for a network with 11 outputs,
    NOT_A_DIGIT. Drawings labelled NOT_A_DIGIT are left out for a network without that output.
    held_out_writers: pen-written digits never mixed in (those the network was not trained on:
    see handwriting.split_by_writer).
    """
    outputs = int(model.outputs[0].shape[-1])
    class_images = as_uint8(np.asarray(class_images), "class_images").reshape(-1, 28, 28)
    class_labels = np.asarray(class_labels, np.uint8).reshape(-1)
    if len(class_images) != len(class_labels):
        raise ValueError(
            f"One label per class drawing. Received: {len(class_images)} drawings, "
            f"{len(class_labels)} labels"
        )
    known = class_labels < outputs
    class_images, class_labels = class_images[known], class_labels[known]
    if not len(class_images):
        raise ValueError(
            "There are no class drawings this network can learn from. Received: 0 training "
            f"drawings with labels below {outputs}"
        )
    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    # What keeps it from forgetting: MNIST, pen-written digits and (11 outputs) marks.
    train_images, train_labels, _, _ = split_training_data(data, config)
    chosen = rng.choice(len(train_images), min(MNIST_SAMPLE, len(train_images)), replace=False)
    other_images, other_labels = [train_images[chosen]], [train_labels[chosen]]
    try:
        drawings, labels = extra_training_data(
            True,
            outputs > NOT_A_DIGIT,
            config.seed,
            handwriting_directory,
            share=OTHERS_SHARE,
            held_out_writers=held_out_writers,
        )
    except HandwritingMissing:  # no pen-written digits here: marks only (if it has the output)
        drawings, labels = extra_training_data(False, outputs > NOT_A_DIGIT, config.seed)
    other_images.append(drawings)
    other_labels.append(labels)
    images = np.concatenate([class_images, *other_images])
    labels = np.concatenate([class_labels, *other_labels])
    class_count = len(class_images)

    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, STEPS))
    train_step = make_train_step(
        model,
        optimizer,
        tf.constant(images, tf.uint8),
        tf.constant(labels, tf.int32),
        config.replace(augment=True),
    )
    for callback in callbacks:
        callback.model = model

    steps_per_epoch = math.ceil(STEPS / EPOCHS)
    history = {"loss": [], "accuracy": []}
    stopped = False
    start = time.perf_counter()
    for epoch in range(1, EPOCHS + 1):
        seen = loss_sum = correct = 0
        for batch in range(1, steps_per_epoch + 1):
            step = (epoch - 1) * steps_per_epoch + batch
            mine = class_batch(class_labels, rng)
            others = rng.integers(class_count, len(images), BATCH_SIZE - len(mine))
            indices = np.concatenate([mine, others]).astype(np.int32)
            loss, right = train_step(indices, np.array([config.seed, step], np.int32), True)
            seen += len(indices)
            loss_sum += float(loss) * len(indices)
            correct += int(right)
            elapsed = time.perf_counter() - start
            report = Progress(
                epoch=epoch,
                epochs=EPOCHS,
                batch=batch,
                batches_per_epoch=steps_per_epoch,
                loss=loss_sum / seen,
                accuracy=correct / seen,
                val_loss=None,
                val_accuracy=None,
                elapsed=elapsed,
                eta=elapsed / step * (EPOCHS * steps_per_epoch - step) if step > 2 else None,
                batch_loss=float(loss),
                batch_accuracy=int(right) / len(indices),
            )
            for callback in callbacks:
                callback.on_batch_end(report)
            if stop_event is not None and stop_event.is_set():
                stopped = True
                break
        if stopped:
            break
        history["loss"].append(loss_sum / seen)
        history["accuracy"].append(correct / seen)
        for callback in callbacks:
            callback.on_epoch_end(report)
    return TrainResult(
        model=model,
        history=history,
        train_seconds=time.perf_counter() - start,
        stopped=stopped,
        epochs_completed=len(history["loss"]),
        precision="float32",
    )
