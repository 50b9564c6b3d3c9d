"""The drawing canvas: a small Streamlit component (``canvas.js``) and its Python side.

The canvas sends the whole drawing as strokes when a stroke ends (see ``hwr.reading.drawing``);
Clear and Undo work in the browser. ``draw_canvas`` returns the parsed ``Drawing``. Given
a channel, it gets its pen-up answers from ``hwr.server.answer_channel`` first and sends
the drawing to Streamlit once the pen has stayed up a moment.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from hwr.pages.shared.language import N_, _
from hwr.reading.drawing import Drawing, parse_drawing
from hwr.reading.preprocess import InvalidImageError

# What a canvas reads (one canvas each): English values, shown with ``_``.
ONE_DIGIT, NUMBER = N_("One digit"), N_("Several digits")
SAVED_DRAWING = "hwr_drawing"  # the last drawing of each canvas, to restore it
CLEAR_REQUEST = "hwr_clear"  # the drawing id the page asks the canvas to clear

_HERE = Path(__file__).resolve().parent
# The canvas keeps its own canvas.css rather than the app's style.css: Streamlit sends a
# component's CSS with the component, so the canvas looks right wherever it is mounted
# (the benchmarks' bare canvas page loads no app stylesheet). It inherits the page's
# text colour, so it follows Streamlit's light and dark themes without colours of its own.
_component = st.components.v2.component(
    "hwr.canvas",
    js=(_HERE / "canvas.js").read_text(encoding="utf-8"),
    css=(_HERE / "canvas.css").read_text(encoding="utf-8"),
    isolate_styles=False,
)


CANVAS_LABEL = {ONE_DIGIT: N_("Drawing area for one digit"),
                NUMBER: N_("Drawing area for several digits")}
CANVAS_HELP = N_("Draw with the mouse, a finger or a pen; the answer appears beside the "
                 "canvas when you lift the pen. Undo takes back the last stroke, Clear "
                 "starts again; both are buttons under the canvas.")
CANVAS_HELP_LIVE = N_("Draw with the mouse, a finger or a pen; the answer appears beside "
                      "the canvas when you lift the pen, and changes while you draw. Undo "
                      "takes back the last stroke, Clear starts again; both are buttons "
                      "under the canvas.")


def canvas_words() -> dict[str, str]:
    """The words canvas.js shows, in the page's language."""
    return {
        # TRANSLATORS: a button under the drawing canvas: take back the last stroke
        "undo": _("Undo"),
        # TRANSLATORS: a button under the drawing canvas: erase the whole drawing
        "clear": _("Clear"),
        "drawing_area": _("Drawing area"),
        "reduced_motion": _("Live answers are off: this device asks for reduced motion. "
                            "The answer comes when you lift the pen."),
    }


def draw_canvas(key: str, width: int, height: int, brush: int, max_css_width: int,
                initial: Drawing | None = None, clear_id: int | None = None,
                live: bool = False, mode: str = ONE_DIGIT,
                channel: dict | None = None, on_change=None, on_event=None,
                on_channel=None) -> Drawing | None:
    """Show the canvas; returns the drawing it last sent, or None before the first stroke.

    ``width`` x ``height`` are the drawing's own pixels; on screen the canvas fills its
    column up to ``max_css_width`` CSS pixels, keeping its shape. ``initial`` restores a
    drawing when the canvas is first shown (coming back from another page); ``clear_id``
    asks the browser to clear that drawing, if it is still the one on the canvas.
    ``live``: the browser also sends the drawing so far while a stroke is drawn, marked
    partial (``Drawing.partial``), unless the device asks for reduced motion.
    ``channel``: where and how the canvas asks the answer channel for its pen-up answers
    (``{"path", "token", "lang", "words", "quiet", "maps", "number", ...}``:
    ``hwr.pages.draw.page.channel_for``, ``hwr.server.answer_channel``);
    None, the Streamlit path only. ``quiet``: nothing on the page hangs on a finished
    drawing (no class runs), so the canvas sends it to Streamlit only when the student
    taps its own "Is it right?" row (see ``tapped``); ``shows``: what the page shows of
    the class, for the channel's class events. ``on_change``: called before the run
    that each drawing of the canvas brings (a widget callback); ``on_event``: the
    channel said the class changed; ``on_channel``: the channel opened or went down
    (``channel_open``).

    Raises ``InvalidImageError`` if the browser sent something that is not a drawing."""
    result = _component(
        key=key,
        data={"key": key, "width": width, "height": height, "brush": brush, "color": "#FFFFFF",
              "background": "#000000", "max_css_width": max_css_width,
              "initial": None if initial is None else initial.to_payload(),
              "clear_id": clear_id, "live": live, "label": _(CANVAS_LABEL[mode]),
              "help": _(CANVAS_HELP_LIVE if live else CANVAS_HELP),
              "labels": canvas_words(), "channel": channel},
        default={"drawing": None, "event": 0, "channel": None},
        on_drawing_change=on_change or _nothing,
        on_event_change=on_event or _nothing,
        on_channel_change=on_channel or _nothing,
    )
    payload = result.get("drawing") if hasattr(result, "get") else result["drawing"]
    return None if payload is None else parse_drawing(payload)


def _nothing() -> None:
    pass


def channel_open(key: str) -> bool:
    """In a callback: whether the canvas last said its answer channel is open."""
    value = st.session_state.get(key)
    return hasattr(value, "get") and value.get("channel") == "open"


def tapped(key: str) -> tuple[Drawing, int] | None:
    """The drawing and the digit, when the canvas's last message is a tap on its own
    "Is it right?" row (quiet pen-ups: ``{..., "confirm": digit}``); None otherwise, and
    for anything that is not a drawing. Read in the canvas's ``on_change``, before the
    run: the drawing is filed there, so that the run clears it from the canvas, as a
    tap on Streamlit's row does."""
    value = st.session_state.get(key)
    payload = value.get("drawing") if hasattr(value, "get") else None
    digit = payload.get("confirm") if isinstance(payload, dict) else None
    if type(digit) is not int or not 0 <= digit <= 9:
        return None
    try:
        return parse_drawing(payload), digit
    except InvalidImageError:
        return None


def canvas_key(mode: str) -> str:
    """The canvas widget's key for a mode (each mode keeps its own drawing)."""
    return "canvas-number" if mode == NUMBER else "canvas-digit"


def clear_canvas(mode: str) -> None:
    """Ask the browser to clear the drawing on the canvas (from a widget callback, so
    the run that follows sends the request)."""
    key = canvas_key(mode)
    drawing = st.session_state.get(SAVED_DRAWING, {}).get(key)
    if drawing is not None:
        st.session_state.setdefault(CLEAR_REQUEST, {})[key] = drawing.id
