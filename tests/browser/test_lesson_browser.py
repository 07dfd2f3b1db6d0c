"""The Lesson page in Chromium (issue #26): a student steps through the whole lesson at
1280x720 in presenter mode, trains the notebook's network with "Train it now" and draws a
digit with it; and a teacher leads two students on two app servers sharing one models folder.

Screenshots of every step go to test-results/screenshots/lesson-step-N.png (ignored by git):
look at them after changing the lesson's words or layout.
"""

import re

import numpy as np
from playwright.sync_api import expect

from mnist_cnn.lesson import STEPS
from mnist_cnn.lesson_live import LESSON_RUN_NAME
from tests.browser.conftest import PASSPHRASE, enter_passphrase, training_env
from tools.browser import (
    REPO_ROOT,
    active_model_text,
    app_exceptions,
    draw_strokes,
    open_app,
    read_prediction,
    wait_for_app_idle,
    wait_for_rerun,
)
from tools.strokes import digit_strokes

PRESENTER_SCREEN = {"width": 1280, "height": 720}
SCREENSHOTS = REPO_ROOT / "test-results" / "screenshots"
TRAIN_MS = 300_000  # the trainer starting and one epoch, on two cores other work shares
FIRST_RUN_MS = 60_000
FOLLOW_MS = (
    30_000  # a student's page checks the teacher's step every second; a busy machine is slower
)


def nav(page):
    return page.locator(".st-key-lesson-nav").first


def press(page, name: str) -> None:
    """Press Back or Next and wait until the page shows the step it leads to. (Waiting for the
    rerun alone is not enough: a fragment's run that ends just after the click looks like it,
    and a second click that reaches the server before the first is handled counts once.)"""
    shown = int(re.search(r"Step (\d+) of", nav(page).inner_text())[1])
    goes_to = shown + (1 if name == "Next" else -1)
    nav(page).get_by_role("button", name=name).click()
    expect(nav(page)).to_contain_text(f"Step {goes_to} of", timeout=FOLLOW_MS)
    wait_for_app_idle(page)


def assert_fits_the_screen(page, step: int) -> None:
    """The step's words and its live part lie on the 1280x720 screen, no scrolling needed."""
    assert page.evaluate("() => window.scrollY") == 0
    columns = page.locator(".st-key-lesson-step [data-testid='stColumn']")
    words = columns.nth(0).locator("[data-testid='stMarkdownContainer']").first.bounding_box()
    live = columns.nth(1).bounding_box()
    for what, box in (("words", words), ("live part", live)):
        bottom = box["y"] + box["height"]
        assert bottom <= PRESENTER_SCREEN["height"], f"step {step}: the {what} end at {bottom}px"


def test_a_student_follows_the_whole_lesson_and_draws_with_its_network(
    app_server, new_context, tmp_path_factory, mnist
):
    url = app_server("app.py", env=training_env(tmp_path_factory, mnist))
    page = new_context(viewport=PRESENTER_SCREEN).new_page()
    open_app(page, f"{url}/lesson?presenter=true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for number, step in enumerate(STEPS, start=1):
        expect(nav(page)).to_contain_text(f"Step {number} of {len(STEPS)}", timeout=FIRST_RUN_MS)
        assert f"step={number}" in page.url and "presenter=true" in page.url
        lesson_step = page.locator(".st-key-lesson-step").first
        code = lesson_step.locator("code").first  # the last part of a step: all is drawn
        expect(code).to_contain_text(step.code.splitlines()[0], timeout=FIRST_RUN_MS)
        assert not app_exceptions(page), app_exceptions(page)
        assert_fits_the_screen(page, number)
        page.screenshot(path=SCREENSHOTS / f"lesson-step-{number}.png")
        if step.slug == "train":
            with wait_for_rerun(page):
                lesson_step.get_by_role("button", name="Train it now").click()
            expect(lesson_step).to_contain_text(re.compile("Queued|Training|Starting"))
            expect(lesson_step.locator("[data-testid='stProgress']")).to_be_visible(
                timeout=TRAIN_MS
            )
            # Training with live progress; Stop keeps what it learned so far (on a busy
            # machine 8 epochs take too long for a test; see tests/test_notebook.py for them).
            expect(lesson_step).to_contain_text(re.compile(r"step \(batch\) [1-9]\d of 275"),
                                                timeout=TRAIN_MS)  # fmt: skip
            page.screenshot(path=SCREENSHOTS / "lesson-training.png")
            with wait_for_rerun(page):
                lesson_step.get_by_role("button", name="Stop training").click()
            expect(lesson_step).to_contain_text("Last lesson run: stopped", timeout=TRAIN_MS)
        if step.slug == "evaluate":
            expect(lesson_step).to_contain_text("this lesson's run")
        if number < len(STEPS):
            press(page, "Next")
    expect(nav(page).get_by_role("button", name="Next")).to_be_disabled()

    page.reload()  # the step survives a reload
    expect(nav(page)).to_contain_text(f"Step {len(STEPS)} of {len(STEPS)}")
    with wait_for_rerun(page):
        page.get_by_role("button", name="Use it and draw a digit").click()
    expect(page.locator(".st-key-canvas").first).to_be_visible(timeout=FIRST_RUN_MS)
    assert LESSON_RUN_NAME in active_model_text(page)
    draw_strokes(page, digit_strokes(7, np.random.default_rng(1)))
    assert re.match(r"\d · \d+% sure", read_prediction(page)), read_prediction(page)


def open_lesson(new_context, url: str):
    page = new_context(viewport=PRESENTER_SCREEN).new_page()
    open_app(page, f"{url}/lesson")
    return page


def test_the_teacher_leads_two_students_on_two_app_servers(
    app_server, new_context, tmp_path_factory, mnist
):
    env = training_env(tmp_path_factory, mnist, MNIST_CNN_TEACHER_KEY=PASSPHRASE)
    first = app_server("app.py", env={**env, "APP_SERVER": "1"})
    second = app_server("app.py", env={**env, "APP_SERVER": "2"})
    teacher = open_lesson(new_context, first)
    enter_passphrase(teacher)
    expect(teacher.get_by_text("Follow the teacher")).to_have_count(0)
    alice, bob = open_lesson(new_context, first), open_lesson(new_context, second)
    for student in (alice, bob):  # a first run on a busy machine can take a while
        follow = student.get_by_role("checkbox", name="Follow the teacher")
        expect(follow).to_be_checked(timeout=FIRST_RUN_MS)
        expect(nav(student).get_by_role("button", name="Next")).to_be_disabled()

    press(teacher, "Next")
    press(teacher, "Next")
    for student in (alice, bob):
        expect(nav(student)).to_contain_text("Step 3 of", timeout=FOLLOW_MS)
        assert "step=3" in student.url

    # Bob goes at his own pace; Alice still follows.
    with wait_for_rerun(bob):
        bob.get_by_text("Follow the teacher").click()
    press(bob, "Next")
    press(bob, "Next")
    press(teacher, "Next")
    expect(nav(alice)).to_contain_text("Step 4 of", timeout=FOLLOW_MS)
    press(teacher, "Back")
    expect(nav(alice)).to_contain_text("Step 3 of", timeout=FOLLOW_MS)
    expect(nav(bob)).to_contain_text("Step 5 of")

    # Ticked again, Bob joins the teacher's step; a reload keeps Alice with the class.
    with wait_for_rerun(bob):
        bob.get_by_text("Follow the teacher").click()
    expect(nav(bob)).to_contain_text("Step 3 of", timeout=FOLLOW_MS)
    alice.reload()
    expect(nav(alice)).to_contain_text("Step 3 of", timeout=FOLLOW_MS)
    for page in (teacher, alice, bob):
        assert not app_exceptions(page), app_exceptions(page)
