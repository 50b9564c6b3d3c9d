"""The end-to-end stroke paths, rendered offline the way the canvas draws them."""

import numpy as np
import pytest

from tests.support.browser import MOUSE_SPACING, pointer_path
from tests.support.strokes import DIGITS, NON_DIGITS, PLACEMENTS, STYLED, place, render

CASES = [(digit, style, placement) for digit, styles in DIGITS.items()
         for style in range(len(styles)) for placement in PLACEMENTS]


@pytest.mark.parametrize("digit, style, placement", CASES)
def test_every_style_size_and_position_is_recognized(recognizer, digit, style, placement):
    drawing = render(place(DIGITS[digit][style], *placement))
    assert recognizer.recognize(drawing).digit == digit


@pytest.mark.parametrize("brush", [8, 30])
def test_thin_and_thick_brushes(recognizer, brush):
    for digit, styles in DIGITS.items():
        drawing = render(place(styles[0], *PLACEMENTS[3]), brush=brush)
        assert recognizer.recognize(drawing).digit == digit


@pytest.mark.parametrize("name", list(STYLED))
@pytest.mark.parametrize("placement", PLACEMENTS)
def test_writing_styles_mnist_lacks_are_read_right(recognizer, name, placement):
    digit, strokes = STYLED[name]
    result = recognizer.recognize(render(place(strokes, *placement)))
    assert result.digit == digit and not result.not_a_digit


@pytest.mark.parametrize("name", list(NON_DIGITS))
def test_drawings_that_are_not_digits_are_flagged(recognizer, name):
    for placement in PLACEMENTS:
        result = recognizer.recognize(render(place(NON_DIGITS[name], *placement)))
        assert result.not_a_digit and not result.is_empty, placement


@pytest.mark.parametrize("digit, style, placement", CASES)
def test_the_browser_tests_pointer_events_draw_the_same_digit(recognizer, digit, style,
                                                              placement):
    """The browser tests send a pointer event every MOUSE_SPACING px, not one per point:
    each stroke keeps its ends, its events are that far apart, and the digit the canvas
    draws from them is read as the one drawn from every point."""
    strokes = place(DIGITS[digit][style], *placement)
    sent = [pointer_path(s, MOUSE_SPACING) for s in strokes]
    for stroke, path in zip(strokes, sent):
        assert path[0] == stroke[0] and path[-1] == stroke[-1]
        gaps = np.hypot(*np.diff(np.array(path[:-1]), axis=0).T)
        assert len(path) <= len(stroke) and (gaps >= MOUSE_SPACING).all()
    assert recognizer.recognize(render(sent)).digit == digit
