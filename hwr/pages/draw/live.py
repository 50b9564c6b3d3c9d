"""Live answers while a stroke is drawn, and the answer said aloud.

Live answers: the server answers partial drawings (issue 30's design (a)). With live
answers on, the canvas sends the drawing so far every 120 ms while a stroke is drawn,
marked partial, and the whole drawing at pen-up as without them (``canvas.js``): over
the answer channel where it is open (``hwr.server.answer_channel``, no script run),
else to Streamlit, where this module answers them:

- A pen-up drawing is answered as before (``draw.pace``), on its own clock: partial
  drawings never make it wait, and a pen-up that arrives while a partial one is being
  answered interrupts that run (Streamlit reruns with the newest drawing).
- A session's partial drawings are answered at most every ``LIVE_INTERVAL``. The canvas
  sends them further apart than that, so an honest page never waits; a page that sends
  them faster (a flood) waits in its own script thread, and what it sends meanwhile is
  folded by Streamlit into one rerun, so it cannot make the server run its script more
  often than that.
- Server-wide, at most ``channel_rules.LIVE_PER_SECOND`` partial drawings are
  recognized each second, on this path and the answer channel's together (a token
  bucket, ``LIVE_BUDGET``); beyond that a partial drawing waits ``LIVE_BUSY_WAIT`` and
  its page keeps what it showed last. A busy class gets fewer live updates and fewer script
  runs; every pen-up is still answered.
- Every wait ends at once when a pen-up drawing (or anything but more of the stroke)
  arrives: a waiting request is read from Streamlit's ScriptRequests (see ``_waiting``).

Speaking: ``speech.js`` is the "Say the answer" switch and the voice; the page gives it
what to say for each answer, in the page's language, and it says a pen-up answer once
the pen has been up for a moment, once per drawing, with a voice installed on the device
(one of the page's language if there is one).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import streamlit as st

from hwr.reading.outputs import is_unsure
from hwr.pages.shared.language import N_, _, current
from hwr.pages.draw.state import LIVE_KEY, LIVE_LAST, LIVE_PRESENTATION_KEY
from hwr.reading.recognizer import NumberRecognition, Recognition
from hwr.server.channel_rules import LIVE_BUDGET

LIVE_INTERVAL = 0.08  # s between two live answers of one session (the canvas: 0.12 s)
LIVE_BUSY_WAIT = 0.25  # s a partial drawing waits when the budget is spent
# TRANSLATORS: the digits' names, said aloud by "Say the answer" (lower case)
DIGIT_NAMES = (N_("zero"), N_("one"), N_("two"), N_("three"), N_("four"), N_("five"),
               N_("six"), N_("seven"), N_("eight"), N_("nine"))
# TRANSLATORS: said aloud by "Say the answer" (lower case)
NOT_A_DIGIT_SAID = N_("that does not look like a digit")

_COMPONENTS = Path(__file__).resolve().parents[1] / "components"
SPEECH_CSS = """
.hwr-say { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; min-height: 2.5rem; }
.hwr-say input { width: 1.15rem; height: 1.15rem; margin: 0; accent-color: #1c6fd1; cursor: pointer; }
.hwr-say label:has(input:disabled) { cursor: default; }
.hwr-say input:focus-visible { outline: 3px solid #1c6fd1; outline-offset: 2px; }
/* The label holds the box: a finger finds one target 44 px high (issue 38). */
.hwr-say label {
  display: inline-flex; align-items: center; gap: 0.5rem; min-height: 44px; cursor: pointer;
}
.hwr-say-note { font-size: 0.85rem; }
"""
_speech = st.components.v2.component(
    "hwr.speech",
    js=(_COMPONENTS / "speech.js").read_text(encoding="utf-8"),
    css=SPEECH_CSS,
    isolate_styles=False,
)




PARTIAL_MARK = re.compile(r'"partial"\s*:\s*true')  # in the canvas's JSON


def _waiting() -> str | None:
    """What the browser has sent since this run began, waiting to be run: None (nothing),
    "partial" (a partial drawing: more of the stroke under way) or "other" (a pen-up
    drawing, Clear, a toggle...).

    Streamlit 1.67 keeps the waiting request in ScriptRequests (``_state``, and the
    widgets' states in ``_rerun_data``); if that is not there, None: a wait then runs
    its course (at most LIVE_BUSY_WAIT, and only in a session sending partial drawings)."""
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    requests = getattr(get_script_run_ctx(), "script_requests", None)
    if getattr(requests, "_state", None) != ScriptRequestType.RERUN:
        return None
    states = getattr(getattr(getattr(requests, "_rerun_data", None), "widget_states", None),
                     "widgets", ())
    for widget in states:
        if widget.WhichOneof("value") == "json_value" and '"drawing"' in widget.json_value:
            return "partial" if PARTIAL_MARK.search(widget.json_value) else "other"
    return "other"


def _wait_unless_more(seconds: float) -> bool:
    """Wait, unless the browser sends something other than more of the stroke (a
    pen-up above all): False then, at once. Partial drawings sent meanwhile are folded
    into one rerun by Streamlit, so a session waiting here costs no script runs."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if _waiting() == "other":
            return False
        time.sleep(min(left, 0.01))
    return True


def answer_partial(first_of_drawing: bool) -> bool:
    """Whether to recognize this partial drawing now; if not, the page shows what it
    showed last. ``first_of_drawing``: nothing of this drawing has been answered yet
    (there is no earlier answer to show): answered unless a newer message waits.

    A session's partial drawings are run at most every LIVE_INTERVAL, answered or not
    (a page that sends them faster waits, and a newer one waiting is run next); with
    the server's budget spent, a partial drawing waits LIVE_BUSY_WAIT and is not
    answered: its session then runs its script at most that
    often while the class is busy. A pen-up drawing ends either wait at once."""
    state = st.session_state
    wait = state.get(LIVE_LAST, 0.0) + LIVE_INTERVAL - time.monotonic()
    if wait > 0 and not _wait_unless_more(wait):
        return False  # the pen went up: that drawing is answered instead
    state[LIVE_LAST] = time.monotonic()  # the session's runs, answered or not, are paced
    if _waiting() is not None:
        return False  # a newer drawing waits: answer that one
    if not LIVE_BUDGET.allow() and not first_of_drawing:
        _wait_unless_more(LIVE_BUSY_WAIT)
        return False
    return True


def live_on(large: bool) -> bool:
    """Whether live answers are on (before the toggle is shown: the canvas needs it).
    On by default in presentation mode; each mode remembers its own choice."""
    key = LIVE_PRESENTATION_KEY if large else LIVE_KEY
    return bool(st.session_state.get(key, large))


def live_toggle(large: bool) -> bool:
    key = LIVE_PRESENTATION_KEY if large else LIVE_KEY
    return st.toggle(_("Live answers"), value=large, key=key,
                     help=_("The answer changes while you draw, several times a second. "
                            "Off: it comes when you lift the pen. A device set to reduce "
                            "motion gets it when you lift the pen."))


def spoken(result: Recognition | NumberRecognition | None) -> str | None:
    """What "Say the answer" says for an answer: "seven"; "not sure, maybe a seven";
    "that does not look like a digit"; several digits one by one. In the page's
    language: the browser says it with a voice of that language."""
    if result is None or result.is_empty:
        return None
    if isinstance(result, NumberRecognition):
        # TRANSLATORS: said aloud for a part of a number that is not a digit (lower case)
        not_a_digit = _("not a digit")
        return ", ".join(not_a_digit if d.not_a_digit else _(DIGIT_NAMES[d.digit])
                         for d in result.digits)
    if result.not_a_digit:
        return _(NOT_A_DIGIT_SAID)
    name = _(DIGIT_NAMES[result.digit])
    if is_unsure(result.probabilities):
        # TRANSLATORS: said aloud; {digit} is a digit's name ("seven")
        return _("not sure, maybe a {digit}").format(digit=name)
    return name


def speech_words() -> dict[str, str]:
    """The words of the "Say the answer" switch (speech.js), in the page's language."""
    return {
        "say": _("Say the answer"),
        "cannot_speak": _("This browser cannot speak."),
        "no_voice": _("No voice is installed on this device."),
        "looking": _("Looking for a voice on this device…"),
    }


def say_answer(result, drawing_id: int | None, partial: bool) -> None:
    """The "Say the answer" switch; it says a pen-up answer (partial ones never)."""
    _speech(key="hwr-speech", data={"drawing": drawing_id, "text": spoken(result),
                                    "partial": partial, "lang": current(),
                                    "labels": speech_words()},
            default={})
