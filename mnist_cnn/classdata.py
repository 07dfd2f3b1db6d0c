"""The class's own digits: drawings saved from the Draw page with their true labels.

Where: `MNIST_CNN_CLASS_DIR`, or a `class-digits` folder beside the models directory when that
is unset (`~/.mnist_cnn/class-digits` by default; `<tmp>/class-digits` when
`MNIST_CNN_MODELS_DIR=<tmp>/models`), so one setting keeps a test or a classroom's data together.

Each drawing is two files, named by its number (000001, 000002, ...):

    <id>.png    the drawing exactly as the canvas gave it
    <id>.json   label, the model's guess, the model id, when, and the 28x28 image (0-255 rows)

A label is a digit 0-9 or NOT_A_DIGIT (10: a mark that is no digit, the 11th output of a network
trained with `not_a_digit`); `label_text` and `parse_label` turn labels into words and back, as
the pages, the export and the command line show and read them ("7", "not-a-digit").

Both are written through a temporary file and a rename, the PNG first; a drawing exists once its
JSON does. Files that cannot be read are reported by `scan()` and skipped, never deleted.

Every 5th drawing by number (#5, #10, ...) is held out: it is never trained on, so the model's
accuracy on those drawings shows how well it reads the class's handwriting it has not seen.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_cnn import settings
from mnist_cnn.data import as_uint8
from mnist_cnn.handwriting import NOT_A_DIGIT
from mnist_cnn.storage import now_iso, write_json_atomic, write_temporary

HELD_OUT_EVERY = 5  # drawings number 5, 10, 15, ... are never trained on
SPLITS = ("all", "train", "held_out")
MAX_SIDE = 4096  # larger original images are refused
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ID_PATTERN = re.compile(r"[0-9]{6,}")
LABELS = (*range(10), NOT_A_DIGIT)  # every label a drawing can have
NOT_A_DIGIT_WORD = "not-a-digit"  # NOT_A_DIGIT in the export and on the command line
NOT_A_DIGIT_TEXT = "not a digit"  # NOT_A_DIGIT on the pages


def label_text(label: int, words: str = NOT_A_DIGIT_TEXT) -> str:
    """A label as the pages show it: "7", or "not a digit" (`words` for NOT_A_DIGIT)."""
    return words if label == NOT_A_DIGIT else str(label)


def parse_label(text: str) -> int:
    """A label from text: "0" to "9", or "not-a-digit" / "not a digit" (any case)."""
    cleaned = str(text).strip().lower()
    if cleaned in (NOT_A_DIGIT_WORD, NOT_A_DIGIT_TEXT):
        return NOT_A_DIGIT
    if len(cleaned) == 1 and cleaned.isdigit():
        return int(cleaned)
    raise ValueError(
        f"A label is a digit from 0 to 9 or {NOT_A_DIGIT_WORD}. Received: label={text!r}"
    )


def read_drawing(path) -> tuple[Image.Image, np.ndarray]:
    """(the picture as it is, at most MAX_SIDE a side; its 28x28) of an image file, read as
    `predict` reads it; a ValueError says what is wrong (not a picture, blank, ...)."""
    from mnist_cnn.preprocess import preprocess

    prepared = preprocess(Path(path))
    if prepared.blank:
        raise ValueError("no digit found: the picture looks empty")
    with Image.open(path) as image:
        original = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    original.thumbnail((MAX_SIDE, MAX_SIDE))
    return original, prepared.image


@dataclass(frozen=True)
class Entry:
    """One saved drawing."""

    id: str  # "000012"
    label: int  # the digit it really is, or NOT_A_DIGIT
    guess: int | None  # what the model read when it was saved (a digit or NOT_A_DIGIT)
    model_id: str  # the model that made the guess
    created_at: str
    image28: np.ndarray = field(repr=False, compare=False)  # (28, 28) uint8, ink 255 on 0
    original_path: Path  # the PNG of the drawing as it was drawn

    @property
    def held_out(self) -> bool:
        return int(self.id) % HELD_OUT_EVERY == 0

    @property
    def split(self) -> str:
        return "held_out" if self.held_out else "train"


def stack(entries: list[Entry]) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels uint8 (N,)) of these entries, in their order."""
    if not entries:
        return np.zeros((0, 28, 28), np.uint8), np.zeros((0,), np.uint8)
    images = np.stack([entry.image28 for entry in entries])
    return images, np.array([entry.label for entry in entries], np.uint8)


def read_labels(model, images: np.ndarray) -> np.ndarray:
    """What the model reads in each (N, 28, 28) uint8 image, as the Draw page does: a digit, or
    NOT_A_DIGIT when its "not a digit" output says so (only networks that have one)."""
    from mnist_cnn.model import to_model_input  # imports TensorFlow: only when scoring
    from mnist_cnn.predict import Prediction

    network = getattr(model, "model", model)
    outputs = np.asarray(network.predict_on_batch(to_model_input(images)))
    predictions = [Prediction.from_outputs(row) for row in outputs]
    return np.array([NOT_A_DIGIT if p.not_a_digit else p.digit for p in predictions], np.uint8)


def accuracy(model, entries: list[Entry]) -> float | None:
    """Fraction of these drawings the model reads right (a mark labelled "not a digit" is read
    right when the model says so); None when there are none.

    `model` is a keras model or anything with a `.model` (such as a Predictor)."""
    if not entries:
        return None  # no drawings: no model needed, no score
    network = getattr(model, "model", model)
    outputs = int(network.outputs[0].shape[-1])  # a "not a digit" label needs the 11th output
    entries = [entry for entry in entries if entry.label < outputs]
    if not entries:
        return None
    images, labels = stack(entries)
    return float(np.mean(read_labels(model, images) == labels))


def original_on_black(entry: Entry) -> np.ndarray:
    """The original drawing as RGB, a transparent background shown as the canvas's black."""
    with Image.open(entry.original_path) as image:
        black = Image.new("RGBA", image.size, (0, 0, 0, 255))
        return np.asarray(Image.alpha_composite(black, image.convert("RGBA")).convert("RGB"))


class ClassDigits:
    """The saved drawings in one folder (see the module docstring)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else settings.class_dir()

    # --- writing ---
    def add(self, original, image28, label, guess, model_id: str) -> Entry:
        """Save a drawing and return its entry.

        original: the drawing as drawn, a PIL image or an array ((H, W) or (H, W, 1-4) channels;
        uint8, or float in [0, 1]). image28: the (28, 28) network input, uint8 or float in [0, 1].
        label: the true digit, or NOT_A_DIGIT; guess: the model's digit, NOT_A_DIGIT or None;
        model_id: the model that guessed.
        """
        png = _png_bytes(original)
        pixels = _image28(image28)
        label = _label(label, "label")
        guess = None if guess is None else _label(guess, "guess")
        if not isinstance(model_id, str) or not model_id.strip() or len(model_id) > 100:
            raise ValueError(f"model_id must be a short non-empty string. Received: {model_id=!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = write_temporary(png, self.root, ".new-")
        try:
            entry_id = self._claim_id(tmp)
        finally:
            tmp.unlink()
        record = {
            "id": entry_id,
            "label": label,
            "guess": guess,
            "model_id": model_id,
            "created_at": now_iso(),
            "image28": pixels.tolist(),
        }
        try:
            write_json_atomic(record, self.root / f"{entry_id}.json")
        except BaseException:
            (self.root / f"{entry_id}.png").unlink(missing_ok=True)  # our own half-saved drawing
            raise
        return _entry(record, self.root / f"{entry_id}.png")

    def _claim_id(self, png_file: Path) -> str:
        """Link the finished PNG under the next free number: os.link never replaces a file, so
        two sessions saving at once get different numbers."""
        numbers = [
            int(path.stem) for path in self.root.iterdir() if ID_PATTERN.fullmatch(path.stem)
        ]
        number = max(numbers, default=0) + 1
        while True:
            entry_id = f"{number:06d}"
            try:
                os.link(png_file, self.root / f"{entry_id}.png")
                return entry_id
            except FileExistsError:
                number += 1

    def delete(self, entry_id: str) -> None:
        """Delete one drawing (both its files)."""
        if not isinstance(entry_id, str) or not ID_PATTERN.fullmatch(entry_id):
            raise ValueError(f"Drawing ids are six digits. Received: {entry_id=!r}")
        json_path, png_path = self.root / f"{entry_id}.json", self.root / f"{entry_id}.png"
        if not json_path.exists() and not png_path.exists():
            raise ValueError(f"No such drawing. Received: {entry_id=!r}")
        json_path.unlink(missing_ok=True)  # first: without its JSON the drawing no longer exists
        png_path.unlink(missing_ok=True)

    def clear(self) -> int:
        """Delete every drawing (files that are not drawings stay); returns how many."""
        entries, _ = self.scan()
        for entry in entries:
            self.delete(entry.id)
        return len(entries)

    # --- reading ---
    def scan(self) -> tuple[list[Entry], list[str]]:
        """(every readable drawing, in order of number; one message per file that is not)."""
        if not self.root.is_dir():
            return [], []
        entries, problems = [], []
        names = {path.name for path in self.root.iterdir()}
        for name in sorted(names):
            stem, suffix = os.path.splitext(name)
            if not ID_PATTERN.fullmatch(stem):
                continue
            if suffix == ".png" and f"{stem}.json" not in names:
                problems.append(f"{name} has no {stem}.json (an unfinished save?); skipped.")
            if suffix != ".json":
                continue
            try:
                entries.append(self._read(stem))
            except (OSError, ValueError, TypeError, KeyError) as error:
                problems.append(f"{name} could not be read ({error}); skipped, its files are kept.")
        return entries, problems

    def _read(self, entry_id: str) -> Entry:
        record = json.loads((self.root / f"{entry_id}.json").read_text())
        if not isinstance(record, dict) or record.get("id") != entry_id:
            raise ValueError("not a drawing record")
        png_path = self.root / f"{entry_id}.png"
        with open(png_path, "rb") as file:
            if file.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
                raise ValueError(f"{png_path.name} is not a PNG")
        return _entry(record, png_path)

    def entries(self, split: str = "all") -> list[Entry]:
        """The readable drawings of a split ("all", "train" or "held_out"), in order of number."""
        _check_split(split)
        entries = self.scan()[0]
        return [entry for entry in entries if split in ("all", entry.split)]

    def arrays(self, split: str = "all") -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 (N, 28, 28), labels uint8 (N,)) of a split."""
        return stack(self.entries(split))

    def training_arrays(
        self, repeat: int = 1, not_a_digit: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """The "train" split with each drawing repeated `repeat` times: extra training data.
        not_a_digit: whether the network has the 11th output; without it the drawings labelled
        NOT_A_DIGIT are left out (it has nothing to learn them with)."""
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= 1000:
            raise ValueError(f"repeat must be a whole number from 1 to 1000. Received: {repeat=!r}")
        images, labels = self.arrays("train")
        if not not_a_digit:
            images, labels = images[labels != NOT_A_DIGIT], labels[labels != NOT_A_DIGIT]
        return np.repeat(images, repeat, axis=0), np.repeat(labels, repeat)

    def accuracy(self, model, split: str = "all") -> float | None:
        """Fraction of a split the model reads right; None when the split is empty."""
        return accuracy(model, self.entries(split))

    def export_zip(self) -> bytes:
        """Every drawing in one zip: class-digits/originals/<id>.png, class-digits/28x28/<id>.png
        and class-digits/labels.csv (one row per drawing)."""
        buffer = io.BytesIO()
        rows = io.StringIO()
        table = csv.writer(rows)
        table.writerow(
            ["id", "label", "guess", "model_id", "created_at", "split", "original", "image28"]
        )
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in self.entries():
                original, small = f"originals/{entry.id}.png", f"28x28/{entry.id}.png"
                archive.writestr(f"class-digits/{original}", entry.original_path.read_bytes())
                png = io.BytesIO()
                Image.fromarray(entry.image28, "L").save(png, format="PNG")
                archive.writestr(f"class-digits/{small}", png.getvalue())
                label = label_text(entry.label, NOT_A_DIGIT_WORD)
                guess = "" if entry.guess is None else label_text(entry.guess, NOT_A_DIGIT_WORD)
                table.writerow(
                    [entry.id, label, guess, entry.model_id, entry.created_at]
                    + [entry.split, original, small]
                )
            archive.writestr("class-digits/labels.csv", rows.getvalue())
        return buffer.getvalue()


# --- checking what comes in and what is read back ------------------------------------------


def _check_split(split) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}. Received: {split=!r}")


def _label(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value not in LABELS:
        raise ValueError(
            f"{name} must be a digit from 0 to 9 or NOT_A_DIGIT ({NOT_A_DIGIT}). "
            f"Received: {name}={value!r}"
        )
    return int(value)


def _image28(image28) -> np.ndarray:
    array = np.asarray(image28)
    if array.shape == (28, 28, 1):
        array = array[..., 0]
    if array.shape != (28, 28):
        raise ValueError(f"image28 must be 28x28. Received: image28.shape={array.shape}")
    return as_uint8(array, "image28")


def _png_bytes(original) -> bytes:
    if isinstance(original, Image.Image):
        if original.mode not in ("L", "LA", "RGB", "RGBA"):
            original = original.convert("RGBA")
        original = np.asarray(original)
    array = np.asarray(original)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (2, 3, 4))):
        raise ValueError(
            f"original must be a grey, RGB or RGBA image. Received: original.shape={array.shape}"
        )
    if not (1 <= array.shape[0] <= MAX_SIDE and 1 <= array.shape[1] <= MAX_SIDE):
        raise ValueError(
            f"original must be 1 to {MAX_SIDE} pixels a side. Received: original.shape={array.shape}"
        )
    buffer = io.BytesIO()
    Image.fromarray(as_uint8(array, "original")).save(buffer, format="PNG")
    return buffer.getvalue()


def _entry(record: dict, original_path: Path) -> Entry:
    """An Entry from a JSON record, checked as strictly as new drawings are."""
    pixels = np.array(record["image28"])
    if (
        pixels.shape != (28, 28)
        or pixels.dtype.kind not in "iu"
        or pixels.min() < 0
        or pixels.max() > 255
    ):
        raise ValueError("image28 is not 28 rows of 28 numbers from 0 to 255")
    guess = record["guess"]
    model_id, created_at = record["model_id"], record["created_at"]
    if not isinstance(model_id, str) or not isinstance(created_at, str):
        raise ValueError("model_id and created_at must be text")
    return Entry(
        id=record["id"],
        label=_label(record["label"], "label"),
        guess=None if guess is None else _label(guess, "guess"),
        model_id=model_id,
        created_at=created_at,
        image28=pixels.astype(np.uint8),
        original_path=original_path,
    )
