"""Hyperparameters of the network and its training, as one small frozen dataclass.

The defaults are the classroom notebook's: two 5x5 convolutions with 16 filters, 2x2
max pooling, dropout 0.2, a dense layer of 128 units, Adam, batch 200, 8 epochs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

OPTIMIZERS = ("adam", "sgd", "rmsprop")
IMAGE_SIZE = 28  # MNIST images are 28x28 pixels
TRAIN_IMAGES = 60_000  # size of the MNIST training set


@dataclass(frozen=True)
class TrainConfig:
    # --- architecture ---
    conv1_filters: int = 16  # feature maps made by the first convolution
    conv2_filters: int = 16  # feature maps made by the second convolution
    kernel_size: int = 5  # side of each square convolution kernel, in pixels
    pool_size: int = 2  # side of each max-pooling window; halves the map when 2
    conv_dropout: float = 0.2  # fraction of features dropped after the convolutions
    dense_units: int = 128  # neurons in the hidden dense layer
    dense_dropout: float = 0.2  # fraction of dense neurons dropped while training
    # --- optimisation ---
    optimizer: str = "adam"  # "adam", "sgd" (with momentum 0.9) or "rmsprop"
    learning_rate: float = 0.001  # step size of the optimizer at the start
    lr_decay: bool = False  # shrink the learning rate smoothly to ~0 by the last batch
    batch_size: int = 200  # images per gradient step
    epochs: int = 8  # passes over the training images
    seed: int = 0  # random seed: same seed, same data and settings -> same model
    # --- data ---
    train_size: int = 55_000  # training images used (a subset trains faster in class)
    validation_size: int = 5_000  # images held out of the training set to watch overfitting
    augment: bool = False  # randomly move, turn, resize and re-ink images while training
    augment_shift: float = 0.1  # largest shift, as a fraction of the image side
    augment_rotation: float = 10.0  # largest rotation, in degrees
    augment_scale: float = 0.1  # largest zoom in or out, as a fraction
    augment_thickness: float = 0.5  # how strongly strokes are thickened or thinned (0 = never)
    # Also train on real pen-written digits (the training writers of the folder in
    # MNIST_CNN_HANDWRITING_DIR), drawn as on the canvas; see mnist_cnn.handwriting.
    real_digits: bool = False
    # An 11th output, "not a digit", trained on drawn marks that are no digit (mnist_cnn.marks).
    not_a_digit: bool = False

    def __post_init__(self) -> None:
        validate(self)

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (validated like any new config)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Build a config from a dict, refusing unknown field names."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown hyperparameter(s): {', '.join(unknown)}. Received: {values}")
        return cls(**values)


def feature_map_sizes(config: TrainConfig) -> list[int]:
    """Side of the feature map after conv1, pool1, conv2 and pool2 ("valid" padding)."""
    after_conv1 = IMAGE_SIZE - config.kernel_size + 1
    after_pool1 = after_conv1 // config.pool_size
    after_conv2 = after_pool1 - config.kernel_size + 1
    after_pool2 = after_conv2 // config.pool_size if after_conv2 > 0 else 0
    return [after_conv1, after_pool1, after_conv2, after_pool2]


# Field name -> (type, smallest allowed, largest allowed). Floats in [low, high).
_LIMITS = {
    "conv1_filters": (int, 1, 256),
    "conv2_filters": (int, 1, 256),
    "kernel_size": (int, 1, 13),
    "pool_size": (int, 1, 4),
    "conv_dropout": (float, 0.0, 1.0),
    "dense_units": (int, 1, 2048),
    "dense_dropout": (float, 0.0, 1.0),
    "learning_rate": (float, 1e-6, 1.0),
    "batch_size": (int, 1, 4096),
    "epochs": (int, 1, 200),
    "seed": (int, 0, 2**31 - 1),
    "train_size": (int, 100, TRAIN_IMAGES),
    "validation_size": (int, 0, 20_000),
    "augment_shift": (float, 0.0, 0.5),
    "augment_rotation": (float, 0.0, 90.0),
    "augment_scale": (float, 0.0, 0.5),
    "augment_thickness": (float, 0.0, 1.0),
}


def validate(config: TrainConfig) -> None:
    """Raise ValueError naming the field and the received value if a setting cannot work."""
    for name, (kind, low, high) in _LIMITS.items():
        value = getattr(config, name)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (kind is int and not isinstance(value, int)):
            raise ValueError(
                f"{name} must be {'a whole number' if kind is int else 'a number'}. "
                f"Received: {name}={value!r}"
            )
        if value != value or value < low or (value >= high if kind is float else value > high):
            upper = f"below {high}" if kind is float else f"at most {high}"
            raise ValueError(
                f"{name} must be at least {low} and {upper}. Received: {name}={value!r}"
            )
    for name in ("augment", "lr_decay", "real_digits", "not_a_digit"):
        if not isinstance(getattr(config, name), bool):
            raise ValueError(
                f"{name} must be True or False. Received: {name}={getattr(config, name)!r}"
            )
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(
            f"optimizer must be one of {', '.join(OPTIMIZERS)}. "
            f"Received: optimizer={config.optimizer!r}"
        )
    if config.train_size + config.validation_size > TRAIN_IMAGES:
        raise ValueError(
            f"train_size + validation_size must be at most {TRAIN_IMAGES} (the MNIST training set). "
            f"Received: train_size={config.train_size}, validation_size={config.validation_size}"
        )
    sizes = feature_map_sizes(config)
    if min(sizes) < 1:
        raise ValueError(
            f"kernel_size={config.kernel_size} with pool_size={config.pool_size} does not fit: "
            f"the feature maps would be {sizes} pixels wide after conv1, pool1, conv2, pool2. "
            f"Use a smaller kernel or pool. Received: kernel_size={config.kernel_size}, "
            f"pool_size={config.pool_size}"
        )


# Named starting points. "seed" is the notebook; see the README for how the others were chosen.
PRESETS: dict[str, TrainConfig] = {
    "seed": TrainConfig(),
    "quick": TrainConfig(
        dense_units=512,
        conv_dropout=0.1,
        dense_dropout=0.1,
        epochs=2,
        batch_size=128,
        learning_rate=0.007,
        lr_decay=True,
    ),
    "accurate": TrainConfig(
        conv1_filters=32,
        conv2_filters=64,
        dense_units=256,
        epochs=20,
        batch_size=128,
        learning_rate=0.002,
        lr_decay=True,
        augment=True,
        augment_thickness=0.8,
        real_digits=True,
        not_a_digit=True,
    ),
}


def preset(name: str) -> TrainConfig:
    """The preset called `name` ("seed", "quick" or "accurate")."""
    if name not in PRESETS:
        raise ValueError(
            f"Unknown preset. Choose one of {', '.join(PRESETS)}. Received: name={name!r}"
        )
    return PRESETS[name]
