"""Model files on disk: a `.keras` model with a metadata JSON beside it, written atomically.

A models directory holds one folder per training run. This is the one description of its
layout; the last five files are written only for runs on a Dask cluster (jobs.runfiles):

    <models dir>/active.json               which model the app uses
    <models dir>/<run id>/model.keras      the trained network (absent until it is finished)
    <models dir>/<run id>/metadata.json    status, hyperparameters, metrics, history, versions
    <models dir>/<run id>/job.json         who submitted it and when (the app server, at Start)
    <models dir>/<run id>/claim            made once, atomically, by whoever takes the run
                                           first: the worker that trains it, or a Cancel
    <models dir>/<run id>/progress.json    live progress and curves (the worker, twice a second)
    <models dir>/<run id>/heartbeat        changed by the worker every 2 s while it has the run
    <models dir>/<run id>/stop             Stop was pressed (on any server): the worker stops
                                           within one batch

The model shipped with the project lives in assets/ and is read-only. The models directory is
`MNIST_CNN_MODELS_DIR`, or `~/.mnist_cnn/models` when that is unset.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import shutil
import socket
import tempfile
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mnist_cnn import settings
from mnist_cnn.config import TrainConfig
from mnist_cnn.status import Status

if TYPE_CHECKING:  # Keras (and TensorFlow) load only when a model is read or written
    import keras

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
SHIPPED_ID = "shipped"
MAX_NAME_LENGTH = 60
HOST = socket.gethostname()  # the machine this process runs on (see ModelRecord.host)


class ModelFileError(ValueError):
    """A model or metadata file is missing, corrupt, unsafe or not an MNIST model, or cannot be
    written (a full disk, a read-only models folder)."""


@contextlib.contextmanager
def _writing(what: str, directory: Path):
    """Turn an OSError while writing into a ModelFileError that says what, where and why."""
    try:
        yield
    except OSError as error:
        raise ModelFileError(
            f"Could not write {what} in {directory}: {error.strerror or error}. Files already "
            "there are unchanged. Check that the disk has space and the models folder "
            "(MNIST_CNN_MODELS_DIR) is writable."
        ) from error


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def library_versions() -> dict:
    import keras
    import numpy
    import tensorflow

    return {
        "tensorflow": tensorflow.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


def write_temporary(data: bytes, directory: Path, prefix: str) -> Path:
    """A new hidden file in `directory` holding `data`, on disk (fsync) and readable by all.
    The caller renames or links it into place, and removes it if that fails."""
    with tempfile.NamedTemporaryFile(dir=directory, prefix=prefix, delete=False) as tmp:
        try:
            tmp.write(data)
            tmp.flush()
            os.fchmod(tmp.fileno(), 0o644)
            os.fsync(tmp.fileno())
        except BaseException:  # a full disk: leave no temporary file behind
            os.unlink(tmp.name)
            raise
    return Path(tmp.name)


def write_json_atomic(data: dict, path: Path) -> None:
    """Write JSON so that readers see the old file or the new one, never half of one."""
    path = Path(path)
    tmp = write_temporary(json.dumps(data, indent=2).encode(), path.parent, f".{path.name}.")
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_model_atomic(model: keras.Model, path: Path) -> None:
    """Save a `.keras` file through a temporary file and `os.replace`."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"Model files end in .keras. Received: path={str(path)!r}")
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp.keras")
    try:
        model.save(tmp)
        with open(tmp, "rb") as file:
            os.fsync(file.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_model_file(path: Path) -> keras.Model:
    """Load a `.keras` file with Keras's safe mode (no Lambda layers or arbitrary code)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file not found: {path}")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except (
        Exception
    ) as error:  # corrupt zip, unknown layer, unsafe lambda: all refused the same way
        raise ModelFileError(
            f"Could not load {path.name}: {type(error).__name__}: {str(error)[:300]}"
        ) from error
    input_shape = tuple(model.inputs[0].shape[1:]) if model.inputs else None
    output_shape = tuple(model.outputs[0].shape[1:]) if model.outputs else None
    # 10 outputs, one per digit, and for some networks an 11th: "not a digit".
    if input_shape not in ((28, 28, 1), (28, 28)) or output_shape not in ((10,), (11,)):
        raise ModelFileError(
            f"{path.name} is not an MNIST digit model: it takes {input_shape} and gives "
            f"{output_shape}, expected (28, 28, 1) and (10,) or (11,)."
        )
    return model


@dataclass
class ModelRecord:
    """What we know about one model (or a run that may become one)."""

    id: str
    name: str
    status: Status = Status.FINISHED
    created_at: str = field(default_factory=now_iso)
    config: TrainConfig | None = None  # the hyperparameters it was trained with
    history: dict = field(default_factory=dict)  # per-epoch loss, accuracy, val_loss, val_accuracy
    test_accuracy: float | None = None
    test_loss: float | None = None
    parameters: int | None = None
    train_seconds: float | None = None
    precision: str | None = None  # training arithmetic: "float32" or "mixed_bfloat16"
    epochs_completed: int = 0
    dataset_checksum: str | None = None
    versions: dict = field(default_factory=dict)
    error: str | None = None  # why a run failed, or why its files cannot be read
    finished_at: float | None = None  # time.time() when it ended (see mnist_cnn.lifecycle)
    pid: int | None = None  # process that trains it while it is running
    host: str | None = None  # the machine that process runs on; while queued on a Dask
    # cluster, the cluster's scheduler address (see mnist_cnn.jobs.cluster)
    # A fine-tuned model: its base model and the class's drawings, and the figures before and
    # after (see runs.finetune_run). None for a network trained from scratch.
    fine_tune: dict | None = None
    read_only: bool = False  # the shipped model
    directory: str = ""  # where its files are

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # a word that is no Status raises ValueError

    @property
    def model_path(self) -> Path:
        return Path(self.directory) / "model.keras"

    @property
    def has_model(self) -> bool:
        return self.model_path.is_file()

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("directory")
        data.pop("read_only")
        return data

    @classmethod
    def from_dict(cls, data: dict, directory: Path, read_only: bool = False) -> ModelRecord:
        known = {
            name for name in cls.__dataclass_fields__ if name not in ("directory", "read_only")
        }
        values = {key: value for key, value in data.items() if key in known}
        if values.get("config"):
            values["config"] = TrainConfig.from_dict(values["config"])
        else:
            values["config"] = None
        return cls(**values, directory=str(directory), read_only=read_only)


def write_metadata(record: ModelRecord) -> None:
    """Save a record's metadata.json in its folder (atomically)."""
    if record.read_only:
        raise ModelFileError("The shipped model is read-only.")
    Status(record.status)  # ValueError for a word that is not a status
    with _writing("metadata.json", Path(record.directory)):
        Path(record.directory).mkdir(parents=True, exist_ok=True)
        write_json_atomic(record.to_dict(), Path(record.directory) / "metadata.json")


def save_model_file(model: keras.Model, record: ModelRecord) -> None:
    """Save a record's model.keras atomically; a ModelFileError says why when it cannot."""
    with _writing("model.keras", Path(record.directory)):
        save_model_atomic(model, record.model_path)


def _damage(path: Path) -> str | None:
    """Why a model.keras is certainly not a Keras model (cheap: reads the zip's directory only)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "config.json" in archive.namelist():
                return None
        return "model.keras is damaged (it is not a Keras model file); this model is skipped."
    except (OSError, zipfile.BadZipFile) as error:
        return f"model.keras is damaged ({error}); this model is skipped."


def check_name(name: str) -> str:
    """A display name: 1-60 printable characters."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"A model name cannot be empty. Received: name={name!r}")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise ValueError(
            f"A model name has at most {MAX_NAME_LENGTH} printable characters. Received: name={name!r}"
        )
    return name


class ModelStore:
    """The shipped model plus every run saved in the models directory."""

    def __init__(self, root: str | os.PathLike | None = None, shipped_dir: Path = ASSETS_DIR):
        self.root = Path(root) if root is not None else settings.models_dir()
        self.shipped_dir = Path(shipped_dir)  # holds model.keras and metadata.json

    # --- reading ---
    def shipped(self) -> ModelRecord:
        metadata_path = self.shipped_dir / "metadata.json"
        try:
            data = json.loads(metadata_path.read_text())
        except (OSError, ValueError):
            data = {}
        data.update(id=SHIPPED_ID, status=Status.FINISHED)
        data.setdefault("name", "Shipped model")
        return ModelRecord.from_dict(data, self.shipped_dir, read_only=True)

    def _run_dir(self, model_id: str) -> Path:
        # ids are made by new_run(); anything else could point outside the models directory
        if not re.fullmatch(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}", model_id or ""):
            raise ModelFileError(f"No such model. Received: model_id={model_id!r}")
        return self.root / model_id

    def get(self, model_id: str) -> ModelRecord:
        if model_id == SHIPPED_ID:
            return self.shipped()
        directory = self._run_dir(model_id)
        metadata_path = directory / "metadata.json"
        if not metadata_path.is_file():
            raise ModelFileError(f"No such model. Received: model_id={model_id!r}")
        try:
            data = json.loads(metadata_path.read_text())
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            record = ModelRecord.from_dict(data, directory)
        except (OSError, ValueError, TypeError) as error:
            return ModelRecord(
                id=model_id,
                name=model_id,
                status=Status.FAILED,
                error=f"metadata.json is unreadable ({error}); this model is skipped.",
                directory=str(directory),
            )
        if record.error is None and record.has_model:
            record.error = _damage(record.model_path)
        return record

    def list(self) -> list[ModelRecord]:
        """The shipped model first, then every run, newest first."""
        records = [self.shipped()]
        if self.root.is_dir():
            ids = sorted((path.name for path in self.root.iterdir() if path.is_dir()), reverse=True)
            for model_id in ids:
                try:
                    records.append(self.get(model_id))
                except ModelFileError:
                    continue  # a stray folder that is not a run
        return records

    def load(self, model_id: str) -> keras.Model:
        record = self.get(model_id)
        if record.error and record.status != Status.FAILED:
            raise ModelFileError(record.error)
        return load_model_file(record.model_path)

    # --- writing ---
    def new_run(
        self, name: str, config: TrainConfig, status: Status = Status.QUEUED
    ) -> ModelRecord:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        model_id = f"{stamp}-{uuid.uuid4().hex[:6]}"
        directory = self.root / model_id
        record = ModelRecord(id=model_id, name=check_name(name), status=status, config=config)
        record.directory = str(directory)
        record.versions = library_versions()
        with _writing("a new run", self.root):
            directory.mkdir(parents=True)
        try:
            self.update(record)
        except ModelFileError:
            shutil.rmtree(directory, ignore_errors=True)  # no half-made run is left behind
            raise
        return record

    def update(self, record: ModelRecord) -> None:
        write_metadata(record)

    def rename(self, model_id: str, name: str) -> ModelRecord:
        record = self.get(model_id)
        if record.read_only:
            raise ModelFileError("The shipped model cannot be renamed.")
        record.name = check_name(name)
        self.update(record)
        return record

    def delete(self, model_id: str) -> None:
        record = self.get(model_id)
        if record.read_only:
            raise ModelFileError("The shipped model cannot be deleted.")
        if record.status.is_active:
            raise ModelFileError("Stop or cancel this run before deleting it.")
        if self.active_id() == model_id:
            write_json_atomic({"model": SHIPPED_ID}, self.root / "active.json")
        shutil.rmtree(record.directory)

    # --- the active model ---
    def active_id(self) -> str:
        """The model the app uses: the last one activated, else the shipped one."""
        try:
            model_id = json.loads((self.root / "active.json").read_text())["model"]
            if model_id != SHIPPED_ID:
                record = self.get(model_id)
                if not record.has_model or record.error:  # gone, damaged or unreadable
                    return SHIPPED_ID
            return model_id
        except (OSError, ValueError, KeyError, TypeError):
            return SHIPPED_ID

    def set_active(self, model_id: str) -> None:
        record = self.get(model_id)
        if not record.has_model:
            raise ModelFileError(
                f"{record.name} has no trained model to use (status: {record.status})."
            )
        self.root.mkdir(parents=True, exist_ok=True)
        write_json_atomic({"model": model_id}, self.root / "active.json")
