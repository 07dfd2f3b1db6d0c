"""Real handwriting and "not a digit": the shipped model on pen-written digits by people it never
saw (UCI pendigits, CC BY 4.0: E. Alpaydin and F. Alimoglu, UCI ML Repository, data set 81), and
on marks that are no digit, drawn by tools.marks (shapes of their own, not mnist_cnn.marks)."""

import os
from pathlib import Path

import numpy as np
import pytest

from mnist_cnn.handwriting import (
    DRAWINGS_PER_DIGIT,
    FILE_NAME,
    HELD_OUT_WRITERS,
    MARK_COUNT,
    NOT_A_DIGIT,
    draw_like_a_student,
    extra_training_data,
    handwriting_dir,
    load_pen_digits,
    split_by_writer,
)
from mnist_cnn.predict import Prediction, Predictor
from mnist_cnn.preprocess import preprocess
from tools.marks import MARKS


def pendigits_dir() -> Path:
    """MNIST_CNN_HANDWRITING_DIR (conftest sets it to the shared data folder when there is one)."""
    return Path(os.environ.get("MNIST_CNN_HANDWRITING_DIR", "no pendigits folder given"))


@pytest.fixture(scope="module")
def pen_digits():
    if not (pendigits_dir() / FILE_NAME).is_file():
        pytest.skip(
            f"pen-written digits not available: set MNIST_CNN_HANDWRITING_DIR to a folder "
            f"with {FILE_NAME} (UCI pendigits)"
        )
    return load_pen_digits(pendigits_dir())


@pytest.fixture(scope="module")
def predictor(shipped_model):
    return Predictor(shipped_model)


def test_the_writers_are_split_once_and_for_all(pen_digits):
    training, held_out = split_by_writer(pen_digits)
    assert len(training) + len(held_out) == len(pen_digits) == 7494
    assert {digit.writer for digit in held_out} == set(HELD_OUT_WRITERS)
    assert len(HELD_OUT_WRITERS) == 10
    assert not {digit.writer for digit in training} & set(HELD_OUT_WRITERS)


def test_a_missing_folder_says_how_to_give_one(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_CNN_HANDWRITING_DIR", raising=False)
    with pytest.raises(ValueError, match="MNIST_CNN_HANDWRITING_DIR"):
        handwriting_dir()
    with pytest.raises(ValueError, match="Received: directory="):
        handwriting_dir(tmp_path)


def test_held_out_writers_are_read(pen_digits, predictor):
    """300 digits of the held-out writers, drawn like a student: the shipped model reads 97% or
    more (all of them: `python -m tools.handwriting`) and flags almost none as not a digit."""
    _, held_out = split_by_writer(pen_digits)
    rng = np.random.default_rng(1)
    correct = flagged = 0
    sample = [held_out[index] for index in rng.choice(len(held_out), 300, replace=False)]
    assert len({digit.label for digit in sample}) == 10
    for digit in sample:
        prepared = preprocess(draw_like_a_student(digit.strokes, rng).image)
        prediction = predictor.predict(prepared.image)
        correct += prediction.digit == digit.label
        flagged += prediction.not_a_digit
    assert correct / len(sample) >= 0.97
    assert flagged / len(sample) <= 0.01


def test_mnist_test_digits_are_not_flagged(mnist, shipped_model):
    outputs = shipped_model.predict_on_batch(mnist.test_images[:, :, :, None] / 255.0)
    flagged = np.mean([Prediction.from_outputs(row).not_a_digit for row in outputs])
    assert flagged <= 0.01


def test_extra_training_data_are_drawings_and_marks(pen_digits):
    """A twentieth of the drawings a full run makes (so the test stays quick)."""
    images, labels = extra_training_data(True, True, 0, pendigits_dir(), share=0.05)
    training, _ = split_by_writer(pen_digits)
    made = 0.05 * (DRAWINGS_PER_DIGIT * len(training) + MARK_COUNT)
    assert images.shape[1:] == (28, 28) and images.dtype == np.uint8
    assert 0.98 * made <= len(images) <= made + 1  # a drawing read as blank is left out
    assert set(labels.tolist()) == set(range(11))  # ten digits and "not a digit"
    assert images.reshape(len(images), -1).max(axis=1).min() > 0  # no empty image


def test_marks_that_are_no_digit_are_reported(predictor):
    """Each of 16 marks drawn 10 times (pen, size, place, tilt, polarity at random): at least
    90% of them are reported blank or not a digit, and each kind at least half the time."""
    rng = np.random.default_rng(2)
    caught = {}
    for kind, make in MARKS.items():
        results = []
        for _ in range(10):
            prepared = preprocess(draw_like_a_student(make(rng), rng).image)
            results.append(prepared.blank or predictor.predict(prepared.image).not_a_digit)
        caught[kind] = sum(results) / len(results)
    assert np.mean(list(caught.values())) >= 0.9, caught
    assert min(caught.values()) >= 0.5, caught


def test_the_not_a_digit_message():
    outputs = np.array([0.01] * 8 + [0.31, 0.0, 0.61], np.float32)  # 8: 31%; not a digit: 61%
    prediction = Prediction.from_outputs(outputs / outputs.sum())
    assert prediction.not_a_digit and prediction.digit == 8
    assert prediction.not_a_digit_message() == "Not a digit · 61% sure"
    assert prediction.if_a_digit_message() == "If it is a digit, most likely 8 (79%)"
    assert prediction.probabilities.sum() == pytest.approx(1)
    sure = Prediction.from_outputs(np.eye(11)[3])
    assert not sure.not_a_digit and sure.not_a_digit_message() == ""
    assert not Prediction.from_outputs(np.eye(10)[3]).not_a_digit  # ten outputs: never flagged
    assert NOT_A_DIGIT == 10


def test_cross_validation_folds_split_the_writers_by_number():
    from tools.handwriting import writer_folds

    writers = [f"tra{number:02d}" for number in range(1, 31)]
    folds = writer_folds(writers, 3)
    assert folds[0] == HELD_OUT_WRITERS  # fold 1 is the fixed split the shipped model used
    assert sorted(sum(folds, ())) == writers and len(folds) == 3
    assert "tra14" in folds[2] and "tra28" in folds[1]
    with pytest.raises(ValueError, match="Received: count=1"):
        writer_folds(writers, 1)


def test_cross_validation_reuses_a_kept_fold_network_and_measures_its_writers(
    pen_digits, mnist, tmp_path, capsys
):
    """`--cross-validate 30 --fold 1 --trained-only`: fold 1 of 30 is one writer, tra30, never
    trained on by the shipped model; with the shipped model kept as that fold's network (same
    recipe, same writers left out), the tool measures it without training."""
    import json

    from mnist_cnn.config import PRESETS
    from mnist_cnn.storage import ASSETS_DIR
    from tools.handwriting import keep_fold_network, main

    common = ["--handwriting-dir", str(pendigits_dir()), "--data-dir", mnist.source,
              "--work-dir", str(tmp_path), "--cross-validate", "30", "--trained-only"]  # fmt: skip
    assert main([*common, "--fold", "1"]) == 2  # nothing kept yet, and nothing is trained
    assert "No fold was measured" in capsys.readouterr().err
    # With nothing to measure it says so without reading MNIST (here a folder without it)
    assert main([*common, "--fold", "1", "--data-dir", str(tmp_path / "no-mnist")]) == 2
    assert "No fold was measured" in capsys.readouterr().err

    kept = keep_fold_network(ASSETS_DIR / "model.keras", PRESETS["accurate"], ("tra30",), 0, 30,
                             tmp_path)  # fmt: skip
    assert kept == tmp_path / "fold1-of-30.keras"
    assert main([*common, "--fold", "1", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["folds_measured"] == [1] and list(figures["per_writer"]) == ["tra30"]
    assert figures["digits"] == 249 and figures["worst_writer"] == "tra30"
    assert figures["accuracy"] >= 0.95  # the README's table: 99.6%
    assert figures["per_fold"][0]["mnist_test_accuracy"] >= 0.99
    assert figures["flagged_not_a_digit"] <= 0.005
    assert figures["not_a_digit_threshold"] in [row["threshold"] for row in figures["thresholds"]]


def test_cross_validation_with_another_training_seed_keeps_its_own_networks(
    pen_digits, mnist, tmp_path, capsys
):
    """`--train-seed S` measures the recipe trained with seed S: a fold network trained with
    the preset's own seed is not reused for it, one trained with S is, and a seed that cannot
    be used is refused with the reason."""
    import json

    from mnist_cnn.config import PRESETS
    from mnist_cnn.storage import ASSETS_DIR
    from tools.handwriting import keep_fold_network, main

    common = ["--handwriting-dir", str(pendigits_dir()), "--data-dir", mnist.source,
              "--work-dir", str(tmp_path), "--cross-validate", "30", "--trained-only",
              "--fold", "1"]  # fmt: skip
    keep_fold_network(ASSETS_DIR / "model.keras", PRESETS["accurate"], ("tra30",), 0, 30, tmp_path)
    assert main([*common, "--train-seed", "1"]) == 2  # trained with seed 0: not this recipe
    assert "No fold was measured" in capsys.readouterr().err

    seed_one = PRESETS["accurate"].replace(seed=1)
    keep_fold_network(ASSETS_DIR / "model.keras", seed_one, ("tra30",), 0, 30, tmp_path)
    assert main([*common, "--train-seed", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["folds_measured"] == [1]

    assert main([*common, "--train-seed", "-1"]) == 2
    assert "seed must be between 0 and" in capsys.readouterr().err


def test_cross_validation_with_more_drawings_or_mnist_repeated_keeps_its_own_networks(
    pen_digits, mnist, tmp_path, capsys
):
    """`--train-drawings N` and `--mnist-repeats N` change the recipe: a network kept for the
    package's recipe is not reused for them (nor theirs for it), one kept with the same changes
    is, asking for the package's own values is the package's recipe, and 0 is refused."""
    import json

    from mnist_cnn.config import PRESETS
    from mnist_cnn.handwriting import DRAWINGS_PER_DIGIT
    from mnist_cnn.storage import ASSETS_DIR
    from tools.handwriting import keep_fold_network, main

    common = ["--handwriting-dir", str(pendigits_dir()), "--data-dir", mnist.source,
              "--work-dir", str(tmp_path), "--cross-validate", "30", "--trained-only",
              "--fold", "1"]  # fmt: skip
    accurate = PRESETS["accurate"]
    fewer = DRAWINGS_PER_DIGIT // 2
    other = ["--train-drawings", str(fewer), "--mnist-repeats", "1"]
    keep = (ASSETS_DIR / "model.keras", accurate, ("tra30",), 0, 30, tmp_path)
    keep_fold_network(*keep)
    assert main([*common, *other]) == 2  # kept for the package's recipe: not this one
    assert "No fold was measured" in capsys.readouterr().err
    usual = ["--train-drawings", str(DRAWINGS_PER_DIGIT),
             "--mnist-repeats", str(accurate.mnist_repeats), "--json"]  # fmt: skip
    assert main([*common, *usual]) == 0  # the package's own values: its recipe
    assert json.loads(capsys.readouterr().out)["recipe_changes"] == {}

    keep_fold_network(
        ASSETS_DIR / "model.keras", accurate.replace(mnist_repeats=1), ("tra30",), 0, 30,
        tmp_path, changes={"train_drawings": fewer},
    )  # fmt: skip
    assert main([*common, *other, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["recipe_changes"] == {"train_drawings": fewer}
    assert figures["config"]["mnist_repeats"] == 1
    assert figures["folds_measured"] == [1]
    assert main([*common, "--train-drawings", str(fewer)]) == 2  # half the changes: another one
    assert main(common) == 2  # nor is it the package's recipe
    capsys.readouterr()
    assert main([*common, *other]) == 0  # the printed header names the changes
    assert f"MNIST seen 1x a round, training seed 0, train_drawings {fewer})" in (
        capsys.readouterr().out
    )

    assert main([*common, "--mnist-repeats", "0"]) == 2
    assert "mnist_repeats must be between 1 and 4. Received: mnist_repeats=0" in (
        capsys.readouterr().err
    )
    assert main([*common, "--preset", "quick", "--train-drawings", str(fewer)]) == 2
    assert "needs a preset that learns from the pen-written digits" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--fold", "1"], "--fold needs --cross-validate K"),
        (["--cross-validate", "3", "--fold", "4"], "--fold must be 1 to 3"),
    ],
)
def test_cross_validation_refuses_a_fold_it_does_not_have(arguments, message, capsys):
    from tools.handwriting import main

    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_the_tool_says_where_the_pen_written_digits_are_missing(tmp_path, capsys):
    from tools.handwriting import main

    assert main(["--handwriting-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert (
        error.startswith("error: There is no pendigits-train.jsonl.gz") and "Traceback" not in error
    )
