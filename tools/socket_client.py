"""A Streamlit session without a browser: the load script's websocket sessions.

A browser talks to a Streamlit server over one websocket, in protobuf messages (BackMsg up,
ForwardMsg down). After a stroke it sends the canvas's new state (its drawing as a PNG data
URL) in a rerun request for the Draw page's fragment. SocketPage sends exactly that, with no
browser drawing or rendering, and reads the answer: thirty of them cost the server what thirty
students' own computers would, while leaving its cores to it. It needs Streamlit (its message
definitions), and `python -m tools.load` uses it.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import time
import urllib.request

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tools.browser import TIMEOUT_MS
from tools.strokes import render_strokes

# The Draw page's headline once it has read a digit (ui/widgets.py show_prediction).
PREDICTION_TEXT = re.compile(r"^# (\d) · \d+% sure")
# The Draw page's canvas component: key "canvas-drawing" (ui/widgets.py digit_canvas).
CANVAS_ID = re.compile(r"-canvas-drawing$")


def canvas_state(strokes, brush: int = 20, size: int = 280) -> str:
    """The canvas widget's value after drawing `strokes`, as the canvas component sends it."""
    image = render_strokes(strokes, size, brush, background="opaque").convert("RGBA")
    png = io.BytesIO()
    image.save(png, format="PNG")
    objects = [
        {
            "type": "Path",
            "stroke": "#ffffff",
            "strokeWidth": brush,
            "path": [["M" if i == 0 else "L", x * size, y * size] for i, (x, y) in enumerate(s)],
        }
        for s in strokes
    ]
    data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    raw = {"version": "7.4.0", "objects": objects, "background": "#000000"}
    return json.dumps({"drawing": {"raw": raw, "data": data_url}})


class SocketPage:
    """One page of one session, over one websocket: the Draw page, or the one named by `page`
    (its path, such as "train")."""

    def __init__(self, url: str, page: str = ""):
        self.url, self.page = url, page
        self.socket = None
        self.canvas_id = self.page_hash = self.fragment_id = None

    async def open(self) -> None:
        address = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        self.socket = await websockets.connect(
            address, subprotocols=["streamlit"], origin=self.url, max_size=None
        )
        await self.rerun(None)  # the first run, as a browser opening the page asks for
        if self.fragment_id is None:
            raise RuntimeError(f"the page {self.page or 'Draw'!r} sent no fragment")
        if not self.page and self.canvas_id is None:
            raise RuntimeError("the Draw page sent no canvas")

    async def refresh(self) -> float:
        """Rerun the page's fragment as a browser does every `run_every` seconds (the Train
        page's live part); returns the ms from sending to the end of the run."""
        sent = time.perf_counter()
        await self.rerun(None, auto=True)
        return 1000 * (time.perf_counter() - sent)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def rerun(
        self, canvas: str | None, auto: bool = False
    ) -> tuple[float | None, int | None]:
        """Send a rerun and read the answer to the end: of the fragment with the canvas's state
        if given, of the fragment as its timer asks if `auto`, else of the whole page.

        Returns (ms from sending to the prediction arriving, the digit read), None if none. A
        browser would add the canvas's fixed 200 ms send delay, and its drawing.
        """
        message = BackMsg()
        rerun = message.rerun_script
        rerun.SetInParent()  # a rerun request even when nothing else is set
        rerun.context_info.url = f"{self.url}/{self.page}"
        rerun.page_name = self.page
        if canvas is not None:
            widget = rerun.widget_states.widgets.add()
            widget.id, widget.json_value = self.canvas_id, canvas
        if canvas is not None or auto:
            rerun.page_script_hash, rerun.fragment_id = self.page_hash, self.fragment_id
        rerun.is_auto_rerun = auto  # a timed refresh, not a user's action
        sent = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        elapsed = digit = None
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(
                await asyncio.wait_for(self.socket.recv(), timeout=TIMEOUT_MS / 1000)
            )
            kind = reply.WhichOneof("type")
            if kind == "script_finished":
                if reply.script_finished in (
                    ForwardMsg.FINISHED_SUCCESSFULLY,
                    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
                ):
                    return elapsed, digit
                raise RuntimeError(f"the run ended with status {reply.script_finished}")
            if kind != "delta" or reply.delta.WhichOneof("type") != "new_element":
                continue
            element = reply.delta.new_element
            element_type = element.WhichOneof("type")
            if element_type == "exception":
                raise RuntimeError(f"the app showed: {element.exception.message[:300]}")
            if self.fragment_id is None and reply.delta.fragment_id:  # each page has one
                self.page_hash = reply.metadata.active_script_hash
                self.fragment_id = reply.delta.fragment_id
            if element_type == "bidi_component" and CANVAS_ID.search(element.bidi_component.id):
                self.canvas_id = element.bidi_component.id
            if element_type == "markdown" and elapsed is None:
                found = PREDICTION_TEXT.match(element.markdown.body)
                if found:
                    elapsed, digit = 1000 * (time.perf_counter() - sent), int(found.group(1))
            if element_type == "imgs":  # the browser fetches the 28x28 picture
                for image in element.imgs.imgs:
                    await asyncio.to_thread(fetch, self.url + image.url)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT_MS / 1000) as response:
        return response.read()
