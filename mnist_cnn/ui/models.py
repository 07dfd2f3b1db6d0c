"""The model store, the active model and the sidebar that names it.

Models are loaded once per server (`st.cache_resource`) and shared by all sessions; the active
model is read from disk on every run, and every open page checks it every few seconds
(watch_active_model), so a switch or a deletion in any browser shows in all of them.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

import streamlit as st

from mnist_cnn import settings
from mnist_cnn.permissions import NotAllowed
from mnist_cnn.storage import (
    SHIPPED_ID,
    ModelFileError,
    ModelRecord,
    ModelStore,
    load_model_file,
)
from mnist_cnn.ui.classroom import (
    can_switch_for_everyone,
    choose_my_model,
    classroom,
    model_for_me,
    teacher_box,
    teacher_key,
)
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.style import page_style, presenter_toggle

if TYPE_CHECKING:
    from mnist_cnn.predict import Predictor

WATCH_SECONDS = 2  # how often every open page checks which model is active
SHOWN_MODEL = "shown-model"  # session state: (id, name) of the model the sidebar names


@st.cache_resource
def _store(models_dir: str) -> ModelStore:
    return ModelStore(models_dir)


def get_store() -> ModelStore:
    """The server's model store (MNIST_CNN_MODELS_DIR, or ~/.mnist_cnn/models)."""
    return _store(str(settings.models_dir()))


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def _predictor(model_path: str, modified: float) -> Predictor:
    # `modified` is part of the cache key: a file replaced on disk is loaded again
    from mnist_cnn.predict import Predictor  # imports TensorFlow: the first page shows before it

    predictor = Predictor(load_model_file(model_path))
    keep_tensorflow_warm()  # TensorFlow is loaded by now
    return predictor


def predictor_for(record: ModelRecord) -> Predictor:
    """A predictor for the record's model, loaded once per server (again if the file changes)."""
    return _predictor(str(record.model_path), record.model_path.stat().st_mtime)


def active_record() -> ModelRecord:
    """The record of the model this browser uses (cheap: no model is loaded): the class's
    active model, or this browser's own choice (see classroom.model_for_me)."""
    store = get_store()
    return store.get(model_for_me(store))


def active_model() -> tuple[ModelRecord, Predictor]:
    """The active model's record and a predictor for it; the shipped model if it cannot load."""
    record = active_record()
    try:
        return record, predictor_for(record)
    except (OSError, ModelFileError) as error:
        if record.id == SHIPPED_ID:
            raise
        st.warning(
            f"The active model “{plain(record.name)}” could not be loaded ({error}). "
            "Using the shipped model."
        )
        shipped = get_store().shipped()
        return shipped, predictor_for(shipped)


def model_label(record: ModelRecord) -> str:
    accuracy = (
        f"{100 * record.test_accuracy:.2f}%" if record.test_accuracy is not None else "no score"
    )
    return f"{record.name} · {accuracy}"


def keep_tensorflow_warm() -> None:
    """Undo two costs Streamlit puts on every script run once TensorFlow is loaded. Called
    once, by the model loader, right after TensorFlow is first imported.

    After each run Streamlit calls `keras.backend.clear_session()`, meant for scripts that build
    a new model every run. It empties TensorFlow's cache of compiled kernels, so the next call
    of every model pays ~25 ms to rebuild them, and it runs a full garbage collection over
    TensorFlow's ~360,000 long-lived objects (~200 ms). This app keeps its models for the life
    of the server (`st.cache_resource`), so in the server clear_session does nothing; and
    `gc.freeze()` takes the objects that exist by now out of Python's own collections.
    """
    if "keras" in sys.modules and not getattr(keep_tensorflow_warm, "done", False):
        sys.modules["keras"].backend.clear_session = _keep_session
        gc.freeze()
        keep_tensorflow_warm.done = True


def _keep_session(*args, **kwargs) -> None:
    """keras.backend.clear_session in the web server: see keep_tensorflow_warm."""


def _switch_model(key: str) -> None:
    store = get_store()
    if key != f"model-switcher-{store.active_id()}":
        return  # a switcher drawn before the active model changed: its choice is stale
    try:
        classroom().set_active_for_everyone(st.session_state[key], teacher_key())
    except NotAllowed:  # only the teacher's switcher calls this: a changed page
        st.toast("Only the teacher can switch the model for everyone.")


def _switch_my_model(key: str) -> None:
    choose_my_model(st.session_state[key])


def shown_model(record: ModelRecord) -> tuple[str, str]:
    return record.id, record.name


@st.fragment(run_every=WATCH_SECONDS)
def watch_active_model(shown: tuple[str, str]) -> None:
    """Every WATCH_SECONDS: if the active model is no longer the one shown (switched, renamed
    or deleted in any browser), rerun the whole page, so it names and uses the new one."""
    if shown_model(active_record()) != shown:
        st.rerun(scope="app")


def sidebar() -> None:
    """The active model, its test accuracy, a switcher listing every usable model, presenter
    mode; and the page style. A short notice when the active model changed since the last run."""
    store = get_store()
    active = active_record()
    usable = [record for record in store.list() if record.has_model and not record.error]
    if active.id not in [record.id for record in usable]:  # just deleted: the shipped one reads
        active = store.shipped()
    shown = shown_model(active)
    if st.session_state.get(SHOWN_MODEL, shown) != shown:
        st.toast(f"The model is now “{plain(active.name)}”.", icon="🔁", duration="long")
    st.session_state[SHOWN_MODEL] = shown
    ids = [record.id for record in usable]
    labels = {record.id: model_label(record) for record in usable}
    with st.sidebar:
        with st.container(key="active-model"):
            st.markdown(f"**Active model:** {plain(active.name)}")
            if active.test_accuracy is not None:
                st.caption(
                    f"Test accuracy {100 * active.test_accuracy:.2f}% on 10,000 MNIST digits"
                )
            if active.id != store.active_id():
                st.caption("Your own choice, for this browser only.")
        # the key follows the active model, so a switch made in another browser shows here too
        for_everyone = can_switch_for_everyone()  # no teacher passphrase set, or the teacher
        key = f"{'' if for_everyone else 'my-'}model-switcher-{active.id}"
        st.selectbox(
            "Switch model" if for_everyone else "Switch model (just me)",
            ids,
            index=ids.index(active.id),
            format_func=labels.get,
            key=key,
            on_change=_switch_model if for_everyone else _switch_my_model,
            args=(key,),
            help="Every page uses the model chosen here, in every browser."
            if for_everyone
            else "Only this browser uses the model chosen here; the teacher chooses the model "
            "for the class.",
        )
        watch_active_model(shown)
        teacher_box()
        presenter_toggle()
        page_style()
