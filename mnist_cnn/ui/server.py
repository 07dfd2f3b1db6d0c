"""What the app sets for the whole server where Streamlit has no setting for it."""

from __future__ import annotations

import gc
import sys

from streamlit.runtime.scriptrunner import script_runner


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
