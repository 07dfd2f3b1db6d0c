"""Command line: `python -m mnist_cnn train | evaluate | predict | class add | finetune` (each
has --help)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import uuid
from pathlib import Path

from mnist_cnn.config import FIELD_TYPES, PRESETS, SETTINGS, TrainConfig
from mnist_cnn.progress import Progress, TrainingCallback
from mnist_cnn.quiet import load_tensorflow
from mnist_cnn.request import TrainRequest
from mnist_cnn.settings import cluster_address
from mnist_cnn.storage import HOST


class TerminalProgress(TrainingCallback):
    """A one-line progress bar on stderr, and a summary line per epoch."""

    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream, self.width = stream, width
        self.interactive = hasattr(stream, "isatty") and stream.isatty()
        self.last_draw = -1.0

    def on_batch_end(self, progress: Progress) -> None:
        # redraw at most 10 times a second, and only on a terminal (not into log files)
        if not self.interactive or progress.elapsed - self.last_draw < 0.1:
            return
        self.last_draw = progress.elapsed
        filled = int(self.width * progress.fraction)
        eta = f"{progress.eta:4.0f}s left" if progress.eta is not None else "          "
        self.stream.write(
            f"\repoch {progress.epoch}/{progress.epochs} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{100 * progress.fraction:3.0f}%  loss {progress.loss:.4f}  acc {progress.accuracy:.4f}  {eta}"
        )
        self.stream.flush()

    def on_epoch_end(self, progress: Progress) -> None:
        validation = ""
        if progress.val_accuracy is not None:
            validation = f"  val_loss {progress.val_loss:.4f}  val_acc {progress.val_accuracy:.4f}"
        self.stream.write(
            f"\repoch {progress.epoch}/{progress.epochs}  loss {progress.loss:.4f}  "
            f"acc {progress.accuracy:.4f}{validation}  {progress.elapsed:.1f}s{' ' * 20}\n"
        )
        self.stream.flush()


def add_hyperparameter_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, e.g. --kernel-size 3, --augment / --no-augment, with the
    field's plain-language help and range (mnist_cnn.config.SETTINGS)."""
    group = parser.add_argument_group("hyperparameters (default: the preset's value)")
    for name, described in SETTINGS.items():
        flag = "--" + name.replace("_", "-")
        kind = FIELD_TYPES[name]
        help_text = f"{described.label}: {described.help}"
        if kind is bool:
            group.add_argument(
                flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        elif described.choices:
            group.add_argument(
                flag, dest=name, choices=described.choices, default=None, help=help_text
            )
        else:
            help_text += f" ({described.low:g} to {described.high:g})"
            group.add_argument(
                flag,
                dest=name,
                type=kind,
                default=None,
                metavar=kind.__name__.upper(),
                help=help_text,
            )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    changes = {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}
    return PRESETS[args.preset].replace(**changes)


def command_train(args: argparse.Namespace) -> int:
    from mnist_cnn.data import load_mnist
    from mnist_cnn.runs import train_run
    from mnist_cnn.status import Status
    from mnist_cnn.storage import ModelRecord, ModelStore

    config = config_from_args(args)  # bad values fail here, before any data is read
    name = args.name or f"{args.preset} preset (CLI)"
    cluster = cluster_address(args.cluster)
    if cluster:
        return train_on_cluster(
            TrainRequest(config, name, f"command line on {HOST}"), cluster, args
        )
    request = TrainRequest(config, name, f"command line on {HOST}", data_dir=args.data_dir,
                           handwriting_dir=args.handwriting_dir)  # fmt: skip
    data = load_mnist(request.data_dir)
    if args.out:
        record = ModelRecord(id=uuid.uuid4().hex[:6], name=name, status=Status.QUEUED,
                             directory=str(Path(args.out)))  # fmt: skip
    else:
        record = ModelStore().new_run(name, config)
    print(f"Training on {data.source}; saving to {record.directory}", file=sys.stderr)
    train_run(request, data, record, callbacks=[TerminalProgress()])
    return print_summary(record, args.json)


def train_on_cluster(request: TrainRequest, address: str, args) -> int:
    """Send the run to the Dask cluster, show its progress here; Ctrl+C stops it."""
    from mnist_cnn.jobs.cluster import ClusterJobs, ClusterUnavailable
    from mnist_cnn.storage import ModelStore

    if args.out or args.data_dir or args.handwriting_dir:
        raise ValueError(
            "--out, --data-dir and --handwriting-dir are for training on this machine. On a "
            "cluster the run is saved in the shared models folder (MNIST_CNN_MODELS_DIR), and "
            "each worker reads MNIST_DATA_DIR and MNIST_CNN_HANDWRITING_DIR from its own "
            "environment."
        )
    jobs = ClusterJobs(ModelStore(), address)
    try:
        job = jobs.submit(request)
    except ClusterUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Training on the cluster at {address}; saving to {jobs.store.root / job.id}",
          file=sys.stderr)  # fmt: skip
    terminal, epochs_shown, stopping = TerminalProgress(), 0, False
    while job.status.is_active:
        try:
            time.sleep(0.2)
            job = jobs.get(job.id) or job
            if job.progress is not None:
                terminal.on_batch_end(job.progress)
                for epoch in job.epoch_history[epochs_shown:]:
                    terminal.on_epoch_end(dataclasses.replace(job.progress, **epoch))
                epochs_shown = len(job.epoch_history)
        except KeyboardInterrupt:
            if stopping:
                raise
            stopping = jobs.stop(job.id)
            print("\nstopping after this batch (Ctrl+C again to leave it running)", file=sys.stderr)
    jobs.close()
    record = jobs.store.get(job.id)
    if record.status not in ("finished", "stopped"):
        print(f"error: the run {record.status}: {record.error}", file=sys.stderr)
        return 1
    return print_summary(record, args.json)


def print_summary(record, as_json: bool) -> int:
    summary = {
        "test_accuracy": record.test_accuracy,
        "test_loss": record.test_loss,
        "train_seconds": record.train_seconds,
        "epochs": record.epochs_completed,
        "parameters": record.parameters,
        "model_path": str(record.model_path),
        "model_id": record.id,
    }
    if as_json:
        print(json.dumps(summary))
    else:
        print(
            f"test accuracy {record.test_accuracy:.4f}, loss {record.test_loss:.4f}, "
            f"{record.train_seconds:.1f}s; saved {record.model_path}"
        )
    return 0


def load_cli_model(path: str | None):
    from mnist_cnn.storage import ASSETS_DIR, load_model_file

    return load_model_file(Path(path) if path else ASSETS_DIR / "model.keras")


def command_evaluate(args: argparse.Namespace) -> int:
    from mnist_cnn.data import load_mnist
    from mnist_cnn.evaluation import evaluate

    model = load_cli_model(args.model)
    data = load_mnist(args.data_dir)
    scores = evaluate(model, data.test_images, data.test_labels)
    if args.json:
        print(json.dumps(scores.to_dict()))
        return 0
    print(f"test accuracy {scores.accuracy:.4f}  loss {scores.loss:.4f}  errors {scores.errors}")
    print("digit  precision  recall  f1")
    for row in scores.per_class():
        print(f"{row['digit']:5d}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:.4f}")
    return 0


def command_predict(args: argparse.Namespace) -> int:
    from mnist_cnn.predict import Predictor
    from mnist_cnn.preprocess import preprocess

    predictor = Predictor(load_cli_model(args.model))
    failures = 0
    for path in args.images:
        try:
            prepared = preprocess(Path(path))
        except ValueError as error:
            failures += 1
            print(f"{path}: {error}", file=sys.stderr)
            if args.json:
                print(json.dumps({"path": path, "error": str(error)}))
            continue
        prediction = None if prepared.blank else predictor.predict(prepared.image)
        if args.json:
            print(
                json.dumps(
                    {
                        "path": path,
                        "digit": prediction.digit if prediction else None,
                        "probabilities": prediction.probabilities.tolist() if prediction else None,
                        "blank": prepared.blank,
                        "not_a_digit": prediction.not_a_digit if prediction else False,
                    }
                )
            )
        elif prediction is None:
            print(f"{path}: blank (no digit found)")
        elif prediction.not_a_digit:
            print(f"{path}: {prediction.not_a_digit_message()}; {prediction.if_a_digit_message()}")
        else:
            print(f"{path}: {prediction.digit} ({100 * prediction.confidence:.1f}% sure)")
    return 1 if failures else 0


def command_class_add(args: argparse.Namespace) -> int:
    """Add labelled pictures to the class's drawings, as "Save" on the Draw page does: every
    file is checked first, and nothing is saved unless all of them can be."""
    from mnist_cnn.classdata import ClassDigits, parse_label, read_drawing
    from mnist_cnn.predict import Predictor
    from mnist_cnn.storage import ModelStore

    label = parse_label(args.label)
    drawings, problems = [], []
    for path in args.files:
        try:
            drawings.append((path, *read_drawing(path)))
        except ValueError as error:
            problems.append(f"{path}: {error}")
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"error: nothing was saved ({len(problems)} of {len(args.files)} files could not "
              "be used); fix or leave out those files and run it again.", file=sys.stderr)  # fmt: skip
        return 2
    store = ModelStore()
    model_id = store.active_id()
    predictor = Predictor(store.load(model_id))
    class_digits = ClassDigits()
    for path, original, image28 in drawings:
        guess = predictor.predict(image28).digit
        entry = class_digits.add(original, image28, label, guess, model_id)
        split = " (held out: never trained on)" if entry.held_out else ""
        print(f"{path}: saved as drawing #{int(entry.id)}, label {args.label}; the model read "
              f"{guess}{split}")  # fmt: skip
    print(f"{len(drawings)} drawing(s) added to {class_digits.root}", file=sys.stderr)
    return 0


def command_finetune(args: argparse.Namespace) -> int:
    """Fine-tune the active model (or --model) on the class's training drawings; save it as a
    new run (or in --out)."""
    from mnist_cnn.classdata import ClassDigits
    from mnist_cnn.data import load_mnist
    from mnist_cnn.runs import finetune_name, finetune_request, finetune_run
    from mnist_cnn.status import Status
    from mnist_cnn.storage import ModelRecord, ModelStore

    store = ModelStore()
    if args.model:
        path = Path(args.model)
        base = ModelRecord(id=path.stem, name=path.stem, directory=str(path.parent))
        if (path.parent / "metadata.json").is_file() and path.name == "model.keras":
            data = json.loads((path.parent / "metadata.json").read_text())
            base = ModelRecord.from_dict(data, path.parent)
    else:
        base = store.get(store.active_id())
        path = base.model_path
    request = TrainRequest(
        base.config or TrainConfig(),
        args.name or finetune_name(base.name),
        owner=f"command line on {HOST}",
        handwriting_dir=args.handwriting_dir,
        fine_tune=finetune_request(base, ClassDigits().root, path),
    )
    if args.out:
        record = ModelRecord(
            id=uuid.uuid4().hex[:6], name=request.name, status=Status.QUEUED,
            config=request.config, directory=str(args.out),
        )  # fmt: skip
    else:
        record = store.new_run(request.name, request.config)
    data = load_mnist(args.data_dir)
    print(f"Fine-tuning {base.name} on the class's drawings in "
          f"{request.fine_tune['class_dir']}; saving to {record.directory}", file=sys.stderr)  # fmt: skip
    finetune_run(request, data, record, [TerminalProgress()])
    details = record.fine_tune
    summary = {
        "train_seconds": record.train_seconds,
        "seconds": details["seconds"],
        "class_drawings": details["class_drawings"],
        "held_out_drawings": details["held_out_drawings"],
        "held_out_before": details["held_out_before"],
        "held_out_after": details["held_out_after"],
        "mnist_test_accuracy_before": details["mnist_before"],
        "mnist_test_accuracy": record.test_accuracy,
        "model_path": str(record.model_path),
        "model_id": record.id,
    }
    if args.json:
        print(json.dumps(summary))
        return 0

    def percent(value):
        return "-" if value is None else f"{100 * value:.1f}%"

    print(
        f"learned from {details['class_drawings']} class drawings in {record.train_seconds:.1f}s "
        f"({details['seconds']:.1f}s in all); the {details['held_out_drawings']} held-out "
        f"drawings read {percent(details['held_out_before'])} before, "
        f"{percent(details['held_out_after'])} after; MNIST test "
        f"{percent(details['mnist_before'])} before, {percent(record.test_accuracy)} after; "
        f"saved {record.model_path}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mnist_cnn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a network and save it")
    train.add_argument(
        "--preset", choices=sorted(PRESETS), default="seed", help="starting settings"
    )
    add_hyperparameter_flags(train)
    train.add_argument(
        "--data-dir", help="folder with the four MNIST .gz files (or MNIST_DATA_DIR)"
    )
    train.add_argument(
        "--handwriting-dir",
        help="folder with pendigits-train.jsonl.gz, for --real-digits (or MNIST_CNN_HANDWRITING_DIR)",
    )
    train.add_argument(
        "--out",
        help="folder to write model.keras and metadata.json (default: a new run in the models dir)",
    )
    train.add_argument("--name", help="a name for the model")
    train.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="train on this Dask cluster, e.g. tcp://10.0.0.5:8786 (or MNIST_CNN_CLUSTER); "
        "the run is saved in the shared models folder",
    )
    train.add_argument("--json", action="store_true", help="end with one JSON line of results")
    train.set_defaults(handler=command_train)

    evaluate = commands.add_parser("evaluate", help="score a model on the 10,000 test images")
    evaluate.add_argument("--model", help="a .keras file (default: the shipped model)")
    evaluate.add_argument(
        "--data-dir", help="folder with the four MNIST .gz files (or MNIST_DATA_DIR)"
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(handler=command_evaluate)

    predict = commands.add_parser("predict", help="read digits from PNG or JPEG files")
    predict.add_argument(
        "images", nargs="+", metavar="IMAGE", help="image files, any size or polarity"
    )
    predict.add_argument("--model", help="a .keras file (default: the shipped model)")
    predict.add_argument("--json", action="store_true", help="one JSON object per line per image")
    predict.set_defaults(handler=command_predict)

    class_parser = commands.add_parser(
        "class", help="the class's own drawings (MNIST_CNN_CLASS_DIR)"
    )
    class_commands = class_parser.add_subparsers(dest="class_command", required=True)
    add = class_commands.add_parser(
        "add", help="add labelled pictures, as saving on the Draw page does"
    )
    add.add_argument(
        "--label",
        required=True,
        help="what they are: a digit 0-9, or not-a-digit for marks that are no digit",
    )
    add.add_argument(
        "files", nargs="+", metavar="FILE", help="pictures of one digit each, as for predict"
    )
    add.set_defaults(handler=command_class_add)

    finetune = commands.add_parser(
        "finetune", help="teach the active model the class's handwriting (a few seconds)"
    )
    finetune.add_argument("--model", help="a .keras file to start from (default: the active model)")
    finetune.add_argument(
        "--out",
        help="folder to write model.keras and metadata.json (default: a new run in the models dir)",
    )
    finetune.add_argument("--name", help="a name (default: the model's, + class handwriting)")
    finetune.add_argument(
        "--data-dir", help="folder with the four MNIST .gz files (or MNIST_DATA_DIR)"
    )
    finetune.add_argument(
        "--handwriting-dir",
        help="folder with pendigits-train.jsonl.gz, mixed in (or MNIST_CNN_HANDWRITING_DIR)",
    )
    finetune.add_argument("--json", action="store_true", help="end with one JSON line of results")
    finetune.set_defaults(handler=command_finetune)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and bad flags end here, before TensorFlow loads
    try:
        if args.command != "train" or config_from_args(args):  # bad settings: no TensorFlow either
            load_tensorflow()
        return args.handler(args)
    except (
        ValueError
    ) as error:  # bad settings, missing data, unreadable model: say what, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
