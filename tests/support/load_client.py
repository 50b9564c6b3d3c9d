"""Simulated students that speak Streamlit's websocket protocol, as the Draw page does.

A browser per student saturates this machine's two cores long before the server does.
A ``Student`` instead opens the page's websocket (``/_stcore/stream``), asks for a script
run with a ``BackMsg``, reads the ``ForwardMsg`` deltas back, and draws by sending the
canvas's real payload (``hwr.reading.drawing``: every stroke so far) as the component's widget
state, in a rerun of the drawing area's fragment, exactly what ``canvas.js`` sends when a
stroke ends. The answer is read from the ``hwr-answer`` element in the deltas.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.support.strokes import as_drawing

CANVAS_COMPONENT = "hwr.canvas"
ANSWER = re.compile(r'class="hwr-answer"[^>]*>([^<]*)<')


@dataclass
class Reply:
    """What one script run sent back."""

    answer: str | None = None
    alerts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    finished: bool = False


class Student:
    """One browser tab's worth of protocol: a session, the canvas, its fragment."""

    def __init__(self, base_url: str, timeout: float = 30.0, query: str = ""):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.query = query  # the page address's query string, e.g. "name=Ana"
        self.ws = None
        self.page_hash = ""
        self.canvas_id: str | None = None
        self.fragment_id = ""
        self.drawing_id = 0

    async def __aenter__(self) -> "Student":
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"],
                                           origin=self.base_url, max_size=None,
                                           open_timeout=self.timeout)
        reply = await self.rerun()
        if self.canvas_id is None:
            raise RuntimeError(f"no canvas on the page (alerts: {reply.alerts})")
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    def rerun_message(self, widget_json: str | None = None, fragment: bool = False) -> bytes:
        """A rerun request as the page sends it: optionally with the canvas's state, and
        as a rerun of the drawing area's fragment."""
        msg = BackMsg()
        state = msg.rerun_script
        state.page_script_hash = self.page_hash
        state.query_string = self.query
        state.widget_states.SetInParent()
        if widget_json is not None:
            widget = state.widget_states.widgets.add()
            widget.id = self.canvas_id
            widget.json_value = widget_json
        if fragment:
            state.fragment_id = self.fragment_id
        return msg.SerializeToString()

    async def rerun(self, widget_json: str | None = None, fragment: bool = False) -> Reply:
        """Send one rerun request and read the run's deltas until it finishes."""
        start = time.perf_counter()
        await self.ws.send(self.rerun_message(widget_json, fragment))
        reply = Reply()
        try:
            await asyncio.wait_for(self._read_run(reply), self.timeout)
        except asyncio.TimeoutError:
            pass
        reply.seconds = time.perf_counter() - start
        return reply

    async def _read_run(self, reply: Reply) -> None:
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._read_element(msg.delta, reply)
            elif kind == "script_finished":
                reply.finished = True
                return

    def _read_element(self, delta, reply: Reply) -> None:
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "bidi_component" and element.bidi_component.component_name == \
                CANVAS_COMPONENT:
            self.canvas_id = element.bidi_component.id
            self.fragment_id = delta.fragment_id
        elif kind == "markdown":
            match = ANSWER.search(element.markdown.body)
            if match:
                reply.answer = match.group(1).strip()
        elif kind == "alert":
            reply.alerts.append(element.alert.body)

    async def send_drawing(self, payload) -> Reply:
        """What the canvas sends when a stroke ends (or Clear is pressed)."""
        return await self.rerun(json.dumps({"drawing": payload}), fragment=True)

    async def draw(self, strokes: list[list[tuple[float, float]]], brush: float = 18,
                   stroke_seconds: float = 0.0, size: tuple[int, int] = (280, 280)) -> Reply:
        """Draw stroke after stroke (the canvas sends the whole drawing at each stroke's
        end); returns the reply to the last one."""
        reply = Reply()
        for n in range(1, len(strokes) + 1):
            if stroke_seconds:
                await asyncio.sleep(stroke_seconds)
            reply = await self.send_drawing(drawing_payload(strokes[:n], self.drawing_id,
                                                            brush, size))
        return reply

    async def clear(self) -> Reply:
        self.drawing_id += 1
        return await self.send_drawing(drawing_payload([], self.drawing_id))


def drawing_payload(strokes, drawing_id: int, brush: float = 18,
                    size: tuple[int, int] = (280, 280)) -> dict:
    """The canvas's JSON for these strokes (canvas pixels)."""
    return as_drawing(strokes, *size, brush=brush, drawing_id=drawing_id).to_payload()
