"""The answer channel's rules, apart from any server, so each is tested on its own.

The Draw page's canvas asks for its answers over a WebSocket of hwr's own
(``hwr.server.answer_channel``) rather than through a Streamlit script run. That route
is a door beside Streamlit's, and it keeps Streamlit's rules:

- The page's own origin only: a page of another site cannot open it in a student's
  browser (``origin_allowed``; the proxy's public address is the Host it forwards).
- A token the page got from its Streamlit session (``sign``/``verify``): an HMAC of the
  session's id and an expiry, with a secret drawn when the server starts. Someone who
  can reach the port but has no page of this server has no token; a token outlives no
  restart of the server (a page reconnecting after one uses the Streamlit path until
  its next run hands it a new token).
- The message size Streamlit allows a widget (``server.maxWidgetStateSize``) and the
  drawing's own limits (``hwr.reading.drawing``: ``MAX_POINTS``, ...): ``read_drawing``.
- A per-connection pace (``Pace``): a page that floods is closed; other pages never
  wait for it.

The replies (``answer``, ``warming_up``) carry what the answer panel draws: the
probabilities, the 28x28 input as a PNG, "not a digit" and "not sure".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import math
import secrets
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

from hwr.reading.drawing import Drawing, parse_drawing
from hwr.reading.outputs import is_unsure, runner_up
from hwr.reading.preprocess import InvalidImageError
from hwr.reading.recognizer import NumberRecognition, Recognition

TOKEN_SECONDS = 3600  # a token's life; the page gets a new one at each of its runs
TOKEN_STEP = 600  # expiries are rounded up to this: one token per session per step, so
# that the page's runs hand the canvas the same data (no new message for the browser)
MESSAGES_PER_SECOND = 20.0  # a page sends ~8 live drawings a second, a pen-up at most
MESSAGE_BURST = 40.0  # ... a few more right after a burst of taps
SECRET = secrets.token_bytes(32)  # drawn once per server process


class Refused(Exception):
    """A message the channel will not answer: the WebSocket close code and a reason."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


# WebSocket close codes (RFC 6455, section 7.4.1)
POLICY = 1008  # a wrong origin, a bad token, a flood
TOO_BIG = 1009
NOT_DATA = 1003  # a binary frame: the channel speaks JSON text
BAD_DATA = 1007  # not JSON, or not a drawing
INTERNAL = 1011  # the server failed to answer


def _mac(session_id: str, expiry: int, secret: bytes) -> str:
    digest = hmac.new(secret, f"{session_id}|{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(session_id: str, now: float | None = None, secret: bytes = SECRET) -> str:
    """The token a session's page shows the channel: ``<session>.<expiry>.<mac>``."""
    now = time.time() if now is None else now
    expiry = int(math.ceil((now + TOKEN_SECONDS) / TOKEN_STEP) * TOKEN_STEP)
    return f"{session_id}.{expiry}.{_mac(session_id, expiry, secret)}"


def verify(token: object, now: float | None = None, secret: bytes = SECRET) -> str | None:
    """The session id a token was signed for, or None: not a token, expired, or signed
    with another secret (another server, or this one before a restart)."""
    if not isinstance(token, str) or len(token) > 200 or token.count(".") != 2:
        return None
    session_id, expiry, mac = token.split(".")
    if not expiry.isdigit() or not hmac.compare_digest(mac, _mac(session_id, int(expiry),
                                                                 secret)):
        return None
    now = time.time() if now is None else now
    return session_id if int(expiry) > now else None


def origin_allowed(origin: str | None, hosts: Iterable[str | None]) -> bool:
    """Whether a WebSocket's Origin is the page's own: its host and port are one of
    ``hosts`` (the Host the request came to, the X-Forwarded-Host a proxy set, the
    public address of ``HWR_PUBLIC_URL``).

    Unlike Streamlit's own socket, a request without an Origin is refused: every
    browser sends one, and the canvas is the only client this route serves."""
    if not origin:
        return False
    try:
        netloc = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    return bool(netloc) and any(h and netloc == h.strip().lower() for h in hosts)


class Pace:
    """A connection's messages a second (a token bucket): ``allow()`` is False once a
    page sends faster than ``rate`` for longer than ``burst`` messages."""

    def __init__(self, rate: float = MESSAGES_PER_SECOND, burst: float = MESSAGE_BURST,
                 clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.at = burst, clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class SharedPace:
    """A ``Pace`` shared by threads (the pages' script threads, the channel's loop)."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self._pace = Pace(rate, burst, clock)
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            return self._pace.allow()


LIVE_PER_SECOND = 30.0  # live recognitions a second, the whole server, both paths
LIVE_BURST = 10.0
# Live answers the server affords: a partial drawing beyond them is not recognized (the
# page keeps its last live answer); pen-ups never wait for it.
LIVE_BUDGET = SharedPace(LIVE_PER_SECOND, LIVE_BURST)


def read_message(text: str, limit: int) -> dict:
    """A client's text message (at most ``limit`` bytes) as a JSON object; refused
    otherwise."""
    if len(text) > limit or len(text.encode("utf-8")) > limit:
        raise Refused(TOO_BIG, f"a message over {limit} bytes")
    try:
        message = json.loads(text)
    except ValueError:
        raise Refused(BAD_DATA, "not JSON") from None
    if not isinstance(message, dict):
        raise Refused(BAD_DATA, "not a JSON object")
    return message


def read_drawing(message: dict) -> Drawing:
    """``{"drawing": <the canvas's payload>}`` -> the drawing, within the canvas's
    limits (``hwr.reading.drawing.parse_drawing``); refused otherwise."""
    try:
        return parse_drawing(message.get("drawing"))
    except InvalidImageError as e:
        raise Refused(BAD_DATA, str(e)) from None


def _heading(drawing: Drawing, status: str) -> dict:
    return {"status": status, "id": drawing.id, "seq": drawing.seq,
            "partial": drawing.partial}


def warming_up(drawing: Drawing) -> dict:
    """The reply while the model still loads: the page says so, as the Draw page does."""
    return _heading(drawing, "warming_up")


def unavailable(drawing: Drawing) -> dict:
    """The reply when the model could not be loaded: the page asks Streamlit, whose
    page says why (to the teacher in detail)."""
    return _heading(drawing, "unavailable")


INSIDE_PER_SECOND = 10.0  # pictures of the feature maps a second, the whole server
INSIDE_BURST = 4.0
# "Inside the network" open in presentation mode: the feature maps of the drawing under
# way go with a live answer within this budget (about 8 ms each here, benchmarks/
# inside_maps.py); beyond it the live answer goes alone and the page keeps its maps.
INSIDE_BUDGET = SharedPace(INSIDE_PER_SECOND, INSIDE_BURST)


def png_address(image: np.ndarray) -> str:
    """A [0, 1] image as a PNG data address. Written here rather than taken from
    ``hwr.class_data``: that import (SQLAlchemy) would cost the server's start 0.2 s."""
    return picture_address(
        Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)))


def picture_address(picture: Image.Image) -> str:
    """A picture as a PNG data address (fastest compression: it is sent once)."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def answer(drawing: Drawing, result: Recognition) -> dict:
    """The reply for a recognized drawing: what the answer panel draws.

    ``empty`` (nothing the network can read: ``message`` says why, an N_-marked
    sentence the page translates) or the digit, the ten probabilities, "not a digit",
    "not sure" with the runner-up, and the 28x28 input as a PNG data address."""
    if result.is_empty:
        return {**_heading(drawing, "empty"), "message": result.message}
    return {**_heading(drawing, "answer"), **digit_fields(result)}


def number_answer(drawing: Drawing, result: NumberRecognition) -> dict:
    """The reply for several digits (``"number": true``): ``empty`` when no part was
    found (the panel says what to do), else the digits read left to right (``text``,
    "?" for a part that is no digit) and each part's own fields, as ``answer``'s."""
    if result.is_empty:
        return {**_heading(drawing, "empty"), "number": True, "message": None}
    return {**_heading(drawing, "answer"), "number": True, "text": result.text,
            "digits": [digit_fields(part) for part in result.digits]}


def digit_fields(result: Recognition) -> dict:
    """One digit's answer: the digit, the ten probabilities, "not a digit", "not sure"
    with the runner-up, and the 28x28 input as a PNG data address."""
    second, second_probability = runner_up(result.probabilities)
    return {"digit": result.digit,
            "probabilities": [round(float(p), 4) for p in
                              np.asarray(result.probabilities, np.float64)],
            "not_a_digit": result.not_a_digit,
            "unsure": is_unsure(result.probabilities),
            "runner_up": second, "runner_up_probability": round(second_probability, 4),
            "model_input": png_address(result.model_input)}
