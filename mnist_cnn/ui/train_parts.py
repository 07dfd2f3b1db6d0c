"""The Train page's pure parts, which need no Streamlit (tests/test_train_parts.py imports them
without it): the curves' table and Vega-Lite spec, the runs table, and where the settings came
from."""

from __future__ import annotations

import datetime

import pandas as pd

from mnist_cnn.config import PRESETS, SETTINGS
from mnist_cnn.jobs.base import Job
from mnist_cnn.storage import ModelRecord

SERIES = ["training (smoothed)", "validation"]
COLOURS = ["#1f77b4", "#ff7f0e"]  # Vega's blue and orange: apart in light and in dark themes
LEGEND = {"orient": "bottom", "symbolType": "stroke", "symbolStrokeWidth": 2}
# The settings the runs table shows, each under its label from config.SETTINGS.
RUNS_TABLE_SETTINGS = ("epochs", "conv1_filters", "conv2_filters", "kernel_size", "augment")


def changed_settings(values: dict, preset: str) -> list[str]:
    """The settings whose values differ from the preset's."""
    return [name for name, value in values.items() if value != getattr(PRESETS[preset], name)]


def settings_summary(preset: str, changed: list[str]) -> str:
    """Where the settings came from, e.g. "quick, changed (epochs)"."""
    if not changed:
        return f"{preset}, as the preset"
    return f"{preset}, changed ({', '.join(changed)})"


def curves_spec(metric: str, low: float | None) -> dict:
    """A Vega-Lite spec: training as a solid line, validation (once per epoch) dashed with dots,
    a legend, and a y axis on the interesting range (log scale for loss, accuracy from `low`)."""
    if metric == "loss":
        scale, title = {"type": "log"}, "loss (log scale)"
    else:
        scale, title = {"domain": [low, 1], "zero": False}, "accuracy"
    return {
        "height": 240,
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": "batches trained (steps)"},
            "y": {"field": "value", "type": "quantitative", "title": title, "scale": scale},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": SERIES, "range": COLOURS},
                "legend": LEGEND,
            },
            "strokeDash": {  # the same legend: Vega-Lite merges the two, dashed lines in colour
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": SERIES, "range": [[1, 0], [6, 4]]},
                "legend": LEGEND,
            },
        },
        "layer": [
            {
                "mark": {"type": "line", "clip": True},
                "transform": [{"filter": f"datum.series == '{SERIES[0]}'"}],
            },
            {
                "mark": {"type": "line", "point": True, "clip": True},
                "transform": [{"filter": f"datum.series == '{SERIES[1]}'"}],
            },
        ],
    }


def curves_table(job: Job) -> pd.DataFrame:
    """step, value, series, metric: smoothed training per batch, validation per epoch."""
    rows = [
        {"step": step, "value": value, "series": SERIES[0], "metric": metric}
        for step, loss, accuracy in job.batch_history
        for metric, value in (("loss", loss), ("accuracy", accuracy))
    ]
    per_epoch = job.progress.batches_per_epoch
    for epoch in job.epoch_history:
        if epoch["val_loss"] is not None:
            for metric in ("loss", "accuracy"):
                value = epoch[f"val_{metric}"]
                step = epoch["epoch"] * per_epoch
                rows.append({"step": step, "value": value, "series": SERIES[1], "metric": metric})
    return pd.DataFrame(rows, columns=["step", "value", "series", "metric"])


def accuracy_floor(table: pd.DataFrame) -> float:
    """Where the accuracy axis starts: just below the lowest accuracy after the first tenth of
    the batches (the first batches guess, and would squash the rest against the top)."""
    accuracy = table[table.metric == "accuracy"]
    later = accuracy[accuracy.step > accuracy.step.max() / 10]
    values = later.value if len(later) else accuracy.value
    return max(0.0, round(float(values.min()) - 0.02, 2))


def seconds_text(seconds: float | None) -> str:
    return "—" if seconds is None else str(datetime.timedelta(seconds=round(seconds)))


def runs_table(records: list[ModelRecord], active_id: str) -> pd.DataFrame:
    """One row per run: whether it is active, its name, status, scores and main settings."""

    def settings(record: ModelRecord) -> dict:
        return {
            f"{SETTINGS[name].label} ({name})": getattr(record.config, name)
            if record.config
            else None
            for name in RUNS_TABLE_SETTINGS
        }

    return pd.DataFrame(
        [
            {
                "in use": "★" if record.id == active_id else "",
                "name": record.name,
                "status": f"{record.status.symbol} {record.status}",
                "when": record.created_at.replace("T", " ")[:16],
                "test accuracy": record.test_accuracy,
                "weights (parameters)": record.parameters,
                "training time": seconds_text(record.train_seconds),
                **settings(record),
                "problem": record.error or "",
            }
            for record in records
        ]
    )
