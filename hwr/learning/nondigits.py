"""Drawings that are not digits: letters, shapes, arrows, smileys, hearts, houses, scribbles.

A model that knows only ten classes calls a child's heart "8, 97%". Training it on
non-digit drawings as an eleventh class teaches it to say so. They are made the way the
Draw page makes a digit: strokes on a 280x280 canvas, then ``preprocess`` as for any
drawing, so their stroke widths and framing match the app's.

Letters come from one of two sources (``LETTER_SOURCES``):

- ``"hershey"``: letters written as pen strokes, from the single-stroke vector fonts of
  the ``Hershey-Fonts`` package (its data ships inside the package, so every machine
  draws the same letters), with pen jitter, slant, rotation, size and brush width
  drawn at random. Training uses ``HERSHEY_TRAIN_FONTS``, the held-out test set
  ``HERSHEY_TEST_FONTS`` (other fonts, other seeds). Missing or broken font data raises
  ``NonDigitDataError`` naming the font (``letter_fonts``), never fewer shapes.
  ``"hershey_capitals"``: the same, capitals only (lower-case pen letters such as u, e, y
  and h are closer to some handwritten 4s and 8s).
- ``"truetype"``: filled outlines of the DejaVu TrueType fonts installed on the machine
  (what the shipped model's first stage learned, ``TRUETYPE_TRAIN_FONTS``). Kept so
  that first stage can be polished again; it needs those font files and stops with
  ``NonDigitDataError`` when they are missing, instead of another font silently.

Letters written like digits (O, o, D, Q, I, l, J, L, T, Z, S, B, G, b, g, q, and s and
z, which are S and Z made small) are left out: reading them as digits is right.
"""
from __future__ import annotations

import math
import string
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hwr.reading.drawing import Drawing, rasterize
from hwr.reading.preprocess import preprocess
from hwr.sizes import CANVAS_SIZE, IMAGE_SIZE

LIKE_DIGITS = set("OoDQIlJLTZSBGbgqsz")  # s and z: the shapes of S and Z
LETTERS = [c for c in string.ascii_letters if c not in LIKE_DIGITS]
MEASURED_LETTERS = "ACEFHKMNPRUVWXY"  # capitals measured one by one (pen_letter_canvases)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts",
             "C:/Windows/Fonts")
TRUETYPE_TRAIN_FONTS = "DejaVu"  # font file names containing this: the "truetype" letters
HERSHEY_PACKAGE = "Hershey-Fonts"  # pip install hershey-fonts (requirements.txt)
HERSHEY_TRAIN_FONTS = ("futural", "rowmand", "scripts", "timesr", "timesi")
HERSHEY_TEST_FONTS = ("rowmans", "futuram", "cursive")  # held out: never trained on
PEN_CAPITALS = [c for c in LETTERS if c.isupper()]  # the "hershey_capitals" letters
LETTER_SOURCES = ("hershey", "hershey_capitals", "truetype")
STROKE_RANGE = (1.2, 3.5)  # brush width in pixels once normalized to MNIST's 20x20 box
PEN_SLANT = (-0.35, 0.35)  # shear of a pen letter: x moves by this times the height
PEN_ROTATION = 12.0  # degrees either way
PEN_JITTER = 0.02  # a shaky hand's wobble, as a share of the letter's size


class NonDigitDataError(RuntimeError):
    """The data a non-digit source draws from is missing or broken (named in the message)."""

Stroke = np.ndarray  # (n, 2) points (x, y) in a unit box, y down


@lru_cache(maxsize=8)
def find_fonts(name: str) -> tuple[str, ...]:
    """Font files whose name contains ``name`` (sorted, so a seed means the same glyphs)."""
    found = set()
    for folder in FONT_DIRS:
        if Path(folder).is_dir():
            found.update(str(p) for p in Path(folder).rglob("*.ttf")
                         if name.lower() in p.name.lower() and "math" not in p.name.lower())
    return tuple(sorted(found))


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    if path is None:  # no such font installed: Pillow's own scalable font
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def truetype_fonts() -> tuple[str, ...]:
    """The TrueType files the "truetype" letters need; raises when none is installed."""
    fonts = find_fonts(TRUETYPE_TRAIN_FONTS)
    if not fonts:
        raise NonDigitDataError(
            f"no {TRUETYPE_TRAIN_FONTS} TrueType font files in {', '.join(FONT_DIRS)}: the "
            "'truetype' non-digit letters need them (the 'hershey' letters need no fonts "
            "of the machine)")
    return fonts


def letter(rng: np.random.Generator, fonts: tuple[str, ...]) -> np.ndarray:
    """A letter (not one written like a digit) rendered from a TrueType font as a canvas
    image, white on black (``fonts`` empty: Pillow's own font, for pictures only)."""
    char = LETTERS[rng.integers(len(LETTERS))]
    font = _font(fonts[rng.integers(len(fonts))] if fonts else None,
                 int(rng.integers(110, 250)))
    image = Image.new("L", (CANVAS_SIZE * 2, CANVAS_SIZE * 2))
    ImageDraw.Draw(image).text((CANVAS_SIZE, CANVAS_SIZE), char, fill=255, font=font, anchor="mm")
    image = image.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)
    box = image.getbbox()
    if box is None:
        return np.zeros((CANVAS_SIZE, CANVAS_SIZE), np.uint8)
    glyph = image.crop(box)
    glyph.thumbnail((CANVAS_SIZE - 8, CANVAS_SIZE - 8))
    out = Image.new("L", (CANVAS_SIZE, CANVAS_SIZE))
    out.paste(glyph, (int(rng.integers(0, CANVAS_SIZE - glyph.width + 1)),
                      int(rng.integers(0, CANVAS_SIZE - glyph.height + 1))))
    return np.asarray(out)


# --- letters written as pen strokes (Hershey fonts) -----------------------------------

@lru_cache(maxsize=None)
def hershey_glyphs(font: str) -> dict[str, tuple[np.ndarray, ...]]:
    """Each letter of ``LETTERS`` in a Hershey font: its strokes as (n, 2) points (x, y),
    y down. Raises ``NonDigitDataError`` naming the package or font when the data is
    missing or broken (an unknown font, unreadable data, a letter without strokes)."""
    try:
        from HersheyFonts import HersheyFonts
    except ImportError as e:
        raise NonDigitDataError(
            f"the {HERSHEY_PACKAGE} package is not installed ({e}); the 'hershey' non-digit "
            "letters draw from its fonts: pip install -r requirements.txt") from e
    try:
        fonts = HersheyFonts()
        fonts.load_default_font(font)
        glyphs = {char: tuple(np.array(stroke, np.float64) for stroke in
                              fonts.strokes_for_text(char) if len(stroke) >= 2)
                  for char in LETTERS}
    except Exception as e:  # an unknown name, or data that does not decode or parse
        raise NonDigitDataError(f"{HERSHEY_PACKAGE} font {font!r} cannot be read "
                                f"({type(e).__name__}: {e})") from e
    empty = [c for c, strokes in glyphs.items()
             if not strokes or np.ptp(np.vstack(strokes), axis=0).max() <= 0]
    if empty:
        raise NonDigitDataError(f"{HERSHEY_PACKAGE} font {font!r} is broken: no strokes for "
                                f"{''.join(empty)}")
    return glyphs


def letter_fonts(source: str, split: str = "train") -> tuple[str, ...]:
    """The fonts a letter source draws from (``split``: "train" or "test"), checked:
    raises ``NonDigitDataError`` saying which data is missing or broken."""
    if source in ("hershey", "hershey_capitals"):
        fonts = HERSHEY_TRAIN_FONTS if split == "train" else HERSHEY_TEST_FONTS
        for font in fonts:
            hershey_glyphs(font)
        return fonts
    if source == "truetype":
        return truetype_fonts()
    raise ValueError(f"unknown non-digit letter source {source!r} (one of "
                     f"{', '.join(LETTER_SOURCES)})")


def letters_record(source: str) -> dict:
    """What the model card says about a letter source: its fonts (and their package)."""
    if source in ("hershey", "hershey_capitals"):
        from importlib.metadata import PackageNotFoundError, version

        try:
            package = f"{HERSHEY_PACKAGE} {version(HERSHEY_PACKAGE)}"
        except PackageNotFoundError:
            package = HERSHEY_PACKAGE
        return {"source": source, "package": package, "train_fonts": list(HERSHEY_TRAIN_FONTS),
                "test_fonts": list(HERSHEY_TEST_FONTS),
                "letters": "".join(PEN_CAPITALS if source == "hershey_capitals" else LETTERS)}
    return {"source": source,
            "train_fonts": [Path(f).name for f in letter_fonts(source)]}


def _wobble(stroke: Stroke, rng: np.random.Generator, jitter: float) -> Stroke:
    """A stroke as a hand draws it: corners a little off, and a slow wobble along it."""
    points = stroke + rng.normal(0, jitter * 0.6, stroke.shape)
    steps = np.hypot(*np.diff(points, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    dense = np.linspace(0, along[-1], max(2, int(along[-1] / 0.02) + 2))
    points = np.stack([np.interp(dense, along, points[:, 0]),
                       np.interp(dense, along, points[:, 1])], axis=1)
    for axis in (0, 1):
        wave = rng.uniform(1.0, 3.0) * 2 * np.pi
        points[:, axis] += jitter * rng.uniform(0.2, 1.0) * np.sin(
            dense * wave + rng.uniform(0, 2 * np.pi))
    return points


def pen_letter(rng: np.random.Generator, fonts: tuple[str, ...],
               char: str | None = None, letters: list[str] = LETTERS) -> np.ndarray:
    """A letter (not one written like a digit) written with a pen from a Hershey font's
    strokes: slanted, rotated, stretched, shaky, at a random size, place and brush, as a
    canvas image, white on black."""
    char = char or letters[rng.integers(len(letters))]
    strokes = hershey_glyphs(fonts[rng.integers(len(fonts))])[char]
    points = np.vstack(strokes)
    low, extent = points.min(axis=0), np.ptp(points, axis=0).max()
    strokes = [(s - low) / extent for s in strokes]
    bottom = np.vstack(strokes)[:, 1].max()
    slant = rng.uniform(*PEN_SLANT)
    strokes = [s + np.stack([slant * (bottom - s[:, 1]), np.zeros(len(s))], axis=1)
               for s in strokes]
    jitter = PEN_JITTER * rng.uniform(0.3, 1.5)
    angle = rng.uniform(-PEN_ROTATION, PEN_ROTATION)
    stretch = np.array([rng.uniform(0.75, 1.25), 1.0])
    strokes = [_rotate(_wobble(s, rng, jitter), angle) * stretch for s in strokes]
    return _on_canvas(strokes, rng)


# --- shapes, as strokes in a unit box -------------------------------------------------

def _arc(cx, cy, rx, ry, start, turn, n=24) -> Stroke:
    t = np.radians(start + turn * np.linspace(0, 1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _poly(*points) -> Stroke:
    return np.array(points, np.float64)


def _smooth(points: np.ndarray, per_segment: int = 8) -> Stroke:
    """A Catmull-Rom curve through the points (a hand's smooth turns)."""
    p = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    out.append(points[-1:])
    return np.vstack(out)


def triangle(rng):
    pts = _poly((0.5 + rng.uniform(-0.2, 0.2), 0), (1, 1), (0, 1))
    return [np.vstack([pts, pts[:1]])]


def rectangle(rng):
    w = rng.uniform(0.5, 1.0)
    corners = _poly((0, 0), (w, 0), (w, 1), (0, 1), (0, 0))
    return [corners] if rng.random() < 0.6 else [corners[:3], corners[2:]]


def star(rng):
    t = np.radians(-90 + 144 * np.arange(6))
    return [np.stack([0.5 + 0.5 * np.cos(t), 0.5 + 0.5 * np.sin(t)], axis=1)]


def arrow(rng):
    shaft = _poly((0, 0.5), (1, 0.5))
    head = _poly((0.7, 0.25), (1, 0.5), (0.7, 0.75))
    angle = rng.choice([0, 45, 90, 135, 180, 225, 270, 315]) + rng.uniform(-10, 10)
    return [_rotate(s, angle) for s in (shaft, head)]


def smiley(rng):
    eyes = [_poly((x, 0.35), (x + 0.01, 0.37)) for x in (0.35, 0.65)]
    mouth = _arc(0.5, 0.5, 0.25, 0.22, 20, 140)
    return [_arc(0.5, 0.5, 0.5, 0.5, 0, 360, 32), *eyes, mouth]


def heart(rng):
    t = np.linspace(0, 2 * np.pi, 40)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([x, y], axis=1)]


def house(rng):
    roof = rng.uniform(0.3, 0.5)
    walls = _poly((0, roof), (0, 1), (1, 1), (1, roof), (0, roof))
    strokes = [walls, _poly((0, roof), (0.5, 0), (1, roof))]
    if rng.random() < 0.5:
        strokes.append(_poly((0.4, 1), (0.4, 0.7), (0.6, 0.7), (0.6, 1)))
    return strokes


def scribble(rng):
    return [_smooth(rng.random((int(rng.integers(6, 14)), 2)))]


def spiral(rng):
    turns = rng.uniform(1.8, 3.2)
    t = np.linspace(0, turns * 2 * np.pi, int(turns * 24))
    r = 0.05 + t / t[-1]
    return [np.stack([r * np.cos(t), r * np.sin(t)], axis=1)]


def zigzag(rng):
    n = int(rng.integers(4, 8))
    return [np.stack([np.linspace(0, 1, n), np.arange(n) % 2 * rng.uniform(0.3, 1)], axis=1)]


def cross(rng):
    return [_poly((0, 0), (1, 1)), _poly((1, 0), (0, 1))]


def hash_sign(rng):
    return [_poly((0.33, 0), (0.3, 1)), _poly((0.7, 0), (0.67, 1)),
            _poly((0, 0.33), (1, 0.33)), _poly((0, 0.67), (1, 0.67))]


def sun(rng):
    rays = [_poly((0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a)),
                  (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)))
            for a in np.radians(np.arange(0, 360, rng.choice([30, 45, 60])))]
    return [_arc(0.5, 0.5, 0.2, 0.2, 0, 360), *rays]


def wave(rng):
    t = np.linspace(0, rng.uniform(1.5, 3) * 2 * np.pi, 40)
    return [np.stack([t, np.sin(t)], axis=1)]


def stick_figure(rng):
    return [_arc(0.5, 0.15, 0.15, 0.15, 0, 360), _poly((0.5, 0.3), (0.5, 0.7)),
            _poly((0.15, 0.45), (0.85, 0.45)), _poly((0.2, 1), (0.5, 0.7), (0.8, 1))]


def cloud(rng):
    bumps = [_arc(cx, cy, r, r, s, 200, 12) for cx, cy, r, s in
             [(0.2, 0.6, 0.2, 90), (0.4, 0.35, 0.22, 160), (0.7, 0.4, 0.2, 200),
              (0.85, 0.65, 0.15, 270)]]
    return [np.vstack(bumps + [_poly((0.85, 0.8), (0.2, 0.8))])]


def check_mark(rng):
    return [_poly((0, 0.6), (0.35, 1), (1, 0))]


def flower(rng):
    petals = [_arc(0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a), 0.15, 0.15, 0, 360, 12)
              for a in np.radians(np.arange(0, 360, 60))]
    return [_arc(0.5, 0.5, 0.12, 0.12, 0, 360, 12), *petals]


def tree(rng):
    return [_poly((0.5, 0), (0.1, 0.7), (0.9, 0.7), (0.5, 0)), _poly((0.5, 0.7), (0.5, 1))]


def envelope(rng):
    return [_poly((0, 0), (1, 0), (1, 0.7), (0, 0.7), (0, 0)), _poly((0, 0), (0.5, 0.4), (1, 0))]


def lightning(rng):
    return [_poly((0.6, 0), (0.3, 0.5), (0.65, 0.45), (0.35, 1))]


def infinity(rng):
    t = np.linspace(0, 2 * np.pi, 40)
    return [np.stack([np.cos(t), np.sin(2 * t) / 2], axis=1)]


def equals(rng):
    return [_poly((0, 0.35), (1, 0.35)), _poly((0, 0.65), (1, 0.65))]


SHAPES: dict[str, Callable[[np.random.Generator], list[Stroke]]] = {
    f.__name__: f for f in (triangle, rectangle, star, arrow, smiley, heart, house, scribble,
                            spiral, zigzag, cross, hash_sign, sun, wave, stick_figure, cloud,
                            check_mark, flower, tree, envelope, lightning, infinity, equals)
}


def _rotate(stroke: Stroke, degrees: float) -> Stroke:
    a = math.radians(degrees)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (stroke - 0.5) @ rotation.T + 0.5


def shape(rng: np.random.Generator, kind: str | None = None) -> np.ndarray:
    """A shape drawn with a round brush on the canvas, by a slightly shaky hand."""
    kind = kind or list(SHAPES)[rng.integers(len(SHAPES))]
    strokes = SHAPES[kind](rng)
    angle = rng.uniform(-20, 20)
    stretch = np.array([rng.uniform(0.7, 1.3), 1.0])
    strokes = [_rotate(s, angle) * stretch + rng.normal(0, 0.008, s.shape) for s in strokes]
    return _on_canvas(strokes, rng)


def _on_canvas(strokes: list[Stroke], rng: np.random.Generator) -> np.ndarray:
    """Strokes in any box drawn with a round brush at a random size and place."""
    points = np.vstack(strokes)
    low, extent = points.min(axis=0), (points.max(axis=0) - points.min(axis=0)).max()
    size = rng.uniform(0.35, 0.9) * CANVAS_SIZE
    brush = rng.uniform(*STROKE_RANGE) * size / 20
    margin = brush / 2 + 1
    scale = (size - 2 * margin) / max(extent, 1e-6)
    span = (points.max(axis=0) - low) * scale
    offset = [rng.uniform(margin, max(margin, CANVAS_SIZE - margin - s)) for s in span]
    drawn = tuple((brush, ((s - low) * scale + offset).astype(np.float32)) for s in strokes)
    return rasterize(Drawing(0, CANVAS_SIZE, CANVAS_SIZE, drawn))


def canvas_drawings(count: int, seed: int, source: str = "hershey",
                    fonts: tuple[str, ...] | None = None,
                    letter_share: float = 0.5) -> tuple[list[np.ndarray], list[str]]:
    """``count`` non-digit canvas images (letters and shapes), seeded, and what each is
    ("letter" or the shape's name). ``source`` draws the letters (``LETTER_SOURCES``),
    from ``fonts`` (default: its training fonts, checked before anything is drawn)."""
    fonts = letter_fonts(source) if fonts is None else fonts
    if source == "truetype":
        draw_letter = letter
    else:
        capitals = source == "hershey_capitals"
        draw_letter = partial(pen_letter, letters=PEN_CAPITALS if capitals else LETTERS)
    rng = np.random.default_rng(seed)
    canvases, kinds = [], []
    for _ in range(count):
        if rng.random() < letter_share:
            canvases.append(draw_letter(rng, fonts))
            kinds.append("letter")
        else:
            kind = list(SHAPES)[rng.integers(len(SHAPES))]
            canvases.append(shape(rng, kind))
            kinds.append(kind)
    return canvases, kinds


def to_mnist(canvases: list[np.ndarray]) -> np.ndarray:
    """Canvas images -> MNIST-style uint8 (N, 28, 28), through the app's preprocessing."""
    out = np.zeros((len(canvases), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for i, canvas in enumerate(canvases):
        out[i] = np.round(preprocess(canvas).image * 255)
    return out


def training_set(count: int, seed: int, source: str = "hershey") -> np.ndarray:
    """Non-digits for training: letters from ``source``'s training fonts and shapes,
    uint8 (N, 28, 28)."""
    return to_mnist(canvas_drawings(count, seed, source)[0])


def test_canvases(count: int, seed: int = 10_001) -> tuple[list[np.ndarray], list[str]]:
    """The held-out non-digits: pen letters from the held-out Hershey fonts and shapes,
    from other seeds, as the canvas images a student would draw (measure them through
    ``recognize``)."""
    return canvas_drawings(count, seed, "hershey", letter_fonts("hershey", "test"))


def pen_letter_canvases(per_letter: int, seed: int = 20_001,
                        letters: str = MEASURED_LETTERS) -> tuple[list[np.ndarray], list[str]]:
    """Held-out pen letters (the held-out Hershey fonts, other seeds), ``per_letter`` of
    each of ``letters``: (canvas images, the letter of each)."""
    fonts = letter_fonts("hershey", "test")
    rng = np.random.default_rng(seed)
    chars = [c for c in letters for _ in range(per_letter)]
    return [pen_letter(rng, fonts, c) for c in chars], chars


def examples(count: int = 8, seed: int = 10_001) -> dict[str, np.ndarray]:
    """Held-out letters and shapes as the model sees them, for pictures."""
    canvases, kinds = test_canvases(count * 6, seed)
    letters = [c for c, k in zip(canvases, kinds) if k == "letter"][:count]
    shapes = [c for c, k in zip(canvases, kinds) if k != "letter"][:count]
    return {"not digits: letters": to_mnist(letters), "not digits: shapes": to_mnist(shapes)}
