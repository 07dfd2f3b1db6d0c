"""Benchmark: `python -m tools.bench` prints, from one run on this machine, how fast things are.

1. Seconds per epoch of the notebook's network trained the notebook's way (`model.fit` on NumPy
   arrays, float32, batch 200) against the package's own training path, with final accuracies.
2. For each preset, the training time until it first reaches 99.0% test accuracy.
3. Single-image prediction latency: the package's Predictor against `model.predict`.
4. App start-up to the Draw page ready, and mouse-up to updated prediction in Chromium,
   idle and while a training run is going (needs Playwright and Chromium).
5. On the Train page in Chromium, opened as the first page of a fresh server and Start pressed
   at once: from the click on Start (preset `quick`) to the finished model on disk, against the
   run's training time and against the CLI's training time of the same preset (measured just
   before); and the first time-left estimate shown, against the time that was really left
   (`--click-only` measures just this).

Every number is measured, never typed: a measurement that cannot be taken stops the benchmark
with an error. `--tiny` runs everything on a small scale in about a minute, to keep it working.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import keras
import numpy as np

from mnist_cnn.config import PRESETS, TrainConfig
from mnist_cnn.data import load_mnist
from mnist_cnn.evaluation import evaluate
from mnist_cnn.model import build_model, to_model_input
from mnist_cnn.predict import Predictor
from mnist_cnn.storage import ASSETS_DIR, load_model_file
from mnist_cnn.training import (
    TrainingCallback,
    cpu_has_fast_bfloat16,
    split_training_data,
    train,
)

TARGET_ACCURACY = 0.99


class BenchmarkError(RuntimeError):
    """A measurement could not be taken."""


def percentile(values: list[float], share: float) -> float:
    if not values:
        raise BenchmarkError("no measurements")
    return float(np.percentile(values, share))


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds, self.start = [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


class PackageEpochTimer(TrainingCallback):
    def __init__(self):
        self.ends = []

    def on_epoch_end(self, progress):
        self.ends.append(progress.elapsed)


def steady_epoch_seconds(seconds: list[float]) -> float:
    """Median epoch time, leaving out the first epoch (it includes building the graph)."""
    return statistics.median(seconds[1:] if len(seconds) > 1 else seconds)


def notebook_way(data, config: TrainConfig) -> tuple[float, float]:
    """The notebook: model.fit on NumPy arrays with one-hot labels, float32. Same data split."""
    keras.utils.set_random_seed(config.seed)
    train_images, train_labels, val_images, val_labels = split_training_data(data, config)
    model = build_model(config)
    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(config.learning_rate),
        metrics=["accuracy"],
    )
    timer = EpochTimer()
    model.fit(
        to_model_input(train_images),
        keras.utils.to_categorical(train_labels, 10),
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=(to_model_input(val_images), keras.utils.to_categorical(val_labels, 10)),
        callbacks=[timer],
        verbose=0,
    )
    accuracy = evaluate(model, data.test_images, data.test_labels).accuracy
    return steady_epoch_seconds(timer.seconds), accuracy


def package_way(data, config: TrainConfig) -> tuple[float, float]:
    timer = PackageEpochTimer()
    result = train(config, data, callbacks=[timer])
    seconds = np.diff([0.0, *timer.ends]).tolist()
    return steady_epoch_seconds(seconds), evaluate(
        result.model, data.test_images, data.test_labels
    ).accuracy


class TimeToTarget(TrainingCallback):
    """Scores the test set after each epoch; the scoring time is not counted as training."""

    def __init__(self, data):
        self.data, self.scoring, self.reached_at, self.accuracies = data, 0.0, None, []

    def on_epoch_end(self, progress):
        training_seconds = progress.elapsed - self.scoring  # earlier scoring is inside elapsed
        start = time.perf_counter()
        accuracy = evaluate(self.model, self.data.test_images, self.data.test_labels).accuracy
        self.scoring += time.perf_counter() - start
        self.accuracies.append(accuracy)
        if self.reached_at is None and accuracy >= TARGET_ACCURACY:
            self.reached_at = training_seconds


def preset_row(name: str, config: TrainConfig, data) -> dict:
    callback = TimeToTarget(data)
    result = train(config, data, callbacks=[callback])
    final = evaluate(result.model, data.test_images, data.test_labels).accuracy
    return {
        "preset": name,
        "epochs": config.epochs,
        "seconds_to_99": None if callback.reached_at is None else round(callback.reached_at, 1),
        "train_seconds": round(result.train_seconds - callback.scoring, 1),
        "final_accuracy": final,
    }


def prediction_latency(model, image: np.ndarray, repeats: int) -> dict:
    predictor = Predictor(model)
    fast, slow = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict(image)
        fast.append(1000 * (time.perf_counter() - start))
    batch = image.reshape(1, 28, 28, 1)
    model.predict(batch, verbose=0)
    for _ in range(max(10, repeats // 10)):
        start = time.perf_counter()
        model.predict(batch, verbose=0)
        slow.append(1000 * (time.perf_counter() - start))
    return {
        "predictor_p50_ms": percentile(fast, 50),
        "predictor_p95_ms": percentile(fast, 95),
        "model_predict_p50_ms": percentile(slow, 50),
        "model_predict_p95_ms": percentile(slow, 95),
    }


def browser_figures(strokes: int, models_dir: str) -> dict:
    """Start-up and round trips in Chromium, idle and while the app trains a network."""
    from playwright.sync_api import sync_playwright

    from tools import browser

    env = {"MNIST_CNN_MODELS_DIR": models_dir}
    figures = {}
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        figures["startup_seconds"] = browser.measure_startup(chromium, env=env)
        with browser.start_app(env=env) as server:
            page = browser.new_page(chromium)
            browser.open_app(page, server.url)
            idle = browser.measure_round_trips(page, count=strokes)
            inside = browser.new_page(chromium)
            browser.open_app(inside, server.url + "/inside")
            inside_idle = browser.measure_inside_round_trips(inside, count=strokes)
            inside.context.close()
            trainer = browser.new_page(chromium)
            browser.open_app(trainer, server.url + "/train")
            with browser.wait_for_rerun(trainer):
                trainer.get_by_role("button", name="Start training").click()
            trainer.wait_for_selector("[data-testid='stProgress']", timeout=60_000)
            time.sleep(2)  # let the training child get going
            busy = browser.measure_round_trips(page, count=strokes, seed=1)
            stop = trainer.get_by_role("button", name="Stop training")
            if stop.count():  # still training: stop it (a short run may be over already)
                stop.first.click()
        chromium.close()
    for name, values in (("idle", idle), ("training", busy), ("inside", inside_idle)):
        figures[f"round_trip_{name}_p50_ms"] = percentile(values, 50)
        figures[f"round_trip_{name}_p95_ms"] = percentile(values, 95)
        figures[f"round_trip_{name}_strokes"] = len(values)
    return figures


# Keeps the first "… so far · about … left" the live part shows, as [seconds so far, seconds left].
FIRST_ESTIMATE_JS = """
() => {
  const seconds = (text) => text.split(':').reduce((total, part) => 60 * total + Number(part), 0);
  window.__firstEstimate = null;
  const timer = setInterval(() => {
    const live = document.querySelector('.st-key-live');
    const found = live && live.innerText.match(/([0-9:]+) so far · about ([0-9:]+) left/);
    if (found) {
      window.__firstEstimate = [seconds(found[1]), seconds(found[2])];
      clearInterval(timer);
    }
  }, 20);
}
"""


def finished_run(models_dir: str, before: set[str]):
    """The run made since `before` (folder names), once it is finished with its model saved."""
    from mnist_cnn.storage import ModelStore

    for record in ModelStore(models_dir).list()[1:]:  # not the shipped model
        if record.id not in before and record.status == "finished" and record.has_model:
            return record
    return None


def click_to_model(chromium, server_url: str, models_dir: str, preset: str = "quick") -> dict:
    """Open the Train page of a server no page was served by yet, choose `preset` and press
    Start at once; seconds until its model is saved and finished. (The first page served
    starts the trainer: here it has only the moments the page takes to open.)"""
    from tools import browser

    page = browser.new_page(chromium)
    # not timed: a fresh server's first page imports TensorFlow, slow on a busy machine
    browser.open_app(page, server_url + "/train", timeout=180_000)
    with browser.wait_for_rerun(page):
        page.locator(".st-key-preset").get_by_text(preset, exact=True).click()
    page.evaluate(FIRST_ESTIMATE_JS)
    before = set(os.listdir(models_dir)) if os.path.isdir(models_dir) else set()
    start = time.monotonic()
    page.locator(".st-key-start").get_by_role("button").click()
    while (record := finished_run(models_dir, before)) is None:
        if time.monotonic() - start > 600:
            raise BenchmarkError(f"The {preset} run did not finish within 10 minutes.")
        time.sleep(0.1)  # reading every run folder more often costs the training CPU time
    seconds = time.monotonic() - start
    first = page.evaluate("() => window.__firstEstimate")
    page.context.close()
    if first is None:
        raise BenchmarkError("The Train page never showed a time-left estimate.")
    so_far, left = first
    really_left = record.train_seconds - so_far
    return {
        "click_to_model_seconds": seconds,
        "train_seconds": record.train_seconds,
        "click_to_model_overhead_seconds": seconds - record.train_seconds,
        "first_estimate_left_seconds": left,
        "first_estimate_really_left_seconds": really_left,
        "first_estimate_error": (left - really_left) / really_left,
    }


def cli_train_seconds(preset: str) -> float:
    """`python -m mnist_cnn train --preset <preset>`'s own training time, in a new process."""
    import tempfile

    command = [sys.executable, "-m", "mnist_cnn", "train", "--preset", preset]
    with tempfile.TemporaryDirectory() as out_dir:
        done = subprocess.run(
            [*command, "--out", out_dir, "--json"], capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        raise BenchmarkError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])["train_seconds"]


def click_figures(models_dir: str) -> dict:
    from playwright.sync_api import sync_playwright

    from tools import browser

    cli_seconds = cli_train_seconds("quick")
    with sync_playwright() as playwright:
        chromium = browser.launch_chromium(playwright)
        with browser.start_app(env={"MNIST_CNN_MODELS_DIR": models_dir}) as server:
            figures = click_to_model(chromium, server.url, models_dir)
        chromium.close()
    figures["cli_train_seconds"] = cli_seconds
    figures["click_to_model_over_cli_seconds"] = figures["click_to_model_seconds"] - cli_seconds
    return figures


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    bf16 = "bfloat16 instructions" if cpu_has_fast_bfloat16() else "no bfloat16 instructions"
    return f"{cpu_name()}, {os.cpu_count()} cores, {bf16}, Python {platform.python_version()}, TensorFlow {__import__('tensorflow').__version__}"


def run(tiny: bool, skip_browser: bool, data_dir: str | None, click_only: bool = False) -> dict:
    if click_only:
        import tempfile

        with tempfile.TemporaryDirectory() as models_dir:
            return {"machine": machine(), "tiny": tiny, "click": click_figures(models_dir)}
    data = load_mnist(data_dir)
    results = {"machine": machine(), "tiny": tiny}
    base = TrainConfig()
    if tiny:
        base = base.replace(train_size=2000, validation_size=500, epochs=2)
    print("1/4 training speed: notebook way against the package's way…", file=sys.stderr)
    notebook_seconds, notebook_accuracy = notebook_way(data, base)
    package_seconds, package_accuracy = package_way(data, base)
    results["training"] = {
        "epochs": base.epochs,
        "notebook_epoch_seconds": notebook_seconds,
        "package_epoch_seconds": package_seconds,
        "speedup": notebook_seconds / package_seconds,
        "notebook_accuracy": notebook_accuracy,
        "package_accuracy": package_accuracy,
    }
    print(f"    {json.dumps(results['training'])}", file=sys.stderr)  # kept if a later part fails
    print("2/4 presets: time to 99.0% test accuracy…", file=sys.stderr)
    presets = {
        name: config.replace(train_size=2000, epochs=1) if tiny else config
        for name, config in PRESETS.items()
    }
    results["presets"] = [preset_row(name, config, data) for name, config in presets.items()]
    print(f"    {json.dumps(results['presets'])}", file=sys.stderr)
    print("3/4 single-image prediction latency…", file=sys.stderr)
    model = load_model_file(ASSETS_DIR / "model.keras")
    results["prediction"] = prediction_latency(
        model, data.test_images[0] / 255.0, 30 if tiny else 500
    )
    if not skip_browser:
        print("4/4 the app in Chromium: start-up and round trips…", file=sys.stderr)
        import tempfile

        with tempfile.TemporaryDirectory() as models_dir:
            results["browser"] = browser_figures(3 if tiny else 20, models_dir)
        print("5/5 Train page: click on Start to a finished quick model…", file=sys.stderr)
        with tempfile.TemporaryDirectory() as models_dir:
            results["click"] = click_figures(models_dir)
    return results


def click_lines(click: dict) -> list[str]:
    return [
        f"| Train page: click on Start to a finished `quick` model / its training time | "
        f"{click['click_to_model_seconds']:.1f} s / {click['train_seconds']:.1f} s "
        f"(+{click['click_to_model_overhead_seconds']:.1f} s) |",
        f"| the same preset's training time with the CLI (`train --preset quick`), just before / "
        f"click to model over it | {click['cli_train_seconds']:.1f} s / "
        f"{click['click_to_model_over_cli_seconds']:+.1f} s |",
        f"| Train page: first time-left estimate / time really left | "
        f"{click['first_estimate_left_seconds']:.0f} s / {click['first_estimate_really_left_seconds']:.1f} s "
        f"({100 * click['first_estimate_error']:+.0f}%) |",
    ]


def as_table(results: dict) -> str:
    lines = [
        f"Machine: {results['machine']}"
        + (" (tiny mode: not representative)" if results["tiny"] else ""),
        "",
        "| measurement | value |",
        "| --- | --- |",
    ]
    if "training" not in results:  # --click-only
        return "\n".join(lines + click_lines(results["click"]))
    training = results["training"]
    lines += [
        f"| notebook way (model.fit on NumPy, float32), s/epoch | {training['notebook_epoch_seconds']:.2f} |",
        f"| package's training path, s/epoch | {training['package_epoch_seconds']:.2f} |",
        f"| speed-up | {training['speedup']:.2f}x |",
        f"| test accuracy after {training['epochs']} epochs: notebook / package | "
        f"{100 * training['notebook_accuracy']:.2f}% / {100 * training['package_accuracy']:.2f}% |",
    ]
    for row in results["presets"]:
        reached = (
            f"{row['seconds_to_99']:.1f} s" if row["seconds_to_99"] is not None else "not reached"
        )
        lines.append(
            f"| preset `{row['preset']}`: time to 99.0% / final accuracy ({row['epochs']} epochs, {row['train_seconds']:.0f} s) | "
            f"{reached} / {100 * row['final_accuracy']:.2f}% |"
        )
    prediction = results["prediction"]
    lines += [
        f"| one prediction, Predictor: p50 / p95 | {prediction['predictor_p50_ms']:.2f} / {prediction['predictor_p95_ms']:.2f} ms |",
        f"| one prediction, model.predict: p50 / p95 | {prediction['model_predict_p50_ms']:.1f} / {prediction['model_predict_p95_ms']:.1f} ms |",
    ]
    if "browser" in results:
        browser = results["browser"]
        lines += [
            f"| app start-up to the Draw page ready | {browser['startup_seconds']:.1f} s |",
            f"| mouse-up to prediction, idle: p50 / p95 ({browser['round_trip_idle_strokes']} strokes) | "
            f"{browser['round_trip_idle_p50_ms']:.0f} / {browser['round_trip_idle_p95_ms']:.0f} ms |",
            f"| mouse-up to prediction while training: p50 / p95 ({browser['round_trip_training_strokes']} strokes) | "
            f"{browser['round_trip_training_p50_ms']:.0f} / {browser['round_trip_training_p95_ms']:.0f} ms |",
            f"| Inside the CNN, mouse-up to layer views and saliency map shown, idle: p50 / p95 ({browser['round_trip_inside_strokes']} strokes) | "
            f"{browser['round_trip_inside_p50_ms']:.0f} / {browser['round_trip_inside_p95_ms']:.0f} ms |",
        ]
    if "click" in results:
        lines += click_lines(results["click"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--tiny", action="store_true", help="small sizes, to check it works (about a minute)"
    )
    parser.add_argument(
        "--skip-browser", action="store_true", help="leave out the Chromium measurements"
    )
    parser.add_argument(
        "--data-dir", help="folder with the four MNIST .gz files (or MNIST_DATA_DIR)"
    )
    parser.add_argument(
        "--click-only",
        action="store_true",
        help="only part 5: click on Start to a finished quick model, and the first estimate",
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    results = run(args.tiny, args.skip_browser, args.data_dir, args.click_only)
    print(json.dumps(results) if args.json else as_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
