import pytest

from mnist_cnn.config import PRESETS, TrainConfig, feature_map_sizes, preset


def test_defaults_are_the_notebook():
    config = TrainConfig()
    assert (config.conv1_filters, config.conv2_filters, config.kernel_size, config.pool_size) == (
        16,
        16,
        5,
        2,
    )
    assert (config.conv_dropout, config.dense_units, config.dense_dropout) == (0.2, 128, 0.2)
    assert (config.optimizer, config.learning_rate, config.batch_size, config.epochs) == (
        "adam",
        0.001,
        200,
        8,
    )
    assert config.augment is False
    assert preset("seed") == config


def test_presets_are_valid_and_named():
    assert set(PRESETS) == {"seed", "quick", "accurate"}
    assert PRESETS["accurate"].augment is True
    with pytest.raises(ValueError, match="Unknown preset.*Received: name='fast'"):
        preset("fast")


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        TrainConfig().epochs = 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "epochs=0"),
        ({"conv_dropout": 1.0}, "conv_dropout=1.0"),
        ({"dense_dropout": -0.1}, "dense_dropout=-0.1"),
        ({"optimizer": "adamw"}, "optimizer='adamw'"),
        ({"kernel_size": 11}, "kernel_size=11"),
        ({"pool_size": 4, "kernel_size": 5}, "pool_size=4"),
        ({"batch_size": 2.5}, "batch_size=2.5"),
        ({"epochs": True}, "epochs=True"),
        ({"learning_rate": float("nan")}, "learning_rate=nan"),
        ({"train_size": 58_000}, "train_size=58000"),
        ({"augment": "yes"}, "augment='yes'"),
    ],
)
def test_invalid_values_name_the_field(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        TrainConfig(**changes)


def test_feature_map_sizes_of_the_notebook():
    assert feature_map_sizes(TrainConfig()) == [24, 12, 8, 4]


def test_the_largest_kernel_that_fits_leaves_a_one_pixel_map():
    # 28-9+1 = 20, pooled 10; 10-9+1 = 2, pooled 1: valid (kernel_size=11 above is not)
    assert feature_map_sizes(TrainConfig(kernel_size=9)) == [20, 10, 2, 1]


def test_round_trip_through_dict():
    config = PRESETS["accurate"]
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="Unknown hyperparameter"):
        TrainConfig.from_dict({"epochs": 2, "layers": 5})
