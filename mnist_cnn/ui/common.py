"""What every page shares: the model store, the active model, the training jobs and the sidebar.

Models and the job manager are loaded once per server (`st.cache_resource`) and shared by all
sessions; the active model is read from disk on every run, so switching it takes effect at once
on every page and in every browser.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from mnist_cnn.preprocess import Preprocessed, preprocess
from mnist_cnn.storage import (
    SHIPPED_ID,
    ModelFileError,
    ModelRecord,
    ModelStore,
    default_models_dir,
    load_model_file,
)

if TYPE_CHECKING:
    from mnist_cnn.predict import Predictor


@st.cache_resource
def _store(models_dir: str) -> ModelStore:
    return ModelStore(models_dir)


def get_store() -> ModelStore:
    """The server's model store (MNIST_CNN_MODELS_DIR, or ~/.mnist_cnn/models)."""
    return _store(str(default_models_dir()))


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def _predictor(model_path: str, modified: float) -> Predictor:
    # `modified` is part of the cache key: a file replaced on disk is loaded again
    from mnist_cnn.predict import Predictor  # imports TensorFlow: the first page shows before it

    return Predictor(load_model_file(model_path))


def active_model() -> tuple[ModelRecord, Predictor]:
    """The active model's record and a predictor for it; the shipped model if it cannot load."""
    store = get_store()
    record = store.get(store.active_id())
    try:
        predictor = _predictor(str(record.model_path), record.model_path.stat().st_mtime)
        keep_tensorflow_warm()
        return record, predictor
    except (OSError, ModelFileError) as error:
        if record.id == SHIPPED_ID:
            raise
        st.warning(
            f"The active model “{record.name}” could not be loaded ({error}). Using the shipped model."
        )
        shipped = store.shipped()
        return shipped, _predictor(str(shipped.model_path), shipped.model_path.stat().st_mtime)


def model_label(record: ModelRecord) -> str:
    accuracy = (
        f"{100 * record.test_accuracy:.2f}%" if record.test_accuracy is not None else "no score"
    )
    return f"{record.name} · {accuracy}"


def _switch_model(key: str) -> None:
    store = get_store()
    if key != f"model-switcher-{store.active_id()}":
        return  # a switcher drawn before the active model changed: its choice is stale
    store.set_active(st.session_state[key])


def keep_tensorflow_warm() -> None:
    """Undo two costs Streamlit puts on every script run once TensorFlow is loaded.

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


def sidebar() -> None:
    """The active model, its test accuracy, and a switcher listing every usable model."""
    keep_tensorflow_warm()
    store = get_store()
    active_id = store.active_id()
    usable = [record for record in store.list() if record.has_model and not record.error]
    ids = [record.id for record in usable]
    labels = {record.id: model_label(record) for record in usable}
    with st.sidebar:
        active = next((record for record in usable if record.id == active_id), usable[0])
        with st.container(key="active-model"):
            st.markdown(f"**Active model:** {active.name}")
            if active.test_accuracy is not None:
                st.caption(
                    f"Test accuracy {100 * active.test_accuracy:.2f}% on 10,000 MNIST digits"
                )
        # the key follows the active model, so a switch made in another browser shows here too
        key = f"model-switcher-{active_id}"
        st.selectbox(
            "Switch model",
            ids,
            index=ids.index(active.id),
            format_func=labels.get,
            key=key,
            on_change=_switch_model,
            args=(key,),
            help="Every page uses the model chosen here, in every browser.",
        )
        presenter_mode()


PRESENTER_SCALE = 1.4  # presenter mode makes text, pictures and the canvas this much larger
PRESENTER_CSS = f"""
<style>
html {{ font-size: {16 * PRESENTER_SCALE}px; }}  /* Streamlit sizes text in rem; charts stretch */
[data-testid="stImageContainer"], [data-testid="stBidiComponentIsolated"], figure.picture {{
  zoom: {PRESENTER_SCALE};  /* pictures and the canvas are sized in pixels */
}}
[data-testid="stImageCaption"], figure.picture figcaption {{
  zoom: {1 / PRESENTER_SCALE:.3f};  /* captions are text */
}}
[data-testid="stMainBlockContainer"] {{ padding: 4rem 1.5rem 2rem; }}  /* room for all that */
[data-testid="stToolbar"], [data-testid="stElementToolbar"], [data-testid="stStatusWidget"] {{
  display: none;  /* the app menu, and the full-screen buttons on pictures and charts */
}}
</style>
"""


def presenter_mode() -> None:
    """A toggle that makes every page readable on a projector, and hides what a class does not need."""
    on = st.toggle(
        "Presenter mode",
        key="presenter-mode",
        persist_state="session",
        help="Larger text, pictures and canvas for a projector; hides the app menu.",
    )
    if on:
        st.html(PRESENTER_CSS)


def enlarge(image: np.ndarray, scale: int = 10, grid: bool = True) -> np.ndarray:
    """A small [0, 1] grey image blown up with square pixels (and a faint grid) for display."""
    big = np.kron(np.clip(image, 0, 1), np.ones((scale, scale), np.float32))
    pixels = (big * 255).astype(np.uint8)
    if grid and scale >= 4:
        pixels[::scale, :] = np.maximum(pixels[::scale, :], 60)
        pixels[:, ::scale] = np.maximum(pixels[:, ::scale], 60)
    return pixels


CANVAS_SIZE = 280  # pixels: ten times MNIST's 28
BRUSH_SIZE = 20  # default pen width, in pixels: gives MNIST-like strokes


def digit_canvas(
    key: str, brush: int = BRUSH_SIZE
) -> tuple[Preprocessed | None, np.ndarray | None]:
    """The square drawing canvas, white ink on black like MNIST.

    Returns the drawing made ready for the network (None before anything is drawn, or when it
    cannot be read, with a message) and the canvas image itself.
    """
    from streamlit_drawable_canvas import st_canvas  # looked up here, so tests can stand in for it

    result = st_canvas(
        stroke_width=brush,
        stroke_color="#ffffff",
        background_color="#000000",
        width=CANVAS_SIZE,
        height=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    st.caption("Use the canvas's own buttons to undo, redo or clear.")
    if result is None or result.image_data is None:
        return None, None
    try:
        return preprocess(result.image_data), result.image_data
    except ValueError as error:
        st.error(f"Could not read the drawing: {error}")
        return None, None


def show_bars(title: str, labels: list[str], fractions: list[float], texts: list[str], key: str):
    """Horizontal bars in plain HTML, the longest in red: the browser draws them at once (a Vega
    chart cost ~400 ms of browser time per drawing). `fractions` in [0, 1] set the lengths."""
    best = int(np.argmax(fractions)) if len(fractions) else -1
    rows = []
    for number, (label, fraction, text) in enumerate(zip(labels, fractions, texts, strict=True)):
        colour = "#ff4b4b" if number == best else "#8c9bb0"
        width = 100 * min(max(float(fraction), 0.0), 1.0)
        rows.append(
            f'<div style="display:flex;align-items:center;gap:.5em;margin:2px 0">'
            f'<b style="min-width:1.2em;text-align:right">{label}</b>'
            f'<div style="flex:1;background:#f0f2f6;border-radius:3px;height:1.1em">'
            f'<div style="width:{width:.1f}%;background:{colour};height:100%;border-radius:3px"></div></div>'
            f'<span style="width:3.5em;text-align:right">{text}</span></div>'
        )
    with st.container(key=key):
        st.markdown(f"**{title}**")
        st.html("".join(rows))


def show_probabilities(probabilities: np.ndarray, key: str = "probabilities") -> None:
    """The ten digits' probabilities as bars, the winner in red."""
    fractions = [float(p) for p in probabilities]
    show_bars(
        "Probability of each digit",
        [str(digit) if digit < 10 else "not a digit" for digit in range(len(fractions))],
        fractions,
        [f"{100 * p:.1f}%" for p in fractions],
        key,
    )
