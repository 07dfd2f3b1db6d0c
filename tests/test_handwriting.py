"""Real handwriting and "not a digit": the shipped model on pen-written digits by people it never
saw (UCI pendigits, CC BY 4.0: E. Alpaydin and F. Alimoglu, UCI ML Repository, data set 81), and
on marks that are no digit, drawn here with shapes of the tests' own (not mnist_cnn.marks)."""

import math
import os
from pathlib import Path

import numpy as np
import pytest

from mnist_cnn.handwriting import (
    FILE_NAME,
    HELD_OUT_WRITERS,
    NOT_A_DIGIT,
    draw_like_a_student,
    extra_training_data,
    handwriting_dir,
    load_pen_digits,
    split_by_writer,
)
from mnist_cnn.predict import Prediction, Predictor
from mnist_cnn.preprocess import preprocess


def pendigits_dir() -> Path:
    """MNIST_CNN_HANDWRITING_DIR, else the shared data folder beside the repository."""
    chosen = os.environ.get("MNIST_CNN_HANDWRITING_DIR")
    return Path(chosen) if chosen else Path(__file__).resolve().parents[2] / "shared/data/pendigits"


@pytest.fixture(scope="module")
def pen_digits():
    if not (pendigits_dir() / FILE_NAME).is_file():
        pytest.skip(
            f"pen-written digits not available: set MNIST_CNN_HANDWRITING_DIR to a folder "
            f"with {FILE_NAME} (UCI pendigits)"
        )
    return load_pen_digits(pendigits_dir())


@pytest.fixture(scope="module")
def predictor(shipped_model):
    return Predictor(shipped_model)


def test_the_writers_are_split_once_and_for_all(pen_digits):
    training, held_out = split_by_writer(pen_digits)
    assert len(training) + len(held_out) == len(pen_digits) == 7494
    assert {digit.writer for digit in held_out} == set(HELD_OUT_WRITERS)
    assert len(HELD_OUT_WRITERS) == 10
    assert not {digit.writer for digit in training} & set(HELD_OUT_WRITERS)


def test_a_missing_folder_says_how_to_give_one(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_CNN_HANDWRITING_DIR", raising=False)
    with pytest.raises(ValueError, match="MNIST_CNN_HANDWRITING_DIR"):
        handwriting_dir()
    with pytest.raises(ValueError, match="Received: directory="):
        handwriting_dir(tmp_path)


def test_held_out_writers_are_read(pen_digits, predictor):
    """Every 10th digit of the held-out writers, drawn like a student: the shipped model reads
    98% or more (the full figure is `python -m tools.handwriting`) and flags almost none."""
    _, held_out = split_by_writer(pen_digits)
    rng = np.random.default_rng(1)
    correct = flagged = 0
    sample = held_out[::10]
    for digit in sample:
        prepared = preprocess(draw_like_a_student(digit.strokes, rng).image)
        prediction = predictor.predict(prepared.image)
        correct += prediction.digit == digit.label
        flagged += prediction.not_a_digit
    assert correct / len(sample) >= 0.97
    assert flagged / len(sample) <= 0.01


def test_mnist_test_digits_are_not_flagged(mnist, shipped_model):
    outputs = shipped_model.predict_on_batch(mnist.test_images[:, :, :, None] / 255.0)
    flagged = np.mean([Prediction.from_outputs(row).not_a_digit for row in outputs])
    assert flagged <= 0.01


def test_extra_training_data_are_drawings_and_marks(pen_digits):
    images, labels = extra_training_data(True, False, seed=0, directory=pendigits_dir())
    training, _ = split_by_writer(pen_digits)
    assert images.shape[1:] == (28, 28) and images.dtype == np.uint8
    assert len(images) >= 0.99 * 2 * len(training)  # two drawings of each training digit
    assert set(labels.tolist()) == set(range(10))


# --- Marks that are no digit, drawn by the tests' own shapes ----------------------------------


def polyline(*points):
    return np.array(points, dtype=np.float64)


def circle(centre, radius, start=0, end=360, count=40):
    angles = np.radians(np.linspace(start, end, count))
    return np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], 1)


def star_outline():
    angles = np.radians(np.arange(11) * 36 - 90)
    radii = np.where(np.arange(11) % 2 == 0, 0.5, 0.2)
    return np.stack([0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles)], 1)


def archimedes_spiral():
    angles = np.linspace(0, 6 * math.pi, 150)
    radii = 0.5 * angles / angles[-1]
    return np.stack([0.5 + radii * np.cos(angles), 0.5 + radii * np.sin(angles)], 1)


def scribble(rng):
    walk = np.cumsum(rng.normal(0, 0.12, (60, 2)), axis=0)
    smooth = np.stack([np.convolve(walk[:, axis], np.ones(4) / 4, "valid") for axis in (0, 1)], 1)
    return (smooth - smooth.min(0)) / max(np.ptp(smooth, axis=0).max(), 1e-6)


def heart_shape():
    left = circle((0.27, 0.3), 0.25, 0, -200)[::-1]
    right = circle((0.73, 0.3), 0.25, 20, -180)[::-1]
    return np.concatenate([polyline((0.5, 1.0)), left, right[::-1], polyline((0.5, 1.0))])


MARKS = {
    "X": lambda rng: [polyline((0, 0), (1, 1)), polyline((1, 0), (0, 1))],
    "K": lambda rng: [polyline((0.1, 0), (0.1, 1)), polyline((0.9, 0), (0.1, 0.55), (0.9, 1))],
    "W": lambda rng: [polyline((0, 0), (0.2, 1), (0.5, 0.35), (0.8, 1), (1, 0))],
    "M": lambda rng: [polyline((0, 1), (0.1, 0), (0.5, 0.7), (0.9, 0), (1, 1))],
    "A": lambda rng: [polyline((0, 1), (0.5, 0), (1, 1)), polyline((0.2, 0.62), (0.8, 0.62))],
    "H": lambda rng: [
        polyline((0, 0), (0, 1)),
        polyline((0.8, 0), (0.8, 1)),
        polyline((0, 0.5), (0.8, 0.5)),
    ],
    "N": lambda rng: [polyline((0, 1), (0, 0), (0.8, 1), (0.8, 0))],
    "#": lambda rng: [
        polyline((0.35, 0), (0.25, 1)),
        polyline((0.75, 0), (0.65, 1)),
        polyline((0, 0.33), (1, 0.33)),
        polyline((0, 0.67), (1, 0.67)),
    ],
    "smiley": lambda rng: [
        circle((0.5, 0.5), 0.5),
        polyline((0.33, 0.35)),
        polyline((0.67, 0.35)),
        circle((0.5, 0.5), 0.28, 30, 150),
    ],
    "star": lambda rng: [star_outline()],
    "spiral": lambda rng: [archimedes_spiral()],
    "zigzag": lambda rng: [polyline(*[(x / 6, x % 2) for x in range(7)])],
    "scribble": lambda rng: [scribble(rng)],
    "heart": lambda rng: [heart_shape()],
    "one dot": lambda rng: [polyline((0.5, 0.5))],
    "two dots": lambda rng: [polyline((0.2, 0.5)), polyline((0.8, 0.5))],
}


def test_marks_that_are_no_digit_are_reported(predictor):
    """Each mark drawn 6 times (pen, size, place, tilt, polarity at random): at least 90% of
    them are reported blank or not a digit, and each kind at least half the time."""
    rng = np.random.default_rng(2)
    caught = {}
    for kind, make in MARKS.items():
        results = []
        for _ in range(6):
            prepared = preprocess(draw_like_a_student(make(rng), rng).image)
            results.append(prepared.blank or predictor.predict(prepared.image).not_a_digit)
        caught[kind] = sum(results) / len(results)
    assert np.mean(list(caught.values())) >= 0.9, caught
    assert min(caught.values()) >= 0.5, caught


def test_the_not_a_digit_message():
    outputs = np.array([0.01] * 8 + [0.31, 0.0, 0.61], np.float32)  # 8: 31%; not a digit: 61%
    prediction = Prediction.from_outputs(outputs / outputs.sum())
    assert prediction.not_a_digit and prediction.digit == 8
    assert prediction.not_a_digit_message() == "This does not look like a digit. Best guess: 8, 31%"
    assert prediction.probabilities.sum() == pytest.approx(1)
    sure = Prediction.from_outputs(np.eye(11)[3])
    assert not sure.not_a_digit and sure.not_a_digit_message() == ""
    assert not Prediction.from_outputs(np.eye(10)[3]).not_a_digit  # ten outputs: never flagged
    assert NOT_A_DIGIT == 10
