"""How well a model reads real people's handwriting: `python -m tools.handwriting`.

Draws the pen-written digits of the held-out writers (UCI pendigits, CC BY 4.0; see
mnist_cnn.handwriting) on the 280 px canvas as a student would (pen 8-40 px, random size,
place, small tilt, light or dark ink), reads each one through the same path as
`python -m mnist_cnn predict` (preprocess, then Predictor), and prints the accuracy overall,
per writer and for the worst writer, beside a plain 28x28 resize of the whole canvas.
Then it draws marks that are no digit (tools.marks: letters, a star, a scribble, dots...) the
same way and counts how often they are reported as blank or "not a digit".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from mnist_cnn.handwriting import (
    HELD_OUT_WRITERS,
    draw_like_a_student,
    load_pen_digits,
    plain_resize,
    split_by_writer,
)
from mnist_cnn.predict import Predictor
from mnist_cnn.preprocess import preprocess
from mnist_cnn.storage import ASSETS_DIR, load_model_file
from tools.marks import MARKS


def measure(predictor: Predictor, digits, seed: int = 0, drawings_per_digit: int = 1) -> dict:
    """Per writer: digits, read correctly (preprocessed), read correctly (plain resize), blank,
    flagged as not a digit; and the mistakes (true, read) of the preprocessed path."""
    rng = np.random.default_rng(seed)
    writers = defaultdict(lambda: {"digits": 0, "correct": 0, "plain": 0, "blank": 0, "flagged": 0})
    mistakes = defaultdict(int)
    seconds, predict_seconds = [], []
    for digit in digits:
        for _ in range(drawings_per_digit):
            drawing = draw_like_a_student(digit.strokes, rng)
            row = writers[digit.writer]
            row["digits"] += 1
            row["plain"] += predictor.predict(plain_resize(drawing)).digit == digit.label
            start = time.perf_counter()
            prepared = preprocess(drawing.image)
            if prepared.blank:
                row["blank"] += 1
                continue
            middle = time.perf_counter()
            prediction = predictor.predict(prepared.image)
            seconds.append(time.perf_counter() - start)
            predict_seconds.append(time.perf_counter() - middle)
            row["flagged"] += prediction.not_a_digit
            if prediction.digit == digit.label:
                row["correct"] += 1
            else:
                mistakes[(digit.label, prediction.digit)] += 1
    return {
        "writers": dict(writers),
        "mistakes": dict(mistakes),
        "seconds": seconds,
        "predict_seconds": predict_seconds,
    }


def measure_marks(predictor: Predictor, seed: int = 0, per_kind: int = 30) -> dict:
    """For each kind of mark: the fraction reported as blank or "not a digit"."""
    rng = np.random.default_rng(seed)
    caught = {}
    for kind, make in MARKS.items():
        count = 0
        for _ in range(per_kind):
            prepared = preprocess(draw_like_a_student(make(rng), rng).image)
            count += prepared.blank or predictor.predict(prepared.image).not_a_digit
        caught[kind] = count / per_kind
    return caught


def summary(result: dict) -> dict:
    writers = result["writers"]
    total = sum(row["digits"] for row in writers.values())
    per_writer = {
        name: {
            "digits": row["digits"],
            "accuracy": row["correct"] / row["digits"],
            "plain_resize": row["plain"] / row["digits"],
            "flagged_not_a_digit": row["flagged"] / row["digits"],
        }
        for name, row in sorted(writers.items())
    }
    worst = min(per_writer, key=lambda name: per_writer[name]["accuracy"])
    mistakes = sorted(result["mistakes"].items(), key=lambda item: -item[1])[:8]
    return {
        "digits": total,
        "accuracy": sum(row["correct"] for row in writers.values()) / total,
        "plain_resize": sum(row["plain"] for row in writers.values()) / total,
        "blank": sum(row["blank"] for row in writers.values()) / total,
        "flagged_not_a_digit": sum(row["flagged"] for row in writers.values()) / total,
        "worst_writer": worst,
        "worst_writer_accuracy": per_writer[worst]["accuracy"],
        "preprocess_and_predict_ms_p50": 1000 * float(np.median(result["seconds"])),
        "predict_ms_p50": 1000 * float(np.median(result["predict_seconds"])),
        "most_common_mistakes": [
            {"true": true, "read": read, "count": count} for (true, read), count in mistakes
        ],
        "per_writer": per_writer,
    }


def print_table(figures: dict, title: str) -> None:
    print(title)
    print("writer  digits  read right  plain resize  flagged 'not a digit'")
    for name, row in figures["per_writer"].items():
        print(
            f"{name:6s}  {row['digits']:6d}  {100 * row['accuracy']:9.1f}%  "
            f"{100 * row['plain_resize']:11.1f}%  {100 * row['flagged_not_a_digit']:8.1f}%"
        )
    print(
        f"all     {figures['digits']:6d}  {100 * figures['accuracy']:9.1f}%  "
        f"{100 * figures['plain_resize']:11.1f}%  {100 * figures['flagged_not_a_digit']:8.1f}%"
    )
    print(
        f"worst writer: {figures['worst_writer']} {100 * figures['worst_writer_accuracy']:.1f}%; "
        f"read as blank: {100 * figures['blank']:.1f}%; p50 of one prediction "
        f"{figures['predict_ms_p50']:.2f} ms (with preprocessing "
        f"{figures['preprocess_and_predict_ms_p50']:.2f} ms)"
    )
    mistakes = ", ".join(
        f"{row['true']} read as {row['read']} ({row['count']})"
        for row in figures["most_common_mistakes"]
    )
    print(f"most common mistakes: {mistakes or 'none'}")
    marks = figures["marks_reported"]
    print(
        f"marks that are no digit, reported blank or 'not a digit': "
        f"{100 * np.mean(list(marks.values())):.1f}% "
        f"({', '.join(f'{kind} {100 * share:.0f}%' for kind, share in marks.items())})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.handwriting", description=__doc__)
    parser.add_argument(
        "--handwriting-dir",
        help="folder with pendigits-train.jsonl.gz (or MNIST_CNN_HANDWRITING_DIR)",
    )
    parser.add_argument("--model", help="a .keras file (default: the shipped model)")
    parser.add_argument(
        "--writers",
        choices=["held-out", "training", "all"],
        default="held-out",
        help=f"whose digits to read (held-out: {', '.join(HELD_OUT_WRITERS)})",
    )
    parser.add_argument("--drawings", type=int, default=1, help="drawings of each digit")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random drawing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    digits = load_pen_digits(args.handwriting_dir)
    training, held_out = split_by_writer(digits)
    chosen = {"held-out": held_out, "training": training, "all": digits}[args.writers]
    model_path = Path(args.model) if args.model else ASSETS_DIR / "model.keras"
    predictor = Predictor(load_model_file(model_path))
    figures = summary(measure(predictor, chosen, args.seed, args.drawings))
    figures["marks_reported"] = measure_marks(predictor, args.seed)
    figures["model"] = str(model_path)
    figures["writers"] = args.writers
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures, f"{model_path}, {args.writers} writers, seed {args.seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
