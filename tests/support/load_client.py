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

The answer channel (``channel=True``): the Draw page hands its canvas a channel in the
component's data (``data["channel"]``: the path of hwr's own WebSocket route, a token of
the session, the answer panel's words, ``quiet``; None where the page answers through
Streamlit only), and the student then speaks it as ``canvas.js`` does
(``hwr/server/answer_channel.py``): it opens ``ws://HOST:PORT/<path>`` with the page's
own origin (and the proxy's server cookie, so that it reaches the session's own app
server), sends the token, and at each pen-up sends the drawing there, not to
Streamlit. The channel's answer is the answer (``Reply.transport == "channel"``); the
drawing is reported to Streamlit ``REPORT_DELAY`` s later (the class wall, the round:
one script run per finished drawing), unless the channel is ``quiet``, or a new stroke
starts first (its pen-up reports the whole drawing). A reply that is not an answer
(warming up, nothing to read), none within ``CHANNEL_WAIT`` s, or a channel that is
closed or not yet open sends the drawing to Streamlit at once, and the answer is read
from the deltas (``"streamlit"``); a channel that closed is tried again after
``RECONNECT`` s. With live answers on (``data["live"]``), the partial drawings go over
the channel only, and its partial replies are the live answers. Clear sends nothing when
the channel is quiet and open; a page that stops being quiet (a class starts) is sent
the drawing the canvas answered quietly. A page that offers no channel (older code,
several digits) is spoken to exactly as without ``channel``. ``stats()`` counts what
went where.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
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
LIVE_TOGGLE = "Live answers"  # the Draw page's toggle (a checkbox in the protocol)
# canvas.js's timings (CHANNEL_WAIT_MS, REPORT_MS, RECONNECT_MS, LIVE_MS), in seconds
CHANNEL_WAIT = 1.5  # a pen-up's channel reply later than this: Streamlit answers instead
REPORT_DELAY = 0.6  # the pen up this long after the channel's answer: report to Streamlit
RECONNECT = 5.0  # a channel that closed (or never opened) is tried again after this
LIVE_INTERVAL = 0.12  # between two partial drawings while a stroke is drawn
CHANNEL, STREAMLIT = "channel", "streamlit"  # which transport answered (Reply.transport)


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
    transport: str | None = None  # CHANNEL or STREAMLIT: where the answer came from
    channel_reply: dict | None = None  # the answer channel's reply, when it answered

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
    live_transport: str | None = None  # CHANNEL or STREAMLIT: where the partials went


def live_answer(body: str) -> tuple[int, bool] | None:
    """(seq, partial) of the answer in a markdown element's HTML, if it is one."""
    region = LIVE_REGION.search(body)
    seq = SEQ.search(region.group(1)) if region else None
    if seq is None:
        return None
    return int(seq.group(1)), 'aria-busy="true"' in region.group(1)


class Student:
    """One browser tab's worth of protocol: a session, the canvas, its fragment; with
    ``channel``, the canvas's answer channel too, when the page offers one."""

    def __init__(self, base_url: str, timeout: float = 30.0, query: str = "",
                 page: str = "", canvas: bool = True, channel: bool = False):
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
        self.kept_widgets: dict[str, dict] = {}  # states sent with every rerun (set_live)
        # The answer channel (``channel=True``): what the page's last run offered.
        self.speaks_channel = channel
        self.canvas_data: dict | None = None  # the canvas component's last ``data``
        self.channel_info: dict | None = None  # its ``channel``: path, token, words, quiet
        self.live = False  # its ``live``: live answers on
        self.chan = None  # the channel's WebSocket while it is open
        self.cookie: str | None = None  # the proxy's server cookie, for the channel
        self._chan_token: str | None = None
        self._chan_down_at = float("-inf")  # when it last closed or failed (monotonic)
        self._opening: asyncio.Task | None = None
        self._readers: set[asyncio.Task] = set()
        self._waiting: dict[int, asyncio.Future] = {}  # seq -> its pen-up's reply
        self._partials: dict[int, float] = {}  # seq -> when the partial drawing was sent
        self._live_sink: LiveDrawing | None = None  # the live drawing under way
        self._report: Report | None = None  # the latest report to Streamlit
        self._report_tasks: set[asyncio.Task] = set()  # every report not yet done
        self._unreported: dict | None = None  # quiet: the drawing Streamlit has not had
        self._streamlit = asyncio.Lock()  # one script run read at a time
        self.counts: Counter[str] = Counter()  # what went where (``stats``)
        self.report_errors: list[str] = []

    async def __aenter__(self) -> "Student":
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"],
                                           origin=self.base_url, max_size=None,
                                           open_timeout=self.timeout)
        self.cookie = response_cookie(self.ws)
        reply = await self.rerun()
        if self.needs_canvas and self.canvas_id is None:
            raise RuntimeError(f"no canvas on the page (alerts: {reply.alerts})")
        if self._opening is not None:  # the page's canvas connects before anyone draws
            await self._opening
        return self

    async def __aexit__(self, exc_type, *exc) -> None:
        try:
            if exc_type is None and self.ws is not None:
                # A tab put away or closed reports what it was asked (canvas.js's
                # visibilitychange); a failed session has nothing left to say.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.flush(), self.timeout)
        finally:
            for task in list(self._report_tasks):
                task.cancel()
            self._report = None
            await self._close_channel(report=False)
            if self.ws is not None:
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
        given = {fields.get("id") for fields in widgets}
        for fields in [*widgets, *(kept for wid, kept in self.kept_widgets.items()
                                   if wid not in given)]:
            state.widget_states.widgets.add(**fields)
        if fragment_id is not None:
            state.fragment_id = fragment_id
        elif fragment:
            state.fragment_id = self.fragment_id
        return msg.SerializeToString()

    async def rerun(self, widget_json: str | None = None, fragment: bool = False,
                    widgets: list[dict] = (), fragment_id: str | None = None) -> Reply:
        """Send one rerun request and read the run's deltas until it finishes (after
        any other run this student is reading: ``seconds`` counts that wait too)."""
        start = time.perf_counter()
        reply = Reply(transport=STREAMLIT)
        async with self._streamlit:
            await self.ws.send(self.rerun_message(widget_json, fragment, widgets,
                                                  fragment_id))
            try:
                await asyncio.wait_for(self._read_run(reply), self.timeout)
            except asyncio.TimeoutError:
                pass
        reply.seconds = time.perf_counter() - start
        await self._follow_channel()
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
            self._read_canvas_data(element.bidi_component)
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

    def _read_canvas_data(self, component) -> None:
        """The canvas's ``data`` from the page's run, as the component hands it to
        ``canvas.js``: JSON (or the JSON half of mixed data)."""
        which = component.WhichOneof("data")
        text = component.json if which == "json" else (
            component.mixed.json if which == "mixed" else "")
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return
        self.canvas_data = data
        channel = data.get("channel")
        self.channel_info = channel if isinstance(channel, dict) else None
        self.live = bool(data.get("live"))

    async def send_drawing(self, payload) -> Reply:
        """What the canvas sends to Streamlit when a stroke ends (or Clear is pressed)."""
        self._unreported = None
        return await self.rerun(json.dumps({"drawing": payload}), fragment=True)

    async def draw(self, strokes: list[list[tuple[float, float]]], brush: float = 18,
                   stroke_seconds: float = 0.0, size: tuple[int, int] = (280, 280)) -> Reply:
        """Draw stroke after stroke (the canvas sends the whole drawing at each stroke's
        end: over the answer channel when it is open, else to Streamlit); returns the
        reply to the last one, ``seconds`` from its pen-up to its answer."""
        reply = Reply()
        for n in range(1, len(strokes) + 1):
            self._hold_report()  # a stroke begins: its pen-up reports the drawing
            if stroke_seconds:
                await asyncio.sleep(stroke_seconds)
            reply = await self.pen_up(self.payload(strokes[:n], brush, size))
        return reply

    def payload(self, strokes, brush: float = 18, size: tuple[int, int] = (280, 280),
                partial: bool = False) -> dict:
        """The canvas's payload for these strokes: numbered (``seq``) as canvas.js numbers
        every message when this student speaks the channel (replies are matched by it)."""
        payload = drawing_payload(strokes, self.drawing_id, brush, size)
        if self.speaks_channel or partial:
            self.seq += 1
            payload["seq"] = self.seq
        if partial:
            payload["partial"] = True
        return payload

    @property
    def channel_on(self) -> bool:
        """Whether the page's last run offered the canvas a channel (and this student
        speaks it)."""
        return self.speaks_channel and self.channel_info is not None

    @property
    def quiet(self) -> bool:
        """The channel's ``quiet``: no report to Streamlit after its answers, and Clear
        sends nothing (missing in older pages: False)."""
        return self.channel_on and bool(self.channel_info.get("quiet", False))

    async def pen_up(self, payload: dict) -> Reply:
        """A pen-up's whole drawing, as canvas.js sends it: asked over the channel when
        it is open (then reported to Streamlit later), else sent to Streamlit at once.
        ``seconds``: from the call (the pen-up) to the answer, whichever way it came."""
        start = time.perf_counter()
        if self.channel_on:
            self._cancel_report()
            reply, why = await self._ask(payload)
            if reply is not None and reply.get("status") == "answer":
                self.counts["answered_over_channel"] += 1
                if self.quiet:  # never reported (unless the page stops being quiet)
                    self._unreported = payload
                else:
                    self._report_later(payload)
                return self._channel_answer(reply, time.perf_counter() - start)
            self.counts[f"fallback_{why}"] += 1
        called = time.perf_counter()
        reply = await self.send_drawing(payload)
        reply.seconds += called - start
        self.counts["answered_over_streamlit" if reply.answer is not None else
                    "unanswered_over_streamlit"] += 1
        return reply

    def _channel_answer(self, reply: dict, seconds: float) -> Reply:
        """The channel's answer as a ``Reply``: the digit, or the page's words for "not a
        digit" (what Python's ``hwr-answer`` shows)."""
        words = (self.channel_info or {}).get("words") or {}
        text = (words.get("not_a_digit", "Not a digit") if reply.get("not_a_digit")
                else str(reply.get("digit")))
        return Reply(answer=text, seconds=seconds, finished=True, transport=CHANNEL,
                     channel_reply=reply)

    async def draw_live(self, strokes: list[list[tuple[float, float]]], brush: float = 18,
                        stroke_seconds: float = 0.5, interval: float = 0.1,
                        size: tuple[int, int] = (280, 280)) -> LiveDrawing:
        """Draw as the page does with live answers on: while each stroke is drawn
        (``stroke_seconds``), the drawing so far every ``interval`` s, marked partial,
        without waiting for answers (live answers are read as they come); at the
        stroke's end the whole drawing, whose own answer is awaited (``timeout``).

        With the channel: the partial drawings go over it only (those of a stroke that
        did not grow are not sent, as canvas.js), its partial replies are the live
        answers, and each pen-up is sent as ``pen_up`` sends it."""
        if self.channel_on:
            return await self._draw_live_channel(strokes, brush, stroke_seconds, interval,
                                                 size)
        out = LiveDrawing(Reply(), live_transport=STREAMLIT)
        sent: dict[int, float] = {}
        async with self._streamlit:  # this drawing reads the socket itself
            for n, stroke in enumerate(strokes):
                parts = max(1, round(stroke_seconds / interval))
                for k in range(1, parts + 1):
                    await self._read_live(sent, out,
                                          deadline=time.perf_counter() + interval)
                    points = stroke[:max(1, len(stroke) * k // (parts + 1))]
                    payload = drawing_payload([*strokes[:n], points], self.drawing_id,
                                              brush, size)
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
                reply = Reply(transport=STREAMLIT)
                try:
                    reply.finished = await asyncio.wait_for(
                        self._read_live(sent, out, until=self.seq, reply=reply),
                        self.timeout)
                except asyncio.TimeoutError:
                    pass
                reply.seconds = time.perf_counter() - start
                out.answered += reply.finished
                out.reply = reply
        await self._follow_channel()
        return out

    async def _draw_live_channel(self, strokes, brush, stroke_seconds, interval,
                                 size) -> LiveDrawing:
        out = LiveDrawing(Reply(), live_transport=CHANNEL)
        self._live_sink = out
        try:
            for n, stroke in enumerate(strokes):
                self._hold_report()
                parts = max(1, round(stroke_seconds / interval))
                grown = 0
                for k in range(1, parts + 1):
                    await asyncio.sleep(interval)
                    count = max(1, len(stroke) * k // (parts + 1))
                    if count == grown:
                        continue  # the stroke did not grow: nothing is sent
                    grown = count
                    await self._send_partial(self.payload([*strokes[:n], stroke[:count]],
                                                          brush, size, partial=True))
                reply = await self.pen_up(self.payload(strokes[:n + 1], brush, size))
                out.pen_ups += 1
                out.answered += reply.finished and reply.answer is not None
                out.reply = reply
        finally:
            self._live_sink = None
        return out

    async def _send_partial(self, payload: dict) -> None:
        """A partial drawing over the channel; never to Streamlit (a channel not open
        drops it: the pen-up still gets its answer)."""
        ws = self.chan
        if ws is None:
            self.counts["partials_dropped"] += 1
            return
        self._partials[payload["seq"]] = time.perf_counter()
        try:
            await ws.send(json.dumps({"drawing": payload}))
            self.counts["partials_sent"] += 1
        except websockets.ConnectionClosed:
            self._channel_down(ws)

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
            if element.WhichOneof("type") == "bidi_component":
                self._read_element(msg.delta, Reply())  # the canvas's data: the channel
                continue
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

    async def set_live(self, on: bool = True) -> bool:
        """Turn the Draw page's "Live answers" toggle on (or off), as a student taps it;
        its state then goes with every rerun, as a browser sends it. Returns whether the
        canvas now has live answers on (``data["live"]``); False on a page without the
        toggle."""
        try:
            toggle = self.widget("checkbox", LIVE_TOGGLE)
        except KeyError:
            return False
        self.kept_widgets[toggle] = {"id": toggle, "bool_value": on}
        await self.send_widgets([self.kept_widgets[toggle]],
                                fragment_id=self.fragments.get(toggle, ""))
        if self.live != on:  # the canvas shows the new state in the page's next run
            await self.rerun(fragment=True)
        return self.live

    async def clear(self) -> Reply:
        """Clear, as canvas.js: the empty drawing to Streamlit, or nothing at all when
        the channel is quiet and open (an empty ``Reply`` then, ``transport`` None)."""
        self.drawing_id += 1
        self._cancel_report()  # a drawing cleared before its report is not reported
        if self.quiet and self.chan is not None:
            self.counts["quiet_clears"] += 1
            self._unreported = self.payload([])
            return Reply(finished=True)
        return await self.send_drawing(self.payload([]))

    async def flush(self) -> None:
        """The pending report, to Streamlit now (as a page that is put away sends it),
        and every report under way, finished."""
        self._report_now()
        if self._report_tasks:
            await asyncio.gather(*self._report_tasks, return_exceptions=True)

    def stats(self) -> dict[str, int]:
        """What went where: answers over the channel and over Streamlit, the fallbacks
        by reason (``fallback_timeout``, ``fallback_closed``, ``fallback_not_open``,
        ``fallback_warming_up``...), reports, channel connections opened, closed and
        failed, partial drawings sent; ``channel_offered`` 1 when the page offered one."""
        return {**self.counts, "channel_offered": int(self.channel_info is not None)}

    # --- the answer channel ------------------------------------------------------------

    async def _follow_channel(self) -> None:
        """After each run: the channel the page now offers (none: it is closed, what it
        was asked reported; a new token: tried at once), opened unless it closed less
        than ``RECONNECT`` s ago."""
        if not self.speaks_channel:
            return
        if self._unreported is not None and not self.quiet and not self._waiting:
            # No longer quiet (a class started...): the page gets the canvas's drawing.
            self.seq += 1
            self._report_later({**self._unreported, "seq": self.seq}, 0.0)
            self._unreported = None
        if self.channel_info is None:
            if self.chan is not None or self._opening is not None:
                await self._close_channel(report=True)
            return
        token = self.channel_info.get("token")
        if token != self._chan_token:
            self._chan_token = token
            self._chan_down_at = float("-inf")
        self._start_opening()

    def _start_opening(self) -> None:
        """canvas.js's ``openChannel``: a connection is started, not waited for; a
        pen-up while it connects goes to Streamlit."""
        if (self.channel_info is None or self.chan is not None or self._opening is not None
                or time.monotonic() - self._chan_down_at < RECONNECT):
            return
        self._opening = asyncio.create_task(self._open_channel(self.channel_info))

    async def _open_channel(self, info: dict) -> None:
        url = self.base_url.replace("http", "ws", 1) + info.get("path", "")
        try:
            try:
                ws = await websockets.connect(
                    url, origin=self.base_url, max_size=None, open_timeout=self.timeout,
                    additional_headers={"Cookie": self.cookie} if self.cookie else None)
                await ws.send(json.dumps({"token": info.get("token")}))
            except Exception:  # noqa: BLE001 - refused, unreachable: Streamlit answers
                self.counts["channel_failed"] += 1
                self._chan_down_at = time.monotonic()
                return
            if self.channel_info is None:  # the page withdrew it meanwhile
                await ws.close()
                return
            self.chan = ws
            self.counts["channel_opened"] += 1
            reader = asyncio.create_task(self._read_channel(ws))
            self._readers.add(reader)
            reader.add_done_callback(self._readers.discard)
        finally:
            self._opening = None

    async def _read_channel(self, ws) -> None:
        """The channel's replies: a pen-up's to its waiting ``_ask``, a partial one as a
        live answer. Anything unreadable, or the end, takes the channel down."""
        try:
            async for text in ws:
                reply = json.loads(text)
                seq = reply.get("seq")
                waiting = self._waiting.get(seq)
                if waiting is not None and not waiting.done():
                    waiting.set_result(reply)
                elif reply.get("partial") and seq in self._partials:
                    sent = self._partials.pop(seq)
                    self.counts["live_updates_over_channel"] += 1
                    if self._live_sink is not None:
                        self._live_sink.live_delays.append(time.perf_counter() - sent)
        except Exception:  # noqa: BLE001 - closed, or not JSON: the channel is down
            pass
        self._channel_down(ws)
        with contextlib.suppress(Exception):
            await ws.close()

    def _channel_down(self, ws) -> None:
        """The channel closed or failed: whoever waits for a reply goes to Streamlit at
        once; it is tried again after ``RECONNECT`` s."""
        if self.chan is not ws:
            return
        self.chan = None
        self._chan_down_at = time.monotonic()
        self.counts["channel_closed"] += 1
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_result(None)

    async def _close_channel(self, report: bool) -> None:
        """The page withdrew the channel (or the student leaves): closed; with
        ``report``, a pending report goes to Streamlit now (canvas.js's closeChannel)."""
        if self._opening is not None:
            self._opening.cancel()
            with contextlib.suppress(BaseException):
                await self._opening
            self._opening = None
        ws, self.chan = self.chan, None
        if ws is not None:
            for waiting in self._waiting.values():
                if not waiting.done():
                    waiting.set_result(None)
            with contextlib.suppress(Exception):
                await ws.close()
        for reader in list(self._readers):
            reader.cancel()
        if report:
            self._report_now()

    async def _ask(self, payload: dict) -> tuple[dict | None, str]:
        """A pen-up's drawing over the channel: (its reply, "answered"), or (None, why
        not: "not_open", "closed", "timeout"), or a reply that is not an answer (its
        status is the reason)."""
        self._start_opening()  # one that closed: again, for the next pen-up
        ws = self.chan
        if ws is None:
            return None, "not_open"
        seq = payload["seq"]
        waiting = asyncio.get_running_loop().create_future()
        self._waiting[seq] = waiting
        try:
            await ws.send(json.dumps({"drawing": payload}))
            reply = await asyncio.wait_for(waiting, CHANNEL_WAIT)
        except websockets.ConnectionClosed:
            self._channel_down(ws)
            return None, "closed"
        except asyncio.TimeoutError:
            return None, "timeout"
        finally:
            self._waiting.pop(seq, None)
            for older in [s for s in self._partials if s < seq]:
                del self._partials[older]  # answered before this one, or never
        if reply is None:
            return None, "closed"
        return reply, ("answered" if reply.get("status") == "answer"
                       else str(reply.get("status")))

    def _report_later(self, payload: dict, delay: float = REPORT_DELAY) -> None:
        report = self._report = Report(payload)
        report.task = asyncio.create_task(self._send_report(report, delay))
        self._report_tasks.add(report.task)
        report.task.add_done_callback(self._report_tasks.discard)

    async def _send_report(self, report: "Report", delay: float) -> None:
        """The finished drawing to Streamlit after ``delay`` s: the page's state (the
        wall, the round) follows it; the answer shown is the channel's."""
        await asyncio.sleep(delay)
        report.running = True  # from here on it is sent, whatever the canvas does
        try:
            await self.send_drawing(report.payload)
            self.counts["reports"] += 1
        except Exception as e:  # noqa: BLE001 - noted; the session's next use fails too
            self.report_errors.append(f"{type(e).__name__}: {str(e)[:200]}")

    def _report_now(self) -> None:
        """A pending report goes now rather than when its time comes."""
        report = self._report
        if report is not None and not report.running and not report.task.done():
            report.task.cancel()
            self._report_later(report.payload, 0.0)

    def _hold_report(self) -> None:
        """A new stroke begins before the report went: its pen-up reports instead."""
        self._cancel_report()

    def _cancel_report(self) -> None:
        """The pending report is dropped; one whose run has begun finishes."""
        report, self._report = self._report, None
        if report is not None and not report.running:
            report.task.cancel()


@dataclass
class Report:
    """A finished drawing on its way to Streamlit after the channel answered it."""

    payload: dict
    task: asyncio.Task | None = None
    running: bool = False  # its script run was asked for: it is no longer held back


def response_cookie(ws) -> str | None:
    """The cookies a proxy set on the websocket's handshake (HAProxy's HWRSERVER: the
    app server the session is on), as a Cookie header for the channel's connection."""
    try:
        values = ws.response.headers.get_all("Set-Cookie")
    except AttributeError:
        return None
    pairs = [value.split(";", 1)[0].strip() for value in values]
    return "; ".join(p for p in pairs if "=" in p) or None


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
