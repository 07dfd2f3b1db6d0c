"""The shipped model reads digits drawn the way people draw on a canvas, through the CLI."""

import json

from mnist_cnn.cli import main
from tools.strokes import make_drawn_digits


def test_shipped_model_reads_drawn_digits(tmp_path, capsys):
    drawn = make_drawn_digits(
        300, seed=2024
    )  # strokes of varying width, position, size, tilt, polarity
    paths = []
    for index, (image, _label, _strokes) in enumerate(drawn):
        path = tmp_path / f"{index}.png"
        image.save(path)
        paths.append(str(path))
    assert main(["predict", "--json", *paths]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    correct = sum(
        answer["digit"] == label for answer, (_, label, _) in zip(answers, drawn, strict=True)
    )
    assert not any(answer["blank"] for answer in answers)
    assert correct / len(drawn) >= 0.97, f"{correct}/{len(drawn)} read correctly"
