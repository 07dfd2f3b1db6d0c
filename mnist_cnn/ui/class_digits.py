"""The Class digits page: the drawings students saved, per digit, and how well the model reads
them. The page script is mnist_cnn/ui/pages/class_digits.py; everything it does is here."""

from __future__ import annotations

import datetime

import numpy as np
import streamlit as st

from mnist_cnn.classdata import (
    HELD_OUT_EVERY,
    LABELS,
    ClassDigits,
    Entry,
    accuracy,
    label_text,
    original_on_black,
)
from mnist_cnn.config import TrainConfig
from mnist_cnn.permissions import Action, NotAllowed
from mnist_cnn.request import TrainRequest
from mnist_cnn.runs import finetune_name, finetune_request
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelFileError, ModelRecord
from mnist_cnn.ui.classroom import classroom, get_jobs, me, model_for_me
from mnist_cnn.ui.models import active_model, get_store, sidebar
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.train_live import follow_run
from mnist_cnn.ui.train_runs import use_button
from mnist_cnn.ui.widgets import enlarge

THUMBNAIL = 112  # pixels: each 28x28 drawing is shown four times its size
TEACH_JOB = "teach-job"  # session state: the id of the fine-tune this browser started
TEACH_ERROR = "teach-error"  # session state: why it could not start
TEACH_LABEL = "Teach it our handwriting"  # the section and its button; the Draw page names it


def percent(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{decimals}f}%"


def thumbnail(entry: Entry, as_drawn: bool) -> np.ndarray:
    """The 28x28 the network sees, or the drawing as drawn (the 28x28 if that file is damaged)."""
    if as_drawn:
        try:
            return original_on_black(entry)
        except (OSError, ValueError):
            pass
    return enlarge(entry.image28 / 255, scale=4, grid=False)


def guess_text(entry: Entry) -> str:
    return "?" if entry.guess is None else label_text(entry.guess)


def caption(entry: Entry) -> str:
    mark = "✓" if entry.guess == entry.label else "✗"
    held_out = " · held out" if entry.held_out else ""
    return f"#{int(entry.id)} · model: {guess_text(entry)} {mark}{held_out}"


def alt_text(entry: Entry) -> str:
    """What a screen reader says for a drawing: "Drawing #3: a 4, the model read 9 (wrong)"."""
    verdict = "right" if entry.guess == entry.label else "wrong"
    held_out = ", held out of training" if entry.held_out else ""
    return f"Drawing #{int(entry.id)}: a {entry.label}, the model read {guess_text(entry)} ({verdict}){held_out}"


def show_scores(record, predictor, entries: list[Entry]) -> None:
    held_out = [entry for entry in entries if entry.held_out]
    st.markdown(f"**How well “{plain(record.name)}” (the active model) reads…**")
    with st.container(key="scores"):
        everything, unseen, mnist = st.columns(3)
        everything.metric(
            f"all {len(entries)} class drawings",
            percent(accuracy(predictor, entries)),
            help="Includes drawings the model may have trained on (Train page option).",
        )
        unseen.metric(
            f"the {len(held_out)} held-out drawings",
            percent(accuracy(predictor, held_out)),
            help=f"Every {HELD_OUT_EVERY}th drawing (#{HELD_OUT_EVERY}, #{2 * HELD_OUT_EVERY}, …) "
            "is never trained on: it shows how well the model reads handwriting it has not seen.",
        )
        mnist.metric("10,000 MNIST test digits", percent(record.test_accuracy, 2))
    if not held_out:
        st.caption(
            f"No held-out drawings yet: drawing #{HELD_OUT_EVERY} will be the first one kept "
            "out of training."
        )


def show_counts(entries: list[Entry]) -> None:
    counts = np.bincount([entry.label for entry in entries], minlength=len(LABELS))
    with st.container(key="counts"):
        for label, column in zip(LABELS, st.columns(len(LABELS)), strict=True):
            name = "not a digit" if label == LABELS[-1] else f"{label}s"
            column.metric(name, int(counts[label]))


def show_gallery(entries: list[Entry]) -> None:
    as_drawn = st.toggle("Show the drawings as drawn", key="as-drawn", persist_state="session")
    st.caption(
        "Under each drawing: its number, what the model read when it was saved (✓ right, "
        "✗ wrong), and “held out” if it is never trained on."
    )
    for label in LABELS:
        drawings = [entry for entry in entries if entry.label == label]
        if drawings:
            with st.container(key=f"gallery-{label}"):
                name = label_text(label).capitalize()
                st.subheader(f"{name} · {len(drawings)} drawing{'s' * (len(drawings) > 1)}")
                images = [thumbnail(entry, as_drawn) for entry in drawings]
                st.image(
                    images,
                    caption=[caption(entry) for entry in drawings],
                    width=THUMBNAIL,
                    alt=[alt_text(entry) for entry in drawings],
                )


def delete_form(store: ClassDigits, entries: list[Entry]) -> None:
    if not classroom().may(Action.DELETE_DRAWING, me()):
        st.caption("Only the teacher can delete the class's drawings.")
        return
    names = {
        entry.id: f"#{int(entry.id)}: {label_text(entry.label)}, model said {guess_text(entry)} "
        f"({entry.created_at[:16].replace('T', ' ')})"
        for entry in entries
    }
    chosen = st.selectbox("Drawing", list(names), format_func=names.get, key="delete-choice")
    entry = next(entry for entry in entries if entry.id == chosen)
    st.image(thumbnail(entry, as_drawn=False), width=THUMBNAIL, alt=alt_text(entry))
    sure = st.checkbox("I am sure", key=f"delete-sure-{chosen}")
    if st.button("Delete this drawing", disabled=not sure, key="delete"):
        try:
            classroom().check(Action.DELETE_DRAWING, me())
            store.delete(chosen)
            st.session_state["deleted"] = f"Drawing #{int(chosen)} deleted."
            st.rerun()
        except (OSError, ValueError, NotAllowed) as error:
            st.error(f"Could not delete drawing #{int(chosen)}: {error}")
    everything = st.checkbox(f"I am sure: delete all {len(entries)} drawings", key="clear-sure")
    if st.button("Delete all drawings", disabled=not everything, key="clear"):
        try:
            classroom().check(Action.DELETE_DRAWING, me())
            st.session_state["deleted"] = f"{store.clear()} drawings deleted."
            st.rerun()
        except (OSError, ValueError, NotAllowed) as error:
            st.error(f"Could not delete the drawings: {error}")


# --- "Teach it our handwriting": fine-tuning as a job ------------------------------------------


def teach_clicked(record: ModelRecord) -> None:
    """The button's callback: queue a fine-tune of the model this browser uses, as a job of the
    server's job back end (the same queue, progress and Stop as training)."""
    try:
        request = TrainRequest(
            record.config or TrainConfig(),
            finetune_name(record.name),
            me().id,
            fine_tune=finetune_request(record, ClassDigits().root),
        )
        job = classroom().start(request, me())  # the class's rules: one run per student, ...
    except (
        ValueError,
        OSError,
        NotAllowed,
    ) as error:  # no model file, a full disk, the cluster is down
        st.session_state[TEACH_ERROR] = f"Could not start: {error}"
        return
    st.session_state[TEACH_JOB] = job.id


def percent_change(details: dict, before: str, after: str) -> str:
    return f"{percent(details.get(before))} → {percent(details.get(after))}"


def teach_progress(live: bool = True) -> None:
    """The fine-tune this browser started: live while it waits or runs (queue place, progress,
    Stop: train_live.follow_run), then its figures and "Use this model". live=False: a page
    that shows every run live already (Train) only says where to look."""
    job_id = st.session_state.get(TEACH_JOB)
    if not job_id:
        return
    job = get_jobs().get(job_id)
    if job is not None and job.status.is_active:
        if live:
            follow_run(job_id)  # reruns the page when it ends
        else:
            st.caption("Learning now: its progress and Stop are at the top of the page.")
        return
    with st.container(key="teach-progress"):
        try:
            record = get_store().get(job_id)
        except ModelFileError:
            st.warning("The new model is gone (deleted or cancelled).")
            return
        details = record.fine_tune or {}
        if record.status == Status.FAILED or not record.has_model:
            st.error(f"Teaching did not work: {record.error or record.status}")
            return
        st.success(
            f"“{plain(record.name)}” learned from {details.get('class_drawings', 0)} drawings in "
            f"{record.train_seconds or 0:.1f} s. The {details.get('held_out_drawings', 0)} "
            "held-out drawings (never learned from): "
            f"{percent_change(details, 'held_out_before', 'held_out_after')}; "
            f"MNIST test: {percent(details.get('mnist_before'), 2)} → "
            f"{percent(record.test_accuracy, 2)}."
        )
        use_button(record, model_for_me(get_store()), key="teach-use")


def teach_section(record: ModelRecord, entries: list[Entry], live: bool = True) -> None:
    """The button that fine-tunes the model on the class's drawings, and its progress (live:
    see teach_progress)."""
    st.subheader(TEACH_LABEL)
    training = [entry for entry in entries if not entry.held_out]
    st.caption(
        f"The model “{plain(record.name)}” learns the class's {len(training)} training drawings "
        "in a few seconds, while still practising on MNIST and other people's digits so it "
        "forgets nothing. The result is a new model; the one in use stays until you choose "
        "the new one."
    )
    st.button(
        TEACH_LABEL,
        key="teach",
        type="primary",
        disabled=not training,
        on_click=teach_clicked,
        args=(record,),
        help="Runs like a training run: it waits in the queue if another run is training.",
    )
    if TEACH_ERROR in st.session_state:
        st.error(st.session_state.pop(TEACH_ERROR))
    teach_progress(live)


def page() -> None:
    sidebar()
    record, predictor = active_model()
    store = ClassDigits()
    st.title("The class's own digits")
    teacher = classroom().may(Action.DELETE_DRAWING, me())
    where = f" They are kept in `{store.root}`." if teacher else ""  # no server path for students
    st.caption("Drawings saved on the Draw page with **This is right** or **It was a …**." + where)
    entries, problems = store.scan()
    for problem in problems:
        st.warning(f"{problem} (in {store.root})" if teacher else problem)
    if "deleted" in st.session_state:
        st.success(st.session_state.pop("deleted"))
    if not entries:
        st.info(
            "No drawings saved yet. On the **Draw** page, draw a digit, then press "
            "**This is right**, or choose what **it was** and press **Save**."
        )
        return

    show_scores(record, predictor, entries)
    show_counts(entries)
    if classroom().may(Action.EXPORT_DRAWINGS, me()):
        export_button(store)
    teach_section(record, entries)
    show_gallery(entries)
    with st.expander("Delete a drawing"):
        delete_form(store, entries)


def export_button(store: ClassDigits) -> None:
    st.download_button(
        "Download all drawings (.zip)",
        store.export_zip,
        file_name=f"class-digits-{datetime.date.today()}.zip",
        mime="application/zip",
        on_click="ignore",
        key="export",
        help="Every drawing as a PNG (as drawn and 28×28) with labels.csv: opens on any computer.",
    )
