"""Preprocessing never damages a drawing: thick and thin pens, tiny digits in a corner, digits
touching the edge, a 1 that is only a line, a 7 with a bar. Each is drawn on the 280 px canvas
in the three ways the app can receive it, and read by the shipped model."""

import math

import numpy as np
import pytest

from mnist_cnn.handwriting import STYLES, draw_strokes
from mnist_cnn.predict import Predictor
from mnist_cnn.preprocess import preprocess


def arc(centre, radius, start, end, count=30):
    """Points on a circle; angles in degrees, 0 is right, 90 is down (y points down)."""
    angles = np.radians(np.linspace(start, end, count))
    return np.stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)], 1)


# Digits in a unit box (x right, y down), as a person draws them.
FOUR = [np.array([(0.6, 0.0), (0.0, 0.65), (1.0, 0.65)]), np.array([(0.75, 0.3), (0.75, 1.0)])]
SEVEN = [np.array([(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)])]
SEVEN_WITH_BAR = [*SEVEN, np.array([(0.4, 0.5), (0.95, 0.5)])]
ONE_LINE = [np.array([(0.5, 0.0), (0.5, 1.0)])]
THREE = [np.concatenate([arc((0.5, 0.25), 0.25, 200, 450), arc((0.5, 0.75), 0.25, 270, 520)])]


def on_canvas(strokes, left, top, size):
    """Unit-box strokes moved to a `size`-pixel box at (left, top) of the canvas."""
    return [stroke * size + np.array([left, top]) for stroke in strokes]


@pytest.fixture(scope="module")
def predictor(shipped_model):
    return Predictor(shipped_model)


def read(predictor, strokes, pen_width, style):
    drawing = draw_strokes(strokes, pen_width, style=style)
    prepared = preprocess(drawing.image)
    assert not prepared.blank
    return drawing, prepared, predictor.predict(prepared.image)


@pytest.mark.parametrize("style", STYLES)
def test_a_thick_pen_keeps_all_its_ink(predictor, style):
    """A 40 px pen (the slider's largest) on a big 4: background removal must not hollow it."""
    drawing, prepared, prediction = read(predictor, on_canvas(FOUR, 40, 30, 210), 40, style)
    inked = drawing.ink > 0.5
    assert prepared.steps["ink"][inked].min() > 0.9  # every inked pixel is still full ink
    assert prediction.digit == 4 and prediction.confidence > 0.9 and not prediction.not_a_digit


@pytest.mark.parametrize("style", STYLES)
def test_a_thin_pen(predictor, style):
    _, prepared, prediction = read(predictor, on_canvas(FOUR, 40, 30, 210), 8, style)
    assert np.count_nonzero(prepared.image > 0.5) >= 25  # the strokes are still there in 28x28
    assert prediction.digit == 4 and not prediction.not_a_digit


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("corner", [(5, 5), (225, 225)])
def test_a_tiny_digit_in_a_corner(predictor, style, corner):
    _, prepared, prediction = read(predictor, on_canvas(THREE, *corner, 45), 8, style)
    rows, cols = np.indices(prepared.image.shape)
    total = prepared.image.sum()
    assert abs((rows * prepared.image).sum() / total - 14) < 1.5  # centred like MNIST
    assert abs((cols * prepared.image).sum() / total - 14) < 1.5
    assert prediction.digit == 3 and not prediction.not_a_digit


@pytest.mark.parametrize("style", STYLES)
def test_a_digit_touching_the_edges(predictor, style):
    """A 7 whose bar lies on the top edge and whose foot touches the bottom edge."""
    _, _, prediction = read(predictor, on_canvas(SEVEN, 60, 0, 280), 24, style)
    assert prediction.digit == 7 and not prediction.not_a_digit


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("pen_width", [8, 20, 40])
def test_a_one_that_is_only_a_line(predictor, style, pen_width):
    _, prepared, prediction = read(predictor, on_canvas(ONE_LINE, 40, 30, 220), pen_width, style)
    height, width = prepared.steps["cropped"].shape
    assert width < height / 2  # its shape is kept: a line stays a line
    assert prediction.digit == 1 and not prediction.not_a_digit


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("pen_width", [8, 20, 40])
def test_a_seven_with_a_bar(predictor, style, pen_width):
    strokes = on_canvas(SEVEN_WITH_BAR, 50, 30, 200)
    _, _, prediction = read(predictor, strokes, pen_width, style)
    assert prediction.digit == 7 and not prediction.not_a_digit


def test_a_slightly_turned_digit(predictor):
    angle = math.radians(10)
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    strokes = [(stroke - 0.5) @ turn.T + 0.5 for stroke in FOUR]
    _, _, prediction = read(predictor, on_canvas(strokes, 40, 40, 200), 20, "transparent")
    assert prediction.digit == 4
