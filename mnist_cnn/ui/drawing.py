"""The student's drawing: one per browser session, kept across pages, with its own history.

Every canvas in the app (Draw, Inside the CNN) shows and changes the same drawing. The canvas
component keeps what is drawn only while it stays on screen, so the drawing lives here, in
session state: each version as the canvas's strokes (to draw it again) and its picture (to
read it without waiting for the canvas).

The canvas (one per page, its key fixed) is given the drawing to show through
`initial_drawing`, which is changed only when the drawing must change other than by drawing:
after Clear and Undo (the page's own buttons), and at each full run of a page, when the canvas
may have been off screen (another page, the Upload view) and must show what was drawn since.
The canvas then shows it and sends it back. Changing it after every stroke would make the canvas
load and send again after every stroke. Until the canvas sends, it returns what it sent last:
a canvas's value counts only when it differs from what that canvas sent before (`last_sent`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import streamlit as st
from PIL import Image

HISTORY_LIMIT = 30  # versions kept for Undo
STATE_KEY = "drawing"


@dataclass(frozen=True)
class Version:
    """One state of the drawing: the canvas's strokes (fabric.js objects) and its picture."""

    strokes: list = field(default_factory=list)
    png: bytes | None = None  # the canvas's RGBA picture; None: nothing drawn

    @property
    def image(self) -> np.ndarray | None:
        if self.png is None:
            return None
        return np.asarray(Image.open(io.BytesIO(self.png)))


def to_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Drawing:
    """The versions of one student's drawing, oldest first; what the canvases are told to show
    (the strokes, and a revision that changes every time they are told again); and what each
    canvas (by key) sent last."""

    versions: list[Version] = field(default_factory=lambda: [Version()])
    canvas_strokes: list = field(default_factory=list)
    canvas_revision: int = 0
    last_sent: dict = field(default_factory=dict)

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def can_undo(self) -> bool:
        return len(self.versions) > 1

    @property
    def initial_drawing(self) -> dict:
        """What a canvas shows when it appears or is told again (`st_canvas(initial_drawing=)`)."""
        return {"objects": self.canvas_strokes, "drawingRevision": self.canvas_revision}

    def is_new(self, key: str, strokes: list) -> bool:
        """Whether the canvas `key` sent something new since it last sent (and note it)."""
        if self.last_sent.get(key) == strokes:
            return False
        self.last_sent[key] = strokes
        return True

    def record(self, strokes: list, image: np.ndarray) -> None:
        """What a canvas sent after a stroke; nothing happens if it is what we have (a canvas
        told to show the drawing again sends it back, its strokes perhaps written differently)."""
        if same_strokes(strokes, self.current.strokes) or self.looks_the_same(image):
            return
        self.versions.append(Version(strokes, to_png(image)))
        del self.versions[:-HISTORY_LIMIT]

    def looks_the_same(self, image: np.ndarray) -> bool:
        current = self.current.image
        if current is None:
            return not np.asarray(image)[..., :3].any()  # nothing drawn, and nothing sent
        return current.shape == np.shape(image) and np.array_equal(current, image)

    def replace(self, strokes: list, image: np.ndarray) -> None:
        """Make something not drawn the drawing (a picked digit: the keyboard's way to draw);
        the canvases show it, and Undo brings back what was there before."""
        self.versions.append(Version(strokes, to_png(image)))
        del self.versions[:-HISTORY_LIMIT]
        self.show_again()

    def show_again(self) -> None:
        """Tell the canvases to show the drawing as it is now."""
        self.canvas_strokes = self.current.strokes
        self.canvas_revision += 1

    def clear(self) -> None:
        """Empty the canvas (Undo brings the drawing back)."""
        if self.current.strokes or self.current.png is not None:
            self.versions.append(Version())
            del self.versions[:-HISTORY_LIMIT]
        self.show_again()

    def undo(self) -> None:
        """Back to the drawing before the last stroke (or before Clear)."""
        if self.can_undo:
            self.versions.pop()
        self.show_again()


def same_strokes(sent: list, kept: list) -> bool:
    """Whether a canvas sent back the strokes we have: equal, or a picture (a picked digit)
    that the canvas writes out with more fields than it was given, but the same picture."""
    return len(sent) == len(kept) and all(
        one == other or (one.get("src") is not None and one.get("src") == other.get("src"))
        for one, other in zip(sent, kept, strict=True)
    )


def student_drawing() -> Drawing:
    """This session's drawing, shared by every page with a canvas."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = Drawing()
    return st.session_state[STATE_KEY]
