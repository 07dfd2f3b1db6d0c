"""Shared fixtures. Tests never touch the network: MNIST comes from MNIST_DATA_DIR or a local copy."""

import os
import sys
from types import ModuleType, SimpleNamespace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Pen-written digits (UCI pendigits), for the tests that read them and for the accurate preset,
# which trains on them: MNIST_CNN_HANDWRITING_DIR, else the shared data folder beside the clone.
_PENDIGITS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "pendigits")
if "MNIST_CNN_HANDWRITING_DIR" not in os.environ and os.path.isdir(_PENDIGITS):
    os.environ["MNIST_CNN_HANDWRITING_DIR"] = os.path.realpath(_PENDIGITS)

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from mnist_cnn.config import TrainConfig  # noqa: E402
from mnist_cnn.data import DataError, load_mnist  # noqa: E402
from mnist_cnn.storage import ASSETS_DIR, load_model_file  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST, or a skip that says how to provide it."""
    try:
        return load_mnist(allow_download=False)
    except DataError as error:
        pytest.skip(f"MNIST files not available ({error})")


@pytest.fixture(scope="session")
def shipped_model():
    return load_model_file(ASSETS_DIR / "model.keras")


@pytest.fixture
def tiny_config():
    """Trains in about a second: 1,000 images, one epoch."""
    return TrainConfig(train_size=1000, validation_size=500, epochs=1, batch_size=100)


# Strokes in canvas pixels, for canvas_image: a clear 7 and a clear 1.
SEVEN = [(80, 60), (210, 60), (120, 240)]
ONE = [(140, 40), (140, 240)]


def canvas_image(points=None, width=20):
    """What the canvas gives a page: a 280x280 RGBA image, white strokes on black (or nothing
    drawn). Test modules import it: `from conftest import canvas_image`."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    if points:
        ImageDraw.Draw(image).line(points, fill=(255, 255, 255, 255), width=width, joint="curve")
    return np.asarray(image)


def cross_on_canvas():
    """A big X, which is no digit, as the canvas gives it: two strokes, white on black."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    pen = ImageDraw.Draw(image)
    pen.line([(60, 50), (220, 230)], fill=(255, 255, 255, 255), width=20)
    pen.line([(220, 50), (60, 230)], fill=(255, 255, 255, 255), width=20)
    return np.asarray(image)


@pytest.fixture
def fake_canvas(monkeypatch):
    """Stands in for streamlit-drawable-canvas in AppTest, where no one can draw.

    Returns a dict: set drawn["image"] to the RGBA array the canvas should hand the page (None:
    nothing drawn yet). Only a real browser draws; see tests/browser.
    """
    drawn = {"image": None}

    def st_canvas(**kwargs):
        assert kwargs["return_image_data"] is True, "the page must ask the canvas for its image"
        return SimpleNamespace(image_data=drawn["image"], json_data=None)

    module = ModuleType("streamlit_drawable_canvas")
    module.st_canvas = st_canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", module)
    return drawn
