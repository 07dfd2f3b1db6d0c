"""The classroom load generator (`python -m tools.load`), run small: 4 sessions (one in
Chromium, three over the websocket), 2 digits each, and 2 sessions watching the Train page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_load_generator_runs(mnist, browser_type_launch_args):  # the fixture skips without Chromium
    done = subprocess.run(
        [sys.executable, "-m", "tools.load", "--sessions", "4", "--browsers", "1", "--strokes", "2",
         "--watchers", "2"],
        cwd=ROOT, env={**os.environ, "MNIST_DATA_DIR": mnist.source},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert lines["training run"] == "still running at the end"
    assert lines["predictions timed"] == "8 of 8"
    assert lines["sessions with errors"] == "0"
    assert int(lines["wrong predictions"]) <= 1  # the shipped model reads clear strokes ~99%
    assert lines["mouse-up to prediction"].startswith("p50 ")
    assert lines["mouse-up to prediction"].endswith("(2 timed)")  # the browser session
    assert lines["drawing sent to prediction received"].endswith("(6 timed)")  # the websocket ones
    watchers, refreshed = lines["Train page watchers"].split(", live part refreshed: ")
    assert watchers == "2" and refreshed.startswith("p50 ")
    assert int(refreshed.rsplit("(", 1)[1].split()[0]) >= 4  # each at least twice while drawing
