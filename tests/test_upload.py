"""The Draw page's photo upload: every problem gets a message in a student's words (AppTest)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_cnn.preprocess import preprocess
from mnist_cnn.ui.draw import MAX_UPLOAD_MB, looks_like_several_digits
from mnist_cnn.ui.names import plain
from tools.strokes import digit_strokes, render_strokes

PAGE = str(Path(__file__).resolve().parent.parent / "mnist_cnn" / "ui" / "pages" / "draw.py")


def photo(digits, rng_seed=0) -> Image.Image:
    """Dark ink on white paper: the digits side by side, as a photo of a number would be."""
    rng = np.random.default_rng(rng_seed)
    pictures = [render_strokes(digit_strokes(d, rng), ink_on_dark=False) for d in digits]
    sheet = Image.new("RGB", (280 * len(pictures), 280), "white")
    for number, picture in enumerate(pictures):
        sheet.paste(picture.convert("RGB"), (280 * number, 0))
    return sheet


def png_bytes(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def upload_page(monkeypatch, tmp_path, fake_canvas):
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.run()
    app.segmented_control(key="source").set_value("Upload a photo").run()
    return app


def upload(app, name, content, mime="image/png"):
    app.file_uploader(key="upload").upload(name, content, mime).run()
    assert not app.exception
    return app


def headline(app) -> str:
    return app.container("prediction").markdown[0].value


def test_the_uploader_lets_every_file_through_and_names_what_it_reads(upload_page):
    uploader = upload_page.file_uploader(key="upload")
    assert not uploader.allowed_type  # any file reaches the page, to be told what was wrong
    for name in ("PNG", "JPEG", "GIF", "BMP", "WebP", f"{MAX_UPLOAD_MB} MB"):
        assert name in uploader.label


def test_a_photo_of_one_digit_is_read(upload_page):
    upload(upload_page, "five.png", png_bytes(photo([5], 3)))
    assert headline(upload_page).startswith("# 5 · ")
    assert not upload_page.error and not upload_page.warning


@pytest.mark.parametrize(
    ("name", "mime"), [("notes.png", "image/png"), ("notes.txt", "text/plain")]
)
def test_a_text_file_says_it_is_not_a_picture(upload_page, name, mime):
    upload(upload_page, name, b"these are notes, not a picture", mime)
    message = upload_page.error[0].value
    assert f"“{plain(name)}” is not a picture" in message and "PNG, JPEG" in message
    assert "Received" not in message and "source=" not in message  # no developer wording
    assert not headline(upload_page).startswith("# ")


def test_a_blank_sheet_says_no_digit_was_found(upload_page):
    upload(upload_page, "blank.png", png_bytes(Image.new("RGB", (400, 300), "white")))
    message = upload_page.error[0].value
    assert "No digit found" in message and "paper looks empty" in message
    assert "black square" not in message


def test_a_file_over_the_limit_says_how_big_it_is_and_what_to_do(upload_page):
    big = png_bytes(photo([3])) + bytes(12 * 1024 * 1024)  # 12 MB
    upload(upload_page, "huge.png", big)
    message = upload_page.error[0].value
    assert "too big (12.0 MB)" in message and f"up to {MAX_UPLOAD_MB} MB" in message


def test_a_photo_of_a_number_hints_to_photograph_one_digit(upload_page):
    upload(upload_page, "year.png", png_bytes(photo([2, 0, 2, 4])))
    assert "more than one digit" in upload_page.warning[0].value
    assert "single digit" in upload_page.warning[0].value


def test_several_digits_are_told_from_one():
    assert looks_like_several_digits(preprocess(photo([2, 0, 2, 4])))
    assert looks_like_several_digits(preprocess(photo([1, 7])))
    for digit in range(10):
        assert not looks_like_several_digits(preprocess(photo([digit], digit))), digit
