"""Two app servers, one Dask cluster, one shared models folder (issue #17), in Chromium.

Alice starts a run on the first server; the training happens on a worker of the cluster. Bob,
on the second server, sees it train live, stops it, and finds it stopped in the runs list;
Alice's page says so too. Alice makes it the class's model, and Bob's sidebar on the other
server names it within a few seconds.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import training_env
from tests.browser.test_train_browser import click, open_train_page, set_number, set_text, show_runs
from tools.browser import app_exceptions, open_app, wait_for_rerun

WAIT_MS = 60_000
NAME = "cluster run"
LONG = {  # 10,000 steps: it trains until Bob stops it
    "Training images (train_size)": 5000,
    "Images kept aside for checking (validation_size)": 200,
    "Rounds through the data (epochs)": 20,
    "Images per step (batch_size)": 10,
}


@pytest.fixture(scope="module")
def two_servers(app_server, tmp_path_factory, mnist, dask_cluster):
    env = training_env(tmp_path_factory, mnist, MNIST_CNN_CLUSTER=dask_cluster)
    # the same folders and cluster; APP_SERVER only tells the two processes apart
    return [app_server("app.py", env={**env, "APP_SERVER": str(n)}) for n in (1, 2)]


def test_two_app_servers_share_the_runs_the_queue_and_the_active_model(two_servers, new_context):
    first, second = two_servers
    assert first != second
    alice = new_context().new_page()
    alice_live = open_train_page(alice, first)
    for label, value in LONG.items():
        set_number(alice, label, value)
    set_text(alice, "Name for this run", NAME)
    click(alice, "start")
    expect(alice_live).to_contain_text(f"Training “{NAME}” (yours)", timeout=WAIT_MS)

    bob = new_context().new_page()
    bob_live = open_train_page(bob, second)
    expect(bob_live).to_contain_text(f"Training “{NAME}”", timeout=WAIT_MS)
    expect(bob_live).not_to_contain_text("(yours)")
    expect(bob_live).to_contain_text("step (batch)", timeout=WAIT_MS)  # live, batch by batch
    bar = bob_live.get_by_role("progressbar")
    first_seen = bar.get_attribute("aria-valuenow")
    expect(bar).not_to_have_attribute("aria-valuenow", first_seen, timeout=WAIT_MS)
    with wait_for_rerun(bob):
        bob_live.get_by_role("button", name="Stop training").click()
    for page in (bob, alice):
        expect(page.locator(".st-key-last-run")).to_contain_text(
            f"Last run: “{NAME}”: stopped", timeout=WAIT_MS
        )
    show_runs(bob)
    row = bob.locator(".st-key-runs [role=row]").filter(has_text=NAME)
    expect(row).to_contain_text("stopped", timeout=WAIT_MS)

    open_app(bob, second)  # the Draw page, on the other server
    show_runs(alice)
    choose = alice.get_by_role("combobox", name="Choose a model")
    choose.click()
    choose.fill(NAME)
    with wait_for_rerun(alice):
        choose.press("Enter")
    click(alice, "activate")
    expect(alice.locator(".st-key-active-model")).to_contain_text(f"Active model: {NAME}")
    expect(bob.locator(".st-key-active-model")).to_contain_text(
        f"Active model: {NAME}",
        timeout=10_000,  # the sidebar looks every 2 seconds
    )
    for page in (alice, bob):
        assert not app_exceptions(page), app_exceptions(page)
