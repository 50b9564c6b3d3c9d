"""The answer channel's rules (``hwr.server.channel_rules``) and one connection's course
(``hwr.server.answer_channel.serve``) on a stand-in WebSocket: no server, no browser.
The route inside a real server and a real Chromium: tests/e2e/test_answer_channel.py."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading

import numpy as np
import pytest
from PIL import Image

from hwr.reading.drawing import MAX_POINTS, parse_drawing, rasterize
from hwr.reading.recognizer import Recognition
from hwr.server import answer_channel, channel_rules
from hwr.server.channel_rules import (
    BAD_DATA,
    NOT_DATA,
    POLICY,
    TOO_BIG,
    Pace,
    Refused,
    origin_allowed,
    read_drawing,
    read_message,
    sign,
    verify,
)
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place

NOW = 1_800_000_100.0  # inside a token step
SEVEN = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=4)
SEVEN_IMAGE = rasterize(parse_drawing(SEVEN.to_payload()))  # as the channel reads it


def seven(seq: int = 1, partial: bool = False) -> dict:
    return {"drawing": {**SEVEN.to_payload(), "seq": seq, "partial": partial}}


# --- the token --------------------------------------------------------------------------

def test_a_token_names_its_session_until_it_expires():
    token = sign("session-1", now=NOW)
    assert verify(token, now=NOW) == "session-1"
    assert verify(token, now=NOW + channel_rules.TOKEN_SECONDS - 1) == "session-1"
    assert verify(token, now=NOW + channel_rules.TOKEN_SECONDS + channel_rules.TOKEN_STEP) \
        is None


def test_a_session_gets_one_token_for_many_runs():
    """Its page's runs hand the canvas the same data: no new message to the browser."""
    assert sign("s", now=NOW) == sign("s", now=NOW + 1) == sign("s", now=NOW + 59)


@pytest.mark.parametrize("forged", [
    None, "", 7, "session-1", "a.b", "a.b.c.d", "x" * 500,
    "session-2.{expiry}.{mac}",  # another session's name on session-1's signature
    "session-1.{later}.{mac}",  # a longer life on the same signature
])
def test_a_forged_or_altered_token_is_refused(forged):
    token = sign("session-1", now=NOW)
    _, expiry, mac = token.split(".")
    if isinstance(forged, str):
        forged = forged.format(expiry=expiry, mac=mac, later=int(expiry) + 10**6)
    assert verify(forged, now=NOW) is None


def test_another_servers_token_is_refused():
    token = sign("session-1", now=NOW, secret=b"another server's secret")
    assert verify(token, now=NOW) is None


# --- the origin -------------------------------------------------------------------------

@pytest.mark.parametrize("origin, hosts, allowed", [
    ("http://127.0.0.1:8501", ["127.0.0.1:8501"], True),
    ("https://hwr.school.example", ["127.0.0.1:8501", "hwr.school.example"], True),
    ("https://HWR.school.example", ["hwr.school.example"], True),
    ("http://127.0.0.1:8502", ["127.0.0.1:8501"], False),  # another port: another site
    ("https://evil.example", ["127.0.0.1:8501"], False),
    ("https://hwr.school.example.evil.example", ["hwr.school.example"], False),
    ("null", ["127.0.0.1:8501"], False),  # a sandboxed frame, a file
    (None, ["127.0.0.1:8501"], False),  # no browser omits it
    ("http://127.0.0.1:8501", [], False),
])
def test_only_the_pages_own_origin_may_connect(origin, hosts, allowed):
    assert origin_allowed(origin, hosts) is allowed


def test_the_proxys_forwarded_host_and_the_public_address_are_the_pages(monkeypatch):
    monkeypatch.setenv("HWR_PUBLIC_URL", "https://hwr.school.example/")
    headers = {"host": "127.0.0.1:8501", "x-forwarded-host": "proxy.example:8443, x"}
    assert answer_channel.page_hosts(headers) == [
        "127.0.0.1:8501", "proxy.example:8443", "x", "hwr.school.example"]


# --- messages ---------------------------------------------------------------------------

def test_a_message_over_the_limit_is_refused_by_its_bytes():
    with pytest.raises(Refused) as refused:
        read_message(json.dumps({"drawing": "é" * 600}), limit=1000)  # 1,200 bytes
    assert refused.value.code == TOO_BIG
    assert read_message('{"token": "t"}', limit=1000) == {"token": "t"}


@pytest.mark.parametrize("text", ["\x00\xff garbage", "[1, 2]", "7", '"drawing"', "{"])
def test_a_message_that_is_no_json_object_is_refused(text):
    with pytest.raises(Refused) as refused:
        read_message(text, limit=1000)
    assert refused.value.code == BAD_DATA


def test_a_drawing_keeps_the_canvas_limits():
    assert read_drawing(seven(seq=5)).seq == 5
    too_many = {"id": 1, "width": 280, "height": 280,
                "strokes": [[10] + [1.0] * (2 * MAX_POINTS + 2)]}
    for message in ({"drawing": too_many}, {}, {"drawing": "7"}, {"token": "t"}):
        with pytest.raises(Refused) as refused:
            read_drawing(message)
        assert refused.value.code == BAD_DATA


def test_a_connection_that_floods_is_stopped_and_one_that_paces_is_not():
    now = [0.0]
    pace = Pace(rate=20, burst=40, clock=lambda: now[0])
    assert all(pace.allow() for _ in range(40))  # a burst
    assert not pace.allow()  # then flooding
    now[0] += 1.0
    assert sum(pace.allow() for _ in range(100)) == 20  # one second's worth, no more
    steady = Pace(rate=20, burst=40, clock=lambda: now[0])
    for _ in range(600):  # the canvas's pace: a live drawing every 120 ms, a minute
        now[0] += 0.12
        assert steady.allow()


# --- replies ----------------------------------------------------------------------------

def test_an_answer_says_what_the_panel_draws():
    probabilities = np.array([0.01, 0.02, 0.05, 0.02, 0.0, 0.0, 0.0, 0.55, 0.05, 0.30],
                             np.float32)
    result = Recognition(False, np.full((28, 28), 0.5, np.float32), probabilities)
    reply = channel_rules.answer(parse_drawing(seven(seq=9)["drawing"]), result)
    assert reply["status"] == "answer" and reply["seq"] == 9 and reply["id"] == 4
    assert reply["digit"] == 7 and len(reply["probabilities"]) == 10
    assert reply["unsure"] and reply["runner_up"] == 9 and not reply["not_a_digit"]
    assert reply["model_input"].startswith("data:image/png;base64,")
    json.dumps(reply)  # all of it JSON


def test_an_empty_recognition_says_why():
    result = Recognition(True, np.zeros((28, 28), np.float32), message="Nothing drawn")
    reply = channel_rules.answer(parse_drawing(seven()["drawing"]), result)
    assert reply["status"] == "empty" and reply["message"] == "Nothing drawn"


# --- one connection ---------------------------------------------------------------------

class Loader:
    """A stand-in for the model's loader: ready with a recognizer, or still loading."""

    def __init__(self, recognizer=None, ready=True, error=None):
        self.recognizer, self.ready, self.error = recognizer, ready, error


class Socket:
    """A stand-in for Starlette's WebSocket: the page's messages in, what it got out."""

    def __init__(self, messages, origin="http://127.0.0.1:8501", host="127.0.0.1:8501",
                 read_replies=True):
        self.headers = {"origin": origin, "host": host}
        self.incoming = list(messages)
        self.sent, self.accepted, self.closed, self.ready = [], False, None, False
        self.read_replies = read_replies
        self.all_sent = asyncio.Event()

    async def accept(self):
        self.accepted = True

    async def receive(self):
        await asyncio.sleep(0)
        if not self.incoming:
            await self.all_sent.wait()  # the page waits for its answers, then leaves
            return {"type": "websocket.disconnect"}
        item = self.incoming.pop(0)
        if isinstance(item, bytes):
            return {"type": "websocket.receive", "bytes": item}
        return {"type": "websocket.receive",
                "text": item if isinstance(item, str) else json.dumps(item)}

    async def send_text(self, text):
        message = json.loads(text)
        if message == {"status": "ready"}:  # the token taken (a few bytes: buffered)
            self.ready = True
            return
        if not self.read_replies:
            await asyncio.Event().wait()  # a page that never reads: the send never ends
        self.sent.append(message)
        self.all_sent.set()

    async def close(self, code=1000, reason=""):
        self.closed = code
        self.all_sent.set()


def run_apart(coroutine) -> None:
    """Run a coroutine to its end on an event loop of its own thread: a browser test
    earlier in this worker leaves Playwright's loop running on the main thread, where
    ``asyncio.run`` refuses to start another."""
    failure = []

    def main():
        try:
            asyncio.run(coroutine)
        except BaseException as e:  # noqa: BLE001 - raised again on the test's thread
            failure.append(e)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def connect(socket, loader, timeout=5.0) -> Socket:
    async def run():
        await asyncio.wait_for(answer_channel.serve(socket, lambda: loader), timeout)
    run_apart(run())
    return socket


def hello(session="session-1"):
    return {"token": sign(session)}


def test_a_drawing_is_answered_by_the_model_that_answers(recognizer):
    socket = connect(Socket([hello(), seven(seq=3)]), Loader(recognizer))
    assert socket.accepted and socket.closed is None
    [reply] = socket.sent
    assert reply["status"] == "answer" and reply["digit"] == 7 and reply["seq"] == 3


def test_a_loading_model_says_warming_up():
    socket = connect(Socket([hello(), seven()]), Loader(ready=False))
    assert [r["status"] for r in socket.sent] == ["warming_up"]


def test_a_model_that_could_not_load_sends_the_page_to_streamlit():
    socket = connect(Socket([hello(), seven()]), Loader(error=RuntimeError("gone")))
    assert [r["status"] for r in socket.sent] == ["unavailable"]


def test_another_origin_is_refused_before_the_connection_opens():
    socket = connect(Socket([hello(), seven()], origin="https://evil.example"), Loader())
    assert not socket.accepted and socket.closed == POLICY and socket.sent == []


@pytest.mark.parametrize("first", [
    {"token": "forged.1.x"}, {"drawing": seven()["drawing"]}, "not json", b"\x00\x01"])
def test_without_a_valid_token_first_nothing_is_answered(first):
    socket = connect(Socket([first, seven()]), Loader())
    assert socket.closed in (POLICY, BAD_DATA, NOT_DATA) and socket.sent == []


def test_an_oversized_message_closes_the_connection(monkeypatch):
    monkeypatch.setattr(answer_channel, "message_limit", lambda: 10_000)
    big = {"drawing": {**seven()["drawing"], "strokes": [[10] + [5.0] * 4000]}}
    socket = connect(Socket([hello(), big, seven()]), Loader())
    assert socket.closed == TOO_BIG and socket.sent == []


def test_random_bytes_close_the_connection():
    socket = connect(Socket([hello(), b"\x89PNG\x00\xff" * 100]), Loader())
    assert socket.closed == NOT_DATA


def test_a_flood_closes_its_connection():
    flood = [seven(seq=n) for n in range(1, 200)]
    socket = connect(Socket([hello(), *flood]), Loader(ready=False))
    assert socket.closed == POLICY
    seqs = [reply["seq"] for reply in socket.sent]  # in order; the waiting one replaced
    assert seqs == sorted(seqs) and len(seqs) < channel_rules.MESSAGE_BURST


def test_a_page_that_never_reads_holds_one_drawing_at_most(monkeypatch):
    """The reply that cannot be sent blocks that page's sender only; what the page sends
    meanwhile replaces the one waiting drawing: nothing piles up."""
    sends = [seven(seq=n) for n in range(1, 30)]
    socket = Socket([hello(), *sends], read_replies=False)
    latest_seen = []
    original = answer_channel.Latest.put

    def put(self, drawing):
        original(self, drawing)
        latest_seen.append(self._item[0].seq)

    monkeypatch.setattr(answer_channel.Latest, "put", put)

    async def run():
        task = asyncio.create_task(answer_channel.serve(socket, lambda: Loader(ready=False)))
        await asyncio.sleep(0.5)
        task.cancel()
    run_apart(run())
    assert latest_seen == list(range(1, 30))  # every drawing read, each replacing the last
    assert socket.sent == []


def test_recognition_runs_off_the_event_loop(recognizer):
    threads = []

    class Watched(Loader):
        @property
        def recognizer(self):
            threads.append(threading.current_thread().name)
            return recognizer

        @recognizer.setter
        def recognizer(self, value):
            pass

    connect(Socket([hello(), seven()]), Watched())
    assert threads and all(name.startswith("hwr-answer") for name in threads)


def test_the_pages_run_finds_what_the_channel_answered_for_its_session_only(recognizer):
    drawing = parse_drawing(seven(seq=3)["drawing"])
    connect(Socket([hello("session-a"), seven(seq=3)]), Loader(recognizer))
    found = answer_channel.answered("session-a", recognizer.model_dir, drawing)
    assert found is not None and found.digit == 7
    assert answer_channel.answered("session-b", recognizer.model_dir, drawing) is None
    assert answer_channel.answered("session-a", "another/model", drawing) is None
    more = parse_drawing({**seven()["drawing"], "strokes": [[18, 10, 10, 200, 200]]})
    assert answer_channel.answered("session-a", recognizer.model_dir, more) is None


def test_the_answers_kept_are_bounded():
    kept = answer_channel.Answered(size=3)
    for n in range(5):
        kept.put(("s", n), n)
    assert [kept.get(("s", n)) for n in range(5)] == [None, None, 2, 3, 4]


def test_a_session_holds_a_few_connections_at_most():
    """More connections would multiply a session's pace; other sessions are unaffected,
    and a closed connection makes room again."""
    def waiting():
        return Loader(ready=False)

    async def run():
        held = [Socket([hello("s")]) for _ in range(answer_channel.SESSION_CONNECTIONS)]
        extra, other = Socket([hello("s")]), Socket([hello("t")])
        tasks = [asyncio.create_task(answer_channel.serve(s, waiting)) for s in held]
        await asyncio.sleep(0.05)
        tasks += [asyncio.create_task(answer_channel.serve(s, waiting)) for s in (extra, other)]
        await asyncio.sleep(0.05)
        assert extra.closed == POLICY and other.closed is None
        assert all(s.closed is None for s in held)
        for socket in (*held, other):
            socket.all_sent.set()  # the pages leave
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        again = Socket([hello("s"), seven()])
        await asyncio.wait_for(answer_channel.serve(again, waiting), 5)
        assert again.closed is None and again.sent[0]["status"] == "warming_up"
    run_apart(run())
    assert not answer_channel._OPEN


def test_a_failing_recognition_closes_the_connection():
    """The canvas then asks Streamlit at once, rather than waiting for each reply."""
    class Broken(Loader):
        @property
        def ready(self):
            raise RuntimeError("a bug")

        @ready.setter
        def ready(self, value):
            pass

    socket = connect(Socket([hello(), seven()]), Broken())
    assert socket.closed == answer_channel.INTERNAL and socket.sent == []


# --- the feature maps, with "Inside the network" open in presentation mode ---------------

def with_maps(message: dict) -> dict:
    return {**message, "maps": True}


def test_a_drawing_asked_with_its_maps_gets_the_pictures_the_page_shows(recognizer):
    from hwr.reading.explain import explain, maps_picture

    socket = connect(Socket([hello(), with_maps(seven())]), Loader(recognizer))
    [reply] = socket.sent
    result = recognizer.recognize(SEVEN_IMAGE)
    layers = explain(recognizer.model, result.model_input).activations  # the page's path
    assert len(reply["maps"]) == len(layers) >= 2
    for address, (_, maps) in zip(reply["maps"], layers):
        assert address.startswith("data:image/png;base64,")
        sent = np.asarray(Image.open(io.BytesIO(base64.b64decode(address.split(",", 1)[1]))))
        shown = np.asarray(maps_picture(maps))
        assert sent.shape == shown.shape
        assert np.abs(sent.astype(int) - shown.astype(int)).max() <= 1


def test_maps_only_when_asked_and_a_partial_s_only_within_the_budget(recognizer,
                                                                      monkeypatch):
    monkeypatch.setattr(answer_channel, "INSIDE_BUDGET", channel_rules.SharedPace(0.0, 0.0))
    plain = connect(Socket([hello(), seven()]), Loader(recognizer))
    assert "maps" not in plain.sent[0]
    spent = connect(Socket([hello(), with_maps(seven(seq=2, partial=True))]),
                    Loader(recognizer))
    assert spent.sent[0]["status"] == "answer" and "maps" not in spent.sent[0]
    pen_up = connect(Socket([hello(), with_maps(seven(seq=3))]), Loader(recognizer))
    assert len(pen_up.sent[0]["maps"]) >= 2  # a pen-up's never waits for the budget


# --- several digits --------------------------------------------------------------------

def test_several_digits_are_read_as_a_number_and_kept_for_the_page(recognizer):
    strokes = []
    for i, digit in enumerate((2, 0, 7)):
        strokes += place(DIGITS[digit][0], 40 + i * 200, 30, 160)
    number = as_drawing(strokes, width=640, height=240, drawing_id=9)
    message = {"drawing": {**number.to_payload(), "seq": 5, "partial": False}, "number": True}
    socket = connect(Socket([hello("session-n"), message]), Loader(recognizer))
    [reply] = socket.sent
    assert reply["status"] == "answer" and reply["number"] and reply["seq"] == 5
    assert reply["text"] == "207" and [d["digit"] for d in reply["digits"]] == [2, 0, 7]
    assert all(len(d["probabilities"]) == 10 and d["model_input"].startswith("data:image/png")
               for d in reply["digits"])
    drawing = parse_drawing(message["drawing"])
    kept = answer_channel.answered("session-n", recognizer.model_dir, drawing, number=True)
    assert kept is not None and kept.text == "207"  # the page's run shows it, not again
    assert answer_channel.answered("session-n", recognizer.model_dir, drawing) is None


def test_a_number_canvas_with_no_part_is_empty(recognizer):
    blank = as_drawing([], width=640, height=240, drawing_id=2)
    socket = connect(Socket([hello(), {"drawing": blank.to_payload(), "number": True}]),
                     Loader(recognizer))
    assert [(r["status"], r["number"]) for r in socket.sent] == [("empty", True)]
