"""How good a model is on labelled images, and where it goes wrong."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from mnist_cnn.model import NUM_CLASSES, to_model_input


@dataclass(frozen=True)
class Evaluation:
    loss: float  # mean cross-entropy
    accuracy: float  # fraction of images read correctly
    confusion_matrix: np.ndarray  # (10, 10) counts; row = true digit, column = predicted digit
    precision: np.ndarray  # (10,) per digit: of the images predicted as d, the fraction that are d
    recall: np.ndarray  # (10,) per digit: of the images of d, the fraction predicted as d
    f1: np.ndarray  # (10,) harmonic mean of precision and recall
    support: np.ndarray  # (10,) images of each digit
    misclassified: np.ndarray  # indices of the images read wrongly, most confident first
    labels: np.ndarray  # (N,) true digit of every image
    predicted: np.ndarray  # (N,) predicted digit of every image
    confidence: np.ndarray  # (N,) probability of the predicted digit

    @property
    def errors(self) -> int:
        return len(self.misclassified)

    def per_class(self) -> list[dict]:
        return [
            {
                "digit": digit,
                "precision": float(self.precision[digit]),
                "recall": float(self.recall[digit]),
                "f1": float(self.f1[digit]),
                "support": int(self.support[digit]),
            }
            for digit in range(NUM_CLASSES)
        ]

    def most_confused_pairs(self, count: int = 5) -> list[tuple[int, int, int]]:
        """(true digit, predicted digit, how often), the most frequent mistakes first."""
        off_diagonal = self.confusion_matrix.copy()
        np.fill_diagonal(off_diagonal, 0)
        order = np.argsort(off_diagonal, axis=None)[::-1][:count]
        pairs = [(int(i // NUM_CLASSES), int(i % NUM_CLASSES)) for i in order]
        return [
            (true, pred, int(off_diagonal[true, pred]))
            for true, pred in pairs
            if off_diagonal[true, pred]
        ]

    def to_dict(self) -> dict:
        """Everything as plain JSON-ready values."""
        return {
            "accuracy": self.accuracy,
            "loss": self.loss,
            "errors": self.errors,
            "confusion_matrix": self.confusion_matrix.tolist(),
            "per_class": self.per_class(),
            "misclassified": [
                {
                    "index": int(index),
                    "label": int(self.labels[index]),
                    "predicted": int(self.predicted[index]),
                    "confidence": float(self.confidence[index]),
                }
                for index in self.misclassified
            ],
        }


def predict_probabilities(
    model: keras.Model, images: np.ndarray, batch_size: int = 1000
) -> np.ndarray:
    """(N, 10) probabilities for many uint8 (N, 28, 28) or float (N, 28, 28[, 1]) images.

    A network with an 11th output ("not a digit") gives its ten digits' share, scaled to sum 1:
    how likely each digit is, if the image is a digit.
    """
    images = np.asarray(images)
    inputs = to_model_input(images) if images.dtype == np.uint8 else images.astype(np.float32)
    if inputs.ndim == 3:
        inputs = inputs[..., np.newaxis]
    outputs = [
        model.predict_on_batch(inputs[i : i + batch_size])
        for i in range(0, len(inputs), batch_size)
    ]
    if not outputs:
        return np.zeros((0, NUM_CLASSES), np.float32)
    digits = np.concatenate(outputs)[:, :NUM_CLASSES]
    return digits / np.maximum(digits.sum(axis=1, keepdims=True), 1e-12)


def evaluate(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Score `model` on images with their true labels (for MNIST: the 10,000 test images)."""
    labels = np.asarray(labels).astype(np.int64)
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(
            f"Need the same, non-zero number of images and labels. "
            f"Received: {len(images)} images, {len(labels)} labels"
        )
    probabilities = predict_probabilities(model, images)
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    true_probability = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    correct = np.diag(confusion).astype(np.float64)
    predicted_counts = confusion.sum(axis=0)
    support = confusion.sum(axis=1)
    precision = np.divide(
        correct, predicted_counts, out=np.zeros(NUM_CLASSES), where=predicted_counts > 0
    )
    recall = np.divide(correct, support, out=np.zeros(NUM_CLASSES), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(NUM_CLASSES), where=total > 0)
    misclassified = np.flatnonzero(predicted != labels)
    # the most confident mistakes first
    misclassified = misclassified[np.argsort(-confidence[misclassified], kind="stable")]
    return Evaluation(
        loss=float(-np.log(true_probability).mean()),
        accuracy=float((predicted == labels).mean()),
        confusion_matrix=confusion,
        precision=precision,
        recall=recall,
        f1=f1,
        support=support,
        misclassified=misclassified,
        labels=labels,
        predicted=predicted,
        confidence=confidence,
    )
