"""The student's drawing: one per browser session, kept across pages, with its own history.

Every canvas in the app (Draw, Inside the CNN) shows and changes the same drawing. The canvas
component keeps what is drawn only while it stays on screen, so the drawing lives here, in
session state: each version as the canvas's strokes (to draw it again) and its picture (to
read it without waiting for the canvas). Clear and Undo are the page's own buttons: they change
the drawing here and give the canvas a new key, so it starts again from the drawing as it now is.
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
    """The versions of one student's drawing, oldest first, and a counter that names the
    canvas showing it (it changes whenever the drawing changes other than by drawing)."""

    versions: list[Version] = field(default_factory=lambda: [Version()])
    canvas_number: int = 0

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

    def clear(self) -> None:
        """Empty the canvas (Undo brings the drawing back)."""
        if self.current.strokes or self.current.png is not None:
            self.versions.append(Version())
            del self.versions[:-HISTORY_LIMIT]
        self.canvas_number += 1

    def undo(self) -> None:
        """Back to the drawing before the last stroke (or before Clear)."""
        if self.can_undo:
            self.versions.pop()
        self.canvas_number += 1


def student_drawing() -> Drawing:
    """This session's drawing, shared by every page with a canvas."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = Drawing()
    return st.session_state[STATE_KEY]
