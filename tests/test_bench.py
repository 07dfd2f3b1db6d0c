"""The benchmark keeps working: its tiny mode runs end to end and every figure is a real number."""

import json
import math

import pytest

from tools.bench import main


@pytest.mark.slow  # trains the notebook's network and each preset on a small scale
def test_tiny_benchmark_runs(mnist, capsys):
    assert main(["--tiny", "--skip-browser", "--json"]) == 0
    results = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    training = results["training"]
    assert training["notebook_epoch_seconds"] > 0 and training["package_epoch_seconds"] > 0
    assert math.isclose(
        training["speedup"], training["notebook_epoch_seconds"] / training["package_epoch_seconds"]
    )
    assert [row["preset"] for row in results["presets"]] == ["seed", "quick", "accurate"]
    assert all(0 < row["final_accuracy"] <= 1 for row in results["presets"])
    prediction = results["prediction"]
    assert 0 < prediction["predictor_p50_ms"] <= prediction["predictor_p95_ms"]
    assert prediction["model_predict_p50_ms"] > 0
