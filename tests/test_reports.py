"""Model reports: the scores of a model on the MNIST test set, computed once and kept as JSON."""

import json

import keras
import numpy as np
import pytest

from mnist_cnn import reports
from mnist_cnn.cli import main
from mnist_cnn.config import TrainConfig
from mnist_cnn.evaluation import evaluate
from mnist_cnn.model import build_model
from mnist_cnn.reports import Report, model_report
from mnist_cnn.storage import ModelFileError, ModelStore, save_model_atomic


def save_tiny_model(path, seed):
    """An untrained network small enough to score the 10,000 test images in a moment."""
    keras.utils.set_random_seed(seed)
    config = TrainConfig(conv1_filters=2, conv2_filters=2, dense_units=8)
    save_model_atomic(build_model(config), path)


@pytest.fixture
def tiny_run(tmp_path):
    store = ModelStore(tmp_path)
    record = store.new_run("tiny", TrainConfig(), status="finished")
    save_tiny_model(record.model_path, seed=1)
    return record


def count_evaluations(monkeypatch):
    calls = []

    def counting_evaluate(*args):
        calls.append(1)
        return evaluate(*args)

    monkeypatch.setattr(reports, "evaluate", counting_evaluate)
    return calls


@pytest.fixture(scope="module")
def shipped_report(mnist, tmp_path_factory):
    models_dir = tmp_path_factory.mktemp("models")
    return model_report(ModelStore(models_dir).shipped(), mnist, models_dir)


def test_shipped_report_equals_evaluate(mnist, shipped_model, shipped_report):
    scores = evaluate(shipped_model, mnist.test_images, mnist.test_labels)
    expected = scores.to_dict()
    assert shipped_report.accuracy == expected["accuracy"]
    assert shipped_report.loss == pytest.approx(expected["loss"], rel=1e-6)
    assert shipped_report.errors == expected["errors"]
    assert shipped_report.confusion_matrix == expected["confusion_matrix"]
    assert shipped_report.per_class == expected["per_class"]
    assert [row["index"] for row in shipped_report.misclassified] == [
        row["index"] for row in expected["misclassified"]
    ]
    assert shipped_report.predicted == scores.predicted.tolist()
    assert np.allclose(shipped_report.confidence, scores.confidence, atol=1e-6)
    assert len(shipped_report.predicted) == len(mnist.test_labels) == 10_000
    assert [tuple(pair) for pair in shipped_report.most_confused] == (
        scores.most_confused_pairs(count=10)
    )
    assert shipped_report.parameters == shipped_model.count_params()


def test_shipped_report_equals_the_command_line(shipped_report, capsys):
    assert main(["evaluate", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["accuracy"] == shipped_report.accuracy
    assert printed["loss"] == pytest.approx(shipped_report.loss, rel=1e-6)
    assert printed["confusion_matrix"] == shipped_report.confusion_matrix


def test_report_is_saved_once_and_reused(mnist, tiny_run, tmp_path, monkeypatch):
    calls = count_evaluations(monkeypatch)
    first = model_report(tiny_run, mnist, tmp_path)
    saved = tmp_path / "reports" / f"{tiny_run.id}.json"
    assert Report.from_dict(json.loads(saved.read_text())) == first
    modified = saved.stat().st_mtime_ns
    second = model_report(tiny_run, mnist, tmp_path)
    assert second == first
    assert len(calls) == 1
    assert saved.stat().st_mtime_ns == modified


def test_replaced_model_file_is_scored_again(mnist, tiny_run, tmp_path, monkeypatch):
    calls = count_evaluations(monkeypatch)
    first = model_report(tiny_run, mnist, tmp_path)
    save_tiny_model(tiny_run.model_path, seed=2)
    second = model_report(tiny_run, mnist, tmp_path)
    assert len(calls) == 2
    assert second.model_sha256 != first.model_sha256
    assert second.predicted != first.predicted
    saved = json.loads((tmp_path / "reports" / f"{tiny_run.id}.json").read_text())
    assert saved["model_sha256"] == second.model_sha256


def test_unreadable_saved_report_is_scored_again(mnist, tiny_run, tmp_path):
    saved = tmp_path / "reports" / f"{tiny_run.id}.json"
    saved.parent.mkdir()
    saved.write_text("{not json")
    report = model_report(tiny_run, mnist, tmp_path)
    assert Report.from_dict(json.loads(saved.read_text())) == report


def test_corrupt_or_missing_model_file_raises_a_clear_error(mnist, tiny_run, tmp_path):
    tiny_run.model_path.write_bytes(b"this is not a keras file")
    with pytest.raises(ModelFileError, match="Could not load model.keras"):
        model_report(tiny_run, mnist, tmp_path)
    tiny_run.model_path.unlink()
    with pytest.raises(ModelFileError, match="Model file not found"):
        model_report(tiny_run, mnist, tmp_path)
    assert not (tmp_path / "reports" / f"{tiny_run.id}.json").exists()


def test_a_saved_report_missing_a_field_is_scored_again(mnist, tiny_run, tmp_path, monkeypatch):
    calls = count_evaluations(monkeypatch)
    first = model_report(tiny_run, mnist, tmp_path)
    saved = tmp_path / "reports" / f"{tiny_run.id}.json"
    older = json.loads(saved.read_text())
    del older["most_confused"]  # as written by an older version
    saved.write_text(json.dumps(older))
    assert model_report(tiny_run, mnist, tmp_path) == first
    assert len(calls) == 2
