"""The Train page's top row: preset, run name and Start. `submit_run` is how any page starts a
run for this browser (the Lesson page's "Train it now" too)."""

from __future__ import annotations

import streamlit as st

from mnist_cnn.classdata import ClassDigits
from mnist_cnn.config import PRESETS, TrainConfig
from mnist_cnn.estimate import estimate_seconds
from mnist_cnn.jobs import Job, TrainRequest
from mnist_cnn.permissions import NotAllowed
from mnist_cnn.ui.classroom import classroom, get_jobs, me
from mnist_cnn.ui.models import get_store
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.train_parts import changed_settings, settings_summary
from mnist_cnn.ui.train_settings import (
    LOADED,
    fill_settings,
    load_preset,
    settings_from_session,
)

AUTO_NAME = "run-name-auto"  # session state: the name the page gave the run (until one is typed)
TOAST = "train-toast"  # session state: a message to show once the page is drawn again
START_ERROR = "start-error"  # session state: why Start could not start a run


def submit_run(config: TrainConfig, name: str, class_drawings_repeat: int = 0) -> Job:
    """Queue a run for this browser on the server's job back end, if the rule book lets it (a
    student: one run at a time, no longer than the class's limit; else NotAllowed, saying why);
    with `class_drawings_repeat`, the class's training drawings join its images, each that many
    times ("not a digit" ones only for a network with that output). Raises ValueError (a bad
    name, bad settings) or OSError (a full disk, a read-only models folder), and the cluster's
    ClusterUnavailable (an OSError)."""
    extras = (
        ClassDigits().training_arrays(class_drawings_repeat, not_a_digit=config.not_a_digit)
        if class_drawings_repeat
        else (None, None)
    )
    count = 0 if extras[0] is None else len(extras[0])
    estimate = estimate_seconds(config, get_store().list(), count)
    return classroom().start(TrainRequest(config, name, me().id, *extras), me(), estimate)


def start_row(config: TrainConfig | None, changed: list[str]) -> None:
    """Preset, run name and Start, with where the settings came from."""
    preset = st.session_state[LOADED]
    auto_name = auto_run_name(preset, changed)
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


def auto_run_name(preset: str, changed: list[str]) -> str:
    """The name the page gives a run until one is typed."""
    return f"{preset} preset" + (", changed" if changed else "")


def is_auto_run_name(name: str | None) -> bool:
    return not name or name in {auto_run_name(p, c) for p in PRESETS for c in ([], ["x"])}


def start_clicked() -> None:
    """Start's callback. It runs before the page is drawn again, so the run starts at once; it
    reads the settings as they are now (the page refuses Start while one cannot work).

    A preset clicked just before Start counts, whichever callback Streamlit runs first, and
    values the browser still holds from before it do not (see setting_key); a name the page
    made is made again from the settings really used. The rule book (mnist_cnn.permissions) may
    refuse: a student's second run, or a run longer than the class's limit.
    """
    chosen = st.session_state.get("preset")
    if chosen is not None and chosen != st.session_state.get(LOADED):
        fill_settings(chosen)  # the preset's own callback has not run yet
    values = settings_from_session()
    name = st.session_state.get("run-name", "")
    if is_auto_run_name(name):
        preset = st.session_state[LOADED]
        name = auto_run_name(preset, changed_settings(values, preset))
    use_drawings = st.session_state.get("use-class-digits", False)
    repeat = st.session_state.get("class-repeat", 10) if use_drawings else 0
    try:
        jobs = get_jobs()
        busy = bool(jobs.running() or jobs.queued())
        job = submit_run(TrainConfig(**values), name, repeat)
    except NotAllowed as error:  # a second run, or one too long: the rule book says why
        st.session_state[START_ERROR] = plain(str(error))  # it may hold a run's name
        return
    except (ValueError, OSError) as error:  # a bad name, a full disk, a read-only models folder
        st.session_state[START_ERROR] = f"Could not start training: {error}"
        return
    if busy:
        st.session_state[TOAST] = (
            f"Another run is training; yours is queued (place {job.queue_position})."
        )
