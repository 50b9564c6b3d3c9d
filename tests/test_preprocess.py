"""Preprocessing: any image in, an MNIST-style 28x28 digit (or "empty") out."""

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from hwr.reading.preprocess import (
    InvalidImageError,
    load_upload,
    preprocess,
    preprocess_number,
    to_ink,
)


def canvas_with(draw_fn, size=(280, 280), bg=0, fg=255, mode="L"):
    image = Image.new(mode, size, bg)
    draw_fn(ImageDraw.Draw(image), fg)
    return image


def tall_bar(draw, fg, width=20):
    draw.line([(140, 40), (140, 240)], fill=fg, width=width)


def ink_box(image):
    rows = np.flatnonzero(image.max(axis=1) > 0.2)
    cols = np.flatnonzero(image.max(axis=0) > 0.2)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_output_is_28x28_in_unit_range_with_ink_centred():
    drawing = canvas_with(lambda d, fg: d.ellipse([30, 150, 120, 260], outline=fg, width=15))
    out = preprocess(drawing)
    assert not out.is_empty
    assert out.image.shape == (28, 28) and out.image.dtype == np.float32
    assert out.image.min() >= 0.0 and out.image.max() <= 1.0 and out.image.max() > 0.9
    cy, cx = ndimage.center_of_mass(out.image)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0


def test_longer_side_fits_the_20_pixel_box_and_aspect_is_kept():
    wide = canvas_with(lambda d, fg: d.rectangle([20, 120, 260, 160], fill=fg))
    height, width = ink_box(preprocess(wide).image)
    assert width == 20
    assert 2 <= height <= 5  # 40/240 of 20 pixels, plus anti-aliasing


def test_tall_thin_stroke_stays_thin():
    height, width = ink_box(preprocess(canvas_with(tall_bar)).image)
    assert height == 20 and width <= 5


@pytest.mark.parametrize("make", [
    lambda: np.zeros((280, 280, 4), np.uint8),  # transparent canvas
    lambda: np.dstack([np.zeros((280, 280, 3), np.uint8), np.full((280, 280), 255, np.uint8)]),
    lambda: np.full((100, 120), 255, np.uint8),  # blank white paper
    lambda: np.full((50, 50), 0.4, np.float32),  # flat grey
])
def test_no_ink_is_empty_not_a_guess(make):
    out = preprocess(make())
    assert out.is_empty and out.message
    assert not out.image.any()


def test_a_dot_is_not_a_digit():
    dot = canvas_with(lambda d, fg: d.ellipse([130, 130, 142, 142], fill=fg))
    out = preprocess(dot)
    assert out.is_empty and "dot" in out.message


def test_dark_on_light_equals_light_on_dark():
    light = preprocess(canvas_with(tall_bar)).image
    dark = preprocess(canvas_with(tall_bar, bg=255, fg=0)).image
    np.testing.assert_allclose(light, dark, atol=1e-5)


def test_transparent_background_with_dark_ink():
    rgba = canvas_with(tall_bar, bg=(0, 0, 0, 0), fg=(20, 20, 200, 255), mode="RGBA")
    np.testing.assert_allclose(preprocess(rgba).image, preprocess(canvas_with(tall_bar)).image,
                               atol=1e-5)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "I", "F", "1"])
def test_pil_modes_give_the_same_digit(mode):
    reference = preprocess(canvas_with(tall_bar)).image
    image = canvas_with(tall_bar).convert(mode) if mode != "I;16" else Image.fromarray(
        (np.asarray(canvas_with(tall_bar), np.uint16) * 257))
    out = preprocess(image)
    assert not out.is_empty
    assert np.abs(out.image - reference).max() < 0.05


@pytest.mark.parametrize("dtype, scale", [(np.uint8, 255), (np.uint16, 65535), (np.float32, 1.0),
                                          (np.float64, 255.0), (np.int32, 1000), (bool, 1)])
def test_array_dtypes(dtype, scale):
    base = np.asarray(canvas_with(tall_bar), np.float64) / 255
    out = preprocess((base * scale).astype(dtype))
    assert not out.is_empty and ink_box(out.image)[0] == 20


def test_very_large_input_is_handled_quickly():
    huge = np.zeros((6000, 8000), np.uint8)
    huge[1000:5000, 3900:4200] = 255
    start = time.perf_counter()
    out = preprocess(huge)
    assert time.perf_counter() - start < 2.0
    assert not out.is_empty and ink_box(out.image)[0] == 20


@pytest.mark.parametrize("bad", [np.zeros((0, 10)), np.zeros((5, 5, 7)), np.zeros((2, 2, 2, 2)),
                                 np.array([[np.nan, 1.0]]), np.array([["a"]])])
def test_unusable_arrays_raise_the_documented_error(bad):
    with pytest.raises(InvalidImageError):
        preprocess(bad)


def test_three_separated_digits_are_split_left_to_right():
    def three(draw, fg):
        draw.line([(80, 40), (80, 200)], fill=fg, width=14)  # 1
        draw.ellipse([160, 40, 260, 200], outline=fg, width=14)  # 0
        draw.line([(330, 40), (400, 40), (350, 200)], fill=fg, width=14)  # 7
    parts = preprocess_number(canvas_with(three, size=(450, 240)))
    assert len(parts) == 3
    widths = [ink_box(p)[1] for p in parts]
    assert widths[0] < 8 and widths[1] > 12  # the 1 first, then the 0


def test_broken_strokes_of_one_digit_are_merged():
    def five(draw, fg):  # a 5 written as two separate strokes
        draw.line([(100, 40), (180, 40)], fill=fg, width=12)
        draw.line([(100, 60), (100, 120), (170, 130), (170, 200), (100, 210)], fill=fg, width=12)
    assert len(preprocess_number(canvas_with(five))) == 1


def test_number_on_empty_canvas_is_empty():
    assert preprocess_number(np.zeros((200, 600, 4), np.uint8)) == []


def png_bytes(image, fmt="PNG"):
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def test_upload_of_png_and_jpeg():
    drawing = canvas_with(tall_bar, bg=255, fg=0).convert("RGB")
    for fmt in ("PNG", "JPEG"):
        assert not preprocess(load_upload(png_bytes(drawing, fmt))).is_empty


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"%PDF-1.4 not an image at all", "not an image"),
    (png_bytes(Image.new("L", (100, 100)))[:60], "damaged or truncated"),
])
def test_bad_uploads_get_a_clear_message(data, message):
    with pytest.raises(InvalidImageError, match=message):
        load_upload(data)


def test_oversized_uploads_are_refused():
    data = png_bytes(Image.new("L", (3000, 3000)))
    with pytest.raises(InvalidImageError, match="megapixels"):
        load_upload(data, max_pixels=1_000_000)
    with pytest.raises(InvalidImageError, match="MB"):
        load_upload(data, max_bytes=1000)


def test_sixteen_bit_and_palette_uploads():
    sixteen = Image.fromarray(np.asarray(canvas_with(tall_bar), np.uint16) * 257)
    palette = canvas_with(tall_bar).convert("RGB").convert("P")
    for image in (sixteen, palette):
        assert not preprocess(load_upload(png_bytes(image))).is_empty


def test_to_ink_normalizes_contrast_of_faint_photos():
    faint = np.full((100, 100), 200, np.uint8)
    faint[20:80, 45:55] = 150  # grey pencil on light paper
    ink = to_ink(faint)
    assert ink.max() == pytest.approx(1.0) and ink[0, 0] == 0.0
