"""Browser harness: a Streamlit server, a headless Chromium and helpers to drive the canvas.

Fixtures
    app_server            session-scoped factory: ``app_server(script="app.py", env=None)``
                          starts ``streamlit run`` and returns the base URL (a ``ServerURL``).
    page / context        pytest-playwright's, with the idle-tracking script installed.
    browser_type_launch_args
                          pytest-playwright's, plus the Chromium found by ``find_chromium()``.

Helpers (``from .conftest import draw_strokes, ...`` in a test module of this folder)
    open_app, wait_for_app_idle, wait_for_rerun, draw_strokes, clear_canvas, undo_canvas,
    redo_canvas, press_canvas_button, canvas_locator, upload_file, read_prediction,
    app_exceptions, install_tracker, start_streamlit, find_chromium.

See NOTES.md beside this file for the selectors and timings behind them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]

# One Playwright timeout for everything that waits on the app. The first script run of the
# real app imports TensorFlow, which takes a while on a loaded two-core machine.
DEFAULT_TIMEOUT_MS = 60_000
SERVER_START_TIMEOUT_S = 60.0

CHROMIUM_ENV_VAR = "MNIST_CNN_CHROMIUM"
SYSTEM_CHROMIUM_CANDIDATES = (
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The canvas (streamlit-drawable-canvas 0.13) renders inside the shadow root of a
# components-v2 host; Playwright's CSS and role selectors pierce open shadow roots.
UPPER_CANVAS = "canvas.upper-canvas"  # fabric.js's event layer: mouse and touch go here
CANVAS_ROOT = ".dc-root"
BUTTON_UNDO = "Undo"
BUTTON_REDO = "Redo"
BUTTON_RESET = "Reset canvas & history"
BUTTON_SEND = "Update the app with this drawing"

# How long after a mouse-up or a toolbar click the canvas must have asked for a rerun. Its
# own debounce is 200 ms; the rest is slack for a loaded machine.
RERUN_REQUEST_TIMEOUT_MS = 10_000
# A rerun request that is followed by no visible run (the frontend may coalesce it) stops
# blocking "idle" after this long.
RERUN_GRACE_MS = 10_000


# --------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------


def _playwright_chromium_installed(executable_path: str) -> bool:
    """Whether ``playwright install chromium`` put its browser (or its headless shell) here."""
    exe = Path(executable_path)
    if exe.is_file():
        return True
    # e.g. ~/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome; an --only-shell
    # install has ~/.cache/ms-playwright/chromium_headless_shell-1255/... instead.
    try:
        revision = exe.parents[1].name.rsplit("-", 1)[1]
        browsers_dir = exe.parents[2]
    except IndexError:
        return False
    shells = browsers_dir.glob(f"chromium_headless_shell-{revision}/*/chrome-headless-shell*")
    return any(path.is_file() for path in shells)


def find_chromium(playwright_executable_path: str | None = None) -> tuple[str | None, str]:
    """Pick the Chromium to launch: ``(executable_path or None, description)``.

    Order: $MNIST_CNN_CHROMIUM (must exist), Playwright's own download (executable_path
    None, Playwright picks it), then a system Chromium such as Debian's /usr/bin/chromium.
    Returns ``(None, "")`` when there is none at all.
    """
    forced = os.environ.get(CHROMIUM_ENV_VAR)
    if forced:
        path = shutil.which(forced) or forced
        if not Path(path).is_file():
            raise pytest.UsageError(f"${CHROMIUM_ENV_VAR}={forced!r} is not an executable file")
        return path, f"{path} (from ${CHROMIUM_ENV_VAR})"
    if playwright_executable_path and _playwright_chromium_installed(playwright_executable_path):
        return None, "Playwright's own Chromium"
    for candidate in SYSTEM_CHROMIUM_CANDIDATES:
        path = shutil.which(candidate)
        if path:
            return path, path
    return None, ""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_name, playwright):
    """pytest-playwright's launch options, with a Chromium that exists on this machine."""
    args = dict(browser_type_launch_args)
    if browser_name != "chromium" or "channel" in args or "executable_path" in args:
        return args
    executable, description = find_chromium(playwright.chromium.executable_path)
    if not description:
        reason = (
            "no Chromium found: run `playwright install chromium`, install the system "
            f"package (Debian: apt-get install chromium) or set ${CHROMIUM_ENV_VAR}"
        )
        if os.environ.get("CI"):
            # .ci/run installs Chromium; a CI run that silently skips the browser is a bug.
            pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
        pytest.skip(reason)
    if executable is not None:
        args["executable_path"] = executable
    args["args"] = [*args.get("args", []), *CHROMIUM_ARGS]
    args.setdefault("headless", True)
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    args = dict(browser_context_args)
    args.setdefault("viewport", {"width": 1280, "height": 1000})
    return args


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's factory; every context it makes has the idle-tracking script."""

    def make(**kwargs):
        context = new_context(**kwargs)
        install_tracker(context)
        return context

    return make


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------------------
# Streamlit server
# --------------------------------------------------------------------------------------


class ServerURL(str):
    """The base URL of a running app (a plain ``str``), plus its process and log."""

    process: subprocess.Popen
    log_path: Path
    script: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_process_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    else:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_streamlit(
    script: str | os.PathLike,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = SERVER_START_TIMEOUT_S,
) -> ServerURL:
    """Run ``streamlit run SCRIPT`` from the repo root; return once /_stcore/health says ok."""
    script_path = Path(script)
    if not script_path.is_absolute():
        script_path = REPO_ROOT / script_path
    if not script_path.is_file():
        pytest.fail(f"no Streamlit script at {script_path}", pytrace=False)
    port = _free_port()
    log_path = log_dir / f"{script_path.stem}-{port}.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script_path),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
    ]
    process_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=process_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=(os.name == "posix"),
        )
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.process, url.log_path, url.script = process, log_path, script_path

    deadline = time.monotonic() + timeout_s
    while True:
        code = process.poll()
        if code is not None:
            pytest.fail(
                f"streamlit run {script_path.name} exited with code {code} before it was "
                f"healthy. Output (stdout+stderr) tail:\n{url.log_tail()}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return url
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            _stop_process_group(process)
            pytest.fail(
                f"streamlit run {script_path.name} was not healthy after {timeout_s:.0f} s. "
                f"Output (stdout+stderr) tail:\n{url.log_tail()}",
                pytrace=False,
            )
        time.sleep(0.25)


_RUNNING_SERVERS: list[ServerURL] = []


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Factory: ``app_server(script="app.py", env=None, fresh=False) -> base URL``.

    ``script`` is relative to the repo root (or absolute). ``env`` is added to this process's
    environment (e.g. MNIST_CNN_MODELS_DIR, MNIST_DATA_DIR). A server for the same script and
    env is started once per session and reused unless ``fresh=True``. All servers, with
    their child processes, are stopped at the end of the session.
    """
    log_dir = tmp_path_factory.mktemp("streamlit-logs")
    servers: dict[tuple, ServerURL] = {}

    def start(
        script: str | os.PathLike = "app.py",
        env: Mapping[str, str] | None = None,
        *,
        fresh: bool = False,
        timeout_s: float = SERVER_START_TIMEOUT_S,
    ) -> ServerURL:
        key = (str(Path(script)), tuple(sorted((env or {}).items())))
        url = servers.get(key)
        if url is not None and not fresh and url.process.poll() is None:
            return url
        url = start_streamlit(script, log_dir, env=env, timeout_s=timeout_s)
        servers[key] = url
        _RUNNING_SERVERS.append(url)
        return url

    try:
        yield start
    finally:
        for url in _RUNNING_SERVERS:
            _stop_process_group(url.process)
        _RUNNING_SERVERS.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and _RUNNING_SERVERS:
        for url in _RUNNING_SERVERS:
            state = "running" if url.process.poll() is None else f"exited {url.process.poll()}"
            report.sections.append(
                (f"streamlit {url.script.name} at {url} ({state}), log tail", url.log_tail(40))
            )
    return report


# --------------------------------------------------------------------------------------
# Knowing when the app is idle
# --------------------------------------------------------------------------------------

# Runs in every page before Streamlit's own scripts. Streamlit 1.67 has no dependable
# "busy" element (the status widget appears only after a delay, so short runs never show
# it); what is dependable is the stApp element's data-test-script-state attribute
# ("initial" -> "running" -> "notRunning") and the BackMsg frames the page sends. A
# BackMsg's first byte 90 (0x5a) is field 11, rerun_script.
TRACKER_JS = """
(() => {
  if (window.__stTracker) return;
  const tracker = window.__stTracker = {
    sends: 0, lastSendAt: -1, reruns: 0, lastRerunAt: -1,
    runsFinished: 0, lastFinishedAt: -1, lastRunningAt: -1,
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const now = performance.now();
    tracker.sends += 1;
    tracker.lastSendAt = now;
    let first = -1;
    if (data instanceof ArrayBuffer) first = new Uint8Array(data)[0];
    else if (ArrayBuffer.isView(data)) first = new Uint8Array(data.buffer, data.byteOffset, 1)[0];
    if (first === 0x5a) { tracker.reruns += 1; tracker.lastRerunAt = now; }
    return send.call(this, data);
  };
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      const value = m.target.getAttribute('data-test-script-state');
      if (value === 'running') tracker.lastRunningAt = performance.now();
      if (value === 'notRunning' && m.oldValue !== 'notRunning') {
        tracker.runsFinished += 1;
        tracker.lastFinishedAt = performance.now();
      }
    }
  }).observe(document, {
    subtree: true, attributes: true, attributeOldValue: true,
    attributeFilter: ['data-test-script-state'],
  });
})();
"""

IDLE_JS = """
(graceMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  const state = app.getAttribute('data-test-script-state');
  if (state !== 'notRunning' && state !== 'compilationError') return false;
  const t = window.__stTracker;
  if (t && t.lastRerunAt > t.lastFinishedAt && performance.now() - t.lastRerunAt < graceMs) {
    return false;  // a rerun was asked for and has not finished yet
  }
  return true;
}
"""

_HIT_TEST_JS = """
(canvas, [x, y]) => {
  let el = document.elementFromPoint(x, y);
  while (el && el.shadowRoot) {
    const inner = el.shadowRoot.elementFromPoint(x, y);
    if (!inner || inner === el) break;
    el = inner;
  }
  return el === canvas ? '' : (el ? el.tagName.toLowerCase() + '.' + el.className : 'nothing');
}
"""


def install_tracker(target) -> None:
    """Add the idle tracker to a BrowserContext or Page (before it navigates)."""
    target.add_init_script(TRACKER_JS)


def _has_tracker(page: Page) -> bool:
    return bool(page.evaluate("() => Boolean(window.__stTracker)"))


def _now_ms(page: Page) -> float:
    return float(page.evaluate("() => performance.now()"))


def wait_for_app_idle(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Wait until the app is connected and no script run is going on or asked for.

    Signal: ``[data-testid="stApp"]`` has ``data-test-connection-state="CONNECTED"`` and
    ``data-test-script-state="notRunning"``, and (with the tracker installed, as on the
    ``page`` fixture) no rerun request sent since the last run finished.
    """
    page.wait_for_function(IDLE_JS, arg=RERUN_GRACE_MS, timeout=timeout, polling=100)


def _wait_for_rerun_request(page: Page, since_ms: float, timeout: float, what: str) -> None:
    if not _has_tracker(page):
        # A page without the tracker: give the canvas's 200 ms debounce time to fire.
        page.wait_for_timeout(600)
        return
    try:
        page.wait_for_function(
            "(since) => window.__stTracker.lastRerunAt > since",
            arg=since_ms,
            timeout=timeout,
            polling=50,
        )
    except PlaywrightTimeoutError as error:
        raise AssertionError(
            f"{what} did not make the app rerun within {timeout / 1000:.0f} s"
        ) from error


@contextlib.contextmanager
def wait_for_rerun(
    page: Page,
    timeout: float = DEFAULT_TIMEOUT_MS,
    request_timeout: float = RERUN_REQUEST_TIMEOUT_MS,
    what: str = "the action",
) -> Iterator[None]:
    """``with wait_for_rerun(page): page.get_by_role("button", name="Train").click()``

    Waits for the action inside to send a rerun request, then for the app to be idle.
    """
    since = _now_ms(page)
    yield
    _wait_for_rerun_request(page, since, request_timeout, what)
    wait_for_app_idle(page, timeout=timeout)


def open_app(page: Page, url: str, timeout: float = DEFAULT_TIMEOUT_MS) -> None:
    """Load the app and wait for its first script run to finish."""
    page.goto(url, timeout=timeout)
    page.locator('[data-testid="stApp"]').wait_for(timeout=timeout)
    wait_for_app_idle(page, timeout=timeout)


def app_exceptions(page: Page) -> list[str]:
    """Texts of the exceptions the app shows (st.exception / uncaught errors)."""
    return [text.strip() for text in page.locator('[data-testid="stException"]').all_inner_texts()]


def read_prediction(page: Page, timeout: float = DEFAULT_TIMEOUT_MS) -> str:
    """The text of the ``st.container(key="prediction")`` once the app is idle."""
    wait_for_app_idle(page, timeout=timeout)
    prediction = page.locator(".st-key-prediction")
    try:
        prediction.first.wait_for(state="attached", timeout=5_000)
    except PlaywrightTimeoutError as error:
        errors = "\n".join(app_exceptions(page)) or "(none shown)"
        raise AssertionError(
            f"no .st-key-prediction element on the page. App exceptions:\n{errors}"
        ) from error
    return prediction.first.inner_text().strip()


# --------------------------------------------------------------------------------------
# The drawing canvas
# --------------------------------------------------------------------------------------

Point = tuple[float, float]
CanvasRef = Locator | str | None


def canvas_locator(page: Page, canvas: CanvasRef = None) -> Locator:
    """The fabric.js upper canvas of an ``st_canvas``.

    ``canvas`` is None (the only canvas on the page), the ``key=`` given to ``st_canvas``,
    or a Locator of the canvas or of any element around it.
    """
    if canvas is None:
        locator = page.locator(UPPER_CANVAS)
        count = locator.count()
        if count > 1:
            raise ValueError(f"{count} canvases on the page: pass canvas=<st_canvas key>")
        return locator.first
    if isinstance(canvas, str):
        return page.locator(f".st-key-{canvas} {UPPER_CANVAS}").first
    if canvas.evaluate(f"el => el.matches({UPPER_CANVAS!r})"):
        return canvas
    return canvas.locator(UPPER_CANVAS).first


def _show_toolbar(page: Page, upper: Locator) -> None:
    # The toolbar is invisible (opacity 0) but still takes clicks over the top-right of the
    # canvas until the pointer is over the canvas; then it slides up (0.1 s delay + 0.1 s).
    upper.scroll_into_view_if_needed()
    upper.hover()
    page.wait_for_timeout(300)


def draw_strokes(
    page: Page,
    strokes: Sequence[Sequence[Point]],
    canvas: CanvasRef = None,
    *,
    steps: int = 4,
    touch: bool = False,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT_MS,
) -> None:
    """Draw freehand strokes on a canvas with the mouse (or a finger).

    Each stroke is a list of (x, y) points in unit coordinates of the canvas ((0, 0) is the
    top-left corner, (1, 1) the bottom-right; y points down), drawn as one mouse down, moves
    (``steps`` interpolated moves between consecutive points) and mouse up. ``touch=True``
    sends real touch events instead (touchstart/move/end through the Chrome DevTools
    Protocol; Chromium only). With ``wait``, returns once the app has rerun with the
    drawing (needs ``update_streamlit=True``).
    """
    if not strokes or any(len(stroke) == 0 for stroke in strokes):
        raise ValueError("draw_strokes needs at least one stroke, each with at least one point")
    for stroke in strokes:
        for x, y in stroke:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"point {(x, y)} is outside the unit square")

    upper = canvas_locator(page, canvas)
    upper.wait_for(state="visible", timeout=timeout)
    _show_toolbar(page, upper)
    box = upper.bounding_box()
    if box is None:
        raise AssertionError("the canvas has no bounding box (hidden?)")
    # Keep one pixel inside the edges.
    left, top = box["x"] + 1, box["y"] + 1
    width, height = box["width"] - 2, box["height"] - 2

    def to_pixels(point: Point) -> tuple[float, float]:
        return left + point[0] * width, top + point[1] * height

    for stroke in strokes:
        points = [to_pixels(point) for point in stroke]
        hit = upper.evaluate(_HIT_TEST_JS, list(points[0]))
        if hit:
            raise AssertionError(
                f"stroke start {stroke[0]} lands on {hit}, not on the canvas "
                "(the toolbar covers the top few pixels of its right half)"
            )
        if touch:
            _touch_stroke(page, points, steps)
            continue
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=max(1, steps))
        page.mouse.up()
    # Taken after the last mouse-up: that mouse-up restarts the canvas's 200 ms debounce,
    # so any rerun request after this moment carries the whole drawing.
    since = _now_ms(page)
    if wait:
        _wait_for_rerun_request(page, since, RERUN_REQUEST_TIMEOUT_MS, "drawing on the canvas")
        wait_for_app_idle(page, timeout=timeout)


def _touch_stroke(page: Page, points: Sequence[tuple[float, float]], steps: int) -> None:
    # Playwright's touchscreen only taps; a drag needs CDP. fabric.js (no pointer-event
    # mode in this canvas) listens to touch events, so these draw like a finger would.
    cdp = page.context.new_cdp_session(page)
    try:
        x0, y0 = points[0]
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]}
        )
        for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
            for i in range(1, max(1, steps) + 1):
                f = i / max(1, steps)
                point = {"x": xa + (xb - xa) * f, "y": ya + (yb - ya) * f}
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def press_canvas_button(
    page: Page,
    name: str,
    canvas: CanvasRef = None,
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT_MS,
) -> None:
    """Click a button of the canvas toolbar by its label (e.g. "Undo", "Redo",
    "Reset canvas & history", "Update the app with this drawing")."""
    upper = canvas_locator(page, canvas)
    root = page.locator(CANVAS_ROOT).filter(has=upper)
    button = root.get_by_role("button", name=name, exact=True)
    _show_toolbar(page, upper)
    if button.is_disabled():
        raise AssertionError(f"the canvas's {name!r} button is disabled")
    since = _now_ms(page)
    button.click(timeout=timeout)
    if wait:
        _wait_for_rerun_request(page, since, RERUN_REQUEST_TIMEOUT_MS, f"the {name!r} button")
        wait_for_app_idle(page, timeout=timeout)


def clear_canvas(page: Page, canvas: CanvasRef = None, **kwargs) -> None:
    """The toolbar's "Reset canvas & history" (bin icon); reruns the app even when empty."""
    press_canvas_button(page, BUTTON_RESET, canvas, **kwargs)


def undo_canvas(page: Page, canvas: CanvasRef = None, **kwargs) -> None:
    """The toolbar's "Undo"; AssertionError when there is nothing to undo."""
    press_canvas_button(page, BUTTON_UNDO, canvas, **kwargs)


def redo_canvas(page: Page, canvas: CanvasRef = None, **kwargs) -> None:
    """The toolbar's "Redo"; AssertionError when there is nothing to redo."""
    press_canvas_button(page, BUTTON_REDO, canvas, **kwargs)


# --------------------------------------------------------------------------------------
# File uploader
# --------------------------------------------------------------------------------------


def upload_file(
    page: Page,
    files: str | os.PathLike | Sequence[str | os.PathLike],
    uploader: Locator | str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT_MS,
) -> None:
    """Give files to an ``st.file_uploader`` and wait for the app's rerun.

    ``uploader`` is None (the only uploader on the page), its ``key=``, or a Locator of
    its container.
    """
    if uploader is None:
        scope = page.locator('[data-testid="stFileUploader"]')
        count = scope.count()
        if count > 1:
            raise ValueError(f"{count} file uploaders on the page: pass uploader=<key>")
    elif isinstance(uploader, str):
        scope = page.locator(f".st-key-{uploader}")
    else:
        scope = uploader
    file_input = scope.first.locator('input[type="file"]').first
    paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    with wait_for_rerun(page, timeout=timeout, what="uploading a file"):
        file_input.set_input_files([str(path) for path in paths], timeout=timeout)
