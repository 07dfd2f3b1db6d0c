"""For students who use a screen reader or only a keyboard: the answer announced once per new
answer, and a keyboard way to give the network a digit (the canvas needs a pointer).

Checked by tests/browser/test_accessibility_browser.py (see "Accessibility" in the README).
"""

from __future__ import annotations

import base64
import json

import numpy as np
import streamlit as st

from mnist_cnn.data import DataError, load_mnist
from mnist_cnn.ui.drawing import student_drawing, to_png

ANNOUNCEMENT_ID = "answer-announcement"  # the live region's id in the page
PICKER_LABEL = "Or pick a handwritten digit (keyboard)"

# One polite live region for the whole browser tab, made once in the page's <body>, outside the
# part Streamlit redraws: a region that is redrawn with its text is not reliably read out.
# Its text changes only when the answer does, so each new answer is read once.
ANNOUNCE_JS = """<span class="announcement"></span><script>
(() => {
  let region = document.getElementById(%(id)s);
  if (!region) {
    region = document.createElement('div');
    region.id = %(id)s;
    region.setAttribute('role', 'status');
    region.setAttribute('aria-live', 'polite');
    region.style.cssText = 'position:absolute;width:1px;height:1px;overflow:hidden;' +
      'clip-path:inset(50%%);white-space:nowrap';  // heard, not seen
    document.body.appendChild(region);
  }
  const text = %(text)s;
  // a moment later: a region just made must be in place before its text changes
  setTimeout(() => { if (region.textContent !== text) region.textContent = text; }, 150);
})();
</script>"""


def announce(text: str) -> None:
    """Say `text` to screen readers (politely, once: the same text again says nothing); ""
    empties the region, so the next answer is read even if it is the same as the last."""
    quoted = {
        "id": json.dumps(ANNOUNCEMENT_ID),
        "text": json.dumps(text).replace("</", "<\\/"),  # never ends the script early
    }
    st.html(ANNOUNCE_JS % quoted, unsafe_allow_javascript=True)


# --- A keyboard way to give the network a digit -----------------------------------------------


def picture_strokes(image: np.ndarray, size: int) -> tuple[list, np.ndarray]:
    """A 28x28 grey picture ([0, 1]) as the canvas holds a drawing: one fabric.js image object
    that fills the canvas (so the canvas shows it, and strokes can be drawn over it) and the
    canvas's RGBA picture (white ink whose opacity is the grey, on a transparent layer)."""
    scale = size // image.shape[0]
    ink = (np.kron(np.clip(image, 0, 1), np.ones((scale, scale))) * 255).round().astype(np.uint8)
    rgba = np.dstack([np.full_like(ink, 255)] * 3 + [ink])
    source = "data:image/png;base64," + base64.b64encode(to_png(rgba)).decode()
    picture = {
        "type": "image",
        "left": 0,
        "top": 0,
        "width": ink.shape[1],
        "height": ink.shape[0],
        "originX": "left",
        "originY": "top",
        "src": source,
        "selectable": False,
        "evented": False,
    }
    return [picture], rgba


def _load_picked(key: str, size: int) -> None:
    """Picker callback: the next MNIST test image of the chosen digit becomes the drawing.
    (The choice stays shown: set back to None here, the select box sent it a second time.)"""
    digit = st.session_state.get(f"{key}-pick")
    if digit is None:
        return
    try:
        data = load_mnist()  # where settings.mnist_dir() says, as Inside's test images
    except DataError as error:
        st.session_state[f"{key}-pick-error"] = f"**MNIST test images not found.** {error}"
        return
    picked = st.session_state.setdefault("picked", {})  # how many of each digit so far
    matches = np.flatnonzero(data.test_labels == digit)
    index = int(matches[picked.get(digit, 0) % len(matches)])
    picked[digit] = picked.get(digit, 0) + 1
    strokes, rgba = picture_strokes(data.test_images[index] / 255, size)
    student_drawing().replace(strokes, rgba)
    st.session_state[f"{key}-picked"] = f"On the canvas: MNIST test image {index:,}, a {digit}."


def digit_picker(key: str, size: int) -> None:
    """A select box that puts a handwritten digit on the canvas `key` (of `size` pixels):
    the keyboard's way to draw. Tab to it, type or arrow to a digit, press Enter."""
    st.selectbox(
        PICKER_LABEL,
        list(range(10)),
        index=None,
        placeholder="Choose a digit",
        key=f"{key}-pick",
        on_change=_load_picked,
        args=(key, size),
        width=size,
        help="Puts a handwritten digit from MNIST's test images on the canvas, for the network "
        "to read; the next time you pick that digit, another one. You can draw over it.",
    )
    if f"{key}-pick-error" in st.session_state:
        st.error(st.session_state.pop(f"{key}-pick-error"))
    if f"{key}-picked" in st.session_state:
        st.caption(st.session_state.pop(f"{key}-picked"))
