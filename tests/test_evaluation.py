import keras
import numpy as np
import pytest

from mnist_cnn.evaluation import evaluate


def constant_model(probabilities):
    """A model that ignores its input and always answers `probabilities` (a fake network, not a fake package)."""
    inputs = keras.Input((28, 28, 1))
    zeros = keras.layers.Dense(10, kernel_initializer="zeros", bias_initializer="zeros")(
        keras.layers.Flatten()(inputs)
    )
    logits = keras.layers.Dense(
        10,
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(np.log(probabilities)),
    )(zeros)
    return keras.Model(inputs, keras.layers.Softmax()(logits))


def test_metrics_of_a_known_model():
    probabilities = np.full(10, 0.05)
    probabilities[7] = 0.55
    model = constant_model(probabilities)
    labels = np.array([7, 7, 7, 1, 2])
    scores = evaluate(model, np.zeros((5, 28, 28), np.uint8), labels)
    assert scores.accuracy == pytest.approx(0.6)
    assert scores.loss == pytest.approx(-(3 * np.log(0.55) + 2 * np.log(0.05)) / 5, rel=1e-4)
    assert scores.confusion_matrix[7, 7] == 3 and scores.confusion_matrix[1, 7] == 1
    assert scores.confusion_matrix.sum() == 5
    assert scores.precision[7] == pytest.approx(0.6) and scores.recall[7] == 1.0
    assert scores.f1[7] == pytest.approx(0.75)
    assert scores.recall[1] == 0 and scores.precision[1] == 0  # never predicted: 0, not NaN
    assert sorted(scores.misclassified.tolist()) == [3, 4]
    assert scores.confidence[3] == pytest.approx(0.55, rel=1e-4)
    as_dict = scores.to_dict()
    assert sorted((m["index"], m["label"], m["predicted"]) for m in as_dict["misclassified"]) == [
        (3, 1, 7),
        (4, 2, 7),
    ]
    assert as_dict["per_class"][7] == {
        "digit": 7,
        "precision": pytest.approx(0.6),
        "recall": 1.0,
        "f1": pytest.approx(0.75),
        "support": 3,
    }
    assert scores.most_confused_pairs() == [
        (2, 7, 1),
        (1, 7, 1),
    ] or scores.most_confused_pairs() == [(1, 7, 1), (2, 7, 1)]


def test_bad_arguments():
    model = constant_model(np.full(10, 0.1))
    with pytest.raises(ValueError, match="Received: 3 images, 2 labels"):
        evaluate(model, np.zeros((3, 28, 28), np.uint8), np.zeros(2))
    with pytest.raises(ValueError, match="non-zero"):
        evaluate(model, np.zeros((0, 28, 28), np.uint8), np.zeros(0))


def test_shipped_model_on_the_test_set(mnist, shipped_model):
    scores = evaluate(shipped_model, mnist.test_images, mnist.test_labels)
    assert scores.accuracy >= 0.992
    assert scores.errors == round((1 - scores.accuracy) * 10000)
    assert list(scores.confidence[scores.misclassified]) == sorted(
        scores.confidence[scores.misclassified], reverse=True
    )
