"""Live answers while a stroke is drawn, and the answer said aloud.

Live answers: the server answers partial drawings (issue 30's design (a)). With live
answers on, the canvas sends the drawing so far every 120 ms while a stroke is drawn,
marked partial, and the whole drawing at pen-up as without them (``canvas.js``). Here:

- A pen-up drawing is answered as before (``draw.pace``), on its own clock: partial
  drawings never make it wait, and a pen-up that arrives while a partial one is being
  answered interrupts that run (Streamlit reruns with the newest drawing).
- A session's partial drawings are answered at most every ``LIVE_INTERVAL``. The canvas
  sends them further apart than that, so an honest page never waits; a page that sends
  them faster is answered with what it showed last, and one that keeps on (a flood,
  ``FLOOD_EARLY`` early messages in a second) waits in its own script thread, as a
  pen-up flood does, so it cannot make the server run its script hundreds of times a
  second.
- Server-wide, at most ``LIVE_PER_SECOND`` partial drawings are recognized each second
  (a token bucket); beyond that a partial drawing is answered with what its page
  showed last. A busy class gets fewer live updates; every pen-up is still answered.

Speaking: ``speech.js`` is the "Say the answer" switch and the voice; the page gives it
what to say for each answer, and it says a pen-up answer once the pen has been up for a
moment, once per drawing, with a voice installed on the device.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import streamlit as st

from hwr.reading.recognizer import NumberRecognition, Recognition

LIVE_INTERVAL = 0.08  # s between two live answers of one session (the canvas: 0.12 s)
FLOOD_EARLY = 4  # early partial drawings in a second that make a session a flood
LIVE_PER_SECOND = 60.0  # live recognitions a second, the whole server
LIVE_BURST = 10.0
LIVE_LAST = "hwr_live_last"  # time.monotonic() of this session's last live answer
LIVE_EARLY = "hwr_live_early"  # when its recent early partial drawings came
LIVE_KEY, LIVE_PRESENTATION_KEY = "live", "live_presentation"
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
               "nine")
NOT_A_DIGIT_SAID = "that does not look like a digit"

_HERE = Path(__file__).resolve().parent
SPEECH_CSS = """
.hwr-say { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; min-height: 2.5rem; }
.hwr-say input { width: 1.15rem; height: 1.15rem; margin: 0; accent-color: #1c6fd1; cursor: pointer; }
.hwr-say input:disabled, .hwr-say input:disabled + label { cursor: default; }
.hwr-say input:focus-visible { outline: 3px solid #1c6fd1; outline-offset: 2px; }
.hwr-say label { cursor: pointer; }
.hwr-say-note { font-size: 0.85rem; }
"""
_speech = st.components.v2.component(
    "hwr.speech",
    js=(_HERE / "speech.js").read_text(encoding="utf-8"),
    css=SPEECH_CSS,
    isolate_styles=False,
)


class _Budget:
    """A token bucket shared by every session: live recognitions the server affords."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


_BUDGET = _Budget(LIVE_PER_SECOND, LIVE_BURST)


def _rerun_waiting() -> bool:
    """Whether the browser has sent something newer (a rerun waits for this run).

    Streamlit 1.67 keeps it in ScriptRequests._state; if that is not there, False: the
    wait then runs its course (at most LIVE_INTERVAL)."""
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    requests = getattr(ctx, "script_requests", None)
    return getattr(requests, "_state", None) == ScriptRequestType.RERUN


def _sleep_unless_rerun(seconds: float) -> bool:
    """Sleep, unless something newer arrives meanwhile (False then)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if _rerun_waiting():
            return False
        time.sleep(min(left, 0.01))
    return True


def answer_partial(first_of_drawing: bool) -> bool:
    """Whether to recognize this partial drawing now (else the page shows what it showed
    last). ``first_of_drawing``: nothing of this drawing has been answered yet, so
    there is no earlier answer to show; it is answered unless its session floods."""
    state = st.session_state
    now = time.monotonic()
    wait = state.get(LIVE_LAST, 0.0) + LIVE_INTERVAL - now
    if wait > 0:
        early = [t for t in state.get(LIVE_EARLY, ()) if now - t < 1.0] + [now]
        state[LIVE_EARLY] = early
        if len(early) >= FLOOD_EARLY:
            time.sleep(wait)  # a flood: its own session waits, in its own thread
        elif not _sleep_unless_rerun(wait):
            return False  # a newer drawing came: that one is answered instead
    if not _BUDGET.take() and not first_of_drawing:
        return False
    state[LIVE_LAST] = time.monotonic()
    return True


def live_on(large: bool) -> bool:
    """Whether live answers are on (before the toggle is shown: the canvas needs it).
    On by default in presentation mode; each mode remembers its own choice."""
    key = LIVE_PRESENTATION_KEY if large else LIVE_KEY
    return bool(st.session_state.get(key, large))


def live_toggle(large: bool) -> bool:
    key = LIVE_PRESENTATION_KEY if large else LIVE_KEY
    return st.toggle("Live answers", value=large, key=key,
                     help="The answer changes while you draw, several times a second. "
                          "Off: it comes when you lift the pen. A device set to reduce "
                          "motion gets it when you lift the pen.")


def spoken(result: Recognition | NumberRecognition | None) -> str | None:
    """What "Say the answer" says for an answer: "seven"; "not sure, maybe a seven";
    "that does not look like a digit"; several digits one by one."""
    from hwr.pages.answer import is_unsure

    if result is None or result.is_empty:
        return None
    if isinstance(result, NumberRecognition):
        return ", ".join("not a digit" if d.not_a_digit else DIGIT_NAMES[d.digit]
                         for d in result.digits)
    if result.not_a_digit:
        return NOT_A_DIGIT_SAID
    name = DIGIT_NAMES[result.digit]
    return f"not sure, maybe a {name}" if is_unsure(result.probabilities) else name


def say_answer(result, drawing_id: int | None, partial: bool) -> None:
    """The "Say the answer" switch; it says a pen-up answer (partial ones never)."""
    _speech(key="hwr-speech", data={"drawing": drawing_id, "text": spoken(result),
                                    "partial": partial},
            default={})
