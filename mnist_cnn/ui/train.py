"""The Train page: the run going on now (for everyone, at the top), Start, the settings with
their preset, and the runs list. The page script, mnist_cnn/ui/pages/train.py, only calls
`page()`. Its parts, one concern each:

    train_start.py     preset, run name and Start; submit_run for any page
    train_live.py      the runs training now, the queue, the last run; follow_run for any page
    train_settings.py  one input per hyperparameter, the class's drawings, the architecture
    train_runs.py      the runs list and its buttons
    train_parts.py     the pure parts (curves, Vega-Lite spec, runs table): no Streamlit

Who may do what (stop someone else's run, rename, delete, switch the class's model) is decided
by mnist_cnn.permissions through `classroom()`, never by which buttons the page shows.
"""

from __future__ import annotations

import streamlit as st

from mnist_cnn.data import find_mnist_dir
from mnist_cnn.ui.classroom import get_jobs
from mnist_cnn.ui.models import sidebar
from mnist_cnn.ui.train_live import DRAWING_PAGE, live_curves, live_progress, show_last_run
from mnist_cnn.ui.train_parts import changed_settings
from mnist_cnn.ui.train_runs import runs_list
from mnist_cnn.ui.train_settings import (
    LOADED,
    settings_from_session,
    settings_tab,
)
from mnist_cnn.ui.train_start import TOAST, start_row


def page() -> None:
    sidebar()
    jobs = get_jobs()
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
    settings_from_session()
    top = st.container()  # preset, name and Start: filled in once the settings are read
    st.session_state[DRAWING_PAGE] = True
    try:
        with st.container(key="live"):
            live_progress()
            live_curves()
    finally:
        st.session_state[DRAWING_PAGE] = False
    show_last_run()
    settings, runs = st.tabs(["Settings", "Runs and models"])
    with settings:
        config, values = settings_tab()
    with top:
        start_row(config, changed_settings(values, st.session_state[LOADED]))
    with runs:
        runs_list()
