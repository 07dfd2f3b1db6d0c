"""Looking inside the network: what every layer makes of one image, where the network looks,
and the same image moved, turned, resized or re-inked.

    inspector = Inspector(model)              # once per model
    views = inspector.layer_outputs(image)    # one LayerView per layer, from one forward pass
    heat = inspector.saliency(image)          # (28, 28) in [0, 1]: the ink that counts most
    filters = first_layer_filters(model)      # (5, 5, 32): the first convolution's kernels
    moved = transform(image, shift_x=3, rotation=20)
    grid = tile(views[1].activations, columns=8)   # 32 maps of 24x24 as one picture

Images are (28, 28) float arrays in [0, 1], light ink on dark, as `preprocess` makes them.
"""

from __future__ import annotations

import math
import numbers
import threading
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from PIL import Image, ImageFilter

from mnist_cnn.model import LayerInfo, describe_model

SIZE = 28  # MNIST images are SIZE x SIZE
NOISY_COPIES = 16  # saliency: the gradient is averaged over this many noisy copies ...
NOISE_LEVEL = 0.2  # ... of the image, with noise of this standard deviation


@dataclass(frozen=True)
class LayerView(LayerInfo):
    """A layer (name, kind, output shape, parameters) and what it outputs for one image."""

    activations: np.ndarray  # float32 array of `output_shape`


class Inspector:
    """Wraps a model to show its insides for one image at a time.

    It builds, once, a second model with the same layers whose outputs are the outputs of
    every layer, so one forward pass gives them all. A lock keeps concurrent sessions of the
    web app from running it at once (as Predictor does).
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self.layers = describe_model(model)
        self.all_outputs = keras.Model(model.inputs, [layer.output for layer in model.layers])
        self._gradients = tf.function(self._probability_gradients)
        self._lock = threading.Lock()
        # build the compiled functions now, not on first use
        blank = np.zeros((SIZE, SIZE), np.float32)
        self.layer_outputs(blank)
        self.saliency(blank, digit=0)

    def layer_outputs(self, image: np.ndarray) -> list[LayerView]:
        """What every layer (input first, probabilities last) outputs for `image`."""
        batch = check_image(image).reshape(1, SIZE, SIZE, 1)
        with self._lock:
            outputs = self.all_outputs.predict_on_batch(batch)
        return [
            LayerView(layer.name, layer.kind, layer.output_shape, layer.parameters, output[0])
            for layer, output in zip(self.layers, outputs, strict=True)
        ]

    def saliency(self, image: np.ndarray, digit: int | None = None) -> np.ndarray:
        """Where the network looks: how much each pixel of ink counts towards the probability
        of `digit` (by default the predicted one), scaled so the pixel that counts most is 1.

        The gradient of the probability with respect to the pixels says how much a small change
        of each pixel would change it. One gradient alone is noisy, so its size is averaged over
        the image and NOISY_COPIES slightly noisy copies of it ("SmoothGrad"), then multiplied by
        the ink ("gradient x input"): background pixels count 0, strokes the network relies on
        count most.
        """
        image = check_image(image)
        if digit is None:
            digit = int(self.layer_outputs(image)[-1].activations[:10].argmax())
        if digit not in range(10):
            raise ValueError(f"digit must be an integer from 0 to 9. Received: digit={digit!r}")
        noise = np.random.default_rng(0).normal(0, NOISE_LEVEL, (NOISY_COPIES, SIZE, SIZE))
        batch = np.concatenate([image[np.newaxis], image + noise.astype(np.float32)])
        with self._lock:
            gradients = self._gradients(tf.constant(batch[..., np.newaxis]), tf.constant(digit))
        heat = np.abs(np.asarray(gradients)).mean(axis=0)[:, :, 0] * image
        strongest = heat.max()
        return (heat / strongest if strongest > 0 else heat).astype(np.float32)

    def _probability_gradients(self, images: tf.Tensor, digit: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(images)
            probabilities = self.model(images, training=False)[:, digit]
        return tape.gradient(probabilities, images)


def first_layer_filters(model: keras.Model) -> np.ndarray:
    """The learned kernels of the first convolution, as (kernel_size, kernel_size, filters)."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel = np.asarray(layer.kernel, dtype=np.float32)  # (k, k, input channels, filters)
            return kernel[:, :, 0, :]
    raise ValueError(f"The model has no convolution layer. Received: model={model.name!r}")


def transform(
    image: np.ndarray,
    shift_x: float = 0,
    shift_y: float = 0,
    rotation: float = 0.0,
    scale: float = 1.0,
    thickness: float = 0.0,
) -> np.ndarray:
    """The image with its strokes thickened or thinned, then turned and resized about the
    centre, then moved; a new (28, 28) float32 image in [0, 1].

    shift_x, shift_y: pixels to the right and down. rotation: degrees counter-clockwise.
    scale: 2 doubles the size, 0.5 halves it. thickness: from -1 (thinnest) to 1 (thickest):
    how far each pixel moves towards the darkest (thinner) or brightest (thicker) pixel of
    its 3x3 neighbourhood, as training's `augment_batch` does.
    """
    image = check_image(image)
    arguments = {
        "shift_x": shift_x,
        "shift_y": shift_y,
        "rotation": rotation,
        "scale": scale,
        "thickness": thickness,
    }
    for name, value in arguments.items():
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number. Received: {name}={value!r}")
    if scale <= 0:
        raise ValueError(f"scale must be above 0. Received: scale={scale!r}")
    if not -1 <= thickness <= 1:
        raise ValueError(f"thickness must be from -1 to 1. Received: thickness={thickness!r}")

    picture = Image.fromarray(image)  # mode "F": 32-bit float pixels
    if thickness > 0:
        thicker = np.asarray(picture.filter(ImageFilter.MaxFilter(3)))
        image = image + thickness * (thicker - image)
    elif thickness < 0:
        thinner = np.asarray(picture.filter(ImageFilter.MinFilter(3)))
        image = image - thickness * (thinner - image)

    # PIL asks, for each output point (x, y), which input point to read: (a x + b y + c,
    # d x + e y + f). That is the move, the resize and the turn undone, in reverse order.
    # (PIL's coordinates put the centre of the image at 14.0, y pointing down.)
    angle = math.radians(rotation)
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    centre = SIZE / 2
    from_x, from_y = centre + shift_x, centre + shift_y  # where the centre goes
    a, b, d, e = cos, -sin, sin, cos
    c = centre - a * from_x - b * from_y
    f = centre - d * from_x - e * from_y
    moved = Image.fromarray(image.astype(np.float32)).transform(
        (SIZE, SIZE), Image.Transform.AFFINE, (a, b, c, d, e, f), Image.Resampling.BILINEAR
    )
    return np.clip(np.asarray(moved), 0, 1).astype(np.float32)


def check_image(image) -> np.ndarray:
    """One image as a (28, 28) float32 array; ValueError unless it is 28x28 numbers in [0, 1]."""
    array = np.asarray(image)
    if array.shape not in ((SIZE, SIZE), (SIZE, SIZE, 1)) or array.dtype.kind not in "biuf":
        raise ValueError(
            f"Expected one 28x28 image of numbers. Received: shape={array.shape}, dtype={array.dtype}"
        )
    array = array.reshape(SIZE, SIZE).astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(
            f"The image contains NaN or infinite values. Received: {np.count_nonzero(~np.isfinite(array))} such values"
        )
    if array.min() < 0 or array.max() > 1:
        raise ValueError(
            f"Pixel values must be in [0, 1]. Received: min={array.min()}, max={array.max()}"
        )
    return array


# --- For display ----------------------------------------------------------------------------


def tile(maps: np.ndarray, columns: int, gap: int = 1, fill: float = 1.0) -> np.ndarray:
    """Feature maps (height, width, count) laid out as one 2-D picture, `columns` maps a row,
    left to right then top to bottom, `gap` pixels of `fill` between them and in empty cells."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"Expected maps of shape (height, width, count). Received: {maps.shape}")
    if not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be a whole number above 0. Received: columns={columns!r}")
    height, width, count = maps.shape
    rows = math.ceil(count / columns)
    grid = np.full(
        (rows * (height + gap) - gap, columns * (width + gap) - gap), fill, dtype=np.float32
    )
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = row * (height + gap), column * (width + gap)
        grid[top : top + height, left : left + width] = maps[:, :, index]
    return grid


def strongest_units(activations: np.ndarray, count: int = 10) -> list[tuple[int, float]]:
    """The `count` units of a 1-D layer output with the highest values: (unit, value), best first."""
    order = np.argsort(-activations, kind="stable")[:count]
    return [(int(unit), float(activations[unit])) for unit in order]


def heat_overlay(image: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """A (28, 28, 3) RGB picture in [0, 1]: the image in dim grey with `heat` (0-1) laid over
    it in fire colours, black -> red -> yellow -> white."""
    fire = np.stack([3 * heat, 3 * heat - 1, 3 * heat - 2], axis=-1).clip(0, 1)
    grey = 0.45 * np.asarray(image, np.float32)[..., np.newaxis]
    return np.maximum(grey, fire).astype(np.float32)
