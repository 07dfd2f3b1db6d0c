"""Shared fixtures. Tests never touch the network: MNIST comes from MNIST_DATA_DIR or ./data/mnist.

Without MNIST_DATA_DIR, it is set here to ./data/mnist for this process and every app server
the tests start: an explicit folder without the files is an error, never a reason to download
(mnist_cnn.data), so a machine without MNIST skips the tests that need it instead.
"""

import os
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault(
    "MNIST_DATA_DIR", str(Path(__file__).resolve().parent.parent / "data" / "mnist")
)
# Pen-written digits (UCI pendigits), for the tests that read them and for the accurate preset,
# which trains on them: MNIST_CNN_HANDWRITING_DIR, else the shared data folder beside the clone.
_PENDIGITS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pendigits"
if "MNIST_CNN_HANDWRITING_DIR" not in os.environ and _PENDIGITS.is_dir():
    os.environ["MNIST_CNN_HANDWRITING_DIR"] = str(_PENDIGITS)

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
        pytest.skip(f"needs MNIST: {error}")


@pytest.fixture(scope="session")
def dask_cluster(mnist, tmp_path_factory):
    """A real Dask cluster on 127.0.0.1 for the whole session, started with the README's
    commands (tools/cluster.py): a scheduler and two worker processes. Yields its address.
    Skips without Dask (`pip install -r requirements-dev.txt`)."""
    pytest.importorskip("distributed", reason="needs Dask: pip install -r requirements-dev.txt")
    from tools.cluster import LocalDaskCluster

    with LocalDaskCluster(workers=2, log_dir=tmp_path_factory.mktemp("dask")) as cluster:
        yield cluster.address


@pytest.fixture
def hand_jobs():
    """`hand_jobs(backend)`: every page run by this test uses `backend` as the server's job back
    end (mnist_cnn.ui.classroom.use_jobs); the server's own again after the test."""
    from mnist_cnn.ui.classroom import use_jobs

    yield use_jobs
    use_jobs(None)


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


class FakeCanvas:
    """Stands in for streamlit-drawable-canvas in AppTest, where no one can draw.

    `fake["image"] = rgba_array` is a student drawing: the canvas on screen sends that picture
    at the next run, and keeps returning it while it stays on screen (the same key), as the
    real one does. A canvas with a new key (after Clear or Undo, or on another page) returns
    nothing until the next drawing. `fake.keys` lists the keys the page gave, in order;
    `fake.initial` is the last canvas's `initial_drawing` (what it shows when it appears).
    """

    def __init__(self):
        self.sent = None  # a drawing not yet handed to a canvas
        self.values = {}  # key -> what that canvas returns
        self.keys = []
        self.initial = None

    def __setitem__(self, name, image):
        assert name == "image", name
        self.sent = image

    def st_canvas(self, **kwargs):
        assert kwargs["return_image_data"] is True, "the page must ask the canvas for its image"
        key = kwargs["key"]
        self.keys.append(key)
        self.initial = kwargs["initial_drawing"]
        if self.sent is not None:
            image, self.sent = self.sent, None
            strokes = [] if image is None or not np.asarray(image).any() else [_fingerprint(image)]
            self.values[key] = SimpleNamespace(image_data=image, json_data={"objects": strokes})
        return self.values.get(key, SimpleNamespace(image_data=None, json_data=None))


def _fingerprint(image) -> dict:
    """Stands for the strokes (fabric.js objects) the real canvas returns with its picture."""
    return {"type": "path", "picture": hash(np.asarray(image).tobytes())}


@pytest.fixture
def fake_canvas(monkeypatch):
    """A FakeCanvas in place of streamlit-drawable-canvas (only a real browser draws; see
    tests/browser). Set fake_canvas["image"] to the RGBA array the student draws."""
    fake = FakeCanvas()
    module = ModuleType("streamlit_drawable_canvas")
    module.st_canvas = fake.st_canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", module)
    return fake
