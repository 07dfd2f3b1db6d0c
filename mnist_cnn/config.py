"""Hyperparameters of the network and its training, as one small frozen dataclass.

The defaults are the classroom notebook's: two 5x5 convolutions with 16 filters, 2x2
max pooling, dropout 0.2, a dense layer of 128 units, Adam, batch 200, 8 epochs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

OPTIMIZERS = ("adam", "sgd", "rmsprop")
IMAGE_SIZE = 28  # MNIST images are 28x28 pixels
TRAIN_IMAGES = 60_000  # size of the MNIST training set
GROUPS = ("Architecture", "Optimisation", "Data")  # how the settings are grouped on the Train page


@dataclass(frozen=True)
class Setting:
    """Everything said about one hyperparameter, written once: validation, the CLI's flags and
    help, the Train page's form and the runs table all read it from here."""

    group: str  # one of GROUPS
    label: str  # plain words for a 14-year-old; the technical name (the field's) goes beside it
    help: str  # one or two sentences: what it does, and what happens if it is bigger or smaller
    low: float | None = None  # smallest allowed value (numbers only)
    high: float | None = None  # largest allowed value, included (numbers only)
    step: float | None = None  # a sensible step for an input box (numbers only)
    choices: tuple[str, ...] = ()  # the allowed words (text settings only)


def setting(default, group: str, label: str, help: str, **limits):
    """A TrainConfig field and its Setting (see Setting for the arguments)."""
    return field(default=default, metadata={"setting": Setting(group, label, help, **limits)})


@dataclass(frozen=True)
class TrainConfig:
    # --- architecture ---
    conv1_filters: int = setting(
        16,
        "Architecture",
        "Pattern detectors in layer 1",
        "How many different small patterns (edges, curves) the first convolution looks for.",
        low=1,
        high=256,
        step=1,
    )
    conv2_filters: int = setting(
        16,
        "Architecture",
        "Pattern detectors in layer 2",
        "How many bigger patterns the second convolution builds out of the first ones.",
        low=1,
        high=256,
        step=1,
    )
    kernel_size: int = setting(
        5,
        "Architecture",
        "Detector size, in pixels",
        "How many pixels wide each pattern detector (kernel) is: 5 means 5×5 pixels.",
        low=1,
        high=13,
        step=1,
    )
    pool_size: int = setting(
        2,
        "Architecture",
        "Shrink factor after each layer",
        "Max pooling keeps the strongest response in each square this wide: 2 halves the picture.",
        low=1,
        high=4,
        step=1,
    )
    conv_dropout: float = setting(
        0.2,
        "Architecture",
        "Switched off after the convolutions",
        "Fraction of pattern responses switched off at random while training, so the network "
        "cannot lean on a few of them (against overfitting).",
        low=0.0,
        high=0.95,
        step=0.05,
    )
    dense_units: int = setting(
        128,
        "Architecture",
        "Neurons in the hidden layer",
        "Neurons that combine all the patterns found before the final answer.",
        low=1,
        high=2048,
        step=1,
    )
    dense_dropout: float = setting(
        0.2,
        "Architecture",
        "Switched off in the hidden layer",
        "Fraction of hidden neurons switched off at random while training.",
        low=0.0,
        high=0.95,
        step=0.05,
    )
    # --- optimisation ---
    optimizer: str = setting(
        "adam",
        "Optimisation",
        "Learning rule",
        "The rule that nudges the weights after each batch. adam is a good default; sgd uses "
        "momentum 0.9.",
        choices=OPTIMIZERS,
    )
    learning_rate: float = setting(
        0.001,
        "Optimisation",
        "Step size",
        "How big each nudge of the weights is at the start. Too big: it jumps around; too "
        "small: it learns slowly.",
        low=0.00001,
        high=1.0,
        step=0.0005,
    )
    lr_decay: bool = setting(
        False,
        "Optimisation",
        "Smaller steps towards the end",
        "Shrink the step size smoothly to almost zero by the last batch: steadier final steps.",
    )
    batch_size: int = setting(
        200,
        "Optimisation",
        "Images per step",
        "How many images the network looks at before each nudge of the weights.",
        low=1,
        high=4096,
        step=1,
    )
    epochs: int = setting(
        8,
        "Optimisation",
        "Rounds through the data",
        "How many times the network sees every training image.",
        low=1,
        high=200,
        step=1,
    )
    seed: int = setting(
        0,
        "Optimisation",
        "Random seed",
        "The starting point of all randomness: the same seed and settings give the same network.",
        low=0,
        high=2**31 - 1,
        step=1,
    )
    # --- data ---
    train_size: int = setting(
        55_000,
        "Data",
        "Training images",
        "How many MNIST images it learns from. Fewer train faster but read worse.",
        low=100,
        high=TRAIN_IMAGES,
        step=500,
    )
    validation_size: int = setting(
        5_000,
        "Data",
        "Images kept aside for checking",
        "Images it never learns from, used after each round to check how well it reads new "
        "digits (taken from the end of the training set).",
        low=0,
        high=20_000,
        step=500,
    )
    augment: bool = setting(
        False,
        "Data",
        "Vary the training images",
        "Randomly move, turn, resize and re-ink the training images, so it copes with real "
        "handwriting (data augmentation).",
    )
    augment_shift: float = setting(
        0.1,
        "Data",
        "Largest move",
        "Largest shift of a varied image, as a fraction of its width.",
        low=0.0,
        high=0.45,
        step=0.05,
    )
    augment_rotation: float = setting(
        10.0,
        "Data",
        "Largest turn, in degrees",
        "Largest rotation of a varied image.",
        low=0.0,
        high=85.0,
        step=5.0,
    )
    augment_scale: float = setting(
        0.1,
        "Data",
        "Largest zoom",
        "Largest zoom in or out of a varied image, as a fraction.",
        low=0.0,
        high=0.45,
        step=0.05,
    )
    augment_thickness: float = setting(
        0.5, "Data", "Thicker and thinner strokes",
        "How strongly the strokes of a varied image are made thicker or thinner (0 = never).",
        low=0.0, high=0.95, step=0.05,
    )  # fmt: skip
    plain_epochs: int = setting(
        0,
        "Data",
        "Last rounds with the images as they are",
        "With varied images, this many rounds at the end learn from the images unvaried, so "
        "the network settles on clean digits. 0: every round is varied.",
        low=0,
        high=200,
        step=1,
    )
    mnist_repeats: int = setting(
        1,
        "Data",
        "Times each MNIST image is seen a round",
        "Show each MNIST training image this many times a round, so the pen-written digits "
        "and marks do not crowd MNIST out. A round then takes that much longer.",
        low=1,
        high=4,
        step=1,
    )
    real_digits: bool = setting(
        False, "Data", "Also learn from real pen-written digits",
        "Also learn from digits real people wrote with a pen, drawn as on the canvas (the "
        "training writers of the folder in MNIST_CNN_HANDWRITING_DIR; see the README).",
    )  # fmt: skip
    not_a_digit: bool = setting(
        False, "Data", "Learn to say \"not a digit\"",
        "Add an 11th answer, 'not a digit', learned from drawn letters, stars, scribbles and dots.",
    )  # fmt: skip

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
        unknown = sorted(set(values) - set(SETTINGS))
        if unknown:
            raise ValueError(f"Unknown hyperparameter(s): {', '.join(unknown)}. Received: {values}")
        return cls(**values)


# Field name -> its Setting, in the dataclass's order.
SETTINGS: dict[str, Setting] = {
    item.name: item.metadata["setting"] for item in dataclasses.fields(TrainConfig)
}
FIELD_TYPES: dict[str, type] = {
    item.name: {"int": int, "float": float, "bool": bool, "str": str}[item.type]
    for item in dataclasses.fields(TrainConfig)
}


class SettingError(ValueError):
    """A hyperparameter value that cannot work; `name` is the field it is about."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def feature_map_sizes(config: TrainConfig) -> list[int]:
    """Side of the feature map after conv1, pool1, conv2 and pool2 ("valid" padding)."""
    return map_sizes(config.kernel_size, config.pool_size)


def map_sizes(kernel_size: int, pool_size: int) -> list[int]:
    """feature_map_sizes for a kernel and pool size (may hold zeros or negatives: no fit)."""
    after_conv1 = IMAGE_SIZE - kernel_size + 1
    after_pool1 = after_conv1 // pool_size
    after_conv2 = after_pool1 - kernel_size + 1
    after_pool2 = after_conv2 // pool_size if after_conv2 > 0 else 0
    return [after_conv1, after_pool1, after_conv2, after_pool2]


def validate(config: TrainConfig) -> None:
    """Raise SettingError (a ValueError) naming the field and the received value if a setting
    cannot work."""
    for name, described in SETTINGS.items():
        value, kind = getattr(config, name), FIELD_TYPES[name]
        if kind is bool:
            if not isinstance(value, bool):
                raise SettingError(
                    name, f"{name} must be True or False. Received: {name}={value!r}"
                )
        elif kind is str:
            if value not in described.choices:
                raise SettingError(
                    name,
                    f"{name} must be one of {', '.join(described.choices)}. "
                    f"Received: {name}={value!r}",
                )
        else:
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not is_number or (kind is int and not isinstance(value, int)):
                raise SettingError(
                    name,
                    f"{name} must be {'a whole number' if kind is int else 'a number'}. "
                    f"Received: {name}={value!r}",
                )
            if not described.low <= value <= described.high:  # also refuses NaN
                raise SettingError(
                    name,
                    f"{name} must be between {described.low:g} and {described.high:g}. "
                    f"Received: {name}={value!r}",
                )
    if config.train_size + config.validation_size > TRAIN_IMAGES:
        raise SettingError(
            "train_size",
            f"Training images and images kept aside add up to more than the {TRAIN_IMAGES:,} "
            f"MNIST training images: use fewer of either. Received: train_size="
            f"{config.train_size}, validation_size={config.validation_size}",
        )
    if min(feature_map_sizes(config)) < 1:
        pool = config.pool_size
        widest = max(
            (k for k in range(1, config.kernel_size) if min(map_sizes(k, pool)) >= 1), default=0
        )
        advice = (
            f"Use detectors of at most {widest} pixels" if widest else "Use a smaller shrink factor"
        )
        raise SettingError(
            "kernel_size",
            f"Detectors {config.kernel_size} pixels wide do not fit: after the first layer and "
            f"the shrinking, the picture is too small for the second layer. {advice}, or a "
            f"smaller shrink factor. Received: kernel_size={config.kernel_size}, pool_size={pool}",
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
        epochs=10,
        batch_size=128,
        learning_rate=0.002,
        lr_decay=True,
        augment=True,
        augment_thickness=0.8,
        plain_epochs=2,
        mnist_repeats=2,
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
