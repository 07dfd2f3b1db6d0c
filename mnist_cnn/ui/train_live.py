"""The Train page's live part: the runs training now with their progress, time left, Stop and
curves, the queue, and the run that ended last. `follow_run(run_id)` shows one run the same way
for any page (the Lesson page's "Train it now").

Streamlit cannot be called from other threads: the job back end keeps each run's progress in a
`Job`, and these fragments read it: the progress every second, the curves every few seconds
(redrawing two charts costs every watching browser, and on a small machine the trainer, CPU time).
"""

from __future__ import annotations

import streamlit as st

from mnist_cnn.jobs import Job
from mnist_cnn.lifecycle import last_ended
from mnist_cnn.permissions import NotAllowed
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelFileError
from mnist_cnn.ui.classroom import classroom, get_jobs, me, owner
from mnist_cnn.ui.models import get_store
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.train_parts import accuracy_floor, curves_spec, curves_table, seconds_text

DRAWING_PAGE = "drawing-train-page"  # session state: True while the whole page is drawn
REFRESH_SECONDS = 1.0  # how often the live part reads the runs' progress again
CURVES_SECONDS = 5.0  # how often the live curves are redrawn


def run_name(job: Job) -> str:
    """The run's name as it is now (renamed since it started, perhaps on another server)."""
    try:
        return get_store().get(job.id).name
    except ModelFileError:  # deleted, or not written yet
        return job.name


def whose(job: Job) -> str:
    return " (yours)" if job.owner == owner() else ""


def progress_charts(job: Job) -> None:
    """Loss and accuracy, training and validation, on one step axis each."""
    table = curves_table(job)
    if table.empty:  # the first batches of a long run are not all kept
        return
    low = accuracy_floor(table)
    for column, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        with column:
            st.markdown(f"**{metric.capitalize()}**")
            latest = table[table.metric == metric].groupby("series").value.last()
            st.caption(  # the chart's latest numbers as text
                "Latest: " + ", ".join(f"{series} {value:.4f}" for series, value in latest.items())
            )
            # A Vega-Lite spec written out: st.line_chart builds it with Altair, which costs
            # ~90 ms of server time per chart, every second, for every student watching.
            st.vega_lite_chart(
                table[table.metric == metric],
                curves_spec(metric, low),
                width="stretch",
                alt=f"Line chart of the {metric} as training goes, on the training and the "
                "validation images; the latest numbers are written above it",
            )


def stop_button(job: Job) -> None:
    allowed = classroom().may_stop(job.id, me())
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
            classroom().stop(job.id, me())
        except (NotAllowed, ValueError) as error:  # a changed page; a run just gone
            st.error(str(error))


def queue_lines(queued: list[Job]) -> None:
    for waiting in queued:
        st.markdown(
            f":material/schedule: Queued, place {waiting.queue_position}: **{plain(run_name(waiting))}**"
            f"{whose(waiting)}"
        )
        # the same rule as Stop (mnist_cnn.permissions)
        if classroom().may_stop(waiting.id, me()) and st.button(
            "Cancel", key=f"cancel-{waiting.id}"
        ):
            try:
                classroom().stop(waiting.id, me())
                st.rerun()
            except (NotAllowed, ValueError) as error:  # a changed page; a run just gone
                st.error(str(error))


def running_job(job: Job) -> None:
    """One run that trains now: its progress, time left and Stop (its curves: live_curves)."""
    st.markdown(f"### Training “{plain(run_name(job))}”{whose(job)}")
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


def ended_run(job: Job, title: str = "Last run") -> None:
    """A run that is over: its status and test accuracy, and why it failed."""
    accuracy = (
        f", {100 * job.test_accuracy:.2f}% test accuracy" if job.test_accuracy is not None else ""
    )
    st.markdown(f"**{title}: “{plain(run_name(job))}”**: {job.status}{accuracy}.")
    if job.error:
        st.error(f"The run failed: {job.error}" if job.status == Status.FAILED else job.error)


@st.fragment(run_every=REFRESH_SECONDS)
def live_progress() -> None:
    """Refreshed every second: the runs training now (one on this machine; one per worker on a
    cluster), the queue, and this browser's queued runs.

    Keep it cheap: every open Train page reruns it every second.
    """
    jobs = get_jobs()
    running, queued = jobs.running(), jobs.queued()
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
    """The run that ended last (interrupted ones too), with its curves, once nothing trains or
    waits.

    Drawn with the page, not in the live part: that one reruns every second, and redrawing
    finished charts every second for every student would be wasted server time. The live part
    reruns the whole page when a run ends.
    """
    jobs = get_jobs()
    if jobs.running() or jobs.queued():
        return
    job = last_ended(jobs.jobs())
    if job is not None:
        with st.container(key="last-run"):
            ended_run(job)
            if job.progress is not None:
                progress_charts(job)


@st.fragment(run_every=CURVES_SECONDS)
def live_curves(run_id: str | None = None) -> None:
    """Every CURVES_SECONDS: the curves of the runs training now, or of one run (`run_id`),
    training or ended. Apart from the progress (every second), as redrawing them is the live
    part's main cost, in the browser and on the server."""
    jobs = get_jobs()
    shown = [jobs.get(run_id)] if run_id else jobs.running()
    shown = [job for job in shown if job is not None and job.progress is not None]
    for job in shown:
        if len(shown) > 1:  # runs on a cluster's workers
            st.markdown(f"**“{plain(run_name(job))}”**")
        progress_charts(job)


def follow_run(run_id: str) -> None:
    """One run, live, for any page: its queue place, or its progress, time left, Stop and
    curves while it trains, then how it ended. The whole page reruns once when it ends, so the
    page can read the run (`get_jobs().get(run_id)`) and offer its model."""
    follow_status(run_id)
    live_curves(run_id)


@st.fragment(run_every=REFRESH_SECONDS)
def follow_status(run_id: str) -> None:
    """follow_run's part that is read every second: all but the curves."""
    job = get_jobs().get(run_id)
    with st.container(key=f"follow-{run_id}"):
        if job is None:
            st.info("This run is not known here any more (cancelled, or the server restarted).")
        elif job.status == Status.QUEUED:
            st.info(
                f"“{plain(job.name)}” is queued, place {job.queue_position}.",
                icon=":material/schedule:",
            )
        elif job.status.is_active:
            running_job(job)
        else:
            ended_run(job, "Run")
    over = job is None or not job.status.is_active
    key = f"follow-{run_id}-over"
    if over and st.session_state.get(key) is False:
        st.session_state[key] = True
        st.rerun(scope="app")
    st.session_state[key] = over
