"""A class the teacher can trust, in Chromium (issue #24): with a teacher passphrase set, who a
browser is lasts through reloads and new tabs and cannot be forged; a student cannot queue two
runs, delete the class's drawings or save a mark as a digit; a student on a model of their own
hears of the teacher's switch. Each browser is its own Playwright context (its own cookies);
a new tab is a second page in the same context.
"""

import shutil

import pytest
from playwright.sync_api import expect

from mnist_cnn.classdata import NOT_A_DIGIT, ClassDigits
from mnist_cnn.config import PRESETS, TrainConfig
from mnist_cnn.identity import COOKIE
from mnist_cnn.storage import ASSETS_DIR, ModelStore
from tests.browser.conftest import PASSPHRASE, enter_passphrase, training_env
from tests.browser.test_train_browser import click, open_train_page, set_number
from tools.browser import app_exceptions, choose_option, draw_strokes, open_app, wait_for_rerun

WAIT_MS = 60_000
# 5,000 images in batches of 10, 20 times: 10,000 steps, until someone stops it
LONG = {
    "Training images (train_size)": 5000,
    "Images kept aside for checking (validation_size)": 200,
    "Rounds through the data (epochs)": 20,
    "Images per step (batch_size)": 10,
}
CROSS = [[(0.2, 0.2), (0.8, 0.8)], [(0.8, 0.2), (0.2, 0.8)]]  # an X: no digit


@pytest.fixture(scope="module")
def class_env(tmp_path_factory, mnist):
    return training_env(tmp_path_factory, mnist, MNIST_CNN_TEACHER_KEY=PASSPHRASE)


@pytest.fixture(scope="module")
def class_url(app_server, class_env):
    return app_server("app.py", env=class_env)


def is_teacher(page, url: str, path: str = "") -> bool:
    open_app(page, f"{url}/{path}")
    sign_out = page.get_by_role("button", name="Sign out")
    either = sign_out.or_(page.get_by_role("textbox", name="Teacher passphrase"))
    expect(either).to_be_visible(timeout=WAIT_MS)
    return sign_out.count() == 1


def test_the_teacher_stays_the_teacher_in_this_browser_only_until_signing_out(
    class_url, new_context
):
    browser = new_context()
    teacher = browser.new_page()
    assert not is_teacher(teacher, class_url)
    enter_passphrase(teacher)
    teacher.reload()
    assert is_teacher(teacher, class_url)
    assert is_teacher(browser.new_page(), class_url, "train")  # a new tab
    assert not is_teacher(new_context().new_page(), class_url)  # another browser

    # Editing the cookie does not make anyone the teacher: another browser copies the
    # browser id and forges the teacher part.
    [cookie] = [cookie for cookie in browser.cookies() if cookie["name"] == COOKIE]
    browser_id, signature, teacher_part = cookie["value"].split(".")
    forger = new_context()
    forged = "f" * 32 + f".{signature}.{teacher_part}"
    forger.add_cookies([{**cookie, "value": forged}])
    assert not is_teacher(forger.new_page(), class_url)
    forger.add_cookies([{**cookie, "value": f"{browser_id}.{signature}.{'0' * 32}"}])
    assert not is_teacher(forger.new_page(), class_url)

    with wait_for_rerun(teacher):
        teacher.get_by_role("button", name="Sign out").click()
    expect(teacher.get_by_role("textbox", name="Teacher passphrase")).to_be_visible(timeout=WAIT_MS)
    teacher.reload()
    assert not is_teacher(teacher, class_url)
    assert not is_teacher(browser.new_page(), class_url)
    assert not app_exceptions(teacher)


def test_a_student_keeps_their_run_through_reloads_and_has_one_at_a_time(class_url, new_context):
    browser = new_context()
    alice = browser.new_page()
    live = open_train_page(alice, class_url)
    for label, value in LONG.items():
        set_number(alice, label, value)
    click(alice, "start")
    expect(live).to_contain_text("(yours)", timeout=WAIT_MS)

    click(alice, "start")  # a second run: refused, pointing to the first
    expect(
        alice.locator('[data-testid="stAlert"]').filter(has_text="You already have a run")
    ).to_be_visible(timeout=WAIT_MS)
    expect(live.get_by_text("Queued")).to_have_count(0, timeout=WAIT_MS)

    for page in (alice, browser.new_page()):  # a reload, and a new tab
        if page is alice:
            page.reload()
        live = open_train_page(page, class_url)
        expect(live).to_contain_text("(yours)", timeout=WAIT_MS)
        expect(live.get_by_role("button", name="Stop training")).to_be_enabled(timeout=WAIT_MS)

    bob = new_context().new_page()  # another student: not his run
    bob_live = open_train_page(bob, class_url)
    expect(bob_live).to_contain_text("Training", timeout=WAIT_MS)
    expect(bob_live).not_to_contain_text("(yours)")
    expect(bob_live.get_by_role("button", name="Stop training")).to_be_disabled(timeout=WAIT_MS)

    with wait_for_rerun(page):
        live.get_by_role("button", name="Stop training").click()
    expect(page.locator(".st-key-last-run")).to_contain_text("stopped", timeout=WAIT_MS)
    for each in (alice, page, bob):
        assert not app_exceptions(each), app_exceptions(each)


def test_this_is_right_under_an_x_saves_not_a_digit_and_students_cannot_delete_it(
    class_url, class_env, new_context
):
    student = new_context().new_page()
    open_app(student, class_url)
    draw_strokes(student, CROSS)
    answer = student.locator(".st-key-prediction")
    expect(answer.locator("h1")).to_contain_text("Not a digit · ", timeout=WAIT_MS)
    expect(answer).to_contain_text("If it is a digit", timeout=WAIT_MS)
    with wait_for_rerun(student):
        student.locator(".st-key-feedback").get_by_role("button", name="This is right").click()
    expect(student.locator(".st-key-feedback")).to_contain_text(
        "Saved as not a digit", timeout=WAIT_MS
    )
    entry = ClassDigits(class_env["MNIST_CNN_CLASS_DIR"]).entries()[-1]
    assert entry.label == entry.guess == NOT_A_DIGIT

    open_app(student, f"{class_url}/class_digits")
    expect(student.locator(f".st-key-gallery-{NOT_A_DIGIT}")).to_contain_text(
        "Not a digit", timeout=WAIT_MS
    )
    student.get_by_text("Delete a drawing").click()
    expect(student.get_by_text("Only the teacher can delete the class's drawings.")).to_be_visible(
        timeout=WAIT_MS
    )
    expect(student.get_by_role("button", name="Delete this drawing")).to_have_count(
        0, timeout=WAIT_MS
    )
    expect(student.get_by_text(class_env["MNIST_CNN_CLASS_DIR"])).to_have_count(0, timeout=WAIT_MS)
    assert not app_exceptions(student)


def test_a_student_on_their_own_model_hears_of_the_switch_and_renames_show(
    class_url, class_env, new_context
):
    store = ModelStore(class_env["MNIST_CNN_MODELS_DIR"])
    runs = []
    for name in ("alice's own", "class model"):
        record = store.new_run(name, TrainConfig(), status="finished")
        shutil.copy(ASSETS_DIR / "model.keras", record.model_path)
        runs.append(record)
    mine, class_model = runs

    student = new_context().new_page()
    open_app(student, class_url)
    switcher = student.get_by_role("combobox", name="Switch model (just me)")
    choose_option(student, switcher, "alice's own", exact=False)
    expect(student.locator(".st-key-active-model")).to_contain_text("alice's own", timeout=WAIT_MS)

    teacher = new_context().new_page()
    open_app(teacher, f"{class_url}/train")
    enter_passphrase(teacher)
    teacher.get_by_role("tab", name="Runs and models").click()
    choose = teacher.get_by_role("combobox", name="Choose a model")
    choose_option(teacher, choose, "class model (finished)", exact=False)
    click(teacher, "activate")
    notice = student.locator(".st-key-switch-notice")
    expect(notice).to_contain_text(
        "The teacher switched the class to “class model”; you are using “alice's own” (just me).",
        timeout=WAIT_MS,
    )
    store.rename(class_model.id, "today's model")  # a rename shows on every page within seconds
    expect(notice).to_contain_text("today's model", timeout=WAIT_MS)
    with wait_for_rerun(student):
        notice.get_by_role("button", name="Follow the class").click()
    expect(student.locator(".st-key-active-model")).to_contain_text(
        "today's model", timeout=WAIT_MS
    )
    expect(notice).to_have_count(0, timeout=WAIT_MS)
    assert mine.id != class_model.id
    for page in (student, teacher):
        assert not app_exceptions(page), app_exceptions(page)


# --- presenter mode that fits, and the preset clicked with Start at once ---------------------

CUT_LABELS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *')]
  .filter(e => e.offsetParent && e.tagName != 'INPUT' && !e.closest('[data-baseweb="select"]')
    && getComputedStyle(e).textOverflow == 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.innerText.slice(0, 60))"""
# tables (drawn on a canvas: no text to measure) that need a sideways scroll to show every column
CUT_TABLES_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).length"""


def on_screen(locator, height: int) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5


@pytest.mark.parametrize("width, height", [(1280, 720), (1400, 1000)])
def test_presenter_mode_fits_and_cuts_no_label(class_url, new_context, width, height):
    page = new_context(viewport={"width": width, "height": height}).new_page()
    open_app(page, f"{class_url}/?presenter=true")
    page.wait_for_function(
        "() => parseFloat(getComputedStyle(document.documentElement).fontSize) > 20"
    )
    canvas = page.locator('.st-key-canvas [data-testid="stBidiComponentIsolated"]')
    expect(canvas).to_be_visible(timeout=WAIT_MS)
    draw_strokes(page, [[(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)]])  # a 7
    expect(page.locator(".st-key-prediction h1")).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop") == 0
    for part in (
        canvas,
        page.locator(".st-key-canvas-clear"),
        page.locator(".st-key-canvas-undo"),
        page.locator(".st-key-prediction"),
        page.locator(".st-key-feedback"),
        page.locator(".st-key-presenter"),
    ):
        assert on_screen(part, height), (part, part.bounding_box())
    assert page.evaluate(CUT_LABELS_JS) == []
    for path in ("train", "inside", "class_digits"):
        open_app(page, f"{class_url}/{path}?presenter=true")
        page.wait_for_timeout(500)
        assert page.evaluate(CUT_LABELS_JS) == [], path
    open_app(page, f"{class_url}/lesson?presenter=true&step=5")  # the architecture table
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(500)
    assert page.evaluate(CUT_TABLES_JS) == 0
    assert not app_exceptions(page)


def test_a_preset_clicked_and_start_at_once_on_a_cold_server(
    app_server, tmp_path_factory, mnist, new_context
):
    env = training_env(tmp_path_factory, mnist, MNIST_CNN_TEST_COLD="preset-race")
    url = app_server("app.py", env=env)  # a server of its own, started now
    page = new_context().new_page()
    open_app(page, f"{url}/train", timeout=2 * WAIT_MS)
    page.locator(".st-key-preset").get_by_role("radio", name="quick").click()
    page.locator(".st-key-start").get_by_role("button").click()  # at once, not waiting
    live = page.locator(".st-key-live")
    expect(live).to_contain_text("Training “quick preset”", timeout=2 * WAIT_MS)
    [record] = [run for run in ModelStore(env["MNIST_CNN_MODELS_DIR"]).list() if not run.read_only]
    assert record.name == "quick preset" and record.config == PRESETS["quick"]
    expect(page.locator(".st-key-settings-source")).to_contain_text("quick, as the preset")
    with wait_for_rerun(page):
        live.get_by_role("button", name="Stop training").click()
    assert not app_exceptions(page)
