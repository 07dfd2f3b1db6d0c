"""How well a model reads real people's handwriting: `python -m tools.handwriting`.

Draws the pen-written digits of the held-out writers (UCI pendigits, CC BY 4.0; see
mnist_cnn.handwriting) on the 280 px canvas as a student would (pen 8-40 px, random size,
place, small tilt, light or dark ink), reads each one through the same path as
`python -m mnist_cnn predict` (preprocess, then Predictor), and prints the accuracy overall,
per writer and for the worst writer, beside a plain 28x28 resize of the whole canvas.
Then it draws marks that are no digit (tools.marks: letters, a star, a scribble, dots...) the
same way and counts how often they are reported as blank or "not a digit".

`--cross-validate K` measures a training recipe (a preset) as new people would meet it: the 30
writers are split into K folds (writer traNN goes to fold NN % K + 1, so with K = 3 fold 1 is
the fixed held-out split), one network is trained per fold without that fold's writers, and each
writer is read by the network that never saw them. It prints every writer's accuracy, each
fold's, the spread between folds, and the share of real digits called "not a digit" at several
thresholds beside the share of marks caught (to calibrate predict.NOT_A_DIGIT_ABOVE). The fold
networks are kept in --work-dir and reused; `--fold N` trains and measures only fold N, so a long
recipe can be run a fold at a time. `--train-seed`, `--epochs`, `--train-drawings`,
`--mnist-repeats` and `--plain-epochs` measure a variation of the preset's recipe without
changing the package.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from mnist_cnn.config import IMAGE_SIZE, PRESETS
from mnist_cnn.handwriting import (
    DRAWINGS_PER_DIGIT,
    HELD_OUT_WRITERS,
    draw_like_a_student,
    load_pen_digits,
    plain_resize,
    split_by_writer,
)
from mnist_cnn.predict import NOT_A_DIGIT_ABOVE, Predictor
from mnist_cnn.preprocess import preprocess
from mnist_cnn.storage import ASSETS_DIR, load_model_file
from tools.marks import MARKS


def measure(
    predictor: Predictor, digits, seed: int = 0, drawings_per_digit: int = 1, plain: bool = True
) -> dict:
    """Per writer: digits, read correctly (preprocessed), read correctly (plain resize; 0 when
    `plain` is False), blank, flagged as not a digit; and the mistakes (true, read) of the
    preprocessed path."""
    rng = np.random.default_rng(seed)
    writers = defaultdict(lambda: {"digits": 0, "correct": 0, "plain": 0, "blank": 0, "flagged": 0})
    mistakes = defaultdict(int)
    seconds, predict_seconds, not_a_digit = [], [], []
    for digit in digits:
        for _ in range(drawings_per_digit):
            drawing = draw_like_a_student(digit.strokes, rng)
            row = writers[digit.writer]
            row["digits"] += 1
            if plain:
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
            not_a_digit.append(prediction.not_a_digit_probability)
            if prediction.digit == digit.label and not prediction.not_a_digit:
                row["correct"] += 1
            else:
                mistakes[(digit.label, prediction.digit)] += 1
    return {
        "writers": dict(writers),
        "mistakes": dict(mistakes),
        "seconds": seconds,
        "predict_seconds": predict_seconds,
        "not_a_digit_probabilities": not_a_digit,  # of each real digit not read as blank
    }


def measure_marks(
    predictor: Predictor, seed: int = 0, per_kind: int = 30, probabilities: list | None = None
) -> dict:
    """For each kind of mark: the fraction reported as blank or "not a digit". `probabilities`,
    if given, gets each mark's "not a digit" probability (1.0 for a mark read as blank)."""
    rng = np.random.default_rng(seed)
    caught = {}
    for kind, make in MARKS.items():
        count = 0
        for _ in range(per_kind):
            prepared = preprocess(draw_like_a_student(make(rng), rng).image)
            probability = (
                1.0 if prepared.blank else predictor.predict(prepared.image).not_a_digit_probability
            )
            count += probability > NOT_A_DIGIT_ABOVE
            if probabilities is not None:
                probabilities.append(probability)
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


# --- cross-validation by writer ---------------------------------------------------------------

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # "not a digit" thresholds compared


def writer_folds(writers, count: int) -> list[tuple[str, ...]]:
    """The writers in `count` folds: writer traNN goes to folds[NN % count] (with 3 folds,
    folds[0], "fold 1", is HELD_OUT_WRITERS, the split the shipped model was trained with)."""
    if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= 30:
        raise ValueError(f"The number of folds must be 2 to 30. Received: count={count!r}")
    folds = [[] for _ in range(count)]
    for writer in sorted(set(writers)):
        folds[int(writer[-2:]) % count].append(writer)
    return [tuple(fold) for fold in folds]


def pen_drawings(digits, config, per_digit: int):
    """Every writer's digits drawn for training as `train` draws the training writers'
    (handwriting.extra_training_data), each `per_digit` times: (images, labels, writers), drawn
    once for all folds."""
    from mnist_cnn.handwriting import render_for_training

    chosen = digits * per_digit
    if config.train_size < 55_000:  # a share, as train() takes
        keep = np.random.default_rng(config.seed).permutation(len(chosen))
        chosen = [chosen[i] for i in keep[: round(len(chosen) * config.train_size / 55_000)]]
    images = render_for_training([digit.strokes for digit in chosen], config.seed)
    labels = np.array([digit.label for digit in chosen], np.uint8)
    writers = np.array([digit.writer for digit in chosen])
    drawn = images.any(axis=(1, 2))  # a drawing read as blank is left out
    return images[drawn], labels[drawn], writers[drawn]


def train_for_fold(config, data, fold: tuple[str, ...], drawings):
    """A network trained with `config`, learning from every writer but those of `fold`
    (`drawings`: what pen_drawings gives)."""
    from mnist_cnn.cli import TerminalProgress
    from mnist_cnn.training import train

    extra_images = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    extra_labels = np.zeros(0, np.uint8)
    if config.real_digits:
        images, labels, writers = drawings
        keep = ~np.isin(writers, fold)
        extra_images, extra_labels = images[keep], labels[keep]
        config = config.replace(real_digits=False)  # added here, without this fold's writers
    result = train(
        config, data, [TerminalProgress()], extra_images=extra_images, extra_labels=extra_labels
    )
    return result.model, result.train_seconds


def fold_files(work_dir: Path, index: int, count: int) -> tuple[Path, Path]:
    """Where fold `index` (from 0) of `count` keeps its network, and beside it its recipe."""
    path = Path(work_dir) / f"fold{index + 1}-of-{count}.keras"
    return path, path.with_suffix(".json")


# What a cross-validation can change in a recipe besides its TrainConfig, and the package's own
# value of each: a kept fold network's recipe names a change only when it differs from these.
RECIPE_CHANGES = {
    "train_drawings": DRAWINGS_PER_DIGIT,  # times each training writer's digit is drawn
}


def fold_recipe(config, fold: tuple[str, ...], changes: dict | None = None) -> dict:
    """What a kept fold network was trained with: the config, the writers it never saw and the
    recipe's `changes` (RECIPE_CHANGES that differ from the package's, as cross_validate makes
    them)."""
    return {"config": config.to_dict(), "held_out_writers": list(fold), **(changes or {})}


def keep_fold_network(
    model_file, config, fold, index: int, count: int, work_dir, changes: dict | None = None
) -> Path:
    """Keep a network trained elsewhere with `config` (and `changes`, see fold_recipe) and
    without `fold`'s writers (e.g. the shipped model, for fold 1 of 3) as that fold's network,
    to be measured and reused."""
    path, recipe_path = fold_files(work_dir, index, count)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_file, path)
    recipe_path.write_text(json.dumps(fold_recipe(config, fold, changes)))
    return path


def fold_model(
    config, data, fold, index: int, count: int, work_dir: Path, drawings, train_missing=True,
    changes: dict | None = None,
):  # fmt: skip
    """The fold's network: read back from `work_dir` when the same recipe and writers were
    trained there before (a rerun measures without training again), else trained now (or None
    when not `train_missing`). `data` and `drawings` give MNIST and the pen drawings, called
    only when the fold is trained; `changes`: see fold_recipe."""
    from mnist_cnn.storage import load_model_file, save_model_atomic

    work_dir.mkdir(parents=True, exist_ok=True)
    path, recipe_path = fold_files(work_dir, index, count)
    recipe = fold_recipe(config, fold, changes)
    if path.is_file() and recipe_path.is_file():
        saved = json.loads(recipe_path.read_text())
        seconds = saved.pop("train_seconds", None)
        if saved == recipe:
            print(f"fold {index + 1}: reusing {path}", file=sys.stderr)
            return load_model_file(path), seconds
    if not train_missing:
        return None, None
    print(f"fold {index + 1}/{count}: training without {', '.join(fold)}", file=sys.stderr)
    model, seconds = train_for_fold(config, data(), fold, drawings())
    save_model_atomic(model, path)
    recipe_path.write_text(json.dumps({**recipe, "train_seconds": round(seconds, 1)}))
    return model, seconds


def threshold_table(digit_probabilities, mark_probabilities) -> list[dict]:
    """For each threshold: the share of real digits and of marks called "not a digit"."""
    digits, marks = np.asarray(digit_probabilities), np.asarray(mark_probabilities)
    return [
        {
            "threshold": threshold,
            "real_digits_flagged": float(np.mean(digits > threshold)),
            "marks_caught": float(np.mean(marks > threshold)),
        }
        for threshold in THRESHOLDS
    ]


def cross_validate(args, digits) -> dict:
    """Train one network per fold of writers and read each writer with the one that never saw
    them (see the module docstring)."""
    from mnist_cnn.data import load_mnist

    config = PRESETS[args.preset]
    if args.epochs:
        config = config.replace(epochs=args.epochs)
    if args.train_seed is not None:
        config = config.replace(seed=args.train_seed)
    if args.mnist_repeats is not None:
        config = config.replace(mnist_repeats=args.mnist_repeats)
    if args.plain_epochs is not None:
        config = config.replace(plain_epochs=args.plain_epochs)
    changes = {
        name: getattr(args, name)
        for name, usual in RECIPE_CHANGES.items()
        if getattr(args, name) not in (None, usual)
    }
    for name, value in changes.items():
        if value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be 1 or more. Received: {value}")
    if "train_drawings" in changes and not config.real_digits:
        raise ValueError(
            f"--train-drawings needs a preset that learns from the pen-written digits; "
            f"{args.preset} does not. Received: --train-drawings {changes['train_drawings']}"
        )
    folds = writer_folds({digit.writer for digit in digits}, args.cross_validate)
    # MNIST and every writer's training drawings, made when a fold first needs them (a rerun
    # with --trained-only and nothing kept says so without reading MNIST)
    data = functools.cache(lambda: load_mnist(args.data_dir))
    per_digit = changes.get("train_drawings", RECIPE_CHANGES["train_drawings"])
    drawings = functools.cache(
        lambda: pen_drawings(digits, config, per_digit) if config.real_digits else None
    )
    per_writer, per_fold, digit_probabilities, mark_probabilities = {}, [], [], []
    mistakes = defaultdict(int)

    for index, fold in enumerate(folds):
        if args.fold and index + 1 not in args.fold:
            continue
        model, seconds = fold_model(
            config, data, fold, index, len(folds), Path(args.work_dir), drawings,
            train_missing=not args.trained_only, changes=changes,
        )  # fmt: skip
        if model is None:
            continue
        predictor = Predictor(model)
        _, fold_digits = split_by_writer(digits, fold)
        result = measure(predictor, fold_digits, args.seed, args.drawings, plain=False)
        figures = summary(result)
        marks = measure_marks(predictor, args.seed, probabilities=mark_probabilities)
        from mnist_cnn.evaluation import evaluate

        mnist = evaluate(model, data().test_images, data().test_labels)
        digit_probabilities += result["not_a_digit_probabilities"]
        for (true, read), count in result["mistakes"].items():
            mistakes[(true, read)] += count
        for name, row in figures["per_writer"].items():
            per_writer[name] = {**row, "fold": index + 1}
        per_fold.append(
            {
                "fold": index + 1,
                "writers": list(fold),
                "digits": figures["digits"],
                "accuracy": figures["accuracy"],
                "worst_writer": figures["worst_writer"],
                "worst_writer_accuracy": figures["worst_writer_accuracy"],
                "flagged_not_a_digit": figures["flagged_not_a_digit"],
                "marks_reported": float(np.mean(list(marks.values()))),
                "mnist_test_accuracy": mnist.accuracy,
                "train_seconds": seconds,
            }
        )
    if not per_fold:
        raise ValueError(
            f"No fold was measured: no network of this recipe is in {args.work_dir} yet. "
            "Run again without --trained-only to train them."
        )
    total = sum(row["digits"] for row in per_writer.values())
    worst = min(per_writer, key=lambda name: per_writer[name]["accuracy"])
    accuracies = [fold["accuracy"] for fold in per_fold]
    return {
        "preset": args.preset,
        "config": config.to_dict(),
        "recipe_changes": changes,
        "folds": len(folds),
        "folds_measured": [fold["fold"] for fold in per_fold],
        "digits": total,
        "accuracy": sum(row["accuracy"] * row["digits"] for row in per_writer.values()) / total,
        "worst_writer": worst,
        "worst_writer_accuracy": per_writer[worst]["accuracy"],
        "fold_spread": max(accuracies) - min(accuracies),
        "flagged_not_a_digit": float(np.mean(np.asarray(digit_probabilities) > NOT_A_DIGIT_ABOVE)),
        "not_a_digit_threshold": NOT_A_DIGIT_ABOVE,
        "thresholds": threshold_table(digit_probabilities, mark_probabilities),
        "highest_real_digit_not_a_digit": max(digit_probabilities, default=0.0),
        "most_common_mistakes": [
            {"true": true, "read": read, "count": count}
            for (true, read), count in sorted(mistakes.items(), key=lambda item: -item[1])[:8]
        ],
        "per_fold": per_fold,
        "per_writer": per_writer,
    }


def print_thresholds(rows: list[dict], highest: float) -> None:
    print(f"the highest 'not a digit' probability of a real digit: {highest:.3f}")
    print("threshold  real digits called 'not a digit'  marks caught (or blank)")
    for row in rows:
        print(
            f"{row['threshold']:9.2f}  {100 * row['real_digits_flagged']:31.2f}%  "
            f"{100 * row['marks_caught']:22.1f}%"
        )


def print_cross_validation(figures: dict) -> None:
    changes = "".join(f", {name} {value}" for name, value in figures["recipe_changes"].items())
    print(
        f"cross-validation by writer: preset {figures['preset']} "
        f"({figures['config']['epochs']} epochs, last {figures['config']['plain_epochs']} "
        f"unvaried, MNIST seen {figures['config']['mnist_repeats']}x a round, training seed "
        f"{figures['config']['seed']}"
        f"{changes}), "
        f"{figures['folds']} folds; measured: "
        f"{', '.join(str(fold) for fold in figures['folds_measured'])}"
    )
    print("writer  fold  digits  read right  flagged 'not a digit'")
    for name, row in figures["per_writer"].items():
        print(
            f"{name:6s}  {row['fold']:4d}  {row['digits']:6d}  {100 * row['accuracy']:9.1f}%  "
            f"{100 * row['flagged_not_a_digit']:8.1f}%"
        )
    print("fold  digits  read right  worst writer      flagged  marks caught  MNIST test  train s")
    for fold in figures["per_fold"]:
        seconds = fold["train_seconds"]
        print(
            f"{fold['fold']:4d}  {fold['digits']:6d}  {100 * fold['accuracy']:9.1f}%  "
            f"{fold['worst_writer']} {100 * fold['worst_writer_accuracy']:5.1f}%  "
            f"{100 * fold['flagged_not_a_digit']:8.2f}%  {100 * fold['marks_reported']:11.1f}%  "
            f"{100 * fold['mnist_test_accuracy']:9.2f}%  {f'{seconds:.0f}' if seconds else '-':>7}"
        )
    print(
        f"all: {100 * figures['accuracy']:.1f}% of {figures['digits']} digits; worst writer "
        f"{figures['worst_writer']} {100 * figures['worst_writer_accuracy']:.1f}%; spread between "
        f"folds {100 * figures['fold_spread']:.1f} points; real digits called 'not a digit' "
        f"{100 * figures['flagged_not_a_digit']:.2f}% (threshold {figures['not_a_digit_threshold']})"
    )
    print_thresholds(figures["thresholds"], figures["highest_real_digit_not_a_digit"])
    mistakes = ", ".join(
        f"{row['true']} read as {row['read']} ({row['count']})"
        for row in figures["most_common_mistakes"]
    )
    print(f"most common mistakes: {mistakes or 'none'}")


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
    cross = parser.add_argument_group("cross-validation by writer (trains one network per fold)")
    cross.add_argument(
        "--cross-validate", type=int, metavar="K", help="folds of writers (e.g. 3); all 30 are read"
    )
    cross.add_argument(
        "--preset", choices=sorted(PRESETS), default="accurate", help="the recipe to measure"
    )
    cross.add_argument("--epochs", type=int, help="train for this many epochs instead")
    cross.add_argument(
        "--train-seed",
        type=int,
        metavar="S",
        help="train with this seed instead of the preset's: how much a writer's figure moves "
        "from one training of the same recipe to another",
    )
    cross.add_argument(
        "--train-drawings",
        type=int,
        metavar="N",
        help=f"draw each training writer's digit N times for training (the package's "
        f"recipe: {RECIPE_CHANGES['train_drawings']})",
    )
    cross.add_argument(
        "--mnist-repeats",
        type=int,
        metavar="N",
        help=f"train on each MNIST training image N times a round instead (the preset's: "
        f"{PRESETS['accurate'].mnist_repeats} for accurate)",
    )
    cross.add_argument(
        "--plain-epochs",
        type=int,
        metavar="N",
        help=f"train the last N epochs on unvaried images instead (the preset's: "
        f"{PRESETS['accurate'].plain_epochs} for accurate)",
    )
    cross.add_argument("--data-dir", help="folder with the MNIST files (or MNIST_DATA_DIR)")
    cross.add_argument(
        "--work-dir",
        default="cross-validation",
        help="where the fold networks are kept, and reused when the same recipe is asked again",
    )
    cross.add_argument(
        "--fold",
        type=int,
        action="append",
        metavar="N",
        help="train and measure only fold N (1 to K; repeat it for several): a long recipe's "
        "folds can then be run one at a time, each reused later from --work-dir",
    )
    cross.add_argument(
        "--trained-only",
        action="store_true",
        help="measure only the folds whose network is in --work-dir already (train none)",
    )
    args = parser.parse_args(argv)
    if args.fold and not args.cross_validate:
        parser.error("--fold needs --cross-validate K")
    if args.fold and not all(1 <= fold <= args.cross_validate for fold in args.fold):
        parser.error(f"--fold must be 1 to {args.cross_validate}. Received: --fold {args.fold}")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return run(args)
    except ValueError as error:  # no pen-written digits, a bad --cross-validate, nothing trained
        print(f"error: {error}", file=sys.stderr)
        return 2


def run(args) -> int:
    digits = load_pen_digits(args.handwriting_dir)
    if args.cross_validate:
        figures = cross_validate(args, digits)
        if args.json:
            print(json.dumps(figures))
        else:
            print_cross_validation(figures)
        return 0
    training, held_out = split_by_writer(digits)
    chosen = {"held-out": held_out, "training": training, "all": digits}[args.writers]
    model_path = Path(args.model) if args.model else ASSETS_DIR / "model.keras"
    predictor = Predictor(load_model_file(model_path))
    result = measure(predictor, chosen, args.seed, args.drawings)
    figures, mark_probabilities = summary(result), []
    figures["marks_reported"] = measure_marks(
        predictor, args.seed, probabilities=mark_probabilities
    )
    figures["thresholds"] = threshold_table(result["not_a_digit_probabilities"], mark_probabilities)
    figures["highest_real_digit_not_a_digit"] = max(
        result["not_a_digit_probabilities"], default=0.0
    )
    figures["model"] = str(model_path)
    figures["writers"] = args.writers
    if args.json:
        print(json.dumps(figures))
    else:
        print_table(figures, f"{model_path}, {args.writers} writers, seed {args.seed}")
        print_thresholds(figures["thresholds"], figures["highest_real_digit_not_a_digit"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
