"""The class around the server: the one job back end every browser shares, who this browser
is, and the teacher's passphrase (see mnist_cnn.permissions for the rules).

A browser session enters the passphrase once; it is kept in its session state and checked by
`Classroom` on every action, so a changed page cannot skip the check.
"""

from __future__ import annotations

import uuid

import streamlit as st

from mnist_cnn import settings
from mnist_cnn.jobs import JobBackend, open_jobs
from mnist_cnn.permissions import Classroom, teacher_passphrase
from mnist_cnn.storage import ModelFileError, ModelStore

KEY = "teacher-key"  # session state: the passphrase this browser entered (checked each time)
MY_MODEL = "my-model"  # session state: the model this browser chose for itself


_GIVEN: list[JobBackend] = []  # a back end handed in by use_jobs


@st.cache_resource
def _jobs(models_dir: str, cluster: str) -> JobBackend:
    return open_jobs(ModelStore(models_dir), cluster=cluster)


def get_jobs() -> JobBackend:
    """The server's job back end, shared by every browser: this machine (one training at a
    time), or the Dask cluster that MNIST_CNN_CLUSTER names (see mnist_cnn.jobs.open_jobs);
    or the one handed in with use_jobs."""
    if _GIVEN:
        return _GIVEN[-1]
    return _jobs(str(settings.models_dir()), settings.cluster_address())


def use_jobs(backend: JobBackend | None) -> None:
    """Hand every page this back end from now on (tests, tools); None: the server's again."""
    _GIVEN.clear()
    if backend is not None:
        _GIVEN.append(backend)


def owner() -> str:
    """Who this browser session is, to tell its own runs from others'."""
    return st.session_state.setdefault("owner", uuid.uuid4().hex)


def passphrase() -> str | None:
    """The teacher's passphrase: MNIST_CNN_TEACHER_KEY, else `teacher_key` in secrets.toml."""
    try:
        secrets = dict(st.secrets)
    except FileNotFoundError:  # no secrets.toml, or one that cannot be parsed (Streamlit's
        # StreamlitSecretNotFoundError is a FileNotFoundError): no passphrase from there
        secrets = {}
    return teacher_passphrase(secrets)


def classroom() -> Classroom:
    jobs = get_jobs()
    return Classroom(jobs.store, jobs, passphrase())


def teacher_key() -> str | None:
    """What this browser entered as the passphrase (pass it to every Classroom action)."""
    return st.session_state.get(KEY)


def is_teacher() -> bool:
    """True for the teacher, and for everyone when no passphrase is set."""
    return classroom().is_teacher(teacher_key())


def can_switch_for_everyone() -> bool:
    """May this browser change the model the whole class uses? (The sidebar asks.)"""
    return is_teacher()


def model_for_me(store: ModelStore) -> str:
    """The id of the model this browser uses: its own choice, made while a teacher is in charge
    and this browser is not the teacher's; else the class's active model."""
    mine = st.session_state.get(MY_MODEL)
    if mine and not is_teacher():
        try:
            record = store.get(mine)
            if record.has_model and not record.error:
                return mine
        except ModelFileError:  # deleted since: back to the class's model
            pass
    return store.active_id()


def choose_my_model(model_id: str) -> None:
    st.session_state[MY_MODEL] = model_id


def _check_passphrase() -> None:
    entered = st.session_state.get("teacher-passphrase", "")
    if classroom().is_teacher(entered):
        st.session_state[KEY] = entered
        st.session_state.pop(MY_MODEL, None)  # the teacher sees the class's model
    elif entered:
        st.session_state["teacher-wrong"] = True
    st.session_state["teacher-passphrase"] = ""


def _leave_teacher_mode() -> None:
    st.session_state.pop(KEY, None)


def teacher_box() -> None:
    """In the sidebar, when a passphrase is set: a box to enter it once, or a note that this
    browser is the teacher's. Nothing when no passphrase is set."""
    if not classroom().has_teacher:
        return
    with st.container(key="teacher"):
        if is_teacher():
            st.caption(
                "🧑‍🏫 Teacher mode: you can switch the class's model, rename, delete and stop any run."
            )
            st.button("Leave teacher mode", key="leave-teacher", on_click=_leave_teacher_mode)
            return
        st.text_input(
            "Teacher passphrase",
            type="password",
            key="teacher-passphrase",
            on_change=_check_passphrase,
            help="Only the teacher needs this: it lets them switch the model for everyone, "
            "rename and delete runs, and stop anyone's run.",
        )
        if st.session_state.pop("teacher-wrong", False):
            st.error("That is not the teacher passphrase.")
