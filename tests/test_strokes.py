"""The end-to-end stroke paths, rendered offline the way the canvas draws them."""

import pytest

from tests.strokes import DIGITS, PLACEMENTS, place, render

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
