import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from mnist_cnn.config import TrainConfig
from mnist_cnn.model import build_model
from mnist_cnn.storage import (
    SHIPPED_ID,
    ModelFileError,
    ModelStore,
    load_model_file,
    save_model_atomic,
)


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


@pytest.fixture
def small_model():
    return build_model(TrainConfig(conv1_filters=2, conv2_filters=2, dense_units=4))


def finished_run(store, model, name="run"):
    record = store.new_run(name, TrainConfig(epochs=1))
    save_model_atomic(model, record.model_path)
    record.status = "finished"
    store.update(record)
    return record


def test_save_and_load_round_trip(tmp_path, small_model):
    path = tmp_path / "m.keras"
    save_model_atomic(small_model, path)
    loaded = load_model_file(path)
    for a, b in zip(small_model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary files left


def test_failed_save_keeps_the_old_file(tmp_path, small_model, monkeypatch):
    path = tmp_path / "m.keras"
    save_model_atomic(small_model, path)
    before = path.read_bytes()

    def broken_save(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"half a model")
        raise OSError("No space left on device")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(OSError, match="No space"):
        save_model_atomic(small_model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_missing_corrupt_and_foreign_models_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        load_model_file(tmp_path / "none.keras")
    (tmp_path / "bad.keras").write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match="Could not load bad.keras"):
        load_model_file(tmp_path / "bad.keras")
    other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    other.save(tmp_path / "other.keras")
    with pytest.raises(ModelFileError, match="not an MNIST digit model"):
        load_model_file(tmp_path / "other.keras")


def test_lambda_layer_is_refused_by_safe_mode(tmp_path):
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10)(
        keras.layers.Flatten()(keras.layers.Lambda(lambda x: x * 2)(inputs))
    )
    keras.Model(inputs, outputs).save(tmp_path / "lambda.keras")
    with pytest.raises(ModelFileError, match="Could not load lambda.keras"):
        load_model_file(tmp_path / "lambda.keras")


def test_store_lists_shipped_first_and_runs_newest_first(store, small_model):
    first = finished_run(store, small_model, "first")
    second = finished_run(store, small_model, "second")
    records = store.list()
    assert records[0].id == SHIPPED_ID and records[0].read_only
    assert {r.id for r in records[1:]} == {first.id, second.id}
    assert store.get(first.id).name == "first"


def test_active_model(store, small_model):
    assert store.active_id() == SHIPPED_ID
    record = finished_run(store, small_model)
    store.set_active(record.id)
    assert store.active_id() == record.id
    unfinished = store.new_run("not yet", TrainConfig())
    with pytest.raises(ModelFileError, match="no trained model"):
        store.set_active(unfinished.id)
    record.model_path.unlink()  # its file vanished: the app falls back to the shipped model
    assert store.active_id() == SHIPPED_ID


def test_rename_and_delete(store, small_model):
    record = finished_run(store, small_model)
    store.set_active(record.id)
    assert store.rename(record.id, "  my model ").name == "my model"
    for bad in ("", "x" * 61, "tab\there"):
        with pytest.raises(ValueError, match="name"):
            store.rename(record.id, bad)
    store.delete(record.id)
    assert [r.id for r in store.list()] == [SHIPPED_ID]
    assert store.active_id() == SHIPPED_ID


def test_shipped_model_is_read_only(store):
    with pytest.raises(ModelFileError, match="cannot be deleted"):
        store.delete(SHIPPED_ID)
    with pytest.raises(ModelFileError, match="cannot be renamed"):
        store.rename(SHIPPED_ID, "mine")


@pytest.mark.parametrize(
    "model_id", ["../escape", "/etc", "..", "20260101-000000-abcdef/../../x", ""]
)
def test_ids_cannot_escape_the_models_dir(store, model_id):
    with pytest.raises(ModelFileError, match="No such model"):
        store.get(model_id)


def test_corrupt_metadata_is_reported_and_skipped(store, small_model):
    good = finished_run(store, small_model, "good")
    bad = finished_run(store, small_model, "bad")
    (store.root / bad.id / "metadata.json").write_text("{not json")
    records = {r.id: r for r in store.list()}
    assert records[good.id].error is None
    assert "unreadable" in records[bad.id].error and records[bad.id].status == "failed"
    assert json.loads((store.root / good.id / "metadata.json").read_text())["name"] == "good"


def test_shipped_model_is_small_and_has_metadata(shipped_model):
    store = ModelStore("/nonexistent")
    shipped = store.shipped()
    assert shipped.model_path.stat().st_size < 2_000_000
    assert shipped.test_accuracy >= 0.992 and shipped.config and shipped.history
    assert zipfile.is_zipfile(shipped.model_path)
