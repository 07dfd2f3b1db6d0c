"""Tiny app for test_run_race_browser.py: a button whose run takes a moment, in a fragment, and
a timed fragment (like the pages' check of the active model) that reruns every half second.

The server is made to take each timed rerun only once the button's run has ended, before it
sends that run's output: what a busy server does now and then by chance. With
PROBE_DELIVER_FINISHED_RUNS=1 the app's fix (ui.server.deliver_finished_runs) is on.
"""

import os
import time

import streamlit as st
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

from mnist_cnn.ui.server import deliver_finished_runs

if os.environ.get("PROBE_DELIVER_FINISHED_RUNS") == "1":
    deliver_finished_runs()


def take_timed_reruns_late() -> None:
    """Hold each timed rerun (on the server's event loop, so nothing is sent meanwhile) until
    the session's script thread has ended the run in progress."""
    if getattr(AppSession, "probe_takes_timed_reruns_late", False):
        return
    request_rerun = AppSession.request_rerun

    def late(session, client_state):
        runner = session._scriptrunner
        if client_state is not None and client_state.is_auto_rerun and runner is not None:
            deadline = time.monotonic() + 5
            while runner._requests._state != ScriptRequestType.STOP:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        return request_rerun(session, client_state)

    AppSession.request_rerun = late
    AppSession.probe_takes_timed_reruns_late = True


take_timed_reruns_late()


@st.fragment(run_every=0.5)
def timed_check() -> None:
    pass


@st.fragment
def answer() -> None:
    if st.button("Ask", key="ask"):
        st.session_state["asked"] = st.session_state.get("asked", 0) + 1
        time.sleep(1.5)  # a timed rerun comes meanwhile
    with st.container(key="answer"):
        st.write(f"answers={st.session_state.get('asked', 0)}")


with st.sidebar:
    timed_check()
answer()
