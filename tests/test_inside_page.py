"""The Inside the CNN page through Streamlit's AppTest, with the canvas replaced by a fake
(as in test_draw_page.py): layer views, the playground sliders, MNIST test images."""

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import SEVEN, canvas_image, cross_on_canvas
from streamlit.testing.v1 import AppTest

from mnist_cnn.inside import transform
from mnist_cnn.model import describe_model
from mnist_cnn.predict import Predictor
from mnist_cnn.preprocess import preprocess

PAGE = str(Path(__file__).resolve().parent.parent / "mnist_cnn" / "ui" / "pages" / "inside.py")


@pytest.fixture
def inside_page(monkeypatch, tmp_path, fake_canvas):
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.drawn = fake_canvas
    return app


def prediction_texts(app):
    return [element.value for element in app.container("prediction").markdown]


def headline(app):
    return next((text for text in prediction_texts(app) if text.startswith("# ")), None)


def all_markdown(app):
    return [element.value for element in app.markdown]


def test_blank_canvas_shows_a_hint_and_no_layers(inside_page):
    inside_page.run()
    assert not inside_page.exception and not inside_page.error
    assert any("Draw a digit" in text for text in prediction_texts(inside_page))
    assert headline(inside_page) is None
    assert not any("Layer by layer" in header.value for header in inside_page.header)

    inside_page.drawn["image"] = canvas_image()  # the canvas cleared: nothing drawn
    inside_page.run()
    assert any("Draw a digit" in text for text in prediction_texts(inside_page))


def test_a_drawn_digit_shows_the_prediction_and_every_layer(inside_page, shipped_model):
    inside_page.drawn["image"] = canvas_image(SEVEN)
    inside_page.run()
    assert not inside_page.exception
    assert headline(inside_page).startswith("# 7 · ")
    for layer in describe_model(shipped_model):
        section = inside_page.container(f"layer-{layer.name}")
        texts = [element.value for element in section.markdown]
        shape = " × ".join(str(size) for size in layer.output_shape)  # e.g. "24 × 24 × 32"
        facts = f"Output **{shape}** · {layer.parameters:,} parameters"
        assert any(text.startswith(facts) for text in texts), (layer.name, texts)
    conv1 = inside_page.container("layer-conv1")
    pictures = [element.value for element in conv1.html if "<img" in element.value]
    assert len(pictures) == 2  # the filters and the maps
    assert all('src="data:image/png;base64,' in picture for picture in pictures)


def test_a_mark_that_is_no_digit_is_said_so_in_words(inside_page):
    inside_page.drawn["image"] = cross_on_canvas()
    inside_page.run()
    assert not inside_page.exception
    assert re.fullmatch(r"# Not a digit · \d+% sure", headline(inside_page))
    # the output layer names its 11th unit
    bars = inside_page.container("output-probabilities").html[0].body
    assert ">not a digit</b>" in bars and ">10</b>" not in bars
    words = " ".join(all_markdown(inside_page))
    assert "Eleven units" in words and "Ten units" not in words


def test_the_rotation_slider_changes_the_prediction(inside_page, shipped_model):
    drawing = canvas_image(SEVEN)
    inside_page.drawn["image"] = drawing
    inside_page.run()
    upright = headline(inside_page)

    inside_page.slider(key="rotation").set_value(180).run()
    assert not inside_page.exception
    turned = Predictor(shipped_model).predict(transform(preprocess(drawing).image, rotation=180))
    expected = f"# {turned.digit} · {round(100 * turned.confidence)}% sure"
    assert headline(inside_page) == expected != upright
    assert any(
        text.startswith("Before the sliders: **7 · ") for text in prediction_texts(inside_page)
    )

    inside_page.button(key="reset-sliders").click().run()
    assert inside_page.slider(key="rotation").value == 0
    assert headline(inside_page) == upright
    assert not any("Before the sliders" in text for text in prediction_texts(inside_page))


def test_every_slider_runs_without_error(inside_page):
    inside_page.drawn["image"] = canvas_image(SEVEN)
    inside_page.run()
    for key, value in (("shift-x", -8), ("shift-y", 8), ("scale", 0.5), ("thickness", -1.0)):
        inside_page.slider(key=key).set_value(value).run()
        assert not inside_page.exception, key
        # A digit pushed half out of the field may no longer look like a digit: said in words.
        assert headline(inside_page), key


def test_mnist_test_images_by_number(inside_page, mnist):
    inside_page.run()
    inside_page.segmented_control(key="inside-source").set_value("MNIST test image").run()
    assert not inside_page.exception
    label = mnist.test_labels[0]
    assert headline(inside_page).startswith(f"# {label} · ")
    assert f"MNIST's label: {label}" in inside_page.image[0].captions[0]

    inside_page.number_input(key="test-index").set_value(10_000).run()
    assert not inside_page.exception
    assert "There are 10,000 test images, numbered 0 to 9,999" in inside_page.error[0].value
    assert headline(inside_page) is None
    assert any("Choose a test image" in text for text in prediction_texts(inside_page))

    inside_page.number_input(key="test-index").set_value(1).run()
    assert not inside_page.error
    assert headline(inside_page).startswith(f"# {mnist.test_labels[1]} · ")


def test_bad_canvas_data_gives_a_message_not_a_crash(inside_page):
    inside_page.drawn["image"] = np.full((280, 280, 4), np.nan, dtype=np.float32)
    inside_page.run()
    assert not inside_page.exception
    assert "Could not read the drawing" in inside_page.error[0].value
    assert headline(inside_page) is None


def is_presenter_style(html: str) -> bool:
    return html.lstrip().startswith("<style>") and "html { font-size" in html


def test_presenter_mode_adds_its_style_and_stays_on(inside_page):
    inside_page.drawn["image"] = canvas_image(SEVEN)
    inside_page.run()
    assert not any(is_presenter_style(html.value) for html in inside_page.get("html"))
    inside_page.sidebar.toggle(key="presenter").set_value(True).run()
    assert not inside_page.exception
    styles = [html.value for html in inside_page.get("html") if is_presenter_style(html.value)]
    assert styles and "zoom" in styles[0]
    inside_page.run()  # still on at the next run
    assert inside_page.sidebar.toggle(key="presenter").value


def test_each_feature_map_is_scaled_on_its_own():
    from mnist_cnn.ui.inside import scaled_per_map

    maps = np.zeros((4, 4, 3), dtype=np.float32)
    maps[0, 0, 0], maps[1, 1, 1] = 8.0, 0.01  # a strong map, a weak one, an empty one
    scaled = scaled_per_map(maps)
    assert scaled[0, 0, 0] == scaled[1, 1, 1] == 1.0  # the weak map's pattern shows as well
    assert not scaled[:, :, 2].any()  # the empty one stays black


def test_every_word_a_class_may_not_know_is_explained_where_it_appears(inside_page):
    inside_page.drawn["image"] = canvas_image(SEVEN)
    inside_page.run()
    words = " ".join(all_markdown(inside_page) + [c.value for c in inside_page.caption])
    for explained in (
        "also called a kernel",  # kernel
        "that rule is called ReLU",  # ReLU
        "bias (one more learned number of its own)",  # bias
        "softmax, a formula, turns their sums into probabilities",  # softmax
        "Parameters are the numbers the network learned",  # parameters
    ):
        assert explained in words, explained
