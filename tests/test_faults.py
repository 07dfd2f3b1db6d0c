"""Faults on the server: a process killed while it saves, a full disk, a read-only models folder,
damaged files. What was there before must survive, and every model listed as usable must load.

We run as root, so a read-only folder is simulated: the OSError (EROFS, ENOSPC) is raised at the
call that would fail. The training children of the job manager get a real limit instead
(RLIMIT_FSIZE), since a monkeypatch does not reach another process.
"""

import errno
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from mnist_cnn.config import TrainConfig
from mnist_cnn.data import MnistData
from mnist_cnn.jobs import LocalJobs, TrainRequest, trainer
from mnist_cnn.model import build_model
from mnist_cnn.runs import train_run
from mnist_cnn.status import Status
from mnist_cnn.storage import (
    SHIPPED_ID,
    ModelFileError,
    ModelRecord,
    ModelStore,
    save_model_atomic,
)

ROOT = Path(__file__).resolve().parent.parent
TINY = TrainConfig(
    conv1_filters=2, conv2_filters=2, dense_units=8, train_size=100, validation_size=50,
    epochs=1, batch_size=50,
)  # fmt: skip


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


@pytest.fixture(scope="module")
def fake_data():
    """A few random images: enough for train_run to train, score and save."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (250, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 250).astype(np.uint8)
    return MnistData(images[:200], labels[:200], images[200:], labels[200:], "fake", "0" * 64)


def finished_run(store, name="old", bias=0.0):
    """A finished run whose model's last bias is `bias` everywhere (to tell saves apart)."""
    model = build_model(TINY)
    model.layers[-1].bias.assign(np.full(10, bias, np.float32))
    record = store.new_run(name, TINY)
    save_model_atomic(model, record.model_path)
    record.status, record.test_accuracy = "finished", 0.5
    store.update(record)
    return record


def retrain(record):
    """A new queued record for a run's folder, as `train --out` into that folder makes one."""
    return ModelRecord(id=record.id, name=record.name, status=Status.QUEUED,
                       directory=record.directory)  # fmt: skip


def snapshot(directory):
    """Every file in a folder (hidden ones too) with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(Path(directory).iterdir())}


def assert_every_usable_model_loads(store):
    """What the sidebar offers (a model file and no error) loads, and so does the active one."""
    for record in store.list():
        if record.has_model and not record.error:
            store.load(record.id)
    store.load(store.active_id())


# --- SIGKILL while saving -----------------------------------------------------------------

SAVER = """
import sys
import numpy as np
from mnist_cnn.config import TrainConfig
from mnist_cnn.model import build_model
from mnist_cnn.storage import ModelStore, save_model_atomic, write_metadata

store = ModelStore(sys.argv[1])
model = build_model(TrainConfig(conv1_filters=32, conv2_filters=64, dense_units=2048))  # 8.7 MB
print("ready", flush=True)
sys.stdin.readline()  # go
record = store.get(sys.argv[2])
for i in range(1000):
    bias = float(i % 2 + 1)
    model.layers[-1].bias.assign(np.full(10, bias, np.float32))
    print("saving", flush=True)
    save_model_atomic(model, record.model_path)
    record.test_accuracy = bias / 10
    write_metadata(record)
"""


@pytest.mark.slow
def test_sigkill_while_saving_leaves_the_old_or_the_new_model(store):
    record, other = finished_run(store, "saved again and again"), finished_run(store, "other")
    store.set_active(record.id)
    other_before = snapshot(other.directory)
    rng = random.Random(0)
    savers = [  # started together: importing TensorFlow is the slow part
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(store.root), record.id],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        for _ in range(5)
    ]
    delays = rng.sample([0.005, 0.02, 0.04, 0.08, 0.2], 5)  # one save takes about 0.07 s
    mid_save = 0
    for saver, delay in zip(savers, delays, strict=True):  # one at a time: go, save, SIGKILL
        assert saver.stdout.readline() == "ready\n"
        saver.stdin.write("go\n")
        saver.stdin.flush()
        for _ in range(rng.randint(1, 3)):
            assert saver.stdout.readline() == "saving\n"
        time.sleep(delay)
        saver.send_signal(signal.SIGKILL)
        assert saver.wait(timeout=30) == -signal.SIGKILL
        saver.stdin.close()
        saver.stdout.close()
        leftovers = [path.name for path in Path(record.directory).iterdir()]
        mid_save += any(name.endswith(".tmp.keras") for name in leftovers)

        listed = store.get(record.id)
        assert listed.error is None and listed.status == "finished"
        assert listed.test_accuracy in (0.5, 0.1, 0.2)  # the old metadata or a new one
        bias = store.load(record.id).layers[-1].bias.numpy()
        assert len(set(bias.tolist())) == 1 and bias[0] in (0.0, 1.0, 2.0)  # one whole model
        assert_every_usable_model_loads(store)
        assert store.active_id() == record.id
    assert mid_save >= 1  # at least one kill landed between writing the file and renaming it
    assert snapshot(other.directory) == other_before


# --- A full disk, a read-only models folder -------------------------------------------------


def no_space_during(monkeypatch):
    """keras.Model.save writes half a file, then the disk is full."""

    def full(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"half a model")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(keras.Model, "save", full)


def read_only(monkeypatch, root):
    """mkdir and os.replace under `root` fail as on a read-only file system."""

    def refuse(path):
        if Path(root) in Path(path).parents or Path(path) == Path(root):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    real_mkdir, real_replace = Path.mkdir, os.replace

    def mkdir(self, *args, **kwargs):
        refuse(self)
        real_mkdir(self, *args, **kwargs)

    def replace(source, target):
        refuse(target)
        real_replace(source, target)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    monkeypatch.setattr(os, "replace", replace)


def test_full_disk_while_saving_fails_the_run_and_keeps_the_old_model(
    store, fake_data, monkeypatch
):
    other = finished_run(store, "other")
    store.set_active(other.id)
    record = retrain(finished_run(store, "trained again"))  # `train --out` into its folder
    model_before = record.model_path.read_bytes()
    other_before = snapshot(other.directory)
    no_space_during(monkeypatch)
    with pytest.raises(ModelFileError, match="Could not write model.keras .*No space left"):
        train_run(TrainRequest(TINY, "trained again"), fake_data, record)
    assert record.status == "failed" and "No space left on device" in record.error
    on_disk = store.get(record.id)
    assert on_disk.status == "failed" and on_disk.error == record.error
    assert record.model_path.read_bytes() == model_before  # untouched, and loads
    assert set(snapshot(record.directory)) == {"metadata.json", "model.keras"}  # no temp files
    assert snapshot(other.directory) == other_before
    monkeypatch.undo()
    assert_every_usable_model_loads(store)
    assert store.active_id() == other.id


def test_read_only_models_folder(store, fake_data, monkeypatch):
    record = finished_run(store, "kept")
    store.set_active(record.id)
    before = snapshot(record.directory)
    listed_before = [r.id for r in store.list()]
    read_only(monkeypatch, store.root)
    again = retrain(record)

    with pytest.raises(ModelFileError, match="Could not write a new run .*Read-only file system"):
        store.new_run("new", TINY)
    with pytest.raises(ModelFileError, match="Could not write metadata.json .*Read-only"):
        store.rename(record.id, "renamed")
    with pytest.raises(ModelFileError, match="Read-only file system"):
        train_run(TrainRequest(TINY, "kept"), fake_data, again)  # into a now read-only folder
    assert again.status == "failed" and "Read-only file system" in again.error  # in memory

    assert snapshot(record.directory) == before  # no temp files, nothing changed
    assert [r.id for r in store.list()] == listed_before
    assert store.get(record.id).status == "finished" and store.get(record.id).name == "kept"
    assert_every_usable_model_loads(store)
    assert store.active_id() == record.id


def test_a_full_disk_leaves_no_half_made_run(store, monkeypatch):
    finished_run(store, "kept")
    before = sorted(path.name for path in store.root.iterdir())

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)  # the folder is made, its metadata.json is not
    with pytest.raises(ModelFileError, match="Could not write metadata.json .*No space left"):
        store.new_run("new", TINY)
    assert sorted(path.name for path in store.root.iterdir()) == before


def test_cli_train_on_a_full_disk_says_so_and_keeps_the_old_model(
    mnist, tmp_path, monkeypatch, capsys
):
    from mnist_cnn.cli import main

    out = tmp_path / "out"
    out.mkdir()
    save_model_atomic(build_model(TINY), out / "model.keras")
    before = (out / "model.keras").read_bytes()
    no_space_during(monkeypatch)
    flags = ["--train-size", "100", "--validation-size", "100", "--epochs", "1"]
    assert main(["train", *flags, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "error: Could not write model.keras in" in error and "No space left" in error
    assert "Traceback" not in error
    assert (out / "model.keras").read_bytes() == before
    assert '"status": "failed"' in (out / "metadata.json").read_text()


# --- Training children that cannot write (a real limit, in the child only) -----------------


def _limited_child(*args):
    """The job manager's trainer process, with files limited to a few bytes (inherited from the
    test)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    limit = int(os.environ["FAULTS_FILE_SIZE_LIMIT"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    trainer.serve(*args)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("limit", "failing"),
    [(20_000, "model.keras"), (200, "metadata.json")],
    ids=["model too big for the disk", "not even the metadata fits"],
)
def test_a_training_child_that_cannot_save_fails_its_job_clearly(
    mnist, store, monkeypatch, limit, failing
):
    active = finished_run(store, "active")
    store.set_active(active.id)
    before = snapshot(active.directory)
    monkeypatch.setenv("FAULTS_FILE_SIZE_LIMIT", str(limit))
    limited = trainer.Trainer(target=_limited_child)  # its own trainer process, with the limit
    manager = LocalJobs(store, data_dir=mnist.source, trainer=limited)
    try:
        job = manager.wait(manager.submit(TrainRequest(TINY, "no room", owner="a")).id, timeout=180)
    finally:
        limited.close()
    assert job.status == "failed"
    assert job.error.startswith(f"ModelFileError: Could not write {failing} in ")
    assert "File too large" in job.error
    record = store.get(job.id)  # written by the child, or by the server when the child could not
    assert record.status == "failed" and record.error == job.error and not record.has_model
    assert snapshot(active.directory) == before
    assert_every_usable_model_loads(store)
    assert store.active_id() == active.id


# --- Damaged files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda record: record.model_path.write_bytes(b"PK\x03\x04 cut short"), "damaged"),
        (lambda record: record.model_path.write_bytes(b""), "damaged"),
        (lambda record: _truncate(record.model_path), "damaged"),
        (
            lambda record: (Path(record.directory) / "metadata.json").write_text("{cut"),
            "unreadable",
        ),
        (lambda record: (Path(record.directory) / "metadata.json").write_text("[]"), "unreadable"),
    ],
    ids=["model garbage", "model empty", "model truncated", "metadata garbage", "metadata list"],
)
def test_a_damaged_model_is_reported_and_skipped_and_the_rest_stay_usable(store, damage, message):
    good = finished_run(store, "good")
    bad = finished_run(store, "bad")
    store.set_active(bad.id)
    damage(bad)
    records = {record.id: record for record in store.list()}
    assert records[good.id].error is None
    assert message in records[bad.id].error and "skipped" in records[bad.id].error
    usable = [r.id for r in store.list() if r.has_model and not r.error]
    assert usable == [SHIPPED_ID, good.id]
    if message == "damaged":
        with pytest.raises(ModelFileError, match="damaged"):
            store.load(bad.id)
    assert store.active_id() == SHIPPED_ID  # the damaged active model is not used
    assert_every_usable_model_loads(store)
    store.set_active(good.id)
    assert store.active_id() == good.id


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_zip_that_is_not_a_model_is_skipped(store):
    import zipfile

    record = finished_run(store, "zip")
    with zipfile.ZipFile(record.model_path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "not a Keras model file" in store.get(record.id).error
    assert_every_usable_model_loads(store)


# --- The Train page ---------------------------------------------------------------------------

TRAIN_PAGE = str(ROOT / "mnist_cnn" / "ui" / "pages" / "train.py")


@pytest.fixture
def train_page(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(tmp_path / "models"))
    page = AppTest.from_file(TRAIN_PAGE, default_timeout=60)
    page.run()
    assert not page.exception
    return page


def start_training(page):
    next(button for button in page.button if button.key == "start").click()
    page.run()


def test_train_page_on_a_read_only_models_folder_shows_an_error(train_page, monkeypatch):
    read_only(monkeypatch, os.environ["MNIST_CNN_MODELS_DIR"])
    start_training(train_page)
    assert not train_page.exception
    assert any("Read-only file system" in error.value for error in train_page.error)


class RefusingJobs(LocalJobs):
    """This machine's back end, on a models folder that refuses every new run."""

    def submit(self, request):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), "/models")


def test_train_page_shows_an_os_error_from_submit_as_a_message(train_page, hand_jobs, tmp_path):
    hand_jobs(RefusingJobs(ModelStore(tmp_path / "models")))
    start_training(train_page)
    assert not train_page.exception
    assert any("Read-only file system" in error.value for error in train_page.error)
