"""In a real browser: the Metrics page's heatmap, its mistakes gallery and filters, and a
comparison of two models."""

import shutil

from playwright.sync_api import expect

from mnist_cnn.config import TrainConfig
from mnist_cnn.storage import ASSETS_DIR, ModelStore
from tools.browser import app_exceptions, choose_option, open_app


def add_copy_of_shipped_model(models_dir, name, test_accuracy, seconds):
    store = ModelStore(models_dir)
    record = store.new_run(name, TrainConfig(epochs=1), status="finished")
    shutil.copy(ASSETS_DIR / "model.keras", record.model_path)
    record.test_accuracy, record.train_seconds, record.parameters = test_accuracy, seconds, 317066
    store.update(record)


def choose(page, key, option):
    choose_option(page, page.locator(f".st-key-{key}"), option)


def test_heatmap_gallery_filters_and_comparison(app_server, page, tmp_path_factory, mnist):
    # mnist: skips without it; the page scores both models on the test set
    models_dir = tmp_path_factory.mktemp("metrics-models")
    add_copy_of_shipped_model(models_dir, "Fast experiment", 0.981, 20.0)
    add_copy_of_shipped_model(models_dir, "Long experiment", 0.994, 300.0)
    url = app_server("app.py", env={"MNIST_CNN_MODELS_DIR": str(models_dir)})
    open_app(page, url + "/metrics")

    summary = page.locator(".st-key-metrics-summary")
    shipped = f"{100 * ModelStore(models_dir).shipped().test_accuracy:.2f}%"
    expect(summary).to_contain_text(shipped, timeout=120_000)  # scored once, then cached
    expect(
        page.locator(".st-key-confusion-chart canvas, .st-key-confusion-chart svg").first
    ).to_be_visible()

    page.get_by_role("tab", name="Mistakes").click()  # tabs switch in the browser: no rerun
    gallery = page.locator(".st-key-gallery")
    expect(gallery.locator("img").first).to_be_visible()
    everything = gallery.locator("img").count()
    choose(page, "gallery-true", "9")
    expect(gallery).to_contain_text("true 9")
    assert "true 4" not in gallery.inner_text()
    assert gallery.locator("img").count() <= everything

    page.get_by_role("tab", name="All models").click()
    comparison = page.locator(".st-key-comparison")
    for name in ("Shipped: accurate preset", "Fast experiment", "Long experiment"):
        expect(comparison).to_contain_text(name)
    assert not app_exceptions(page), app_exceptions(page)
