"""The lesson's steps and live parts (mnist_cnn.lesson, mnist_cnn.lesson_live) and the notebook
written from them (tools/codealong.py): the same code in both, the notebook's network is the
package's (41,018 parameters), and a notebook-trained network lands in the app's models list."""

import json

import keras
import nbformat
import numpy as np
import pytest

from mnist_cnn.lesson import STEPS, step_number
from mnist_cnn.lesson_live import (
    RUN_FILE,
    STEP_FILE,
    LessonBoard,
    architecture,
    dropout_demo,
    ink_window,
    loss_examples,
    one_hot,
    save_to_app,
    shape_chain,
    window_picture,
)
from mnist_cnn.model import NUM_CLASSES
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelStore
from tools.codealong import NOTEBOOK, as_text, notebook


def stored_notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_the_stored_notebook_is_the_one_written_from_the_steps():
    assert NOTEBOOK.read_text() == as_text(notebook()), "run: python -m tools.codealong"


def test_each_step_has_its_code_as_a_notebook_cell_in_order_without_outputs():
    code_cells = [cell for cell in stored_notebook().cells if cell.cell_type == "code"]
    assert [cell.source for cell in code_cells] == [step.code for step in STEPS]
    assert [cell.metadata["lesson_step"] for cell in code_cells] == [step.slug for step in STEPS]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code_cells)
    assert len({step.slug for step in STEPS}) == len(STEPS)


def test_the_notebook_uses_todays_keras_not_keras_1():
    code = "\n".join(step.code for step in STEPS)
    for old in ("Convolution2D", "border_mode", "nb_epoch", "set_image_dim_ordering"):
        assert old not in code
    assert "batch_size=200" in code and "epochs=8" in code


def notebook_model() -> keras.Model:
    """The network the notebook's code builds (steps 4 to 6), without training it."""
    namespace = {}
    for step in STEPS:
        if step.slug in ("plan", "convolution", "dense"):
            exec(step.code.replace("model.summary()", ""), namespace)  # noqa: S102
    return namespace["model"]


def test_the_notebook_network_is_the_packages_seed_network():
    model = notebook_model()
    rows = [row for row in architecture() if row.kind != "InputLayer"]
    assert model.count_params() == sum(row.parameters for row in rows) == 41_018
    assert [type(layer).__name__ for layer in model.layers] == [row.kind for row in rows]
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == [
        row.output_shape for row in rows
    ]
    assert [layer.count_params() for layer in model.layers] == [row.parameters for row in rows]


@pytest.mark.parametrize(
    "text, step, problem",
    [
        (None, 1, None),
        ("", 1, None),
        ("4", 4, None),
        (" 10 ", 10, None),
        ("0", 1, "There is no step 0"),
        ("-3", 1, "There is no step -3"),
        ("11", 10, "the lesson has 10 steps"),
        ("abc", 1, "There is no step “abc”"),
    ],
)
def test_step_number_from_the_address(text, step, problem):
    found, message = step_number(text)
    assert found == step
    assert (message is None) if problem is None else (problem in message)


def test_shape_chain_is_28_24_12_8_4_for_the_notebook_and_explains_a_window_too_big():
    assert shape_chain(5) == shape_chain(5, 2)
    assert shape_chain(5).sides == [28, 24, 12, 8, 4] and shape_chain(5).problem is None
    assert shape_chain(9).sides == [28, 20, 10, 2, 1]
    too_big = shape_chain(13)
    assert too_big.problem.startswith("A 13 × 13 window does not fit")
    assert too_big.sides == [28, 16, 8]


def test_one_hot_is_kerass_to_categorical_and_refuses_a_non_digit():
    assert one_hot(3).tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="Received: label=10"):
        one_hot(10)


def test_ink_window_sits_on_the_ink_inside_the_picture():
    image = np.zeros((28, 28), np.uint8)
    image[20:27, 22:27] = 255
    top, left = ink_window(image)
    assert (top, left) == (20, 21)  # centred on the ink
    assert image[top : top + 6, left : left + 6].any()
    image[:] = 0
    image[27, 27] = 9
    assert ink_window(image) == (22, 22)  # kept inside the 28x28 picture
    with pytest.raises(ValueError, match="no ink"):
        ink_window(np.zeros((28, 28), np.uint8))


def test_window_picture_marks_the_window_and_refuses_one_outside():
    image = np.zeros((28, 28), np.uint8)
    picture = window_picture(image, 3, 4, 5)
    assert picture.shape == (28, 28, 3)
    marked = picture.any(axis=2)
    assert marked[3:8, 4:9].all() and marked.sum() == 25
    with pytest.raises(ValueError, match="Received: top=0, left=24"):
        window_picture(image, 0, 24, 5)


def test_dropout_switches_units_off_and_scales_the_rest():
    values = dropout_demo(0.2, 1000, seed=1)
    off = (values == 0).mean()
    assert 0.15 < off < 0.25
    assert np.allclose(values[values != 0], 1.25)


def test_cross_entropy_is_small_when_sure_and_right_and_large_when_sure_and_wrong():
    right, wrong = loss_examples(digit=7, wrong=1, sure=0.95)
    assert right.loss == pytest.approx(-np.log(0.95), rel=1e-4)
    assert wrong.loss == pytest.approx(-np.log(0.05 / 9), rel=1e-4)
    assert right.right_digit_probability == pytest.approx(0.95)
    assert wrong.probabilities.sum() == pytest.approx(1)


def test_lesson_board_keeps_the_teachers_step_and_the_run_for_every_server(tmp_path):
    one, other = LessonBoard(tmp_path / "models"), LessonBoard(tmp_path / "models")
    assert one.teacher_step() is None and one.run_id() is None
    one.set_teacher_step(4)
    one.set_run_id("20261204-120000-abcdef")
    assert other.teacher_step() == 4 and other.run_id() == "20261204-120000-abcdef"
    for bad in (0, -1, "3", 2.5):
        with pytest.raises(ValueError, match="Received: step="):
            one.set_teacher_step(bad)
    assert other.teacher_step() == 4
    (tmp_path / "models" / STEP_FILE).write_text("not json")
    (tmp_path / "models" / RUN_FILE).write_text(json.dumps({"run": 7}))
    assert other.teacher_step() is None and other.run_id() is None


def test_save_to_app_lists_a_notebook_network_as_a_finished_run(tmp_path, mnist):
    model = notebook_model()
    history = {"loss": [0.3, 0.1], "accuracy": [0.9, 0.97], "val_loss": [0.1, 0.05],
               "val_accuracy": [0.97, 0.98]}  # fmt: skip
    record = save_to_app(model, history, 0.04, 0.987, mnist, models_dir=tmp_path)
    store = ModelStore(tmp_path)
    listed = store.get(record.id)
    assert listed in store.list() and listed.status == Status.FINISHED and listed.error is None
    assert (listed.test_accuracy, listed.test_loss, listed.parameters) == (0.987, 0.04, 41_018)
    assert listed.history == history and listed.epochs_completed == 2
    assert listed.dataset_checksum == mnist.checksum
    assert store.load(record.id).count_params() == 41_018
    store.set_active(record.id)  # the app can use it


def test_save_to_app_refuses_a_network_the_app_cannot_read(tmp_path, mnist):
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(NUM_CLASSES + 2)])  # fmt: skip
    with pytest.raises(ValueError, match=r"Received: model with input \(28, 28, 1\)"):
        save_to_app(model, {}, 1.0, 0.1, mnist, models_dir=tmp_path)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
