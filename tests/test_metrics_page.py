"""The Metrics page through Streamlit's AppTest, on the real MNIST test set and real models."""

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_cnn.config import TrainConfig
from mnist_cnn.evaluation import evaluate
from mnist_cnn.storage import ASSETS_DIR, ModelStore

PAGE = str(Path(__file__).resolve().parent.parent / "mnist_cnn" / "ui" / "pages" / "metrics.py")


@pytest.fixture
def models_dir(monkeypatch, tmp_path):
    directory = tmp_path / "models"
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(directory))
    return directory


def add_run(models_dir, name, test_accuracy, model_bytes=None):
    """A finished run holding a copy of the shipped model (or the given bytes as its file)."""
    store = ModelStore(models_dir)
    record = store.new_run(name, TrainConfig(epochs=1), status="finished")
    if model_bytes is None:
        shutil.copy(ASSETS_DIR / "model.keras", record.model_path)
    else:
        record.model_path.write_bytes(model_bytes)
    record.test_accuracy, record.train_seconds, record.parameters = test_accuracy, 12.5, 1234
    record.history = {"loss": [0.5, 0.2], "accuracy": [0.9, 0.95]}
    store.update(record)
    return record


def run_page():
    page = AppTest.from_file(PAGE, default_timeout=120)
    page.run()
    assert not page.exception, page.exception
    return page


def summary(page):
    return {metric.label: metric.value for metric in page.container("metrics-summary").metric}


def captions(page, key):
    images = page.container(key).image
    return images[0].captions if images else []


def table(page, key):
    return page.container(key).dataframe[0].value


def has_container(page, key):
    try:
        page.container(key)
    except KeyError:
        return False
    return True


def markdown_texts(page):
    return [element.value for element in page.markdown]


def test_shipped_model_shows_the_accuracy_evaluate_gives(mnist, shipped_model, models_dir):
    scores = evaluate(shipped_model, mnist.test_images, mnist.test_labels)
    page = run_page()
    assert not page.error
    shown = summary(page)
    assert shown["Test accuracy"] == f"{100 * scores.accuracy:.2f}%"
    assert shown["Errors"] == f"{scores.errors:,} of 10,000"
    assert shown["Test loss"] == f"{scores.loss:.4f}"
    assert (models_dir / "reports" / "shipped.json").is_file()


def test_comparison_lists_every_model_with_a_test_accuracy(mnist, models_dir):
    add_run(models_dir, "First copy", 0.981)
    add_run(models_dir, "Second copy", 0.975)
    page = run_page()
    comparison = table(page, "comparison")
    assert set(comparison["name"]) == {
        ModelStore(models_dir).shipped().name,
        "First copy",
        "Second copy",
    }
    assert sorted(comparison["test accuracy"])[:2] == [0.975, 0.981]


def test_choosing_another_model_shows_its_metrics(mnist, models_dir):
    record = add_run(models_dir, "A copy", 0.5)
    page = run_page()
    page.selectbox(key="metrics-model-shipped").set_value(record.id).run()
    assert not page.exception
    assert summary(page)["Training time"] == "12 s"
    assert (models_dir / "reports" / f"{record.id}.json").is_file()


def test_gallery_filters_by_true_and_predicted_digit(mnist, models_dir):
    page = run_page()
    everything = captions(page, "gallery")
    assert 0 < len(everything) <= 40
    true = everything[0].split()[1]  # "true 5 → read 3 · 99%"
    page.selectbox(key="gallery-true").set_value(int(true)).run()
    filtered = captions(page, "gallery")
    assert filtered and filtered != everything
    assert all(caption.startswith(f"true {true} →") for caption in filtered)
    page.selectbox(key="gallery-predicted").set_value(int(true)).run()  # never a mistake
    assert captions(page, "gallery") == []
    assert any("No mistakes match" in text for text in markdown_texts(page))


def test_choosing_a_confusion_matrix_cell_shows_its_digits(mnist, models_dir):
    page = run_page()
    page.selectbox(key="cell-true").set_value(7).run()
    page.selectbox(key="cell-predicted").set_value(7).run()
    shown = captions(page, "cell-digits")
    assert len(shown) == 40
    assert all(caption.startswith("true 7 → read 7") for caption in shown)


def test_damaged_model_file_is_named_and_the_rest_works(mnist, models_dir):
    broken = add_run(models_dir, "Broken", 0.5, model_bytes=b"not a keras file")
    ModelStore(models_dir).set_active(broken.id)
    page = run_page()
    assert any("“Broken” is left out" in w.value and "damaged" in w.value for w in page.warning)
    assert "Broken" in set(table(page, "comparison")["name"])
    assert has_container(page, "metrics-summary")  # the shipped model instead
    assert not page.exception


def test_corrupt_model_file_shows_a_clear_error_and_the_rest_works(mnist, models_dir):
    contents = io.BytesIO()
    with zipfile.ZipFile(contents, "w") as archive:  # looks like a .keras file, but is not one
        archive.writestr("config.json", "{not json")
    broken = add_run(models_dir, "Broken", 0.5, model_bytes=contents.getvalue())
    ModelStore(models_dir).set_active(broken.id)
    page = run_page()
    assert page.error and "could not be scored" in page.error[0].value
    assert "Could not load model.keras" in page.error[0].value
    assert "Broken" in set(table(page, "comparison")["name"])
    assert table(page, "hyperparameters") is not None
    assert not has_container(page, "metrics-summary")


def test_missing_mnist_says_how_to_provide_it(models_dir, monkeypatch, tmp_path):
    empty = tmp_path / "no-mnist"
    empty.mkdir()
    monkeypatch.setenv("MNIST_DATA_DIR", str(empty))
    add_run(models_dir, "A copy", 0.98)
    page = run_page()
    message = page.error[0].value
    assert "MNIST test images not found" in message
    assert "MNIST_DATA_DIR" in message and "README" in message
    assert not has_container(page, "metrics-summary")
    assert set(table(page, "comparison")["name"]) >= {"A copy"}
