"""Canvas-like drawings made from MNIST digits: how a digit drawn in the browser looks.

A digit drawn in the browser is large, anywhere on a 280x280 canvas, with a round brush
much thicker than MNIST's pen once scaled. Rendering MNIST test digits that way gives
labelled "browser drawings" to measure the whole recognize() path on; choosing which
model ships (scripts/compare_models.py) depends on it, so it lives in the package.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from hwr.sizes import CANVAS_SIZE, IMAGE_SIZE

MNIST_STROKE = 2.5  # typical MNIST stroke width in pixels, for a digit 20 pixels tall


def canvas_like(digit: np.ndarray, rng: np.random.Generator, canvas: int = CANVAS_SIZE,
                height_range: tuple[float, float] = (0.35, 0.9),
                brush_range: tuple[int, int] = (12, 26),
                max_rotation: float = 10.0) -> np.ndarray:
    """One MNIST digit (28x28 uint8) -> an RGBA canvas image, white strokes on black."""
    rows = np.flatnonzero(digit.max(axis=1) > 50)
    cols = np.flatnonzero(digit.max(axis=0) > 50)
    crop = digit[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32) / 255.0
    height = rng.uniform(*height_range) * canvas
    scale = min(height / crop.shape[0], 0.95 * canvas / crop.shape[1])
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    big = Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC)
    mask = Image.fromarray(((np.asarray(big) > 0.35) * 255).astype(np.uint8))
    brush = rng.integers(*brush_range, endpoint=True)
    grow = int(round(brush - MNIST_STROKE * scale * 20 / max(crop.shape)))
    if grow >= 2:  # thicken the pen stroke to the brush width
        mask = mask.filter(ImageFilter.MaxFilter(grow // 2 * 2 + 1))
    mask = mask.rotate(rng.uniform(-max_rotation, max_rotation), expand=True,
                       resample=Image.Resampling.BILINEAR)
    mask = mask.filter(ImageFilter.GaussianBlur(0.8))  # a canvas brush is anti-aliased
    if max(mask.size) > canvas:
        mask.thumbnail((canvas, canvas))
    out = Image.new("L", (canvas, canvas))
    left = int(rng.integers(0, canvas - mask.width + 1))
    top = int(rng.integers(0, canvas - mask.height + 1))
    out.paste(mask, (left, top))
    gray = np.asarray(out)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def canvas_number(digits: list[np.ndarray], rng: np.random.Generator,
                  height: int = 220, width: int = 700, gap: int = 20) -> np.ndarray:
    """Several MNIST digits side by side on one wide canvas (a student writing "2026")."""
    cell = (width - gap * (len(digits) + 1)) // len(digits)
    side = min(cell, height)
    out = np.zeros((height, width, 4), np.uint8)
    out[..., 3] = 255
    for i, digit in enumerate(digits):
        tile = canvas_like(digit, rng, canvas=side, height_range=(0.75, 0.9),
                           brush_range=(8, 14), max_rotation=5)
        left = gap + i * (cell + gap) + (cell - side) // 2
        top = (height - side) // 2
        out[top:top + side, left:left + side, :3] = np.maximum(
            out[top:top + side, left:left + side, :3], tile[..., :3])
    return out


def naive_resize(canvas_rgba: np.ndarray) -> np.ndarray:
    """What most MNIST demos do: shrink the whole canvas to 28x28 (the baseline)."""
    gray = Image.fromarray(canvas_rgba[..., :3].mean(axis=2).astype(np.uint8))
    return np.asarray(gray.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR), np.float32) / 255.0
