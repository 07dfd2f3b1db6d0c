"""The Train page's parts that need no Streamlit (mnist_cnn/ui/train_parts.py): the curves and
where the settings came from."""

from mnist_cnn.config import PRESETS
from mnist_cnn.jobs.base import Job, add_progress
from mnist_cnn.progress import Progress
from mnist_cnn.ui.train_parts import (
    COLOURS,
    accuracy_floor,
    changed_settings,
    curves_spec,
    curves_table,
    settings_summary,
)


def fake_run(epochs: int = 2, batches: int = 50) -> Job:
    """A job fed progress as the trainer sends it: batch losses that fall, noisily."""
    job = Job("run", "run", PRESETS["quick"], owner="a")
    for epoch in range(1, epochs + 1):
        for batch in range(1, batches + 1):
            step = (epoch - 1) * batches + batch
            loss = 2.3 / step**0.5 * (1.3 if step % 2 else 0.7)  # noisy
            progress = Progress(epoch, epochs, batch, batches, 0.0, 0.0, None, None, 1.0, None,
                                batch_loss=loss, batch_accuracy=min(1.0, 0.1 + step / 60))  # fmt: skip
            add_progress(job, "batch", progress)
        add_progress(
            job, "epoch", Progress(epoch, epochs, batches, batches, 0.1, 0.9, 0.1, 0.95, 1.0, None)
        )
        job.epoch_history[-1].update(val_loss=0.1, val_accuracy=0.95)
    return job


def test_training_curves_are_smoothed_and_do_not_jump_at_epoch_boundaries():
    table = curves_table(fake_run())
    loss = table[(table.metric == "loss") & (table.series == "training (smoothed)")].value.tolist()
    steps = [later - earlier for earlier, later in zip(loss[20:], loss[21:], strict=False)]
    assert max(abs(step) for step in steps) < 0.05  # the raw losses jump by 0.2-0.3 every batch
    assert abs(loss[50] - loss[49]) < 0.02  # no jump between the two epochs
    validation = table[table.series == "validation"]
    assert sorted(validation.step.unique()) == [50, 100]


def test_curves_show_validation_dashed_in_another_colour_and_the_interesting_range():
    loss, accuracy = curves_spec("loss", None), curves_spec("accuracy", 0.8)
    assert loss["encoding"]["y"]["scale"] == {"type": "log"}
    assert accuracy["encoding"]["y"]["scale"]["domain"] == [0.8, 1]
    assert loss["encoding"]["color"]["scale"]["range"] == COLOURS and len(set(COLOURS)) == 2
    assert loss["encoding"]["strokeDash"]["scale"]["range"][1] != [1, 0]  # validation dashed
    assert (
        loss["encoding"]["color"]["legend"] == loss["encoding"]["strokeDash"]["legend"]
    )  # one legend
    table = curves_table(fake_run())
    assert 0.0 < accuracy_floor(table) < 0.95  # not from zero, below every later value


def test_the_page_says_which_preset_the_settings_came_from():
    quick = PRESETS["quick"].to_dict()
    assert changed_settings(quick, "quick") == []
    assert settings_summary("quick", []) == "quick, as the preset"
    changed = changed_settings({**quick, "epochs": 3}, "quick")
    assert changed == ["epochs"]
    assert settings_summary("quick", changed) == "quick, changed (epochs)"
