"""Drive the app in a real browser: start `streamlit run`, open Chromium, draw on the canvas.

Used by the browser tests (tests/browser) and the benchmark. The functions take Playwright's
objects (playwright, browser, page) but this module never imports Playwright, so
`import tools.browser` works without it installed.

    from playwright.sync_api import sync_playwright

    with start_app(env={"MNIST_CNN_MODELS_DIR": "/tmp/models"}) as app, sync_playwright() as p:
        page = new_page(launch_chromium(p))
        open_app(page, app.url)
        draw_strokes(page, [[(0.5, 0.15), (0.5, 0.85)]])  # unit coordinates, y down
        print(read_prediction(page))  # e.g. "1 · 99% sure"

tests/browser/NOTES.md explains the selectors and why the waits are what they are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_cnn import settings
from tools.strokes import digit_strokes

REPO_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 60_000  # the app's first run imports TensorFlow: slow on a busy machine
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
PREDICTION = ".st-key-prediction"  # st.container(key="prediction"): Draw's and Inside's answer
ONE_STROKE_DIGITS = (0, 1, 2, 3, 5, 6, 7, 8, 9)  # digit_strokes can draw these in one stroke


# --- The Streamlit server -----------------------------------------------------------------


@dataclass
class AppServer:
    """A running `streamlit run`: its URL, process and log. Use it in a `with` or call stop()."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # the whole group: server and children
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_app(script="app.py", env=None, log_dir=None, timeout_s: float = 60) -> AppServer:
    """Run `streamlit run SCRIPT` (relative to the repository) on a free port, with `env` added
    to this process's environment; return once the server answers its health check."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log_path = Path(log_dir or tempfile.mkdtemp()) / f"{Path(script).stem}-{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / script)]
    command += ["--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1"]
    command += ["--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() ends its children too
        )
    app = AppServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{app.url}/_stcore/health") as r:
            if r.read().strip() == b"ok":
                return app
        time.sleep(0.2)
    app.stop()
    raise RuntimeError(f"streamlit run {script} did not start. Log:\n{app.log_tail()}")


# --- The browser --------------------------------------------------------------------------


def launch_options(playwright) -> dict:
    """Keyword arguments for `playwright.chromium.launch`. The Chromium is $MNIST_CNN_CHROMIUM,
    else Playwright's own (`playwright install chromium`), else a system one (Debian's
    /usr/bin/chromium). FileNotFoundError when there is none."""
    options = {"headless": True, "args": CHROMIUM_ARGS}
    forced = settings.chromium()
    if forced:
        if not shutil.which(forced):
            raise ValueError(f"$MNIST_CNN_CHROMIUM={forced!r} is not an executable")
        return {**options, "executable_path": shutil.which(forced)}
    if Path(playwright.chromium.executable_path).is_file():
        return options
    for name in ("/usr/bin/chromium", "chromium", "google-chrome"):
        if shutil.which(name):
            return {**options, "executable_path": shutil.which(name)}
    raise FileNotFoundError(
        "no Chromium: run `playwright install chromium` or `apt-get install chromium`, "
        "or set $MNIST_CNN_CHROMIUM"
    )


def launch_chromium(playwright):
    return playwright.chromium.launch(**launch_options(playwright))


def new_page(browser, **context_args):
    """A page in a new context (1280x900 unless `viewport=` says otherwise), tracker installed."""
    context = browser.new_context(**{"viewport": VIEWPORT, **context_args})
    install_tracker(context)
    return context.new_page()


# --- Knowing when the app is idle ---------------------------------------------------------

# Added to every page before Streamlit's scripts. Notes when the last mouse-up or touch-end
# happened, when the page last asked for a rerun (a BackMsg whose first byte is 0x5a, field
# 11) and when a run last finished (stApp's data-test-script-state back to "notRunning").
# Needed because the canvas sends 200 ms after a mouse-up, and the app looks idle meanwhile.
TRACKER_JS = """
(() => {
  const t = window.__stTracker = {lastUpAt: -1, lastRerunAt: -1, lastFinishedAt: -1,
                                  lastAutoRerunAt: -1, reruns: 0};
  for (const type of ['mouseup', 'touchend']) {
    window.addEventListener(type, () => { t.lastUpAt = performance.now(); }, true);
  }
  // A fragment's timed rerun (st.fragment(run_every=...), such as the sidebar's check of the
  // active model) is no answer to what a test did: ClientState field 6, is_auto_rerun.
  const varint = (bytes, at) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, at];
  };
  const isAutoRerun = (bytes) => {
    let [length, at] = varint(bytes, 1);
    const end = at + length;
    while (at < end) {
      let tag, value;
      [tag, at] = varint(bytes, at);
      if ((tag & 7) === 0) { [value, at] = varint(bytes, at); if (tag >> 3 === 6) return value === 1; }
      else if ((tag & 7) === 2) { [value, at] = varint(bytes, at); at += value; }
      else return false;
    }
    return false;
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
      : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : [];
    if (bytes[0] === 0x5a) {
      if (isAutoRerun(bytes)) t.lastAutoRerunAt = performance.now();
      else { t.lastRerunAt = performance.now(); t.reruns += 1; }
    }
    return send.call(this, data);
  };
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.target.getAttribute('data-test-script-state') === 'notRunning' &&
          m.oldValue !== 'notRunning') t.lastFinishedAt = performance.now();
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
})();
"""

IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const t = window.__stTracker;
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  // a rerun asked for and not finished (given up on after 10 s: the page may merge requests)
  return !(t && t.lastRerunAt > t.lastFinishedAt && performance.now() - t.lastRerunAt < 10000);
}
"""


def install_tracker(context) -> None:
    """Add the idle tracker to a BrowserContext (or Page) before it loads the app."""
    context.add_init_script(TRACKER_JS)


def wait_for_app_idle(page, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the app is connected, no script runs and no rerun request is pending."""
    page.wait_for_function(IDLE_JS, timeout=timeout, polling=100)


@contextlib.contextmanager
def wait_for_rerun(page, timeout: float = TIMEOUT_MS):
    """`with wait_for_rerun(page): <click something>` waits for the rerun it causes to finish."""
    since = page.evaluate("() => performance.now()")
    yield
    page.wait_for_function(
        "since => window.__stTracker.lastRerunAt > since", arg=since, timeout=10_000, polling=50
    )
    wait_for_app_idle(page, timeout)


def open_app(page, url: str, timeout: float = TIMEOUT_MS) -> None:
    """Load the app and wait for its first run to finish."""
    page.goto(url, timeout=timeout)
    wait_for_app_idle(page, timeout)


def read_prediction(page) -> str:
    """The prediction text (Draw or Inside) once the app is idle: "7 · 98% sure" or a hint."""
    wait_for_app_idle(page)
    return page.locator(PREDICTION).inner_text(timeout=5_000).strip()


def open_page(page, title: str) -> None:
    """Go to another page of the app through the sidebar ("Inside the CNN", "Metrics"...)."""
    with wait_for_rerun(page):
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()


def active_model_text(page) -> str:
    """What the sidebar says the active model is: "Active model: <name>" and its accuracy."""
    return page.locator(".st-key-active-model").inner_text(timeout=5_000).strip()


def app_exceptions(page) -> list[str]:
    """Texts of the exceptions the app shows."""
    return page.locator('[data-testid="stException"]').all_inner_texts()


# --- The canvas (streamlit-drawable-canvas; Playwright's selectors pierce its shadow root) ---


def canvas_locator(page, key: str = "canvas"):
    """fabric.js's event layer of the `st_canvas(key=key)`: mouse and touch go here."""
    return page.locator(f".st-key-{key} canvas.upper-canvas")


def wait_for_one_canvas(page, key: str = "canvas", timeout_s: float = 10) -> None:
    """After Clear, Undo or a page run the page shows a new canvas (ui/drawing.py); the old one
    can linger a moment after the run. Wait until only one is left."""
    deadline = time.monotonic() + timeout_s
    while canvas_locator(page, key).count() != 1:
        if time.monotonic() > deadline:
            raise AssertionError(f"{canvas_locator(page, key).count()} canvases with key {key!r}")
        page.wait_for_timeout(50)


def draw_strokes(page, strokes, key="canvas", *, touch=False, steps=1, wait=True) -> None:
    """Draw strokes, each a list of (x, y) points in the unit square (y down), as mouse
    down-moves-up (`steps` moves between points), or as a finger with `touch=True`. With
    `wait`, return once the app has rerun with the drawing."""
    wait_for_one_canvas(page, key)
    canvas = canvas_locator(page, key)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in strokes:
        if not all(0 <= x <= 1 and 0 <= y <= 1 for x, y in stroke):
            raise ValueError(f"stroke outside the unit square: {stroke}")
        # one pixel inside the edges
        points = [
            (box["x"] + 1 + x * (box["width"] - 2), box["y"] + 1 + y * (box["height"] - 2))
            for x, y in stroke
        ]
        if touch:
            _touch_stroke(page, points, steps)
            continue
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=steps)
        page.mouse.up()
    if wait:  # the last mouse-up restarts the 200 ms debounce: wait for the rerun it sends
        page.wait_for_function(
            "() => window.__stTracker.lastRerunAt > window.__stTracker.lastUpAt", timeout=10_000
        )
        wait_for_app_idle(page)


def _touch_stroke(page, points, steps) -> None:
    # Playwright's touchscreen only taps; a drag goes through the DevTools protocol.
    cdp = page.context.new_cdp_session(page)

    def touch(kind, x=None, y=None):
        points = [] if x is None else [{"x": x, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *points[0])
    for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
        for i in range(1, steps + 1):
            touch("touchMove", xa + (xb - xa) * i / steps, ya + (yb - ya) * i / steps)
    touch("touchEnd")
    cdp.detach()


def canvas_button(page, name: str, key: str = "canvas"):
    """The page's own "Clear" or "Undo" button over the canvas `key` (ui/widgets.digit_canvas)."""
    return page.locator(f".st-key-{key}-{name.lower()}").get_by_role("button", name=name)


def press_canvas_button(page, name: str, key: str = "canvas", *, touch: bool = False) -> None:
    """Press "Clear" or "Undo" (a click, or a finger's tap with `touch=True`) and wait until the
    app has rerun and the canvas, told to show the drawing again, has sent it back (a second
    run): a stroke drawn before that would be wiped by the canvas reloading. AssertionError if
    the button is disabled (Undo with nothing to undo)."""
    button = canvas_button(page, name, key)
    if button.is_disabled():
        raise AssertionError(f"the {name!r} button is disabled: nothing to do")
    before = page.evaluate("() => window.__stTracker.reruns")
    if touch:
        button.tap()
    else:
        button.click()
    page.wait_for_function(
        "before => window.__stTracker.reruns >= before + 2", arg=before, timeout=TIMEOUT_MS
    )
    wait_for_app_idle(page)
    wait_for_one_canvas(page, key)


def clear_canvas(page, key: str = "canvas", *, touch: bool = False) -> None:
    press_canvas_button(page, "Clear", key, touch=touch)


def undo_canvas(page, key: str = "canvas", *, touch: bool = False) -> None:
    press_canvas_button(page, "Undo", key, touch=touch)


# How many pixels of a canvas element are bright (drawn in white): 0 when empty.
INK_JS = """canvas => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let bright = 0;
  for (let i = 0; i < pixels.length; i += 4) bright += pixels[i] > 127;
  return bright;
}"""


def drawing_layer(page, key: str = "canvas"):
    """The locator of the canvas element the strokes are painted on."""
    return page.locator(f".st-key-{key} canvas.lower-canvas.dc-canvas")


def canvas_ink(page, key: str = "canvas") -> int:
    """How many pixels of the canvas on screen are bright (drawn in white): 0 when empty."""
    wait_for_one_canvas(page, key)
    return drawing_layer(page, key).evaluate(INK_JS)


def settled_ink(page, expected: int, key: str = "canvas", timeout_s: float = 10) -> int:
    """`canvas_ink` once it equals `expected`, or what it is after `timeout_s`: a canvas told to
    show a drawing again (Undo, Clear) may paint it a moment after the app is idle."""
    deadline = time.monotonic() + timeout_s
    while (ink := canvas_ink(page, key)) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    return ink


def choose_option(page, opener, option, exact: bool = True) -> None:
    """Open a select box (`opener`, a locator of it) and pick `option` (its text, whole or with
    `exact=False` a part; or a compiled pattern), waiting for the rerun. A rerun while the list
    is open (a fragment's timed check) closes it: then it is opened again, up to three times."""
    choice = page.get_by_role(
        "option", name=option, exact=exact if isinstance(option, str) else None
    )
    for _ in range(3):
        wait_for_app_idle(page)
        opener.click()
        for _ in range(25):  # 5 s
            if choice.is_visible():
                break
            page.wait_for_timeout(200)
        if choice.is_visible():
            break
    with wait_for_rerun(page):
        choice.click()


def upload_file(page, path, key: str = "upload") -> None:
    """Give a file to the `st.file_uploader(key=key)` and wait for the app's rerun."""
    with wait_for_rerun(page):
        page.locator(f".st-key-{key} input[type=file]").set_input_files(str(path))


# --- Measurements for the benchmark -------------------------------------------------------

# Times a round trip in the page: from the tracker's last mouse-up to the first frame after
# the prediction text changed to a digit ("7 · 98% sure").
ROUND_TRIP_JS = """
(selector) => {
  const rt = window.__roundTrip = {shown: -1, before: null};
  new MutationObserver(() => {
    const text = (document.querySelector(selector) || {}).textContent || '';
    if (rt.shown !== -1 || text === rt.before || !/^\\s*\\d/.test(text)) return;
    rt.shown = 0;
    requestAnimationFrame(() => { rt.shown = performance.now(); });  // the frame that shows it
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


def one_stroke(digit: int, rng: np.random.Generator):
    """`digit` drawn in one stroke (strokes.digit_strokes): the app reads the canvas after each
    stroke, so a two-stroke style would be read half drawn."""
    strokes = digit_strokes(digit, rng)
    while len(strokes) != 1:
        strokes = digit_strokes(digit, rng)
    return strokes


def measure_round_trips(page, count: int = 20, seed: int = 0) -> list[float]:
    """Milliseconds from mouse-up on the canvas to the new prediction on screen, `count` times.

    `page` shows the Draw page. Each time: clear the canvas (the hint shows), draw a digit in
    one stroke (strokes.digit_strokes; a different digit each time), time it in the page.
    Includes the canvas's 200 ms debounce. A server's first prediction is slower.
    """
    rng = np.random.default_rng(seed)
    page.evaluate(ROUND_TRIP_JS, PREDICTION)
    times = []
    for i in range(count):
        strokes = one_stroke(ONE_STROKE_DIGITS[i % len(ONE_STROKE_DIGITS)], rng)
        clear_canvas(page)
        hint = page.locator(PREDICTION).text_content()
        page.evaluate("hint => Object.assign(window.__roundTrip, {shown: -1, before: hint})", hint)
        draw_strokes(page, strokes, wait=False)
        page.wait_for_function("() => window.__roundTrip.shown > 0", timeout=TIMEOUT_MS)
        times.append(page.evaluate("() => window.__roundTrip.shown - window.__stTracker.lastUpAt"))
        wait_for_app_idle(page)
    return times


# True once the run a stroke asked for has finished and every picture on the page has loaded;
# then it gives the time of that animation frame.
SETTLED_JS = """
() => {
  const t = window.__stTracker;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!(t.lastUpAt < t.lastRerunAt && t.lastRerunAt < t.lastFinishedAt)) return false;
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (![...document.images].every((image) => image.complete)) return false;
  return performance.now();
}
"""


def measure_inside_round_trips(page, count: int = 20, seed: int = 0) -> list[float]:
    """Milliseconds from mouse-up to the Inside the CNN page showing that drawing's layer views
    and saliency map (its run finished, every picture loaded), `count` times.

    `page` shows the Inside page. Each time: clear its canvas, draw a digit in one stroke.
    Includes the canvas's 200 ms debounce.
    """
    rng = np.random.default_rng(seed)
    times = []
    for i in range(count):
        strokes = one_stroke(ONE_STROKE_DIGITS[i % len(ONE_STROKE_DIGITS)], rng)
        clear_canvas(page, "inside-canvas")
        draw_strokes(page, strokes, "inside-canvas", wait=False)
        shown = page.wait_for_function(SETTLED_JS, timeout=TIMEOUT_MS, polling="raf")
        times.append(shown.json_value() - page.evaluate("() => window.__stTracker.lastUpAt"))
        layers = page.locator(".st-key-layer-digit")  # the last layer card: the output
        if not layers.count():
            raise RuntimeError("the Inside page showed no layer views after a stroke")
        wait_for_app_idle(page)
    return times


def measure_startup(browser, script="app.py", env=None) -> float:
    """Seconds from launching `streamlit run` to the Draw page's canvas and hint on screen."""
    start = time.monotonic()
    with start_app(script, env) as app:
        page = new_page(browser)
        try:
            page.goto(app.url, timeout=TIMEOUT_MS)
            canvas_locator(page).wait_for(state="visible", timeout=TIMEOUT_MS)
            page.locator(PREDICTION).filter(has_text="Draw a digit").wait_for(timeout=TIMEOUT_MS)
            return time.monotonic() - start
        finally:
            page.context.close()
