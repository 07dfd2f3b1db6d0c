"""A class in Chromium (issue #15): Clear and Undo with a mouse and a finger, one drawing kept
across Draw, its Upload view and Inside the CNN, two browsers and the sidebar, a phone, the
dark theme and presenter mode.

Screenshots go to test-results/screenshots/ (ignored by git): look at them after a change of
layout or colours.
"""

import re
import shutil

import numpy as np
import pytest
from playwright.sync_api import expect

from mnist_cnn.storage import ASSETS_DIR, ModelStore
from tools.browser import (
    REPO_ROOT,
    active_model_text,
    app_exceptions,
    canvas_button,
    canvas_ink,
    choose_option,
    clear_canvas,
    draw_strokes,
    one_stroke,
    open_app,
    open_page,
    read_prediction,
    settled_ink,
    undo_canvas,
    wait_for_rerun,
)
from tools.strokes import digit_strokes

PREDICTED = re.compile(r"(\d) · \d+% sure")
SCREENSHOTS = REPO_ROOT / "test-results" / "screenshots"
BAR_TRACK = ".st-key-probabilities [style*='border-radius:3px;height:1.1em']"
COLOUR_JS = """element => {  // the background colour as [red, green, blue, alpha], each 0-255
  const pixel = document.createElement('canvas').getContext('2d');
  pixel.fillStyle = getComputedStyle(element).backgroundColor;
  pixel.fillRect(0, 0, 1, 1);
  return [...pixel.getImageData(0, 0, 1, 1).data];
}"""


@pytest.fixture(scope="module")
def app_url(app_server, tmp_path_factory):
    return app_server("app.py", env={"MNIST_CNN_MODELS_DIR": str(tmp_path_factory.mktemp("m"))})


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def digit_read(page) -> int | None:
    match = PREDICTED.match(read_prediction(page))
    return int(match[1]) if match else None


def seven():
    return digit_strokes(7, np.random.default_rng(1))


def test_clear_and_undo_with_the_mouse(app_url, page):
    open_app(page, app_url)
    for name in ("Clear", "Undo"):  # large, on screen before anyone hovers anything
        expect(canvas_button(page, name)).to_be_visible()
        assert canvas_button(page, name).bounding_box()["height"] >= 40
    expect(canvas_button(page, "Undo")).to_be_disabled()  # nothing to undo yet
    draw_strokes(page, seven())
    assert digit_read(page) == 7
    # the canvas's own toolbar (its pencil switched drawing off) is gone
    assert not page.locator(".st-key-canvas .dc-toolbar").is_visible()

    one_stroke = canvas_ink(page)
    draw_strokes(page, [[(0.1, 0.9), (0.9, 0.9)]])
    assert canvas_ink(page) > one_stroke
    undo_canvas(page)
    assert settled_ink(page, one_stroke) == one_stroke and digit_read(page) == 7

    clear_canvas(page)
    assert settled_ink(page, 0) == 0
    assert "Draw a digit" in read_prediction(page)
    draw_strokes(page, seven())  # drawing goes on after Clear
    assert digit_read(page) == 7
    assert not app_exceptions(page), app_exceptions(page)


def test_clear_and_undo_with_a_finger(app_url, new_context):
    page = new_context(has_touch=True, viewport={"width": 390, "height": 844}).new_page()
    open_app(page, app_url)
    draw_strokes(page, one_stroke(7, np.random.default_rng(1)), touch=True)
    assert digit_read(page) == 7
    undo_canvas(page, touch=True)  # a tap
    assert settled_ink(page, 0) == 0 and "Draw a digit" in read_prediction(page)
    draw_strokes(page, digit_strokes(3, np.random.default_rng(2)), touch=True)
    assert digit_read(page) == 3
    clear_canvas(page, touch=True)
    assert settled_ink(page, 0) == 0 and "Draw a digit" in read_prediction(page)
    assert not app_exceptions(page), app_exceptions(page)


def test_one_drawing_across_upload_and_inside_the_cnn(app_url, page):
    open_app(page, app_url)
    draw_strokes(page, seven())
    ink = canvas_ink(page)
    source = page.locator(".st-key-source")
    with wait_for_rerun(page):
        source.get_by_role("radio", name="Upload a photo").click()
    with wait_for_rerun(page):
        source.get_by_role("radio", name="Draw").click()
    assert digit_read(page) == 7 and settled_ink(page, ink) == ink

    open_page(page, "Inside the CNN")
    assert digit_read(page) == 7  # the same drawing, read at once
    assert settled_ink(page, ink, "inside-canvas") == ink
    draw_strokes(page, [[(0.1, 0.9), (0.9, 0.9)]], key="inside-canvas")
    changed = read_prediction(page)

    open_page(page, "Draw")
    assert canvas_ink(page) > ink  # with the stroke added on Inside
    assert read_prediction(page).splitlines()[0] == changed.splitlines()[0]
    assert not app_exceptions(page), app_exceptions(page)


def test_the_steps_toggle_stays_on_after_clear(app_url, page):
    open_app(page, app_url)
    draw_strokes(page, seven())
    with wait_for_rerun(page):
        page.locator(".st-key-show-steps").get_by_text("Show how").click()
    clear_canvas(page)
    draw_strokes(page, digit_strokes(1, np.random.default_rng(0)))
    expect(page.locator(".st-key-show-steps input")).to_be_checked()
    # a tall "1" stays small in step 2 (it was a 600 px column)
    steps = page.locator('[data-testid="stImage"]').all()
    assert steps and max(step.bounding_box()["height"] for step in steps) < 320


def test_two_browsers_see_a_switch_and_a_deletion_within_seconds(
    app_server, new_context, tmp_path_factory
):
    models = tmp_path_factory.mktemp("two-browsers")
    store = ModelStore(models)
    second = store.new_run("Second model", {"epochs": 1}, status="finished")
    shutil.copy(ASSETS_DIR / "model.keras", second.model_path)
    url = app_server("app.py", env={"MNIST_CNN_MODELS_DIR": str(models)})
    teacher, student = (new_context().new_page() for _ in range(2))
    open_app(teacher, url)
    open_app(student, url)
    draw_strokes(student, seven())
    assert "Shipped" in active_model_text(student)

    switcher = teacher.locator("[class*='st-key-model-switcher-']")
    choose_option(teacher, switcher, re.compile("Second model"))
    expect(teacher.locator(".st-key-active-model")).to_contain_text("Second model")
    # the student does nothing: the sidebar's watcher (every 2 s) reruns the page
    expect(student.locator(".st-key-active-model")).to_contain_text("Second model", timeout=15_000)
    expect(student.locator('[data-testid="stToast"]')).to_contain_text("The model is now")
    assert digit_read(student) == 7  # the drawing, read again by the new model

    ModelStore(models).delete(second.id)  # deleted (here from outside the app)
    expect(student.locator(".st-key-active-model")).to_contain_text("Shipped", timeout=15_000)
    expect(teacher.locator(".st-key-active-model")).to_contain_text("Shipped", timeout=15_000)
    assert not app_exceptions(student), app_exceptions(student)


def test_a_phone_shows_the_answer_without_scrolling(app_url, new_context, mnist):
    page = new_context(has_touch=True, viewport={"width": 390, "height": 844}).new_page()
    open_app(page, app_url)
    scroll = "() => document.querySelector('[data-testid=\"stMain\"]').scrollTop"
    draw_strokes(page, seven(), touch=True)
    assert digit_read(page) == 7
    headline = page.locator(".st-key-prediction h1")
    expect(headline).to_be_in_viewport(ratio=1.0)
    assert page.evaluate(scroll) == 0
    screenshot(page, "phone-draw")

    open_app(page, app_url + "/metrics")  # (the sidebar is folded away on a phone)
    box = page.locator(".st-key-confusion-box")
    box.wait_for(timeout=120_000)  # the first scoring of the shipped model
    box.locator("canvas, svg").first.wait_for(timeout=30_000)  # Vega draws after the run
    page.wait_for_function(
        "() => document.querySelector('.st-key-confusion-box').scrollWidth > 400", timeout=30_000
    )
    sizes = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert sizes[0] > sizes[1]  # wider than the phone: it scrolls inside its box
    assert box.evaluate("b => getComputedStyle(b).overflowX") == "auto"
    screenshot(page, "phone-metrics")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_both_themes_draw_readable_bars(app_url, new_context, scheme):
    page = new_context(color_scheme=scheme, viewport={"width": 1400, "height": 1000}).new_page()
    open_app(page, app_url)
    draw_strokes(page, seven())
    assert digit_read(page) == 7
    # the empty part of a bar is the theme's text colour, faint: on a dark page a faint light
    # grey, on a light page a faint dark grey (it was near-white on dark: every bar looked full)
    page_red = page.locator('[data-testid="stApp"]').evaluate(COLOUR_JS)[0]
    red, _, _, alpha = page.locator(BAR_TRACK).first.evaluate(COLOUR_JS)
    assert alpha <= 0.2 * 255
    assert (page_red < 100 and red > 200) if scheme == "dark" else (page_red > 200 and red < 100)
    page.wait_for_timeout(300)
    screenshot(page, f"draw-{scheme}")


def test_presenter_mode_at_1280x720_survives_a_reload(app_url, new_context):
    page = new_context(viewport={"width": 1280, "height": 720}).new_page()
    open_app(page, app_url + "/?presenter=true")
    expect(page.locator(".st-key-presenter input")).to_be_checked()
    page.wait_for_function(
        "() => parseFloat(getComputedStyle(document.documentElement).fontSize) > 20"
    )
    draw_strokes(page, seven())
    assert digit_read(page) == 7
    headline = page.locator(".st-key-prediction h1")
    assert headline.evaluate("h => h.scrollWidth <= h.clientWidth + 1")  # on one line, whole
    for name in ("This is right", "Save"):
        button = page.locator(".st-key-feedback").get_by_role("button", name=name)
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), name  # not "S..."
    screenshot(page, "presenter-draw")

    open_page(page, "Inside the CNN")
    page.wait_for_url(re.compile(r"/inside\?presenter=true"))  # kept from page to page
    page.reload()
    open_app(page, page.url)
    expect(page.locator(".st-key-presenter input")).to_be_checked()
    page.wait_for_function(
        "() => parseFloat(getComputedStyle(document.documentElement).fontSize) > 20"
    )
    assert digit_read(page) is None  # a reload is a new session: a new drawing
    screenshot(page, "presenter-inside")
