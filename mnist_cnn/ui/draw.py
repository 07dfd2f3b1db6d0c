"""Draw page: draw a digit (or upload a photo of one) and watch the network read it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from mnist_cnn.preprocess import Preprocessed, preprocess
from mnist_cnn.ui.common import (
    BRUSH_SIZE,
    active_model,
    digit_canvas,
    enlarge,
    show_probabilities,
    sidebar,
)
from mnist_cnn.ui.feedback import feedback_buttons

if TYPE_CHECKING:
    from mnist_cnn.predict import Prediction

UNSURE_BELOW = 0.7  # below this confidence the page says the model is unsure
MAX_UPLOAD_MB = 5
STEP_CAPTIONS = {
    "ink": "1. The ink, background removed",
    "cropped": "2. Cropped to the ink",
    "fitted": "3. Fitted into 20×20, shape kept",
    "centred": "4. Centre of mass at the centre of 28×28",
}


def show_prediction(prediction: Prediction | None, hint: str) -> None:
    """The digit, large, with its confidence: in the container tests read (`st-key-prediction`)."""
    with st.container(key="prediction", border=True):
        if prediction is None:
            st.markdown(hint)
            return
        if prediction.not_a_digit:
            st.markdown(f"### {prediction.not_a_digit_message()}")
            return
        percent = round(100 * prediction.confidence)
        st.markdown(f"# {prediction.digit} · {percent}% sure")
        if prediction.confidence < UNSURE_BELOW:
            (first, p1), (second, p2) = prediction.top(2)
            st.markdown(
                f"The model is **unsure**: maybe {first} ({100 * p1:.0f}%) or {second} ({100 * p2:.0f}%)."
            )


def show_model_input(prepared: Preprocessed) -> None:
    st.image(enlarge(prepared.image), caption="What the network sees: 28×28 pixels", width=280)
    if st.toggle("Show how the drawing becomes 28×28 pixels", key="show-steps"):
        columns = st.columns(len(prepared.steps))
        for column, (name, step) in zip(columns, prepared.steps.items(), strict=True):
            scale = max(1, 140 // max(step.shape))
            column.image(enlarge(step, scale, grid=scale >= 5), caption=STEP_CAPTIONS[name])


def read_upload() -> tuple[Preprocessed | None, str | None]:
    uploaded = st.file_uploader(
        "Photo or scan of one digit written on paper (PNG or JPEG)",
        type=["png", "jpg", "jpeg"],
        key="upload",
    )
    if uploaded is None:
        return None, "Upload a photo of one digit: dark ink on light paper or the other way round."
    if uploaded.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(
            f"{uploaded.name} is {uploaded.size / 1e6:.1f} MB; the limit is {MAX_UPLOAD_MB} MB. Try a smaller photo."
        )
        return None, "No digit read."
    try:
        return preprocess(uploaded), None
    except ValueError as error:
        st.error(f"Could not read {uploaded.name}: {error}")
        return None, "No digit read. Try another file: a PNG or JPEG photo of one digit."


def read_canvas() -> tuple[Preprocessed | None, np.ndarray | None]:
    """The drawing's 28x28 version, and the canvas image itself."""
    brush = st.slider(
        "Brush size", 8, 40, BRUSH_SIZE, key="brush", help="Thickness of the pen, in pixels."
    )
    return digit_canvas("canvas", brush)


@st.fragment
def draw_and_read() -> None:
    """Everything a stroke changes. A fragment: a stroke reruns only this, not the whole page."""
    source = st.segmented_control("Input", ["Draw", "Upload a photo"], default="Draw", key="source")
    left, right = st.columns([1, 1], gap="large")
    original = None  # the canvas image, which a student may save with its true digit
    with left:
        if source == "Upload a photo":
            prepared, hint = read_upload()
        else:
            (prepared, original), hint = read_canvas(), None
    with right:
        if prepared is None or prepared.blank:
            show_prediction(None, hint or "✏️ Draw a digit from 0 to 9 on the black square.")
            return
        record, predictor = active_model()
        prediction = predictor.predict(prepared.image)
        show_prediction(prediction, "")
        if original is not None:
            feedback_buttons(original, prepared, prediction, record.id)
        show_probabilities(prediction.probabilities)
        show_model_input(prepared)


sidebar()
st.title("Draw a digit")
draw_and_read()
active_model()  # load TensorFlow and the model after the page is on screen, ready for the first stroke
