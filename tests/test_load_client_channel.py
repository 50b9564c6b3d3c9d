"""The load client speaks the Draw page's answer channel as canvas.js does
(tests/support/load_client.py): against the app's own server, the pen-up's answer comes
over the channel and the drawing is reported to Streamlit after it; a channel that is
closed, or slow, sends the drawing to Streamlit at once. Against a small page that offers
the canvas what the Draw page offers in other states (a quiet channel, live answers over
the channel, no channel), the client does what canvas.js does there.

Each test starts a Streamlit server (seconds): marked slow, as the other
process-heavy tests are."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter

import pytest

from tests.support import load_client
from tests.support.browser import streamlit_server
from tests.support.files import REPO
from tests.support.load_client import CHANNEL, STREAMLIT, Student, run_async
from tests.support.strokes import DIGITS, PLACEMENTS, place

pytestmark = pytest.mark.slow

SEVEN = place(DIGITS[7][0], *PLACEMENTS[0])
FOUR = place(DIGITS[4][0], *PLACEMENTS[0])  # two strokes
MODEL_WAIT = 180.0  # s: a fresh server loads its model in the background

# A page that offers the canvas the channel as the query string asks: quiet=1|0 (no
# "quiet" key without it, as before the app had one), live=1, channel=0 (none). Its own
# answer is "page", so that a Streamlit answer is told from the channel's digit; it
# shows what reached Streamlit (seq -> [strokes, partial]) in .hwr-seen.
APP = """
import streamlit as st
from hwr.server import answer_channel, runtime_fixes

runtime_fixes.apply()


def loader():
    from hwr.pages.shared.model_loading import model_loader

    return model_loader()


app = st.App({page!r}, routes=[answer_channel.route(loader)])
"""
PAGE = """
import json

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from hwr.pages.components.canvas import draw_canvas
from hwr.server import answer_channel, channel_rules

query = st.query_params
channel = None
if query.get("channel", "1") == "1":
    channel = {"path": answer_channel.PATH, "lang": "en",
               "token": channel_rules.sign(get_script_run_ctx().session_id),
               "words": {"not_a_digit": "Not a digit"}}
    if "quiet" in query:
        channel["quiet"] = query["quiet"] == "1"
drawing = draw_canvas("canvas-digit", 280, 280, 18, 420, live=query.get("live") == "1",
                      channel=channel)
seen = st.session_state.setdefault("seen", {})
if drawing is not None:
    seen[str(drawing.seq)] = [len(drawing.strokes), drawing.partial]
    if not drawing.is_empty:
        st.markdown('<div class="hwr-answer">page</div>', unsafe_allow_html=True)
st.html('<div class="hwr-seen">' + json.dumps(seen) + '</div>')
"""
SEEN = re.compile(r'class="hwr-seen">([^<]*)<')


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app's own server (the Draw page), with a class database of its own."""
    state = tmp_path_factory.mktemp("load-channel")
    with streamlit_server(env={"HWR_CLASS_DB": str(state / "class.sqlite3"),
                               "HWR_MODEL_CACHE": str(state / "models")}, preloaded=True) as url:
        yield url


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    """The small page above, served with the app's channel route and model."""
    state = tmp_path_factory.mktemp("channel-page")
    (state / "page.py").write_text(PAGE)
    (state / "app.py").write_text(APP.format(page=str(state / "page.py")))
    with streamlit_server(state / "app.py", env={
            "PYTHONPATH": str(REPO),  # this checkout's hwr, from a script elsewhere
            "HWR_CLASS_DB": str(state / "class.sqlite3"),
            "HWR_MODEL_CACHE": str(state / "models")}) as url:
        yield url


async def channel_answers(s: Student, strokes=SEVEN) -> load_client.Reply:
    """Draw until the channel answers (its model loaded); the first such reply."""
    deadline = time.monotonic() + MODEL_WAIT
    while time.monotonic() < deadline:
        reply = await s.draw(strokes)
        if reply.transport == CHANNEL:
            return reply
        await s.clear()
        await asyncio.sleep(0.5)
    raise AssertionError(f"the channel never answered: {s.stats()}")


async def seen(s: Student) -> dict[str, list]:
    """What reached the small page through Streamlit: seq -> [strokes, partial]."""
    reply = await s.rerun(fragment=True)
    found = [match.group(1) for match in map(SEEN.search, reply.html) if match]
    assert found, reply.html
    return json.loads(found[-1])


def test_the_draw_page_answers_over_its_channel_and_quietly_with_no_class(app_url):
    async def scenario():
        async with Student(app_url, channel=True) as s:
            assert s.channel_info is not None and s.chan is not None
            reply = await channel_answers(s)

            reports = s.stats().get("reports", 0)
            await asyncio.sleep(load_client.REPORT_DELAY + 0.5)  # a report's, were there one
            quiet = s.quiet
            again = await s.draw(place(DIGITS[1][0], *PLACEMENTS[0]))
        stats = s.stats()  # the tab closed: what it was asked, reported
        async with Student(app_url) as old:  # the client before the channel
            before = await old.draw(SEVEN)
        return reply, reports, quiet, again, stats, before, old.stats()

    reply, reports, quiet, again, stats, before, old = run_async(scenario())
    assert (reply.answer, reply.transport, reply.finished) == ("7", CHANNEL, True)
    assert reply.channel_reply["status"] == "answer"
    assert reply.channel_reply["digit"] == 7
    assert reply.seconds < load_client.CHANNEL_WAIT
    # No class runs: the page is quiet, and nothing went to Streamlit after the answers,
    # nor when the tab closed (the other states, on the small page below).
    assert quiet
    assert stats.get("reports", 0) == reports
    assert (again.answer, again.transport) == ("1", CHANNEL)
    assert stats["channel_opened"] == 1 and stats.get("channel_closed", 0) == 0
    assert (before.answer, before.transport) == ("7", STREAMLIT)
    assert old["channel_offered"] == 1 and "channel_opened" not in old


def test_a_closed_or_slow_channel_sends_the_drawing_to_streamlit_at_once(app_url,
                                                                          monkeypatch):
    async def scenario():
        async with Student(app_url, channel=True) as s:
            await channel_answers(s)
            start = Counter(s.stats())
            await s.chan.close()  # the channel drops
            for _ in range(50):
                if s.chan is None:
                    break
                await asyncio.sleep(0.05)
            closed = await s.draw(SEVEN)  # within RECONNECT: not tried again yet
            monkeypatch.setattr(load_client, "RECONNECT", 0.2)
            await asyncio.sleep(0.3)
            reconnecting = await s.draw(SEVEN)  # starts the connection, not waited for
            for _ in range(100):
                if s.chan is not None:
                    break
                await asyncio.sleep(0.05)
            reopened = await s.draw(SEVEN)
            monkeypatch.setattr(load_client, "CHANNEL_WAIT", 0.0)  # no reply is in time
            slow = await s.draw(SEVEN)
            return closed, reconnecting, reopened, slow, Counter(s.stats()) - start

    closed, reconnecting, reopened, slow, stats = run_async(scenario())
    assert (closed.answer, closed.transport) == ("7", STREAMLIT)
    assert (reconnecting.answer, reconnecting.transport) == ("7", STREAMLIT)
    assert (reopened.answer, reopened.transport) == ("7", CHANNEL)
    assert (slow.answer, slow.transport) == ("7", STREAMLIT)
    assert stats["channel_closed"] == 1 and stats["channel_opened"] == 1
    assert stats["fallback_not_open"] == 2 and stats["fallback_timeout"] == 1


def test_a_quiet_channel_sends_streamlit_nothing_after_its_answer_nor_at_clear(page_url):
    async def scenario():
        async with Student(page_url, query="quiet=1", channel=True) as s:
            assert s.quiet
            reply = await channel_answers(s)
            before = await seen(s)
            await asyncio.sleep(load_client.REPORT_DELAY + 0.3)
            cleared = await s.clear()
            after = await seen(s)
            again = await s.draw(SEVEN)
            quiet = Counter(s.stats())
            s.query = "quiet=0"  # the page stops being quiet (as when a class starts)
            await seen(s)
            await s.flush()
            told = await seen(s)
            s.query = "quiet=1"
            await seen(s)
            await s.chan.close()  # quiet, but the channel is down: Clear tells the page
            for _ in range(50):
                if s.chan is None:
                    break
                await asyncio.sleep(0.05)
            down = await s.clear()
            return reply, before, cleared, after, again, quiet, told, down

    reply, before, cleared, after, again, quiet, told, down = run_async(scenario())
    assert (reply.answer, reply.transport) == ("7", CHANNEL)
    assert str(reply.channel_reply["seq"]) not in after  # never reported
    assert after == before and cleared.transport is None
    assert "reports" not in quiet and quiet["quiet_clears"] >= 1
    assert (again.answer, again.transport) == ("7", CHANNEL)
    assert str(again.channel_reply["seq"]) not in told  # sent anew: a new number
    assert [1, False] in [v for k, v in told.items() if int(k) > again.channel_reply["seq"]]
    assert down.transport == STREAMLIT and down.finished


def test_without_quiet_the_answered_drawing_is_reported_once(page_url):
    async def scenario():
        async with Student(page_url, query="quiet=0", channel=True) as s:
            reply = await channel_answers(s)
            early = await seen(s)
            await asyncio.sleep(load_client.REPORT_DELAY + 0.3)
            late = await seen(s)
            return reply, early, late

    reply, early, late = run_async(scenario())
    seq = str(reply.channel_reply["seq"])
    assert seq not in early  # the answer came first, without a script run
    assert late[seq] == [1, False]


def test_live_answers_go_over_the_channel_only(page_url):
    async def scenario():
        async with Student(page_url, query="live=1", channel=True) as s:
            assert s.live and s.channel_on
            await channel_answers(s)
            await s.clear()
            drawn = await s.draw_live(FOUR, stroke_seconds=0.6,
                                      interval=load_client.LIVE_INTERVAL)
            await s.flush()
            return drawn, await seen(s), s.stats()

    drawn, reached, stats = run_async(scenario())
    assert drawn.live_transport == CHANNEL
    assert (drawn.reply.answer, drawn.reply.transport) == ("4", CHANNEL)
    assert drawn.pen_ups == drawn.answered == 2
    assert drawn.live_delays and stats["partials_sent"] >= len(drawn.live_delays)
    assert stats["live_updates_over_channel"] >= len(drawn.live_delays)
    assert not any(partial for _, partial in reached.values())  # none to Streamlit
    assert [2, False] in reached.values()  # the finished drawing, reported


def test_a_page_without_a_channel_is_answered_through_streamlit(page_url):
    async def scenario():
        async with Student(page_url, query="channel=0", channel=True) as s:
            reply = await s.draw(SEVEN)
            cleared = await s.clear()
            return reply, cleared, s.stats(), s.chan

    reply, cleared, stats, chan = run_async(scenario())
    assert (reply.answer, reply.transport) == ("page", STREAMLIT)
    assert cleared.transport == STREAMLIT and cleared.finished
    assert chan is None and stats["channel_offered"] == 0
    assert "channel_opened" not in stats
