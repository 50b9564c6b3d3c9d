"""The answer channel: a WebSocket beside Streamlit's, where the canvas gets its answers.

A pen-up answered through Streamlit costs a script run (its thread, the page's element
tree, protobuf: tens of ms of server CPU) for ~5 ms of recognition. Here the canvas
sends the drawing over a route of the same server and process (``st.App(routes=...)``:
one ``streamlit run`` still serves everything, and the school's proxy needs no new
backend) and gets the recognition back; the page runs its script only where its state
must change (``canvas.js``).

One connection, in order:

1. The route refuses a page of another origin before accepting (``origin_allowed``).
2. The first message must be ``{"token": ...}``, a token the page got from its
   Streamlit session (``channel_rules.sign``), within ``HELLO_SECONDS``; a session holds
   at most ``SESSION_CONNECTIONS`` at once (so its pace cannot be multiplied by opening
   more).
   A channel that watches the class (the app's: ``route(..., class_now)``) answers
   ``{"status": "ready"}``: the page then stops polling for the class's changes, which
   come over the channel (``class_events``).
3. Each further message is ``{"drawing": <the canvas's payload>}`` (with ``"number":
   true`` read as several digits; with ``"maps": true``, "Inside the network" open in
   presentation mode, the reply carries pictures of the drawing's feature maps, within
   ``INSIDE_BUDGET``), within
   Streamlit's widget message size and the drawing's limits, or ``{"shows": [class,
   round]}``, what the page shows of the class (it is told ``{"event": "class"}``
   when that changes); a connection that sends too fast, too much, or anything else,
   is closed (the page falls back to Streamlit).
4. Drawings are recognized off the event loop, in a pool of ``WORKERS`` threads shared
   by every connection; each connection has at most one drawing being recognized and
   one waiting (``Latest``): a newer drawing replaces the waiting one, so a page that
   floods, or never reads its replies, holds no more than that.

The recognizer is the page's: the caller passes the loader of the model that answers
(``hwr.pages.shared.model_loading.model_loader``, which this package may not import).
What it recognized is kept a while (``answered``): the script run that follows when the
canvas reports the same drawing to Streamlit takes the answer from there rather than
recognizing the drawing a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import NamedTuple
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from hwr import settings
from hwr.reading.drawing import Drawing, rasterize
from hwr.reading.recognizer import NumberRecognition, Recognition
from hwr.server.class_events import ClassEvents, Shows, Watcher, read_shows
from hwr.server.channel_rules import (
    BAD_DATA,
    INSIDE_BUDGET,
    INTERNAL,
    LIVE_BUDGET,
    NOT_DATA,
    POLICY,
    Pace,
    Refused,
    answer,
    number_answer,
    origin_allowed,
    picture_address,
    read_drawing,
    read_message,
    unavailable,
    verify,
    warming_up,
)
from hwr.server.model_loader import ModelLoader

log = logging.getLogger(__name__)

PATH = "/_hwr/answers"
WORKERS = 2  # recognitions at once, all connections together: the machine's cores
HELLO_SECONDS = 10.0  # for the token, after the connection opens
KEPT = 512  # recognitions kept for the pages' runs (~4 KB each)
SESSION_CONNECTIONS = 3  # the canvas holds one; a reconnect may overlap a dying one
_OPEN: Counter[str] = Counter()  # connections open per session (the event loop's only)
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hwr-answer")


class Answered:
    """The channel's latest recognitions, by session, model, drawing and reading (the oldest
    forgotten beyond ``size``). Shared by the pool's threads and the pages' script
    threads; a session's entries are made only by connections with its token."""

    def __init__(self, size: int = KEPT):
        self.size = size
        self._items: OrderedDict[tuple, Recognition | NumberRecognition] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: tuple, result: Recognition | NumberRecognition) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, key: tuple) -> Recognition | NumberRecognition | None:
        with self._lock:
            return self._items.get(key)


_ANSWERED = Answered()


def drawing_key(session_id: str, model_dir, drawing: Drawing, number: bool = False) -> tuple:
    """A drawing's key among the answered ones: its session, the model that answered (a
    new model answers anew), the drawing's id and a digest of its strokes, and whether
    it was read as several digits."""
    strokes = hashlib.blake2b(digest_size=16)
    for brush, points in drawing.strokes:
        strokes.update(repr(brush).encode())
        strokes.update(points.tobytes())
    return session_id, str(model_dir), drawing.id, strokes.digest(), number


def answered(session_id: str, model_dir, drawing: Drawing,
             number: bool = False) -> Recognition | NumberRecognition | None:
    """What the channel answered for this session's drawing with this model (read as
    several digits, or one), if it did lately: the page's run shows that rather than
    recognizing the drawing again."""
    return _ANSWERED.get(drawing_key(session_id, model_dir, drawing, number))


class Closed(Exception):
    """The page closed the connection."""


class Asked(NamedTuple):
    """A drawing as the page asked for it: with its feature maps (presentation mode,
    "Inside the network" open), read as several digits (the canvas of "Several
    digits")."""

    drawing: Drawing
    maps: bool = False
    number: bool = False


def read_asked(message: dict) -> Asked:
    """``{"drawing": ..., "maps": true, "number": true}`` (both flags optional)."""
    return Asked(read_drawing(message), message.get("maps") is True,
                 message.get("number") is True)


class Latest:
    """A connection's one waiting drawing: ``put`` replaces it (a newer drawing of the
    canvas holds all an older one held), ``take`` waits for one."""

    def __init__(self):
        self._item: Asked | None = None
        self._ready = asyncio.Event()

    def put(self, asked: Asked) -> None:
        self._item = asked
        self._ready.set()

    async def take(self) -> Asked:
        await self._ready.wait()
        self._ready.clear()
        drawing, self._item = self._item, None
        return drawing


def route(loader: Callable[[], ModelLoader], class_now: Callable[[], Shows] | None = None):
    """The channel's Starlette route; ``loader()`` gives the loader of the model that
    answers now, ``class_now()`` the running class and round as the pages record them
    (``class_events``); both are called off the event loop: they read the database."""
    from starlette.routing import WebSocketRoute

    events = None if class_now is None else ClassEvents(class_now, _POOL)

    async def endpoint(websocket) -> None:
        await serve(websocket, loader, events)

    return WebSocketRoute(PATH, endpoint)


def page_hosts(headers) -> list[str]:
    """Where a page of this server may come from: the Host it asked for, the hosts a
    proxy says it forwarded (X-Forwarded-Host), and the public address of the settings."""
    hosts = [headers.get("host", "")]
    hosts += headers.get("x-forwarded-host", "").split(",")
    public = settings.public_url()
    if public:
        hosts.append(urlsplit(public).netloc)
    return [h.strip() for h in hosts if h.strip()]


def message_limit() -> int:
    """The largest message a page may send: Streamlit's own for a widget's state."""
    from streamlit.runtime.runtime_util import get_max_widget_state_size_bytes

    return get_max_widget_state_size_bytes()


async def serve(websocket, loader: Callable[[], ModelLoader],
                events: ClassEvents | None = None) -> None:
    """One page's connection, from its opening to its end."""
    if not origin_allowed(websocket.headers.get("origin"), page_hosts(websocket.headers)):
        log.warning("hwr: answer channel refused: origin %r",
                    websocket.headers.get("origin"))
        await websocket.close(code=POLICY)
        return
    await websocket.accept()
    limit = message_limit()
    try:
        hello = await asyncio.wait_for(next_text(websocket), HELLO_SECONDS)
        session_id = verify(read_message(hello, limit).get("token"))
        if session_id is None:
            raise Refused(POLICY, "no valid token")
        if _OPEN[session_id] >= SESSION_CONNECTIONS:
            raise Refused(POLICY, "too many connections for one session")
        _OPEN[session_id] += 1
        try:
            await answer_until_closed(websocket, loader, limit, session_id, events)
        finally:
            _OPEN[session_id] -= 1
            if not _OPEN[session_id]:
                del _OPEN[session_id]
    except Refused as e:
        log.warning("hwr: answer channel closed: %s", e.reason)
        await websocket.close(code=e.code, reason=e.reason[:120])
    except asyncio.TimeoutError:
        await websocket.close(code=POLICY, reason="no token in time")
    except Closed:
        pass


async def next_text(websocket) -> str:
    """The page's next text message; a binary one is refused, a close ends the loop."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise Closed
    if message.get("text") is None:
        raise Refused(NOT_DATA, "a binary message")
    return message["text"]


async def answer_until_closed(websocket, loader: Callable[[], ModelLoader], limit: int,
                              session_id: str, events: ClassEvents | None = None) -> None:
    """Read drawings while another task answers the latest one; with ``events``, the
    page is told when the class changes from what it shows."""
    latest, pace, sending = Latest(), Pace(), asyncio.Lock()

    async def send(message: dict) -> None:  # the replies' task and the class's watch
        async with sending:
            await websocket.send_text(json.dumps(message))

    if events is not None:  # else the page goes on polling for the class's changes
        await send({"status": "ready"})
    watcher = Watcher(lambda: send({"event": "class"}))
    replies = asyncio.create_task(send_replies(websocket, send, latest, loader, session_id))
    try:
        while True:
            text = await next_text(websocket)
            if not pace.allow():
                raise Refused(POLICY, "too many messages")
            message = read_message(text, limit)
            if "shows" in message:
                try:
                    watcher.shows = read_shows(message["shows"])
                except ValueError as e:
                    raise Refused(BAD_DATA, str(e)) from None
                if events is not None:
                    events.add(watcher)
            else:
                latest.put(read_asked(message))
    finally:
        replies.cancel()
        if events is not None:
            events.discard(watcher)


async def send_replies(websocket, send, latest: Latest, loader: Callable[[], ModelLoader],
                       session_id: str) -> None:
    """Answer the waiting drawing, one at a time, in the shared pool. A reply that fails
    (a bug, the page gone mid-send) closes the connection: the canvas then sends its
    drawings to Streamlit at once rather than waiting for replies that never come."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            asked = await latest.take()
            if asked.drawing.partial and not LIVE_BUDGET.allow():
                continue  # the server's live answers are spent: the page keeps its last
            if asked.maps and asked.drawing.partial and not INSIDE_BUDGET.allow():
                asked = asked._replace(maps=False)  # the answer alone; the page keeps its maps
            reply = await loop.run_in_executor(_POOL, recognize, loader, asked, session_id)
            await send(reply)
    except Exception as e:  # noqa: BLE001 - whatever it is, this page uses Streamlit now
        log.warning("hwr: answer channel stopped answering: %r", e)
        with contextlib.suppress(Exception):  # the page may be gone already
            await websocket.close(code=INTERNAL)


def recognize(loader: Callable[[], ModelLoader], asked: Asked, session_id: str) -> dict:
    """The reply for a session's drawing, in a pool thread: its answer (kept for the
    page's run), as several digits if asked, with the pictures of its feature maps if
    asked; "warming_up" while the model loads; "unavailable" when it could not be
    loaded (the page then asks Streamlit, which says why)."""
    drawing = asked.drawing
    model = loader()
    if not model.ready:
        return warming_up(drawing)
    if model.error is not None:
        return unavailable(drawing)
    key = drawing_key(session_id, model.recognizer.model_dir, drawing, asked.number)
    if asked.number:
        number = model.recognizer.recognize_number(rasterize(drawing))
        _ANSWERED.put(key, number)
        return number_answer(drawing, number)
    result = model.recognizer.recognize(rasterize(drawing))
    _ANSWERED.put(key, result)
    reply = answer(drawing, result)
    if asked.maps and not result.is_empty:
        reply["maps"] = maps_addresses(model.recognizer.model, result.model_input)
    return reply


def maps_addresses(model, model_input) -> list[str]:
    """Each conv layer's feature maps, pictured as the page's "Inside the network" shows
    them (``hwr.pages.draw.inside_network``), as PNG data addresses in the layers'
    order."""
    from hwr.reading.explain import feature_maps, maps_picture  # TensorFlow: loaded by now

    return [picture_address(maps_picture(m)) for _, m in feature_maps(model, model_input)]
