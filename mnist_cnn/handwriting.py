"""Real pen-written digits, drawn as a student would draw them on the 280 px canvas.

The digits are the UCI "Pen-Based Recognition of Handwritten Digits" set (E. Alpaydin and
F. Alimoglu, UCI Machine Learning Repository, data set 81, CC BY 4.0): 7,494 digits by 30
writers, as pen strokes. The package does not ship them: they are read from a folder given as
an argument (the CLI's `--handwriting-dir`) or in the MNIST_CNN_HANDWRITING_DIR environment
variable, holding `pendigits-train.jsonl.gz` (one JSON object a line: label, writer, strokes).

The writers are split once and for all into training writers and held-out writers
(`HELD_OUT_WRITERS`): a model may train on the first, and is measured on the second only.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_cnn import settings
from mnist_cnn.canvas import CANVAS_SIZE, PEN_WIDTHS
from mnist_cnn.preprocess import preprocess

FILE_NAME = "pendigits-train.jsonl.gz"
# Every third writer (tra03, tra06, ..., tra30) is never trained on: 10 of the 30 writers.
HELD_OUT_WRITERS = tuple(f"tra{number:02d}" for number in range(3, 31, 3))

HEIGHT_FRACTIONS = (0.4, 0.9)  # the digit's longer side, as a fraction of the canvas
MAX_TILT_DEGREES = 10  # the digit is turned by up to this much, either way


@dataclass(frozen=True)
class PenDigit:
    label: int  # the digit, 0-9
    writer: str  # who wrote it, e.g. "tra03"
    strokes: list[np.ndarray]  # pen-down traces, each (N, 2): x right, y down, in a unit box


class HandwritingMissing(ValueError):
    """No folder of pen-written digits was given, or it does not hold them."""


def handwriting_dir(directory: str | Path | None = None) -> Path:
    """The folder with the pen-written digits: `directory`, else $MNIST_CNN_HANDWRITING_DIR."""
    chosen = directory or settings.handwriting_dir()
    if not chosen:
        raise HandwritingMissing(
            f"No folder of pen-written digits given: pass --handwriting-dir or set "
            f"MNIST_CNN_HANDWRITING_DIR to the folder holding {FILE_NAME}. Received: directory=None"
        )
    path = Path(chosen)
    if not (path / FILE_NAME).is_file():
        raise HandwritingMissing(
            f"There is no {FILE_NAME} in this folder. Received: directory={chosen!r}"
        )
    return path


def load_pen_digits(directory: str | Path | None = None) -> list[PenDigit]:
    """All the pen-written digits, in the file's order."""
    path = handwriting_dir(directory) / FILE_NAME
    digits = []
    with gzip.open(path, "rt", encoding="utf-8") as file:
        for line in file:
            row = json.loads(line)
            strokes = [
                np.array(stroke, dtype=np.float32).reshape(-1, 2) for stroke in row["strokes"]
            ]
            digits.append(PenDigit(int(row["label"]), str(row["writer"]), strokes))
    return digits


def split_by_writer(
    digits: list[PenDigit], held_out_writers: tuple[str, ...] = HELD_OUT_WRITERS
) -> tuple[list[PenDigit], list[PenDigit]]:
    """(digits of the training writers, digits of the held-out writers). `held_out_writers`:
    HELD_OUT_WRITERS, or another fold of a cross-validation by writer."""
    train = [digit for digit in digits if digit.writer not in held_out_writers]
    held_out = [digit for digit in digits if digit.writer in held_out_writers]
    return train, held_out


@dataclass(frozen=True)
class Drawing:
    image: np.ndarray  # the canvas: (280, 280) uint8 grey, or (280, 280, 4) RGBA
    ink: np.ndarray  # (280, 280) float32, ink = 1: what a plain resize should see
    pen_width: float  # in canvas pixels
    style: str  # "white on black", "black on white" or "transparent" (the app's canvas)


STYLES = ("white on black", "black on white", "transparent")


def draw_strokes(
    strokes: list[np.ndarray],
    pen_width: float,
    size: int = CANVAS_SIZE,
    style: str = "white on black",
) -> Drawing:
    """Draw strokes given in canvas pixels with a round pen `pen_width` pixels wide."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}. Received: style={style!r}")
    if not pen_width > 0:
        raise ValueError(f"pen_width must be positive. Received: pen_width={pen_width!r}")
    mask = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(mask)
    radius = pen_width / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        if len(points) > 1:
            pen.line(points, fill=255, width=max(1, round(pen_width)), joint="curve")
        for x, y in points:  # a round pen: a dot at every point makes round ends and joins
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    ink = np.asarray(mask, dtype=np.uint8)
    if style == "white on black":
        image = ink.copy()
    elif style == "black on white":
        image = 255 - ink
    else:
        image = np.zeros((size, size, 4), np.uint8)
        image[..., :3] = 255
        image[..., 3] = ink
    return Drawing(image, ink.astype(np.float32) / 255, float(pen_width), style)


def place_strokes(
    strokes: list[np.ndarray], rng: np.random.Generator, size: int = CANVAS_SIZE
) -> list[np.ndarray]:
    """Strokes in a unit box -> canvas pixels, at a random size, tilt and place on the canvas."""
    longer_side = rng.uniform(*HEIGHT_FRACTIONS) * size
    angle = math.radians(rng.uniform(-MAX_TILT_DEGREES, MAX_TILT_DEGREES))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    points = [(stroke - 0.5) @ rotation.T * longer_side for stroke in strokes]
    everything = np.concatenate(points)
    low, high = everything.min(axis=0), everything.max(axis=0)
    margin = 0.06 * size  # the pen's width stays on the canvas
    # A random place where the whole digit fits (the centre when it barely fits).
    offset = [
        rng.uniform(margin - low[axis], max(margin - low[axis], size - margin - high[axis]))
        for axis in range(2)
    ]
    return [stroke + np.array(offset) for stroke in points]


def draw_like_a_student(
    strokes: list[np.ndarray], rng: np.random.Generator, size: int = CANVAS_SIZE
) -> Drawing:
    """Strokes in a unit box drawn on the canvas: random pen width (8-40 px), size, place, tilt
    and style (white on black, black on white, or white on a transparent canvas)."""
    pen_width = rng.uniform(*PEN_WIDTHS) * size / CANVAS_SIZE
    style = STYLES[rng.integers(len(STYLES))]
    return draw_strokes(place_strokes(strokes, rng, size), pen_width, size, style)


def plain_resize(drawing: Drawing) -> np.ndarray:
    """What most digit demos do: the whole canvas shrunk to 28x28 (ink made white)."""
    small = Image.fromarray(drawing.ink).resize((28, 28), Image.Resampling.BOX)
    small = np.asarray(small, dtype=np.float32)
    return small / max(float(small.max()), 1e-6)


def distort(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Strokes bent as another hand would write them: a random slant (up to 15 degrees), width
    (80-120%) and a smooth elastic wobble (sine waves of about one per box, up to 3% of it)."""
    slant = math.tan(math.radians(rng.uniform(-15, 15)))
    width = rng.uniform(0.8, 1.2)
    waves = [(rng.normal(0, 1.5, 2), rng.uniform(0, 2 * math.pi), rng.uniform(-0.03, 0.03, 2))]
    waves.append((rng.normal(0, 1.5, 2), rng.uniform(0, 2 * math.pi), rng.uniform(-0.03, 0.03, 2)))
    bent = []
    for stroke in strokes:
        points = stroke.astype(np.float64)
        for frequency, phase, amplitude in waves:
            points = points + np.sin(2 * math.pi * points @ frequency + phase)[:, None] * amplitude
        x = 0.5 + (points[:, 0] - 0.5) * width - slant * (points[:, 1] - 0.5)
        bent.append(np.stack([x, points[:, 1]], axis=1))
    return bent


def render_for_training(
    strokes_list: list[list[np.ndarray]], seed: int, size: int = 140, bend: bool = True
) -> np.ndarray:
    """Each strokes in `strokes_list` drawn like a student and preprocessed: (N, 28, 28) uint8.

    `bend`: each is first distorted (see `distort`). Drawn on a half-size canvas (pens scaled
    with it), which preprocessing reads the same way at a quarter of the cost. A drawing read as
    blank gives an empty image.
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((len(strokes_list), 28, 28), np.uint8)
    for index, strokes in enumerate(strokes_list):
        if bend:
            strokes = distort(strokes, rng)
        prepared = preprocess(draw_like_a_student(strokes, rng, size).image)
        if not prepared.blank:
            images[index] = np.round(prepared.image * 255).astype(np.uint8)
    return images


NOT_A_DIGIT = 10  # the label of marks that are no digit (the network's 11th output)
DRAWINGS_PER_DIGIT = 8  # each training writer's digit is drawn this many times, differently
MARK_COUNT = 8_000  # drawn marks that are no digit


def extra_training_data(
    real_digits: bool,
    not_a_digit: bool,
    seed: int,
    directory: str | Path | None = None,
    share: float = 1.0,
    held_out_writers: tuple[str, ...] = HELD_OUT_WRITERS,
) -> tuple[np.ndarray, np.ndarray]:
    """Drawings to train on besides MNIST, preprocessed: (N, 28, 28) uint8 images and labels.

    real_digits: the training writers' pen-written digits (never those of `held_out_writers`),
    each drawn DRAWINGS_PER_DIGIT times like a student. not_a_digit: MARK_COUNT marks that are no
    digit (mnist_cnn.marks), labelled NOT_A_DIGIT. share: the fraction of all these to make
    (a random choice), e.g. as small as the share of MNIST a quick run trains on.
    """
    from mnist_cnn.marks import random_mark

    strokes, labels = [], []
    if real_digits:
        training_digits, _ = split_by_writer(load_pen_digits(directory), held_out_writers)
        for _ in range(DRAWINGS_PER_DIGIT):
            strokes += [digit.strokes for digit in training_digits]
            labels += [digit.label for digit in training_digits]
    if not_a_digit:
        rng = np.random.default_rng([seed, NOT_A_DIGIT])
        strokes += [random_mark(rng) for _ in range(MARK_COUNT)]
        labels += [NOT_A_DIGIT] * MARK_COUNT
    if share < 1:
        chosen = np.random.default_rng(seed).permutation(len(strokes))[
            : round(share * len(strokes))
        ]
        strokes, labels = [strokes[index] for index in chosen], [labels[index] for index in chosen]
    images = render_for_training(strokes, seed)
    drawn = images.any(axis=(1, 2))  # a drawing read as blank is left out
    return images[drawn], np.array(labels, np.uint8)[drawn]
