"""Live answers and spoken answers on the server's side (hwr.pages.draw.live), and the Draw
page answering partial drawings under Streamlit's AppTest."""

import dataclasses
import re
import time
import types

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hwr.pages.draw import live
from hwr.reading.recognizer import NumberRecognition, Recognition
from hwr.server.channel_rules import SharedPace
from tests.support.files import REPO
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place

APP = str(REPO / "hwr" / "pages" / "router.py")


def result(probabilities, not_a_digit=False) -> Recognition:
    return Recognition(False, np.zeros((28, 28), np.float32),
                       np.array(probabilities, np.float32), not_a_digit=not_a_digit)


def test_what_is_said_for_each_kind_of_answer():
    sure = result(np.eye(10)[7] * 0.97 + 0.003)
    assert live.spoken(sure) == "seven"
    unsure = result([0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0.45] + [0] * 0)
    assert live.spoken(unsure) == "not sure, maybe a seven"
    assert live.spoken(result(np.eye(10)[3], not_a_digit=True)) == \
        "that does not look like a digit"
    assert live.spoken(Recognition(True, np.zeros((28, 28)))) is None
    assert live.spoken(None) is None
    number = NumberRecognition([result(np.eye(10)[4]), result(np.eye(10)[2]),
                                result(np.eye(10)[1], not_a_digit=True)])
    assert live.spoken(number) == "four, two, not a digit"


def test_the_server_wide_budget_refills_at_its_rate():
    now = [100.0]
    budget = SharedPace(rate=10.0, burst=3.0, clock=lambda: now[0])
    assert [budget.allow() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.15  # one more token
    assert budget.allow() and not budget.allow()
    now[0] += 10  # never more than the burst
    assert sum(budget.allow() for _ in range(10)) == 3




def region(at: AppTest) -> str:
    """The answer's live region: its opening tag and answer."""
    for md in at.markdown:
        match = re.search(r'<div class="hwr-live"[^>]*>(?:<div[^>]*>)*([^<]*)<', md.value)
        if match:
            return match.group(0)
    raise AssertionError("no live region")


def partial(strokes, seq: int, drawing_id: int = 0):
    return dataclasses.replace(as_drawing(strokes, drawing_id=drawing_id), partial=True,
                               seq=seq)


def test_live_answers_are_off_by_default_and_on_in_presentation_mode(canvas):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert canvas.calls[-1]["live"] is False
    at.toggle(key="presentation").set_value(True).run()
    assert canvas.calls[-1]["live"] is True
    assert at.toggle(key="live_presentation").value is True
    at.toggle(key="live_presentation").set_value(False).run()
    assert canvas.calls[-1]["live"] is False
    at.toggle(key="presentation").set_value(False).run()
    at.toggle(key="live").set_value(True).run()
    assert canvas.calls[-1]["live"] is True


def test_a_partial_drawing_is_answered_busy_and_the_pen_up_one_is_kept(canvas):
    seven = place(DIGITS[7][0], *PLACEMENTS[0])
    canvas.drawing = partial([seven[0][:len(seven[0]) // 2]], seq=5)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    tag = region(at)
    assert 'aria-busy="true"' in tag and 'data-seq="5"' in tag and "data-partial" in tag
    # a partial drawing is not what the canvas gets back when it is shown anew
    assert at.session_state["hwr_drawing"].get("canvas-digit") is None
    canvas.drawing = dataclasses.replace(as_drawing(seven), seq=6)
    time.sleep(live.LIVE_INTERVAL)
    at.run()
    tag = region(at)
    assert 'aria-busy="false"' in tag and 'data-seq="6"' in tag and tag.endswith(">7<")
    assert at.session_state["hwr_drawing"]["canvas-digit"].seq == 6


def test_a_pen_up_drawing_never_waits_for_live_answers(canvas, monkeypatch):
    """Partial drawings have their own clock: the pen-up one right after is not paced."""
    import hwr.pages.draw.page as draw

    sleeps = []
    monkeypatch.setattr(draw, "time", types.SimpleNamespace(monotonic=time.monotonic,
                                                            sleep=sleeps.append))
    seven = place(DIGITS[7][0], *PLACEMENTS[0])
    canvas.drawing = partial([seven[0][:5]], seq=1)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    canvas.drawing = dataclasses.replace(as_drawing(seven), seq=2)
    at.run()
    assert sleeps == [] and 'data-seq="2"' in region(at)


@pytest.fixture
def session(monkeypatch):
    """answer_partial on a fake clock and session, with room in the server's budget;
    ``waiting``: what the browser has sent meanwhile (None, "partial" or "other")."""
    clock = types.SimpleNamespace(now=50.0, sleeps=[], waiting=None, on_sleep=None)

    def sleep(seconds):
        clock.sleeps.append(seconds)
        clock.now += seconds
        if clock.on_sleep:
            clock.on_sleep(clock)

    monkeypatch.setattr(live, "time", types.SimpleNamespace(monotonic=lambda: clock.now,
                                                            sleep=sleep))
    monkeypatch.setattr(live, "st", types.SimpleNamespace(session_state={}))
    monkeypatch.setattr(live, "_waiting", lambda: clock.waiting)
    monkeypatch.setattr(live, "LIVE_BUDGET", SharedPace(1000.0, 1000.0, lambda: clock.now))
    return clock


def test_the_canvas_pace_never_waits(session):
    for _ in range(10):
        assert live.answer_partial(first_of_drawing=False)
        session.now += 0.12  # the canvas sends one every 120 ms
    assert session.sleeps == []


def test_a_flood_of_partial_drawings_is_answered_at_the_session_pace(session):
    answered_at = []
    for n in range(20):  # one every 2 ms, each run as its own
        if live.answer_partial(first_of_drawing=n == 0):
            answered_at.append(session.now)
        session.now += 0.002
    assert len(answered_at) == 20
    assert np.diff(answered_at).min() >= live.LIVE_INTERVAL - 1e-9


def test_a_pen_up_ends_the_wait_at_once(session):
    assert live.answer_partial(first_of_drawing=True)
    session.now += 0.01
    session.on_sleep = lambda c: setattr(c, "waiting", "other")  # the pen goes up
    assert not live.answer_partial(first_of_drawing=False)
    assert sum(session.sleeps) <= 0.01 + 1e-9  # one 10 ms slice, not the whole wait


def test_more_of_the_stroke_is_folded_in_not_answered_stale(session):
    assert live.answer_partial(first_of_drawing=True)
    session.now += 0.2
    session.waiting = "partial"  # a newer partial drawing waits: that one is answered
    assert not live.answer_partial(first_of_drawing=False)
    assert session.sleeps == []


def test_a_busy_server_thins_live_answers_and_the_runs_of_a_session(session, monkeypatch):
    monkeypatch.setattr(live, "LIVE_BUDGET", SharedPace(1.0, 1.0, lambda: session.now))
    assert live.answer_partial(first_of_drawing=False)
    session.now += 0.12
    assert not live.answer_partial(first_of_drawing=False)  # thinned out, after a wait
    assert abs(sum(session.sleeps) - live.LIVE_BUSY_WAIT) < 0.011
    session.sleeps.clear()
    assert live.answer_partial(first_of_drawing=True)  # a new drawing's first: answered
    session.now += 0.12
    session.on_sleep = lambda c: setattr(c, "waiting", "other")
    assert not live.answer_partial(first_of_drawing=False)  # a pen-up ends the busy wait
    assert sum(session.sleeps) <= 0.01 + 1e-9


def test_what_waits_is_read_from_streamlits_requests(monkeypatch):
    """The pen-up/partial distinction, on Streamlit's own request objects."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates
    from streamlit.runtime.scriptrunner_utils.script_requests import (
        RerunData,
        ScriptRequests,
    )

    requests = ScriptRequests()
    monkeypatch.setattr(
        "streamlit.runtime.scriptrunner_utils.script_run_context.get_script_run_ctx",
        lambda: types.SimpleNamespace(script_requests=requests))
    assert live._waiting() is None

    def sent(drawing: str):
        states = WidgetStates()
        states.widgets.add(id="toggle", bool_value=True)
        states.widgets.add(id="canvas", json_value=f'{{"drawing":{drawing}}}')
        return RerunData(widget_states=states)

    requests.request_rerun(sent('{"id":0,"strokes":[],"seq":4,"partial":true}'))
    assert live._waiting() == "partial"
    requests.request_rerun(sent('{"id": 0, "strokes": [], "seq": 4, "partial": true}'))
    assert live._waiting() == "partial"  # however the client spaces its JSON
    requests.request_rerun(sent('{"id":0,"strokes":[],"seq":5}'))
    assert live._waiting() == "other"


def test_inside_the_network_follows_live_answers_in_presentation_mode_only(canvas,
                                                                         monkeypatch):
    import hwr.reading.explain as explain_module

    explained = []
    real = explain_module.explain
    monkeypatch.setattr(explain_module, "explain",
                        lambda model, image: explained.append(1) or real(model, image))
    seven = place(DIGITS[7][0], *PLACEMENTS[0])
    canvas.drawing = as_drawing(seven)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.toggle(key="inside").set_value(True).run()
    assert len(explained) == 1
    canvas.drawing = partial([seven[0][:6]], seq=3, drawing_id=1)
    at.run()
    assert not at.exception and len(explained) == 1  # the last one shown again
    at.toggle(key="presentation").set_value(True).run()
    time.sleep(live.LIVE_INTERVAL)
    canvas.drawing = partial([seven[0][:8]], seq=4, drawing_id=1)
    at.run()
    assert not at.exception and len(explained) >= 2  # live, in presentation mode
