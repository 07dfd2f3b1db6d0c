"""The model store, the active model and the sidebar that names it.

Models are loaded once per server (`st.cache_resource`) and shared by all sessions; the active
model is read from disk on every run, and every open page checks it every few seconds
(watch_active_model), so a switch or a deletion in any browser shows in all of them.
"""

from __future__ import annotations

import zlib
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
    me,
    model_for_me,
    teacher_box,
)
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.style import page_style, presenter_toggle

if TYPE_CHECKING:
    from mnist_cnn.predict import Predictor

WATCH_SECONDS = 2  # how often every open page checks which model is active
SHOWN_MODEL = "shown-model"  # session state: (id, name) of the model the sidebar names
CLASS_MODEL_SEEN = "class-model-seen"  # session state: the class's model this browser was told of


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

    return Predictor(load_model_file(model_path))


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


def _usable_choice(key: str) -> bool:
    """Whether the switcher holds a model id: a name shown before a rename comes back as the
    old label, which is no id (the key follows the names too, so this is rare)."""
    return st.session_state.get(key) in {record.id for record in get_store().list()}


def _switch_model(key: str) -> None:
    store = get_store()
    if not key.startswith(f"model-switcher-{store.active_id()}-") or not _usable_choice(key):
        return  # a switcher drawn before the active model changed: its choice is stale
    try:
        classroom().set_active_for_everyone(st.session_state[key], me())
    except NotAllowed:  # only the teacher's switcher calls this: a changed page
        st.toast("Only the teacher can switch the model for everyone.")


def _switch_my_model(key: str) -> None:
    if _usable_choice(key):
        choose_my_model(st.session_state[key])


def shown_model(record: ModelRecord) -> tuple[str, str]:
    return record.id, record.name


def what_pages_show(store: ModelStore) -> tuple:
    """What a page's names depend on, cheaply: the model this browser uses, the class's model,
    and when each run's metadata last changed (a rename, a new or deleted run)."""
    runs = ()
    if store.root.is_dir():
        runs = tuple(
            sorted(
                (path.name, metadata.stat().st_mtime_ns)
                for path in store.root.iterdir()
                if (metadata := path / "metadata.json").is_file()
            )
        )
    return shown_model(active_record()), store.active_id(), runs


@st.fragment(run_every=WATCH_SECONDS)
def watch_active_model(shown: tuple) -> None:
    """Every WATCH_SECONDS: if the active model or the class's is no longer the one shown
    (switched, renamed or deleted in any browser), or any run was renamed, rerun the whole page,
    so it names and uses them as they are now."""
    if what_pages_show(get_store()) != shown:
        st.rerun(scope="app")


def _follow_class() -> None:
    choose_my_model(None)


def _keep_mine() -> None:
    st.session_state[CLASS_MODEL_SEEN] = get_store().active_id()


def switch_notice(store: ModelStore, active: ModelRecord) -> None:
    """A student on a model of their own hears of the teacher's switch, and may follow it."""
    class_id = store.active_id()
    seen = st.session_state.setdefault(CLASS_MODEL_SEEN, class_id)
    if active.id == class_id:  # following the class: nothing to tell
        st.session_state[CLASS_MODEL_SEEN] = class_id
        return
    if seen == class_id:
        return
    with st.container(key="switch-notice"):
        st.info(
            f"The teacher switched the class to “{plain(store.get(class_id).name)}”; you are "
            f"using “{plain(active.name)}” (just me)."
        )
        follow, keep = st.columns(2)
        follow.button("Follow the class", key="follow-class", on_click=_follow_class)
        keep.button("Keep mine", key="keep-mine", on_click=_keep_mine)


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
        st.toast(
            f"The model is now “{plain(active.name)}”.", icon=":material/sync:", duration="long"
        )
    st.session_state[SHOWN_MODEL] = shown
    ids = [record.id for record in usable]
    labels = {record.id: model_label(record) for record in usable}
    with st.sidebar:
        presenter_toggle()  # first: reachable on a projector's small screen
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
        # ...and the names, so a renamed model's old label never comes back as a choice
        names = zlib.crc32("\n".join(labels.values()).encode())
        key = f"{'' if for_everyone else 'my-'}model-switcher-{active.id}-{names}"
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
        switch_notice(store, active)
        watch_active_model(what_pages_show(store))
        teacher_box()
        page_style()
