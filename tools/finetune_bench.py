"""What fine-tuning does for one writer: `python -m tools.finetune_bench --writer tra12`.

A writer of the pen-written digits (UCI pendigits; see mnist_cnn.handwriting) gives a few
drawings per digit, drawn on the canvas as a student would and saved to a fresh class folder
exactly as `python -m mnist_cnn class add` saves them; the model is fine-tuned on them
(`runs.finetune_run`, as `python -m mnist_cnn finetune` and the Class digits page do). Then the
writer's other digits, the other writers of the same fold and the MNIST test set are read by the
model before and after. Use a model that never saw the writer: the shipped model for the
held-out writers, or a fold network of `python -m tools.handwriting --cross-validate`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from mnist_cnn.handwriting import HELD_OUT_WRITERS, draw_like_a_student, load_pen_digits
from mnist_cnn.preprocess import preprocess


def writer_drawings(digits, writer: str, per_digit: int, seed: int):
    """(the writer's first `per_digit` digits of each kind, drawn like a student: a list of
    (label, canvas image, 28x28)); and the writer's other digits (PenDigits)."""
    rng = np.random.default_rng(seed)
    mine = [digit for digit in digits if digit.writer == writer]
    if not mine:
        raise ValueError(f"No digits by this writer. Received: writer={writer!r}")
    given, others, counts = [], [], [0] * 10
    for digit in mine:
        if counts[digit.label] < per_digit:
            counts[digit.label] += 1
            image = draw_like_a_student(digit.strokes, rng).image
            given.append((digit.label, image, preprocess(image).image))
        else:
            others.append(digit)
    return given, others


def read_right(predictor, digits, seed: int) -> float:
    """The share of these pen-written digits, drawn like a student, read right."""
    rng = np.random.default_rng(seed)
    right = 0
    for digit in digits:
        prepared = preprocess(draw_like_a_student(digit.strokes, rng).image)
        if not prepared.blank:
            prediction = predictor.predict(prepared.image)
            right += prediction.digit == digit.label and not prediction.not_a_digit
    return right / len(digits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.finetune_bench", description=__doc__)
    parser.add_argument("--model", help="a .keras file (default: the shipped model)")
    parser.add_argument("--writer", default="tra12", help="the writer who gives drawings")
    parser.add_argument(
        "--others",
        default=",".join(HELD_OUT_WRITERS),
        help="writers the model never saw, to check they lose nothing (comma-separated)",
    )
    parser.add_argument("--per-digit", type=int, default=5, help="drawings given per digit")
    parser.add_argument("--handwriting-dir", help="pendigits folder (or MNIST_CNN_HANDWRITING_DIR)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--compare-quick",
        action="store_true",
        help="also train the quick preset here, to compare the times in one run",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from mnist_cnn.classdata import ClassDigits
    from mnist_cnn.config import TrainConfig
    from mnist_cnn.data import load_mnist
    from mnist_cnn.predict import Predictor
    from mnist_cnn.request import TrainRequest
    from mnist_cnn.runs import finetune_name, finetune_request, finetune_run
    from mnist_cnn.status import Status
    from mnist_cnn.storage import ASSETS_DIR, ModelRecord, load_model_file

    model_path = Path(args.model) if args.model else ASSETS_DIR / "model.keras"
    digits = load_pen_digits(args.handwriting_dir)
    given, others = writer_drawings(digits, args.writer, args.per_digit, args.seed)
    other_writers = [name for name in args.others.split(",") if name and name != args.writer]
    everyone_else = [digit for digit in digits if digit.writer in other_writers]
    data = load_mnist()
    before = Predictor(load_model_file(model_path))
    figures = {
        "writer": args.writer,
        "drawings_given": len(given),
        "writer_other_digits": len(others),
        "writer_before": read_right(before, others, args.seed + 1),
        "other_writers": other_writers,
        "other_writers_before": read_right(before, everyone_else, args.seed + 2),
    }
    with tempfile.TemporaryDirectory() as folder:
        class_digits = ClassDigits(Path(folder) / "class-digits")
        for label, image, image28 in given:
            class_digits.add(image, image28, label, before.predict(image28).digit, "bench")
        base = ModelRecord(id="base", name=model_path.stem, directory=str(model_path.parent))
        request = TrainRequest(
            TrainConfig(),
            finetune_name(base.name),
            handwriting_dir=args.handwriting_dir,
            fine_tune=finetune_request(base, class_digits.root, model_path),
        )
        record = ModelRecord(id="bench", name=request.name, status=Status.QUEUED,
                             directory=str(Path(folder) / "run"))  # fmt: skip
        never_seen = tuple(sorted({args.writer, *other_writers}))  # never mixed in
        finetune_run(request, data, record, held_out_writers=never_seen)
        after = Predictor(load_model_file(record.model_path))
    details = record.fine_tune
    figures.update(
        writer_after=read_right(after, others, args.seed + 1),
        other_writers_after=read_right(after, everyone_else, args.seed + 2),
        held_out_class_drawings_before=details["held_out_before"],
        held_out_class_drawings_after=details["held_out_after"],
        mnist_before=details["mnist_before"],
        mnist_after=record.test_accuracy,
        train_seconds=record.train_seconds,
        seconds=details["seconds"],
    )
    if args.compare_quick:
        from mnist_cnn.config import PRESETS
        from mnist_cnn.training import train

        figures["quick_train_seconds"] = train(PRESETS["quick"], data).train_seconds
    if args.json:
        print(json.dumps(figures))
        return 0
    print(
        f"{args.writer} gave {len(given)} drawings; their other {len(others)} digits read "
        f"{100 * figures['writer_before']:.1f}% before, {100 * figures['writer_after']:.1f}% "
        f"after.\nOther writers ({len(everyone_else)} digits): "
        f"{100 * figures['other_writers_before']:.1f}% before, "
        f"{100 * figures['other_writers_after']:.1f}% after.\nMNIST test: "
        f"{100 * figures['mnist_before']:.2f}% before, {100 * figures['mnist_after']:.2f}% after."
        f"\nFine-tuning: {figures['train_seconds']:.1f}s of training, {figures['seconds']:.1f}s "
        "in all."
    )
    if args.compare_quick:
        print(
            f"A quick run's training, here and now: {figures['quick_train_seconds']:.1f}s "
            f"(fine-tuning / quick: {figures['train_seconds'] / figures['quick_train_seconds']:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
