import json
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw

from mnist_cnn.cli import main
from mnist_cnn.config import SETTINGS


def test_help_on_every_subcommand(capsys):
    for command in ([], ["train"], ["evaluate"], ["predict"], ["class", "add"], ["finetune"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: python -m mnist_cnn" in capsys.readouterr().out


def test_train_flags_cover_every_hyperparameter(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for flag in (
        "--kernel-size",
        "--conv-dropout",
        "--augment",
        "--no-augment",
        "--train-size",
        "--preset",
    ):
        assert flag in text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "0"], "epochs=0"),
        (["--kernel-size", "12"], "kernel_size=12"),
        (["--conv-dropout", "1.5"], "conv_dropout=1.5"),
    ],
)
def test_bad_hyperparameters_are_refused_before_training(flags, message, capsys):
    assert main(["train", *flags]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "three"], "invalid int value: 'three'"),
        (["--optimizer", "adamw"], "invalid choice: 'adamw'"),
    ],
)
def test_wrongly_typed_flag_is_refused(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_every_hyperparameter_flag_has_help_from_its_setting(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, described in SETTINGS.items():
        assert "--" + name.replace("_", "-") in text
        assert " ".join(f"{described.label}: {described.help}".split()) in text


def test_train_json_then_evaluate_and_predict(mnist, tmp_path, capsys):
    out = tmp_path / "model"
    assert (
        main(
            [
                "train",
                "--train-size",
                "1000",
                "--validation-size",
                "200",
                "--epochs",
                "1",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"test_accuracy", "test_loss", "train_seconds", "epochs", "model_path"} <= set(summary)
    assert summary["epochs"] == 1 and summary["model_path"] == str(out / "model.keras")
    assert (out / "metadata.json").is_file()

    assert main(["evaluate", "--model", summary["model_path"], "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["accuracy"] == pytest.approx(summary["test_accuracy"])
    assert len(scores["confusion_matrix"]) == 10 and len(scores["per_class"]) == 10


def test_evaluate_shipped_model_json(mnist, capsys):
    assert main(["evaluate", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["accuracy"] >= 0.992
    assert sum(map(sum, scores["confusion_matrix"])) == 10000


def test_predict_json_on_files(tmp_path, capsys):
    seven = Image.new("L", (300, 300), 255)  # dark ink on white paper
    ImageDraw.Draw(seven).line([(80, 60), (220, 60), (130, 250)], fill=0, width=22)
    seven.save(tmp_path / "seven.png")
    Image.new("L", (100, 100), 0).save(tmp_path / "blank.png")
    (tmp_path / "notes.txt").write_text("not an image")
    paths = [str(tmp_path / name) for name in ("seven.png", "blank.png", "notes.txt")]
    assert main(["predict", "--json", *paths]) == 1  # one file could not be read
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (
        lines[0]["digit"] == 7
        and lines[0]["blank"] is False
        and len(lines[0]["probabilities"]) == 10
    )
    assert lines[0]["not_a_digit"] is False
    assert lines[1] == {
        "path": paths[1],
        "digit": None,
        "probabilities": None,
        "blank": True,
        "not_a_digit": False,
    }
    assert lines[2]["path"] == paths[2] and "error" in lines[2]


def test_missing_model_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path / "none.keras")]) == 2
    assert "Model file not found" in capsys.readouterr().err


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "mnist_cnn", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "train" in result.stdout
