"""The Train page through Streamlit's AppTest: the form, the architecture table, a real (tiny)
training started from the page, the queue, and the actions of the runs list.

Waiting for a run: the page's LocalJobs is a `st.cache_resource` created inside the page
script, so the tests do not reach for it (they only warm the server's one trainer, as app.py
does when it serves its first page: AppTest runs the page script alone). They wait on what
the page reads: the run's metadata on disk (a plain ModelStore over the same folder,
read-only, no second LocalJobs whose recover() or worker could interfere), then rerun the
page until its live part says no training is running.
Runs-list actions that need no training use a run folder made with the store, holding a
copy of the shipped model file.
"""

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from mnist_cnn.config import PRESETS, SETTINGS, TrainConfig
from mnist_cnn.jobs import LocalJobs
from mnist_cnn.jobs.cluster import ClusterJobs, RunFiles
from mnist_cnn.jobs.trainer import TRAINER
from mnist_cnn.lifecycle import end_run
from mnist_cnn.status import Status
from mnist_cnn.storage import ASSETS_DIR, ModelStore
from mnist_cnn.ui.names import plain

PAGE = str(Path(__file__).resolve().parent.parent / "mnist_cnn" / "ui" / "pages" / "train.py")
TINY = {"train_size": 1000, "validation_size": 200, "epochs": 1, "batch_size": 100}
# 1,000 batches: long enough (seconds) to queue a second run behind it, even with a warm trainer
FIRST = {"train_size": 5000, "validation_size": 200, "epochs": 2, "batch_size": 10}
ENDED_ON_DISK = ("finished", "stopped", "failed", "interrupted")
TIMEOUT = 240  # seconds for a tiny run: a fresh process imports TensorFlow on two busy cores


def new_app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60)


@pytest.fixture
def models_dir(monkeypatch, tmp_path):
    path = tmp_path / "models"
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(path))
    monkeypatch.setenv("MNIST_CNN_CLASS_DIR", str(tmp_path / "class"))  # no class drawings
    return path


@pytest.fixture
def train_page(models_dir):
    return new_app().run()


def setting_input(app: AppTest, name: str):
    """The input of one setting (its key ends with how many times a preset filled them)."""
    [widget] = [
        widget
        for widgets in (app.number_input, app.checkbox, app.selectbox)
        for widget in widgets
        if widget.key and widget.key.rsplit("-", 1)[0] == f"setting-{name}"
    ]
    return widget


def set_numbers(app: AppTest, **values) -> AppTest:
    for name, value in values.items():
        setting_input(app, name).set_value(value)
    return app.run()


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def runs_table(app: AppTest):
    return app.dataframe[-1].value  # the runs list is the page's last table


def architecture(app: AppTest) -> dict:
    """Layer name -> output shape, from the table of the network the settings build."""
    table = app.dataframe[0].value
    assert list(table.columns) == ["layer", "type", "output shape", "parameters"]
    return dict(zip(table.layer, table["output shape"], strict=True))


def form_values(app: AppTest) -> dict:
    return {name: setting_input(app, name).value for name in TrainConfig.__dataclass_fields__}


def sidebar_names(app: AppTest, name: str) -> bool:
    return f"**Active model:** {plain(name)}" in texts(app.sidebar.markdown)


def saved_run(store: ModelStore, name: str):
    """A finished run as training leaves it, with the shipped network as its model file."""
    record = store.new_run(name, TrainConfig(**TINY).to_dict(), status="finished")
    shutil.copy(ASSETS_DIR / "model.keras", record.model_path)
    record.test_accuracy, record.parameters = 0.5, 1234
    store.update(record)
    return record


def rerun_until(app: AppTest, condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, texts(app.markdown)
        time.sleep(0.25)
        app.run()


def wait_until_ended(app: AppTest, store: ModelStore, run_id: str):
    """Wait for the run's metadata to say it ended, then for the page to say nothing trains."""
    deadline = time.monotonic() + TIMEOUT
    while (record := store.get(run_id)).status not in ENDED_ON_DISK:
        assert time.monotonic() < deadline, f"run still {record.status} after {TIMEOUT} s"
        time.sleep(0.25)
    while not any("No training is running" in text for text in texts(app.run().info)):
        assert time.monotonic() < deadline, texts(app.markdown)
        time.sleep(0.25)
    return record


# --- the form ------------------------------------------------------------------------------


def test_page_renders_with_the_seed_preset(train_page):
    assert not train_page.exception and not train_page.error
    assert train_page.segmented_control(key="preset").options == list(PRESETS)
    assert form_values(train_page) == PRESETS["seed"].to_dict()
    assert architecture(train_page)["conv1"] == "24 × 24 × 16"
    assert train_page.text_input(key="run-name").value == "seed preset"
    assert not train_page.button(key="start").disabled
    assert any("No training is running" in text for text in texts(train_page.info))
    assert list(runs_table(train_page).name) == [ModelStore().shipped().name]


def test_impossible_settings_are_refused_before_anything_starts(train_page, models_dir):
    set_numbers(train_page, kernel_size=11)  # with pool 2: maps of 18, 9, then -1
    assert not train_page.exception
    on_top, error = texts(train_page.error)
    assert "see the message under it" in on_top
    assert error.startswith("Detector size, in pixels (kernel_size): Detectors 11 pixels wide")
    assert "kernel_size=11" in error and "pool_size=2" in error
    assert train_page.button(key="start").disabled
    assert len(train_page.dataframe) == 1  # no architecture table, only the runs list

    set_numbers(train_page, kernel_size=5, train_size=55_500)  # + 5,000 > 60,000
    on_top, error = texts(train_page.error)
    assert error.startswith("Training images (train_size): ")
    assert "train_size=55500, validation_size=5000" in error
    assert train_page.button(key="start").disabled

    set_numbers(train_page, train_size=55_000)
    assert not train_page.error and not train_page.button(key="start").disabled
    assert [record.id for record in ModelStore(models_dir).list()] == ["shipped"]


def test_an_empty_run_name_is_refused(train_page, models_dir):
    set_numbers(train_page, **TINY)
    train_page.text_input(key="run-name").set_value("   ")
    train_page.button(key="start").click().run()
    assert not train_page.exception
    assert any("name cannot be empty" in text for text in texts(train_page.error))
    assert [record.id for record in ModelStore(models_dir).list()] == ["shipped"]
    assert any("No training is running" in text for text in texts(train_page.info))


def test_start_says_so_when_the_training_cluster_does_not_answer(models_dir, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setenv("MNIST_CNN_CLUSTER", "tcp://127.0.0.1:9")  # nothing listens there
    page = new_app().run()
    assert not page.exception
    assert any("No training is running" in text for text in texts(page.info))  # reads still work
    assert "Runs train on the Dask cluster at tcp://127.0.0.1:9" in texts(page.caption)[0]
    set_numbers(page, **TINY)
    page.button(key="start").click().run()
    assert not page.exception
    (error,) = texts(page.error)
    assert error.startswith("Could not start training: The training cluster at tcp://127.0.0.1:9")
    assert "unset MNIST_CNN_CLUSTER" in error
    assert [record.id for record in ModelStore(models_dir).list()] == ["shipped"]


def test_the_last_run_is_the_one_that_ended_last_interrupted_included(models_dir, hand_jobs):
    """After a cluster died, "Last run" named an older failed run: now the run that ended last
    shows, though it was submitted first and was interrupted."""
    store = ModelStore(models_dir)
    jobs = ClusterJobs(store, "tcp://127.0.0.1:9")  # reads the shared folder; connects never
    ids = {}
    for name, submitted_at in (("died with the cluster", 1.0), ("failed earlier", 2.0)):
        ids[name] = store.new_run(name, TrainConfig(**TINY)).id
        RunFiles(store.root / ids[name]).write(
            "job.json", {"owner": "a", "submitted_at": submitted_at}
        )
    end_run(store, ids["failed earlier"], Status.FAILED, "failed earlier.")
    time.sleep(0.01)
    end_run(store, ids["died with the cluster"], Status.INTERRUPTED, "died with the cluster.")
    hand_jobs(jobs)
    page = new_app().run()
    assert not page.exception
    assert "**Last run: “died with the cluster”**: interrupted." in texts(page.markdown)
    assert "died with the cluster." in texts(page.error)


def follow(run_id: str) -> None:
    """A page that shows one run live, as the Lesson page does."""
    from mnist_cnn.ui.train_live import follow_run

    follow_run(run_id)


def test_any_page_can_follow_one_run_by_its_id(tmp_path, hand_jobs):
    store = ModelStore(tmp_path / "models")
    ids = {}
    for name in ("waiting", "cut off"):
        ids[name] = store.new_run(name, TrainConfig(epochs=1)).id
        RunFiles(store.root / ids[name]).write("job.json", {"owner": "a", "submitted_at": 1.0})
    end_run(store, ids["cut off"], Status.INTERRUPTED, "The training cluster stopped.")
    hand_jobs(ClusterJobs(store, "tcp://127.0.0.1:9"))  # reads the folder; connects never

    def shown(run_id: str) -> AppTest:
        app = AppTest.from_function(follow, args=(run_id,), default_timeout=60).run()
        assert not app.exception
        return app

    assert [info.value for info in shown(ids["waiting"]).info] == ["“waiting” is queued, place 1."]
    ended = shown(ids["cut off"])
    assert [text.value for text in ended.markdown] == ["**Run: “cut off”**: interrupted."]
    assert [error.value for error in ended.error] == ["The training cluster stopped."]
    unknown = shown("20260101-000000-abcdef")
    assert "not known here" in unknown.info[0].value


def test_the_architecture_table_follows_the_kernel_size(train_page):
    before = architecture(train_page)
    set_numbers(train_page, kernel_size=3)
    after = architecture(train_page)
    assert (before["conv1"], after["conv1"]) == ("24 × 24 × 16", "26 × 26 × 16")
    assert (before["conv2"], after["conv2"]) == ("8 × 8 × 16", "11 × 11 × 16")
    parameters = dict(
        zip(
            train_page.dataframe[0].value.layer,
            train_page.dataframe[0].value.parameters,
            strict=True,
        )
    )
    assert parameters["conv1"] == 3 * 3 * 16 + 16


def test_the_quick_preset_fills_its_values(train_page):
    train_page.segmented_control(key="preset").set_value("quick").run()
    assert not train_page.exception
    assert form_values(train_page) == PRESETS["quick"].to_dict()
    assert architecture(train_page)["conv1"] == "24 × 24 × 16"


def test_choosing_a_preset_renames_the_run(train_page):
    train_page.segmented_control(key="preset").set_value("quick").run()
    assert train_page.text_input(key="run-name").value == "quick preset"


def caption_texts(app: AppTest) -> list[str]:
    return texts(app.caption)


def test_presets_say_where_the_settings_came_from_and_never_reset_silently(train_page):
    assert "Settings: seed, as the preset · change them under Settings." in caption_texts(
        train_page
    )
    train_page.segmented_control(key="preset").set_value("quick").run()
    set_numbers(train_page, epochs=3)
    assert any(
        text.startswith("Settings: quick, changed (epochs)") for text in caption_texts(train_page)
    )
    assert train_page.text_input(key="run-name").value == "quick preset, changed"

    # Clicking the selected preset again unselects it in the browser: nothing changes.
    train_page.segmented_control(key="preset").set_value(None).run()
    assert not train_page.exception
    assert train_page.segmented_control(key="preset").value == "quick"
    assert form_values(train_page) == PRESETS["quick"].replace(epochs=3).to_dict()
    assert train_page.text_input(key="run-name").value == "quick preset, changed"

    # A name typed by hand is kept; undoing the changes is a button that says so.
    train_page.text_input(key="run-name").set_value("my net").run()
    train_page.button(key="undo-changes").click().run()
    assert form_values(train_page) == PRESETS["quick"].to_dict()
    assert "Settings: quick, as the preset · change them under Settings." in caption_texts(
        train_page
    )
    assert train_page.text_input(key="run-name").value == "my net"


def test_every_setting_has_plain_words_with_its_technical_name(train_page):
    for name, described in SETTINGS.items():
        widget = setting_input(train_page, name)
        assert widget.label == f"{described.label} ({name})"
        assert widget.help == described.help
        assert "_" not in described.label and described.label[0].isupper(), described.label


# --- a teacher in charge -------------------------------------------------------------------

HOSTILE = "**BIG** [click me](http://example.com)"


def enable(widget):
    """What a student could do in the browser's developer tools: enable a disabled widget."""
    widget.proto.disabled = False
    return widget


@pytest.fixture
def with_teacher(models_dir, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_TEACHER_KEY", "owl feathers")
    return ModelStore(models_dir)


def test_students_use_models_for_themselves_and_cannot_rename_or_delete(with_teacher):
    store = with_teacher
    record = saved_run(store, "handmade")
    student = new_app().run()
    assert student.text_input(key="teacher-passphrase").label == "Teacher passphrase"
    student.selectbox(key="chosen-run").set_value(record.id).run()
    assert student.button(key="activate").label == "Use this model (just me)"
    student.button(key="activate").click().run()
    assert store.active_id() == "shipped"  # the class's model is unchanged...
    assert sidebar_names(student, "handmade")  # ...this browser uses its own choice
    assert "Your own choice, for this browser only." in texts(student.sidebar.caption)
    assert new_app().run().sidebar.markdown[0].value.endswith(plain(store.shipped().name))
    [switcher] = student.sidebar.selectbox
    assert switcher.label == "Switch model (just me)"  # not the class-wide "Switch model"
    switcher.set_value("shipped").run()
    assert sidebar_names(student, store.shipped().name) and store.active_id() == "shipped"

    assert student.button(key="rename").disabled and student.button(key="delete").disabled
    assert "Only the teacher can rename or delete runs." in caption_texts(student)
    # A changed page (disabled buttons clicked anyway) changes nothing: Streamlit drops what
    # comes from a disabled widget, and mnist_cnn.permissions would refuse it anyway (its own
    # tests, tests/test_permissions.py).
    enable(student.text_input(key=f"rename-{record.id}")).set_value("taken over")
    enable(student.button(key="rename")).click().run()
    enable(student.checkbox(key=f"sure-{record.id}")).check().run()
    enable(student.button(key="delete")).click().run()
    assert not student.exception
    assert store.get(record.id).name == "handmade" and Path(record.directory).exists()

    student.text_input(key="teacher-passphrase").set_value("owl").run()
    assert "That is not the teacher passphrase." in texts(student.sidebar.error)
    assert student.button(key="rename").disabled


def test_the_teacher_enters_the_passphrase_once_and_may_do_everything(with_teacher):
    store = with_teacher
    record = saved_run(store, "handmade")
    teacher = new_app().run()
    teacher.text_input(key="teacher-passphrase").set_value("owl feathers").run()
    assert not teacher.sidebar.error
    assert any(
        text.startswith(":material/school: Teacher mode") for text in texts(teacher.sidebar.caption)
    )
    teacher.selectbox(key="chosen-run").set_value(record.id).run()
    assert teacher.button(key="activate").label == "Use this model"
    teacher.button(key="activate").click().run()
    assert store.active_id() == record.id  # for everyone
    teacher.text_input(key=f"rename-{record.id}").set_value("class model")
    teacher.button(key="rename").click().run()
    assert not teacher.error and store.get(record.id).name == "class model"
    teacher.button(key="sign-out").click().run()
    assert teacher.button(key="rename").disabled


# --- names are only names ------------------------------------------------------------------


def test_a_hostile_name_shows_literally(models_dir):
    store = ModelStore(models_dir)
    record = saved_run(store, f"  {HOSTILE}  ")
    assert record.name == HOSTILE  # trimmed
    store.set_active(record.id)
    app = new_app().run()
    app.selectbox(key="chosen-run").set_value(record.id).run()
    assert not app.exception
    assert sidebar_names(app, HOSTILE)
    # every punctuation mark escaped, and a word joiner (U+2060) after "http": no link
    assert plain(HOSTILE) == "\\*\\*BIG\\*\\* \\[click me\\]\\(http\u2060\\:\\/\\/example\\.com\\)"
    assert HOSTILE in list(runs_table(app).name)  # tables show text as it is
    assert f"{HOSTILE} (finished)" in app.selectbox(key="chosen-run").options
    markdown = texts(app.markdown) + texts(app.caption) + texts(app.error) + texts(app.info)
    assert not any("**BIG**" in text or "](http" in text for text in markdown), markdown


# --- the runs list -------------------------------------------------------------------------


def test_a_finished_run_can_be_used_renamed_and_deleted(models_dir):
    store = ModelStore(models_dir)
    record = saved_run(store, "handmade")
    app = new_app().run()
    assert app.selectbox(key="chosen-run").options[-1] == "handmade (finished)"  # shown labels
    app.selectbox(key="chosen-run").set_value(record.id).run()
    assert app.button(key="delete").disabled  # needs "I am sure" first

    app.button(key="activate").click().run()
    assert store.active_id() == record.id and sidebar_names(app, "handmade")
    assert app.button(key="activate").disabled  # already the active one

    app.text_input(key=f"rename-{record.id}").set_value("  ")
    app.button(key="rename").click().run()
    assert any("name cannot be empty" in text for text in texts(app.error))
    assert store.get(record.id).name == "handmade"

    app.text_input(key=f"rename-{record.id}").set_value("my first net")
    app.button(key="rename").click().run()
    assert not app.error and not app.exception
    assert store.get(record.id).name == "my first net" and sidebar_names(app, "my first net")
    assert app.selectbox(key="chosen-run").value == record.id
    assert "my first net" in list(runs_table(app).name)

    app.checkbox(key=f"sure-{record.id}").check().run()
    assert not app.button(key="delete").disabled
    app.button(key="delete").click().run()
    assert not app.exception and not app.error
    assert [kept.id for kept in store.list()] == ["shipped"]
    assert not Path(record.directory).exists()
    assert store.active_id() == "shipped" and sidebar_names(app, store.shipped().name)
    assert app.selectbox(key="chosen-run").value == "shipped"


def test_a_late_request_from_before_the_activation_does_not_undo_it(models_dir):
    store = ModelStore(models_dir)
    record = saved_run(store, "mine")
    app = new_app().run()
    app.selectbox(key="chosen-run").set_value(record.id).run()
    before = app._tree.get_widget_states()  # the page as the browser shows it until it reruns
    app.button(key="activate").click().run()
    assert store.active_id() == record.id
    # In the browser the live part's refresh (every second) sent such a request right after
    # "Use this model", and the real app went back to the shipped model. AppTest has no public
    # way to send a page's earlier widget states, hence _run.
    app._run(before)
    assert store.active_id() == record.id


def test_the_shipped_model_cannot_be_renamed_or_deleted(train_page):
    assert train_page.selectbox(key="chosen-run").value == "shipped"
    assert train_page.text_input(key="rename-shipped").disabled
    assert train_page.button(key="rename").disabled
    assert train_page.checkbox(key="sure-shipped").disabled
    assert train_page.button(key="delete").disabled
    assert train_page.button(key="activate").disabled  # it is the active model
    assert "The shipped model cannot be renamed or deleted." in texts(train_page.caption)


# --- a real training, started from the page ------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist):
    """Start a tiny run from the page; while it starts, queue a second run from the same browser
    and cancel it; wait for the first to end. Returns what the page showed along the way."""
    with pytest.MonkeyPatch.context() as patch:
        models = tmp_path_factory.mktemp("models")
        patch.setenv("MNIST_CNN_MODELS_DIR", str(models))
        patch.setenv("MNIST_DATA_DIR", str(mnist.source))
        patch.setenv("MNIST_CNN_CLASS_DIR", str(tmp_path_factory.mktemp("class")))
        store = ModelStore(models)
        TRAINER.warm_up()  # as app.py does when the server serves its first page
        app = set_numbers(new_app().run(), **FIRST)
        seen = SimpleNamespace(app=app, store=store)

        app.text_input(key="run-name").set_value("tiny run")
        app.button(key="start").click().run()
        seen.first_toasts = texts(app.toast)
        seen.first_listed = [(record.name, record.status) for record in store.list()]
        seen.first_choices = app.selectbox(key="chosen-run").options
        # The worker thread may not have taken the run yet when the page draws (then it shows
        # as queued for up to a second); the live part refreshes every second, like this.
        rerun_until(app, lambda: "### Training “tiny run” (yours)" in texts(app.markdown))
        seen.progress_bars = len(app.get("progress"))
        # the first batch: the trainer may still be importing TensorFlow (see TIMEOUT)
        rerun_until(app, lambda: "Round (epoch)" in str(app.get("progress")[0].proto), TIMEOUT)
        seen.status_while_training = runs_table(app).set_index("name").loc["tiny run", "status"]

        # the first run needs seconds to import TensorFlow: this one has to wait its turn
        app.text_input(key="run-name").set_value("second run")
        app.button(key="start").click().run()
        seen.queued_toasts = texts(app.toast)
        seen.queued_live = texts(app.markdown)
        seen.cancel_keys = [button.key for button in app.button if button.key.startswith("cancel-")]
        seen.second = next(record for record in store.list() if record.name == "second run")
        if seen.cancel_keys:
            app.button(key=seen.cancel_keys[0]).click().run()
        seen.after_cancel_live = texts(app.markdown)
        seen.folders_after_cancel = sorted(path.name for path in models.iterdir() if path.is_dir())

        first = next(record for record in store.list() if record.name == "tiny run")
        seen.first = wait_until_ended(app, store, first.id)
        seen.ended_live = texts(app.markdown)
        seen.ended_charts = len(app.get("vega_lite_chart"))
        yield seen


@pytest.mark.slow
def test_a_started_run_is_listed_trains_and_ends_in_the_runs_list(trained):
    # listed the moment it is submitted (the warm trainer may have taken it already)
    assert dict(trained.first_listed)["tiny run"] in ("queued", "starting", "running")
    assert any(choice.startswith("tiny run (") for choice in trained.first_choices)
    assert trained.progress_bars == 1
    assert trained.status_while_training == "▶ running"  # not "queued" (issue #16)

    assert trained.first.status == "finished", trained.first.error
    assert 0.1 < trained.first.test_accuracy <= 1 and trained.first.has_model
    assert trained.first.epochs_completed == 2 and trained.first.config.train_size == 5000
    app = trained.app
    assert not app.exception
    row = runs_table(app).set_index("name").loc["tiny run"]
    assert row["status"] == "✓ finished" and row["test accuracy"] == trained.first.test_accuracy
    assert "Stop training" not in [button.label for button in app.button]


@pytest.mark.slow
def test_a_second_run_waits_in_the_queue_and_its_owner_can_cancel_it(trained):
    assert "Another run is training; yours is queued (place 1)." in trained.queued_toasts
    assert ":material/schedule: Queued, place 1: **second run** (yours)" in trained.queued_live
    assert trained.cancel_keys == [f"cancel-{trained.second.id}"]
    assert not any("Queued" in text for text in trained.after_cancel_live)
    assert trained.second.id not in trained.folders_after_cancel  # its empty folder is gone
    assert "second run" not in list(runs_table(trained.app).name)


@pytest.mark.slow
def test_a_finished_run_can_be_made_the_active_model(trained):
    app, run_id = trained.app, trained.first.id
    app.selectbox(key="chosen-run").set_value(run_id).run()
    assert not app.button(key="activate").disabled
    app.button(key="activate").click().run()
    assert not app.exception
    assert trained.store.active_id() == run_id
    assert sidebar_names(app, "tiny run")
    assert runs_table(app).set_index("name").loc["tiny run", "in use"] == "★"


@pytest.mark.slow
def test_a_run_that_starts_at_once_is_not_announced_as_queued(trained):
    assert not any("queued" in toast for toast in trained.first_toasts), trained.first_toasts


@pytest.mark.slow
def test_last_run_shows_the_run_that_trained(trained):
    assert any(
        text.startswith("**Last run: “tiny run”**: finished") for text in trained.ended_live
    ), trained.ended_live
    assert trained.ended_charts == 2  # its loss and accuracy curves


def test_real_digits_without_the_pen_written_digits_is_refused_under_its_field(
    train_page, monkeypatch
):
    monkeypatch.delenv("MNIST_CNN_HANDWRITING_DIR", raising=False)
    train_page.segmented_control(key="preset").set_value("accurate").run()
    assert not train_page.exception
    assert train_page.button(key="start").disabled
    [error] = [text for text in texts(train_page.error) if "pen-written digits" in text]
    assert "MNIST_CNN_HANDWRITING_DIR" in error and "untick" in error


# --- Start: the preset clicked just before, the fair queue, the class's limit ---------------


@pytest.fixture
def submitted(monkeypatch):
    """What Start hands the job back end (no training: these tests are about what is sent)."""
    calls = []
    monkeypatch.setattr(
        LocalJobs,
        "submit",
        lambda self, request: calls.append(request) or SimpleNamespace(queue_position=None),
    )
    return calls


def test_a_preset_clicked_and_start_at_once_trains_the_preset(train_page, submitted):
    # Both clicks reach the server in one run (the browser sent the second while the first was
    # still running): whichever callback Streamlit runs first, the run is the preset's.
    train_page.segmented_control(key="preset").set_value("quick")
    train_page.button(key="start").click().run()
    assert not train_page.exception and not train_page.error
    config, name = submitted[0].config, submitted[0].name
    assert config == PRESETS["quick"] and name == "quick preset"
    assert form_values(train_page) == PRESETS["quick"].to_dict()


def test_values_the_browser_still_held_do_not_undo_a_preset(train_page, submitted):
    # A cold server: Start clicked before the browser has drawn the preset's values, so it
    # sends seed's back with its click, for the inputs it still shows. Loading a preset makes
    # new inputs, so those values count for nothing: the run trains the preset, under its name
    # (it once trained seed's settings as "quick preset, changed"). The browser test
    # test_a_preset_clicked_and_start_at_once_on_a_cold_server does this for real.
    old_keys = {name: setting_input(train_page, name).key for name in SETTINGS}
    seed_values = form_values(train_page)
    train_page.segmented_control(key="preset").set_value("quick").run()
    assert all(setting_input(train_page, name).key != old_keys[name] for name in SETTINGS)
    for name, value in seed_values.items():  # the old values, as the browser sends them
        train_page.session_state[old_keys[name]] = value
    train_page.button(key="start").click().run()
    config, name = submitted[0].config, submitted[0].name
    assert config == PRESETS["quick"] and name == "quick preset"
    assert form_values(train_page) == PRESETS["quick"].to_dict()
    assert "Settings: quick, as the preset · change them under Settings." in caption_texts(
        train_page
    )


def test_the_class_limit_refuses_a_students_long_run_with_its_estimate(
    with_teacher, submitted, monkeypatch
):
    monkeypatch.setenv("MNIST_CNN_MAX_RUN_MINUTES", "0.05")  # three seconds
    # seed: 8 epochs, far over three seconds, and no pen-written digits needed to start it
    student = new_app().run()
    student.segmented_control(key="preset").set_value("seed").run()
    student.button(key="start").click().run()
    assert not submitted
    [refusal] = texts(student.error)
    assert "This run would take about " in refusal and "limit is 0\\.05 minutes" in refusal

    teacher = new_app().run()
    teacher.text_input(key="teacher-passphrase").set_value("owl feathers").run()
    assert teacher.number_input(key="max-run-minutes").value == 0.05
    teacher.segmented_control(key="preset").set_value("seed").run()
    teacher.button(key="start").click().run()
    assert not teacher.error and len(submitted) == 1  # the teacher has no limit
    teacher.number_input(key="max-run-minutes").set_value(0).run()  # no limit for anyone
    student.button(key="start").click().run()
    assert not student.error and len(submitted) == 2


def test_a_student_on_a_model_of_their_own_hears_of_the_teachers_switch(with_teacher):
    store = with_teacher
    mine, class_model = saved_run(store, "mine"), saved_run(store, "class model")
    student = new_app().run()
    student.selectbox(key="chosen-run").set_value(mine.id).run()
    student.button(key="activate").click().run()
    assert not student.sidebar.info
    store.set_active(class_model.id)  # the teacher, in another browser
    student.run()
    assert student.sidebar.info[0].value == (
        "The teacher switched the class to “class model”; you are using “mine” (just me)."
    )
    assert sidebar_names(student, "mine")
    student.button(key="follow-class").click().run()
    assert sidebar_names(student, "class model") and not student.sidebar.info
