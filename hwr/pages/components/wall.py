"""The class wall as a component (``wall.js``): each drawing with the teacher's controls
inside it, and the round's countdown (``countdown.js``) on the students' Draw page.

A wall item is an element of class ``hwr-wall-item`` with ``data-student`` (the
nickname) and ``data-digit`` (the model's answer), holding its own buttons; a tap sends
``{"op": ..., "id": <the drawing's row>}`` back as the trigger ``action``. The component
only shows and asks: ``hwr.pages.shared.lesson`` checks that the session is the teacher's before
it does anything.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from hwr.class_data.collection import WallDrawing, png_bytes
from hwr.pages.shared.language import _

_HERE = Path(__file__).resolve().parent
# No CSS of its own: the items use style.css's hwr-* rules (the page loads it).
_wall = st.components.v2.component(
    "hwr.wall", js=(_HERE / "wall.js").read_text(encoding="utf-8"), isolate_styles=False)
_countdown = st.components.v2.component(
    "hwr.countdown", js=(_HERE / "countdown.js").read_text(encoding="utf-8"),
    isolate_styles=False)

HIDE, REMOVE, APPROVE, UNHIDE = "hide", "remove", "approve", "unhide"
OPS = (HIDE, REMOVE, APPROVE, UNHIDE)
TILE, LARGE_TILE = 96, 150  # px: style.css's --hwr-tile


def item(drawing: WallDrawing) -> dict:
    if drawing.label is None:
        verdict = ""
    elif drawing.label == drawing.predicted and not drawing.not_a_digit:
        verdict = "right"
    else:
        verdict = str(drawing.label)
    return {
        "id": int(drawing.id), "drawing": int(drawing.drawing), "nickname": drawing.nickname,
        "digit": "?" if drawing.not_a_digit else str(drawing.predicted), "verdict": verdict,
        "image": "data:image/png;base64," + base64.b64encode(
            png_bytes(drawing.image)).decode("ascii"),
    }


def labels() -> dict:
    """The wall's words in the page's language, for wall.js: each action's button text
    and aria-label, the image's alt text and the verdict ({name}, {digit} filled in there).
    """
    return {
        # TRANSLATORS: a button on a drawing: hide it (the verb).
        HIDE: [_("Hide"), _("Hide {name}'s drawing")],
        REMOVE: [_("Remove student"), _("Remove {name} from the class")],
        APPROVE: [_("Approve"), _("Approve {name}'s drawing")],
        UNHIDE: [_("Show again"), _("Show {name}'s drawing again")],
        "alt": _("a drawing by {name}"),
        # TRANSLATORS: stands for a student with no nickname: "Hide a student's drawing".
        "someone": _("a student"),
        # TRANSLATORS: under a drawing the model misread: "3 it is a 5" (what the student
        # said it is).
        "verdict": _("it is a {digit}"),
    }


def wall(key: str, drawings: list[WallDrawing], large: bool, actions: tuple[str, ...],
         on_action: Callable[[dict], None]) -> None:
    """Show the drawings with ``actions`` (HIDE, REMOVE, APPROVE, UNHIDE) on each;
    ``on_action`` gets the tap's ``{"op", "id"}`` in the widget's callback."""

    def callback() -> None:
        value = st.session_state.get(key)
        action = value.get("action") if hasattr(value, "get") else None
        if isinstance(action, dict):
            on_action(action)

    _wall(key=key, data={"name": key.removeprefix("hwr_"),
                         "items": [item(d) for d in drawings], "large": large,
                         "size": LARGE_TILE if large else TILE, "actions": list(actions),
                         "labels": labels()},
          on_action_change=callback)


def parse_action(action: dict, allowed: tuple[str, ...]) -> tuple[str, int] | None:
    """(op, row id) from a tap, or None for anything else a browser may send."""
    op, row = action.get("op"), action.get("id")
    if op not in allowed or isinstance(row, bool) or not isinstance(row, int):
        return None
    return op, row


def countdown(key: str, round_id: int, seconds_left: float) -> None:
    """The round's timer (countdown.js): its words in ``labels``, {seconds} filled in
    there."""
    _countdown(key=key, data={"round": round_id, "seconds_left": round(seconds_left, 1),
                              "labels": {"seconds_left": _("{seconds} s left"),
                                         "time_up": _("Time's up")}})
