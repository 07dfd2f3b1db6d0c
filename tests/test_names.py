"""Names are only names: a run named with Markdown and a link shows literally on every page
(issue #16), through Streamlit's AppTest. The browser test tests/browser/test_class_browser.py
checks what Chromium shows."""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_cnn.config import TrainConfig
from mnist_cnn.storage import ASSETS_DIR, ModelStore
from mnist_cnn.ui.names import file_name, plain

UI = Path(__file__).resolve().parent.parent / "mnist_cnn" / "ui" / "pages"
HOSTILE = "**B** [go](http://e.com) :red[a] <b>x</b> $x^2$ a@b.co"  # 50 characters
TEXT_ELEMENTS = ("markdown", "caption", "error", "warning", "info", "success", "toast", "title")


@pytest.fixture
def hostile_active_model(monkeypatch, tmp_path, fake_canvas):
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MNIST_CNN_CLASS_DIR", str(tmp_path / "class"))
    store = ModelStore(tmp_path / "models")
    record = store.new_run(HOSTILE, TrainConfig(epochs=1), status="finished")
    shutil.copy(ASSETS_DIR / "model.keras", record.model_path)
    record.test_accuracy = 0.99
    store.update(record)
    store.set_active(record.id)
    return record


def shown_texts(app: AppTest) -> list[str]:
    return [str(element.value) for kind in TEXT_ELEMENTS for element in app.get(kind)]


@pytest.mark.parametrize(
    "page", ["draw.py", "inside.py", "train.py", "class_digits.py", "metrics.py"]
)
def test_a_hostile_name_is_plain_text_on_every_page(page, hostile_active_model, mnist):
    app = AppTest.from_file(str(UI / page), default_timeout=120).run()
    assert not app.exception, app.exception
    texts = shown_texts(app)
    assert f"**Active model:** {plain(HOSTILE)}" in texts  # the sidebar
    for text in texts:
        assert "**B**" not in text and "](http" not in text and ":red[" not in text, text
        assert HOSTILE not in text and "<b>" not in text, text


def test_plain_escapes_every_markdown_mark_and_keeps_addresses_from_linking():
    assert plain("a_b*c") == "a\\_b\\*c"
    assert plain("see www.example.com") == "see www\u2060\\.example\\.com"
    assert plain("me@example.com") == "me\u2060\\@example\\.com"
    assert plain("plain words 123") == "plain words 123"


def test_file_names_made_from_names_stay_in_their_folder():
    assert file_name(HOSTILE, ".keras").endswith(".keras")
    assert "/" not in file_name("../../etc/passwd", ".keras")
    assert file_name("***", ".keras") == "model.keras"
