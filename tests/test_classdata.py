"""The class's own digits: saving, reading back, splits, export, scores, damaged files."""

import io
import math
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

from mnist_cnn import settings
from mnist_cnn.classdata import ClassDigits
from mnist_cnn.config import TrainConfig
from mnist_cnn.predict import Predictor
from mnist_cnn.preprocess import preprocess
from mnist_cnn.training import TrainingCallback, train
from tools.strokes import digit_strokes, render_strokes


def drawing(digit, seed=0):
    """(canvas-like RGBA uint8 array, its 28x28 float image) for one drawn digit."""
    image = render_strokes(
        digit_strokes(digit, np.random.default_rng(seed)), background="transparent"
    )
    original = np.asarray(image)
    return original, preprocess(original).image


def fill(store, labels, guess=0):
    for number, label in enumerate(labels):
        original, image28 = drawing(label, seed=number)
        store.add(original, image28, label, guess, "shipped")


@pytest.fixture
def store(tmp_path):
    return ClassDigits(tmp_path / "class-digits")


def test_a_saved_drawing_reads_back_exactly(store):
    original, image28 = drawing(7)
    small = np.round(image28 * 255).astype(np.uint8)
    entry = store.add(original, image28, 7, 1, "shipped")
    assert (entry.id, entry.label, entry.guess, entry.model_id) == ("000001", 7, 1, "shipped")

    (read,) = store.entries()
    assert read == entry and read.created_at == entry.created_at
    assert np.array_equal(read.image28, small)  # floats are kept as 0-255, as MNIST is
    assert np.array_equal(np.asarray(Image.open(read.original_path)), original)
    png = io.BytesIO()
    Image.fromarray(original).save(png, format="PNG")
    assert read.original_path.read_bytes() == png.getvalue()

    exact = np.arange(784, dtype=np.int64).reshape(28, 28) % 256
    second = store.add(Image.fromarray(original), exact.astype(np.uint8), 3, None, "m")
    images, labels = store.arrays()
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert np.array_equal(images, np.stack([small, exact])) and labels.tolist() == [7, 3]
    assert store.entries()[1].guess is None and second.id == "000002"


def test_grey_and_rgb_originals_and_a_28x28x1_image(store):
    grey = np.zeros((50, 40), np.uint8)
    store.add(grey, np.zeros((28, 28, 1), np.float32), 0, 0, "shipped")
    store.add(np.zeros((30, 30, 3), np.float32), np.zeros((28, 28), np.uint8), 1, 1, "shipped")
    first, second = store.entries()
    assert np.array_equal(np.asarray(Image.open(first.original_path)), grey)
    assert np.asarray(Image.open(second.original_path)).shape == (30, 30, 3)


def test_delete_removes_one_drawing_and_keeps_the_rest(store):
    fill(store, [1, 2, 3])
    store.delete("000002")
    assert [entry.id for entry in store.entries()] == ["000001", "000003"]
    assert sorted(path.name for path in store.root.iterdir()) == [
        "000001.json",
        "000001.png",
        "000003.json",
        "000003.png",
    ]
    for bad in ("000002", "../models", "2", 2, None):
        with pytest.raises(ValueError, match="Received"):
            store.delete(bad)
    assert len(store.entries()) == 2


def test_export_zip_holds_every_drawing_and_a_labels_table(store):
    fill(store, [4, 9, 4], guess=4)
    archive = zipfile.ZipFile(io.BytesIO(store.export_zip()))
    entries = store.entries()
    names = {
        f"class-digits/{folder}/{entry.id}.png"
        for entry in entries
        for folder in ("originals", "28x28")
    }
    assert set(archive.namelist()) == names | {"class-digits/labels.csv"}
    rows = archive.read("class-digits/labels.csv").decode().splitlines()
    assert rows[0] == "id,label,guess,model_id,created_at,split,original,image28"
    assert [row.split(",")[:3] for row in rows[1:]] == [
        ["000001", "4", "4"],
        ["000002", "9", "4"],
        ["000003", "4", "4"],
    ]
    for entry in entries:
        original = archive.read(f"class-digits/originals/{entry.id}.png")
        assert original == entry.original_path.read_bytes()
        small = Image.open(io.BytesIO(archive.read(f"class-digits/28x28/{entry.id}.png")))
        assert np.array_equal(np.asarray(small), entry.image28)


def test_every_fifth_drawing_is_held_out_for_good(store):
    fill(store, [digit % 10 for digit in range(12)])
    held_out = [entry.id for entry in store.entries("held_out")]
    train = [entry.id for entry in store.entries("train")]
    assert held_out == ["000005", "000010"]
    assert not set(held_out) & set(train) and len(held_out) + len(train) == 12
    store.delete("000003")  # deleting or adding drawings moves no drawing to another split
    fill(store, [0, 1, 2])
    assert [entry.id for entry in store.entries("held_out")] == ["000005", "000010", "000015"]
    assert set(train) - {"000003"} <= {entry.id for entry in store.entries("train")}

    images, labels = store.training_arrays(repeat=3)
    train_images, train_labels = store.arrays("train")
    assert len(images) == 3 * len(train_images) == 3 * (12 - 1 + 3 - 3)
    assert np.array_equal(images[::3], train_images) and np.array_equal(labels[2::3], train_labels)
    held_images = store.arrays("held_out")[0]
    assert not any(np.array_equal(held, image) for held in held_images for image in train_images)
    for bad in (0, 1001, 2.5, True, "3"):
        with pytest.raises(ValueError, match="Received"):
            store.training_arrays(bad)
    with pytest.raises(ValueError, match="Received: split='test'"):
        store.arrays("test")


def test_accuracy_is_what_the_predictor_reads(store, shipped_model):
    labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 3]  # the last two are labelled wrongly on purpose
    for number, label in enumerate(labels):
        original, image28 = drawing(number % 10, seed=number)
        store.add(original, image28, label, None, "shipped")
    predictor = Predictor(shipped_model)
    for split in ("all", "train", "held_out"):
        entries = store.entries(split)
        right = [predictor.predict(entry.image28 / 255).digit == entry.label for entry in entries]
        assert store.accuracy(predictor, split) == pytest.approx(np.mean(right))
        assert store.accuracy(shipped_model, split) == store.accuracy(predictor, split)
    assert store.accuracy(predictor) < 1


@pytest.mark.parametrize(
    "change",
    [
        {"label": 10},
        {"label": -1},
        {"label": True},
        {"label": 3.0},
        {"label": "3"},
        {"label": None},
        {"guess": 11},
        {"image28": np.zeros((28, 27), np.uint8)},
        {"image28": np.zeros((1, 28, 28), np.uint8)},
        {"image28": np.full((28, 28), np.nan, np.float32)},
        {"image28": np.full((28, 28), 2.0)},
        {"image28": np.zeros((28, 28), np.int64)},
        {"original": np.full((280, 280, 4), np.nan, np.float32)},
        {"original": np.zeros((280, 280, 5), np.uint8)},
        {"original": np.zeros((0, 280), np.uint8)},
        {"original": np.zeros((5000, 10), np.uint8)},
        {"original": "drawing.png"},
        {"model_id": ""},
        {"model_id": None},
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(store, change):
    arguments = {
        "original": np.zeros((280, 280, 4), np.uint8),
        "image28": np.zeros((28, 28), np.float32),
        "label": 3,
        "guess": 3,
        "model_id": "shipped",
    }
    with pytest.raises(ValueError, match="Received"):
        store.add(**{**arguments, **change})
    assert store.entries() == [] and (not store.root.exists() or not any(store.root.iterdir()))


def test_damaged_files_are_reported_and_skipped_and_nothing_is_lost(store):
    fill(store, [0, 1, 2, 3, 4, 5])
    (store.root / "000002.json").write_text("{not json")
    (store.root / "000003.png").unlink()
    text = (store.root / "000004.json").read_text()
    (store.root / "000004.json").write_text(text.replace('"label": 3', '"label": 12'))
    (store.root / "000006.png").write_bytes(b"not a png")
    (store.root / "000009.png").write_bytes(b"\x89PNG half a save")  # a PNG without its JSON
    (store.root / "notes.txt").write_text("the teacher's notes")
    before = {path.name: path.read_bytes() for path in store.root.iterdir()}

    entries, problems = store.scan()
    assert [entry.id for entry in entries] == ["000001", "000005"]
    assert len(problems) == 5
    for name in ("000002.json", "000003.json", "000004.json", "000006.json", "000009.png"):
        assert sum(problem.startswith(name) for problem in problems) == 1, problems
    assert len(store.arrays()[0]) == 2 and len(store.entries("held_out")) == 1
    assert len(zipfile.ZipFile(io.BytesIO(store.export_zip())).namelist()) == 5

    new = store.add(*drawing(6), 6, 6, "shipped")  # a new drawing takes a fresh number
    assert new.id == "000010"
    assert all((store.root / name).read_bytes() == data for name, data in before.items())


def test_an_empty_dataset(tmp_path):
    store = ClassDigits(tmp_path / "nothing-here")
    assert store.scan() == ([], [])
    images, labels = store.arrays()
    assert images.shape == (0, 28, 28) and images.dtype == np.uint8 and labels.shape == (0,)
    assert store.training_arrays(5)[0].shape == (0, 28, 28)
    assert store.accuracy(object()) is None  # no drawings: no model needed, no score
    archive = zipfile.ZipFile(io.BytesIO(store.export_zip()))
    assert archive.namelist() == ["class-digits/labels.csv"]
    assert not store.root.exists()  # reading creates nothing


def test_sessions_saving_at_once_get_different_numbers(store):
    original, image28 = drawing(2)

    def save_some():
        for _ in range(10):
            store.add(original, image28, 2, 2, "shipped")

    threads = [threading.Thread(target=save_some) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries, problems = store.scan()
    assert problems == [] and [entry.id for entry in entries] == [f"{n:06d}" for n in range(1, 41)]


def test_the_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_CNN_CLASS_DIR", raising=False)
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    assert settings.class_dir() == tmp_path / "class-digits"
    assert ClassDigits().root == tmp_path / "class-digits"
    monkeypatch.setenv("MNIST_CNN_CLASS_DIR", str(tmp_path / "ours"))
    assert ClassDigits().root == tmp_path / "ours"


@pytest.mark.slow
def test_training_with_the_class_drawings_adds_them(store, mnist):
    fill(store, [digit % 10 for digit in range(10)])
    images, labels = store.training_arrays(repeat=4)
    assert len(images) == 4 * 8  # drawings #5 and #10 are held out
    config = TrainConfig(train_size=500, validation_size=200, epochs=1, batch_size=50)
    seen = []

    class Batches(TrainingCallback):
        def on_epoch_end(self, progress):
            seen.append(progress.batches_per_epoch)

    result = train(config, mnist, [Batches()], extra_images=images, extra_labels=labels)
    assert result.epochs_completed == 1 and seen == [math.ceil((500 + 32) / 50)]
