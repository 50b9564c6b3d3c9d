"""The canvas's stroke payload: parsed strictly, rasterized like the canvas draws it."""

import json

import numpy as np
import pytest

from hwr.reading.drawing import MAX_POINTS, MAX_STROKES, parse_drawing, rasterize
from hwr.reading.preprocess import InvalidImageError
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place


def payload(strokes, width=280, height=280, **extra):
    return {"id": 3, "width": width, "height": height, "strokes": strokes, **extra}


def test_a_stroke_is_drawn_where_it_was_made_with_its_brush():
    drawing = parse_drawing(payload([[10, 50, 60, 150, 60]]))
    image = rasterize(drawing)
    assert image.shape == (280, 280) and image.dtype == np.uint8
    assert image[60, 100] == 255 and image[60 + 4, 100] == 255  # inside the 10 px brush
    assert image[60 + 8, 100] == 0 and image[200, 200] == 0
    assert image[60, 52] == 255 and image[60, 40] == 0  # round cap, not beyond it


def test_a_tap_is_a_dot_and_an_empty_drawing_is_black():
    assert rasterize(parse_drawing(payload([[20, 100, 100]])))[100, 100] == 255
    empty = parse_drawing(payload([]))
    assert empty.is_empty and not rasterize(empty).any()


def test_payload_round_trips():
    drawing = as_drawing(place(DIGITS[4][0], *PLACEMENTS[0]), drawing_id=9)
    again = parse_drawing(json.loads(json.dumps(drawing.to_payload())))
    assert again.id == 9 and len(again.strokes) == 2
    assert again.to_payload() == drawing.to_payload()  # points kept to 0.1 px
    changed = rasterize(again) != rasterize(drawing)
    assert changed.mean() < 0.001


def test_every_stroke_reaches_the_recognizer(recognizer):
    """A 4 needs both its strokes: the first alone is not read as a 4."""
    strokes = place(DIGITS[4][0], *PLACEMENTS[0])
    assert recognizer.recognize(rasterize(as_drawing(strokes))).digit == 4
    assert recognizer.recognize(rasterize(as_drawing(strokes[:1]))).digit != 4


def test_points_outside_the_canvas_are_clamped_not_refused():
    drawing = parse_drawing(payload([[18, -50, 10, 400, 10]]))
    assert drawing.strokes[0][1].min() >= 0 and drawing.strokes[0][1].max() <= 280


@pytest.mark.parametrize("bad", [
    None, "strokes", [], {"width": 280, "height": 280},
    payload("x"), payload([[18, 1, 2, 3]]), payload([[18]]), payload([["a", 1, 2]]),
    payload([[18, float("nan"), 2]]), payload([[18, True, 2]]), payload([[18, 1, 2]], width=0),
    payload([[18, 1, 2]], width=10**9), payload([[18, 1, 2]], id="x"),
    payload([[18, 1, 2]] * (MAX_STROKES + 1)),
    payload([[18] + [1.0, 2.0] * (MAX_POINTS + 1)]),
    payload([[18, 1, 2]], partial="yes"), payload([[18, 1, 2]], partial=1),
    payload([[18, 1, 2]], seq=-1), payload([[18, 1, 2]], seq=1.5),
    payload([[18, 1, 2]], seq=2**60), payload([[18, 1, 2]], seq="7"),
    payload([[18, 1, 2]], seq=True),
])
def test_malformed_payloads_are_refused_with_a_message(bad):
    with pytest.raises(InvalidImageError) as e:
        parse_drawing(bad)
    assert str(e.value)


def test_a_live_partial_drawing_is_marked_and_numbered():
    """Live answers: the canvas marks the drawing so far as partial and numbers its
    messages; a drawing without either is a pen-up one, as before live answers."""
    partial = parse_drawing(payload([[18, 10, 10, 50, 50]], partial=True, seq=41))
    assert partial.partial and partial.seq == 41
    final = parse_drawing(payload([[18, 10, 10, 50, 50]], seq=42))
    assert not final.partial and final.seq == 42
    before = parse_drawing(payload([[18, 10, 10, 50, 50]]))
    assert not before.partial and before.seq is None
    # what is restored to the canvas carries neither
    assert "partial" not in partial.to_payload() and "seq" not in partial.to_payload()


def test_an_oversized_partial_drawing_is_refused_as_any_other():
    with pytest.raises(InvalidImageError):
        parse_drawing(payload([[18] + [1.0, 2.0] * (MAX_POINTS + 1)], partial=True))
    with pytest.raises(InvalidImageError):
        parse_drawing(payload([[18, 1, 2]] * (MAX_STROKES + 1), partial=True, seq=3))
