"""A model's scores on the 10,000 MNIST test images, computed once and kept as JSON.

    <models dir>/reports/<model id>.json

A report is reused while the model file (by its sha256) and the test set (by its checksum) are
the same; a model file replaced on disk is scored again. The shipped model's report lives in the
same folder, since assets/ is read-only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from mnist_cnn.data import MnistData
from mnist_cnn.evaluation import evaluate
from mnist_cnn.model import parameter_count
from mnist_cnn.storage import ModelFileError, ModelRecord, load_model_file, write_json_atomic


@dataclass(frozen=True)
class Report:
    """A model's scores on the MNIST test set, as saved in its report file (JSON-ready values)."""

    accuracy: float  # fraction of the test images read correctly
    loss: float  # mean cross-entropy
    errors: int  # test images read wrongly
    confusion_matrix: list[list[int]]  # [true digit][predicted digit] counts
    per_class: list[dict]  # per digit: digit, precision, recall, f1, support
    misclassified: list[dict]  # index, label, predicted, confidence; most confident first
    predicted: list[int]  # predicted digit of every test image
    confidence: list[float]  # probability of the predicted digit, every test image
    most_confused: list[list[int]]  # [true, predicted, count], the most frequent mistakes first
    parameters: int  # weights in the model
    model_sha256: str  # the model file it belongs to
    dataset_checksum: str  # the test set it was computed on

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """A report read back from JSON; KeyError or TypeError when it is not one."""
        return cls(**{item.name: data[item.name] for item in fields(cls)})


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report_path(models_dir: str | Path, model_id: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", model_id or ""):
        raise ModelFileError(f"Not a usable model id. Received: model_id={model_id!r}")
    return Path(models_dir) / "reports" / f"{model_id}.json"


def read_cached_report(path: Path, model_sha256: str, dataset_checksum: str) -> Report | None:
    """The report saved at `path` if it belongs to this model file and test set, else None."""
    try:
        report = Report.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not there yet, unreadable or from an older version: score again
    if (report.model_sha256, report.dataset_checksum) != (model_sha256, dataset_checksum):
        return None
    return report


def model_report(record: ModelRecord, data: MnistData, models_dir: str | Path) -> Report:
    """The Evaluation of `record`'s model on the MNIST test images, kept as a Report.

    Raises ModelFileError when the model file is missing or cannot be loaded.
    """
    path = report_path(models_dir, record.id)
    if not record.model_path.is_file():
        raise ModelFileError(f"Model file not found: {record.model_path}")
    model_sha256 = file_sha256(record.model_path)
    cached = read_cached_report(path, model_sha256, data.checksum)
    if cached is not None:
        return cached
    model = load_model_file(record.model_path)
    scores = evaluate(model, data.test_images, data.test_labels)
    report = Report(
        **scores.to_dict(),
        predicted=scores.predicted.tolist(),
        confidence=scores.confidence.astype(float).tolist(),
        most_confused=[list(pair) for pair in scores.most_confused_pairs(count=10)],
        parameters=parameter_count(model),
        model_sha256=model_sha256,
        dataset_checksum=data.checksum,
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(asdict(report), path)
    except OSError:
        pass  # a read-only models folder: the report is still right, just not kept
    return report
