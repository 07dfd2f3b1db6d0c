"""How long a run will train, before it starts: for the class's limit on a student's run.

The work of a run is counted as epochs x training images x the network's multiply-adds for one
image (both convolutions and the dense layers). The seconds per unit of work come from the runs
this server has finished (the median of the latest few), so the estimate learns the machine;
before any run, from `SECONDS_PER_UNIT`, measured here with the `quick` preset.
"""

from __future__ import annotations

import statistics

from mnist_cnn.config import TrainConfig
from mnist_cnn.handwriting import DRAWINGS_PER_DIGIT, MARK_COUNT
from mnist_cnn.model import NUM_CLASSES
from mnist_cnn.status import Status

# the quick preset (2 epochs of 55,000 images, 0.78 M multiply-adds each) trains in ~6 s on the
# 2-core machine of the README's Speed section
SECONDS_PER_UNIT = 7e-11
REAL_DIGITS = 5_000 * DRAWINGS_PER_DIGIT  # about the training writers' digits, all drawings
RECENT_RUNS = 5  # the latest finished runs that set the speed


def multiply_adds(config: TrainConfig) -> int:
    """The network's multiply-adds for one 28x28 image (valid convolutions, as model.py)."""
    kernel, pool = config.kernel_size, config.pool_size
    side1 = 28 - kernel + 1
    conv1 = side1 * side1 * kernel * kernel * config.conv1_filters
    side2 = side1 // pool - kernel + 1
    conv2 = side2 * side2 * kernel * kernel * config.conv1_filters * config.conv2_filters
    flat = (side2 // pool) ** 2 * config.conv2_filters
    classes = NUM_CLASSES + 1 if config.not_a_digit else NUM_CLASSES
    return conv1 + conv2 + flat * config.dense_units + config.dense_units * classes


def training_images(config: TrainConfig, extra_images: int = 0) -> int:
    share = min(1.0, config.train_size / 55_000)  # as training.train adds the drawings
    drawn = REAL_DIGITS * config.real_digits + MARK_COUNT * config.not_a_digit
    return config.train_size * config.mnist_repeats + round(share * drawn) + extra_images


def work(config: TrainConfig, extra_images: int = 0) -> float:
    return float(config.epochs) * training_images(config, extra_images) * multiply_adds(config)


def seconds_per_unit(records) -> float:
    """From the latest finished runs among `records` (ModelRecords, newest first)."""
    rates = [
        record.train_seconds / work(record.config)
        for record in records
        if record.status == Status.FINISHED and record.config and record.train_seconds
    ][:RECENT_RUNS]
    return statistics.median(rates) if rates else SECONDS_PER_UNIT


def estimate_seconds(config: TrainConfig, records=(), extra_images: int = 0) -> float:
    """About how many seconds this run will train on this server."""
    return work(config, extra_images) * seconds_per_unit(records)
