"""Writing styles that MNIST lacks, drawn onto MNIST digits.

MNIST's writers were US Census staff and US students: zeros with a slash, ones with a
long flag or a foot, and sevens with a crossbar are nearly
absent, so a model trained on it reads a slashed zero as 8 and a European one as 7.
Each style here adds the missing stroke to a real MNIST digit of that class, with the
digit's own stroke width and slant, and normalizes the result again the way MNIST was
normalized (20x20 box, centre of mass centred), so the new stroke may reach past the
original frame. Training applies the styles on the fly to a share of each class
(``StyleConfig``); evaluation applies them to the MNIST *test* digits only.

Everything is numpy on 28x28 float images (ink = 1) and deterministic under a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import ndimage

from hwr.reading.drawing import Drawing, rasterize
from hwr.reading.preprocess import center_digit
from hwr.sizes import CANVAS_SIZE, IMAGE_SIZE

PAD = IMAGE_SIZE // 2  # strokes are drawn on a field twice as wide, to leave the frame
INK = 0.3  # a pixel is ink above this, for measuring a digit's shape
EDGE_SOFTNESS = 1.2  # pixels over which a drawn stroke fades out, like MNIST's pen


@dataclass(frozen=True)
class Shape:
    """Where a digit's ink is on the padded field, and how it is written."""

    ink: np.ndarray  # (56, 56) float, the digit padded
    top: float
    bottom: float
    left: float
    right: float
    slant: float  # dx/dy of the ink's main axis (positive: leaning right at the top)
    width: float  # stroke width in pixels

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def shear(self, y: float, x: float, cy: float) -> tuple[float, float]:
        """An upright point (relative to the row ``cy``) tilted with the digit's slant."""
        return y, x - self.slant * (y - cy)


def measure(image: np.ndarray) -> Shape | None:
    """The shape of a 28x28 digit, or None when it holds (almost) no ink."""
    ink = np.pad(np.asarray(image, np.float32), PAD)
    mask = ink > INK
    if mask.sum() < 5:
        return None
    ys, xs = np.nonzero(mask)
    weights = ink[ys, xs]
    cy, cx = np.average(ys, weights=weights), np.average(xs, weights=weights)
    var_y = np.average((ys - cy) ** 2, weights=weights)
    slant = -np.average((xs - cx) * (ys - cy), weights=weights) / max(var_y, 1e-6)
    depth = ndimage.distance_transform_edt(mask)[mask]
    width = float(np.clip(2 * np.percentile(depth, 90) - 0.5, 1.5, 5.0))
    return Shape(ink, float(ys.min()), float(ys.max()), float(xs.min()), float(xs.max()),
                 float(np.clip(slant, -1.0, 1.0)), width)


_GRID = np.mgrid[0:IMAGE_SIZE + 2 * PAD, 0:IMAGE_SIZE + 2 * PAD].astype(np.float32)


def draw_segment(field: np.ndarray, start: tuple[float, float], end: tuple[float, float],
                 width: float) -> None:
    """Add an anti-aliased straight stroke (y, x) -> (y, x) of ``width`` pixels, in place."""
    (y0, x0), (y1, x1) = start, end
    yy, xx = _GRID
    dy, dx = y1 - y0, x1 - x0
    length2 = dy * dy + dx * dx
    t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / max(length2, 1e-6), 0.0, 1.0)
    distance = np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx))
    stroke = np.clip((width / 2 - distance) / EDGE_SOFTNESS + 0.5, 0.0, 1.0)
    np.maximum(field, stroke, out=field)


def _finish(field: np.ndarray) -> np.ndarray:
    """The padded field -> 28x28, normalized again as MNIST was (``finish=False`` in a
    style function returns the padded field itself, for tests)."""
    rows = np.flatnonzero((field > 0.05).any(axis=1))
    cols = np.flatnonzero((field > 0.05).any(axis=0))
    crop = field[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return center_digit(crop)


def _ink_columns(shape: Shape, row: float) -> np.ndarray:
    """Columns with ink in the row nearest ``row`` that has any."""
    for offset in range(0, 6):
        for r in (round(row) + offset, round(row) - offset):
            cols = np.flatnonzero(shape.ink[r] > INK)
            if cols.size:
                return cols
    return np.array([(shape.left + shape.right) / 2])


def slashed_zero(image: np.ndarray, rng: np.random.Generator, finish: bool = True) -> np.ndarray:
    """Ø: a straight stroke through the oval, from diagonal to near-vertical, starting
    inside the oval or at it and ending well past it (mostly '/', sometimes '\\')."""
    shape = measure(image)
    if shape is None:
        return image
    field = shape.ink.copy()
    cy, cx = (shape.top + shape.bottom) / 2, (shape.left + shape.right) / 2
    a, b = max(shape.height / 2, 1.0), max((shape.right - shape.left) / 2, 1.0)
    angle = math.radians(rng.uniform(5, 45))  # from vertical
    mirror = -1.0 if rng.random() < 0.15 else 1.0
    sin, cos = math.sin(angle) * mirror, math.cos(angle)
    # the oval's radius in this direction (before slant)
    radius = 1.0 / math.hypot(cos / a, sin / b)
    ends = []
    reaches = rng.permutation([rng.uniform(1.05, 1.5), rng.uniform(0.6, 1.5)])
    for sign, reach in zip((-1.0, 1.0), radius * reaches):  # the upper end, the lower end
        ends.append(shape.shear(cy + sign * reach * cos, cx - sign * reach * sin, cy))
    draw_segment(field, ends[0], ends[1], shape.width * rng.uniform(0.85, 1.1))
    return _finish(field) if finish else field


FLAG_DEGREES = (15.0, 45.0)  # how far the flag of a 1 turns off the stem
FLAG_LENGTH = (0.15, 0.5)  # its length, as a share of the digit's height
LONG_FLAG_DEGREES = (15.0, 45.0)  # the long-flag one's test set: a narrow inverted V
LONG_FLAG_LENGTH = (0.6, 0.9)  # ... with a flag of 60-90% of the stem
LONG_FLAG_FOOT = 0.3  # share of long-flag ones with a foot
SHORT_BAR_DEGREES = (75.0, 100.0)  # a 7's short top bar, turned off its stem
SHORT_BAR_LENGTH = (0.3, 0.45)  # its length, as a share of the height
SHORT_BAR_CROSSED = 0.5  # share of short-bar 7s with a crossbar


def _flag(image: np.ndarray, rng: np.random.Generator, foot: bool, finish: bool = True,
          degrees: tuple[float, float] = FLAG_DEGREES,
          length: tuple[float, float] = FLAG_LENGTH,
          one_stroke: float | None = None) -> np.ndarray:
    shape = measure(image)
    if shape is None:
        return image
    field = shape.ink.copy()
    top_cols = _ink_columns(shape, shape.top)
    bottom_cols = _ink_columns(shape, shape.bottom)
    top = (shape.top, float(top_cols.mean()))
    bottom = (shape.bottom, float(bottom_cols.mean()))
    stem = math.atan2(bottom[1] - top[1], bottom[0] - top[0])  # 0: straight down
    # The flag leaves the stem to the left and downwards: steeper and shorter than a 7's
    # top bar, with which a longer or flatter flag would teach the model to confuse it.
    turn = math.radians(rng.uniform(*degrees))
    reach = shape.height * rng.uniform(*length)
    if one_stroke is not None and rng.random() >= one_stroke:
        # written in two strokes: the flag lands near the stem's top, a little below it,
        # above it or beside it, rather than turning at its very tip
        drop = shape.height * rng.uniform(-0.04, 0.1)
        top = (top[0] + drop * math.cos(stem), top[1] + drop * math.sin(stem)
               + rng.uniform(-1.0, 1.0))
    end = (top[0] + reach * math.cos(stem - turn), top[1] + reach * math.sin(stem - turn))
    width = shape.width * rng.uniform(0.85, 1.1)
    draw_segment(field, end, top, width)
    if foot:
        half = shape.height * rng.uniform(0.18, 0.35)
        tilt = math.tan(math.radians(rng.uniform(-5, 5)))
        offset = shape.height * rng.uniform(-0.05, 0.05)
        draw_segment(field, (bottom[0] + tilt * half, bottom[1] - half + offset),
                     (bottom[0] - tilt * half, bottom[1] + half + offset), width)
    return _finish(field) if finish else field


def flagged_one(image: np.ndarray, rng: np.random.Generator, finish: bool = True,
                **flag) -> np.ndarray:
    """The continental 1: a flag from the top of the stem down to the left, from a short
    serif to a long upstroke (15-50% of the height), 15-45 degrees off the stem
    (``degrees=``, ``length=`` change those ranges)."""
    return _flag(image, rng, False, finish, **flag)


def footed_one(image: np.ndarray, rng: np.random.Generator, finish: bool = True,
               **flag) -> np.ndarray:
    """A flagged 1 with a foot: a short bar across the bottom of the stem."""
    return _flag(image, rng, True, finish, **flag)


def long_flag_one(image: np.ndarray, rng: np.random.Generator,
                  finish: bool = True) -> np.ndarray:
    """The continental 1 with a long flag (60-90% of the stem, 15-45 degrees off it: a
    narrow inverted V), written in one stroke (up the flag and down the stem) or in two,
    with a foot in ``LONG_FLAG_FOOT`` of them; the test set of the long flag the polish
    stage teaches."""
    foot = rng.random() < LONG_FLAG_FOOT
    return _flag(image, rng, foot, finish, LONG_FLAG_DEGREES, LONG_FLAG_LENGTH,
                 one_stroke=0.5)


def short_bar_seven(image: np.ndarray, rng: np.random.Generator,
                    finish: bool = True) -> np.ndarray:
    """A 7 with a short top bar (30-45% of the height, 75-100 degrees off the stem),
    crossed in ``SHORT_BAR_CROSSED`` of them, drawn onto a *1*'s stem (``SOURCE_DIGIT``):
    the 7 nearest the long-flag one, which must stay a 7."""
    shape = measure(image)
    if shape is None:
        return image
    crossed = rng.random() < SHORT_BAR_CROSSED
    field = _flag(image, rng, False, False, SHORT_BAR_DEGREES, SHORT_BAR_LENGTH)
    if crossed:
        _crossbar(shape, field, rng)
    return _finish(field) if finish else field


def _crossbar(shape: Shape, field: np.ndarray, rng: np.random.Generator) -> None:
    """A short bar across the middle of the stem, drawn onto the field in place."""
    row = shape.top + shape.height * rng.uniform(0.45, 0.62)
    cols = _ink_columns(shape, row)
    stem_x = float(cols.mean())
    half = max(shape.right - shape.left, shape.height * 0.5) * rng.uniform(0.2, 0.32)
    shift = half * rng.uniform(-0.25, 0.25)
    tilt = math.tan(math.radians(rng.uniform(-8, 8)))
    draw_segment(field, (row + tilt * half, stem_x - half + shift),
                 (row - tilt * half, stem_x + half + shift), shape.width * rng.uniform(0.85, 1.1))


def crossed_seven(image: np.ndarray, rng: np.random.Generator, finish: bool = True) -> np.ndarray:
    """7 with a short bar across the middle of its stem."""
    shape = measure(image)
    if shape is None:
        return image
    field = shape.ink.copy()
    _crossbar(shape, field, rng)
    return _finish(field) if finish else field


STYLES: dict[str, tuple[int, Callable[[np.ndarray, np.random.Generator], np.ndarray]]] = {
    "slashed_zero": (0, slashed_zero),
    "flagged_one": (1, flagged_one),
    "footed_one": (1, footed_one),
    "crossed_seven": (7, crossed_seven),
    "long_flag_one": (1, long_flag_one),
    "short_bar_seven": (7, short_bar_seven),
}
"""Each style's name -> (the digit it is a way of writing, the function drawing it)."""
FLAGGED = ("flagged_one", "footed_one")  # the styles that take a flag's ranges
SOURCE_DIGIT = {"short_bar_seven": 1}  # styles drawn onto another digit's images
TEST_ONLY = ("long_flag_one", "short_bar_seven")  # never drawn by ``apply_styles`` (the
# polish's flags teach the long one; its ``short_bar_sevens`` are added as 7s, made_sevens)


def apply_styles(images: np.ndarray, labels: np.ndarray, shares: dict[str, float],
                 rng: np.random.Generator, flag: dict | None = None) -> np.ndarray:
    """Restyle a random share of each class (float images in [0, 1], (N, 28, 28[, 1])).

    ``shares`` maps a style name to the fraction of its digit's images that get it; the
    styles of one digit split its images (a 1 gets at most one of flag or foot). ``flag``
    (``degrees=``, ``length=`` ranges) draws the ones' flags other than by default.
    Labels never change: a slashed zero is a zero."""
    out = np.array(images, np.float32, copy=True)
    squeeze = out.ndim == 4
    plane = out[..., 0] if squeeze else out
    draws = rng.random(len(labels))
    for digit in np.unique(labels):
        styles = [(n, s) for n, s in shares.items()
                  if s > 0 and n in STYLES and STYLES[n][0] == digit and n not in TEST_ONLY]
        low = 0.0
        for name, share in styles:
            chosen = np.flatnonzero((labels == digit) & (draws >= low) & (draws < low + share))
            low += share
            extra = flag if flag and name in FLAGGED else {}
            for i in chosen:
                plane[i] = STYLES[name][1](plane[i], rng, **extra)
    return out


def _restyled(images: np.ndarray, chosen: np.ndarray, name: str,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The chosen uint8 images with the style drawn on, labelled with the style's digit."""
    digit, draw = STYLES[name]
    styled = np.stack([draw(images[i].astype(np.float32) / 255.0, rng) for i in chosen]) \
        if len(chosen) else np.zeros((0, *images.shape[1:]), np.float32)
    return np.round(styled * 255).astype(np.uint8), np.full(len(chosen), digit, np.uint8)


def style_test_set(images: np.ndarray, labels: np.ndarray, name: str,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every image of the style's digit (or of its ``SOURCE_DIGIT``), restyled (seeded):
    uint8 MNIST-style test data, labelled with the style's digit."""
    rng = np.random.default_rng([seed, list(STYLES).index(name)])
    chosen = np.flatnonzero(labels == SOURCE_DIGIT.get(name, STYLES[name][0]))
    styled, styled_labels = _restyled(images, chosen, name, rng)
    return styled, styled_labels.astype(labels.dtype)


def made_sevens(images: np.ndarray, labels: np.ndarray, count: int,
                seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` of the given 1s (chosen without repeats, seeded) made into short-bar 7s
    and labelled 7: training images for the 7 nearest the long-flag one. Their own 1s
    stay in the data as 1s, so the network learns the bar's angle and length apart from
    the flag's rather than "a 1 with anything on top"."""
    rng = np.random.default_rng([seed, list(STYLES).index("short_bar_seven"), 1])
    ones = np.flatnonzero(labels == SOURCE_DIGIT["short_bar_seven"])
    chosen = rng.choice(ones, size=min(count, len(ones)), replace=False)
    return _restyled(images, np.sort(chosen), "short_bar_seven", rng)


# --- the long-flag one and the short-bar 7 drawn with canvas strokes --------------------
# Strokes in a unit box (x right, y down), drawn upright and then slanted: how a hand
# writes them with a mouse or a pen, not how a style is added onto an MNIST digit.

DRAWN_SIZE = (100.0, 240.0)  # height of the drawing on the canvas, pixels
DRAWN_BRUSHES = (10, 14, 18, 24, 30)  # the Draw page's brush widths
DRAWN_LEAN = (-5.0, 20.0)  # degrees a stem leans (positive: its top to the right)


def _lean(strokes: list[np.ndarray], degrees: float) -> list[np.ndarray]:
    slant = math.tan(math.radians(degrees))
    return [np.stack([s[:, 0] + slant * (1 - s[:, 1]), s[:, 1]], axis=1) for s in strokes]


def drawn_long_flag_one(rng: np.random.Generator) -> list[np.ndarray]:
    """A continental 1 with a long flag (``LONG_FLAG_*``) in one stroke (up the flag and
    down the stem: a narrow inverted V) or in two, with a foot in ``LONG_FLAG_FOOT``."""
    turn = math.radians(rng.uniform(*LONG_FLAG_DEGREES))
    reach = rng.uniform(*LONG_FLAG_LENGTH)
    end = (-reach * math.sin(turn), reach * math.cos(turn))
    if rng.random() < 0.5:  # one stroke
        strokes = [np.array([end, (0.0, 0.0), (0.0, 1.0)])]
    else:
        joint = (rng.uniform(-0.02, 0.02), rng.uniform(-0.04, 0.1))
        strokes = [np.array([(end[0] + joint[0], end[1] + joint[1]), joint]),
                   np.array([(0.0, 0.0), (0.0, 1.0)])]
    if rng.random() < LONG_FLAG_FOOT:
        half, tilt = rng.uniform(0.18, 0.35), rng.uniform(-0.03, 0.03)
        strokes.append(np.array([(-half, 1 + tilt), (half, 1 - tilt)]))
    return _lean(strokes, rng.uniform(*DRAWN_LEAN))


def drawn_short_bar_seven(rng: np.random.Generator) -> list[np.ndarray]:
    """A 7 with a short top bar (``SHORT_BAR_LENGTH`` of the height, level or a little
    drooping), in one stroke, crossed in ``SHORT_BAR_CROSSED`` of them."""
    bar = rng.uniform(*SHORT_BAR_LENGTH)
    droop = rng.uniform(-0.04, 0.08)
    strokes = [np.array([(-bar, droop), (0.0, 0.0), (0.0, 1.0)])]
    lean = rng.uniform(5.0, 25.0)  # a 7's stem runs down to the left: its top leans right
    if rng.random() < SHORT_BAR_CROSSED:
        half, row = rng.uniform(0.12, 0.22), rng.uniform(0.45, 0.6)
        centre = half * rng.uniform(-0.25, 0.25)  # across the (still upright) stem, x = 0
        strokes.append(np.array([(centre - half, row), (centre + half, row)]))
    return _lean(strokes, lean)


DRAWN_STYLES: dict[str, tuple[int, Callable[[np.random.Generator], list[np.ndarray]]]] = {
    "long_flag_one": (1, drawn_long_flag_one),
    "short_bar_seven": (7, drawn_short_bar_seven),
}
"""The styles drawn with canvas strokes: name -> (digit, strokes in a unit box)."""


def drawn_canvas(strokes: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Unit-box strokes drawn at a random size (``DRAWN_SIZE``), place and brush on the
    canvas, each point a little off (a hand): white on black, as the server sees it."""
    strokes = [s + rng.normal(0, 0.008, s.shape) for s in strokes]
    points = np.vstack(strokes)
    low, extent = points.min(axis=0), np.ptp(points, axis=0).max()
    size = rng.uniform(*DRAWN_SIZE)
    brush = float(rng.choice(DRAWN_BRUSHES))
    span = np.ptp(points, axis=0) / extent * size
    margin = brush / 2 + 1
    offset = [rng.uniform(margin, max(margin, CANVAS_SIZE - margin - s)) for s in span]
    placed = tuple((brush, ((s - low) / extent * size + offset).astype(np.float32))
                   for s in strokes)
    return rasterize(Drawing(0, CANVAS_SIZE, CANVAS_SIZE, placed))


def drawn_test_set(name: str, count: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """``count`` canvas drawings of a drawn style (seeded) and their digit."""
    digit, strokes = DRAWN_STYLES[name]
    rng = np.random.default_rng([seed, list(DRAWN_STYLES).index(name), 7])
    return [drawn_canvas(strokes(rng), rng) for _ in range(count)], np.full(count, digit)


def examples(images: np.ndarray, labels: np.ndarray, per_style: int = 8,
             seed: int = 0) -> dict[str, np.ndarray]:
    """A few MNIST digits in each style, for pictures: name -> uint8 (n, 28, 28)."""
    rows = {}
    for name, (digit, _) in STYLES.items():
        picked = np.flatnonzero(labels == SOURCE_DIGIT.get(name, digit))[:per_style]
        rows[name.replace("_", " ")] = style_test_set(images[picked], labels[picked], name,
                                                      seed)[0]
    return rows
