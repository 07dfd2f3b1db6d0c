"""The screen reader's words and the keyboard's way to give the network a digit (issue #27),
through AppTest with the canvas faked. tests/browser/test_accessibility_browser.py checks them
in Chromium, with axe-core over every page."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_cnn.predict import Prediction
from mnist_cnn.preprocess import preprocess
from mnist_cnn.ui.accessible import ANNOUNCEMENT_ID, picture_strokes
from mnist_cnn.ui.confusion import MATRIX_COLOURS, cell_colours, luminance
from mnist_cnn.ui.drawing import same_strokes
from mnist_cnn.ui.widgets import CANVAS_SIZE, describe, spoken

APP = str(Path(__file__).resolve().parent.parent / "app.py")
INSIDE = "mnist_cnn/ui/pages/inside.py"


def outputs(digit: int, sure: float, not_a_digit: float | None = None) -> np.ndarray:
    rest = (1 - sure) / 9
    values = [sure if number == digit else rest for number in range(10)]
    if not_a_digit is not None:
        values = [value * (1 - not_a_digit) for value in values] + [not_a_digit]
    return np.array(values, dtype=np.float32)


def test_the_spoken_answer():
    assert spoken(Prediction.from_outputs(outputs(7, 0.98))) == "The network reads 7, 98% sure."
    assert spoken(None) == ""  # no answer: the region empties
    not_a_digit = Prediction.from_outputs(outputs(8, 0.8, not_a_digit=0.9))
    assert not_a_digit.not_a_digit
    assert spoken(not_a_digit) == describe(not_a_digit)  # the page's own sentence


def test_a_picked_picture_is_a_canvas_drawing(mnist):
    image = mnist.test_images[0] / 255
    strokes, rgba = picture_strokes(image, CANVAS_SIZE)
    assert rgba.shape == (CANVAS_SIZE, CANVAS_SIZE, 4)
    assert (rgba[..., :3] == 255).all()  # white ink whose opacity is the grey
    assert np.array_equal(rgba[::10, ::10, 3], mnist.test_images[0])
    [picture] = strokes
    assert picture["type"] == "image" and picture["src"].startswith("data:image/png;base64,")
    assert (picture["width"], picture["height"]) == (CANVAS_SIZE, CANVAS_SIZE)
    prepared = preprocess(rgba)  # read as the canvas's picture is
    assert not prepared.blank and prepared.image.shape == (28, 28)


def test_a_picture_sent_back_by_the_canvas_is_the_same_drawing():
    picture = {"type": "image", "src": "data:image/png;base64,AAAA", "left": 0}
    sent_back = {**picture, "type": "Image", "scaleX": 1, "version": "6.0"}
    path = {"type": "path", "path": [["M", 1, 2]]}
    assert same_strokes([sent_back], [picture])
    assert same_strokes([path], [path]) and same_strokes([], [])
    assert not same_strokes([{**sent_back, "src": "data:image/png;base64,BBBB"}], [picture])
    assert not same_strokes([sent_back, path], [picture])  # drawn over: a new version
    assert not same_strokes([path], [{**path, "path": [["M", 3, 4]]}])


@pytest.fixture
def app(monkeypatch, tmp_path, fake_canvas):
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    app = AppTest.from_file(APP, default_timeout=60)
    app.drawn = fake_canvas
    return app


def headline(app) -> str:
    return app.container("prediction").markdown[0].value


def announcement(app) -> str:
    scripts = [
        element.proto.body
        for element in app.get("html")
        if ANNOUNCEMENT_ID in str(element.proto.body)
    ]
    assert len(scripts) == 1, scripts
    return scripts[0]


def test_picking_a_digit_draws_it_reads_it_and_says_it(app, mnist):
    app.run()
    assert 'const text = "";' in announcement(app)  # nothing read: nothing said
    app.selectbox(key="canvas-pick").select(7).run()
    assert not app.exception
    assert headline(app).startswith("# 7 · ")
    assert app.drawn.initial["objects"][0]["type"] == "image"  # the canvas is told to show it
    assert any("On the canvas: MNIST test image" in caption.value for caption in app.caption)
    percent = headline(app).split(" · ")[1].split("%")[0]
    assert f'const text = "The network reads 7, {percent}% sure.";' in announcement(app)

    app.switch_page(INSIDE).run()  # Inside the CNN reads the same digit, and has the picker too
    assert headline(app).startswith("# 7 · ")
    app.selectbox(key="inside-canvas-pick").select(3).run()
    assert headline(app).startswith("# 3 · ")

    app.button(key="inside-canvas-undo").click().run()  # one Undo: the 7 again
    assert headline(app).startswith("# 7 · ")


def test_picking_without_mnist_says_what_is_missing(app, monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "no-mnist"))
    (tmp_path / "no-mnist").mkdir()
    app.run()
    app.selectbox(key="canvas-pick").select(7).run()
    assert not app.exception
    assert any("MNIST test images not found" in error.value for error in app.error)
    assert "Draw a digit" in headline(app)  # nothing was put on the canvas


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted(
        (
            luminance(*(int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)))
            for colour in (one, other)
        ),
        reverse=True,
    )
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_number_of_the_confusion_matrix_reads_at_aa_contrast(theme):
    colours = MATRIX_COLOURS[theme]
    assert contrast(colours["empty ink"], colours["empty"]) >= 4.5
    named = {"white": "#ffffff", "black": "#000000"}
    for count in range(1, 101):  # a mistake cell, from the fewest to the most mistakes
        fill, ink = cell_colours(count, False, 100, colours)
        assert contrast(fill, named[ink]) >= 4.5, (count, fill, ink)
