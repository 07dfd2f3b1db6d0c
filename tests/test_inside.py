"""mnist_cnn.inside: layer outputs, filters, saliency, transforms and tiling, on the shipped model."""

import keras
import numpy as np
import pytest

from mnist_cnn.inside import (
    Inspector,
    first_layer_filters,
    heat_overlay,
    strongest_units,
    tile,
    transform,
)
from mnist_cnn.model import describe_model


@pytest.fixture(scope="module")
def inspector(shipped_model):
    return Inspector(shipped_model)


@pytest.fixture(scope="module")
def digits(mnist):
    """The first ten MNIST test images as (28, 28) floats in [0, 1], with their labels."""
    return mnist.test_images[:10].astype(np.float32) / 255, mnist.test_labels[:10]


def centre_of_mass(image):
    rows, columns = np.indices(image.shape)
    return (columns * image).sum() / image.sum(), (rows * image).sum() / image.sum()


def test_layer_outputs_are_the_models_own_intermediate_outputs(inspector, shipped_model, digits):
    image = digits[0][0]
    views = inspector.layer_outputs(image)
    layers = describe_model(shipped_model)
    assert [view.name for view in views] == [layer.name for layer in layers]
    batch = image.reshape(1, 28, 28, 1)
    for view, layer in zip(views, layers, strict=True):
        assert (view.kind, view.output_shape, view.parameters) == (
            layer.kind,
            layer.output_shape,
            layer.parameters,
        )
        one_layer = keras.Model(shipped_model.input, shipped_model.get_layer(view.name).output)
        expected = np.asarray(one_layer.predict_on_batch(batch))[0]
        assert view.activations.shape == view.output_shape
        np.testing.assert_allclose(view.activations, expected, rtol=1e-5, atol=1e-5)


def test_the_last_layer_output_is_the_prediction(inspector, shipped_model, digits):
    for image in digits[0][:3]:
        probabilities = inspector.layer_outputs(image)[-1].activations
        expected = shipped_model.predict_on_batch(image.reshape(1, 28, 28, 1))[0]
        np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-6)


def test_first_layer_filters_are_conv1_kernels(shipped_model):
    filters = first_layer_filters(shipped_model)
    kernel = np.asarray(shipped_model.get_layer("conv1").kernel)
    assert filters.shape == (5, 5, 32)
    np.testing.assert_array_equal(filters, kernel[:, :, 0, :])


def test_first_layer_filters_needs_a_convolution():
    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="no convolution"):
        first_layer_filters(model)


def test_saliency_is_a_map_in_0_1_brighter_on_the_ink(inspector, digits):
    for image, label in zip(*digits, strict=True):
        heat = inspector.saliency(image)
        assert heat.shape == (28, 28) and heat.dtype == np.float32
        assert heat.min() >= 0 and heat.max() == pytest.approx(1)
        ink = image > 0.5
        assert heat[ink].mean() > heat[~ink].mean(), f"digit {label}"


def test_saliency_of_a_chosen_digit_and_of_nothing(inspector, digits):
    image = digits[0][0]
    assert not np.array_equal(inspector.saliency(image, digit=1), inspector.saliency(image))
    blank = inspector.saliency(np.zeros((28, 28)))
    assert blank.shape == (28, 28) and np.all(blank == 0)
    with pytest.raises(ValueError, match="digit"):
        inspector.saliency(image, digit=10)


def test_neutral_transform_returns_the_input(digits):
    image = digits[0][0]
    np.testing.assert_allclose(transform(image), image, atol=1e-6)
    np.testing.assert_allclose(transform(image.reshape(28, 28, 1)), image, atol=1e-6)


def test_shift_moves_the_centre_of_mass(digits):
    image = digits[0][3]  # a 0 that stays inside the field when moved
    x, y = centre_of_mass(image)
    moved = transform(image, shift_x=3, shift_y=-2)
    assert moved.sum() == pytest.approx(image.sum(), rel=1e-4)
    moved_x, moved_y = centre_of_mass(moved)
    assert moved_x - x == pytest.approx(3, abs=0.1)
    assert moved_y - y == pytest.approx(-2, abs=0.1)


def test_rotation_by_90_turns_a_vertical_bar_horizontal_counter_clockwise():
    bar = np.zeros((28, 28), np.float32)
    bar[4:24, 13:15] = 1
    turned = transform(bar, rotation=90)
    rows, columns = np.nonzero(turned > 0.5)
    assert np.ptp(columns) >= 18 and np.ptp(rows) <= 2

    dot = np.zeros((28, 28), np.float32)
    dot[13:15, 21:23] = 1  # right of the centre ...
    x, y = centre_of_mass(transform(dot, rotation=90))
    assert x == pytest.approx(13.5, abs=0.5) and y == pytest.approx(5.5, abs=0.5)  # ... goes up


def test_scale_and_thickness(digits):
    image = digits[0][0]
    ink = image.sum()
    assert transform(image, scale=1.3).sum() > 1.4 * ink  # area grows with the square
    assert transform(image, scale=0.7).sum() < 0.6 * ink
    assert transform(image, thickness=1).sum() > 1.5 * ink
    assert transform(image, thickness=-1).sum() < 0.7 * ink
    assert transform(image, thickness=0.5).sum() < transform(image, thickness=1).sum()
    for moved in (transform(image, scale=3, thickness=1), transform(image, rotation=33)):
        assert moved.shape == (28, 28) and moved.min() >= 0 and moved.max() <= 1


@pytest.mark.parametrize(
    "image, arguments, message",
    [
        (np.zeros((27, 28)), {}, "28x28"),
        (np.zeros((28, 28, 3)), {}, "28x28"),
        (np.full((28, 28), np.nan), {}, "NaN"),
        (np.full((28, 28), 255.0), {}, r"\[0, 1\]"),
        (np.zeros((28, 28)), {"scale": 0}, "scale"),
        (np.zeros((28, 28)), {"scale": -1.5}, "scale"),
        (np.zeros((28, 28)), {"shift_x": float("nan")}, "shift_x"),
        (np.zeros((28, 28)), {"rotation": float("inf")}, "rotation"),
        (np.zeros((28, 28)), {"thickness": 2}, "thickness"),
        (np.zeros((28, 28)), {"shift_y": "3"}, "shift_y"),
    ],
)
def test_transform_refuses_bad_arguments(image, arguments, message):
    with pytest.raises(ValueError, match=message):
        transform(image, **arguments)


def test_inspector_refuses_bad_images(inspector):
    with pytest.raises(ValueError, match="28x28"):
        inspector.layer_outputs(np.zeros((280, 280)))
    with pytest.raises(ValueError, match="NaN"):
        inspector.saliency(np.full((28, 28), np.nan))


def test_tile_lays_maps_out_in_rows():
    maps = np.stack([np.full((2, 3), index, np.float32) for index in range(5)], axis=-1)
    grid = tile(maps, columns=2, gap=1, fill=-1)
    assert grid.shape == (3 * 2 + 2, 2 * 3 + 1)
    assert grid[0, 0] == 0 and grid[0, 4] == 1 and grid[3, 0] == 2 and grid[6, 4] == -1
    assert grid[2, 0] == -1 and grid[0, 3] == -1  # the gaps
    assert tile(maps, columns=8).shape == (2, 8 * 4 - 1)
    with pytest.raises(ValueError, match="columns"):
        tile(maps, columns=0)
    with pytest.raises(ValueError, match="height, width, count"):
        tile(maps[:, :, 0], columns=2)


def test_strongest_units_and_heat_overlay():
    assert strongest_units(np.array([0.5, 2.0, 0.0, 1.0]), count=2) == [(1, 2.0), (3, 1.0)]
    picture = heat_overlay(np.ones((28, 28)), np.linspace(0, 1, 784).reshape(28, 28))
    assert picture.shape == (28, 28, 3) and picture.min() >= 0 and picture.max() <= 1
    np.testing.assert_allclose(picture[-1, -1], [1, 1, 1])  # the hottest pixel is white
