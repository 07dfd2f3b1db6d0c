"""The Class digits page, the Draw page's feedback buttons and the Train page's option, in AppTest."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import ONE, SEVEN, canvas_image
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_cnn.classdata import NOT_A_DIGIT, ClassDigits
from mnist_cnn.jobs import LocalJobs
from mnist_cnn.predict import Predictor
from mnist_cnn.preprocess import preprocess
from mnist_cnn.storage import ModelStore
from mnist_cnn.ui.feedback import TEACH_HINT
from tools.strokes import digit_strokes, render_strokes

UI = Path(__file__).resolve().parent.parent / "mnist_cnn" / "ui"


def fill(store, labels, guess=0):
    """Save one drawn digit per label, all with the same model guess."""
    for number, label in enumerate(labels):
        strokes = digit_strokes(label, np.random.default_rng(number))
        original = np.asarray(render_strokes(strokes, background="transparent"))
        store.add(original, preprocess(original).image, label, guess, "shipped")


@pytest.fixture
def class_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MNIST_CNN_CLASS_DIR", str(tmp_path / "class"))
    return tmp_path / "class"


def page(name):
    return AppTest.from_file(str(UI / name), default_timeout=60)


def block(app, key):
    return next(node for node in app.main if getattr(node, "key", None) == key)


def captions(app, digit):
    return [
        text for image in block(app, f"gallery-{digit}").get("image") for text in image.captions
    ]


def test_an_empty_dataset_says_how_to_add_drawings(class_dir):
    app = page("pages/class_digits.py").run()
    assert not app.exception
    assert "No drawings saved yet" in app.info[0].value
    assert not app.get("image") and not app.metric


def test_the_gallery_and_the_scores(class_dir, shipped_model):
    store = ClassDigits(class_dir)
    fill(store, [3, 7, 7, 1, 3, 3], guess=3)
    app = page("pages/class_digits.py").run()
    assert not app.exception and not app.warning
    assert captions(app, 3) == [
        "#1 · model: 3 ✓",
        "#5 · model: 3 ✓ · held out",
        "#6 · model: 3 ✓",
    ]
    assert captions(app, 7) == ["#2 · model: 3 ✗", "#3 · model: 3 ✗"]
    counts = [metric.value for metric in block(app, "counts").get("metric")]
    assert counts == list("01030002000")  # per digit, 0 to 9, then "not a digit"

    predictor = Predictor(shipped_model)
    scores = {metric.label: metric.value for metric in block(app, "scores").get("metric")}
    everything = f"{100 * store.accuracy(predictor):.1f}%"
    held_out = f"{100 * store.accuracy(predictor, 'held_out'):.1f}%"
    mnist = f"{100 * ModelStore().shipped().test_accuracy:.2f}%"
    assert scores == {
        "all 6 class drawings": everything,
        "the 1 held-out drawings": held_out,
        "10,000 MNIST test digits": mnist,
    }
    assert app.get("download_button")[0].proto.label == "Download all drawings (.zip)"

    app.toggle(key="as-drawn").set_value(True).run()  # the drawings as drawn, on black
    assert not app.exception and captions(app, 7) == ["#2 · model: 3 ✗", "#3 · model: 3 ✗"]


def test_deleting_a_drawing_needs_confirmation(class_dir):
    fill(ClassDigits(class_dir), [2, 4, 6])
    app = page("pages/class_digits.py").run()
    app.selectbox(key="delete-choice").set_value("000002").run()
    assert app.button(key="delete").disabled
    app.checkbox(key="delete-sure-000002").check().run()
    app.button(key="delete").click().run()
    assert not app.exception
    assert [entry.id for entry in ClassDigits(class_dir).entries()] == ["000001", "000003"]
    assert app.success[0].value == "Drawing #2 deleted."
    assert not any(getattr(node, "key", None) == "gallery-4" for node in app.main)


def test_damaged_files_are_named_and_the_rest_still_shows(class_dir):
    fill(ClassDigits(class_dir), [5, 8])
    (class_dir / "000001.json").write_text("{")
    app = page("pages/class_digits.py").run()
    assert not app.exception
    assert "000001.json could not be read" in app.warning[0].value
    assert captions(app, 8) == ["#2 · model: 0 ✗"]
    assert (class_dir / "000001.json").read_text() == "{"


@pytest.fixture
def draw_page(class_dir, fake_canvas):
    app = page("pages/draw.py")
    app.drawn = fake_canvas
    return app


def test_the_draw_page_saves_a_drawing_once_with_its_true_digit(draw_page, class_dir):
    draw_page.run()
    assert [button.key for button in draw_page.button] == [
        "canvas-clear",
        "canvas-undo",
    ]  # no feedback

    draw_page.drawn["image"] = canvas_image(SEVEN)
    draw_page.run()
    assert draw_page.button(key="feedback-save").disabled  # no digit chosen yet
    draw_page.button(key="feedback-right").click().run()
    assert not draw_page.exception
    (entry,) = ClassDigits(class_dir).entries()
    assert (entry.label, entry.guess, entry.model_id) == (7, 7, "shipped")
    assert draw_page.toast[0].value == "Saved as a 7 — thank you!"
    assert draw_page.success[0].value == "Saved as a 7 — thank you!"
    assert TEACH_HINT not in [caption.value for caption in draw_page.caption]  # it read it right
    assert draw_page.button(key="feedback-right").disabled  # the same drawing only once
    draw_page.run()
    assert len(ClassDigits(class_dir).entries()) == 1

    draw_page.drawn["image"] = canvas_image(ONE)  # a new drawing, which the student says is a 4
    draw_page.run()
    assert not draw_page.button(key="feedback-right").disabled and not draw_page.success
    draw_page.selectbox(key="feedback-label").set_value(4).run()
    draw_page.button(key="feedback-save").click().run()
    first, second = ClassDigits(class_dir).entries()
    assert (second.label, second.guess) == (4, 1)
    assert np.array_equal(np.asarray(Image.open(second.original_path)), canvas_image(ONE))
    assert draw_page.success[0].value == "Saved as a 4 — thank you!"
    assert TEACH_HINT in [caption.value for caption in draw_page.caption]  # how it can learn it
    assert draw_page.selectbox(key="feedback-label").value is None


def test_a_failed_save_says_why(draw_page, class_dir):
    class_dir.write_text("a file where the folder should be")
    draw_page.drawn["image"] = canvas_image(SEVEN)
    draw_page.run()
    draw_page.button(key="feedback-right").click().run()
    assert not draw_page.exception
    assert "Could not save the drawing" in draw_page.error[0].value
    assert not draw_page.button(key="feedback-right").disabled  # the student can try again


class RecordingJobs(LocalJobs):
    """This machine's back end, keeping the requests it is sent instead of training them."""

    def __init__(self, store):
        super().__init__(store)
        self.requests = []

    def submit(self, request):
        self.requests.append(request)
        return SimpleNamespace(queue_position=None)


def test_the_train_page_adds_only_the_training_drawings(class_dir, hand_jobs, tmp_path):
    jobs = RecordingJobs(ModelStore(tmp_path / "models"))
    hand_jobs(jobs)
    submitted = jobs.requests
    app = page("pages/train.py").run()
    assert app.checkbox(key="use-class-digits").disabled  # nothing saved yet

    store = ClassDigits(class_dir)
    fill(store, [0, 1, 2, 3, 4, 5])
    app.run()
    counted = "Adds 5 drawings × 10 = 50 training images; 1 held-out drawings are never trained on."
    assert counted in [caption.value for caption in app.caption]
    app.checkbox(key="use-class-digits").check().run()
    app.number_input(key="class-repeat").set_value(3).run()
    app.button(key="start").click().run()
    assert not app.exception
    images, labels = submitted[0].extras
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 5, 5, 5]  # #5 (a 4) is held out
    assert np.array_equal(images, np.repeat(store.arrays("train")[0], 3, axis=0))

    app.checkbox(key="use-class-digits").uncheck().run()
    app.button(key="start").click().run()
    assert submitted[1].extras == (None, None)


# --- a teacher in charge, and "not a digit" ---------------------------------------------------


def test_with_a_passphrase_only_the_teacher_deletes_drawings_or_sees_the_folder(
    class_dir, monkeypatch
):
    monkeypatch.setenv("MNIST_CNN_TEACHER_KEY", "owl feathers")
    fill(ClassDigits(class_dir), [2, 4])
    student = page("pages/class_digits.py").run()
    assert not student.exception
    assert "Only the teacher can delete the class's drawings." in texts(student.caption)
    assert not [box for box in student.selectbox if box.key == "delete-choice"]
    assert not any(str(class_dir) in text for text in texts(student.caption))  # no server path
    assert [button.key for button in student.get("download_button")] == ["export"]

    teacher = page("pages/class_digits.py").run()
    teacher.text_input(key="teacher-passphrase").set_value("owl feathers").run()
    assert any(str(class_dir) in text for text in texts(teacher.caption))
    teacher.selectbox(key="delete-choice").set_value("000002").run()
    teacher.checkbox(key="delete-sure-000002").check().run()
    teacher.button(key="delete").click().run()
    assert [entry.id for entry in ClassDigits(class_dir).entries()] == ["000001"]


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def test_this_is_right_under_not_a_digit_saves_not_a_digit(draw_page, class_dir):
    from conftest import cross_on_canvas

    draw_page.drawn["image"] = cross_on_canvas()
    draw_page.run()
    assert any(text.startswith("# Not a digit · ") for text in texts(draw_page.markdown))
    assert draw_page.selectbox(key="feedback-label").options[-1] == "not a digit"
    draw_page.button(key="feedback-right").click().run()
    (entry,) = ClassDigits(class_dir).entries()
    assert (entry.label, entry.guess) == (NOT_A_DIGIT, NOT_A_DIGIT)  # never a digit
    assert draw_page.success[0].value == "Saved as not a digit — thank you!"

    gallery = page("pages/class_digits.py").run()
    assert [metric.value for metric in block(gallery, "counts").get("metric")][-1] == "1"
    assert block(gallery, f"gallery-{NOT_A_DIGIT}").get("subheader")[0].value == (
        "Not a digit · 1 drawing"
    )
    assert captions(gallery, NOT_A_DIGIT) == ["#1 · model: not a digit ✓"]

    draw_page.drawn["image"] = canvas_image(SEVEN)  # a digit the student says is no digit
    draw_page.run()
    draw_page.selectbox(key="feedback-label").set_value(NOT_A_DIGIT).run()
    draw_page.button(key="feedback-save").click().run()
    assert [(entry.label, entry.guess) for entry in ClassDigits(class_dir).entries()] == [
        (NOT_A_DIGIT, NOT_A_DIGIT),
        (NOT_A_DIGIT, 7),
    ]


def test_the_teacher_may_delete_every_drawing_at_once(class_dir, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_TEACHER_KEY", "owl feathers")
    fill(ClassDigits(class_dir), [1, 2, 3])
    (class_dir / "notes.txt").write_text("not a drawing: kept")
    student = page("pages/class_digits.py").run()
    assert not [button for button in student.button if button.key == "clear"]
    teacher = page("pages/class_digits.py").run()
    teacher.text_input(key="teacher-passphrase").set_value("owl feathers").run()
    assert teacher.button(key="clear").disabled
    teacher.checkbox(key="clear-sure").check().run()
    teacher.button(key="clear").click().run()
    assert not teacher.exception and teacher.success[0].value == "3 drawings deleted."
    assert ClassDigits(class_dir).entries() == [] and (class_dir / "notes.txt").exists()


class FinishedFineTunes(RecordingJobs):
    """Stands in for the trainer: each request becomes a run that has ended, with a fine-tune's
    figures."""

    def submit(self, request):
        from mnist_cnn.status import Status
        from mnist_cnn.storage import ASSETS_DIR

        self.requests.append(request)
        record = self.store.new_run(request.name, request.config, status=Status.FINISHED)
        record.fine_tune = {**request.fine_tune, "class_drawings": 4, "held_out_drawings": 1,
                            "held_out_before": 0.0, "held_out_after": 1.0,
                            "mnist_before": 0.9956}  # fmt: skip
        record.test_accuracy, record.train_seconds = 0.9949, 3.2
        (Path(record.directory) / "model.keras").write_bytes(
            (ASSETS_DIR / "model.keras").read_bytes()
        )
        self.store.update(record)
        return SimpleNamespace(id=record.id, queue_position=None)


def test_teach_it_our_handwriting_queues_a_fine_tune_then_offers_the_new_model(
    class_dir, hand_jobs, tmp_path
):
    """The button submits a fine-tune of the model in use to the job back end; once the run
    has ended, the page shows its figures and "Use this model" switches to it."""
    models = ModelStore()
    jobs = FinishedFineTunes(models)
    hand_jobs(jobs)
    app = page("pages/class_digits.py").run()
    assert not app.exception
    store = ClassDigits(class_dir)
    fill(store, [0, 1, 2, 3, 4])
    app.run()
    assert not app.button(key="teach").disabled
    app.button(key="teach").click().run()
    assert not app.exception
    request = jobs.requests[0]
    assert request.name == "Shipped: accurate preset + class handwriting"
    assert request.fine_tune["base_model_id"] == "shipped"
    assert request.fine_tune["class_dir"] == str(class_dir)
    assert "learned from 4 drawings" in app.success[0].value
    assert "0.0% → 100.0%" in app.success[0].value
    assert "MNIST test: 99.56% → 99.49%." in app.success[0].value
    new_id = models.list()[1].id
    assert models.active_id() == "shipped"
    app.button(key="teach-use").click().run()
    assert not app.exception
    assert models.active_id() == new_id


def test_the_train_page_teaches_the_model_in_use_too(class_dir, hand_jobs):
    """Beside adding the drawings to a new training, the Train page offers the quicker way, the
    same "Teach it our handwriting"; its figures and "Use this model" show there too, beside the
    runs list's own "Use this model"."""
    models = ModelStore()
    jobs = FinishedFineTunes(models)
    hand_jobs(jobs)
    fill(ClassDigits(class_dir), [0, 1, 2, 3, 4])
    app = page("pages/train.py").run()
    assert not app.exception
    app.button(key="teach").click().run()
    assert not app.exception
    assert jobs.requests[0].fine_tune["base_model_id"] == "shipped"
    assert "learned from 4 drawings" in app.success[0].value
    new_id = models.list()[1].id
    app.button(key="teach-use").click().run()
    assert not app.exception
    assert models.active_id() == new_id


def test_teach_without_training_drawings_is_disabled(class_dir):
    store = ClassDigits(class_dir)
    fill(store, [0, 1, 2, 3, 4])
    store.delete("000001"), store.delete("000002"), store.delete("000003"), store.delete("000004")
    app = page("pages/class_digits.py").run()
    assert not app.exception
    assert app.button(key="teach").disabled  # only #5, a held-out drawing, is left
