"""What pages show and share: the drawing canvas with Clear and Undo, the prediction, bars and
pictures. Colours come from the theme (see style.py)."""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st
from PIL import Image

from mnist_cnn.canvas import BRUSH_SIZE, CANVAS_SIZE
from mnist_cnn.classdata import label_text
from mnist_cnn.preprocess import Preprocessed, preprocess
from mnist_cnn.ui.accessible import announce, digit_picker
from mnist_cnn.ui.drawing import student_drawing
from mnist_cnn.ui.style import hide_canvas_toolbar

if TYPE_CHECKING:
    from mnist_cnn.predict import Prediction

UNSURE_BELOW = 0.7  # below this confidence the prediction says the model is unsure
DRAW_HINT = ":material/draw: Draw a digit from 0 to 9 on the black square."
FAINT_INK = "color-mix(in srgb, currentColor 45%, transparent)"  # the theme's text colour, faint


# --- The canvas -------------------------------------------------------------------------------


def digit_canvas(
    key: str, brush: int = BRUSH_SIZE
) -> tuple[Preprocessed | None, np.ndarray | None]:
    """Clear and Undo buttons over the square drawing canvas, white ink on black like MNIST.

    Shows the student's drawing (the same on every page) and records each stroke. Returns the
    drawing made ready for the network (None when nothing is drawn, or when it cannot be read,
    with a message) and the canvas picture itself.
    """
    from streamlit_drawable_canvas import st_canvas  # looked up here, so tests can stand in for it

    drawing = student_drawing()
    with st.container(key=key):
        # filled once the canvas has said what is drawn, so Undo knows whether it can undo
        buttons = st.container(horizontal=True, width=CANVAS_SIZE, key="drawing-buttons")
        hide_canvas_toolbar()  # the page's Clear and Undo replace it
        result = st_canvas(
            stroke_width=brush,
            stroke_color="#ffffff",
            background_color="#000000",
            width=CANVAS_SIZE,
            height=CANVAS_SIZE,
            drawing_mode="freedraw",
            initial_drawing=drawing.initial_drawing,  # changes only after Clear, Undo, page runs
            return_image_data=True,
            key=f"{key}-drawing",
        )
    prepared, image = _read_canvas(drawing, key, result)
    buttons.button(
        "Clear",
        key=f"{key}-clear",
        icon=":material/delete:",
        on_click=drawing.clear,
        width="stretch",
        help="Empty the canvas and start again.",
    )
    buttons.button(
        "Undo",
        key=f"{key}-undo",
        icon=":material/undo:",
        on_click=drawing.undo,
        disabled=not drawing.can_undo,
        width="stretch",
        help="Take back the last stroke.",
    )
    digit_picker(key, CANVAS_SIZE)  # the keyboard's way to draw
    return prepared, image


def _read_canvas(drawing, key, result) -> tuple[Preprocessed | None, np.ndarray | None]:
    """Record what the canvas sent (if it is new) and read the drawing."""
    strokes = (result.json_data or {}).get("objects", []) if result is not None else []
    sent = result is not None and result.image_data is not None and drawing.is_new(key, strokes)
    image = result.image_data if sent else drawing.current.image
    if image is None:
        return None, None
    try:
        prepared = preprocess(image)
    except ValueError as error:
        st.error(f"Could not read the drawing: {error}. Press Clear and draw again.")
        return None, None
    if sent:
        drawing.record(strokes, image)
    return prepared, image


# --- The answer -------------------------------------------------------------------------------


# Under the answer of a network with ten outputs (trained with the seed or quick settings).
CANNOT_SAY_NOT_A_DIGIT = (
    "This network cannot answer “not a digit”: it was trained without that answer (as the "
    "`seed` and `quick` settings are), so it reads anything, even a letter or a scribble, as "
    "some digit."
)


def describe(prediction: Prediction) -> str:
    """ "7 · 98% sure", or the sentence that says it does not look like a digit."""
    if prediction.not_a_digit:
        return prediction.not_a_digit_message()
    return f"{prediction.digit} · {round(100 * prediction.confidence)}% sure"


def spoken(prediction: Prediction | None) -> str:
    """The answer as a screen reader says it ("" when there is none)."""
    if prediction is None:
        return ""
    if prediction.not_a_digit:
        return describe(prediction)
    return f"The network reads {prediction.digit}, {round(100 * prediction.confidence)}% sure."


def show_prediction(
    prediction: Prediction | None, hint: str, before: Prediction | None = None
) -> None:
    """The digit, large, with its confidence, in the container tests read (`st-key-prediction`);
    the hint when there is none. `before`: the reading before a change (Inside's sliders)."""
    announce(spoken(prediction))  # for screen readers, once per new answer
    with st.container(key="prediction", border=True):
        if prediction is None:
            st.markdown(hint)
            return
        st.markdown(f"# {describe(prediction)}")
        if prediction.not_a_digit:
            st.caption(prediction.if_a_digit_message())
        if prediction.confidence < UNSURE_BELOW and not prediction.not_a_digit:
            (first, p1), (second, p2) = prediction.top(2)
            st.markdown(
                f"The model is **unsure**: maybe {first} ({100 * p1:.0f}%) or {second} ({100 * p2:.0f}%)."
            )
        if not prediction.can_say_not_a_digit:
            st.caption(CANNOT_SAY_NOT_A_DIGIT)
        if before is not None:
            st.markdown(f"Before the sliders: **{describe(before)}**")


def show_bars(
    title: str,
    labels: list[str],
    fractions: list[float],
    texts: list[str],
    key: str,
    highlight: bool = True,
):
    """Horizontal bars in plain HTML, the longest in red (unless not `highlight`): the browser
    draws them at once (a Vega chart cost ~400 ms of browser time per drawing). `fractions` in
    [0, 1] set the lengths. The track and the other bars are the theme's text colour, faint:
    they read on light and dark."""
    best = int(np.argmax(fractions)) if len(fractions) and highlight else -1
    label_width = max(4.5, 0.62 * max((len(label) for label in labels), default=0))
    rows = []
    for number, (label, fraction, text) in enumerate(zip(labels, fractions, texts, strict=True)):
        colour = "#ff4b4b" if number == best else FAINT_INK
        width = 100 * min(max(float(fraction), 0.0), 1.0)
        rows.append(
            f'<div style="display:grid;grid-template-columns:{label_width:.1f}em 1fr 3.5em;'
            f"align-items:center;"
            f'gap:.5em;margin:2px 0">'
            f'<b style="text-align:right;white-space:nowrap">{html.escape(label)}</b>'
            f'<div style="background:color-mix(in srgb, currentColor 10%, transparent);'
            f'border-radius:3px;height:1.1em">'
            f'<div style="width:{width:.1f}%;background:{colour};height:100%;border-radius:3px">'
            f"</div></div>"
            f'<span style="text-align:right">{html.escape(text)}</span></div>'
        )
    with st.container(key=key):
        st.markdown(f"**{title}**")
        st.html("".join(rows))


def show_probabilities(
    probabilities: np.ndarray, key: str = "probabilities", if_a_digit: bool = False
) -> None:
    """The digits' probabilities as bars, the winner in red; an 11th output is "not a digit".
    if_a_digit: the answer is "not a digit", so these say how likely each digit is if it is
    one, and no bar is the winner."""
    fractions = [float(p) for p in probabilities]
    show_bars(
        "Probability of each digit, if it is a digit"
        if if_a_digit
        else "Probability of each digit",
        [label_text(label) for label in range(len(fractions))],
        fractions,
        [f"{100 * p:.1f}%" for p in fractions],
        key,
        highlight=not if_a_digit,
    )


# --- Pictures ---------------------------------------------------------------------------------


def enlarge(image: np.ndarray, scale: int = 10, grid: bool = True) -> np.ndarray:
    """A small [0, 1] grey image blown up with square pixels (and a faint grid) for display."""
    big = np.kron(np.clip(image, 0, 1), np.ones((scale, scale), np.float32))
    pixels = (big * 255).astype(np.uint8)
    if grid and scale >= 4:
        pixels[::scale, :] = np.maximum(pixels[::scale, :], 60)
        pixels[:, ::scale] = np.maximum(pixels[:, ::scale], 60)
    return pixels


def show_picture(picture: np.ndarray, caption: str, width: int | str = "stretch") -> None:
    """A grey [0, 1] picture (or RGB), enlarged by the browser with square pixels.

    The PNG goes inside the page (a data URL) rather than as a file the browser fetches after
    the run: a stroke redraws a dozen of these, and the fetches took ~50 ms. `width`: pixels,
    or "stretch" for the column's width.
    """
    pixels = (np.clip(picture, 0, 1) * 255).astype(np.uint8)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    size = "width:100%" if width == "stretch" else f"width:{width}px;max-width:100%"
    st.html(
        f'<figure class="picture" style="margin:0">'
        f'<img src="data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}" '
        f'alt="{html.escape(caption)}" style="{size};image-rendering:pixelated">'
        f'<figcaption style="font-size:.875rem;opacity:.7">{html.escape(caption)}</figcaption>'
        f"</figure>"
    )
