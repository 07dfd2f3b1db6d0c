"""The student's drawing: one per browser session, kept across pages, with its own history.

Every canvas in the app (Draw, Inside the CNN) shows and changes the same drawing. The canvas
component keeps what is drawn only while it stays on screen, so the drawing lives here, in
session state: each version as the canvas's strokes (to draw it again) and its picture (to
read it without waiting for the canvas).

A canvas is given its first drawing once (`initial_drawing`): changing it later makes the
canvas load it again and send it back, a second run for every stroke. So each canvas keeps the
strokes it started with, and a new canvas (a new key) starts from the drawing as it now is:
after Clear and Undo (the page's own buttons), and at each full run of a page, when the canvas
may have been off screen (another page, or the Upload view) and must show what was drawn since.
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
    """The versions of one student's drawing, oldest first; the number that names the canvas
    on screen (part of its key) and the strokes that canvas started with."""

    versions: list[Version] = field(default_factory=lambda: [Version()])
    canvas_number: int = 0
    canvas_strokes: list = field(default_factory=list)

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def can_undo(self) -> bool:
        return len(self.versions) > 1

    def record(self, strokes: list, image: np.ndarray) -> None:
        """What the canvas sent after a stroke; nothing happens if it is what we have."""
        if strokes == self.current.strokes:
            return
        self.versions.append(Version(strokes, to_png(image)))
        del self.versions[:-HISTORY_LIMIT]

    def new_canvas(self) -> None:
        """The next canvas shown gets a new key and starts from the drawing as it is now."""
        self.canvas_number += 1
        self.canvas_strokes = self.current.strokes

    def clear(self) -> None:
        """Empty the canvas (Undo brings the drawing back)."""
        if self.current.strokes or self.current.png is not None:
            self.versions.append(Version())
            del self.versions[:-HISTORY_LIMIT]
        self.new_canvas()

    def undo(self) -> None:
        """Back to the drawing before the last stroke (or before Clear)."""
        if self.can_undo:
            self.versions.pop()
        self.new_canvas()


def student_drawing() -> Drawing:
    """This session's drawing, shared by every page with a canvas."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = Drawing()
    return st.session_state[STATE_KEY]
