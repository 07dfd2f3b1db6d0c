"""The Train page in a real browser, with the real app training a tiny network.

Two students, two browser contexts (so two sessions of one server). The second one has the
Train page open when the first starts a tiny run: the run shows up there live (name and
progress); the second student queues a run behind it, is told its place, and cancels it. The
first student watches the progress bar move and the curves appear, sees the run end in the
runs list with its test accuracy, makes it the active model, and finds it named in the Draw
page's sidebar.

The second page is loaded before the run starts on purpose: loading the page while a run
trains takes 15-45 s on a busy two-core machine, longer than the tiny run itself, and would
make the queue check a race. Progress and toasts are sampled inside the pages (every 100 ms,
by small scripts) because the bar moves and toasts vanish while Python drives the other page.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import training_env
from tools.browser import app_exceptions, open_app, wait_for_app_idle, wait_for_rerun

# 4,000 images in batches of 8, twice: 1,000 steps, several seconds, so the bar visibly moves
# and a second run can queue behind it.
TINY = {
    "Training images (train_size)": 4000,
    "Images kept aside for checking (validation_size)": 200,
    "Rounds through the data (epochs)": 2,
    "Images per step (batch_size)": 8,
}
WAIT_MS = 60_000  # for the page to react: a rerun can take seconds on a busy machine
RUN_TIMEOUT_MS = 240_000  # for the run: the trainer may still be importing TensorFlow

SAMPLE_JS = """
() => {
  const seen = window.__seen = {progress: [], chartWhileTraining: false, toasts: [], slides: []};
  setInterval(() => {
    for (const toast of document.querySelectorAll('[data-testid=stToast]')) {
      if (!seen.toasts.includes(toast.innerText)) seen.toasts.push(toast.innerText);
    }
    const bar = document.querySelector('.st-key-live [role=progressbar]');
    if (!bar) return;
    const value = Number(bar.getAttribute('aria-valuenow'));
    if (seen.progress[seen.progress.length - 1] !== value) seen.progress.push(value);
    for (const part of [bar, ...bar.querySelectorAll('*')]) {  // no slide to each new value
      const slide = getComputedStyle(part).transitionDuration;
      if (slide.split(',').some((s) => parseFloat(s) > 0) && !seen.slides.includes(slide)) {
        seen.slides.push(slide);
      }
    }
    if (document.querySelector('.st-key-live [data-testid=stVegaLiteChart]')) {
      seen.chartWhileTraining = true;
    }
  }, 100);
}
"""


@pytest.fixture(scope="module")
def app_url(app_server, tmp_path_factory, mnist):
    env = training_env(tmp_path_factory, mnist)
    return app_server("app.py", env=env)


def set_number(page, label: str, value) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)  # not its help button
    with wait_for_rerun(page):
        box.fill(str(value))
        box.press("Enter")


def set_text(page, label: str, value: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    with wait_for_rerun(page):
        box.fill(value)
        box.press("Enter")


def click(page, key: str) -> None:
    with wait_for_rerun(page):
        page.locator(f".st-key-{key}").get_by_role("button").click()


def show_runs(page) -> None:
    page.get_by_role("tab", name="Runs and models").click()


def runs_row(page, name: str, status: str) -> dict:
    """The runs list's row for `name` once it shows `status`: column -> text (from the grid's
    accessible table)."""
    show_runs(page)
    runs = page.locator(".st-key-runs")
    runs.scroll_into_view_if_needed()
    # CSS, not get_by_role: role locators do not find the grid's accessible table
    row = runs.locator("[role=row]").filter(has_text=name)
    expect(row).to_contain_text(status, timeout=WAIT_MS)  # the list redraws after the live part
    headers = runs.locator("[role=columnheader]").all_inner_texts()
    cells = row.locator("[role=gridcell]").all_inner_texts()
    return dict(zip((header.strip() for header in headers), cells, strict=False))


def open_train_page(page, url: str):
    page.set_default_timeout(WAIT_MS)
    open_app(page, f"{url}/train", timeout=2 * WAIT_MS)
    page.evaluate(SAMPLE_JS)
    return page.locator(".st-key-live")


def seen(page) -> dict:
    return page.evaluate("() => window.__seen")


def test_train_watch_queue_cancel_and_use_the_model(app_url, page, new_context):
    live = open_train_page(page, app_url)
    for label, value in TINY.items():
        set_number(page, label, value)
    set_text(page, "Name for this run", "first run")

    other = new_context().new_page()  # another student, on the Train page too
    other_live = open_train_page(other, app_url)
    set_number(other, "Training images (train_size)", 1000)  # small, in case it ever trains
    set_text(other, "Name for this run", "second run")
    expect(other_live).to_contain_text("No training is running")

    click(page, "start")
    expect(live).to_contain_text("Training “first run”", timeout=WAIT_MS)
    expect(live.get_by_role("progressbar")).to_be_visible(timeout=WAIT_MS)

    # The other student sees the run, queues one, is told its place, and cancels it.
    expect(other_live).to_contain_text("Training “first run”", timeout=WAIT_MS)
    expect(other_live.get_by_role("progressbar")).to_be_visible(timeout=WAIT_MS)
    click(other, "start")
    expect(other_live).to_contain_text("Queued, place 1: second run (yours)", timeout=WAIT_MS)
    other.wait_for_function(  # the toast comes a moment after the run, and goes after 4 s
        "text => window.__seen.toasts.includes(text)",
        arg="Another run is training; yours is queued (place 1).",
        timeout=WAIT_MS,
    )
    # the first student sees it in the queue too, not as theirs; with no teacher passphrase
    # anyone may stop any run, so (one rule for Stop and Cancel) anyone may cancel it too
    expect(live).to_contain_text("Queued, place 1: second run", timeout=WAIT_MS)
    expect(live).not_to_contain_text("second run (yours)")
    expect(live.get_by_role("button", name="Cancel")).to_have_count(1)
    with wait_for_rerun(other):
        other_live.get_by_role("button", name="Cancel").first.click()
    expect(other_live).not_to_contain_text("Queued", timeout=WAIT_MS)
    assert not app_exceptions(other), app_exceptions(other)

    # The first run ends; the page redraws and lists it with its test accuracy.
    expect(live).to_contain_text("No training is running", timeout=RUN_TIMEOUT_MS)
    last_run = page.locator(".st-key-last-run")  # drawn with the page, not the live part
    expect(last_run).to_contain_text(  # not the cancelled run: it never trained
        re.compile(r"Last run: “first run”: finished, \d+\.\d\d% test accuracy")
    )
    expect(last_run.locator("[data-testid=stVegaLiteChart]")).to_have_count(2)
    expect(live).not_to_contain_text("Queued", timeout=WAIT_MS)
    wait_for_app_idle(page)
    watched = seen(page)
    moving = [value for value in watched["progress"] if value > 0]
    assert len(set(moving)) >= 2 and moving[-1] > moving[0], watched  # the bar moved on
    assert watched["slides"] == [], watched  # it jumps: a slide every second costs the browser
    assert watched["chartWhileTraining"], watched
    assert not any("queued" in toast for toast in watched["toasts"]), watched  # it started at once
    row = runs_row(page, "first run", "finished")
    assert row["status"] == "✓ finished", row
    assert 0.1 < float(row["test accuracy"]) <= 1, row
    expect(page.locator(".st-key-runs [role=row]").filter(has_text="second run")).to_have_count(0)

    # Use it, then see the Draw page name it in the sidebar.
    # typed, not picked from the list: the live part's refresh every second can re-render
    # the open list, and Playwright then finds its option detached
    choose = page.get_by_role("combobox", name="Choose a model")
    choose.click()
    choose.fill("first run")
    expect(page.get_by_role("option")).to_have_text(["first run (finished)"])
    with wait_for_rerun(page):
        choose.press("Enter")
    expect(choose).to_have_value("first run (finished)")
    click(page, "activate")
    active = page.locator(".st-key-active-model")
    expect(active).to_contain_text("Active model: first run", timeout=WAIT_MS)
    with wait_for_rerun(page):
        page.get_by_role("link", name="Draw").click()
    expect(page.locator(".st-key-prediction")).to_contain_text("Draw a digit", timeout=WAIT_MS)
    expect(
        active,
        "the active model went back to the shipped one: a sidebar 'Switch model' drawn before "
        "the activation fired its on_change in a refresh of the live part",
    ).to_contain_text("Active model: first run", timeout=WAIT_MS)
    assert re.search(r"Test accuracy \d+\.\d\d%", active.inner_text())
    assert not app_exceptions(page), app_exceptions(page)
