import threading

import numpy as np
import pytest
import tensorflow as tf

from mnist_cnn.config import PRESETS, TrainConfig
from mnist_cnn.evaluation import evaluate
from mnist_cnn.lifecycle import TransitionRefused
from mnist_cnn.model import build_model, describe_model
from mnist_cnn.request import TrainRequest
from mnist_cnn.runs import train_run
from mnist_cnn.storage import ModelRecord, load_model_file
from mnist_cnn.training import TrainingCallback, augment_batch, train


class Recorder(TrainingCallback):
    def __init__(self, stop_after=None, stop_event=None):
        self.batches, self.epochs = [], []
        self.stop_after, self.stop_event = stop_after, stop_event

    def on_batch_end(self, progress):
        self.batches.append(progress)
        if self.stop_after and len(self.batches) == self.stop_after:
            self.stop_event.set()

    def on_epoch_end(self, progress):
        self.epochs.append(progress)


def test_model_is_the_notebook_network():
    rows = describe_model(build_model(TrainConfig()))
    assert [row.name for row in rows] == [
        "image", "conv1", "pool1", "conv2", "pool2", "conv_dropout", "flatten", "dense", "dense_dropout", "digit",
    ]  # fmt: skip
    shapes = {row.name: row.output_shape for row in rows}
    assert (
        shapes["conv1"] == (24, 24, 16)
        and shapes["pool2"] == (4, 4, 16)
        and shapes["flatten"] == (256,)
    )
    assert sum(row.parameters for row in rows) == 416 + 6416 + 32896 + 1290


def test_one_epoch_smoke_training_reports_progress(mnist, tiny_config):
    recorder = Recorder()
    result = train(tiny_config.replace(epochs=2), mnist, callbacks=[recorder], precision="float32")
    assert [p.step for p in recorder.batches] == list(range(1, 21))
    assert recorder.batches[-1].fraction == 1.0
    assert [p.epoch for p in recorder.epochs] == [1, 2]
    assert recorder.epochs[-1].val_accuracy is not None and recorder.epochs[-1].eta == 0
    assert all(p.elapsed > 0 for p in recorder.batches)
    assert len(result.history["loss"]) == 2 and len(result.history["val_accuracy"]) == 2
    assert result.history["loss"][1] < result.history["loss"][0]
    assert not result.stopped and result.epochs_completed == 2
    probabilities = result.model.predict_on_batch(np.zeros((1, 28, 28, 1), np.float32))
    assert probabilities.shape == (1, 10) and abs(float(probabilities.sum()) - 1) < 1e-5


def test_stop_event_stops_within_one_batch(mnist, tiny_config):
    stop = threading.Event()
    recorder = Recorder(stop_after=3, stop_event=stop)
    result = train(tiny_config.replace(epochs=3), mnist, callbacks=[recorder], stop_event=stop)
    assert len(recorder.batches) == 3
    assert result.stopped and result.epochs_completed == 0 and recorder.epochs == []


def test_same_seed_same_model(mnist, tiny_config):
    config = tiny_config.replace(augment=True, train_size=400, batch_size=50)
    first = train(config, mnist, precision="float32").model.get_weights()
    second = train(config, mnist, precision="float32").model.get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    other = train(config.replace(seed=1), mnist, precision="float32").model.get_weights()
    assert not np.array_equal(first[0], other[0])


def test_augmentation_keeps_images_in_range_and_moves_ink(mnist):
    config = TrainConfig(augment=True, augment_shift=0.2, augment_rotation=30)
    images = tf.constant(mnist.train_images[:64, :, :, None] / 255.0, tf.float32)
    augmented = augment_batch(images, config, tf.constant([0, 0])).numpy()
    assert augmented.shape == (64, 28, 28, 1)
    assert augmented.min() >= 0 and augmented.max() <= 1
    assert np.abs(augmented - images.numpy()).mean() > 0.05
    again = augment_batch(images, config, tf.constant([0, 0])).numpy()
    np.testing.assert_array_equal(augmented, again)


def test_extra_images_are_trained_on(mnist, tiny_config):
    recorder = Recorder()
    extra = np.zeros((100, 28, 28), np.uint8)
    train(tiny_config, mnist, [recorder], extra_images=extra, extra_labels=np.zeros(100, np.uint8))
    assert recorder.batches[-1].batches_per_epoch == 11


def test_mnist_repeats_shows_each_mnist_image_that_many_times_a_round(mnist, tiny_config):
    recorder = Recorder()
    train(tiny_config.replace(mnist_repeats=3), mnist, [recorder])
    assert recorder.batches[-1].batches_per_epoch == 30  # 3 x 1,000 images, 100 a batch


def test_plain_epochs_train_on_the_images_as_they_are(mnist, tiny_config):
    """The last `plain_epochs` rounds are not varied: all of them plain is no augmentation."""
    config = tiny_config.replace(train_size=400, batch_size=50, epochs=2)
    plain = train(config, mnist, precision="float32").model.get_weights()
    varied = config.replace(augment=True)
    all_plain = train(varied.replace(plain_epochs=2), mnist, precision="float32").model
    for a, b in zip(plain, all_plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    last_plain = train(varied.replace(plain_epochs=1), mnist, precision="float32").model
    all_varied = train(varied, mnist, precision="float32").model
    assert not np.array_equal(last_plain.get_weights()[0], plain[0])
    assert not np.array_equal(last_plain.get_weights()[0], all_varied.get_weights()[0])


def test_train_run_saves_model_and_metadata(mnist, tiny_config, tmp_path):
    record = ModelRecord(id="run", name="smoke", status="queued", directory=str(tmp_path / "run"))
    train_run(TrainRequest(tiny_config, "smoke"), mnist, record)
    assert record.status == "finished" and 0.3 < record.test_accuracy <= 1
    assert record.parameters == 41018 and record.epochs_completed == 1
    assert record.precision in ("float32", "mixed_bfloat16")
    assert record.dataset_checksum == mnist.checksum and "tensorflow" in record.versions
    model = load_model_file(tmp_path / "run" / "model.keras")
    assert model.count_params() == 41018
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["metadata.json", "model.keras"]


def test_train_run_never_trains_a_run_that_is_over_again(mnist, tiny_config, tmp_path):
    record = ModelRecord(id="run", name="done", status="finished", directory=str(tmp_path / "run"))
    with pytest.raises(TransitionRefused, match="finished cannot become running"):
        train_run(TrainRequest(tiny_config, "done"), mnist, record)
    assert record.status == "finished" and not (tmp_path / "run").exists()


def test_failed_run_is_recorded_and_leaves_no_model(mnist, tiny_config, tmp_path):
    record = ModelRecord(id="run", name="broken", status="queued", directory=str(tmp_path / "run"))
    request = TrainRequest(tiny_config, "broken", extra_images=np.zeros((5, 3, 3)),
                           extra_labels=np.zeros(5))  # fmt: skip
    with pytest.raises(ValueError):
        train_run(request, mnist, record)
    assert record.status == "failed" and "ValueError" in record.error
    assert not (tmp_path / "run" / "model.keras").exists()


@pytest.mark.slow
def test_quick_preset_keeps_its_promise_of_99_percent(mnist):
    """The Train page and README promise 99.0% test accuracy from `quick` (its time is the
    benchmark's business, not a test's)."""
    result = train(PRESETS["quick"], mnist)
    assert evaluate(result.model, mnist.test_images, mnist.test_labels).accuracy >= 0.99
