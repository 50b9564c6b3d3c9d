"""A drawing as the browser sends it: strokes of points, turned into an image here.

The Draw page's canvas sends the *whole* drawing (every stroke so far, with its brush
width) each time a stroke ends, never a diff and never pixels. So a message that
overtakes or replaces another cannot lose a stroke, a message is a few hundred bytes
instead of a 280x280 PNG, and the server rasterizes it in about a millisecond.

The payload is untrusted input: ``parse_drawing`` accepts exactly the shape below and
refuses anything else with ``InvalidImageError`` (the one error bad input raises)::

    {"id": 7, "width": 280, "height": 280,
     "strokes": [[brush, x0, y0, x1, y1, ...], ...],   # canvas pixels
     "seq": 12,          # optional: the canvas numbers its messages (echoed on the answer)
     "partial": true}    # optional: live answers, a stroke still being drawn (its last
                         # stroke is unfinished); the stroke's end sends it unmarked
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from hwr.reading.preprocess import InvalidImageError
from hwr.translation import N_

MAX_SEQ = 2**53  # a JavaScript number's safe integers
MAX_SIDE = 2000  # canvas pixels; the largest canvas the app shows is 700 wide
MAX_STROKES = 200
MAX_POINTS = 20_000  # over all strokes: minutes of continuous drawing
BRUSH_RANGE = (1.0, 100.0)


@dataclass(frozen=True)
class Drawing:
    """Strokes on a canvas of ``width`` x ``height`` pixels.

    ``id`` numbers the drawings of one canvas: Clear starts a new id, so the server can
    tell a new drawing from more strokes on the same one."""

    id: int
    width: int
    height: int
    strokes: tuple[tuple[float, np.ndarray], ...]  # (brush width, (n, 2) points)
    partial: bool = False  # sent while a stroke is drawn: its last stroke goes on
    seq: int | None = None  # the canvas's number for the message, if it sent one

    @property
    def is_empty(self) -> bool:
        return not self.strokes

    def to_payload(self) -> dict:
        """The JSON form the canvas sends (and accepts back to restore a drawing)."""
        return {"id": self.id, "width": self.width, "height": self.height,
                "strokes": [[round(brush, 2), *np.round(points, 1).ravel().tolist()]
                            for brush, points in self.strokes]}


def _number(value, refusal: str) -> float:
    """``value`` as a float; else ``refusal`` (an N_-marked sentence) is raised."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise InvalidImageError(refusal)
    return float(value)


def parse_drawing(payload) -> Drawing:
    """The canvas's JSON payload -> a ``Drawing``; anything malformed is refused."""
    if not isinstance(payload, dict):
        raise InvalidImageError(N_("The drawing could not be read."))
    width = _number(payload.get("width"), N_("The drawing's width is not a number."))
    height = _number(payload.get("height"), N_("The drawing's height is not a number."))
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise InvalidImageError(N_("The canvas must be 1-{max_side} pixels on a side."),
                                max_side=MAX_SIDE)
    strokes = payload.get("strokes")
    if not isinstance(strokes, list) or len(strokes) > MAX_STROKES:
        raise InvalidImageError(
            N_("A drawing holds a list of at most {max_strokes} strokes."),
            max_strokes=MAX_STROKES)
    parsed, total = [], 0
    not_a_coordinate = N_("The drawing's coordinate is not a number.")
    for stroke in strokes:
        if not isinstance(stroke, list) or len(stroke) < 3 or len(stroke) % 2 != 1:
            raise InvalidImageError(N_("A stroke must be a brush width and x, y pairs."))
        total += len(stroke) // 2
        if total > MAX_POINTS:
            raise InvalidImageError(N_("The drawing has more than {max_points} points."),
                                    max_points=MAX_POINTS)
        brush = _number(stroke[0], N_("The drawing's brush width is not a number."))
        brush = min(max(brush, BRUSH_RANGE[0]), BRUSH_RANGE[1])
        values = [_number(v, not_a_coordinate) for v in stroke[1:]]
        points = np.array(values, np.float32).reshape(-1, 2)
        np.clip(points, [0, 0], [width, height], out=points)
        parsed.append((brush, points))
    identity = payload.get("id", 0)
    partial = payload.get("partial", False)
    if not isinstance(partial, bool):
        raise InvalidImageError(N_("The drawing's partial mark is not true or false."))
    seq = payload.get("seq")
    if seq is not None:
        seq = _number(seq, N_("The drawing's message number is not a number."))
        if not (0 <= seq < MAX_SEQ and seq == int(seq)):
            raise InvalidImageError(
                N_("The drawing's message number is not a whole number."))
        seq = int(seq)
    identity = int(_number(identity, N_("The drawing's id is not a number.")))
    return Drawing(identity, round(width), round(height), tuple(parsed), partial, seq)


def rasterize(drawing: Drawing) -> np.ndarray:
    """White round-brush strokes on black, (height, width) uint8: what the canvas shows."""
    image = Image.new("L", (drawing.width, drawing.height), 0)
    draw = ImageDraw.Draw(image)
    for brush, points in drawing.strokes:
        r = brush / 2
        coords = [tuple(p) for p in points.tolist()]
        if len(coords) > 1:
            draw.line(coords, fill=255, width=max(1, round(brush)), joint="curve")
        for x, y in (coords[0], coords[-1]):  # round caps; a tap is a dot
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(image)
