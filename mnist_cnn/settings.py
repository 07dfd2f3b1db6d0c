"""The environment variables the package and the app read, each with its default: the one place
that reads them. The README's table "Environment variables" lists the same ones
(tests/test_structure.py checks that it does).

Each function reads its variable when called (not at import), so a test or a server started
with another value sees it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # what applies when it is unset, in words
    meaning: str


VARIABLES = {
    variable.name: variable
    for variable in (
        Variable("MNIST_DATA_DIR", "`./data/mnist`, else Keras's download",
                 "folder with the four MNIST `*-ubyte.gz` files"),
        Variable("MNIST_CNN_MODELS_DIR", "`~/.mnist_cnn/models`",
                 "where trained runs and the active model are kept"),
        Variable("MNIST_CNN_CLASS_DIR", "`class-digits` beside the models folder",
                 "the class's saved drawings"),
        Variable("MNIST_CNN_HANDWRITING_DIR", "none (training with `real_digits` is refused)",
                 "folder with `pendigits-train.jsonl.gz`, the pen-written digits"),
        Variable("MNIST_CNN_CLUSTER", "none: train on this machine",
                 "a Dask scheduler's address, e.g. `tcp://10.0.0.5:8786`, to train there"),
        Variable("MNIST_CNN_TEACHER_KEY", "`teacher_key` in `.streamlit/secrets.toml`, else none",
                 "the teacher's passphrase"),
        Variable("MNIST_CNN_TF_LOGS", "`0`", "`1` shows TensorFlow's start-up notices"),
        Variable("MNIST_CNN_CHROMIUM", "Playwright's Chromium, else `/usr/bin/chromium`",
                 "the Chromium the browser tests and benchmarks drive"),
    )
}  # fmt: skip


def read(name: str) -> str | None:
    """The variable's value, stripped; None when it is unset or empty."""
    if name not in VARIABLES:
        raise ValueError(f"Not a variable of mnist_cnn.settings.VARIABLES. Received: name={name!r}")
    value = os.environ.get(name, "").strip()
    return value or None


def _folder(name: str) -> Path | None:
    value = read(name)
    return Path(value).expanduser() if value else None


def mnist_dir() -> Path | None:
    """MNIST_DATA_DIR (None: look in ./data/mnist, then download: see mnist_cnn.data)."""
    return _folder("MNIST_DATA_DIR")


def models_dir() -> Path:
    """MNIST_CNN_MODELS_DIR, else ~/.mnist_cnn/models."""
    return _folder("MNIST_CNN_MODELS_DIR") or Path.home() / ".mnist_cnn" / "models"


def class_dir() -> Path:
    """MNIST_CNN_CLASS_DIR, else a `class-digits` folder beside the models folder."""
    return _folder("MNIST_CNN_CLASS_DIR") or models_dir().parent / "class-digits"


def handwriting_dir() -> Path | None:
    """MNIST_CNN_HANDWRITING_DIR (None: not set; see mnist_cnn.handwriting)."""
    return _folder("MNIST_CNN_HANDWRITING_DIR")


def cluster_address(given: str | None = None) -> str:
    """The Dask scheduler to train on: `given`, else MNIST_CNN_CLUSTER; "" for none (train on
    this machine)."""
    return (given or "").strip() or read("MNIST_CNN_CLUSTER") or ""


def teacher_key() -> str | None:
    """MNIST_CNN_TEACHER_KEY (see mnist_cnn.permissions for the secrets.toml fallback)."""
    return read("MNIST_CNN_TEACHER_KEY")


def tensorflow_logs() -> bool:
    return read("MNIST_CNN_TF_LOGS") == "1"


def chromium() -> str | None:
    return read("MNIST_CNN_CHROMIUM")
