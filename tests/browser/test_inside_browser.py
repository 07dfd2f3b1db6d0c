"""The Inside the CNN page in a real browser: draw a digit, see every layer's pictures and the
prediction, turn the digit with the keyboard on the rotation slider, switch presenter mode on.

The digits come from tools.strokes with a fixed seed, as in test_draw_browser.py.
"""

import re

import numpy as np
import pytest

from tools.browser import app_exceptions, canvas_locator, draw_strokes, open_app, wait_for_rerun
from tools.strokes import digit_strokes

PREDICTED = re.compile(r"(\d) · (\d+)% sure")
PREDICTION = ".st-key-prediction"
CANVAS = "inside-canvas"
LAYERS = ("image", "conv1", "pool1", "conv2", "pool2", "flatten", "dense", "digit")
FONT_SIZE_JS = "selector => parseFloat(getComputedStyle(document.querySelector(selector)).fontSize)"


@pytest.fixture(scope="module")
def inside_url(app_server, tmp_path_factory):
    models = str(tmp_path_factory.mktemp("models"))
    return app_server("app.py", env={"MNIST_CNN_MODELS_DIR": models}) + "/inside"


def prediction_text(page) -> str:
    return page.locator(PREDICTION).inner_text(timeout=5_000).strip()


def wait_for_pictures(page, selector, count) -> None:
    """Wait until `count` pictures under `selector` are loaded and drawn (they load after the
    run; below the fold, only once scrolled to)."""
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_function(
        """([selector, count]) => {
          const images = [...document.querySelectorAll(selector + ' img')];
          return images.length === count && images.every(img => img.complete && img.naturalWidth > 0);
        }""",
        arg=[selector, count],
        timeout=20_000,
    )


def test_a_drawn_digit_through_every_layer_and_turned_upside_down(inside_url, page):
    open_app(page, inside_url)
    assert "Draw a digit" in prediction_text(page)

    draw_strokes(page, digit_strokes(2, np.random.default_rng(4)), key=CANVAS)
    upright = prediction_text(page)
    assert PREDICTED.match(upright)[1] == "2", upright
    wait_for_pictures(page, ".st-key-playground", 2)  # what it sees, where it looks
    for name in LAYERS:
        assert page.locator(f".st-key-layer-{name}").is_visible(), name
    wait_for_pictures(page, ".st-key-layer-conv1", 2)  # the filters and their maps
    assert "24 × 24 ×" in page.locator(".st-key-layer-conv1").inner_text()

    rotation = page.locator(".st-key-rotation").get_by_role("slider")  # a hidden range input
    with wait_for_rerun(page):
        rotation.press("End")  # the keyboard's way to the largest angle: 180°
    assert rotation.input_value() == "180"
    turned = prediction_text(page)
    assert "Before the sliders: " + upright.splitlines()[0] in turned
    assert turned.splitlines()[0] != upright.splitlines()[0], turned
    assert not app_exceptions(page), app_exceptions(page)


def test_presenter_mode_makes_text_larger_and_the_canvas_still_draws(inside_url, page):
    open_app(page, inside_url)
    root_before = page.evaluate(FONT_SIZE_JS, "html")
    text_before = page.evaluate(FONT_SIZE_JS, '[data-testid="stMarkdownContainer"] p')
    assert page.locator('[data-testid="stToolbar"]').is_visible()

    with wait_for_rerun(page):
        page.locator(".st-key-presenter").get_by_text("Presenter mode").click()
    # the style arrives with the rerun but applies a frame or two after it finishes
    page.wait_for_function(
        "least => parseFloat(getComputedStyle(document.documentElement).fontSize) >= least",
        arg=1.3 * root_before,
        timeout=5_000,
    )
    assert page.evaluate(FONT_SIZE_JS, "html") >= 1.3 * root_before
    assert page.evaluate(FONT_SIZE_JS, '[data-testid="stMarkdownContainer"] p') >= 1.3 * text_before
    assert not page.locator('[data-testid="stToolbar"]').is_visible()

    # the canvas is shown larger; strokes must still land where the pointer goes
    box = canvas_locator(page, CANVAS).bounding_box()
    assert box["width"] >= 1.3 * 280
    draw_strokes(page, digit_strokes(2, np.random.default_rng(4)), key=CANVAS)
    assert PREDICTED.match(prediction_text(page))[1] == "2"
    assert not app_exceptions(page), app_exceptions(page)
