"""Train page: change the network's hyperparameters, train it in the background, watch it learn."""

from __future__ import annotations

import datetime
import uuid

import pandas as pd
import streamlit as st

from mnist_cnn.classdata import HELD_OUT_EVERY, ClassDigits
from mnist_cnn.config import OPTIMIZERS, PRESETS, TrainConfig
from mnist_cnn.data import find_mnist_dir
from mnist_cnn.jobs import FINAL, JobManager
from mnist_cnn.model import build_model, describe_model
from mnist_cnn.storage import SHIPPED_ID, ModelFileError, default_models_dir
from mnist_cnn.ui.common import get_store, sidebar

# What each setting means, for a student. Grouped as on the page.
GROUPS = {
    "Architecture": {
        "conv1_filters": "How many different patterns (edges, curves) the first convolution looks for.",
        "conv2_filters": "How many patterns the second convolution builds out of the first ones.",
        "kernel_size": "How many pixels wide each pattern detector is (5 means 5×5 pixels).",
        "pool_size": "Max pooling keeps the strongest response in each square this wide, shrinking the map.",
        "conv_dropout": "Fraction of convolution features switched off at random while training, against overfitting.",
        "dense_units": "Neurons in the hidden layer that combines all features before the final answer.",
        "dense_dropout": "Fraction of hidden neurons switched off at random while training.",
    },
    "Optimisation": {
        "optimizer": "The rule that nudges the weights after each batch. Adam is a good default.",
        "learning_rate": "How big each nudge is. Too big: it jumps around; too small: it learns slowly.",
        "lr_decay": "Shrink the learning rate smoothly to zero by the end: steadier final steps.",
        "batch_size": "Images looked at before each nudge of the weights.",
        "epochs": "How many times the network sees every training image.",
        "seed": "Starting point of all randomness: the same seed gives the same network again.",
    },
    "Data": {
        "train_size": "Training images used. Fewer train faster but read worse.",
        "validation_size": "Images kept aside to check, after each epoch, how well it reads unseen digits.",
        "augment": "Randomly shift, turn, zoom and re-ink the training images, so it copes with real handwriting.",
        "augment_shift": "Largest shift, as a fraction of the image width.",
        "augment_rotation": "Largest rotation, in degrees.",
        "augment_scale": "Largest zoom in or out, as a fraction.",
        "augment_thickness": "How much strokes are made thicker or thinner (0 = never).",
        "real_digits": "Also learn from digits real people wrote with a pen, drawn like on the canvas (needs MNIST_CNN_HANDWRITING_DIR on the server).",
        "not_a_digit": "Add an 11th answer, 'not a digit', learned from drawn letters, stars, scribbles and dots.",
    },
}
# Number inputs: (smallest, largest, step). Anything else is a checkbox or the optimizer menu.
RANGES = {
    "conv1_filters": (1, 256, 1),
    "conv2_filters": (1, 256, 1),
    "kernel_size": (1, 13, 1),
    "pool_size": (1, 4, 1),
    "conv_dropout": (0.0, 0.95, 0.05),
    "dense_units": (1, 2048, 1),
    "dense_dropout": (0.0, 0.95, 0.05),
    "learning_rate": (0.00001, 0.5, 0.0005),
    "batch_size": (1, 4096, 1),
    "epochs": (1, 200, 1),
    "seed": (0, 2**31 - 1, 1),
    "train_size": (100, 60_000, 500),
    "validation_size": (0, 20_000, 500),
    "augment_shift": (0.0, 0.45, 0.05),
    "augment_rotation": (0.0, 85.0, 5.0),
    "augment_scale": (0.0, 0.45, 0.05),
    "augment_thickness": (0.0, 0.95, 0.1),
}
FINISHED_LOOK = {
    "finished": "✅",
    "stopped": "⏹️",
    "failed": "❌",
    "interrupted": "⚠️",
    "running": "⏳",
    "queued": "🕒",
}


@st.cache_resource
def _jobs(models_dir: str) -> JobManager:
    return JobManager(get_store())


def get_jobs() -> JobManager:
    """The server's one job manager: one training at a time, shared by every browser."""
    return _jobs(str(default_models_dir()))


def owner() -> str:
    """Who this browser session is, to tell its own queued runs from others'."""
    return st.session_state.setdefault("owner", uuid.uuid4().hex)


def hyperparameter_inputs(start: TrainConfig, preset: str) -> dict:
    """One input per TrainConfig field, grouped; returns the values entered."""
    values = {}
    for column, (group, fields) in zip(st.columns(len(GROUPS)), GROUPS.items(), strict=True):
        with column:
            st.subheader(group)
            for name, help_text in fields.items():
                label = name.replace("_", " ").capitalize()
                key = f"{name}-{preset}"  # a new preset starts from its own values
                default = getattr(start, name)
                if name == "optimizer":
                    values[name] = st.selectbox(
                        label, OPTIMIZERS, OPTIMIZERS.index(default), key=key, help=help_text
                    )
                elif isinstance(default, bool):
                    values[name] = st.checkbox(label, default, key=key, help=help_text)
                else:
                    low, high, step = RANGES[name]
                    number_format = "%.5f" if name == "learning_rate" else None
                    values[name] = st.number_input(
                        label,
                        low,
                        high,
                        default,
                        step,
                        key=key,
                        help=help_text,
                        format=number_format,
                    )
    return values


def class_digits_option() -> int | None:
    """How many times to repeat each of the class's own drawings in training; None: not at all."""
    entries = ClassDigits().entries()
    trainable = sum(not entry.held_out for entry in entries)
    use = st.checkbox(
        "Add the class's own drawings",
        key="use-class-digits",
        disabled=not trainable,
        help="Drawings saved on the Draw page join the training images, so the network learns "
        f"your class's handwriting. Every {HELD_OUT_EVERY}th drawing is held out (never trained "
        "on) to measure that on the Class digits page.",
    )
    if not trainable:
        st.caption("No class drawings to add yet: save some on the Draw page.")
        return None
    repeat = st.number_input(
        "Repeat each drawing",
        1,
        100,
        10,
        key="class-repeat",
        disabled=not use,
        help="A few drawings among thousands of MNIST images count for little: repeat them.",
    )
    st.caption(
        f"Adds {trainable} drawings × {repeat} = {trainable * repeat:,} training images; "
        f"{len(entries) - trainable} held-out drawings are never trained on."
    )
    return repeat if use else None


@st.cache_data(max_entries=32)
def architecture_table(config_values: tuple) -> pd.DataFrame:
    model = build_model(TrainConfig(**dict(config_values)))
    rows = [
        {
            "layer": row.name,
            "type": row.kind,
            "output shape": " × ".join(map(str, row.output_shape)),
            "parameters": row.parameters,
        }
        for row in describe_model(model)
    ]
    return pd.DataFrame(rows)


# Training curve as a line, validation (one value per epoch) as a line with dots.
CURVES_SPEC = {
    "height": 240,
    "encoding": {
        "x": {"field": "step", "type": "quantitative", "title": "batch"},
        "y": {"field": "value", "type": "quantitative", "title": None},
        "color": {"field": "series", "type": "nominal", "title": None},
    },
    "layer": [
        {"mark": "line", "transform": [{"filter": "datum.series == 'training'"}]},
        {
            "mark": {"type": "line", "point": True},
            "transform": [{"filter": "datum.series == 'validation'"}],
        },
    ],
}


def progress_charts(job) -> None:
    """Training loss and accuracy per batch, validation per epoch, on one step axis each."""
    rows = [
        {"step": step, "value": value, "series": "training", "metric": metric}
        for step, loss, accuracy in job.batch_history
        for metric, value in (("loss", loss), ("accuracy", accuracy))
    ]
    per_epoch = job.progress.batches_per_epoch
    for epoch in job.epoch_history:
        if epoch["val_loss"] is not None:
            step = epoch["epoch"] * per_epoch
            rows.append(
                {"step": step, "value": epoch["val_loss"], "series": "validation", "metric": "loss"}
            )
            rows.append(
                {
                    "step": step,
                    "value": epoch["val_accuracy"],
                    "series": "validation",
                    "metric": "accuracy",
                }
            )
    table = pd.DataFrame(rows, columns=["step", "value", "series", "metric"])
    if table.empty:  # the first batches of a long run are not all kept
        return
    for column, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        with column:
            st.markdown(f"**{metric.capitalize()}**")
            # A Vega-Lite spec written out: st.line_chart builds it with Altair, which costs
            # ~90 ms of server time per chart, every second, for every student watching.
            st.vega_lite_chart(table[table.metric == metric], CURVES_SPEC, width="stretch")


def seconds_text(seconds: float | None) -> str:
    return "—" if seconds is None else str(datetime.timedelta(seconds=round(seconds)))


def show_last_run() -> None:
    """The latest run of this server, with its curves, once nothing trains or waits.

    Drawn with the page, not in the live part: that one reruns every second, and redrawing
    finished charts every second for every student would be wasted server time. The live part
    reruns the whole page when a run ends.
    """
    jobs = get_jobs()
    if jobs.current() is not None or jobs.queued():
        return
    ended = (done for done in jobs.jobs() if done.status in FINAL and done.status != "cancelled")
    job = next(ended, None)
    if job is None:
        return
    accuracy = (
        f", {100 * job.test_accuracy:.2f}% test accuracy" if job.test_accuracy is not None else ""
    )
    with st.container(key="last-run"):
        st.markdown(f"**Last run: “{job.name}”**: {job.status}{accuracy}.")
        if job.error:
            st.error(f"The run failed: {job.error}" if job.status == "failed" else job.error)
        if job.progress is not None:
            progress_charts(job)


@st.fragment(run_every=1.0)
def live_progress() -> None:
    """Refreshed every second: the running job, the queue, and this browser's queued runs.

    Keep it cheap: every open Train page reruns it every second.
    """
    jobs = get_jobs()
    job, queued = jobs.current(), jobs.queued()
    with st.container(key="live"):
        if job is None and queued:  # the worker is about to take the first one
            st.info("Starting the next run in the queue…")
        elif job is None:
            st.info("No training is running. Choose settings above and press **Start training**.")
        else:
            st.markdown(f"### Training “{job.name}”")
            progress = job.progress
            if progress is None:
                st.progress(0.0, text="Starting: loading TensorFlow and MNIST…")
            else:
                st.progress(
                    progress.fraction,
                    text=f"Epoch {progress.epoch} of {progress.epochs} · batch {progress.batch} of "
                    f"{progress.batches_per_epoch} · {seconds_text(progress.elapsed)} elapsed · "
                    f"about {seconds_text(progress.eta)} left",
                )
                progress_charts(job)
            if st.button(
                "Stop training",
                key="stop",
                help="Stops within one batch; what it learned so far is kept.",
            ):
                jobs.stop(job.id)
        for waiting in queued:
            mine = waiting.owner == owner()
            st.markdown(
                f"🕒 Queued, place {waiting.queue_position}: **{waiting.name}**{' (yours)' if mine else ''}"
            )
            if mine and st.button("Cancel", key=f"cancel-{waiting.id}"):
                jobs.cancel(waiting.id)
                st.rerun()
    # when a run ends, redraw the whole page so the runs list shows it
    running = (job.id, job.status) if job else None  # a new run, or one now really training
    if st.session_state.get("running", running) != running:
        st.session_state["running"] = running
        st.rerun(scope="app")
    st.session_state["running"] = running


def runs_list() -> None:
    store = get_store()
    records = store.list()
    active_id = store.active_id()
    table = pd.DataFrame(
        [
            {
                "": "⭐" if record.id == active_id else "",
                "name": record.name,
                "status": f"{FINISHED_LOOK.get(record.status, '')} {record.status}",
                "when": record.created_at.replace("T", " ")[:16],
                "test accuracy": record.test_accuracy,
                "parameters": record.parameters,
                "training time": seconds_text(record.train_seconds),
                "epochs": record.config.get("epochs"),
                "filters": f"{record.config.get('conv1_filters')}/{record.config.get('conv2_filters')}",
                "kernel": record.config.get("kernel_size"),
                "augment": record.config.get("augment"),
                "problem": record.error or "",
            }
            for record in records
        ]
    )
    with st.container(key="runs"):
        st.dataframe(
            table,
            hide_index=True,
            column_config={"test accuracy": st.column_config.NumberColumn(format="percent")},
        )
    labels = {record.id: f"{record.name} ({record.status})" for record in records}
    chosen_id = st.selectbox(
        "Choose a model", list(labels), format_func=labels.get, key="chosen-run"
    )
    record = next(record for record in records if record.id == chosen_id)
    activate, download, rename, delete = st.columns(4)
    with activate:
        if st.button(
            "Use this model",
            disabled=not record.has_model or record.id == active_id,
            key="activate",
        ):
            store.set_active(record.id)
            st.rerun()
    with download:
        if record.has_model:
            st.download_button(
                "Download .keras",
                record.model_path.read_bytes(),
                file_name=f"{record.name.replace(' ', '_')}.keras",
                key="download",
            )
    with rename:
        new_name = st.text_input(
            "New name", record.name, key=f"rename-{record.id}", disabled=record.read_only
        )
        if st.button("Rename", disabled=record.read_only, key="rename"):
            try:
                store.rename(record.id, new_name)
                st.rerun()
            except ValueError as error:
                st.error(str(error))
    with delete:
        sure = st.checkbox("I am sure", key=f"sure-{record.id}", disabled=record.read_only)
        if st.button("Delete", disabled=record.read_only or not sure, key="delete"):
            try:
                store.delete(record.id)
                st.rerun()
            except ModelFileError as error:
                st.error(str(error))
    if record.id == SHIPPED_ID:
        st.caption("The shipped model cannot be renamed or deleted.")


sidebar()
st.title("Train a network")
if find_mnist_dir() is None:
    st.warning(
        "No local MNIST files found: training will try Keras's download (needs internet). "
        "To use files you have, start the app with `MNIST_DATA_DIR=folder-with-the-four-gz-files`."
    )


def name_after_preset() -> None:
    st.session_state["run-name"] = f"{st.session_state['preset'] or 'seed'} preset"


preset = st.segmented_control(
    "Start from a preset", list(PRESETS), default="seed", key="preset", on_change=name_after_preset,
    help="seed: the classroom notebook · quick: 99% in seconds · accurate: best, takes minutes",
) or "seed"  # fmt: skip
values = hyperparameter_inputs(PRESETS[preset], preset)
class_repeat = class_digits_option()
try:
    config = TrainConfig(**values)
except ValueError as error:
    config = None
    st.error(f"These settings cannot work: {error}")
if config is not None:
    with st.expander("The network these settings build", expanded=True):
        table = architecture_table(tuple(config.to_dict().items()))
        st.dataframe(table, hide_index=True)
        st.caption(f"{table.parameters.sum():,} parameters to learn.")
name = st.text_input("Name for this run", f"{preset} preset", max_chars=60, key="run-name")
if st.button("Start training", type="primary", disabled=config is None, key="start"):
    try:
        extras = ClassDigits().training_arrays(class_repeat) if class_repeat else (None, None)
        jobs = get_jobs()
        busy = jobs.current() is not None or jobs.queued()
        job = jobs.submit(config, name, owner(), *extras)
        if busy:
            st.toast(f"Another run is training; yours is queued (place {job.queue_position}).")
    except (ValueError, OSError) as error:  # bad settings, a full disk, a read-only models folder
        st.error(f"Could not start training: {error}")
live_progress()
show_last_run()
st.header("Runs and models")
runs_list()
