"""How the app looks: the page style every page gets, presenter mode, and the theme's colours.

Everything the app draws itself (bars, picture frames, the confusion matrix, charts) takes its
colours from here or from the theme's text colour (`currentColor` in CSS), so it reads in the
light and the dark theme alike.
"""

from __future__ import annotations

import json

import streamlit as st

from mnist_cnn.ui.accessible import PICKER_LABEL

PRESENTER_SCALE = 1.4  # presenter mode makes text, pictures, charts and the canvas this much larger
PRESENTER_KEY = "presenter"  # the toggle's key, and the URL's query parameter: ?presenter=true
DEFAULT_TEXT_COLOURS = {"light": "#2f2d2b", "dark": "#edebe8"}  # Streamlit 1.67's, if none is set

# Every page. Colours come from the theme: `currentColor` is its text colour.
PAGE_CSS = """
<style>
/* the elements that hold a script (the canvas toolbar's, the browser's cookie) and the
   announcer take no room */
[data-testid="stElementContainer"]:has(span.hide-canvas-toolbar),
[data-testid="stElementContainer"]:has(span.remember-browser),
[data-testid="stElementContainer"]:has(span.announcement) { display: none; }
/* Clear and Undo: large, for fingers and for the back of the classroom */
.st-key-drawing-buttons button { min-height: 3rem; font-size: 1.15rem; }
/* labels of checkboxes and toggles wrap rather than end in "…" (presenter mode, narrow columns) */
[data-testid="stCheckbox"] [data-testid="stWidgetLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
.st-key-counts [data-testid="stMetricLabel"] * {  /* "not a digit" over a narrow count */
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
/* the answer on one line ("7 · 98% sure"), however large the text (presenter mode) */
.st-key-prediction h1 { white-space: nowrap; }
@media (min-width: 641px) { .st-key-prediction h1 { font-size: min(2.75rem, 4.4vw); } }
/* pictures the app draws: a thin frame in the text colour, so black pictures show on dark */
[data-testid="stImageContainer"] img, figure.picture img {
  outline: 1px solid color-mix(in srgb, currentColor 35%, transparent);
}
/* the uploader's own size line ("Limit 25MB per file"): its label says what the page reads */
.st-key-upload [data-testid="stFileUploaderDropzoneInstructions"] small { display: none; }
/* wide charts (the confusion matrix) scroll inside their own box on a narrow screen */
.st-key-confusion-box { overflow-x: auto; max-width: 100%; }
.st-key-confusion-box [data-testid="stVegaLiteChart"] { max-width: none; }
/* progress bars jump to each new value: Streamlit's half-second slide to it, every second
   while a run trains, took headless Chromium from 6% to 9% of a core on a bare page, CPU that
   the training needs when the browser and the server share a small machine */
[data-testid="stProgress"] * { transition: none !important; }
/* a phone: less space above the page, so the canvas and the answer fit on one screen */
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-top: 4rem; }
  h1 { font-size: 1.6rem !important; padding: 0 !important; }
}
</style>
"""

# The dark theme's primary colour is a light red (see .streamlit/config.toml): Streamlit writes
# white on it, 2.8:1; no theme setting sets that text colour, so this does (about 7:1).
DARK_CSS = """
<style>[data-testid="stBaseButton-primary"] { color: #111111; }</style>
"""

PRESENTER_CSS = f"""
<style>
html {{ font-size: {16 * PRESENTER_SCALE}px; }}  /* Streamlit sizes text in rem */
[data-testid="stImageContainer"], [data-testid="stBidiComponentIsolated"], figure.picture {{
  zoom: {PRESENTER_SCALE};  /* pictures and the canvas are sized in pixels */
}}
[data-testid="stImageCaption"], figure.picture figcaption {{
  zoom: {1 / PRESENTER_SCALE:.3f};  /* captions are text */
}}
[data-testid="stMainBlockContainer"] {{ padding: 4rem 1.5rem 2rem; }}  /* room for all that */
/* at 1280x720 the whole canvas, Clear, Undo and the answer fit on Draw without scrolling */
h1 {{ font-size: 2.1rem !important; padding: 0 0 0.5rem !important; }}
.st-key-drawing-buttons button {{ min-height: 2.4rem; }}
.st-key-source [data-testid="stWidgetLabel"] {{  /* "Input": kept for screen readers only */
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
}}
[data-testid="stToolbar"], [data-testid="stElementToolbar"], [data-testid="stStatusWidget"] {{
  display: none;  /* the app menu, and the full-screen buttons on pictures and charts */
}}
</style>
"""

# The canvas (streamlit-drawable-canvas) has its own toolbar: invisible until hovered, never
# shown on a phone, and its pencil switches drawing off without a word. The page's own Clear
# and Undo replace it. It lives in the canvas's shadow root, which page CSS cannot reach, so
# this script puts a style inside every canvas as it appears. It also labels the canvas for
# screen readers (what it is, and the keyboard's way instead), which its own code does not.
CANVAS_LABEL = (
    "Drawing canvas, white ink on black: draw one digit with a mouse, pen or finger. "
    f"With a keyboard, use “{PICKER_LABEL}” below it."
)
HIDE_CANVAS_TOOLBAR_JS = """
<span class="hide-canvas-toolbar"></span>
<script>
(() => {
  const LABEL = %s;
  if (window.hideCanvasToolbar) return;
  window.hideCanvasToolbar = () => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (root && !root.querySelector('style.hide-canvas-toolbar')) {
        const style = document.createElement('style');
        style.className = 'hide-canvas-toolbar';
        style.textContent = '.dc-toolbar { display: none !important; }';
        root.appendChild(style);
      }
      for (const canvas of root ? root.querySelectorAll('canvas') : []) {
        if (canvas.classList.contains('upper-canvas')) {  // the layer that takes the strokes
          canvas.setAttribute('role', 'img');
          canvas.setAttribute('aria-label', LABEL);
        } else {
          canvas.setAttribute('aria-hidden', 'true');  // the ink and background layers
        }
      }
    }
  };
  new MutationObserver(window.hideCanvasToolbar)
    .observe(document.body, {childList: true, subtree: true});
  setInterval(window.hideCanvasToolbar, 300);
})();
</script>
"""


def page_style() -> None:
    """The style every page gets (and presenter mode's when it is on). Call once per page run."""
    st.html(PAGE_CSS + (PRESENTER_CSS if is_presenter() else "") + (DARK_CSS if is_dark() else ""))


def hide_canvas_toolbar() -> None:
    """Hide the toolbar of every canvas on the page and label the canvas for screen readers
    (digit_canvas calls it)."""
    script = HIDE_CANVAS_TOOLBAR_JS % json.dumps(CANVAS_LABEL)
    st.html(script, unsafe_allow_javascript=True)


def presenter_toggle() -> None:
    """A toggle that makes every page readable on a projector. It is kept in the page's URL
    (?presenter=true), so it survives a reload and can be bookmarked."""
    st.toggle(
        "Presenter mode",
        key=PRESENTER_KEY,
        bind="query-params",
        persist_state="session",
        help="Larger text, pictures, charts and canvas for a projector; hides the app menu. "
        "Bookmark the page with it on: the address ends in ?presenter=true.",
    )


def is_presenter() -> bool:
    return bool(st.session_state.get(PRESENTER_KEY, False))


def chart_scale() -> float:
    """How much larger charts draw their text and cells: PRESENTER_SCALE in presenter mode."""
    return PRESENTER_SCALE if is_presenter() else 1.0


def is_dark() -> bool:
    """Whether the browser shows the dark theme (light until the browser has said)."""
    return st.context.theme.type == "dark"


def text_colour() -> str:
    """The theme's text colour, for charts (Vega cannot read CSS): .streamlit/config.toml's,
    else Streamlit's default."""
    theme = "dark" if is_dark() else "light"
    return st.get_option(f"theme.{theme}.textColor") or DEFAULT_TEXT_COLOURS[theme]
