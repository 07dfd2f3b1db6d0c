"""notebooks/codealong.ipynb runs top to bottom in a fresh Jupyter kernel, headless, as the
README says, trains the notebook's network to about 99% and saves it where the app lists it.

It trains 8 epochs on the whole of MNIST (about 40 s on two quiet cores), so it runs once.
"""

import re

import pytest

from mnist_cnn.lesson_live import NOTEBOOK_RUN_NAME
from mnist_cnn.status import Status
from mnist_cnn.storage import ModelStore
from tools.codealong import NOTEBOOK

nbformat = pytest.importorskip("nbformat", reason="needs the dev extra: pip install -e .[dev]")
nbclient = pytest.importorskip("nbclient", reason="needs the dev extra: pip install -e .[dev]")
ANSI_COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # Keras's summary and progress bar are in colour
KERNEL_TIMEOUT = 1800  # seconds for one cell: the training cell on busy cores


@pytest.mark.slow
def test_the_codealong_notebook_runs_in_a_fresh_kernel_and_its_model_appears_in_the_app(
    mnist, tmp_path, monkeypatch
):
    models = tmp_path / "models"
    monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(models))  # the kernel inherits these
    monkeypatch.setenv("MNIST_DATA_DIR", mnist.source)
    book = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        book,
        timeout=KERNEL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},  # run where Jupyter would
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if one fails

    printed = ANSI_COLOURS.sub("", "\n".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in book.cells
        for output in cell.get("outputs", [])
    ))  # fmt: skip
    assert "training: (60000, 28, 28) (60000,)" in printed
    assert "Total params: 41,018" in printed  # model.summary()
    found = re.search(r"test loss (\d\.\d{4}), test accuracy (\d+\.\d\d)%", printed)
    assert found, printed[-2000:]
    loss, accuracy = float(found[1]), float(found[2])
    assert accuracy >= 98.5 and loss < 0.06, (loss, accuracy)

    store = ModelStore(models)
    [record] = [record for record in store.list() if record.name == NOTEBOOK_RUN_NAME]
    assert record.status == Status.FINISHED and record.has_model and record.error is None
    assert round(100 * record.test_accuracy, 2) == accuracy
    assert len(record.history["val_accuracy"]) == 8
    store.set_active(record.id)  # "train in the notebook, draw in the app"
    assert store.load(record.id).count_params() == 41_018
