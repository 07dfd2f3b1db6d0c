"""Accessibility (issue #27): axe-core's WCAG 2.1 A and AA rules over every page, in the light
and the dark theme, in presenter mode, with a digit drawn, a drawing saved and a finished run;
a keyboard alone gets a digit read on Draw and follows it on Inside; the answer is announced
in a polite live region, once per new answer.

axe-core comes bundled with the `axe-playwright-python` package: nothing is downloaded.
"""

import dataclasses
import re
import shutil

import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from mnist_cnn.config import TrainConfig
from mnist_cnn.status import Status
from mnist_cnn.storage import ASSETS_DIR, ModelStore
from mnist_cnn.ui.accessible import ANNOUNCEMENT_ID, PICKER_LABEL
from tests.browser.conftest import training_env
from tools.browser import (
    app_exceptions,
    canvas_ink,
    canvas_locator,
    clear_canvas,
    draw_strokes,
    open_app,
    open_page,
    read_prediction,
    settled_ink,
    wait_for_app_idle,
    wait_for_rerun,
)
from tools.strokes import digit_strokes

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("serious", "critical")
# WCAG 1.4.3 asks no contrast of an inactive control's text. axe knows a disabled input, but not
# the label Streamlit writes for it apart (`<label disabled>`: "It was a" once a drawing is saved).
INACTIVE = {"exclude": [["label[disabled]"]]}
PAGES = ["Draw", "Inside the CNN", "Train", "Metrics", "Class digits"]
METRICS_TABS = ["Confusion matrix", "Per digit", "Mistakes", "Training run", "All models"]
ANNOUNCEMENT = f"#{ANNOUNCEMENT_ID}"
PREDICTED = re.compile(r"(\d) · \d+% sure")


@pytest.fixture(scope="module")
def app_url(app_server, tmp_path_factory, mnist):
    """An app whose models folder holds a finished run with its curves, besides the shipped one."""
    env = training_env(tmp_path_factory, mnist)
    store = ModelStore(env["MNIST_CNN_MODELS_DIR"])
    run = store.new_run("A finished run", TrainConfig(epochs=2), status=Status.FINISHED)
    shutil.copy(ASSETS_DIR / "model.keras", run.model_path)
    history = {"loss": [0.3, 0.1], "accuracy": [0.91, 0.97]}
    history |= {"val_loss": [0.12, 0.08], "val_accuracy": [0.96, 0.98]}
    store.update(
        dataclasses.replace(
            run,
            history=history,
            test_accuracy=0.981,
            test_loss=0.07,
            train_seconds=6.2,
            epochs_completed=2,
        )
    )
    return app_server("app.py", env=env)


def serious_violations(page, where: str) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    wait_for_app_idle(page)
    page.wait_for_timeout(300)  # Vega and the canvas draw after the run
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    found = Axe().run(page, context=INACTIVE, options=options).response["violations"]
    return [
        f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}: "
        f"{[node['target'] for node in violation['nodes'][:4]]} "
        f"{violation['nodes'][0].get('failureSummary', '')[:200]}"
        for violation in found
        if violation["impact"] in FAILING
    ]


def seven():
    return digit_strokes(7, np.random.default_rng(1))


def every_page(page, mode: str) -> list[str]:
    """Visit every page (the Draw page's drawing kept), every Metrics tab; check each."""
    problems = serious_violations(page, f"Draw, {mode}")
    for title in PAGES[1:]:
        open_page(page, title)
        if title == "Metrics":
            chart = page.locator(".st-key-confusion-box [data-testid='stVegaLiteChart']")
            chart.locator("canvas, svg.marks").first.wait_for(timeout=120_000)  # first scoring
            for tab in METRICS_TABS:
                page.get_by_role("tab", name=tab).click()  # shown at once: no run
                problems += serious_violations(page, f"Metrics, {tab}, {mode}")
        else:
            problems += serious_violations(page, f"{title}, {mode}")
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_violation_on_any_page(app_url, new_context, scheme):
    page = new_context(color_scheme=scheme).new_page()
    open_app(page, app_url)
    problems = serious_violations(page, "Draw, nothing drawn")
    draw_strokes(page, seven())
    assert PREDICTED.match(read_prediction(page))
    with wait_for_rerun(page):  # one drawing saved: the Class digits page shows a gallery
        page.locator(".st-key-feedback").get_by_role("button", name="This is right").click()
    problems += every_page(page, scheme)

    if scheme == "dark":  # presenter mode changes sizes, not colours: one theme is enough
        open_app(page, app_url + "/?presenter=true")  # a new session: draw again
        draw_strokes(page, seven())
        assert PREDICTED.match(read_prediction(page))
        problems += every_page(page, f"{scheme}, presenter mode")
    assert not problems, "\n".join(problems)
    assert not app_exceptions(page), app_exceptions(page)


def tab_to(page, accessible_name: str, backwards: bool = False, presses: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the focused element is named `accessible_name`."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(presses):
        page.keyboard.press(key)
        label, text = page.evaluate(
            "() => [document.activeElement.getAttribute('aria-label'),"
            " document.activeElement.innerText || '']"
        )
        if label == accessible_name or (label is None and text.strip().endswith(accessible_name)):
            return  # (a link's or button's text starts with its icon's name)
    pytest.fail(f"{presses} presses of {key} never reached {accessible_name!r}")


def pick_with_keys(page, digit: int) -> None:
    """The focused picker: type the digit, Enter; waits for the page to read it."""
    page.keyboard.type(str(digit))
    with wait_for_rerun(page):
        page.keyboard.press("Enter")


def picker_looks(page) -> bytes:
    """The Draw page's picker as it looks (the text cursor hidden): focus must change it."""
    return page.locator(".st-key-canvas-pick").screenshot(caret="hide", animations="disabled")


def test_a_keyboard_alone_gets_a_digit_read_and_follows_it_inside(app_url, page):
    open_app(page, app_url)
    canvas = canvas_locator(page)
    # what it is, and the way round (the page labels the canvas a moment after it appears)
    expect(canvas).to_have_attribute("aria-label", re.compile("Drawing canvas"))
    assert PICKER_LABEL in canvas.get_attribute("aria-label")
    expect(canvas).to_have_attribute("role", "img")

    unfocused = picker_looks(page)
    tab_to(page, PICKER_LABEL)
    assert picker_looks(page) != unfocused  # focus shows
    pick_with_keys(page, 7)
    assert PREDICTED.match(read_prediction(page))[1] == "7"
    assert canvas_ink(page) > 0  # the picked digit is on the canvas
    expect(page.locator(ANNOUNCEMENT)).to_have_text(re.compile(r"The network reads 7, \d+% sure\."))

    tab_to(page, "Undo", backwards=True)  # one Undo takes the picked digit back
    with wait_for_rerun(page):
        page.keyboard.press("Enter")
    assert "Draw a digit" in read_prediction(page) and settled_ink(page, 0) == 0
    tab_to(page, PICKER_LABEL)
    pick_with_keys(page, 4)
    first = read_prediction(page)
    assert PREDICTED.match(first)[1] == "4"

    tab_to(page, "Inside the CNN", backwards=True)  # up through the sidebar to the page link
    with wait_for_rerun(page):
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inside"))
    assert read_prediction(page).splitlines()[0] == first.splitlines()[0]  # the same drawing
    assert canvas_ink(page, "inside-canvas") > 0
    tab_to(page, PICKER_LABEL)  # Inside has the same keyboard way
    pick_with_keys(page, 3)
    assert PREDICTED.match(read_prediction(page))[1] == "3"
    expect(page.locator(ANNOUNCEMENT)).to_have_text(re.compile(r"The network reads 3, \d+% sure\."))
    assert not app_exceptions(page), app_exceptions(page)


COUNT_CHANGES_JS = """id => {  // count what the live region says from now on
  window.__said = [];
  const region = document.getElementById(id);
  new MutationObserver(() => window.__said.push(region.textContent))
    .observe(region, {childList: true, characterData: true, subtree: true});
}"""


def test_each_new_answer_is_announced_once(app_url, page):
    open_app(page, app_url)
    region = page.locator(ANNOUNCEMENT)
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_have_attribute("role", "status")
    assert region.inner_text() == ""  # nothing read yet: nothing said

    page.evaluate(COUNT_CHANGES_JS, ANNOUNCEMENT_ID)
    draw_strokes(page, seven())
    headline = read_prediction(page).splitlines()[0]
    digit, percent = re.match(r"(\d) · (\d+)% sure", headline).groups()
    expect(region).to_have_text(f"The network reads {digit}, {percent}% sure.")
    page.wait_for_timeout(500)
    said = page.evaluate("() => window.__said")
    assert said == [f"The network reads {digit}, {percent}% sure."]

    with wait_for_rerun(page):  # the page runs again, the answer stays: nothing more is said
        page.locator(".st-key-show-steps").get_by_text("Show how").click()
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__said.length") == 1

    clear_canvas(page)  # no answer: the region empties, so the same answer next is said again
    expect(region).to_have_text("")
    draw_strokes(page, seven())
    expect(region).to_have_text(f"The network reads {digit}, {percent}% sure.")
    open_page(page, "Inside the CNN")  # the same answer on another page: not said again
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__said").count(said[0]) == 2
    assert page.locator(ANNOUNCEMENT).count() == 1  # one region for the whole tab
