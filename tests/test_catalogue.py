"""The catalogue: every fault and bad input the studio handles, one row each, with what must happen.

CASES below is the list. Each row names an input or a fault (`what`), says in words what must
happen (`expected`) and exercises the real code path with it (`run`): preprocess() as the Draw
page calls it on canvas data and uploads, TrainConfig and the CLI for hyperparameters,
load_model_file for model files from elsewhere, ModelStore for names and ids, read_mnist_dir and
load_mnist for MNIST. A row passes when `run` raises `error` with `match` in its message, or
when `check` accepts what it returned. ELSEWHERE lists the faults that need processes killed, a
server or a browser: the tests named there cover them (and a test here checks they still exist).

    PYTHONPATH=. python tests/test_catalogue.py   # prints the catalogue as a Markdown table
    pytest tests/test_catalogue.py -v             # runs it, one test per row
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from PIL import Image

from mnist_cnn.cli import main as cli_main
from mnist_cnn.config import TrainConfig
from mnist_cnn.data import FILES, DataError, load_mnist, read_mnist_dir
from mnist_cnn.jobs import LocalJobs
from mnist_cnn.jobs.trainer import ended_unexpectedly
from mnist_cnn.preprocess import preprocess
from mnist_cnn.storage import SHIPPED_ID, ModelFileError, ModelStore, load_model_file
from tools.strokes import digit_strokes, render_strokes

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    area: str
    what: str
    expected: str
    run: Callable  # run(ctx): ctx.tmp is a fresh folder, ctx.monkeypatch pytest's
    error: type[BaseException] | None = None  # it must raise this ...
    match: str = ""  # ... with this (a regex) in the message; or, without `error`,
    check: Callable | None = None  # check(returned value) must be true


# --- Inputs --------------------------------------------------------------------------------


def drawn(digit=7, seed=0) -> Image.Image:
    """A digit drawn with the pen, white on black, 280x280 ("L")."""
    return render_strokes(digit_strokes(digit, np.random.default_rng(seed)), 280, 20)


def canvas(image: Image.Image) -> np.ndarray:
    """What streamlit-drawable-canvas returns: (280, 280, 4) uint8 RGBA."""
    return np.asarray(image.convert("RGBA"))


def file_bytes(image: Image.Image, format="PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def upload(data: bytes) -> io.BytesIO:
    """Streamlit's UploadedFile is a BytesIO: the Draw page passes it to preprocess as it is."""
    return io.BytesIO(data)


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def png_claiming(width: int, height: int) -> bytes:
    """An 8x8 PNG whose header says width x height (the pixels are never there)."""
    data = bytearray(file_bytes(Image.new("L", (8, 8))))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def bomb_png(side=8000) -> bytes:
    """A valid 1-bit PNG, side x side black pixels: a few kB on disk, 64 megapixels decoded."""
    rows = zlib.compress((b"\0" + bytes(side // 8)) * side, 9)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def gif_of(*frames: Image.Image) -> bytes:
    return file_bytes(frames[0], "GIF", save_all=True, append_images=list(frames[1:]), duration=100)


def with_little_memory(megabytes: float, function, *args):
    """Call `function`; fail if it allocated more than `megabytes` (Python and numpy memory)."""
    tracemalloc.start()
    try:
        return function(*args)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < megabytes * 1e6, f"allocated {peak / 1e6:.0f} MB before refusing"


def correlation(a, b) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def cli(*args: str) -> tuple[int, str]:
    """(exit code, stderr) of `python -m mnist_cnn ARGS`, run in this process."""
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stderr", stderr)
        try:
            code = cli_main(list(args))
        except SystemExit as exit_:  # argparse's errors
            code = exit_.code
    return code, stderr.getvalue()


def cli_process(*args: str) -> tuple[int, str]:
    """The same through a real `python -m mnist_cnn` process."""
    done = subprocess.run(
        [sys.executable, "-m", "mnist_cnn", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    return done.returncode, done.stderr


def refused_with(code: int, text: str) -> Callable:
    return lambda result: result[0] == code and text in result[1] and "Traceback" not in result[1]


# --- Model files from elsewhere -----------------------------------------------------------


def saved(path: Path, inputs, outputs) -> Path:
    keras.Model(inputs, outputs).save(path)
    return path


def lambda_model(tmp: Path) -> Path:
    inputs = keras.Input((28, 28, 1))
    doubled = keras.layers.Lambda(lambda x: x * 2)(inputs)
    return saved(
        tmp / "lambda.keras", inputs, keras.layers.Dense(10)(keras.layers.Flatten()(doubled))
    )


class Doubler(keras.layers.Layer):
    def call(self, x):
        return x * 2


Doubler.__module__ = "registered_nowhere"  # as if it came from someone else's code


def custom_layer_model(tmp: Path) -> Path:
    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(Doubler()(inputs))
    return saved(tmp / "custom.keras", inputs, keras.layers.Dense(10)(flat))


def shaped_model(tmp: Path, input_shape, outputs: int) -> Path:
    inputs = keras.Input(input_shape)
    dense = keras.layers.Dense(outputs)(keras.layers.Flatten()(inputs))
    return saved(tmp / "shaped.keras", inputs, dense)


def zip_file(tmp: Path) -> Path:
    with zipfile.ZipFile(tmp / "photos.keras", "w") as archive:
        archive.writestr("holiday.jpg", b"not a model")
    return tmp / "photos.keras"


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- MNIST --------------------------------------------------------------------------------


def fake_mnist(folder: Path, magic=None, truncate=0, label=3, not_gzip=False, drop=None) -> Path:
    """Four small IDX files (not the canonical ones); with one fault if asked."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for key, (name, _) in FILES.items():
        images = key.endswith("images")
        array = rng.integers(0, 256, (20, 28, 28)) if images else np.full(20, label)
        header = struct.pack(
            ">ii", (magic if key == "train_labels" and magic else 2051 if images else 2049), 20
        )
        header += struct.pack(">ii", 28, 28) if images else b""
        content = header + array.astype(np.uint8).tobytes()
        content = content[: len(content) - truncate] if key == "test_images" else content
        (folder / name).write_bytes(b"not gzip" if not_gzip else gzip.compress(content))
    if drop:
        (folder / FILES[drop][0]).unlink()
    return folder


def unchecked(folder: Path):
    return read_mnist_dir(folder, verify_checksums=False)


# --- The Draw page with a stand-in canvas -------------------------------------------------


def draw_page_given(ctx, image_data):
    """Run the real Draw page with the canvas handing it `image_data`; return the AppTest."""
    from streamlit.testing.v1 import AppTest

    ctx.drawn["image"] = image_data
    ctx.monkeypatch.setenv("MNIST_CNN_MODELS_DIR", str(ctx.tmp / "models"))
    page = AppTest.from_file(
        str(ROOT / "mnist_cnn" / "ui" / "pages" / "draw.py"), default_timeout=60
    )
    return page.run()


def shows_message_not_traceback(page) -> bool:
    return not page.exception and "Could not read the drawing" in page.error[0].value


# --- Runs ----------------------------------------------------------------------------------


def left_running_by_a_dead_process(tmp: Path):
    store = ModelStore(tmp / "models")
    record = store.new_run("left behind", TrainConfig(), status="running")
    record.pid = 2**22 + 1  # above Linux's pid_max: no such process
    store.update(record)
    LocalJobs(store)  # a server starting
    return store.get(record.id)


def store_with_active(tmp: Path, active: str):
    store = ModelStore(tmp / "models")
    store.root.mkdir(parents=True)
    (store.root / "active.json").write_text(f'{{"model": "{active}"}}')
    return store


def new_run_named(tmp: Path, name: str):
    store = ModelStore(tmp / "models")
    record = store.new_run(name, TrainConfig())
    return store, record


def stays_inside(result) -> bool:
    store, record = result
    return Path(record.directory).parent == store.root and store.get(record.id).name == record.name


# --- The catalogue -------------------------------------------------------------------------

BLANK = "blank: no digit is read, the page asks for one"
TOO_BIG = "refused before decoding: 'too large', at most 25,000,000 pixels"
CASES = [
    # Canvas data (the Draw page calls preprocess(image_data) and shows a ValueError's message)
    Case("canvas", "empty array (0x0 RGBA)", "refused: 'The image is empty'",
         lambda ctx: preprocess(np.zeros((0, 0, 4), np.uint8)), ValueError, "empty"),
    Case("canvas", "1x1 pixel", BLANK,
         lambda ctx: preprocess(np.full((1, 1, 4), 255, np.uint8)), check=lambda r: r.blank),
    Case("canvas", "10000x10000 RGBA (400 MB if real)", "refused before any copy: 'too large', using under 1 MB",
         lambda ctx: with_little_memory(1, preprocess, np.broadcast_to(np.uint8(255), (10_000, 10_000, 4))),
         ValueError, "too large"),
    Case("canvas", "all ink (a white square)", BLANK,
         lambda ctx: preprocess(np.full((280, 280, 4), 255, np.uint8)), check=lambda r: r.blank),
    Case("canvas", "nothing drawn (transparent)", BLANK,
         lambda ctx: preprocess(np.zeros((280, 280, 4), np.uint8)), check=lambda r: r.blank),
    Case("canvas", "NaN values", "refused: 'NaN or infinite values'",
         lambda ctx: preprocess(np.full((280, 280, 4), np.nan, np.float32)), ValueError, "NaN"),
    Case("canvas", "infinite values", "refused: 'NaN or infinite values'",
         lambda ctx: preprocess(np.full((280, 280), np.inf)), ValueError, "infinite"),
    Case("canvas", "floats outside [0, 1]", "refused: 'values in [0, 1]'",
         lambda ctx: preprocess(np.full((280, 280), 255.0)), ValueError, r"\[0, 1\]"),
    Case("canvas", "dtype object", "refused: 'must hold numbers'",
         lambda ctx: preprocess(np.zeros((280, 280, 4), object)), ValueError, "dtype=object"),
    Case("canvas", "dtype complex", "refused: 'must hold numbers'",
         lambda ctx: preprocess(np.zeros((280, 280, 4), np.complex64)), ValueError, "dtype=complex64"),
    Case("canvas", "1-D array", "refused: 'must be (H, W) or (H, W, C)'",
         lambda ctx: preprocess(np.zeros(280 * 280 * 4, np.uint8)), ValueError, r"\(H, W\)"),
    Case("canvas", "4-D array", "refused: 'must be (H, W) or (H, W, C)'",
         lambda ctx: preprocess(np.zeros((1, 280, 280, 4), np.uint8)), ValueError, r"\(H, W\)"),
    Case("canvas", "5 channels", "refused: 'needs 1, 2, 3 or 4 channels'",
         lambda ctx: preprocess(np.zeros((280, 280, 5), np.uint8)), ValueError, "channels"),
    Case("canvas", "not an array at all (a list)", "refused: 'Cannot read an image from this'",
         lambda ctx: preprocess([[0, 1], [1, 0]]), ValueError, "Cannot read an image"),
    Case("canvas", "any refused canvas data, on the real Draw page",
         "the page shows 'Could not read the drawing: ...', no traceback",
         lambda ctx: draw_page_given(ctx, np.full((280, 280, 4), np.nan, np.float32)),
         check=shows_message_not_traceback),
    # Uploads (the Draw page passes Streamlit's UploadedFile, a BytesIO, to preprocess)
    Case("upload", "not an image (random bytes)", "refused: 'not an image file that can be read'",
         lambda ctx: preprocess(upload(os.urandom(2000))), ValueError, "not an image"),
    Case("upload", "empty file", "refused: 'The image data is empty'",
         lambda ctx: preprocess(upload(b"")), ValueError, "empty"),
    Case("upload", "truncated PNG", "refused: 'truncated or damaged'",
         lambda ctx: preprocess(upload(half(file_bytes(drawn())))), ValueError, "truncated"),
    Case("upload", "header claims 20000x20000 pixels", TOO_BIG,
         lambda ctx: preprocess(upload(png_claiming(20_000, 20_000))), ValueError, "too large"),
    Case("upload", "decompression bomb: valid 8000x8000 PNG of a few kB", TOO_BIG + ", using under 5 MB",
         lambda ctx: with_little_memory(5, preprocess, upload(bomb_png())), ValueError, "too large"),
    Case("upload", "animated GIF (a 7, then a 1)", "read: the first frame only",
         lambda ctx: (preprocess(upload(gif_of(drawn(7), drawn(1)))).image, preprocess(drawn(7)).image),
         check=lambda r: correlation(*r) > 0.99),
    Case("upload", "16-bit greyscale PNG", "read: the same 28x28 as the 8-bit picture",
         lambda ctx: (preprocess(upload(file_bytes(Image.fromarray(np.asarray(drawn()).astype(np.uint16) * 257)))).image,
                      preprocess(drawn()).image),
         check=lambda r: np.allclose(*r, atol=1e-5)),
    Case("upload", "CMYK JPEG", "read: converted to RGB, the same digit",
         lambda ctx: (preprocess(upload(file_bytes(drawn().convert("CMYK"), "JPEG", quality=90))).image,
                      preprocess(drawn()).image),
         check=lambda r: correlation(*r) > 0.95),
    Case("upload", "a .txt file renamed .png", "refused: 'not an image file that can be read'",
         lambda ctx: preprocess(written(ctx.tmp / "digit.png", b"my homework, not a digit")),
         ValueError, "not an image"),
    Case("upload", "a text-mode file object", "refused: 'open it in binary mode'",
         lambda ctx: preprocess(io.StringIO("text")), ValueError, "binary mode"),
    # Hyperparameters (the Train page builds TrainConfig(**values) and shows the ValueError)
    Case("hyperparameters", "epochs=0", "refused: names the field and the value",
         lambda ctx: TrainConfig(epochs=0), ValueError, "epochs must be between 1 and 200.*epochs=0"),
    Case("hyperparameters", "kernel_size=30", "refused: 'between 1 and 13'",
         lambda ctx: TrainConfig(kernel_size=30), ValueError, "kernel_size=30"),
    Case("hyperparameters", "kernel_size=12 (too big after pooling)", "refused: 'do not fit', with the widest detector that fits",
         lambda ctx: TrainConfig(kernel_size=12), ValueError, "do not fit.*at most 9 pixels"),
    Case("hyperparameters", "dense_dropout=1", "refused: 'between 0 and 0.95'",
         lambda ctx: TrainConfig(dense_dropout=1.0), ValueError, "dense_dropout=1.0"),
    Case("hyperparameters", "learning_rate=NaN", "refused: names the field",
         lambda ctx: TrainConfig(learning_rate=float("nan")), ValueError, "learning_rate=nan"),
    Case("hyperparameters", "epochs='3' (text)", "refused: 'must be a whole number'",
         lambda ctx: TrainConfig(epochs="3"), ValueError, "whole number"),
    Case("hyperparameters", "epochs=2.5", "refused: 'must be a whole number'",
         lambda ctx: TrainConfig(epochs=2.5), ValueError, "whole number"),
    Case("hyperparameters", "batch_size=True", "refused: 'must be a whole number'",
         lambda ctx: TrainConfig(batch_size=True), ValueError, "whole number"),
    Case("hyperparameters", "conv_dropout='0.2' (text)", "refused: 'must be a number'",
         lambda ctx: TrainConfig(conv_dropout="0.2"), ValueError, "must be a number"),
    Case("hyperparameters", "augment='yes'", "refused: 'must be True or False'",
         lambda ctx: TrainConfig(augment="yes"), ValueError, "True or False"),
    Case("hyperparameters", "optimizer='adamw'", "refused: lists adam, sgd, rmsprop",
         lambda ctx: TrainConfig(optimizer="adamw"), ValueError, "adam, sgd, rmsprop"),
    Case("hyperparameters", "train_size + validation_size > 60000", "refused: 'more than the 60,000 MNIST training images'",
         lambda ctx: TrainConfig(train_size=60_000, validation_size=5_000), ValueError, "more than the 60,000"),
    Case("hyperparameters", "an unknown field (from a dict)", "refused: 'Unknown hyperparameter(s)'",
         lambda ctx: TrainConfig.from_dict({"epochs": 1, "layers": 9}), ValueError, "Unknown hyperparameter"),
    Case("CLI", "python -m mnist_cnn train --epochs -1 (a real process)", "exit 2: 'error: epochs must be between 1 and 200 ...'",
         lambda ctx: cli_process("train", "--epochs", "-1"), check=refused_with(2, "error: epochs must be between 1 and 200")),
    Case("CLI", "train --kernel-size 30", "exit 2, names kernel_size=30, before reading any data",
         lambda ctx: cli("train", "--kernel-size", "30"), check=refused_with(2, "kernel_size=30")),
    Case("CLI", "train --dense-dropout abc", "exit 2: argparse's 'invalid float value'",
         lambda ctx: cli("train", "--dense-dropout", "abc"), check=refused_with(2, "invalid float value: 'abc'")),
    Case("CLI", "train --epochs 2.5", "exit 2: 'invalid int value'",
         lambda ctx: cli("train", "--epochs", "2.5"), check=refused_with(2, "invalid int value: '2.5'")),
    Case("CLI", "train --learning-rate nan", "exit 2, names learning_rate=nan",
         lambda ctx: cli("train", "--learning-rate", "nan"), check=refused_with(2, "learning_rate=nan")),
    Case("CLI", "train --augment yes", "exit 2: the flag takes no value (--augment / --no-augment)",
         lambda ctx: cli("train", "--augment", "yes"), check=refused_with(2, "unrecognized arguments: yes")),
    Case("CLI", "train --preset fast", "exit 2: 'invalid choice', lists the presets",
         lambda ctx: cli("train", "--preset", "fast"), check=refused_with(2, "invalid choice: 'fast'")),
    # Model files from elsewhere (the store and the CLI's --model load them with load_model_file)
    Case("model file", "a .keras with a Lambda layer", "ModelFileError 'Could not load': Keras's safe mode refuses code",
         lambda ctx: load_model_file(lambda_model(ctx.tmp)), ModelFileError, "Could not load lambda.keras"),
    Case("model file", "a custom layer class registered nowhere", "ModelFileError 'Could not load'",
         lambda ctx: load_model_file(custom_layer_model(ctx.tmp)), ModelFileError, "Could not load custom.keras"),
    Case("model file", "a zip that is not a model", "ModelFileError 'Could not load'",
         lambda ctx: load_model_file(zip_file(ctx.tmp)), ModelFileError, "Could not load photos.keras"),
    Case("model file", "garbage named .keras", "ModelFileError 'Could not load'",
         lambda ctx: load_model_file(written(ctx.tmp / "junk.keras", os.urandom(1000))), ModelFileError, "Could not load"),
    Case("model file", "a Keras model taking 32x32x3 images", "ModelFileError 'not an MNIST digit model'",
         lambda ctx: load_model_file(shaped_model(ctx.tmp, (32, 32, 3), 10)), ModelFileError, r"takes \(32, 32, 3\)"),
    Case("model file", "a Keras model with 5 outputs", "ModelFileError 'not an MNIST digit model'",
         lambda ctx: load_model_file(shaped_model(ctx.tmp, (28, 28, 1), 5)), ModelFileError, "not an MNIST digit model"),
    Case("model file", "no file there", "ModelFileError 'Model file not found'",
         lambda ctx: load_model_file(ctx.tmp / "none.keras"), ModelFileError, "not found"),
    Case("model file", "python -m mnist_cnn evaluate --model lambda.keras", "exit 2 with the message, no traceback",
         lambda ctx: cli("evaluate", "--model", str(lambda_model(ctx.tmp))), check=refused_with(2, "error: Could not load")),
    # Model names and ids (ids are made by the store; names are only shown)
    Case("names", "model name '../../escape'", "kept as text; the run's folder is a new id inside the models folder",
         lambda ctx: new_run_named(ctx.tmp, "../../escape"), check=stays_inside),
    Case("names", "model name 'a/b\\c'", "kept as text; the run's folder is inside the models folder",
         lambda ctx: new_run_named(ctx.tmp, "a/b\\c"), check=stays_inside),
    Case("names", "empty model name", "refused: 'cannot be empty'",
         lambda ctx: new_run_named(ctx.tmp, "  "), ValueError, "cannot be empty"),
    Case("names", "model name with a newline", "refused: 'at most 60 printable characters'",
         lambda ctx: new_run_named(ctx.tmp, "two\nlines"), ValueError, "printable"),
    Case("names", "model name of 61 characters", "refused: 'at most 60 printable characters'",
         lambda ctx: new_run_named(ctx.tmp, "x" * 61), ValueError, "60 printable"),
    Case("names", "model id '../..' given to delete", "ModelFileError 'No such model': nothing is deleted",
         lambda ctx: ModelStore(ctx.tmp / "models").delete("../.."), ModelFileError, "No such model"),
    Case("names", "model id '/etc/passwd'", "ModelFileError 'No such model'",
         lambda ctx: ModelStore(ctx.tmp / "models").load("/etc/passwd"), ModelFileError, "No such model"),
    Case("names", "model id 'YYYYMMDD-HHMMSS-abcdef/../../x'", "ModelFileError 'No such model'",
         lambda ctx: ModelStore(ctx.tmp / "models").set_active("20260101-000000-abcdef/../../x"),
         ModelFileError, "No such model"),
    Case("names", "active.json pointing outside ('../../etc')", "the shipped model is used",
         lambda ctx: store_with_active(ctx.tmp, "../../etc").active_id(), check=lambda r: r == SHIPPED_ID),
    # MNIST (read_mnist_dir checks the four IDX files; load_mnist never falls back from a named folder)
    Case("MNIST", "folder missing", "DataError: names the missing files",
         lambda ctx: unchecked(ctx.tmp / "nothing"), DataError, "missing train-images-idx3-ubyte.gz"),
    Case("MNIST", "one file missing", "DataError: names it",
         lambda ctx: unchecked(fake_mnist(ctx.tmp, drop="test_labels")), DataError, "missing t10k-labels"),
    Case("MNIST", "wrong magic number", "DataError: 'magic number 2051, expected 2049'",
         lambda ctx: unchecked(fake_mnist(ctx.tmp, magic=2051)), DataError, "magic number 2051, expected 2049"),
    Case("MNIST", "truncated file", "DataError: 'truncated or corrupt'",
         lambda ctx: unchecked(fake_mnist(ctx.tmp, truncate=100)), DataError, "truncated or corrupt"),
    Case("MNIST", "not gzip", "DataError: 'not a readable gzip file'",
         lambda ctx: unchecked(fake_mnist(ctx.tmp, not_gzip=True)), DataError, "not a readable gzip"),
    Case("MNIST", "well-formed but wrong checksum", "DataError: 'not the canonical MNIST file', with both sha256",
         lambda ctx: read_mnist_dir(fake_mnist(ctx.tmp)), DataError, "not the canonical MNIST file"),
    Case("MNIST", "a label of 12", "DataError: 'outside 0-9'",
         lambda ctx: unchecked(fake_mnist(ctx.tmp, label=12)), DataError, "label is 12, outside 0-9"),
    Case("MNIST", "MNIST_DATA_DIR names an empty folder", "DataError: no fallback, no download",
         lambda ctx: (ctx.monkeypatch.setenv("MNIST_DATA_DIR", str(ctx.tmp)), load_mnist()),
         DataError, "is missing"),
    Case("MNIST", "python -m mnist_cnn train --data-dir EMPTY", "exit 2 with the DataError, no traceback",
         lambda ctx: cli("train", "--data-dir", str(ctx.tmp)), check=refused_with(2, "error: ")),
    # Training runs (cheap versions; the real kills are in ELSEWHERE)
    Case("runs", "a run left 'running' by a process that is gone", "marked 'interrupted' when a server starts",
         lambda ctx: left_running_by_a_dead_process(ctx.tmp),
         check=lambda r: r.status == "interrupted" and "server stopped" in r.error),
    Case("runs", "a training child killed with SIGKILL (exit -9)", "the job fails: 'killed, perhaps out of memory'",
         lambda ctx: ended_unexpectedly(-9), check=lambda r: "killed, perhaps out of memory" in r),
    Case("runs", "a read-only models folder when starting a run", "ModelFileError 'Could not write a new run ... Read-only'",
         lambda ctx: (read_only(ctx), ModelStore(ctx.tmp / "models").new_run("x", TrainConfig())),
         ModelFileError, "Read-only file system"),
]  # fmt: skip


def read_only(ctx):
    """mkdir fails as on a read-only file system (we run as root: chmod would not stop us)."""

    def refuse(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    ctx.monkeypatch.setattr(Path, "mkdir", refuse)


# Faults that need processes killed, a server or a browser: covered by these tests.
ELSEWHERE = [
    ("runs", "SIGKILL while a model is being saved (5 kills at random moments)",
     "model.keras is the old complete model or the new one; every listed model loads",
     "test_faults.py::test_sigkill_while_saving_leaves_the_old_or_the_new_model"),
    ("runs", "disk full (ENOSPC) while saving model.keras",
     "ModelFileError 'No space left on device'; the run is 'failed' with it; the old file is untouched",
     "test_faults.py::test_full_disk_while_saving_fails_the_run_and_keeps_the_old_model"),
    ("runs", "read-only models folder (EROFS from mkdir/replace)",
     "ModelFileError 'Read-only file system'; nothing changes on disk; everything still loads",
     "test_faults.py::test_read_only_models_folder"),
    ("runs", "a training child that cannot write its model or even its metadata (RLIMIT_FSIZE)",
     "the job and the run are 'failed' with 'Could not write ... File too large'",
     "test_faults.py::test_a_training_child_that_cannot_save_fails_its_job_clearly"),
    ("runs", "damaged model.keras or metadata.json in the models folder",
     "listed with the problem, skipped by the model switcher; the active model falls back to the shipped one",
     "test_faults.py::test_a_damaged_model_is_reported_and_skipped_and_the_rest_stay_usable"),
    ("runs", "the trainer process killed during a run (the out-of-memory killer)",
     "the job fails: 'ended unexpectedly (exit code -9: killed, perhaps out of memory)'; the next job starts a new trainer",
     "test_jobs.py::test_failures_are_reported_and_the_manager_carries_on"),
    ("runs", "the server killed during training",
     "the child leaves without saving; the run is 'interrupted'; queued runs are marked when a server starts",
     "test_jobs.py::test_a_killed_server_leaves_no_run_looking_alive"),
    ("Train page", "a student (teacher passphrase set) switches the class's model, renames, deletes, or stops someone else's run, even from a changed page",
     "refused on the server: 'Only the teacher can …'; nothing changes",
     "test_permissions.py::test_with_a_passphrase_only_the_teacher_switches_renames_and_deletes"),
    ("Train page", "a run named with Markdown and a link: **BIG** [click me](http://example.com)",
     "shown literally on every page (sidebar, live part, tables, selectors), never bold, never a link",
     "browser/test_class_browser.py::test_a_teacher_and_two_students"),
    ("Train page", "models folder read-only when pressing Start training",
     "an error message on the page, not a traceback",
     "test_faults.py::test_train_page_on_a_read_only_models_folder_shows_an_error"),
    ("upload", "an upload over 5 MB; an upload without the XSRF token",
     "the page says 'File must be 5.0MB or smaller'; the server answers 413 / 403",
     "browser/test_server_config_browser.py::test_a_server_started_with_it_refuses_big_and_cross_site_uploads_and_static_files"),
    ("cluster", "MNIST_CNN_CLUSTER names a scheduler that does not answer, when pressing Start training",
     "'Could not start training: The training cluster at … does not answer …'; nothing recorded; the page keeps working",
     "test_train_page.py::test_start_says_so_when_the_training_cluster_does_not_answer"),
    ("cluster", "a worker killed (SIGKILL) in the middle of a run",
     "the run fails: 'The worker training this run was lost (killed, out of memory, …)'; the cluster carries on",
     "test_cluster.py::test_a_worker_killed_mid_run_fails_the_run_as_lost"),
    ("cluster", "the whole cluster stopped with a run training and one queued",
     "both marked 'interrupted' by any app server (heartbeat stopped; scheduler gone); none left 'running'",
     "test_cluster.py::test_runs_of_a_dead_cluster_are_marked_interrupted"),
    ("cluster", "a run that raises on the worker",
     "the run fails with its error, on every app server",
     "test_cluster.py::test_a_failing_run_is_reported_with_its_error"),
    ("cluster", "an app server without the cluster, on the same shared folder",
     "leaves the cluster's queued and running runs alone (does not call them interrupted)",
     "test_cluster.py::test_the_local_back_end_leaves_cluster_runs_alone"),
    ("load", "30 students drawing at once while a model trains",
     "each gets its own digit back, no errors, p95 under 2 s (python -m tools.load)",
     "browser/test_load_browser.py::test_load_generator_runs"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.area}: {case.what}")
def test_catalogue(case, tmp_path, monkeypatch, fake_canvas):
    ctx = SimpleNamespace(tmp=tmp_path, monkeypatch=monkeypatch, drawn=fake_canvas)
    if case.error is not None:
        with pytest.raises(case.error, match=case.match):
            case.run(ctx)
    else:
        result = case.run(ctx)
        assert case.check(result), f"expected: {case.expected}; got {result!r}"[:2000]


@pytest.mark.parametrize("row", ELSEWHERE, ids=lambda row: f"{row[0]}: {row[1]}")
def test_faults_covered_elsewhere_still_have_their_tests(row):
    path, name = row[3].split("::")
    assert f"def {name}(" in (Path(__file__).parent / path).read_text(), row[3]


def as_markdown() -> str:
    lines = ["| area | input or fault | what happens | checked by |", "| --- | --- | --- | --- |"]
    for case in CASES:
        lines.append(f"| {case.area} | {case.what} | {case.expected} | test_catalogue.py |")
    for area, what, expected, where in ELSEWHERE:
        lines.append(f"| {area} | {what} | {expected} | {where} |")
    return "\n".join(line.replace("\n", " ") for line in lines)


if __name__ == "__main__":
    print(as_markdown())
