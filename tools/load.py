"""A classroom on one server: many sessions drawing digits at once while a model trains.

    python -m tools.load --sessions 30 --browsers 3 --strokes 5 [--watchers 10]

Starts the app (a temporary models folder), starts one training run from the Train page, opens
the sessions (each its own Streamlit session, as separate students are), and has every session
draw `--strokes` digits at the same time, each session its own random sequence. For each digit
it checks the page reads the digit drawn and times it. Prints the figures; exits 1 if any
session failed (an exception, a timeout, an error shown by the app).

Two kinds of session:
- `--browsers` of them are Chromium pages drawing with the mouse; they time, in the page,
  mouse-up to the prediction on screen (tools.browser's round-trip JavaScript), which
  includes the canvas's fixed 200 ms send delay.
- the others speak Streamlit's own websocket protocol: they send what a browser's canvas sends
  after a stroke (its drawing as a PNG) and time "sent" to "prediction received".
A Chromium page costs about as much CPU as the server's work for it, and in a classroom it runs
on the student's own computer; here all of them share the server's cores. The websocket
sessions put the same work on the server without that distortion. `--browsers 30` runs all
thirty in Chromium. The CPU line says who used the processors while the sessions drew.

`--watchers N` adds N more websocket sessions with the Train page open while the others draw:
they ask for its live part every second, as a browser does, and time each refresh.

Needs Playwright and a Chromium (see tools.browser) and MNIST for the training run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tools.browser import (
    IDLE_JS,
    INK_JS,
    ONE_STROKE_DIGITS,
    PREDICTION,
    ROUND_TRIP_JS,
    TIMEOUT_MS,
    TRACKER_JS,
    VIEWPORT,
    canvas_button,
    canvas_locator,
    drawing_layer,
    launch_options,
    one_stroke,
    start_app,
)
from tools.socket_client import SocketPage, canvas_state

TRAIN_EPOCHS = 50  # the training run outlasts the drawing
OPENING_AT_ONCE = 6  # pages loading the app at the same time, while sessions open


@dataclass
class Session:
    index: int
    digits: list[int]
    browser: bool  # a Chromium page that draws with the mouse, else a websocket session
    times_ms: list[float] = field(default_factory=list)
    read: list[int | None] = field(default_factory=list)
    error: str | None = None

    @property
    def wrong(self) -> int:
        return sum(read != drew for drew, read in zip(self.digits, self.read, strict=False))


# --- One page, with Playwright's async API -----------------------------------------------


async def open_page(browser, url: str):
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(TRACKER_JS)
    page = await context.new_page()
    await page.goto(url, timeout=TIMEOUT_MS)
    await wait_idle(page)
    return page


async def wait_idle(page) -> None:
    await page.wait_for_function(IDLE_JS, timeout=TIMEOUT_MS, polling=100)


async def canvas_in_view(page):
    canvas = canvas_locator(page)
    await canvas.scroll_into_view_if_needed(timeout=TIMEOUT_MS)
    return canvas


async def clear_canvas(page) -> None:
    since = await page.evaluate("() => performance.now()")
    await canvas_button(page, "Clear").click(timeout=TIMEOUT_MS)
    await page.wait_for_function(
        "since => window.__stTracker.lastRerunAt > since",
        arg=since,
        timeout=TIMEOUT_MS,
        polling=100,
    )
    await wait_idle(page)
    # and, as a student would, until the canvas shows itself empty: it paints the cleared drawing
    # a moment after the run (later in a busy browser), and a stroke drawn before is wiped with it
    layer = drawing_layer(page)
    for _ in range(TIMEOUT_MS // 100):
        if await layer.evaluate(INK_JS) == 0:
            return
        await page.wait_for_timeout(100)
    raise TimeoutError(f"the canvas still showed ink {TIMEOUT_MS // 1000} s after Clear")


async def draw(page, strokes) -> None:
    box = await (await canvas_in_view(page)).bounding_box()
    for stroke in strokes:
        points = [
            (box["x"] + 1 + x * (box["width"] - 2), box["y"] + 1 + y * (box["height"] - 2))
            for x, y in stroke
        ]
        await page.mouse.move(*points[0])
        await page.mouse.down()
        for point in points[1:]:
            await page.mouse.move(*point)
        await page.mouse.up()


async def draw_and_time(page, digit: int, rng: np.random.Generator) -> tuple[float, int | None]:
    """Draw `digit` in one stroke on a clear canvas; (mouse-up to prediction in ms, digit read)."""
    strokes = one_stroke(digit, rng)
    hint = await page.locator(PREDICTION).text_content(timeout=TIMEOUT_MS)
    await page.evaluate(
        "hint => Object.assign(window.__roundTrip, {shown: -1, before: hint})", hint
    )
    await draw(page, strokes)
    await page.wait_for_function(
        "() => window.__roundTrip.shown > 0", timeout=TIMEOUT_MS, polling=100
    )
    elapsed = await page.evaluate("() => window.__roundTrip.shown - window.__stTracker.lastUpAt")
    await wait_idle(page)
    text = (await page.locator(PREDICTION).inner_text(timeout=TIMEOUT_MS)).strip()
    return elapsed, int(text[0]) if text[:1].isdigit() else None


async def run_session(page, session: Session, start: asyncio.Event, think_s: float) -> None:
    rng = np.random.default_rng(1000 + session.index)
    step = "starting"
    try:
        await page.evaluate(ROUND_TRIP_JS, PREDICTION)
        await start.wait()
        await page.wait_for_timeout(rng.uniform(0, 1000 * think_s))  # not all in the same ms
        for number, digit in enumerate(session.digits):
            if number:
                await page.wait_for_timeout(rng.uniform(0.5, 1.5) * 1000 * think_s)
                step = f"clearing the canvas after digit {number}"
                await clear_canvas(page)
            step = f"digit {number + 1} (a {digit}): drawing it and waiting for the prediction"
            elapsed, read = await draw_and_time(page, digit, rng)
            session.times_ms.append(elapsed)
            session.read.append(read)
        shown = await page.locator(
            '[data-testid="stException"], [data-testid="stAlertContentError"]'
        ).all_inner_texts()
        if shown:
            session.error = f"the app showed: {shown[0][:300]}"
    except Exception as error:  # a timeout, a crashed page: this session failed
        session.error = f"{step}: {type(error).__name__}: {str(error).splitlines()[0][:300]}"


# --- One session through Streamlit's own websocket protocol (tools.socket_client) ---


async def run_socket_session(page: SocketPage, session: Session, start, think_s) -> None:
    rng = np.random.default_rng(1000 + session.index)
    step = "starting"
    try:
        await start.wait()
        await asyncio.sleep(rng.uniform(0, think_s))
        for number, digit in enumerate(session.digits):
            if number:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
                step = f"clearing the canvas after digit {number}"
                await page.rerun(canvas_state([]))
            step = f"digit {number + 1} (a {digit}): sending it and waiting for the prediction"
            elapsed, read = await page.rerun(canvas_state(one_stroke(digit, rng)))
            if elapsed is None:
                raise RuntimeError("the run finished without a prediction")
            session.times_ms.append(elapsed)
            session.read.append(read)
    except Exception as error:  # a timeout, a closed socket, an error shown: this session failed
        session.error = f"{step}: {type(error).__name__}: {str(error).splitlines()[0][:300]}"


async def run_watcher(page: SocketPage, watcher: Session, start, drawn: asyncio.Event) -> None:
    """Keep the Train page's live part refreshing every second until the drawing is over."""
    try:
        await start.wait()
        while not drawn.is_set():
            watcher.times_ms.append(await page.refresh())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(drawn.wait(), 1.0)
    except Exception as error:  # a timeout, a closed socket, an error shown: this watcher failed
        watcher.error = f"refreshing the Train page: {type(error).__name__}: {error}"[:300]


# --- The training run ----------------------------------------------------------------------


async def start_training(browser, url: str):
    """Open the Train page, ask for TRAIN_EPOCHS epochs, press Start training, wait for progress."""
    page = await open_page(browser, f"{url}/train")
    epochs = page.locator("[class*='st-key-setting-epochs-'] input")
    await epochs.fill(str(TRAIN_EPOCHS))
    await epochs.press("Enter")
    await page.wait_for_timeout(500)
    await wait_idle(page)
    await page.locator(".st-key-start button").click(timeout=TIMEOUT_MS)
    # the trainer process may still be importing TensorFlow and reading MNIST
    await page.locator(".st-key-live").get_by_text("Round (epoch) 1 of").wait_for(timeout=180_000)
    return page


def training_runs(models_dir: Path) -> list[str]:
    """The statuses of the runs in the models folder."""
    statuses = []
    for path in sorted(models_dir.glob("*/metadata.json")):
        try:
            statuses.append(json.loads(path.read_text())["status"])
        except (OSError, ValueError, KeyError):
            statuses.append("unreadable")
    return statuses


# --- Memory and CPU of the server, the training child and the browser (Linux /proc) --------


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def usage(pids: list[int]) -> tuple[float, float]:
    """(proportional memory in MB, CPU seconds so far) of these processes together."""
    memory_kb, ticks = 0, 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    memory_kb += int(line.split()[1])
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return memory_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


def sample(server_pid: int) -> dict[str, tuple[float, float]]:
    """Memory and CPU of the server process, its training child(ren), and our side (browsers, this script)."""
    server_tree = descendants(server_pid)
    ours = [
        pid for pid in descendants(os.getpid()) if pid not in server_tree and pid != os.getpid()
    ]
    return {
        "server": usage(server_tree[:1]),
        "training": usage(server_tree[1:]),
        "browsers": usage(ours),
        "this script": usage([os.getpid()]),
    }


async def watch(server_pid: int, peaks: dict[str, float], stop: asyncio.Event) -> None:
    """Every 2 s, until `stop`: keep the peak memory of each part."""
    while not stop.is_set():
        for part, (memory, _) in sample(server_pid).items():
            peaks[part] = max(peaks.get(part, 0.0), memory)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 2)


# --- The whole run -------------------------------------------------------------------------


async def run_load(
    url: str,
    sessions: list[Session],
    watchers: list[Session],
    think_s: float,
    train: bool,
    server_pid: int,
):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = None
        if train or any(session.browser for session in sessions):
            browser = await playwright.chromium.launch(**launch_options(playwright))
        peaks: dict[str, float] = {}
        stop = asyncio.Event()
        sampler = asyncio.create_task(watch(server_pid, peaks, stop))
        train_page = await start_training(browser, url) if train else None
        opening = asyncio.Semaphore(OPENING_AT_ONCE)

        async def opened(session, path=""):
            async with opening:
                try:
                    if session.browser:
                        return await open_page(browser, url)
                    page = SocketPage(url, path)
                    await page.open()
                    return page
                except Exception as error:
                    session.error = f"could not open the app: {type(error).__name__}: {error}"[:300]
                    return None

        began = time.monotonic()
        pages = await asyncio.gather(*(opened(session) for session in sessions))
        train_pages = await asyncio.gather(*(opened(watcher, "train") for watcher in watchers))
        opened_s = time.monotonic() - began
        start, drawn = asyncio.Event(), asyncio.Event()
        work = [
            (run_session if session.browser else run_socket_session)(page, session, start, think_s)
            for page, session in zip(pages, sessions, strict=True)
            if page is not None
        ]
        watching = [
            run_watcher(page, watcher, start, drawn)
            for page, watcher in zip(train_pages, watchers, strict=True)
            if page is not None
        ]
        began, cpu_before = time.monotonic(), sample(server_pid)
        start.set()
        watching_task = asyncio.gather(*watching)
        await asyncio.gather(*work)
        drawing_s = time.monotonic() - began
        cpu = {part: cpu_s - cpu_before[part][1] for part, (_, cpu_s) in sample(server_pid).items()}
        drawn.set()
        await watching_task
        stop.set()
        await sampler
        for page in [*pages, *train_pages]:
            if isinstance(page, SocketPage):
                await page.close()
        if train_page is not None:
            await train_page.close()
        if browser is not None:
            await browser.close()
    return opened_s, drawing_s, peaks, cpu


def summary(times: list[float]) -> str:
    p50, p95 = np.percentile(times, [50, 95])
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(times):.0f} ms ({len(times)} timed)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sessions", type=int, default=30, help="sessions (students) in all")
    parser.add_argument(
        "--browsers", type=int, default=3,
        help="how many of the sessions are Chromium pages drawing with the mouse; the others "
        "talk to the server through its websocket protocol (default 3)",
    )  # fmt: skip
    parser.add_argument("--strokes", type=int, default=5, help="digits each session draws")
    parser.add_argument(
        "--think", type=float, default=1.0,
        help="mean seconds a student looks at the answer before clearing (0: none)",
    )  # fmt: skip
    parser.add_argument(
        "--watchers", type=int, default=0,
        help="more sessions, with the Train page open, refreshing its live part every second",
    )  # fmt: skip
    parser.add_argument("--no-train", dest="train", action="store_false", help="no training run")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.strokes < 1 or args.think < 0 or args.watchers < 0:
        parser.error(
            "--sessions and --strokes must be at least 1, --think and --watchers at least 0"
        )
    if not 0 <= args.browsers <= args.sessions:
        parser.error(f"--browsers must be from 0 to --sessions ({args.sessions})")

    sessions = []
    for index in range(args.sessions):
        rng = np.random.default_rng(index)
        digits = [int(d) for d in rng.choice(ONE_STROKE_DIGITS, args.strokes)]
        sessions.append(Session(index, digits, browser=index < args.browsers))
    with tempfile.TemporaryDirectory(prefix="mnist-cnn-load-") as folder:
        models_dir = Path(folder) / "models"
        with start_app(env={"MNIST_CNN_MODELS_DIR": str(models_dir)}, log_dir=folder) as app:
            load_before = os.getloadavg()[0]
            watchers = [Session(args.sessions + i, [], browser=False) for i in range(args.watchers)]
            opened_s, drawing_s, peaks, cpu = asyncio.run(
                run_load(app.url, sessions, watchers, args.think, args.train, app.process.pid)
            )
            statuses = training_runs(models_dir)
            log_tail = app.log_tail(20)

    failed = [session for session in [*sessions, *watchers] if session.error]
    browser_times = [ms for s in sessions if s.browser for ms in s.times_ms]
    socket_times = [ms for s in sessions if not s.browser for ms in s.times_ms]
    print(
        f"sessions {args.sessions} ({args.browsers} in Chromium, "
        f"{args.sessions - args.browsers} over the websocket), strokes {args.strokes} each, "
        f"think {args.think:g} s"
    )
    print(
        f"training run: {'still running at the end' if 'running' in statuses else statuses or 'none'}"
    )
    print(
        f"predictions timed: {len(browser_times) + len(socket_times)} of "
        f"{args.sessions * args.strokes}"
    )
    print(f"sessions with errors: {len(failed)}")
    print(f"wrong predictions: {sum(session.wrong for session in sessions)}")
    if browser_times:
        print(f"mouse-up to prediction: {summary(browser_times)}")
    if socket_times:
        print(f"drawing sent to prediction received: {summary(socket_times)}")
    refreshes = [ms for watcher in watchers for ms in watcher.times_ms]
    if refreshes:
        print(f"Train page watchers: {args.watchers}, live part refreshed: {summary(refreshes)}")
    print(f"opening the pages: {opened_s:.0f} s; drawing: {drawing_s:.0f} s")
    print(
        f"CPU while drawing ({os.cpu_count()} cores, load average {load_before:.1f} before the "
        f"start): "
        + ", ".join(f"{part} {100 * cpu[part] / drawing_s:.0f}%" for part in cpu)
        + " of one core"
    )
    print(
        "peak memory (PSS): "
        + ", ".join(f"{part} {mb / 1024:.1f} GB" for part, mb in peaks.items())
    )
    for session in failed:
        print(f"  session {session.index}: {session.error}", file=sys.stderr)
    if failed:
        print(f"server log, last lines:\n{log_tail}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
