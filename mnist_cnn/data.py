"""Loading MNIST from the four canonical IDX files, checked, with Keras's download as a fallback.

Where the files are looked for, in order:
1. the `data_dir` argument (the CLI's `--data-dir`);
2. the `MNIST_DATA_DIR` environment variable;
3. `./data/mnist` in the working directory;
4. Keras's own copy, `keras.datasets.mnist.load_data()`, which downloads it once if needed.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_cnn import settings

# The four files, with the sha256 of their *uncompressed* content (the canonical MNIST).
FILES = {
    "train_images": (
        "train-images-idx3-ubyte.gz",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train_labels": (
        "train-labels-idx1-ubyte.gz",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "test_images": (
        "t10k-images-idx3-ubyte.gz",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "test_labels": (
        "t10k-labels-idx1-ubyte.gz",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
LOCAL_DIRS = ("data/mnist",)
HOW_TO_GET = (
    "Download the four MNIST files ("
    + ", ".join(name for name, _ in FILES.values())
    + ") into a folder and pass --data-dir FOLDER or set MNIST_DATA_DIR=FOLDER (for the app: "
    "`MNIST_DATA_DIR=FOLDER streamlit run app.py`). See the README."
)


def as_uint8(array: np.ndarray, name: str) -> np.ndarray:
    """Images as uint8 0-255, as MNIST keeps them: uint8 as it is; floats in [0, 1] (what
    `preprocess` gives) scaled to 0-255; anything else refused, naming `name`."""
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind != "f":
        raise ValueError(
            f"{name} must be uint8 or float in [0, 1]. Received: {name}.dtype={array.dtype}"
        )
    if not np.isfinite(array).all() or array.min(initial=0) < 0 or array.max(initial=0) > 1:
        raise ValueError(
            f"{name} must be finite, in [0, 1]. Received: {name} with NaN, inf or out of range"
        )
    return np.round(array * 255).astype(np.uint8)


class DataError(ValueError):
    """MNIST could not be found or a file is not what it should be."""


@dataclass(frozen=True)
class MnistData:
    train_images: np.ndarray  # (60000, 28, 28) uint8, ink is bright
    train_labels: np.ndarray  # (60000,) uint8, digits 0-9
    test_images: np.ndarray  # (10000, 28, 28) uint8
    test_labels: np.ndarray  # (10000,) uint8
    source: str  # where it was read from
    checksum: str  # sha256 over the four uncompressed files, to record what a model saw


def read_idx(path: Path, expected_magic: int) -> tuple[np.ndarray, str]:
    """Read one gzip-compressed IDX file; return its array and the sha256 of its content."""
    try:
        with gzip.open(path, "rb") as file:
            content = file.read()
    except (OSError, EOFError) as error:
        raise DataError(f"{path} is not a readable gzip file ({error}).") from error
    if len(content) < 8:
        raise DataError(f"{path} is too short to be an IDX file ({len(content)} bytes).")
    magic, count = np.frombuffer(content[:8], dtype=">i4")
    if magic != expected_magic:
        raise DataError(f"{path} has magic number {magic}, expected {expected_magic}.")
    header = 16 if expected_magic == IMAGES_MAGIC else 8
    shape = (count,) if expected_magic == LABELS_MAGIC else (count, 28, 28)
    if expected_magic == IMAGES_MAGIC:
        rows, columns = np.frombuffer(content[8:16], dtype=">i4")
        if (rows, columns) != (28, 28):
            raise DataError(f"{path} holds {rows}x{columns} images, expected 28x28.")
    if len(content) != header + int(np.prod(shape)):
        raise DataError(
            f"{path} has {len(content) - header} data bytes, expected {int(np.prod(shape))} "
            f"for {count} items: the file is truncated or corrupt."
        )
    array = np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape)
    return array, hashlib.sha256(content).hexdigest()


def read_mnist_dir(directory: str | os.PathLike, verify_checksums: bool = True) -> MnistData:
    """Read and check the four IDX files in `directory`."""
    directory = Path(directory)
    missing = [name for name, _ in FILES.values() if not (directory / name).is_file()]
    if missing:
        raise DataError(f"{directory} is missing {', '.join(missing)}. {HOW_TO_GET}")
    arrays, digests = {}, []
    for key, (name, expected_digest) in FILES.items():
        magic = LABELS_MAGIC if key.endswith("labels") else IMAGES_MAGIC
        arrays[key], digest = read_idx(directory / name, magic)
        if verify_checksums and digest != expected_digest:
            raise DataError(
                f"{directory / name} is not the canonical MNIST file (sha256 of its content "
                f"is {digest}, expected {expected_digest})."
            )
        digests.append(digest)
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if len(images) != len(labels):
            raise DataError(
                f"{directory}: {len(images)} {split} images but {len(labels)} {split} labels."
            )
        if labels.size and labels.max() > 9:
            raise DataError(f"{directory}: a {split} label is {labels.max()}, outside 0-9.")
    checksum = hashlib.sha256("".join(digests).encode()).hexdigest()
    return MnistData(**arrays, source=str(directory.resolve()), checksum=checksum)


def _from_keras() -> MnistData:
    import keras

    (train_images, train_labels), (test_images, test_labels) = keras.datasets.mnist.load_data()
    digest = hashlib.sha256()
    for array in (train_images, train_labels, test_images, test_labels):
        digest.update(np.ascontiguousarray(array).tobytes())
    return MnistData(
        train_images,
        train_labels,
        test_images,
        test_labels,
        "keras.datasets.mnist",
        digest.hexdigest(),
    )


def find_mnist_dir(data_dir: str | None = None) -> Path | None:
    """The folder MNIST will be read from (steps 1-3 of the module docstring), or None."""
    explicit = data_dir or settings.mnist_dir()
    if explicit:
        return Path(explicit)
    for candidate in LOCAL_DIRS:
        if (Path(candidate) / FILES["train_images"][0]).is_file():
            return Path(candidate)
    return None


def load_mnist(data_dir: str | None = None, allow_download: bool = True) -> MnistData:
    """Load MNIST from the first place that has it (see the module docstring), once per folder
    and process: the one cache of MNIST in the package.

    An explicit `data_dir` or `MNIST_DATA_DIR` must hold the files: a problem there is an error,
    not a reason to look elsewhere. Raises DataError saying where it looked and how to fix it.
    """
    directory = find_mnist_dir(data_dir)
    if directory is not None:
        return _read_once(str(directory))
    looked = ", ".join(str(Path(candidate).resolve()) for candidate in LOCAL_DIRS)
    if not allow_download:
        raise DataError(
            f"MNIST not found. Looked in MNIST_DATA_DIR (unset), {looked}. {HOW_TO_GET}"
        )
    try:
        return _download_once()
    except Exception as error:  # no internet, proxy, disk full: all end the same way
        raise DataError(
            f"MNIST not found. Looked in MNIST_DATA_DIR (unset), {looked}, and Keras's download "
            f"failed ({type(error).__name__}: {error}). {HOW_TO_GET}"
        ) from error


@functools.lru_cache(maxsize=2)
def _read_once(directory: str) -> MnistData:
    return read_mnist_dir(Path(directory))


@functools.lru_cache(maxsize=1)
def _download_once() -> MnistData:
    return _from_keras()
