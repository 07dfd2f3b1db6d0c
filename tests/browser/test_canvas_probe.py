"""The browser harness works on its own: draw, undo and clear on a tiny app with the app's canvas
(ui/widgets.digit_canvas: the canvas and the page's own Clear and Undo buttons)."""

import re
from pathlib import Path

from .conftest import clear_canvas, draw_strokes, open_app, undo_canvas, wait_for_app_idle

PROBE_APP = Path(__file__).with_name("canvas_probe_app.py")


def read_ink(page) -> int | None:
    wait_for_app_idle(page)
    text = page.locator(".st-key-probe").inner_text()
    match = re.search(r"ink=(none|\d+)", text)
    assert match, f"unexpected probe text {text!r}"
    return None if match[1] == "none" else int(match[1])


def test_draw_undo_clear_round_trip(app_server, page):
    open_app(page, app_server(PROBE_APP))
    assert read_ink(page) is None  # nothing sent before the first drawing

    draw_strokes(page, [[(0.5, 0.15), (0.5, 0.85)]])
    one_stroke = read_ink(page)
    assert one_stroke > 0

    draw_strokes(page, [[(0.2, 0.5), (0.8, 0.5)], [(0.3, 0.3), (0.7, 0.7)]])
    three_strokes = read_ink(page)
    assert three_strokes > one_stroke

    undo_canvas(page)
    assert one_stroke <= read_ink(page) < three_strokes

    clear_canvas(page)
    assert read_ink(page) in (None, 0)  # nothing drawn (the cleared canvas may send itself)
    undo_canvas(page)  # Undo brings back what Clear took away
    assert one_stroke <= read_ink(page) < three_strokes
