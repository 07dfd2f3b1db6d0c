"""What the app sets for the whole server where Streamlit has no setting for it."""

from __future__ import annotations

import gc
import sys

from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import script_runner
from streamlit.runtime.scriptrunner.script_runner import ScriptRunnerEvent


def keep_tensorflow_warm() -> None:
    """Undo two costs Streamlit puts on every script run once TensorFlow is loaded. app.py
    calls it at the start of every run; it does its work once.

    After each run (each page, and each timed rerun of a fragment, in every browser) Streamlit
    calls `keras.backend.clear_session()`, meant for scripts that build a new model every run.
    It empties TensorFlow's cache of compiled kernels, so the next call of every model pays
    ~25 ms to rebuild them, and runs a full garbage collection over TensorFlow's ~360,000
    long-lived objects (~200 ms). With the Train page open while a run trained, that was about
    half the server's CPU time (py-spy), taken from the trainer. This app builds no models in
    its scripts (they are loaded once, with `st.cache_resource`), so Streamlit's clean-up is
    turned off (its only other part is for matplotlib, which the app does not use); and once
    TensorFlow is loaded, `gc.freeze()` takes the objects that exist by then out of Python's
    own collections.
    """
    if not hasattr(script_runner, "_clean_problem_modules"):
        raise RuntimeError(
            "This Streamlit version has no script_runner._clean_problem_modules: check whether "
            "it still clears the Keras session after every run, and update keep_tensorflow_warm."
        )
    script_runner._clean_problem_modules = _no_clean_up
    if "tensorflow" in sys.modules and not getattr(keep_tensorflow_warm, "frozen", False):
        gc.freeze()
        keep_tensorflow_warm.frozen = True


def _no_clean_up() -> None:
    """Streamlit's clean-up after a script run, in this app: nothing (see keep_tensorflow_warm)."""


def deliver_finished_runs() -> None:
    """Stop Streamlit from dropping what a finished run showed when a rerun comes at once.

    A session runs its script in a ScriptRunner thread that ends when a run ends with nothing
    more to do; the run's messages (the page's elements, "finished") go to the server's event
    loop to be sent. If the next rerun request reaches the event loop before those messages
    (a busy server, and the pages' timed checks of the active model every WATCH_SECONDS make it
    frequent), Streamlit 1.67 starts a new ScriptRunner and then ignores every message of the
    old one as stale, so the browser never gets that run's output: a drawing that stays
    unanswered, a Clear that does not clear. Stale messages are those of a runner that was told
    to stop (a newer run replaced it); a runner that ended its run by itself has none, so its
    messages are handled as those of the current runner (all but its shutdown, which would
    forget the new one). app.py calls this at the start of every run; it does its work once.
    """
    if getattr(AppSession, "_keeps_finished_runs", False):
        return
    if not hasattr(AppSession, "_handle_scriptrunner_event_on_event_loop"):
        raise RuntimeError(
            "This Streamlit version's AppSession has no _handle_scriptrunner_event_on_event_loop: "
            "check whether it still drops the messages of a run that ended as the next began, "
            "and update deliver_finished_runs."
        )
    handle_event = AppSession._handle_scriptrunner_event_on_event_loop
    request_stop = script_runner.ScriptRunner.request_stop

    def stop_and_note(runner, *args, **kwargs):
        runner.mnist_cnn_told_to_stop = True
        return request_stop(runner, *args, **kwargs)

    def handle_event_of_finished_runs(session, sender, event, *args, **kwargs):
        current = session._scriptrunner
        if (
            sender is None
            or sender is current
            or event == ScriptRunnerEvent.SHUTDOWN
            or getattr(sender, "mnist_cnn_told_to_stop", False)
        ):
            return handle_event(session, sender, event, *args, **kwargs)
        session._scriptrunner = sender  # for this message only: it is no stale output
        try:
            return handle_event(session, sender, event, *args, **kwargs)
        finally:
            session._scriptrunner = current

    script_runner.ScriptRunner.request_stop = stop_and_note
    AppSession._handle_scriptrunner_event_on_event_loop = handle_event_of_finished_runs
    AppSession._keeps_finished_runs = True
