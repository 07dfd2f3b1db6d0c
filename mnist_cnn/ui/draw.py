"""The Draw page: draw a digit (or upload a photo of one) and watch the network read it.

The page script is mnist_cnn/ui/pages/draw.py; everything it does is here, in functions tests
can import.
"""

from __future__ import annotations

import contextlib

import numpy as np
import streamlit as st

from mnist_cnn.canvas import BRUSH_SIZE, PEN_WIDTHS
from mnist_cnn.preprocess import Preprocessed, preprocess
from mnist_cnn.ui.drawing import student_drawing
from mnist_cnn.ui.feedback import feedback_buttons
from mnist_cnn.ui.models import active_model, sidebar
from mnist_cnn.ui.names import plain
from mnist_cnn.ui.widgets import (
    DRAW_HINT,
    digit_canvas,
    enlarge,
    show_prediction,
    show_probabilities,
)

DRAW, UPLOAD = "Draw", "Upload a photo"
MAX_UPLOAD_MB = 5  # photos up to this size are read; larger ones (to the server's cap) are told so
UPLOAD_HINT = "📷 Upload a photo of one digit: dark ink on light paper, or the other way round."
STEP_CAPTIONS = {
    "ink": "1. The ink, background removed",
    "cropped": "2. Cropped to the ink",
    "fitted": "3. Fitted into 20×20, shape kept",
    "centred": "4. Centre of mass at the centre of 28×28",
}
STEP_SIZE = 140  # pixels: each step is drawn about this large, then fitted to its column


def show_model_input(prepared: Preprocessed) -> None:
    st.image(enlarge(prepared.image), caption="What the network sees: 28×28 pixels", width=280)
    if st.toggle(
        "Show how the drawing becomes 28×28 pixels", key="show-steps", persist_state="session"
    ):
        columns = st.columns(len(prepared.steps))
        for column, (name, step) in zip(columns, prepared.steps.items(), strict=True):
            square = as_square(step)  # a tall "1" stays as tall as the others, not a column
            scale = max(1, STEP_SIZE // len(square))
            column.image(
                enlarge(square, scale, grid=scale >= 5),
                caption=STEP_CAPTIONS[name],
                width="stretch",
            )


def as_square(picture: np.ndarray) -> np.ndarray:
    """The picture in the middle of a black square as large as its longer side."""
    height, width = picture.shape
    side = max(height, width)
    square = np.zeros((side, side), dtype=np.float32)
    top, left = (side - height) // 2, (side - width) // 2
    square[top : top + height, left : left + width] = picture
    return square


def looks_like_several_digits(prepared: Preprocessed) -> bool:
    """True when the ink is much wider than tall and split by empty columns into two or more
    parts: a photo of a number ("2024") rather than of one digit."""
    cropped = prepared.steps.get("cropped")
    if cropped is None:
        return False
    height, width = cropped.shape
    inked = cropped.max(axis=0) > 0
    starts = np.count_nonzero(inked[1:] & ~inked[:-1]) + int(inked[0])  # runs of inked columns
    return width > 1.5 * height and starts >= 2


def upload_problem(name: str, size: int, prepared: Preprocessed | None) -> str | None:
    """What is wrong with an uploaded photo, in a student's words; None if nothing is."""
    if size > MAX_UPLOAD_MB * 1024 * 1024:
        return (
            f"“{plain(name)}” is too big ({size / 1024 / 1024:.1f} MB): photos up to "
            f"{MAX_UPLOAD_MB} MB can be read. Take the photo again at a smaller size, or crop "
            "it to the digit."
        )
    if prepared is None:
        return (
            f"“{plain(name)}” is not a picture this page can open. Upload a photo saved as "
            "PNG, JPEG, GIF, BMP or WebP."
        )
    if prepared.blank:
        return (
            f"No digit found on “{plain(name)}”: the paper looks empty. Write one digit large "
            "and dark, and take the photo close up."
        )
    return None


def read_upload() -> tuple[Preprocessed | None, str]:
    """The uploaded photo made ready for the network, or None and a hint; problems are shown
    as messages that say what to do."""
    # Any file is let through, so that each problem gets a message here, in plain words: the
    # uploader's own refusals show only as a small mark whose reason appears on hover.
    uploaded = st.file_uploader(
        f"Photo or scan of one digit written on paper (PNG, JPEG, GIF, BMP or WebP, up to "
        f"{MAX_UPLOAD_MB} MB)",
        key="upload",
    )
    if uploaded is None:
        return None, UPLOAD_HINT
    prepared = None
    if uploaded.size <= MAX_UPLOAD_MB * 1024 * 1024:
        with contextlib.suppress(ValueError):  # not a picture: said below, in plain words
            prepared = preprocess(uploaded)
    problem = upload_problem(uploaded.name, uploaded.size, prepared)
    if problem:
        st.error(problem)
        return None, "No digit read. Try another photo."
    if looks_like_several_digits(prepared):
        st.warning(
            "This photo seems to show more than one digit. The network reads one digit at a "
            "time: photograph a single digit, close up."
        )
    return prepared, ""


@st.fragment
def draw_and_read() -> None:
    """Everything a stroke changes. A fragment: a stroke reruns only this, not the whole page."""
    source = st.segmented_control("Input", [DRAW, UPLOAD], default=DRAW, key="source")
    left, right = st.columns([1, 1], gap="large")
    original = None  # the canvas image, which a student may save with its true digit
    with left:
        if source == UPLOAD:
            student_drawing().show_again()  # off screen: back on Draw, the canvas shows it again
            prepared, hint = read_upload()
        else:
            prepared, original = digit_canvas("canvas", st.session_state.get("brush", BRUSH_SIZE))
            hint = DRAW_HINT
            st.slider(
                "Brush size",
                *PEN_WIDTHS,
                BRUSH_SIZE,
                key="brush",
                persist_state="session",
                help="Pen thickness, in pixels.",
            )
    with right:
        if prepared is None or prepared.blank:
            show_prediction(None, hint)
            return
        record, predictor = active_model()
        prediction = predictor.predict(prepared.image)
        show_prediction(prediction, "")
        if original is not None:
            feedback_buttons(original, prepared, prediction, record.id)
        show_probabilities(prediction.probabilities)
        show_model_input(prepared)


def page() -> None:
    student_drawing().show_again()  # the page has (re)appeared: show the drawing as it is now
    sidebar()
    st.title("Draw a digit")
    draw_and_read()
    active_model()  # load TensorFlow and the model after the page is on screen, ready for the first stroke
