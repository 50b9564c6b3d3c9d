"""Any drawing or image -> the 28x28 MNIST-style image the CNN was trained on.

MNIST digits were size-normalized into a 20x20 box keeping their aspect ratio (with
anti-aliasing), then placed in a 28x28 field with their centre of mass at the centre,
light ink on a dark background. Shrinking a whole 280x280 canvas to 28x28 gives a small,
off-centre, wrongly-weighted digit that the network has never seen, so this module
follows MNIST's own procedure instead. It uses only numpy, Pillow and SciPy (never
TensorFlow or Streamlit) so it is cheap to import and to test.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from hwr.sizes import IMAGE_SIZE
from hwr.translation import N_, Explained

DIGIT_BOX = 20
MAX_SIDE = 2048  # larger inputs are reduced before any per-pixel work
MAX_UPLOAD_PIXELS = 40_000_000  # decompression-bomb guard for uploaded files
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
INK_THRESHOLD = 0.2  # a pixel is ink above this fraction of the strongest ink
MIN_CONTRAST = 0.1  # below this the image is blank (or a flat colour)
MIN_DIGIT_FRACTION = 0.08  # ink smaller than this fraction of the image is a dot


class InvalidImageError(Explained):
    """The input cannot be read as an image; the message says why, for the user."""


@dataclass(frozen=True)
class Preprocessed:
    """The model's input plus why it may be unusable."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], ink = 1
    is_empty: bool
    message: str = ""  # why it is empty, for the user: an N_-marked sentence


def _pil_to_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(image, dtype=np.uint16)
    if image.mode in ("1", "L", "LA", "RGB", "RGBA", "I", "F"):
        return np.asarray(image)
    # CMYK, YCbCr, palette and the rest: let Pillow do the colour conversion.
    return np.asarray(image.convert("RGBA" if "transparency" in image.info or
                                    image.mode in ("P", "PA") else "RGB"))


def _reduce(array: np.ndarray) -> np.ndarray:
    """Subsample huge arrays (a view, no copy) so later steps cost at most ~MAX_SIDE^2."""
    step = int(np.ceil(max(array.shape[:2]) / MAX_SIDE))
    return array[::step, ::step] if step > 1 else array


def _fast_gray(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB(A) -> uint8 grey (or the alpha channel if it is the drawing), in C."""
    if rgb.shape[2] == 4 and rgb[..., 3].min() < 252:
        return rgb[..., 3]  # transparent background: what was painted is the drawing
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb[..., :3])).convert("L"))


def _scale_to_unit(array: np.ndarray) -> np.ndarray:
    """Any numeric dtype -> float32 in [0, 1]."""
    if array.dtype == bool:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.unsignedinteger):
        return array.astype(np.float32) / np.iinfo(array.dtype).max
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InvalidImageError(N_("Unsupported pixel type {dtype}."), dtype=str(array.dtype))
    with np.errstate(over="ignore"):  # values beyond float32 become inf, refused below
        out = array.astype(np.float32)
    if not np.isfinite(out).all():
        raise InvalidImageError(N_("The image contains NaN or infinite values."))
    low, high = float(out.min()), float(out.max())
    if low >= 0.0 and high <= 1.0 and np.issubdtype(array.dtype, np.floating):
        return out
    if low >= 0.0 and high <= 255.0:
        return out / 255.0
    return (out - low) / (high - low) if high > low else np.zeros_like(out)


def to_ink(image) -> np.ndarray:
    """Any image -> 2-D float32 ink map in [0, 1] (ink = 1, background = 0).

    Accepts a PIL image or an array: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), any
    numeric dtype, light-on-dark or dark-on-light. Transparent pixels are background,
    so a canvas or PNG with a transparent background works with any ink colour.
    """
    if isinstance(image, Image.Image):
        array = _pil_to_array(image)
    else:
        array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        pass
    elif array.ndim != 2:
        raise InvalidImageError(
            N_("Expected a 2-D image or one with 1-4 channels, got shape {shape}."),
            shape=array.shape)
    if array.size == 0:
        raise InvalidImageError(N_("The image is empty (zero pixels)."))
    array = _reduce(array)
    if array.dtype == np.uint8 and array.ndim == 3 and array.shape[2] in (3, 4):
        array = _fast_gray(array)  # the canvas's case: keep the per-stroke path short
    pixels = _scale_to_unit(array)
    alpha = None
    if pixels.ndim == 3:
        if pixels.shape[2] in (2, 4):
            alpha = pixels[..., -1]
            pixels = pixels[..., :-1]
        pixels = pixels.mean(axis=2) if pixels.shape[2] == 3 else pixels[..., 0]
    if alpha is not None and alpha.min() < 0.99:
        return alpha  # what was painted on a transparent background is the drawing
    background = float(np.median(np.concatenate(
        [pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])))
    ink = pixels - background if background < 0.5 else background - pixels
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        return np.zeros_like(ink)
    ink = np.clip(ink / peak, 0.0, 1.0)
    ink[ink < INK_THRESHOLD * 0.5] = 0.0  # paper texture and JPEG noise
    return ink


def _resize(array: np.ndarray, width: int, height: int) -> np.ndarray:
    shrinking = width < array.shape[1] or height < array.shape[0]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(array.astype(np.float32)).resize((width, height), method))


def _ink_box(ink: np.ndarray) -> tuple[slice, slice] | None:
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def center_digit(ink: np.ndarray) -> np.ndarray:
    """A cropped ink map -> 28x28: fit into 20x20 keeping aspect, centre of mass centred."""
    h, w = ink.shape
    scale = DIGIT_BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    digit = np.clip(_resize(ink, new_w, new_h), 0.0, 1.0)
    out = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    top, left = (IMAGE_SIZE - new_h) // 2, (IMAGE_SIZE - new_w) // 2
    out[top:top + new_h, left:left + new_w] = digit
    if out.sum() > 0:
        cy, cx = ndimage.center_of_mass(out)
        centre = (IMAGE_SIZE - 1) / 2
        # Shift by the rounded offset, but never push ink outside the field.
        dy = int(np.clip(round(centre - cy), -top, IMAGE_SIZE - top - new_h))
        dx = int(np.clip(round(centre - cx), -left, IMAGE_SIZE - left - new_w))
        out = np.roll(out, (dy, dx), axis=(0, 1))
    return out


def preprocess(image) -> Preprocessed:
    """One digit (drawing, photo, scan, array) -> MNIST-style 28x28, or "empty"."""
    ink = to_ink(image)
    box = _ink_box(ink)
    if box is None:
        return Preprocessed(np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32), True,
                            N_("Nothing drawn yet: draw a digit."))
    ys, xs = box
    extent = max(ys.stop - ys.start, xs.stop - xs.start)
    if extent < MIN_DIGIT_FRACTION * max(ink.shape) and max(ink.shape) > IMAGE_SIZE:
        return Preprocessed(np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32), True,
                            N_("That is only a dot: draw a bigger digit."))
    return Preprocessed(center_digit(ink[box]), False)


def segment_digits(ink: np.ndarray) -> list[np.ndarray]:
    """Split an ink map into its digits, left to right, each cropped to its own ink.

    Connected components of the ink, with the strokes of one digit merged: components
    whose horizontal extents overlap belong together (the two strokes of a 4 or a 5),
    and specks much smaller than the largest component are dropped.
    """
    mask = ink > INK_THRESHOLD
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count == 0:
        return []
    boxes = ndimage.find_objects(labels)
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
    heights = [b[0].stop - b[0].start for b in boxes]
    min_size = 0.05 * sizes.max()
    keep = [i for i in range(count)
            if sizes[i] >= min_size or heights[i] >= 0.3 * max(heights)]
    keep.sort(key=lambda i: boxes[i][1].start)

    groups: list[list[int]] = []
    for i in keep:
        xs = boxes[i][1]
        if groups:
            last = groups[-1]
            right = max(boxes[j][1].stop for j in last)
            left = min(boxes[j][1].start for j in last)
            overlap = min(right, xs.stop) - max(left, xs.start)
            narrower = min(right - left, xs.stop - xs.start)
            if overlap > 0.3 * narrower:
                last.append(i)
                continue
        groups.append([i])

    digits = []
    for group in groups:
        members = np.isin(labels, [i + 1 for i in group])
        piece = np.where(members, ink, 0.0)
        box = _ink_box(piece)
        if box is not None:
            digits.append(piece[box])
    return digits


def preprocess_number(image) -> list[np.ndarray]:
    """Several digits side by side -> one 28x28 image per digit, left to right."""
    return [center_digit(d) for d in segment_digits(to_ink(image))]


def load_upload(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES,
                max_pixels: int = MAX_UPLOAD_PIXELS) -> Image.Image:
    """Decode uploaded bytes safely: size and pixel limits, truncated or non-image files."""
    if len(data) == 0:
        raise InvalidImageError(N_("The file is empty."))
    if len(data) > max_bytes:
        raise InvalidImageError(
            N_("The file is {size:.1f} MB; the limit is {limit:.0f} MB."),
            size=len(data) / 1e6, limit=max_bytes / 1e6)
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > max_pixels:
            raise InvalidImageError(
                N_("The image is {width}x{height} pixels; the limit is {limit:.0f} "
                   "megapixels."), width=image.width, height=image.height,
                limit=max_pixels / 1e6)
        image.load()
    except InvalidImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise InvalidImageError(N_("This file is not an image that can be read (PNG or JPEG)."))
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise InvalidImageError(N_("The image file is damaged or truncated ({detail})."),
                                detail=str(e)) from None
    return image
