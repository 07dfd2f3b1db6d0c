"""What a training run is asked to do: one frozen `TrainRequest`, from the Train page or the CLI
through either job back end to `runs.run_job` (a new training, or a fine-tune)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mnist_cnn.config import TrainConfig
from mnist_cnn.storage import check_name


@dataclass(frozen=True, eq=False)
class TrainRequest:
    config: TrainConfig  # the hyperparameters
    name: str  # the run's name, as the runs list shows it
    owner: str = ""  # who asked (a browser session, "command line on HOST"): see permissions
    extra_images: np.ndarray | None = field(default=None, repr=False)  # (N, 28, 28) uint8, such
    extra_labels: np.ndarray | None = field(default=None, repr=False)  # as the class's drawings
    data_dir: str | None = None  # MNIST's folder; None: where the trainer finds it (mnist_cnn.data)
    handwriting_dir: str | None = None  # the pen-written digits' folder, for `real_digits`;
    # None: the trainer's MNIST_CNN_HANDWRITING_DIR
    fine_tune: dict | None = None  # fine-tune this model on the class's drawings instead of
    # training a new network: what runs.finetune_request gives (see runs.run_job)

    def __post_init__(self) -> None:
        if not isinstance(self.config, TrainConfig):
            raise ValueError(f"config must be a TrainConfig. Received: config={self.config!r}")
        check_name(self.name)
        images, labels = self.extra_images, self.extra_labels
        if (images is None) != (labels is None) or (
            images is not None and len(images) != len(labels)
        ):
            raise ValueError(
                "extra_images and extra_labels must be given together, one label each. "
                f"Received: {0 if images is None else len(images)} images and "
                f"{0 if labels is None else len(labels)} labels"
            )

    @property
    def extras(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        return self.extra_images, self.extra_labels
