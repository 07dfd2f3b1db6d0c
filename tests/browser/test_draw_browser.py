"""The Draw page in a real browser: digits drawn with the mouse or a finger, photos uploaded.

The digits come from tools.strokes with a fixed seed, drawn with the page's default brush
(20 px on the 280 px canvas), which gives MNIST-like strokes. With MNIST_CNN_SCREENSHOTS=1,
one test also saves assets/screenshot-draw.png (for the README).
"""

import os
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from tools.browser import (
    REPO_ROOT,
    app_exceptions,
    clear_canvas,
    draw_strokes,
    open_app,
    read_prediction,
    upload_file,
    wait_for_rerun,
)
from tools.strokes import digit_strokes, render_strokes

PREDICTED = re.compile(r"(\d) · \d+% sure")
SCREENSHOT = REPO_ROOT / "assets" / "screenshot-draw.png"


@pytest.fixture(scope="module")
def app_url(app_server, tmp_path_factory):
    return app_server(
        "app.py", env={"MNIST_CNN_MODELS_DIR": str(tmp_path_factory.mktemp("models"))}
    )


def predicted_digit(page) -> int | None:
    match = PREDICTED.match(read_prediction(page))
    return int(match[1]) if match else None


def assert_no_exception(page):
    assert not app_exceptions(page), app_exceptions(page)


def test_reads_every_digit_drawn_with_the_mouse_and_clears(app_url, page):
    open_app(page, app_url)
    rng = np.random.default_rng(0)
    read = {}
    for digit in range(10):
        draw_strokes(page, digit_strokes(digit, rng))
        read[digit] = predicted_digit(page)
        clear_canvas(page)
        hint = read_prediction(page)
        assert "Draw a digit" in hint and not PREDICTED.search(hint), hint
    misses = {digit: got for digit, got in read.items() if got != digit}
    assert len(misses) <= 1, f"drawn -> read: {read}"
    assert_no_exception(page)


def test_reads_a_digit_drawn_with_a_finger(app_url, new_context):
    page = new_context(has_touch=True).new_page()
    open_app(page, app_url)
    draw_strokes(page, digit_strokes(3, np.random.default_rng(2)), touch=True)
    assert predicted_digit(page) == 3
    assert_no_exception(page)


def test_photo_upload_reads_a_digit_and_explains_bad_files(app_url, page, tmp_path):
    photo = tmp_path / "five.png"  # dark ink on white paper
    render_strokes(digit_strokes(5, np.random.default_rng(3)), ink_on_dark=False).save(photo)
    another_photo = tmp_path / "three.png"
    render_strokes(digit_strokes(3, np.random.default_rng(4)), ink_on_dark=False).save(
        another_photo
    )
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("these are notes, not a picture")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("these are notes, not a picture")
    huge = tmp_path / "huge.png"  # 12 MB: over what the page reads, under the server's cap
    huge.write_bytes(photo.read_bytes() + bytes(12 * 1024 * 1024))

    open_app(page, app_url)
    with wait_for_rerun(page):
        page.locator(".st-key-source").get_by_role("radio", name="Upload a photo").click()
    assert "Upload a photo" in read_prediction(page)

    upload_file(page, photo)
    assert predicted_digit(page) == 5

    error = page.locator('[data-testid="stAlertContentError"]')
    for file, words in (
        (not_an_image, "“notes.png” is not a picture"),
        (text_file, "“notes.txt” is not a picture"),
        (huge, "“huge.png” is too big (12.0 MB)"),
    ):
        upload_file(page, file)  # the page's own message, on screen (no hovering), no digit
        expect(error).to_contain_text(words)
        expect(error).to_be_visible()
        assert predicted_digit(page) is None
    assert_no_exception(page)

    upload_file(page, another_photo)  # the page still works
    expect(page.locator(".st-key-prediction")).to_contain_text("3 · ")
    expect(error).to_have_count(0)
    assert_no_exception(page)


@pytest.mark.skipif(
    not os.environ.get("MNIST_CNN_SCREENSHOTS"), reason="MNIST_CNN_SCREENSHOTS unset"
)
def test_screenshot_of_the_draw_page(app_url, page):
    open_app(page, app_url)
    draw_strokes(page, digit_strokes(2, np.random.default_rng(4)))
    assert predicted_digit(page) == 2
    page.wait_for_timeout(500)
    page.screenshot(path=SCREENSHOT)
    assert SCREENSHOT.stat().st_size < 150_000
