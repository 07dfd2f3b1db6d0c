"""The Train page's parts: the run going on now (for everyone, at the top), Start, the settings
with their preset, and the runs list. The page script, mnist_cnn/ui/pages/train.py, only calls
`page()`; tests import the rest.

Who may do what (stop someone else's run, rename, delete, switch the class's model) is decided
by mnist_cnn.permissions through `classroom()`, never by which buttons the page shows.
"""

from __future__ import annotations

import datetime

import pandas as pd
import streamlit as st

from mnist_cnn.classdata import HELD_OUT_EVERY, ClassDigits
from mnist_cnn.config import FIELD_TYPES, GROUPS, PRESETS, SETTINGS, SettingError, TrainConfig
from mnist_cnn.data import find_mnist_dir
from mnist_cnn.handwriting import ENVIRONMENT_VARIABLE, HandwritingMissing, handwriting_dir
from mnist_cnn.jobs import FINAL, Job
from mnist_cnn.model import build_model, describe_model
from mnist_cnn.permissions import NotAllowed
from mnist_cnn.status import Status
from mnist_cnn.storage import SHIPPED_ID, ModelRecord
from mnist_cnn.ui.classroom import (
    can_switch_for_everyone,
    classroom,
    get_jobs,
    is_teacher,
    model_for_me,
    owner,
    teacher_key,
    use_model,
)
from mnist_cnn.ui.models import get_store, sidebar
from mnist_cnn.ui.names import file_name, plain

LOADED = "preset-loaded"  # session state: the preset the settings came from
AUTO_NAME = "run-name-auto"  # session state: the name the page gave the run (until one is typed)
TOAST = "train-toast"  # session state: a message to show once the page is drawn again
START_ERROR = "start-error"  # session state: why Start could not start a run
DRAWING_PAGE = "drawing-train-page"  # session state: True while the whole page is drawn


def setting_key(name: str) -> str:
    return f"setting-{name}"


# --- presets and settings --------------------------------------------------------------------


def load_preset() -> None:
    """The preset buttons' callback: fill every setting from the chosen preset.

    Clicking the selected preset again would unselect it; it stays selected and nothing changes
    (to go back to a preset's values there is the "Undo my changes" button).
    """
    chosen = st.session_state["preset"]
    if chosen is None:
        st.session_state["preset"] = st.session_state[LOADED]
        return
    fill_settings(chosen)


def fill_settings(preset: str) -> None:
    for name in SETTINGS:
        st.session_state[setting_key(name)] = getattr(PRESETS[preset], name)
    st.session_state[LOADED] = preset


def changed_settings(values: dict, preset: str) -> list[str]:
    """The settings whose values differ from the preset's."""
    return [name for name, value in values.items() if value != getattr(PRESETS[preset], name)]


def settings_summary(preset: str, changed: list[str]) -> str:
    """Where the settings came from, e.g. "quick, changed (epochs)"."""
    if not changed:
        return f"{preset}, as the preset"
    return f"{preset}, changed ({', '.join(changed)})"


def hyperparameter_inputs() -> tuple[dict, dict]:
    """One input per TrainConfig field, grouped as mnist_cnn.config.SETTINGS says. Returns the
    values entered, and an empty slot under each input for a message about it."""
    values, slots = {}, {}
    for column, group in zip(st.columns(len(GROUPS)), GROUPS, strict=True):
        with column:
            st.subheader(group)
            for name, described in SETTINGS.items():
                if described.group != group:
                    continue
                label, key = f"{described.label} ({name})", setting_key(name)
                kind = FIELD_TYPES[name]
                if described.choices:
                    values[name] = st.selectbox(
                        label, described.choices, key=key, help=described.help
                    )
                elif kind is bool:
                    values[name] = st.checkbox(label, key=key, help=described.help)
                else:
                    values[name] = st.number_input(
                        label,
                        kind(described.low),
                        kind(described.high),
                        step=kind(described.step),
                        key=key,
                        help=described.help,
                        format="%.5f" if name == "learning_rate" else None,
                    )
                slots[name] = st.empty()
    return values, slots


def checked_config(values: dict, slots: dict) -> TrainConfig | None:
    """The settings as a TrainConfig; None, with the reason under the field it is about, if they
    cannot work."""
    try:
        config = TrainConfig(**values)
        if config.real_digits:
            handwriting_dir()  # this server must have the pen-written digits
        return config
    except SettingError as error:
        described = SETTINGS[error.name]
        slots[error.name].error(f"⚠️ {described.label} ({error.name}): {error}")
    except HandwritingMissing:
        slots["real_digits"].error(
            "⚠️ This server has no pen-written digits to learn from: untick this setting, or "
            f"start the app with {ENVIRONMENT_VARIABLE}=the folder holding them (see the README)."
        )
    except ValueError as error:  # not about one field
        st.error(f"These settings cannot work: {error}")
    return None


def class_digits_option() -> None:
    """Whether to add the class's own drawings to the training images, and how many times each
    (start_clicked reads both from the session state)."""
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
        return
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


# --- the curves ------------------------------------------------------------------------------

SERIES = ["training (smoothed)", "validation"]
COLOURS = ["#1f77b4", "#ff7f0e"]  # Vega's blue and orange: apart in light and in dark themes
LEGEND = {"orient": "bottom", "symbolType": "stroke", "symbolStrokeWidth": 2}


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


def progress_charts(job: Job) -> None:
    """Loss and accuracy, training and validation, on one step axis each."""
    table = curves_table(job)
    if table.empty:  # the first batches of a long run are not all kept
        return
    low = accuracy_floor(table)
    for column, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        with column:
            st.markdown(f"**{metric.capitalize()}**")
            # A Vega-Lite spec written out: st.line_chart builds it with Altair, which costs
            # ~90 ms of server time per chart, every second, for every student watching.
            st.vega_lite_chart(
                table[table.metric == metric], curves_spec(metric, low), width="stretch"
            )


def seconds_text(seconds: float | None) -> str:
    return "—" if seconds is None else str(datetime.timedelta(seconds=round(seconds)))


# --- the run going on now --------------------------------------------------------------------


def whose(job: Job) -> str:
    return " (yours)" if job.owner == owner() else ""


def stop_button(job: Job) -> None:
    allowed = classroom().may_stop(job.id, owner(), teacher_key())
    clicked = st.button(
        "Stop training",
        key=f"stop-{job.id}",
        disabled=not allowed,
        help="Stops within one batch; what it learned so far is kept."
        if allowed
        else "Only the teacher, or whoever started this run, can stop it.",
    )
    if not allowed:
        st.caption("Only the teacher, or whoever started this run, can stop it.")
    if clicked:
        try:
            classroom().stop(job.id, owner(), teacher_key())
        except NotAllowed as error:  # the button was disabled: a changed page
            st.error(str(error))


def queue_lines(queued: list[Job]) -> None:
    for waiting in queued:
        st.markdown(
            f"🕒 Queued, place {waiting.queue_position}: **{plain(waiting.name)}**{whose(waiting)}"
        )
        # one's own runs; and anyone's for the teacher, when there is one
        may_cancel = waiting.owner == owner() or (classroom().has_teacher and is_teacher())
        if may_cancel and st.button("Cancel", key=f"cancel-{waiting.id}"):
            try:
                classroom().stop(waiting.id, owner(), teacher_key())
                st.rerun()
            except NotAllowed as error:
                st.error(str(error))


def running_job(job: Job) -> None:
    """One run that trains now: its progress, time left, Stop and curves."""
    st.markdown(f"### Training “{plain(job.name)}”{whose(job)}")
    progress = job.progress
    if progress is None:
        st.progress(0.0, text="Starting…")
    else:
        st.progress(
            progress.fraction,
            text=f"Round (epoch) {progress.epoch} of {progress.epochs} · step (batch) "
            f"{progress.batch} of {progress.batches_per_epoch} · "
            f"{seconds_text(progress.elapsed)} so far · "
            f"about {seconds_text(progress.eta)} left",
        )
    stop_button(job)
    if progress is not None:
        progress_charts(job)


@st.fragment(run_every=1.0)
def live_progress() -> None:
    """Refreshed every second: the runs training now (one on this machine; one per worker on a
    cluster), the queue, and this browser's queued runs.

    Keep it cheap: every open Train page reruns it every second.
    """
    jobs = get_jobs()
    running, queued = jobs.running(), jobs.queued()
    with st.container(key="live"):
        if not running and queued:  # the worker is about to take the first one
            st.info("Starting the next run in the queue…")
        elif not running:
            st.info("No training is running. Press **Start training** above to start one.")
        for job in running:
            with st.container(key=f"running-{job.id}"):
                running_job(job)
        queue_lines(queued)
    # When a run starts, really trains or ends, or the queue changes, redraw the whole page so
    # that the runs list says so too (unless the whole page is being drawn already).
    now = tuple((job.id, job.status) for job in running), tuple(job.id for job in queued)
    changed = st.session_state.get("live-state", now) != now
    st.session_state["live-state"] = now
    if changed and not st.session_state.get(DRAWING_PAGE):
        st.rerun(scope="app")


def show_last_run() -> None:
    """The latest run of this server, with its curves, once nothing trains or waits.

    Drawn with the page, not in the live part: that one reruns every second, and redrawing
    finished charts every second for every student would be wasted server time. The live part
    reruns the whole page when a run ends.
    """
    jobs = get_jobs()
    if jobs.running() or jobs.queued():
        return
    ended = (
        done for done in jobs.jobs() if done.status in FINAL and done.status != Status.CANCELLED
    )
    job = next(ended, None)
    if job is None:
        return
    accuracy = (
        f", {100 * job.test_accuracy:.2f}% test accuracy" if job.test_accuracy is not None else ""
    )
    with st.container(key="last-run"):
        st.markdown(f"**Last run: “{plain(job.name)}”**: {job.status}{accuracy}.")
        if job.error:
            st.error(f"The run failed: {job.error}" if job.status == Status.FAILED else job.error)
        if job.progress is not None:
            progress_charts(job)


# --- Start -----------------------------------------------------------------------------------


def start_row(config: TrainConfig | None, changed: list[str]) -> None:
    """Preset, run name and Start, with where the settings came from."""
    preset = st.session_state[LOADED]
    auto_name = f"{preset} preset" + (", changed" if changed else "")
    if st.session_state.get("run-name") in (None, st.session_state.get(AUTO_NAME)):
        st.session_state["run-name"] = auto_name  # not typed by hand: follows the settings
    st.session_state[AUTO_NAME] = auto_name
    choose, name_column, start = st.columns([3, 3, 2], vertical_alignment="bottom")
    with choose:
        st.segmented_control(
            "Start from a preset",
            list(PRESETS),
            key="preset",
            on_change=load_preset,
            help="seed: the classroom notebook · quick: 99% in seconds · accurate: best, takes "
            "minutes. Choosing one fills in every setting below.",
        )
    with name_column:
        st.text_input("Name for this run", max_chars=60, key="run-name")
    with start:
        st.button(
            "Start training",
            type="primary",
            disabled=config is None,
            key="start",
            width="stretch",
            on_click=start_clicked,
        )
    with st.container(key="settings-source"):
        st.caption(f"Settings: {settings_summary(preset, changed)} · change them under Settings.")
        if changed:
            st.button(f"Undo my changes (back to {preset})", key="undo-changes",
                      on_click=fill_settings, args=(preset,))  # fmt: skip
    if config is None:
        st.error("A setting below cannot work: see the message under it in Settings.")
    if START_ERROR in st.session_state:
        st.error(st.session_state.pop(START_ERROR))


def start_clicked() -> None:
    """Start's callback. It runs before the page is drawn again, so the run starts at once; it
    reads the settings as they are now (the page refuses Start while one cannot work)."""
    values = {name: st.session_state[setting_key(name)] for name in SETTINGS}
    repeat = st.session_state.get("class-repeat", 10)
    try:
        config = TrainConfig(**values)
        use_drawings = st.session_state.get("use-class-digits", False)
        extras = ClassDigits().training_arrays(repeat) if use_drawings else (None, None)
        jobs = get_jobs()
        busy = bool(jobs.running() or jobs.queued())
        job = jobs.submit(config, st.session_state.get("run-name", ""), owner(), *extras)
    except (ValueError, OSError) as error:  # a bad name, a full disk, a read-only models folder
        st.session_state[START_ERROR] = f"Could not start training: {error}"
        return
    if busy:
        st.session_state[TOAST] = (
            f"Another run is training; yours is queued (place {job.queue_position})."
        )


# --- the runs list ---------------------------------------------------------------------------


# The settings the runs table shows, each under its label from config.SETTINGS.
RUNS_TABLE_SETTINGS = ("epochs", "conv1_filters", "conv2_filters", "kernel_size", "augment")


def runs_table(records: list[ModelRecord], active_id: str) -> pd.DataFrame:
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
                "": "⭐" if record.id == active_id else "",
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


def use_button(record: ModelRecord, active_id: str) -> None:
    for_everyone = can_switch_for_everyone()
    if st.button(
        "Use this model" if for_everyone else "Use this model (just me)",
        disabled=not record.has_model or record.id == active_id,
        key="activate",
        help="Every page uses it, in every browser."
        if for_everyone
        else "Only this browser uses it; the teacher chooses the model for the class.",
    ):
        use_model(record.id)
        st.rerun()


def rename_and_delete(record: ModelRecord) -> None:
    teacher = is_teacher()
    rename, delete = st.columns(2)
    with rename:
        new_name = st.text_input(
            "New name", record.name, key=f"rename-{record.id}", max_chars=60,
            disabled=record.read_only or not teacher,
        )  # fmt: skip
        if st.button("Rename", disabled=record.read_only or not teacher, key="rename"):
            try:
                classroom().rename(record.id, new_name, teacher_key())
                st.rerun()
            except (ValueError, NotAllowed) as error:  # a bad name; not the teacher
                st.error(str(error))
    with delete:
        sure = st.checkbox(
            "I am sure", key=f"sure-{record.id}", disabled=record.read_only or not teacher
        )
        if st.button("Delete", disabled=record.read_only or not sure, key="delete"):
            try:
                classroom().delete(record.id, teacher_key())
                st.rerun()
            except (ValueError, NotAllowed) as error:  # a run still training; not the teacher
                st.error(str(error))
    if record.id == SHIPPED_ID:
        st.caption("The shipped model cannot be renamed or deleted.")
    elif not teacher:
        st.caption("Only the teacher can rename or delete runs.")


def runs_list() -> None:
    store = get_store()
    records = store.list()
    active_id = model_for_me(store)
    with st.container(key="runs"):
        st.dataframe(
            runs_table(records, active_id),
            hide_index=True,
            column_config={"test accuracy": st.column_config.NumberColumn(format="percent")},
        )
    labels = {record.id: f"{record.name} ({record.status})" for record in records}
    chosen_id = st.selectbox(
        "Choose a model", list(labels), format_func=labels.get, key="chosen-run"
    )
    record = next(record for record in records if record.id == chosen_id)
    activate, download = st.columns(2)
    with activate:
        use_button(record, active_id)
    with download:
        if record.has_model:
            st.download_button(
                "Download .keras",
                record.model_path.read_bytes(),
                file_name=file_name(record.name, ".keras"),
                key="download",
            )
    rename_and_delete(record)


# --- the page --------------------------------------------------------------------------------


def page() -> None:
    sidebar()
    jobs = get_jobs()
    jobs.warm_up()  # the trainer loads TensorFlow and MNIST while the page is read
    st.title("Train a network")
    if TOAST in st.session_state:
        st.toast(st.session_state.pop(TOAST))
    if not jobs.trains_here:
        st.caption(f"Runs train on the Dask cluster at {jobs.address}, one per worker.")
    elif find_mnist_dir() is None:
        st.warning(
            "No local MNIST files found: training will try Keras's download (needs internet). "
            "To use files you have, start the app with `MNIST_DATA_DIR=folder-with-the-four-gz-files`."
        )
    st.session_state.setdefault(LOADED, "seed")
    st.session_state.setdefault("preset", st.session_state[LOADED])
    for name in SETTINGS:  # first visit, or back from another page (Streamlit forgot them)
        st.session_state.setdefault(
            setting_key(name), getattr(PRESETS[st.session_state[LOADED]], name)
        )
    top = st.container()  # preset, name and Start: filled in once the settings are read
    st.session_state[DRAWING_PAGE] = True
    try:
        live_progress()
    finally:
        st.session_state[DRAWING_PAGE] = False
    show_last_run()
    settings_tab, runs_tab = st.tabs(["Settings", "Runs and models"])
    with settings_tab:
        values, slots = hyperparameter_inputs()
        class_digits_option()  # read by start_clicked from the session state
        config = checked_config(values, slots)
        if config is not None:
            with st.expander("The network these settings build", expanded=True):
                table = architecture_table(tuple(config.to_dict().items()))
                st.dataframe(table, hide_index=True)
                st.caption(f"{table.parameters.sum():,} weights to learn (parameters).")
    with top:
        start_row(config, changed_settings(values, st.session_state[LOADED]))
    with runs_tab:
        runs_list()
