"""Pytest fixtures for the browser tests; the helpers themselves are in tools/browser.py.

    app_server(script="app.py", env=None) -> URL   one server per script and env, per module
    training_env(tmp_path_factory, mnist, **extra)  the environment of a server that trains
    enter_passphrase(page)                          become the teacher (PASSPHRASE) in a page
    page, context, new_context                      pytest-playwright's, with the idle tracker
    browser_type_launch_args                        the Chromium tools.browser finds

Every test in this folder is marked `browser`. A failing one gets the servers' log tails in
its report. No Chromium at all: the tests skip, or fail when $CI is set. See NOTES.md.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tools import browser
from tools.browser import (  # noqa: F401  (test modules import these from here)
    clear_canvas,
    draw_strokes,
    open_app,
    read_prediction,
    undo_canvas,
    wait_for_app_idle,
    wait_for_rerun,
)

HERE = Path(__file__).resolve().parent
# Playwright's 5 s for `expect` is short for a rerun on two busy cores (CI runs the whole suite
# there); a test that needs longer still says so itself.
expect.set_options(timeout=15_000)
PASSPHRASE = "owl feathers"  # the teacher passphrase of the test servers that have one
_servers: dict[tuple, browser.AppServer] = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    try:
        options = browser.launch_options(playwright)
    except FileNotFoundError as error:
        if os.environ.get("CI"):  # .ci/run installs Chromium: a skip there would hide a bug
            pytest.fail(f"{error} (CI is set, so this is an error, not a skip)", pytrace=False)
        pytest.skip(str(error))
    return {**options, **browser_type_launch_args}  # --headed and the like still win


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's factory (also behind `context` and `page`), plus the tracker; the
    viewport is 1280x900 unless `viewport=` says otherwise."""

    def make(**kwargs):
        context = new_context(**{"viewport": browser.VIEWPORT, **kwargs})
        browser.install_tracker(context)
        return context

    return make


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """`app_server(script="app.py", env=None) -> URL`: starts `streamlit run` once per script
    and env (added to this process's environment); each stops when its test module ends."""
    log_dir = tmp_path_factory.mktemp("streamlit-logs")

    def start(script="app.py", env=None) -> str:
        key = (str(script), tuple(sorted((env or {}).items())))
        if key not in _servers or _servers[key].process.poll() is not None:
            _servers[key] = browser.start_app(script, env, log_dir)
        return _servers[key].url

    yield start
    for server in _servers.values():
        server.stop()
    _servers.clear()


@pytest.fixture(scope="module", autouse=True)
def _stop_the_modules_servers():
    """Stop the servers a test module started when it ends: a run one of them still trains, or
    its idle TensorFlow, would slow the rest of the suite down."""
    before = set(_servers)
    yield
    for key in set(_servers) - before:
        _servers.pop(key).stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for server in _servers.values():
            report.sections.append((f"streamlit log tail, {server.url}", server.log_tail()))
    return report


def training_env(tmp_path_factory, mnist, **extra) -> dict:
    """The environment for an app server that trains: fresh models and class folders, the MNIST
    the `mnist` fixture found (it skips without one), and `extra` variables."""
    return {
        "MNIST_CNN_MODELS_DIR": str(tmp_path_factory.mktemp("models")),
        "MNIST_CNN_CLASS_DIR": str(tmp_path_factory.mktemp("class")),
        "MNIST_DATA_DIR": mnist.source,
        **extra,
    }


def enter_passphrase(page, passphrase: str = PASSPHRASE) -> None:
    """Type the teacher passphrase in the sidebar and wait for Teacher mode. The first rerun of
    a server that has just started, while its trainer loads TensorFlow, can take a while."""
    box = page.get_by_role("textbox", name="Teacher passphrase")
    with wait_for_rerun(page):
        box.fill(passphrase)
        box.press("Enter")
    expect(page.locator(".st-key-teacher")).to_contain_text("Teacher mode", timeout=60_000)
