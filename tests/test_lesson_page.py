"""The Lesson page through Streamlit's AppTest, run inside app.py's navigation (the last step
switches to the Draw page): every step with its code and live part, Back and Next, the step in
the address, the teacher's step followed by a student, and "Train it now" through the job back
end up to the lesson's network drawing on the Draw page."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_cnn.lesson import STEPS
from mnist_cnn.lesson_live import LESSON_RUN_NAME, LessonBoard
from mnist_cnn.status import Status
from mnist_cnn.storage import SHIPPED_ID, ModelStore
from mnist_cnn.ui.names import plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LESSON = "mnist_cnn/ui/pages/lesson.py"
TIMEOUT = 240  # seconds for the lesson's run to start and stop: TensorFlow starts on busy cores


@pytest.fixture
def models_dir(monkeypatch, tmp_path):
    path = tmp_path / "models"
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(path))
    monkeypatch.setenv("MNIST_CNN_CLASS_DIR", str(tmp_path / "class"))
    monkeypatch.delenv("MNIST_CNN_TEACHER_KEY", raising=False)
    return path


def lesson(step: str | None = None) -> AppTest:
    """The app opened on the Lesson page (at `?step=step` when given)."""
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    if step is not None:
        app.query_params["step"] = step
    return app.switch_page(LESSON).run()


def shown_step(app: AppTest) -> int:
    texts = [markdown.value for markdown in app.markdown if markdown.value.startswith("Step ")]
    assert len(texts) == 1, texts
    number, total = texts[0].removeprefix("Step ").split(" of ")
    assert int(total) == len(STEPS)
    return int(number)


def test_next_walks_through_every_step_with_its_code_and_live_part(models_dir, mnist):
    app = lesson()
    assert app.query_params["step"] == "1"
    assert app.button(key="lesson-back").disabled
    for number, step in enumerate(STEPS, start=1):
        assert not app.exception, (number, app.exception)
        assert shown_step(app) == number and app.query_params["step"] == str(number)
        assert app.subheader[0].value == f"{number}. {step.title}"
        assert [code.value for code in app.code] == [step.code]  # exactly the notebook's cell
        assert app.get_by_key("lesson-step") is not None
        if number < len(STEPS):
            app.button(key="lesson-next").click().run()
    assert app.button(key="lesson-next").disabled
    app.button(key="lesson-back").click().run()
    assert shown_step(app) == len(STEPS) - 1 and app.query_params["step"] == str(len(STEPS) - 1)


def test_live_parts_show_the_packages_numbers(models_dir, mnist):
    app = lesson("1")
    table = app.dataframe[0].value
    assert list(table["shape"]) == ["(60000, 28, 28)", "(60000,)", "(10000, 28, 28)", "(10000,)"]
    app = lesson("3")
    assert app.dataframe[0].value.iloc[0].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]  # a 5
    app = lesson("4")
    assert "#### 28 → 24 → 12 → 8 → 4" in [markdown.value for markdown in app.markdown]
    app.select_slider(key="lesson-kernel").set_value(13).run()
    assert app.warning[0].value.startswith("A 13 × 13 window does not fit")
    app = lesson("5")
    architecture = app.dataframe[0].value
    assert list(architecture.columns) == ["layer", "type", "output", "weights"]
    assert architecture.weights.sum() == 41_018
    assert architecture[architecture.layer == "conv2"]["output"].item() == "8 × 8 × 16"
    app = lesson("7")
    losses = app.dataframe[0].value.loss.tolist()
    assert losses[0] < 0.06 < 5 < losses[1]
    app = lesson("9")
    assert app.dataframe[0].value.iloc[0].tolist() == ["the original notebook", "99.16%", "0.0257"]


@pytest.mark.parametrize(
    "asked, step, message",
    [("4", 4, None), ("abc", 1, "There is no step “abc”"), ("99", 10, "There is no step 99")],
)
def test_the_step_is_in_the_address(models_dir, asked, step, message):
    app = lesson(asked)
    assert not app.exception
    assert shown_step(app) == step and app.query_params["step"] == str(step)
    # only the address's warnings: without MNIST a step's live part warns that it needs it
    warnings = [warning.value for warning in app.warning if "There is no step" in warning.value]
    assert (warnings == []) if message is None else any(message in text for text in warnings)


def test_a_student_follows_the_teachers_step_unless_they_untick_it(models_dir, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_TEACHER_KEY", "owl")
    student = lesson("2")
    assert student.checkbox(key="lesson-follow").value is True
    assert shown_step(student) == 2  # no teacher yet: their own pace
    teacher = lesson("1")
    teacher.sidebar.text_input(key="teacher-passphrase").input("owl").run()
    assert not [checkbox for checkbox in teacher.checkbox if checkbox.key == "lesson-follow"]
    teacher.button(key="lesson-next").click().run()
    teacher.button(key="lesson-next").click().run()
    assert LessonBoard(models_dir).teacher_step() == 3
    student.run()
    assert shown_step(student) == 3 and student.query_params["step"] == "3"
    assert student.button(key="lesson-next").disabled  # the teacher leads
    student.checkbox(key="lesson-follow").uncheck().run()
    student.button(key="lesson-next").click().run()
    assert shown_step(student) == 4
    teacher.button(key="lesson-back").click().run()
    student.run()
    assert shown_step(student) == 4 and LessonBoard(models_dir).teacher_step() == 2


def test_without_a_passphrase_nobody_leads(models_dir):
    one, other = lesson("5"), lesson("2")
    assert not [checkbox for checkbox in one.checkbox if checkbox.key == "lesson-follow"]
    assert LessonBoard(models_dir).teacher_step() is None
    other.run()
    assert shown_step(other) == 2


def rerun_until(app: AppTest, condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.5)
        app.run()


def test_train_it_now_runs_the_notebooks_network_and_the_last_step_draws_with_it(
    models_dir, mnist, fake_canvas
):
    app = lesson("8")
    app.button(key="lesson-train").click().run()
    assert not app.exception
    run_id = LessonBoard(models_dir).run_id()
    store = ModelStore(models_dir)
    record = store.get(run_id)
    assert record.name == LESSON_RUN_NAME and record.config.epochs == 8
    assert record.config.batch_size == 200 and record.config.conv1_filters == 16
    assert not [button for button in app.button if button.key == "lesson-train"]  # followed
    rerun_until(app, lambda: [b for b in app.button if b.key == f"stop-{run_id}"], "Stop")
    assert app.progress  # the Train page's live progress
    app.button(key=f"stop-{run_id}").click().run()  # stop early: the model so far is saved
    rerun_until(app, lambda: not store.get(run_id).status.is_active, "the run to end")
    rerun_until(app, lambda: [b for b in app.button if b.key == "lesson-train"], "Train it now")
    assert store.get(run_id).status == Status.STOPPED
    assert any("Last lesson run: **stopped**" in markdown.value for markdown in app.markdown)

    app.button(key="lesson-next").click().run()  # 9: its score beside the notebook's
    results = app.dataframe[0].value
    assert results.network.tolist() == ["the original notebook", "this lesson's run"]
    accuracy = store.get(run_id).test_accuracy
    assert results["test accuracy"].iloc[1] == f"{100 * accuracy:.2f}%"

    app.button(key="lesson-next").click().run()  # 10: your turn
    assert store.active_id() == SHIPPED_ID
    app.button(key="lesson-draw").click().run()
    assert not app.exception
    assert store.active_id() == run_id  # no passphrase: everyone's model, as "Use this model"
    assert any(plain(LESSON_RUN_NAME) in markdown.value for markdown in app.sidebar.markdown)
    assert fake_canvas.keys[-1].startswith("canvas")  # the Draw page's canvas
