"""Under a prediction: "This is right" or "It was a [N]" saves the drawing to the class's digits."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from mnist_cnn.classdata import LABELS, NOT_A_DIGIT, ClassDigits, label_text
from mnist_cnn.preprocess import Preprocessed
from mnist_cnn.ui.class_digits import TEACH_LABEL

if TYPE_CHECKING:
    from mnist_cnn.predict import Prediction

SAVED = "feedback-saved"  # session state: (fingerprint of the drawing saved last, its label)
ERROR = "feedback-error"  # session state: why the last save failed
TEACH_HINT = (  # after a correction: how the model can learn the student's handwriting
    f"Misread? Save a few drawings of each digit it gets wrong, then press **{TEACH_LABEL}** on "
    "the Class digits page: the model learns your handwriting."
)


def read_as(prediction: Prediction) -> int:
    """The label the model gave: its digit, or NOT_A_DIGIT when it said "not a digit"."""
    return NOT_A_DIGIT if prediction.not_a_digit else prediction.digit


def saved_text(label: int) -> str:
    return f"Saved as {'' if label == NOT_A_DIGIT else 'a '}{label_text(label)} — thank you!"


def _fingerprint(original: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(original).tobytes()).hexdigest()


def _save(original, prepared: Preprocessed, prediction: Prediction, model_id: str, label) -> None:
    """Button callback: runs before the page, so the page already shows the drawing as saved."""
    fingerprint = _fingerprint(original)
    saved = st.session_state.get(SAVED)
    if label is None or (saved and saved[0] == fingerprint):  # never the same drawing twice
        return
    try:
        ClassDigits().add(original, prepared.image, label, read_as(prediction), model_id)
    except (OSError, ValueError) as error:
        st.session_state[ERROR] = f"Could not save the drawing: {error}"
        return
    st.session_state[SAVED] = (fingerprint, label)
    st.session_state["feedback-label"] = None
    st.toast(saved_text(label), icon=":material/school:")


def _save_chosen(original, prepared, prediction, model_id) -> None:
    _save(original, prepared, prediction, model_id, st.session_state.get("feedback-label"))


def feedback_buttons(
    original: np.ndarray, prepared: Preprocessed, prediction: Prediction, model_id: str
) -> None:
    """Let a student keep the drawing with its true digit for the class's own dataset.

    original: the canvas image as drawn; prepared: its 28x28 version; model_id: who guessed."""
    saved = st.session_state.get(SAVED)
    done = saved is not None and saved[0] == _fingerprint(original)
    args = (original, prepared, prediction, model_id)
    with st.container(key="feedback"):
        # a row that wraps rather than cutting a button short (presenter mode, phones)
        row = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
        row.button(
            "This is right",
            icon=":material/check:",
            key="feedback-right",
            disabled=done,
            on_click=_save,
            args=(*args, read_as(prediction)),
            help="Saves your drawing, labelled with what the model read (a digit, or not a "
            "digit), for the class's own digits.",
        )
        chosen = row.selectbox(
            "It was a",
            LABELS,
            index=None,
            format_func=label_text,
            placeholder="digit",
            key="feedback-label",
            disabled=done,
            width=160,
        )
        row.button(
            "Save",
            key="feedback-save",
            disabled=done or chosen is None,
            on_click=_save_chosen,
            args=args,
            help="Saves your drawing with the digit you chose.",
        )
        if done:
            st.success(saved_text(saved[1]))
            if saved[1] != read_as(prediction):  # a correction: how the model can learn it
                st.caption(TEACH_HINT)
        if ERROR in st.session_state:
            st.error(st.session_state.pop(ERROR))
