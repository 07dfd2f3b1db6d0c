"""Reading one digit fast: a 28x28 image in, the digit and its ten probabilities out."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import keras
import numpy as np

NOT_A_DIGIT_ABOVE = 0.5  # a drawing whose "not a digit" probability is above this is no digit


@dataclass(frozen=True)
class Prediction:
    digit: int  # the most probable digit
    probabilities: np.ndarray  # (10,) float32, sums to 1: how likely each digit is, if a digit
    # How likely the drawing is no digit at all (a letter, a star, a scribble). Only networks
    # with an 11th output, "not a digit", know; for the others it is 0.
    not_a_digit_probability: float = 0.0
    can_say_not_a_digit: bool = False  # True for networks with the 11th output

    @classmethod
    def from_outputs(cls, outputs: np.ndarray) -> Prediction:
        """From a network's softmax: 10 digits, or 10 digits and "not a digit"."""
        outputs = np.asarray(outputs, dtype=np.float32).reshape(-1)
        if outputs.shape not in ((10,), (11,)):
            raise ValueError(f"Expected 10 or 11 outputs. Received: outputs.shape={outputs.shape}")
        digits = outputs[:10] / max(float(outputs[:10].sum()), 1e-12)
        other = float(outputs[10]) if len(outputs) == 11 else 0.0
        return cls(int(digits.argmax()), digits.astype(np.float32), other, len(outputs) == 11)

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.digit])

    @property
    def not_a_digit(self) -> bool:
        """True when the drawing does not look like a digit."""
        return self.not_a_digit_probability > NOT_A_DIGIT_ABOVE

    def top(self, count: int = 2) -> list[tuple[int, float]]:
        """The `count` most probable digits with their probabilities, best first."""
        order = np.argsort(-self.probabilities)[:count]
        return [(int(digit), float(self.probabilities[digit])) for digit in order]

    def not_a_digit_message(self) -> str:
        """What the pages say instead of a digit when the drawing is no digit ("" otherwise):
        "Not a digit · 97% sure"."""
        if not self.not_a_digit:
            return ""
        return f"Not a digit · {round(100 * self.not_a_digit_probability)}% sure"

    def if_a_digit_message(self) -> str:
        """The best digit, with its probability as the bars show it: if it is a digit at all."""
        return f"If it is a digit, most likely {self.digit} ({100 * self.confidence:.0f}%)"


class Predictor:
    """Wraps a model for single-image prediction.

    `model.predict` costs ~50 ms per call in set-up; `predict_on_batch` runs the compiled
    forward pass directly (well under a millisecond here). A lock keeps concurrent
    sessions of the web app from running the same model at once.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self._lock = threading.Lock()
        self.predict(
            np.zeros((28, 28), np.float32)
        )  # build the compiled function now, not on first use

    def predict(self, image: np.ndarray) -> Prediction:
        image = np.asarray(image, dtype=np.float32)
        if image.shape not in ((28, 28), (28, 28, 1)):
            raise ValueError(f"Expected one 28x28 image. Received: image.shape={image.shape}")
        with self._lock:
            outputs = np.asarray(self.model.predict_on_batch(image.reshape(1, 28, 28, 1)))[0]
        return Prediction.from_outputs(outputs)
