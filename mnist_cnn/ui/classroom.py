"""The class around the server: the one job back end every browser shares, who this browser
is, and the teacher's passphrase (the rules are in mnist_cnn.permissions).

Who this browser is (mnist_cnn.identity) is read once per session from its signed cookie, and
written back to the cookie when it changes (a new browser, the passphrase entered, Sign out), so
it lasts through reloads and new tabs. The pages pass `me()` to every `Classroom` action, which
checks it on the server.
"""

from __future__ import annotations

import json
import secrets

import streamlit as st

from mnist_cnn import identity, settings
from mnist_cnn.jobs import JobBackend, open_jobs
from mnist_cnn.permissions import (
    Action,
    ClassLimits,
    Classroom,
    NotAllowed,
    Person,
    passphrase_matches,
    teacher_passphrase,
)
from mnist_cnn.storage import ModelFileError, ModelStore

TOKEN = "browser-token"  # session state: this browser's signed token (mnist_cnn.identity)
COOKIE_WRITTEN = "browser-token-written"  # session state: the token the cookie holds
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


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except FileNotFoundError:  # no secrets.toml, or one that cannot be parsed (Streamlit's
        # StreamlitSecretNotFoundError is a FileNotFoundError): nothing from there
        return {}


def passphrase() -> str | None:
    """The teacher's passphrase: MNIST_CNN_TEACHER_KEY, else `teacher_key` in secrets.toml."""
    return teacher_passphrase(_secrets())


@st.cache_resource
def _secret(models_dir: str, configured: str | None) -> bytes:
    try:
        return identity.session_secret(models_dir, {identity.SECRET_NAME: configured})
    except OSError:  # a read-only models folder: this server's own secret, until it restarts
        return secrets.token_bytes(32)


def secret() -> bytes:
    """The server's signing secret (see mnist_cnn.identity)."""
    return _secret(str(settings.models_dir()), _secrets().get(identity.SECRET_NAME))


def classroom() -> Classroom:
    jobs = get_jobs()
    return Classroom(jobs.store, jobs, passphrase())


def _identity() -> identity.Identity:
    """This browser: from its token in the session, else from its cookie, else a new one."""
    if TOKEN not in st.session_state:
        cookie = st.context.cookies.get(identity.COOKIE)
        found = identity.read_token(cookie, secret(), passphrase())
        _remember(found or identity.new_identity())
        if found is not None and cookie == st.session_state[TOKEN]:
            st.session_state[COOKIE_WRITTEN] = cookie
    found = identity.read_token(st.session_state[TOKEN], secret(), passphrase())
    if found is None:  # the secret changed under a running server: start afresh
        found = identity.new_identity()
        _remember(found)
    return found


def _remember(who: identity.Identity) -> None:
    st.session_state[TOKEN] = identity.make_token(who, secret(), passphrase())


def me() -> Person:
    """Who this browser is, for the rule book: its id, and whether it is the teacher's."""
    who = _identity()
    return Person(who.browser, who.teacher)


def owner() -> str:
    """This browser's id, to tell its own runs from others'."""
    return me().id


def is_teacher() -> bool:
    """True for the teacher, and for everyone when no passphrase is set."""
    return classroom().may(Action.SWITCH_FOR_EVERYONE, me())


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


def choose_my_model(model_id: str | None) -> None:
    """This browser's own model (None: follow the class's)."""
    if model_id is None:
        st.session_state.pop(MY_MODEL, None)
    else:
        st.session_state[MY_MODEL] = model_id


def use_model(model_id: str) -> None:
    """Make a model this browser's: for the whole class when this browser may switch it for
    everyone (see can_switch_for_everyone), else for this browser only."""
    if can_switch_for_everyone():
        classroom().set_active_for_everyone(model_id, me())
    else:
        choose_my_model(model_id)


def _check_passphrase() -> None:
    entered = st.session_state.get("teacher-passphrase", "")
    word = passphrase()
    if word is not None and passphrase_matches(entered, word):
        _remember(identity.Identity(me().id, teacher=True))
        st.session_state.pop(MY_MODEL, None)  # the teacher sees the class's model
    elif entered:
        st.session_state["teacher-wrong"] = True
    st.session_state["teacher-passphrase"] = ""


def _sign_out() -> None:
    _remember(identity.Identity(me().id, teacher=False))  # the same browser: its runs stay its


def _set_limit() -> None:
    minutes = st.session_state.get("max-run-minutes") or None  # 0: no limit
    try:
        classroom().set_limits(ClassLimits(minutes), me())
    except (NotAllowed, ValueError, OSError) as error:
        st.session_state["limit-error"] = str(error)


def limits_box() -> None:
    """The teacher's class limits: how long a student's run may train."""
    limit = classroom().limits().max_run_minutes
    st.number_input(
        "Longest run for a student (minutes; 0: no limit)",
        min_value=0.0,
        max_value=600.0,
        value=float(limit or 0),
        step=1.0,
        key="max-run-minutes",
        on_change=_set_limit,
        help="Start refuses a student's run that would train longer, with its estimate. "
        "Every app server of the class uses this limit. Students also have one run at a time.",
    )
    if "limit-error" in st.session_state:
        st.error(st.session_state.pop("limit-error"))


def remember_browser() -> None:
    """Write this browser's token into its cookie when the cookie does not hold it yet."""
    token = st.session_state.get(TOKEN)
    if token is None or st.session_state.get(COOKIE_WRITTEN) == token:
        return
    cookie = (
        f"{identity.COOKIE}={token}; path=/; max-age={identity.COOKIE_DAYS * 86400}; "
        "samesite=strict"
    )
    st.html(
        f'<span class="remember-browser"></span><script>document.cookie = {json.dumps(cookie)};'
        "</script>",
        unsafe_allow_javascript=True,
    )
    st.session_state[COOKIE_WRITTEN] = token


def teacher_box() -> None:
    """In the sidebar, when a passphrase is set: a box to enter it once per browser, or a note
    that this browser is the teacher's with a Sign out button. Nothing when no passphrase is set."""
    me()  # a new browser gets its id (and its cookie) on its first page
    if not classroom().has_teacher:
        remember_browser()
        return
    with st.container(key="teacher"):
        if is_teacher():
            st.caption(
                ":material/school: Teacher mode, in this browser until you sign out: you can switch the "
                "class's model, rename and delete runs, stop any run and delete class drawings."
            )
            limits_box()
            st.button("Sign out", key="sign-out", on_click=_sign_out)
        else:
            st.text_input(
                "Teacher passphrase",
                type="password",
                key="teacher-passphrase",
                on_change=_check_passphrase,
                help="Only the teacher needs this, once per browser: it lets them switch the "
                "model for everyone, rename and delete runs, stop anyone's run and delete "
                "class drawings.",
            )
            if st.session_state.pop("teacher-wrong", False):
                st.error("That is not the teacher passphrase.")
    remember_browser()
