"""Simulated students that speak Streamlit's websocket protocol, as the Draw page does.

A browser per student saturates this machine's two cores long before the server does.
A ``Student`` instead opens the page's websocket (``/_stcore/stream``), asks for a script
run with a ``BackMsg``, reads the ``ForwardMsg`` deltas back, and draws by sending the
canvas's real payload (``hwr.reading.drawing``: every stroke so far) as the component's widget
state, in a rerun of the drawing area's fragment, exactly what ``canvas.js`` sends when a
stroke ends. The answer is read from the ``hwr-answer`` element in the deltas.

Any widget message can be sent (``send_widgets``): a round's Done, or, forged, the
teacher's widgets from a student's session (whose server must refuse them). ``Student``
notes every widget it is shown (``widgets``: id by kind and label or key), the HTML
elements (a round's ``hwr-prompt``) and the fragments that rerun themselves
(``auto_reruns``: interval -> fragment id), as a browser does.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.support.strokes import as_drawing

CANVAS_COMPONENT = "hwr.canvas"
ANSWER = re.compile(r'class="hwr-answer"[^>]*>([^<]*)<')
LIVE_REGION = re.compile(r'<div class="hwr-live"([^>]*)>')  # the answer's live region
SEQ = re.compile(r'data-seq="(\d+)"')
PROMPT = re.compile(r'class="hwr-prompt"[^>]*>([^<]*)<')
WIDGETS = ("button", "text_input", "checkbox", "number_input", "selectbox", "radio",
           "button_group", "download_button")


@dataclass
class Reply:
    """What one script run sent back."""

    answer: str | None = None
    alerts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    finished: bool = False
    html: list[str] = field(default_factory=list)
    markdown: list[str] = field(default_factory=list)  # captions too
    prompt: str | None = None  # a round's prompt ("Everyone draw a 7"), if shown

    def text(self) -> str:
        """Everything the run showed as text (alerts, markdown and captions, HTML)."""
        return " ".join(self.alerts + self.markdown + self.html)


@dataclass
class LiveDrawing:
    """What one drawing with live answers on got back (``Student.draw_live``)."""

    reply: Reply  # the last stroke's end: its answer, seconds from pen-up to it
    pen_ups: int = 0
    answered: int = 0  # pen-ups whose own answer (their number, seq) came back
    live_delays: list[float] = field(default_factory=list)  # s: sent -> its live answer


def live_answer(body: str) -> tuple[int, bool] | None:
    """(seq, partial) of the answer in a markdown element's HTML, if it is one."""
    region = LIVE_REGION.search(body)
    seq = SEQ.search(region.group(1)) if region else None
    if seq is None:
        return None
    return int(seq.group(1)), 'aria-busy="true"' in region.group(1)


class Student:
    """One browser tab's worth of protocol: a session, the canvas, its fragment."""

    def __init__(self, base_url: str, timeout: float = 30.0, query: str = "",
                 page: str = "", canvas: bool = True):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.query = query  # the page address's query string, e.g. "name=Ana"
        self.page = page  # the page's address ("teach"); "" for the Draw page
        self.needs_canvas = canvas
        self.ws = None
        self.page_hash = ""
        self.canvas_id: str | None = None
        self.fragment_id = ""
        self.drawing_id = 0
        self.seq = 0  # the canvas's message numbers (live answers)
        self.canvas_json: str | None = None  # the canvas's last state, sent with others
        self.widgets: dict[tuple[str, str], str] = {}  # (kind, label or key) -> id
        self.components: dict[str, str] = {}  # component name -> id
        self.fragments: dict[str, str] = {}  # widget or component id -> its fragment's
        self.auto_reruns: dict[float, str] = {}  # interval -> fragment id

    async def __aenter__(self) -> "Student":
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"],
                                           origin=self.base_url, max_size=None,
                                           open_timeout=self.timeout)
        reply = await self.rerun()
        if self.needs_canvas and self.canvas_id is None:
            raise RuntimeError(f"no canvas on the page (alerts: {reply.alerts})")
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    def rerun_message(self, widget_json: str | None = None, fragment: bool = False,
                      widgets: list[dict] = (), fragment_id: str | None = None) -> bytes:
        """A rerun request as the page sends it: optionally with the canvas's state (and
        other widgets' states: dicts of WidgetState's fields), and as a rerun of the
        drawing area's fragment (or of ``fragment_id``)."""
        msg = BackMsg()
        state = msg.rerun_script
        state.page_script_hash = self.page_hash
        if self.page and not self.page_hash:  # another page than the default: by name
            state.page_name = self.page
        state.query_string = self.query
        state.widget_states.SetInParent()
        if widget_json is not None:
            self.canvas_json = widget_json
        if self.canvas_json is not None and self.canvas_id is not None:
            widget = state.widget_states.widgets.add()
            widget.id = self.canvas_id
            widget.json_value = self.canvas_json
        for fields in widgets:
            state.widget_states.widgets.add(**fields)
        if fragment_id is not None:
            state.fragment_id = fragment_id
        elif fragment:
            state.fragment_id = self.fragment_id
        return msg.SerializeToString()

    async def rerun(self, widget_json: str | None = None, fragment: bool = False,
                    widgets: list[dict] = (), fragment_id: str | None = None) -> Reply:
        """Send one rerun request and read the run's deltas until it finishes."""
        start = time.perf_counter()
        await self.ws.send(self.rerun_message(widget_json, fragment, widgets, fragment_id))
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
            if kind == "new_session" and not self.page:
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "navigation" and self.page:  # the page that ran: as a browser
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "auto_rerun":
                self.auto_reruns[round(msg.auto_rerun.interval, 3)] = \
                    msg.auto_rerun.fragment_id
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._read_element(msg.delta, reply)
            elif kind == "script_finished":
                reply.finished = True
                return

    def _read_element(self, delta, reply: Reply) -> None:
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "bidi_component":
            self.components[element.bidi_component.component_name] = \
                element.bidi_component.id
            self.fragments[element.bidi_component.id] = delta.fragment_id
        if kind in WIDGETS:
            widget = getattr(element, kind)
            self.fragments[widget.id] = delta.fragment_id
            self.widgets[(kind, widget.label)] = widget.id
            self.widgets[(kind, widget.id.rsplit("-", 1)[-1])] = widget.id  # its key
        if kind == "bidi_component" and element.bidi_component.component_name == \
                CANVAS_COMPONENT:
            self.canvas_id = element.bidi_component.id
            self.fragment_id = delta.fragment_id
        elif kind == "html":
            reply.html.append(element.html.body)
            match = PROMPT.search(element.html.body)
            if match:
                reply.prompt = match.group(1).strip()
        elif kind == "markdown":
            reply.markdown.append(element.markdown.body)
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

    async def draw_live(self, strokes: list[list[tuple[float, float]]], brush: float = 18,
                        stroke_seconds: float = 0.5, interval: float = 0.1,
                        size: tuple[int, int] = (280, 280)) -> LiveDrawing:
        """Draw as the page does with live answers on: while each stroke is drawn
        (``stroke_seconds``), the drawing so far every ``interval`` s, marked partial,
        without waiting for answers (live answers are read as they come); at the
        stroke's end the whole drawing, whose own answer is awaited (``timeout``)."""
        out = LiveDrawing(Reply())
        sent: dict[int, float] = {}
        for n, stroke in enumerate(strokes):
            parts = max(1, round(stroke_seconds / interval))
            for k in range(1, parts + 1):
                await self._read_live(sent, out, deadline=time.perf_counter() + interval)
                points = stroke[:max(1, len(stroke) * k // (parts + 1))]
                payload = drawing_payload([*strokes[:n], points], self.drawing_id, brush,
                                          size)
                self.seq += 1
                sent[self.seq] = time.perf_counter()
                await self.ws.send(self.rerun_message(json.dumps({"drawing": {
                    **payload, "partial": True, "seq": self.seq}}), fragment=True))
            payload = drawing_payload(strokes[:n + 1], self.drawing_id, brush, size)
            self.seq += 1
            start = sent[self.seq] = time.perf_counter()
            await self.ws.send(self.rerun_message(json.dumps({"drawing": {
                **payload, "seq": self.seq}}), fragment=True))
            out.pen_ups += 1
            reply = Reply()
            try:
                reply.finished = await asyncio.wait_for(
                    self._read_live(sent, out, until=self.seq, reply=reply), self.timeout)
            except asyncio.TimeoutError:
                pass
            reply.seconds = time.perf_counter() - start
            out.answered += reply.finished
            out.reply = reply
        return out

    async def _read_live(self, sent: dict[int, float], out: LiveDrawing,
                         deadline: float | None = None, until: int | None = None,
                         reply: Reply | None = None) -> bool:
        """Read the server's messages until ``deadline``, or until the answer numbered
        ``until`` has come and its run finished (True then); live answers are noted
        in ``out`` as they come."""
        answered = False
        while True:
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                return answered
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                return answered
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "script_finished" and answered:
                return True
            if kind != "delta" or msg.delta.WhichOneof("type") != "new_element":
                continue
            element = msg.delta.new_element
            seen = live_answer(element.markdown.body) if \
                element.WhichOneof("type") == "markdown" else None
            if seen is not None and seen[0] == until:
                answered = True
                self._read_element(msg.delta, reply if reply is not None else Reply())
            elif seen is not None and seen[1] and seen[0] in sent:
                out.live_delays.append(time.perf_counter() - sent.pop(seen[0]))

    async def send_widgets(self, widgets: list[dict], fragment_id: str | None = None,
                           ) -> Reply:
        """Widget messages as the page sends them (a button's trigger_value=True, a
        component's json_trigger_value...), with the canvas's state."""
        return await self.rerun(widgets=widgets, fragment_id=fragment_id)

    def widget(self, kind: str, name: str) -> str:
        """A widget's id by its kind and label (or key); KeyError if never shown."""
        return self.widgets[(kind, name)]

    async def clear(self) -> Reply:
        self.drawing_id += 1
        return await self.send_drawing(drawing_payload([], self.drawing_id))


def drawing_payload(strokes, drawing_id: int, brush: float = 18,
                    size: tuple[int, int] = (280, 280)) -> dict:
    """The canvas's JSON for these strokes (canvas pixels)."""
    return as_drawing(strokes, *size, brush=brush, drawing_id=drawing_id).to_payload()


def component_trigger(component_id: str, event: str, value) -> dict:
    """The widget message a v2 component sends for a trigger (``setTriggerValue``)."""
    return {"id": f"$$STREAMLIT_INTERNAL_KEY_{component_id}__events",
            "json_trigger_value": json.dumps([{"event": event, "value": value}])}


def run_async(coroutine):
    """Run simulated students from a test that also drives a browser: Playwright's sync
    API keeps its own event loop in the test's thread, so ``asyncio.run`` there fails
    once any browser test has run; a thread of its own has none."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
