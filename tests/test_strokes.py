"""Tests for tools.strokes: synthetic handwritten digits as pen strokes."""

import collections

import numpy as np
import pytest
from PIL import Image

from mnist_cnn.preprocess import preprocess
from tools import strokes as strokes_module
from tools.strokes import digit_strokes, make_drawn_digits, render_strokes


@pytest.mark.parametrize("digit", range(10))
def test_every_digit_gives_1_to_3_strokes_inside_the_margin(digit):
    rng = np.random.default_rng(digit)
    for _ in range(20):
        strokes = digit_strokes(digit, rng)
        assert 1 <= len(strokes) <= 3
        points = np.array([point for stroke in strokes for point in stroke])
        assert all(len(stroke) >= 2 for stroke in strokes)
        assert points.min() >= 0.02 and points.max() <= 0.98
        height = points[:, 1].max() - points[:, 1].min()
        assert 0.3 <= height <= 0.85 + 1e-9  # 40%-85%, less for a glyph that had to be narrowed
        assert all(isinstance(value, float) for point in strokes[0] for value in point)


class StyleChooser:
    """Stands in for the random generator of a glyph: always picks the first or the last style."""

    def __init__(self, last: bool):
        self.last = last

    def random(self):
        return 0.999 if self.last else 0.0

    def integers(self, count):
        return count - 1 if self.last else 0

    def uniform(self, low, high):
        return (low + high) / 2


@pytest.mark.parametrize("digit", range(10))
def test_each_digit_comes_in_at_least_two_styles(digit):
    first = strokes_module.GLYPHS[digit](StyleChooser(last=False))
    last = strokes_module.GLYPHS[digit](StyleChooser(last=True))
    same_shape = [len(stroke) for stroke in first] == [len(stroke) for stroke in last] and all(
        np.abs(a - b).max() < 0.05 for a, b in zip(first, last, strict=True)
    )
    assert not same_shape


def test_curves_are_sampled_densely():
    strokes = digit_strokes(0, np.random.default_rng(0))
    assert 10 <= len(strokes[0]) <= 60
    steps = np.hypot(*np.diff(np.array(strokes[0]), axis=0).T)
    assert steps.max() < 0.1  # no long jumps: the browser test draws these as mouse moves


def test_strokes_are_deterministic_for_a_seed():
    first = [digit_strokes(digit, np.random.default_rng(3)) for digit in range(10)]
    second = [digit_strokes(digit, np.random.default_rng(3)) for digit in range(10)]
    assert first == second
    assert digit_strokes(5, np.random.default_rng(4)) != first[5]


def test_render_draws_a_round_pen_of_the_given_width():
    line = [[(0.25, 0.5), (0.75, 0.5)]]
    image = render_strokes(line, size=200, stroke_width=20)
    assert image.mode == "L" and image.size == (200, 200)
    ink = np.asarray(image) > 127
    assert 19 <= ink[:, 100].sum() <= 22  # the pen's width across the line
    assert 68 <= ink[100].sum() <= 124  # 100 px long plus a round cap of 10 px at each end
    assert ink[0, 0] == 0


def test_render_polarity_and_transparency():
    strokes = digit_strokes(8, np.random.default_rng(0))
    white_on_black = np.asarray(render_strokes(strokes))
    black_on_white = np.asarray(render_strokes(strokes, ink_on_dark=False))
    np.testing.assert_array_equal(black_on_white, 255 - white_on_black)
    transparent = render_strokes(strokes, background="transparent")
    assert transparent.mode == "RGBA"
    rgba = np.asarray(transparent)
    np.testing.assert_array_equal(rgba[:, :, 3], white_on_black)
    assert (rgba[white_on_black > 0, :3] == 255).all()
    dark_ink = np.asarray(render_strokes(strokes, ink_on_dark=False, background="transparent"))
    assert (dark_ink[white_on_black > 0] == (0, 0, 0, 255)).all()


def test_make_drawn_digits_is_balanced_and_as_declared():
    samples = make_drawn_digits(34, seed=1, size=100)
    counts = collections.Counter(digit for _, digit, _ in samples)
    assert sorted(counts) == list(range(10))
    assert set(counts.values()) == {3, 4}
    for image, _, strokes in samples:
        assert isinstance(image, Image.Image) and image.size == (100, 100)
        assert strokes and all(len(stroke) >= 2 for stroke in strokes)
        if image.info["background"] == "transparent":
            assert image.mode == "RGBA"
            pixels = np.asarray(image)
            assert pixels[:, :, 3].min() == 0 and pixels[:, :, 3].max() == 255
            ink_colour = pixels[pixels[:, :, 3] == 255, 0]
            assert (ink_colour == (255 if image.info["ink_on_dark"] else 0)).all()
        else:
            assert image.mode == "L"
            pixels = np.asarray(image, np.float32)
            border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
            background = np.median(border)
            assert background < 60 if image.info["ink_on_dark"] else background > 195
    assert {image.info["ink_on_dark"] for image, _, _ in samples} == {True, False}
    assert {image.info["background"] for image, _, _ in samples} == {"opaque", "transparent"}


def test_make_drawn_digits_is_deterministic():
    first = make_drawn_digits(6, seed=2, size=64)
    second = make_drawn_digits(6, seed=2, size=64)
    for (image_a, digit_a, strokes_a), (image_b, digit_b, strokes_b) in zip(
        first, second, strict=True
    ):
        assert digit_a == digit_b and strokes_a == strokes_b
        assert image_a.tobytes() == image_b.tobytes()


def test_drawn_digits_are_never_blank_after_preprocessing():
    for image, digit, _ in make_drawn_digits(30, seed=5):
        assert not preprocess(image).blank, digit


@pytest.mark.parametrize("digit", [-1, 10, 3.0, "3", True, None])
def test_bad_digit(digit):
    with pytest.raises(ValueError, match="digit must be an integer"):
        digit_strokes(digit, np.random.default_rng(0))


def test_bad_arguments():
    with pytest.raises(ValueError, match="numpy Generator"):
        digit_strokes(1, 42)
    with pytest.raises(ValueError, match="background"):
        render_strokes([[(0.5, 0.5)]], background="white")
    with pytest.raises(ValueError, match="stroke_width"):
        render_strokes([[(0.5, 0.5)]], stroke_width=0)
    with pytest.raises(ValueError, match="size"):
        render_strokes([[(0.5, 0.5)]], size=0)
    with pytest.raises(ValueError, match="count"):
        make_drawn_digits(-1)
