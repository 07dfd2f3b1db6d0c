"""The Draw page's logic through Streamlit's AppTest, with the canvas replaced by a fake.

Only a real browser can draw (see tests/browser); here the fake canvas hands the page a
prepared RGBA image, exactly the kind of array streamlit-drawable-canvas returns.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import ONE, SEVEN, canvas_image, cross_on_canvas
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "mnist_cnn" / "ui" / "pages" / "draw.py")


@pytest.fixture
def draw_page(monkeypatch, tmp_path, fake_canvas):
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.drawn = fake_canvas
    return app


def markdown_values(app):
    return [element.value for element in app.markdown]


def test_blank_canvas_shows_a_hint_and_no_digit(draw_page):
    draw_page.run()
    assert not draw_page.exception and not draw_page.error
    assert any("Draw a digit" in text for text in markdown_values(draw_page))
    assert not any(text.startswith("# ") for text in markdown_values(draw_page))


def test_drawn_digits_are_read(draw_page):
    for points, digit in ((SEVEN, 7), (ONE, 1)):
        draw_page.drawn["image"] = canvas_image(points)
        draw_page.run()
        assert not draw_page.exception
        headline = [text for text in markdown_values(draw_page) if text.startswith("# ")]
        assert headline and headline[0].startswith(f"# {digit} · "), headline


def test_clearing_returns_to_the_hint(draw_page):
    draw_page.drawn["image"] = canvas_image(SEVEN)
    draw_page.run()
    draw_page.drawn["image"] = canvas_image()  # the canvas's clear button: nothing drawn
    draw_page.run()
    assert any("Draw a digit" in text for text in markdown_values(draw_page))
    assert not any(text.startswith("# ") for text in markdown_values(draw_page))


def test_unsure_prediction_names_two_guesses(draw_page):
    draw_page.drawn["image"] = canvas_image(
        [(60, 60), (220, 220), (60, 220), (220, 60)], width=8
    )  # a scribble
    draw_page.run()
    texts = markdown_values(draw_page)
    headline = next((text for text in texts if text.startswith("# ")), None)
    if headline.startswith("# Not a digit"):  # the network may see that it is no digit at all
        assert any("if it is a digit" in text for text in texts)
    elif int(headline.split("·")[1].split("%")[0]) < 70:
        assert any("unsure" in text for text in texts)


def test_a_mark_that_is_no_digit_is_said_so_in_words(draw_page):
    draw_page.drawn["image"] = cross_on_canvas()
    draw_page.run()
    assert not draw_page.exception
    texts = markdown_values(draw_page)
    headline = next(text for text in texts if text.startswith("# "))
    assert re.fullmatch(r"# Not a digit · \d+% sure", headline)  # how sure it is no digit
    assert draw_page.caption[0].value.startswith("If it is a digit, most likely ")
    # the bars say they are "if it is a digit", and none is the winner's red
    assert "**Probability of each digit, if it is a digit**" in texts
    assert "#ff4b4b" not in draw_page.container("probabilities").html[0].body


def test_bad_canvas_data_gives_a_message_not_a_crash(draw_page):
    draw_page.drawn["image"] = np.full((280, 280, 4), np.nan, dtype=np.float32)
    draw_page.run()
    assert not draw_page.exception
    assert draw_page.error and "Could not read the drawing" in draw_page.error[0].value


def test_sidebar_names_the_active_model(draw_page):
    draw_page.run()
    assert draw_page.sidebar.selectbox[0].label == "Switch model"
    assert any("Active model" in text for text in [m.value for m in draw_page.sidebar.markdown])


def ten_output_model_active(models_dir: Path) -> None:
    """Make a network with ten outputs (the seed preset's, untrained) the active model."""
    from mnist_cnn.config import PRESETS
    from mnist_cnn.model import build_model
    from mnist_cnn.status import Status
    from mnist_cnn.storage import ModelStore, save_model_file

    store = ModelStore(models_dir)
    record = store.new_run("ten outputs", PRESETS["seed"], status=Status.FINISHED)
    save_model_file(build_model(PRESETS["seed"]), record)
    store.set_active(record.id)


def test_a_network_without_not_a_digit_says_so_next_to_the_answer(draw_page, tmp_path):
    from mnist_cnn.ui.widgets import CANNOT_SAY_NOT_A_DIGIT

    draw_page.drawn["image"] = canvas_image(SEVEN)
    draw_page.run()  # the shipped model has the 11th output: no such note
    assert CANNOT_SAY_NOT_A_DIGIT not in [caption.value for caption in draw_page.caption]

    ten_output_model_active(tmp_path / "models")
    draw_page.run()
    assert not draw_page.exception
    notes = [
        caption.value
        for caption in draw_page.get("caption")
        if caption.value == CANNOT_SAY_NOT_A_DIGIT
    ]
    assert notes, [caption.value for caption in draw_page.caption]
    headline = [text for text in markdown_values(draw_page) if text.startswith("# ")]
    assert headline  # it still answers with a digit
