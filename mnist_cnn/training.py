"""Training: a TrainConfig and MNIST in, a trained model out, progress reported through callbacks.

The trainer knows nothing about the terminal or the web app. Whoever calls `train` passes
callbacks (objects with `on_batch_end(progress)` and `on_epoch_end(progress)`) and, to stop it
early, a `threading.Event`: training stops within one batch of the event being set.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.config import TrainConfig
from mnist_cnn.data import MnistData
from mnist_cnn.model import build_model


@dataclass(frozen=True)
class Progress:
    epoch: int  # current epoch, counting from 1
    epochs: int  # epochs planned
    batch: int  # batches finished in the current epoch
    batches_per_epoch: int
    loss: float  # training loss, running mean over this epoch
    accuracy: float  # training accuracy, running mean over this epoch
    val_loss: float | None  # validation loss after the last finished epoch
    val_accuracy: float | None
    elapsed: float  # seconds since training started
    eta: float | None  # estimated seconds left, None until a few batches are timed

    @property
    def step(self) -> int:
        """Batches finished over all epochs."""
        return (self.epoch - 1) * self.batches_per_epoch + self.batch

    @property
    def total_steps(self) -> int:
        return self.epochs * self.batches_per_epoch

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps


class TrainingCallback:
    """Base class for progress listeners; override what you need.

    While training, `self.model` is the network being trained (as in Keras callbacks).
    """

    model: keras.Model | None = None

    def on_batch_end(self, progress: Progress) -> None:
        pass

    def on_epoch_end(self, progress: Progress) -> None:
        pass


@dataclass
class TrainResult:
    model: keras.Model  # float32 model, ready to save and predict
    history: dict[str, list[float]] = field(default_factory=dict)  # per epoch
    train_seconds: float = 0.0
    stopped: bool = False  # True when stopped early through the stop event
    epochs_completed: int = 0
    precision: str = "float32"  # what the training arithmetic used


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) images -> float32 (N, 28, 28, 1) in [0, 1], as the network takes them."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


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


def make_dataset(images: np.ndarray, labels: np.ndarray, config: TrainConfig) -> tf.data.Dataset:
    """Shuffled, batched (and augmented when asked) training batches."""
    dataset = tf.data.Dataset.from_tensor_slices((to_model_input(images), labels.astype(np.int32)))
    dataset = dataset.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(config.batch_size)
    if config.augment:
        dataset = dataset.enumerate().map(
            lambda index, batch: (
                augment_batch(batch[0], config, tf.stack([config.seed, tf.cast(index, tf.int32)])),
                batch[1],
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_optimizer(config: TrainConfig, total_steps: int) -> keras.optimizers.Optimizer:
    learning_rate = config.learning_rate
    if config.lr_decay:
        learning_rate = keras.optimizers.schedules.CosineDecay(config.learning_rate, total_steps)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    return keras.optimizers.Adam(learning_rate)


class _Reporter(keras.callbacks.Callback):
    """Turns Keras's callback calls into Progress for our callbacks, and honours the stop event."""

    def __init__(self, epochs, batches_per_epoch, callbacks, stop_event):
        super().__init__()
        self.epochs, self.batches_per_epoch = epochs, batches_per_epoch
        self.callbacks, self.stop_event = callbacks, stop_event
        self.epoch, self.val_loss, self.val_accuracy = 1, None, None
        self.start = time.perf_counter()
        self.stopped = False

    def progress(self, batch: int, logs: dict) -> Progress:
        elapsed = time.perf_counter() - self.start
        done = (self.epoch - 1) * self.batches_per_epoch + batch
        total = self.epochs * self.batches_per_epoch
        eta = elapsed / done * (total - done) if done >= 3 else None
        return Progress(
            epoch=self.epoch,
            epochs=self.epochs,
            batch=batch,
            batches_per_epoch=self.batches_per_epoch,
            loss=float(logs.get("loss", math.nan)),
            accuracy=float(logs.get("accuracy", math.nan)),
            val_loss=self.val_loss,
            val_accuracy=self.val_accuracy,
            elapsed=elapsed,
            eta=eta,
        )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        progress = self.progress(batch + 1, logs or {})
        for callback in self.callbacks:
            callback.on_batch_end(progress)
        if self.stop_event is not None and self.stop_event.is_set():
            self.model.stop_training = True
            self.stopped = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if "val_loss" in logs:
            self.val_loss, self.val_accuracy = float(logs["val_loss"]), float(logs["val_accuracy"])
        if self.stopped:
            return  # a partial epoch is not reported as finished
        progress = self.progress(self.batches_per_epoch, logs)
        for callback in self.callbacks:
            callback.on_epoch_end(progress)


def train(
    config: TrainConfig,
    data: MnistData,
    callbacks: Sequence[TrainingCallback] = (),
    stop_event: threading.Event | None = None,
    extra_images: np.ndarray | None = None,
    extra_labels: np.ndarray | None = None,
    precision: str = "auto",
) -> TrainResult:
    """Train a new network. Same config and data give the same model.

    extra_images/extra_labels: more (N, 28, 28) uint8 images to train on, such as a class's own
    drawings. precision: "float32", "mixed_bfloat16", or "auto" (bfloat16 only where the CPU has
    fast bf16 units); the model returned always computes in float32.
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
    if extra_images is not None and len(extra_images):
        train_images = np.concatenate([train_images, np.asarray(extra_images, np.uint8)])
        train_labels = np.concatenate([train_labels, np.asarray(extra_labels, np.uint8)])
    dataset = make_dataset(train_images, train_labels, config)
    batches_per_epoch = math.ceil(len(train_images) / config.batch_size)

    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        network = build_model(config)
    finally:
        keras.config.set_dtype_policy(previous_policy)
    network.compile(
        optimizer=make_optimizer(config, config.epochs * batches_per_epoch),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    for callback in callbacks:
        callback.model = network
    reporter = _Reporter(config.epochs, batches_per_epoch, list(callbacks), stop_event)
    validation = (to_model_input(val_images), val_labels) if len(val_images) else None
    start = time.perf_counter()
    history = network.fit(
        dataset,
        epochs=config.epochs,
        validation_data=validation,
        validation_batch_size=1000,
        callbacks=[reporter],
        shuffle=False,  # the dataset is already shuffled
        verbose=0,
    )
    seconds = time.perf_counter() - start

    # Copy the weights into a float32 twin: that is the model we save and predict with.
    model = build_model(config)
    model.set_weights(network.get_weights())
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    per_epoch = {
        name: [float(value) for value in values] for name, values in history.history.items()
    }
    completed = len(per_epoch.get("loss", [])) - (1 if reporter.stopped else 0)
    return TrainResult(
        model=model,
        history={name: values[:completed] for name, values in per_epoch.items()},
        train_seconds=seconds,
        stopped=reporter.stopped,
        epochs_completed=completed,
        precision=precision,
    )
