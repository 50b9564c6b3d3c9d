"""Hand-written stroke paths for each digit, as a person would draw them with a mouse.

Each digit has several writers' styles; each style is a list of strokes (pen down to pen
up), each stroke a list of (x, y) points in a unit box (x right, y down). The tests
smooth them with a Catmull-Rom spline and draw them at various sizes and positions:
rendered offline (fast tests) and with real mouse events in Chromium (end-to-end tests).
"""

from __future__ import annotations

import math

import numpy as np

from hwr.reading.drawing import Drawing, parse_drawing, rasterize

Stroke = list[tuple[float, float]]


def _ellipse(cx, cy, rx, ry, start=-90, turn=360, n=18) -> Stroke:
    return [(cx + rx * math.cos(math.radians(start + turn * i / n)),
             cy + ry * math.sin(math.radians(start + turn * i / n))) for i in range(n + 1)]


DIGITS: dict[int, list[list[Stroke]]] = {
    0: [[_ellipse(0.5, 0.5, 0.32, 0.46)],
        [_ellipse(0.5, 0.5, 0.26, 0.47, start=-120, turn=370)]],
    1: [[[(0.5, 0.04), (0.5, 0.96)]],
        [[(0.4, 0.16), (0.56, 0.04), (0.55, 0.96)]],
        [[(0.62, 0.04), (0.42, 0.96)]]],
    2: [[[(0.2, 0.25), (0.35, 0.08), (0.6, 0.04), (0.78, 0.2), (0.74, 0.42), (0.5, 0.66),
          (0.18, 0.95), (0.86, 0.95)]],
        [[(0.22, 0.2), (0.5, 0.04), (0.76, 0.16), (0.72, 0.4), (0.2, 0.94), (0.5, 0.9),
          (0.84, 0.92)]]],
    3: [[[(0.2, 0.12), (0.5, 0.03), (0.78, 0.15), (0.75, 0.35), (0.45, 0.48), (0.78, 0.6),
          (0.8, 0.82), (0.5, 0.97), (0.18, 0.86)]],
        [[(0.22, 0.06), (0.8, 0.06), (0.45, 0.42), (0.72, 0.5), (0.82, 0.72), (0.62, 0.94),
          (0.2, 0.9)]]],
    4: [[[(0.62, 0.04), (0.14, 0.64), (0.86, 0.64)], [(0.64, 0.3), (0.64, 0.97)]],
        [[(0.22, 0.04), (0.2, 0.55), (0.8, 0.55)], [(0.74, 0.04), (0.74, 0.97)]]],
    5: [[[(0.8, 0.05), (0.28, 0.05)],
         [(0.28, 0.05), (0.24, 0.45), (0.55, 0.38), (0.8, 0.55), (0.78, 0.82), (0.5, 0.96),
          (0.2, 0.86)]],
        [[(0.78, 0.05), (0.3, 0.06), (0.26, 0.44), (0.6, 0.4), (0.8, 0.62), (0.7, 0.9),
          (0.45, 0.97), (0.2, 0.85)]]],
    6: [[[(0.72, 0.04), (0.42, 0.24), (0.22, 0.6), (0.3, 0.9), (0.55, 0.97), (0.76, 0.8),
          (0.7, 0.58), (0.45, 0.52), (0.24, 0.66)]],
        [[(0.6, 0.03), (0.3, 0.4), (0.24, 0.75), (0.45, 0.96), (0.7, 0.88), (0.72, 0.62),
          (0.5, 0.52), (0.28, 0.62)]]],
    7: [[[(0.14, 0.05), (0.86, 0.05), (0.42, 0.96)]],
        [[(0.18, 0.12), (0.2, 0.05), (0.84, 0.06), (0.6, 0.5), (0.52, 0.96)]]],
    8: [[[(0.7, 0.15), (0.5, 0.03), (0.28, 0.15), (0.3, 0.35), (0.7, 0.62), (0.75, 0.85),
          (0.5, 0.97), (0.25, 0.85), (0.3, 0.62), (0.7, 0.35), (0.72, 0.15)]],
        [_ellipse(0.5, 0.26, 0.2, 0.22, start=90, turn=360, n=12),
         _ellipse(0.5, 0.72, 0.25, 0.25, start=-90, turn=360, n=14)]],
    9: [[[(0.74, 0.3), (0.55, 0.46), (0.3, 0.4), (0.25, 0.2), (0.45, 0.04), (0.72, 0.12),
          (0.75, 0.3), (0.72, 0.96)]],
        [_ellipse(0.45, 0.26, 0.24, 0.22, start=0, turn=360, n=14),
         [(0.69, 0.26), (0.66, 0.96)]]],
}


# Ways of writing that MNIST lacks (hwr.learning.styles teaches them): name -> (digit, strokes).
STYLED: dict[str, tuple[int, list[Stroke]]] = {
    "slashed zero": (0, [_ellipse(0.5, 0.5, 0.3, 0.45), [(0.8, 0.0), (0.2, 1.0)]]),
    "flagged one": (1, [[(0.34, 0.3), (0.6, 0.03), (0.6, 0.97)]]),
    "footed one": (1, [[(0.28, 0.32), (0.56, 0.03), (0.56, 0.95)],
                       [(0.3, 0.96), (0.84, 0.96)]]),
    "crossed seven": (7, [[(0.14, 0.05), (0.86, 0.05), (0.42, 0.96)],
                          [(0.44, 0.5), (0.84, 0.5)]]),
}

# Drawings that are not digits, as a child would draw them with a mouse.
NON_DIGITS: dict[str, list[Stroke]] = {
    "heart": [[(0.5, 0.3), (0.35, 0.08), (0.12, 0.12), (0.05, 0.35), (0.25, 0.65),
               (0.5, 0.95), (0.75, 0.65), (0.95, 0.35), (0.88, 0.12), (0.65, 0.08),
               (0.5, 0.3)]],
    "house": [[(0.1, 0.45), (0.1, 0.98), (0.9, 0.98), (0.9, 0.45), (0.1, 0.45)],
              [(0.05, 0.5), (0.5, 0.05), (0.95, 0.5)],
              [(0.4, 0.98), (0.4, 0.7), (0.6, 0.7), (0.6, 0.98)]],
    "smiley": [_ellipse(0.5, 0.5, 0.45, 0.45, n=24),
               [(0.35, 0.35), (0.36, 0.37)], [(0.65, 0.35), (0.66, 0.37)],
               [(0.3, 0.62), (0.5, 0.75), (0.7, 0.62)]],
    "star": [[(0.5, 0.0), (0.2, 0.95), (0.98, 0.35), (0.02, 0.35), (0.8, 0.95), (0.5, 0.0)]],
    "letter A": [[(0.1, 0.98), (0.5, 0.02), (0.9, 0.98)], [(0.28, 0.6), (0.72, 0.6)]],
    "letter K": [[(0.2, 0.02), (0.2, 0.98)], [(0.8, 0.02), (0.22, 0.55), (0.82, 0.98)]],
}


def smooth(stroke: Stroke, per_segment: int = 8) -> Stroke:
    """A Catmull-Rom spline through the points: a curve like a hand makes."""
    if len(stroke) < 3:
        return [stroke[0]] + [
            (stroke[0][0] + (stroke[-1][0] - stroke[0][0]) * t / per_segment,
             stroke[0][1] + (stroke[-1][1] - stroke[0][1]) * t / per_segment)
            for t in range(1, per_segment + 1)]
    p = np.array([stroke[0]] + list(stroke) + [stroke[-1]], dtype=float)
    out = [tuple(p[1])]
    for i in range(1, len(p) - 2):
        for t in np.linspace(0, 1, per_segment + 1)[1:]:
            t2, t3 = t * t, t * t * t
            point = 0.5 * ((2 * p[i]) + (-p[i - 1] + p[i + 1]) * t
                           + (2 * p[i - 1] - 5 * p[i] + 4 * p[i + 1] - p[i + 2]) * t2
                           + (-p[i - 1] + 3 * p[i] - 3 * p[i + 1] + p[i + 2]) * t3)
            out.append((float(point[0]), float(point[1])))
    return out


def place(strokes: list[Stroke], left: float, top: float, size: float) -> list[Stroke]:
    """Smoothed strokes scaled into a size x size box at (left, top), in canvas pixels."""
    return [[(left + x * size, top + y * size) for x, y in smooth(s)] for s in strokes]


# (left, top, size) on a 280x280 canvas: large and centred, small in a corner, etc.
PLACEMENTS = [(40, 30, 220), (20, 20, 120), (140, 150, 110), (70, 60, 160)]


def as_drawing(strokes_px: list[Stroke], width: int = 280, height: int = 280,
               brush: float = 18, drawing_id: int = 0) -> Drawing:
    """Strokes in canvas pixels -> the Drawing the browser's canvas would send."""
    return parse_drawing({"id": drawing_id, "width": width, "height": height,
                          "strokes": [[brush, *np.ravel(stroke).tolist()]
                                      for stroke in strokes_px]})


def render(strokes_px: list[Stroke], width: int = 280, height: int = 280,
           brush: int = 18) -> np.ndarray:
    """What the server makes of the canvas's strokes: white strokes on black."""
    return rasterize(as_drawing(strokes_px, width, height, brush))
