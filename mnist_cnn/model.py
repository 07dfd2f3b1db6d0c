"""The convolutional network of the classroom notebook, built from a TrainConfig."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from mnist_cnn.config import IMAGE_SIZE, TrainConfig

NUM_CLASSES = 10


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) images -> float32 (N, 28, 28, 1) in [0, 1], as the network takes them."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def build_model(config: TrainConfig) -> keras.Model:
    """Conv - pool - conv - pool - dropout - flatten - dense - dropout - softmax."""
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="image")
    x = keras.layers.Conv2D(
        config.conv1_filters, config.kernel_size, activation="relu", name="conv1"
    )(inputs)
    x = keras.layers.MaxPooling2D(config.pool_size, name="pool1")(x)
    x = keras.layers.Conv2D(
        config.conv2_filters, config.kernel_size, activation="relu", name="conv2"
    )(x)
    x = keras.layers.MaxPooling2D(config.pool_size, name="pool2")(x)
    x = keras.layers.Dropout(config.conv_dropout, name="conv_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(config.dense_units, activation="relu", name="dense")(x)
    x = keras.layers.Dropout(config.dense_dropout, name="dense_dropout")(x)
    # float32 output keeps the softmax exact when training in mixed precision
    # An 11th output, "not a digit", when the config asks for it.
    classes = NUM_CLASSES + 1 if config.not_a_digit else NUM_CLASSES
    outputs = keras.layers.Dense(classes, activation="softmax", dtype="float32", name="digit")(x)
    return keras.Model(inputs, outputs, name="mnist_cnn")


@dataclass(frozen=True)
class LayerInfo:
    name: str  # e.g. "conv1"
    kind: str  # Keras class name, e.g. "Conv2D"
    output_shape: tuple  # without the batch dimension, e.g. (24, 24, 16)
    parameters: int  # trainable weights and biases


def describe_model(model: keras.Model) -> list[LayerInfo]:
    """One row per layer: what a teacher draws on the board."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape[1:])
        rows.append(LayerInfo(layer.name, type(layer).__name__, shape, layer.count_params()))
    return rows


def parameter_count(model: keras.Model) -> int:
    return int(model.count_params())
