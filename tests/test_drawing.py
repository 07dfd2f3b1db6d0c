"""One drawing per student, with the page's own Clear and Undo, kept across Draw, its Upload view
and Inside the CNN; a sidebar that names the model that reads; presenter mode in the URL.

Through AppTest with the canvas faked (tests/conftest.py FakeCanvas): `drawn["image"] = ...` is
a student's stroke, sent by the canvas on screen at the next run. tests/browser draws for real.
"""

from pathlib import Path

import pytest
from conftest import ONE, SEVEN, canvas_image
from streamlit.testing.v1 import AppTest

from mnist_cnn.storage import ASSETS_DIR, ModelStore
from mnist_cnn.ui.drawing import HISTORY_LIMIT, Drawing
from mnist_cnn.ui.names import plain

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
INSIDE = "mnist_cnn/ui/pages/inside.py"
DRAW = "mnist_cnn/ui/pages/draw.py"


@pytest.fixture
def models_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


@pytest.fixture
def app(models_dir, fake_canvas):
    """The whole app (app.py), on the Draw page."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.drawn = fake_canvas
    return app


def headline(app) -> str:
    """The first line of the answer (Draw and Inside): "# 7 · 99% sure", or the hint."""
    return app.container("prediction").markdown[0].value


def test_clear_empties_the_answer_at_once_and_undo_brings_the_drawing_back(app):
    app.run()
    assert app.button(key="canvas-undo").disabled  # nothing to undo yet
    assert not app.button(key="canvas-clear").disabled
    app.drawn["image"] = canvas_image(SEVEN)
    app.run()
    assert headline(app).startswith("# 7 · ")
    assert not app.button(key="canvas-undo").disabled  # as soon as the stroke is in

    app.button(key="canvas-clear").click().run()  # no stroke needed: the answer goes at once
    assert "Draw a digit" in headline(app)
    assert app.drawn.initial["objects"] == []  # the canvas is told to show nothing
    assert not app.exception

    app.button(key="canvas-undo").click().run()
    assert headline(app).startswith("# 7 · ")
    assert app.drawn.initial["objects"]  # the canvas is told to show the drawing again


def test_undo_takes_back_the_last_stroke_only(app):
    app.run()
    app.drawn["image"] = canvas_image(SEVEN)
    app.run()
    app.drawn["image"] = canvas_image(ONE)  # the canvas sends the drawing after each stroke
    app.run()
    assert headline(app).startswith("# 1 · ")
    app.button(key="canvas-undo").click().run()
    assert headline(app).startswith("# 7 · ")
    app.button(key="canvas-undo").click().run()
    assert "Draw a digit" in headline(app)
    assert app.button(key="canvas-undo").disabled


def test_the_drawing_stays_across_the_upload_view_and_inside_the_cnn(app):
    app.run()
    app.drawn["image"] = canvas_image(SEVEN)
    app.run()
    app.segmented_control(key="source").set_value("Upload a photo").run()
    assert "Upload a photo" in headline(app)
    app.segmented_control(key="source").set_value("Draw").run()
    assert headline(app).startswith("# 7 · ")  # no new stroke: the drawing was kept

    app.switch_page(INSIDE).run()
    assert not app.exception
    assert headline(app).startswith("# 7 · ")  # Inside reads the same drawing
    assert app.drawn.initial["objects"]  # and its canvas shows it
    app.drawn["image"] = canvas_image(ONE)  # drawn on Inside
    app.run()
    assert headline(app).startswith("# 1 · ")

    app.switch_page(DRAW).run()
    assert headline(app).startswith("# 1 · ")  # back on Draw: what was drawn on Inside
    app.button(key="canvas-undo").click().run()
    assert headline(app).startswith("# 7 · ")


def test_the_steps_toggle_keeps_its_state_after_clear(app):
    app.run()
    app.drawn["image"] = canvas_image(SEVEN)
    app.run()
    app.toggle(key="show-steps").set_value(True).run()
    app.button(key="canvas-clear").click().run()
    app.drawn["image"] = canvas_image(ONE)
    app.run()
    assert app.toggle(key="show-steps").value
    assert len(app.image) == 5  # the 28x28 picture and the four steps


def test_clear_and_undo_on_inside_the_cnn(app):
    app.switch_page(INSIDE).run()
    app.drawn["image"] = canvas_image(SEVEN)
    app.run()
    assert headline(app).startswith("# 7 · ")
    app.button(key="inside-canvas-clear").click().run()
    assert "Draw a digit" in headline(app)
    assert not any("Layer by layer" in header.value for header in app.header)
    app.button(key="inside-canvas-undo").click().run()
    assert headline(app).startswith("# 7 · ")


def test_history_is_kept_short_and_a_repeated_canvas_message_changes_nothing():
    drawing = Drawing()
    for number in range(HISTORY_LIMIT + 10):
        drawing.record([{"stroke": number}], canvas_image([(10, 10), (20 + number, 200)]))
    assert len(drawing.versions) == HISTORY_LIMIT
    image = drawing.current.image
    drawing.record([{"stroke": HISTORY_LIMIT + 9}], image)  # the same strokes again
    drawing.record([{"stroke": "written differently"}], image)  # the same picture again
    assert len(drawing.versions) == HISTORY_LIMIT
    versions = len(drawing.versions)
    drawing.clear()
    drawing.record([], canvas_image())  # the cleared canvas sends itself back: nothing new
    assert drawing.current.png is None and drawing.current.strokes == []
    assert drawing.versions[-2].strokes == [{"stroke": HISTORY_LIMIT + 9}]
    assert len(drawing.versions) == versions  # the oldest made room for Clear


def test_a_canvas_counts_only_what_it_sends_anew():
    drawing = Drawing()
    assert drawing.is_new("canvas", [{"stroke": 1}])
    assert not drawing.is_new("canvas", [{"stroke": 1}])  # returned again at the next run
    assert drawing.is_new("inside-canvas", [{"stroke": 1}])  # another page's canvas


# --- The sidebar: the model that reads ---------------------------------------------------------


def add_model(models_dir, name):
    store = ModelStore(models_dir)
    record = store.new_run(name, {"epochs": 1}, status="finished")
    record.model_path.write_bytes((ASSETS_DIR / "model.keras").read_bytes())
    record.test_accuracy = 0.9
    store.update(record)
    return record


def active_model_text(app) -> str:
    return app.sidebar.container("active-model").markdown[0].value


def test_the_sidebar_follows_a_switch_and_a_deletion_made_elsewhere(app, models_dir):
    other = add_model(models_dir, "Class model: *week 2*")
    app.run()
    assert active_model_text(app) == "**Active model:** Shipped\\: accurate preset"
    assert not app.toast

    ModelStore(models_dir).set_active(other.id)  # in another browser
    app.run()  # what the sidebar's watcher does within seconds
    assert active_model_text(app) == f"**Active model:** {plain(other.name)}"
    assert app.toast[0].value == f"The model is now “{plain(other.name)}”."

    ModelStore(models_dir).delete(other.id)  # and deleted there
    app.run()
    assert "Shipped" in active_model_text(app)
    assert app.toast[0].value.startswith("The model is now “Shipped")
    app.run()
    assert not app.toast  # said once


# --- Presenter mode -------------------------------------------------------------------------


def test_presenter_mode_comes_from_the_url_and_goes_into_it(app):
    app.query_params["presenter"] = "true"  # a reload of a page opened with ?presenter=true
    app.run()
    assert app.sidebar.toggle(key="presenter").value
    styles = [element.value for element in app.get("html") if "html { font-size" in element.value]
    assert styles and "zoom" in styles[0]

    app.sidebar.toggle(key="presenter").set_value(False).run()
    assert not any("html { font-size" in element.value for element in app.get("html"))
    # the browser writes the toggle into the URL: tests/browser/test_classroom_browser.py


def test_the_inside_sliders_keep_their_place_after_clear(app):
    app.switch_page(INSIDE).run()
    app.drawn["image"] = canvas_image(SEVEN)
    app.run()
    app.slider(key="rotation").set_value(90).run()
    app.button(key="inside-canvas-clear").click().run()  # the sliders are not shown now
    app.drawn["image"] = canvas_image(ONE)
    app.run()
    assert app.slider(key="rotation").value == 90


def test_the_app_keeps_tensorflow_warm_between_runs(app):
    """Streamlit calls keras.backend.clear_session() after every script run (an empty kernel
    cache and a full garbage collection, every second for every open Train page); app.py turns
    that off (mnist_cnn/ui/server.py)."""
    import keras

    app.drawn["image"] = canvas_image(SEVEN)
    app.run()  # loads TensorFlow and the model
    assert not app.exception
    counted = keras.backend.get_uid("warm")
    app.run()
    assert keras.backend.get_uid("warm") == counted + 1  # Keras's global state was kept
