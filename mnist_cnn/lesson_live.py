"""What the Lesson page shows beside each step's code, computed by the package; where the
teacher's step and the lesson's training run are kept for every app server; and `save_to_app`,
the notebook's last cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_cnn.config import PRESETS, map_sizes
from mnist_cnn.lifecycle import move
from mnist_cnn.status import Status
from mnist_cnn.storage import (
    ModelFileError,
    ModelStore,
    library_versions,
    save_model_file,
    write_json_atomic,
)

if TYPE_CHECKING:
    import keras

    from mnist_cnn.data import MnistData
    from mnist_cnn.storage import ModelRecord

LESSON_PRESET = "seed"  # the notebook's network and settings (mnist_cnn.config.PRESETS)
LESSON_RUN_NAME = "Lesson: the notebook's network"
NOTEBOOK_RUN_NAME = "Notebook: codealong"
STEP_FILE = "lesson-step.json"  # in the models folder: the teacher's step
RUN_FILE = "lesson-run.json"  # in the models folder: the lesson's latest training run


# --- the live parts --------------------------------------------------------------------------


def ink_window(image: np.ndarray, size: int = 6) -> tuple[int, int]:
    """The top-left corner of a size x size square around the middle of the ink of a uint8
    28x28 digit: where its pixel values are worth reading."""
    rows, columns = np.nonzero(np.asarray(image) > 0)
    if rows.size == 0:
        raise ValueError(f"The image has no ink. Received: image with max {np.max(image)}")
    limit = image.shape[0] - size
    top = int(np.clip(round(rows.mean()) - size // 2, 0, limit))
    left = int(np.clip(round(columns.mean()) - size // 2, 0, limit))
    return top, left


def one_hot(label: int, classes: int = 10) -> np.ndarray:
    """Keras's `to_categorical` of one label: ten zeros and a one."""
    from keras.utils import to_categorical

    if not 0 <= int(label) < classes:
        raise ValueError(f"A label is a digit from 0 to {classes - 1}. Received: label={label!r}")
    return to_categorical([int(label)], classes)[0]


@dataclass(frozen=True)
class Shapes:
    """The picture's side after each layer of the plan, or why a window does not fit."""

    sides: list[int]  # 28, then after conv1, pool1, conv2 and pool2
    problem: str | None  # None when every layer has something left to look at


def shape_chain(kernel_size: int, pool_size: int = 2) -> Shapes:
    """28 -> 24 -> 12 -> 8 -> 4 for a 5x5 window and 2x2 pooling (mnist_cnn.config.map_sizes)."""
    sides = [28, *map_sizes(kernel_size, pool_size)]
    if min(sides) < 1:
        problem = (
            f"A {kernel_size} × {kernel_size} window does not fit: after the first pooling the "
            f"picture is only {sides[2]} × {sides[2]} pixels."
        )
        return Shapes([side for side in sides if side > 0], problem)
    return Shapes(sides, None)


def window_picture(image: np.ndarray, top: int, left: int, size: int) -> np.ndarray:
    """A uint8 28x28 digit as RGB in [0, 1], with the window's square drawn in orange."""
    if not (0 <= top <= image.shape[0] - size and 0 <= left <= image.shape[1] - size):
        raise ValueError(
            f"The {size}x{size} window must lie inside the image. Received: top={top}, left={left}"
        )
    grey = np.asarray(image, dtype=np.float32) / 255
    picture = np.repeat(grey[..., np.newaxis], 3, axis=2)
    inside = picture[top : top + size, left : left + size]
    orange = np.array([1.0, 0.5, 0.05], dtype=np.float32)
    picture[top : top + size, left : left + size] = 0.45 * inside + 0.55 * orange
    return picture


def architecture() -> list:
    """One row per layer (mnist_cnn.model.LayerInfo) of the notebook's network, from the real
    Keras model the `seed` preset builds: 41,018 weights in all."""
    from mnist_cnn.model import build_model, describe_model

    return describe_model(build_model(PRESETS[LESSON_PRESET]))


def dropout_demo(rate: float = 0.2, units: int = 10, seed: int = 0) -> np.ndarray:
    """What Keras's Dropout does to `units` values of 1 in one training step: about `rate` of
    them become 0, the others grow to 1 / (1 - rate) so that the total stays about the same."""
    import keras

    layer = keras.layers.Dropout(rate, seed=seed)
    return np.asarray(layer(np.ones((1, units), dtype=np.float32), training=True))[0]


@dataclass(frozen=True)
class LossExample:
    what: str
    probabilities: np.ndarray  # the network's ten answers
    right_digit_probability: float
    loss: float


def loss_examples(digit: int = 7, wrong: int = 1, sure: float = 0.95) -> list[LossExample]:
    """Keras's categorical cross-entropy of two answers for a `digit`: one sure and right, one
    just as sure of the `wrong` digit."""
    import keras

    examples = []
    for what, guess in (("right", digit), ("wrong", wrong)):
        probabilities = np.full(10, (1 - sure) / 9, dtype=np.float32)
        probabilities[guess] = sure
        loss = keras.losses.categorical_crossentropy(one_hot(digit)[None], probabilities[None])
        examples.append(
            LossExample(
                f"{what}: {100 * sure:.0f}% sure it is a {guess}",
                probabilities,
                float(probabilities[digit]),
                float(np.asarray(loss)[0]),
            )
        )
    return examples


# --- the class's lesson, shared by every app server through the models folder ------------------


class LessonBoard:
    """The teacher's step and the lesson's latest training run, as two small files in the models
    folder, so that every app server over that folder (and every student's page) reads them."""

    def __init__(self, models_dir: str | Path):
        self.folder = Path(models_dir)

    def _read(self, name: str, field: str):
        try:
            return json.loads((self.folder / name).read_text())[field]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write(self, name: str, data: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(data, self.folder / name)

    def teacher_step(self) -> int | None:
        """The step the teacher's Lesson page shows, or None before the teacher opened it."""
        step = self._read(STEP_FILE, "step")
        return step if isinstance(step, int) and step >= 1 else None

    def set_teacher_step(self, step: int) -> None:
        if not isinstance(step, int) or step < 1:
            raise ValueError(f"A step is a number from 1. Received: step={step!r}")
        self._write(STEP_FILE, {"step": step})

    def run_id(self) -> str | None:
        """The id of the lesson's latest training run (started with "Train it now")."""
        run_id = self._read(RUN_FILE, "run")
        return run_id if isinstance(run_id, str) else None

    def set_run_id(self, run_id: str) -> None:
        self._write(RUN_FILE, {"run": run_id})


# --- the notebook's last cell ----------------------------------------------------------------


def save_to_app(
    model: keras.Model,
    history: dict,
    test_loss: float,
    test_accuracy: float,
    data: MnistData,
    name: str = NOTEBOOK_RUN_NAME,
    models_dir: str | Path | None = None,
) -> ModelRecord:
    """Save a network trained in the notebook as a finished run in the app's models folder
    (MNIST_CNN_MODELS_DIR, or `models_dir`), with its metadata, so the app lists it."""
    from mnist_cnn.model import parameter_count

    shape = (tuple(model.inputs[0].shape[1:]), tuple(model.outputs[0].shape[1:]))
    if shape != ((28, 28, 1), (10,)):
        raise ValueError(
            "The app reads networks that take a 28x28x1 picture and give 10 answers. "
            f"Received: model with input {shape[0]} and output {shape[1]}"
        )
    store = ModelStore(models_dir)
    record = store.new_run(name, PRESETS[LESSON_PRESET], status=Status.RUNNING)
    record.history = {key: [float(value) for value in values] for key, values in history.items()}
    record.epochs_completed = len(next(iter(history.values()), []))
    record.test_loss, record.test_accuracy = float(test_loss), float(test_accuracy)
    record.parameters = parameter_count(model)
    record.precision = "float32"
    record.dataset_checksum = data.checksum
    record.versions = library_versions()
    try:
        save_model_file(model, record)
    except ModelFileError as error:  # a full disk: the run says so, and no half model is left
        move(record, Status.FAILED, str(error))
        store.update(record)
        raise
    move(record, Status.FINISHED)
    store.update(record)
    return record
