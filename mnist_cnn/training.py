"""Training: a TrainConfig and MNIST in, a trained model out, progress reported through callbacks.

The trainer knows nothing about the terminal or the web app. Whoever calls `train` passes
callbacks (objects with `on_batch_end(progress)` and `on_epoch_end(progress)`) and, to stop it
early, a `progress.StopSignal` (a threading.Event, say): training stops within one batch of it
being set.

The loop is written out (no `model.fit`): one compiled gradient step per batch, the images kept
in memory. On these 2-core machines that is faster and steadier than `fit` with `tf.data`; the
benchmark (`python -m tools.bench`) measures the difference.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.config import TrainConfig
from mnist_cnn.data import MnistData, as_uint8
from mnist_cnn.evaluation import evaluate
from mnist_cnn.handwriting import extra_training_data
from mnist_cnn.model import build_model
from mnist_cnn.progress import Progress, StopSignal, TrainingCallback


@dataclass
class TrainResult:
    model: keras.Model  # float32 model, ready to save and predict
    history: dict[str, list[float]] = field(default_factory=dict)  # per epoch
    train_seconds: float = 0.0
    stopped: bool = False  # True when stopped early through the stop event
    epochs_completed: int = 0
    precision: str = "float32"  # what the training arithmetic used


def split_training_data(data: MnistData, config: TrainConfig):
    """(train_images, train_labels, val_images, val_labels); validation is the end of the set."""
    count = len(data.train_images)
    val_start = count - config.validation_size
    train_images = data.train_images[: min(config.train_size, val_start)]
    train_labels = data.train_labels[: len(train_images)]
    return train_images, train_labels, data.train_images[val_start:], data.train_labels[val_start:]


def cpu_has_fast_bfloat16() -> bool:
    """True on CPUs with bfloat16 instructions (Intel AMX, AVX-512 BF16), where bfloat16 mixed
    precision trains faster; elsewhere it would be slower. Linux only; False when unsure."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = cpuinfo.read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def augment_batch(images: tf.Tensor, config: TrainConfig, seed: tf.Tensor) -> tf.Tensor:
    """Random thickness, rotation, zoom and shift for a batch of (B, 28, 28, 1) float images.

    Stateless random numbers from (seed, batch index) keep a run repeatable.
    """
    batch = tf.shape(images)[0]

    def uniform(offset: int, limit: float) -> tf.Tensor:
        return tf.random.stateless_uniform([batch], seed + offset, -limit, limit)

    # Thicker (dilate) or thinner (erode) strokes, blended by a random strength.
    strength = uniform(1, config.augment_thickness)[:, None, None, None]
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    images = images + tf.maximum(strength, 0.0) * (dilated - images)
    images = images + tf.maximum(-strength, 0.0) * (eroded - images)

    # One affine map per image: rotate and zoom about the centre, then shift.
    angle = uniform(2, config.augment_rotation * math.pi / 180.0)
    zoom = 1.0 + uniform(3, config.augment_scale)
    shift_x = uniform(4, config.augment_shift * 28.0)
    shift_y = uniform(5, config.augment_shift * 28.0)
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    centre = 13.5
    # The transform maps output pixel (x, y) to input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2).
    a2 = centre - cos * (centre + shift_x) + sin * (centre + shift_y)
    b2 = centre - sin * (centre + shift_x) - cos * (centre + shift_y)
    zeros = tf.zeros([batch])
    transforms = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.constant([28, 28]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return tf.clip_by_value(images, 0.0, 1.0)


def make_optimizer(config: TrainConfig, total_steps: int) -> keras.optimizers.Optimizer:
    learning_rate = config.learning_rate
    if config.lr_decay:
        learning_rate = keras.optimizers.schedules.CosineDecay(config.learning_rate, total_steps)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    return keras.optimizers.Adam(learning_rate)


class _RunningMean:
    """Loss and accuracy averaged over the images seen so far in an epoch."""

    def __init__(self):
        self.images, self.loss_sum, self.correct = 0, 0.0, 0

    def add(self, images: int, loss: float, correct: int) -> None:
        self.images += images
        self.loss_sum += loss * images
        self.correct += correct

    @property
    def loss(self) -> float:
        return self.loss_sum / self.images

    @property
    def accuracy(self) -> float:
        return self.correct / self.images


def make_train_step(network, optimizer, images, labels, config: TrainConfig):
    """A compiled function that trains on the images at `indices`, one gradient step.

    The training images stay in memory as uint8 tensors; each step gathers its batch, scales it
    to [0, 1] and, when `config.augment` and the step's `vary` are both true, augments it.
    Returns the batch's loss and its count of correct answers. One compiled call per batch keeps
    stopping and progress exact to the batch, with no tf.data threads competing with the
    arithmetic for the CPU's cores.
    """
    loss_function = keras.losses.SparseCategoricalCrossentropy()
    # Make the optimizer's variables now: creating them inside the first step would make
    # TensorFlow trace (compile) the step twice.
    optimizer.build(network.trainable_variables)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([2], tf.int32),
            tf.TensorSpec([], tf.bool),
        ],
        jit_compile=False,  # XLA measured 4x slower on these CPUs
    )
    def train_step(indices, seed, vary):
        batch_images = tf.cast(tf.gather(images, indices), tf.float32)[..., tf.newaxis] / 255.0
        if config.augment:
            batch_images = tf.cond(
                vary, lambda: augment_batch(batch_images, config, seed), lambda: batch_images
            )
        batch_labels = tf.gather(labels, indices)
        with tf.GradientTape() as tape:
            probabilities = network(batch_images, training=True)
            loss = loss_function(batch_labels, probabilities)
        gradients = tape.gradient(loss, network.trainable_variables)
        optimizer.apply(gradients, network.trainable_variables)
        guesses = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        correct = tf.reduce_sum(tf.cast(tf.equal(guesses, batch_labels), tf.int32))
        return loss, correct

    return train_step


def train(
    config: TrainConfig,
    data: MnistData,
    callbacks: Sequence[TrainingCallback] = (),
    stop_event: StopSignal | None = None,
    extra_images: np.ndarray | None = None,
    extra_labels: np.ndarray | None = None,
    precision: str = "auto",
    handwriting_dir: str | None = None,
) -> TrainResult:
    """Train a new network. Same config and data give the same model.

    extra_images/extra_labels: more (N, 28, 28) images (uint8, or floats in [0, 1]) to train
    on, such as a class's own drawings. precision: "float32", "mixed_bfloat16", or "auto"
    (bfloat16 only where the CPU has fast bf16 units); the model returned always computes in
    float32. handwriting_dir: the pen-written digits' folder for `real_digits` (None:
    MNIST_CNN_HANDWRITING_DIR).
    """
    if precision not in ("auto", "float32", "mixed_bfloat16"):
        raise ValueError(
            f"precision must be 'auto', 'float32' or 'mixed_bfloat16'. Received: precision={precision!r}"
        )
    if precision == "auto":
        precision = "mixed_bfloat16" if cpu_has_fast_bfloat16() else "float32"
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()

    train_images, train_labels, val_images, val_labels = split_training_data(data, config)
    train_images = np.concatenate([train_images] * config.mnist_repeats)
    train_labels = np.concatenate([train_labels] * config.mnist_repeats)
    if config.real_digits or config.not_a_digit:
        # As many drawings, in proportion, as the share of MNIST this run trains on.
        share = min(1.0, config.train_size / 55_000)
        drawings, drawing_labels = extra_training_data(
            config.real_digits, config.not_a_digit, config.seed, handwriting_dir, share=share
        )
        train_images = np.concatenate([train_images, drawings])
        train_labels = np.concatenate([train_labels, drawing_labels])
    if extra_images is not None and len(extra_images):
        if not config.not_a_digit and np.any(np.asarray(extra_labels) > 9):
            raise ValueError(
                "Images labelled 'not a digit' (10) need a network with that output: set "
                "not_a_digit, or leave them out. Received: extra_labels with 10"
            )
        train_images = np.concatenate(
            [train_images, as_uint8(np.asarray(extra_images), "extra_images")]
        )
        train_labels = np.concatenate([train_labels, np.asarray(extra_labels, np.uint8)])
    count = len(train_images)
    batches_per_epoch = math.ceil(count / config.batch_size)
    total_steps = config.epochs * batches_per_epoch

    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        network = build_model(config)
    finally:
        keras.config.set_dtype_policy(previous_policy)
    optimizer = make_optimizer(config, total_steps)
    train_step = make_train_step(
        network,
        optimizer,
        tf.constant(train_images, tf.uint8),
        tf.constant(train_labels, tf.int32),
        config,
    )
    for callback in callbacks:
        callback.model = network

    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    val_loss = val_accuracy = None
    stopped = False
    start = time.perf_counter()
    first_batch_end = None  # the first batch also compiles the step: the estimate leaves it out

    def progress(epoch: int, batch: int, mean: _RunningMean, last=(None, None)) -> Progress:
        elapsed = time.perf_counter() - start
        done = (epoch - 1) * batches_per_epoch + batch
        eta = None
        if done >= max(5, total_steps // 50):  # seconds per batch since the first, times those left
            eta = (elapsed - first_batch_end) / (done - 1) * (total_steps - done)
        return Progress(
            epoch=epoch,
            epochs=config.epochs,
            batch=batch,
            batches_per_epoch=batches_per_epoch,
            loss=mean.loss,
            accuracy=mean.accuracy,
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            elapsed=elapsed,
            eta=eta,
            batch_loss=last[0],
            batch_accuracy=last[1],
        )

    for epoch in range(1, config.epochs + 1):
        # A new order of the training images every epoch, fixed by the seed.
        order = np.random.default_rng([config.seed, epoch]).permutation(count).astype(np.int32)
        mean = _RunningMean()
        vary = epoch <= config.epochs - config.plain_epochs  # the last rounds: unvaried
        for batch in range(batches_per_epoch):
            indices = order[batch * config.batch_size : (batch + 1) * config.batch_size]
            step = (epoch - 1) * batches_per_epoch + batch
            loss, correct = train_step(indices, np.array([config.seed, step], np.int32), vary)
            mean.add(len(indices), float(loss), int(correct))
            if first_batch_end is None:
                first_batch_end = time.perf_counter() - start
            report = progress(epoch, batch + 1, mean, (float(loss), int(correct) / len(indices)))
            for callback in callbacks:
                callback.on_batch_end(report)
            if stop_event is not None and stop_event.is_set():
                stopped = True
                break
        if stopped:
            break  # a partial epoch is not reported as finished
        history["loss"].append(mean.loss)
        history["accuracy"].append(mean.accuracy)
        if len(val_images):
            scores = evaluate(network, val_images, val_labels)
            val_loss, val_accuracy = scores.loss, scores.accuracy
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
        report = progress(epoch, batches_per_epoch, mean)
        for callback in callbacks:
            callback.on_epoch_end(report)
    seconds = time.perf_counter() - start

    # The model we save and predict with computes in float32: after bfloat16 training, a float32
    # twin with the same weights.
    model = network
    if precision != "float32":
        model = build_model(config)
        model.set_weights(network.get_weights())
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return TrainResult(
        model=model,
        history={name: values for name, values in history.items() if values},
        train_seconds=seconds,
        stopped=stopped,
        epochs_completed=len(history["loss"]),
        precision=precision,
    )
