"""A class on one server, in Chromium: a teacher and two students, each in their own browser
context, with a teacher passphrase set (issue #16).

The first student sees Start and the live part without scrolling at 1280x800 and starts a run
whose name is hostile Markdown; the second student opens the Train page late, sees the run live
with its name as plain text (no link anywhere), may not stop it, and finds it "running" in the
runs list. The teacher, who entered the passphrase once, stops it and makes it the class's
model; the second student's sidebar names it, as plain text.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSPHRASE, enter_passphrase, training_env
from tests.browser.test_train_browser import click, open_train_page, set_number, set_text, show_runs
from tools.browser import app_exceptions, open_app, wait_for_rerun

HOSTILE = "**BIG** [click me](http://example.com)"
WAIT_MS = 60_000
SMALL_SCREEN = {"width": 1280, "height": 800}
# 5,000 images in batches of 10, 20 times: 10,000 steps, until the teacher stops it
LONG = {
    "Training images (train_size)": 5000,
    "Images kept aside for checking (validation_size)": 200,
    "Rounds through the data (epochs)": 20,
    "Images per step (batch_size)": 10,
}


@pytest.fixture(scope="module")
def class_url(app_server, tmp_path_factory, mnist):
    env = training_env(tmp_path_factory, mnist, MNIST_CNN_TEACHER_KEY=PASSPHRASE)
    return app_server("app.py", env=env)


def literally(text: str) -> re.Pattern:
    """`text` as shown, ignoring the invisible word joiners that keep addresses from becoming
    links (mnist_cnn.ui.names.plain)."""
    return re.compile("\u2060?".join(re.escape(character) for character in text))


def no_links_to_it(page) -> None:
    expect(page.locator('a[href*="example.com"]')).to_have_count(0)
    expect(page.locator("strong", has_text="BIG")).to_have_count(0)


def small_screen_page(new_context):
    page = new_context().new_page()
    page.set_viewport_size(SMALL_SCREEN)
    return page


def test_a_teacher_and_two_students(class_url, new_context):
    teacher = small_screen_page(new_context)
    open_train_page(teacher, class_url)
    enter_passphrase(teacher)

    alice = small_screen_page(new_context)
    alice_live = open_train_page(alice, class_url)
    start = alice.locator(".st-key-start")
    for part in (start, alice_live):  # no scrolling needed
        place = part.bounding_box()
        assert place["y"] + min(place["height"], 50) <= SMALL_SCREEN["height"], place
    for label, value in LONG.items():
        set_number(alice, label, value)
    set_text(alice, "Name for this run", HOSTILE)
    click(alice, "start")
    expect(alice_live).to_contain_text(literally(f"Training “{HOSTILE}” (yours)"), timeout=WAIT_MS)

    # A student who comes late sees the run live, cannot stop it, and sees its true status.
    bob = small_screen_page(new_context)
    bob_live = open_train_page(bob, class_url)
    expect(bob_live).to_contain_text(literally(f"Training “{HOSTILE}”"), timeout=WAIT_MS)
    expect(bob_live.get_by_role("progressbar")).to_be_visible(timeout=WAIT_MS)
    expect(bob_live).not_to_contain_text("(yours)")
    expect(bob_live.get_by_role("button", name="Stop training")).to_be_disabled()
    no_links_to_it(bob)
    show_runs(bob)
    row = bob.locator(".st-key-runs [role=row]").filter(has_text=HOSTILE)
    expect(row).to_contain_text("running", timeout=WAIT_MS)
    expect(bob.get_by_role("button", name="Rename")).to_be_disabled()

    # The teacher stops it, and makes it the model of the whole class.
    teacher_live = teacher.locator(".st-key-live")
    expect(teacher_live).to_contain_text(literally(f"Training “{HOSTILE}”"), timeout=WAIT_MS)
    with wait_for_rerun(teacher):
        teacher_live.get_by_role("button", name="Stop training").click()
    expect(teacher.locator(".st-key-last-run")).to_contain_text(
        literally(f"Last run: “{HOSTILE}”: stopped"), timeout=WAIT_MS
    )
    show_runs(teacher)
    choose = teacher.get_by_role("combobox", name="Choose a model")
    choose.click()
    choose.fill("BIG")
    expect(teacher.get_by_role("option")).to_have_text([f"{HOSTILE} (stopped)"])
    with wait_for_rerun(teacher):
        choose.press("Enter")
    click(teacher, "activate")
    expect(teacher.locator(".st-key-active-model")).to_contain_text(
        literally(f"Active model: {HOSTILE}")
    )

    open_app(bob, class_url)  # the Draw page
    expect(bob.locator(".st-key-active-model")).to_contain_text(
        literally(f"Active model: {HOSTILE}"), timeout=WAIT_MS
    )
    no_links_to_it(bob)
    for page in (teacher, alice, bob):
        assert not app_exceptions(page), app_exceptions(page)
