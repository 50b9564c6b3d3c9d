"""A person at the Draw page: real mouse strokes in Chromium, the prediction read back."""

import numpy as np

from hwr.browser import answer_text, canvas_selector, draw_strokes, wait_idle
from hwr.evaluate import load_predictions, most_confused_pairs
from hwr.recognizer import DEFAULT_MODEL_DIR
from tests.strokes import DIGITS, PLACEMENTS, place

# Every style of every digit, each at one of the placements (sizes and positions vary).
CASES = [(d, s, PLACEMENTS[(d + s) % len(PLACEMENTS)])
         for d, styles in DIGITS.items() for s in range(len(styles))]


def clear(page, version: int) -> None:
    """Clear, then wait for the new canvas and for the app to settle.

    Waiting for the new canvas matters: Clear takes two script runs, the page text looks
    the same after each, and a stroke begun while the new canvas starts up is lost."""
    page.locator(".st-key-clear button").click()
    page.wait_for_selector(canvas_selector(f"canvas-digit-{version + 1}"))
    wait_idle(page)


def test_every_drawn_digit_is_recognized(page, artifacts):
    failures = []
    for version, (digit, style, placement) in enumerate(CASES):
        key = f"canvas-digit-{version}"
        draw_strokes(page, key, place(DIGITS[digit][style], *placement))
        wait_idle(page)
        got = answer_text(page)
        if got != str(digit):
            failures.append((digit, style, placement, got))
            page.screenshot(path=artifacts / f"draw-failed-{digit}-{style}.png")
        if (digit, style) == (3, 0):
            page.screenshot(path=artifacts / "draw-page.png", full_page=True)
        clear(page, version)
    assert not failures, failures


def test_clear_returns_to_the_invitation(page):
    draw_strokes(page, "canvas-digit-0", place(DIGITS[7][0], *PLACEMENTS[0]))
    wait_idle(page)
    assert answer_text(page) == "7"
    clear(page, 0)
    assert answer_text(page) is None
    assert page.get_by_text("Draw a digit in the box").is_visible()
    assert page.locator(canvas_selector("canvas-digit-1")).count() == 1  # a fresh canvas


def test_drawing_survives_a_visit_to_another_page(page):
    draw_strokes(page, "canvas-digit-0", place(DIGITS[2][0], *PLACEMENTS[0]))
    wait_idle(page)
    assert answer_text(page) == "2"
    page.get_by_role("link", name="Evaluation").click()
    page.wait_for_selector("text=How good is the model?")
    page.get_by_role("link", name="Draw").click()
    page.wait_for_selector(canvas_selector("canvas-digit-0"))
    wait_idle(page)
    assert answer_text(page) == "2"


def test_several_digits_are_read_as_a_number(page, artifacts):
    page.get_by_text("Several digits", exact=True).click()
    page.wait_for_selector(canvas_selector("canvas-number-0"))
    strokes = []
    for i, digit in enumerate((2, 0, 7)):
        strokes += place(DIGITS[digit][0], 40 + i * 200, 30, 160)
    draw_strokes(page, "canvas-number-0", strokes)
    wait_idle(page)
    page.screenshot(path=artifacts / "draw-number.png", full_page=True)
    assert answer_text(page) == "207"


def test_evaluation_page_opens_and_shows_a_cell(page, artifacts):
    labels, probs = load_predictions(DEFAULT_MODEL_DIR)
    predicted = probs.argmax(axis=1)
    pairs = [p for p in most_confused_pairs(np.array(
        [[np.sum((labels == t) & (predicted == q)) for q in range(10)] for t in range(10)]))
        if (p[0], p[1]) != (4, 9)]  # (4, 9) is the page's initial selection
    true_digit, pred_digit, count = pairs[0]

    page.get_by_role("link", name="Evaluation").click()
    page.wait_for_selector("text=Training curves")
    wait_idle(page)
    assert page.get_by_text("Test accuracy").is_visible()
    cell = page.locator(f'.st-key-cm_chart path[aria-label*="true: {true_digit}; '
                        f'predicted: {pred_digit};"]')
    cell.click(position={"x": 4, "y": 4})  # a corner: the centre holds the count label
    page.wait_for_selector(f"text=test images of a {true_digit} predicted as {pred_digit}")
    wait_idle(page)
    summary = page.get_by_text(f"test images of a {true_digit} predicted as").inner_text()
    assert summary.startswith(str(count))
    page.screenshot(path=artifacts / "evaluation-page.png", full_page=True)
