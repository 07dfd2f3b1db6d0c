"""In a real browser: a student corrects the model's reading and the drawing joins the class's digits."""

import numpy as np

from tools.browser import (
    app_exceptions,
    choose_option,
    draw_strokes,
    open_app,
    read_prediction,
    wait_for_rerun,
)
from tools.strokes import digit_strokes


def test_a_corrected_drawing_shows_in_the_gallery(app_server, page, tmp_path_factory):
    folder = tmp_path_factory.mktemp("class-digits")
    url = app_server(
        "app.py",
        env={
            "MNIST_CNN_MODELS_DIR": str(folder / "models"),
            "MNIST_CNN_CLASS_DIR": str(folder / "class"),
        },
    )
    open_app(page, url)
    draw_strokes(page, digit_strokes(7, np.random.default_rng(0)))
    guess = int(read_prediction(page)[0])
    label = 4 if guess != 4 else 9  # what the student says it really is

    choose_option(page, page.locator(".st-key-feedback-label"), str(label))
    with wait_for_rerun(page):
        page.locator(".st-key-feedback-save").get_by_role("button", name="Save").click()
    saved = page.get_by_text(f"Saved as a {label} — thank you!").first
    saved.wait_for(timeout=10_000)
    # and how the model can learn the student's handwriting
    hint = page.locator(".st-key-feedback").get_by_text("Misread? Save a few drawings")
    assert "press Teach it our handwriting on the Class digits page" in hint.inner_text()

    with wait_for_rerun(page):
        page.get_by_role("link", name="Class digits").click()
    gallery = page.locator(f".st-key-gallery-{label}")
    gallery.wait_for(timeout=30_000)
    assert f"{label} · 1 drawing" in gallery.inner_text()
    assert f"#1 · model: {guess} ✗" in gallery.inner_text()
    assert gallery.locator("img").count() == 1
    assert not app_exceptions(page), app_exceptions(page)
