"""The websocket sessions of the load script send what the canvas sends: checked here by reading
their message back the way streamlit-drawable-canvas and the Draw page do (no server needed;
tests/browser/test_load_browser.py runs the whole script)."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from mnist_cnn.predict import Predictor
from mnist_cnn.preprocess import preprocess
from tools.browser import ONE_STROKE_DIGITS, one_stroke
from tools.socket_client import PREDICTION_TEXT, canvas_state


def as_the_canvas_returns_it(state: str) -> tuple[dict, np.ndarray]:
    """(json_data, image_data), decoded as streamlit-drawable-canvas 0.13's CanvasResult does
    (it cannot be imported outside a running app)."""
    drawing = json.loads(state)["drawing"]
    header, encoded = drawing["data"].split(";base64,", 1)
    assert header == "data:image/png"
    image = Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGBA")
    return drawing["raw"], np.asarray(image)


def test_a_sent_stroke_reads_back_as_the_digit_drawn(shipped_model):
    predictor, rng = Predictor(shipped_model), np.random.default_rng(0)
    read = []
    for digit in ONE_STROKE_DIGITS:
        raw, image = as_the_canvas_returns_it(canvas_state(one_stroke(digit, rng)))
        assert image.shape == (280, 280, 4)
        assert len(raw["objects"]) == 1
        read.append(predictor.predict(preprocess(image).image).digit)
    assert sum(r == d for r, d in zip(read, ONE_STROKE_DIGITS, strict=True)) >= 8, read


def test_a_cleared_canvas_is_blank():
    raw, image = as_the_canvas_returns_it(canvas_state([]))
    assert raw["objects"] == []
    assert preprocess(image).blank


@pytest.mark.parametrize(
    ("text", "digit"),
    [("# 7 · 98% sure", "7"), ("# 0 · 100% sure", "0"), (":material/draw: Draw a digit", None)],
)
def test_the_prediction_headline_is_recognised(text, digit):
    found = PREDICTION_TEXT.match(text)
    assert (found.group(1) if found else None) == digit
