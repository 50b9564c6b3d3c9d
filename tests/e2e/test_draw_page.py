"""A person at the Draw page: real mouse, finger strokes in Chromium, the answer read back."""

import os
import random
import re
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from hwr.learning.evaluate import load_predictions, most_confused_pairs
from hwr.reading.recognizer import DEFAULT_MODEL_DIR
from tests.e2e.conftest import CANVAS
from tests.support import page_clock
from tests.support.browser import (
    ANSWER,
    ANSWER_ELEMENT,
    CAPTION,
    answer_text,
    canvas_selector,
    clear_canvas,
    draw_strokes,
    expect_run_finished,
    free_port,
    pen_strokes,
    streamlit_server,
    stroke_count,
    touch_strokes,
    wait_idle,
)
from tests.support.strokes import DIGITS, NON_DIGITS, PLACEMENTS, STYLED, place

KEY = "canvas-digit"
# Every style of every digit, each at one of the placements (sizes and positions vary).
CASES = [(d, s, PLACEMENTS[(d + s) % len(PLACEMENTS)])
         for d, styles in DIGITS.items() for s in range(len(styles))]
TWO_STROKES = [(d, s) for d, styles in DIGITS.items() for s, style in enumerate(styles)
               if len(style) == 2]


def read_answer(page, expected: str, timeout: float = 15.0) -> str | None:
    """The answer once it shows ``expected`` (or whatever it settles on by the timeout)."""
    try:
        expect(page.locator(ANSWER).first).to_have_text(
            expected, use_inner_text=True, timeout=timeout * 1000)
        return expected
    except AssertionError:
        wait_idle(page)
        return answer_text(page)


def test_every_drawn_digit_is_recognized(page, artifacts):
    failures = []
    for digit, style, placement in CASES:
        draw_strokes(page, KEY, place(DIGITS[digit][style], *placement))
        got = read_answer(page, str(digit))
        if got != str(digit):
            failures.append((digit, style, placement, got))
            page.screenshot(path=artifacts / f"draw-failed-{digit}-{style}.png")
        if (digit, style) == (3, 0):
            page.screenshot(path=artifacts / "draw-page.png", full_page=True)
        clear_canvas(page)
        expect(page.locator(ANSWER)).to_have_count(0)
    assert not failures, failures


def test_writing_styles_mnist_lacks_are_read_right(page, artifacts):
    """A slashed zero, a flagged one, a one with a foot and a crossed seven, by mouse."""
    failures = []
    for name, (digit, strokes) in STYLED.items():
        clear_canvas(page)
        draw_strokes(page, KEY, place(strokes, *PLACEMENTS[0]), pause=0.15)
        got = read_answer(page, str(digit))
        if got != str(digit):
            failures.append((name, got))
            page.screenshot(path=artifacts / f"style-failed-{name}.png")
    assert not failures, failures


def test_a_drawing_that_is_no_digit_is_called_so(page, artifacts):
    """A heart and a house: the answer says so plainly, the best guess only small."""
    for name in ("heart", "house"):
        clear_canvas(page)
        draw_strokes(page, KEY, place(NON_DIGITS[name], *PLACEMENTS[0]), pause=0.15)
        got = read_answer(page, "That does not look like a digit")
        page.screenshot(path=artifacts / f"not-a-digit-{name}.png")
        assert got == "That does not look like a digit", (name, got)
        assert "best guess" in page.locator(CAPTION).first.inner_text()
        confirm = page.locator(".hwr-ch-confirm")  # quiet: the canvas's own row
        expect(confirm.locator("button")).to_have_count(10)  # the right digit can be saved
        assert confirm.locator(".hwr-ch-ticked").count() == 0  # none is ticked
    clear_canvas(page)
    draw_strokes(page, KEY, place(DIGITS[3][0], *PLACEMENTS[0]))
    assert read_answer(page, "3") == "3"  # and a digit after it is a digit again
    ticked = page.locator(".hwr-ch-confirm .hwr-ch-ticked")
    expect(ticked).to_have_count(1)
    assert ticked.inner_text().split()[-1] == "3"  # the answer's digit is the ticked one


def test_drawing_right_after_clear_is_read(page):
    """Clear acts in the browser: a digit begun 0-300 ms later keeps every stroke."""
    rng = random.Random(0)
    failures = []
    for i in range(12):
        digit, style = (i % 10, 0)
        clear_canvas(page)
        time.sleep(rng.uniform(0.0, 0.3))
        strokes = place(DIGITS[digit][style], *PLACEMENTS[0])
        draw_strokes(page, KEY, strokes, pause=0.15)
        got = read_answer(page, str(digit))
        if got != str(digit) or stroke_count(page, KEY) != len(strokes):
            failures.append((digit, got, stroke_count(page, KEY)))
    assert not failures, failures


def test_two_stroke_digits_keep_both_strokes(page):
    """Strokes 150 ms apart, as people write a 4 or a 5: both reach the recognizer."""
    failures = []
    for digit, style in TWO_STROKES * 2:
        clear_canvas(page)
        draw_strokes(page, KEY, place(DIGITS[digit][style], *PLACEMENTS[0]), pause=0.15)
        got = read_answer(page, str(digit))
        if got != str(digit) or stroke_count(page, KEY) != 2:
            failures.append((digit, style, got))
    assert not failures, failures


def test_clear_and_undo_act_in_place(page):
    canvas = page.locator(CANVAS)
    canvas.evaluate("c => { c.dataset.marked = 'yes'; }")
    strokes = place(DIGITS[4][0], *PLACEMENTS[0])
    draw_strokes(page, KEY, strokes, pause=0.15)
    assert read_answer(page, "4") == "4"
    page.locator(".hwr-undo").click()  # the upright stroke goes: no longer a 4
    assert stroke_count(page, KEY) == 1
    expect(page.locator(ANSWER)).not_to_have_text("4", use_inner_text=True)
    clear_canvas(page)
    expect(page.locator(ANSWER)).to_have_count(0)
    expect(page.locator(".hwr-note:visible")).to_contain_text("Draw a digit in the box")
    assert stroke_count(page, KEY) == 0
    assert canvas.get_attribute("data-marked") == "yes"  # the same canvas, never remounted


def test_without_live_answers_only_stroke_ends_are_sent(page):
    """Live answers are off unless asked for: the canvas sends what it sent before
    them, the whole drawing at each stroke's end, and nothing while a stroke is drawn."""
    root = page.locator(f".st-key-{KEY} .hwr-canvas-root")
    assert root.get_attribute("data-live") == "off"
    clear_canvas(page)
    draw_strokes(page, KEY, place(DIGITS[4][0], *PLACEMENTS[0]), pause=0.15)
    assert read_answer(page, "4") == "4"
    sent = root.evaluate("r => r.hwrSent")  # quiet: none at all (the channel answered)
    assert not any(partial for _, partial, _ in sent)


def test_drawing_survives_a_visit_to_another_page(page):
    draw_strokes(page, KEY, place(DIGITS[2][0], *PLACEMENTS[0]))
    assert read_answer(page, "2") == "2"
    page.get_by_role("link", name="Evaluation").click()
    page.wait_for_selector("text=How good is the model?")
    page.get_by_role("link", name="Draw").click()
    page.wait_for_selector(CANVAS)
    assert read_answer(page, "2") == "2"
    assert stroke_count(page, KEY) == 1


def test_draw_page_has_its_own_address(browser, app_url):
    """Also checks the benchmarks' page clock: the page records when the canvas was
    ready and how long after the mouse-up the answer appeared."""
    page = browser.new_page()
    page_clock.install(page, CANVAS, ANSWER_ELEMENT)
    try:
        opened = time.time()
        page.goto(app_url + "/draw")
        page.wait_for_selector(CANVAS)
        assert opened < page_clock.first_ready(page, CANVAS) <= time.time()
        assert page.get_by_text("Page not found").count() == 0
        before = time.perf_counter()
        draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
        assert read_answer(page, "7") == "7"
        assert 0 < page_clock.since_pointer_up(page, ANSWER_ELEMENT) < \
            time.perf_counter() - before
    finally:
        page.close()


def test_several_digits_are_read_as_a_number(page, artifacts):
    page.get_by_text("Several digits", exact=True).click()
    page.wait_for_selector(canvas_selector("canvas-number"))
    strokes = []
    for i, digit in enumerate((2, 0, 7)):
        strokes += place(DIGITS[digit][0], 40 + i * 200, 30, 160)
    draw_strokes(page, "canvas-number", strokes)
    got = read_answer(page, "207")
    page.screenshot(path=artifacts / "draw-number.png", full_page=True)
    assert got == "207"

    clear_canvas(page, "canvas-number")
    strokes = place(DIGITS[2][0], 40, 30, 160) + place(NON_DIGITS["heart"], 240, 30, 160) + \
        place(DIGITS[7][0], 440, 30, 160)
    draw_strokes(page, "canvas-number", strokes)
    got = read_answer(page, "2?7")
    page.screenshot(path=artifacts / "draw-number-not-a-digit.png", full_page=True)
    assert got == "2?7"


def test_phone_touch_strokes_start_anywhere(phone, artifacts):
    """A finger has no hover: a 4 begun in each ninth of the canvas, the top-right band
    included, keeps both strokes and is read."""
    failures = []
    for left in (5, 85, 165):
        for top in (0, 85, 165):
            strokes = place(DIGITS[4][0], left, top, 110)
            touch_strokes(phone, phone.cdp, KEY, strokes, pause=0.15)
            got = read_answer(phone, "4")
            if got != "4" or stroke_count(phone, KEY) != 2:
                failures.append((left, top, got, stroke_count(phone, KEY)))
                phone.screenshot(path=artifacts / f"phone-failed-{left}-{top}.png")
            clear_canvas(phone)
            expect(phone.locator(ANSWER)).to_have_count(0)
    assert not failures, failures


def test_pen_strokes_begin_in_the_top_right_band(page):
    """A pen touches down with no hover first: a 7 and a 4 begun in the canvas's top
    right corner (where the old canvas's invisible toolbar took the stroke) are read."""
    cdp = page.context.new_cdp_session(page)
    for digit, strokes in ((7, place(DIGITS[7][0], 150, 0, 125)),
                           (4, place(DIGITS[4][0], 150, 0, 125))):
        clear_canvas(page)
        pen_strokes(page, cdp, KEY, strokes, pause=0.15)
        assert read_answer(page, str(digit)) == str(digit)
        assert stroke_count(page, KEY) == len(strokes)


def test_phone_layout_canvas_fills_the_width_and_answer_stays_in_view(phone, artifacts):
    touch_strokes(phone, phone.cdp, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    assert read_answer(phone, "7") == "7"
    phone.screenshot(path=artifacts / "phone-draw-page.png")
    width = phone.viewport_size["width"]
    height = phone.viewport_size["height"]
    canvas = phone.locator(CANVAS).bounding_box()
    answer = phone.locator(ANSWER).bounding_box()
    assert canvas["width"] >= 0.9 * width
    assert phone.evaluate("window.scrollY") == 0
    assert 0 <= answer["y"] and answer["y"] + answer["height"] <= height  # answer on screen
    assert canvas["y"] + canvas["height"] <= height  # ... with the whole canvas


# Every tap target a student can reach on the page (the sidebar, collapsed, aside) under
# 44x44 px. An input a label covers or holds (a switch's, "Say the answer"'s) counts as
# that label.
SMALL_TAP_TARGETS = """() => {
  const small = [];
  const targets = 'button, [role="tab"], a[href], input, label:has(input), label[for]';
  for (const el of document.querySelectorAll(targets)) {
    let r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1 || r.right <= 0 || r.left >= innerWidth) continue;
    let target = el;
    if (el.tagName === 'INPUT') {
      el.scrollIntoView({block: 'center'});
      r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      if (hit && hit !== el) target = hit.closest('label, button') || el;
      else if (el.closest('label')) target = el.closest('label');
      r = target.getBoundingClientRect();
    }
    if (r.width < 44 || r.height < 44)
      small.push(`${target.tagName} "${(target.innerText || target.getAttribute('aria-label')
        || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return small;
}"""
TO_TOP = ("() => { for (const e of document.querySelectorAll('*')) "
          "if (e.scrollTop) e.scrollTop = 0; }")  # whichever element scrolls the page


@pytest.fixture(scope="module")
def class_server(mnist_dir, tmp_path_factory):
    """A server of the module's own, on a class database this test may start classes in
    (the session's server is shared by the other browser tests)."""
    db = tmp_path_factory.mktemp("draw-class") / "class.sqlite3"
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db)},
                          model_ready=True, preloaded=True) as url:
        yield url, db


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_a_student_in_a_class_on_a_phone(browser, class_server, artifacts):
    """Issue 38, a Pixel 7 in a class: the nickname on the page; every tap target at least
    44x44 px; "Is it right?" on screen with the answer; a compact "Fool the network"
    prompt, the bars' digits inside the answer area and a hint that fits the round; the
    page follows the class's end without a reload."""
    from hwr.class_data.collection import ClassCollection
    from hwr.class_data.rounds import FOOL

    url, db = class_server
    classes = ClassCollection(db)
    lesson = classes.start_class("7B")
    context = browser.new_context(**browser.devices["Pixel 7"])
    try:
        phone = context.new_page()
        phone.set_default_timeout(60_000)
        phone.goto(url + "/?name=Ana")
        phone.wait_for_selector(CANVAS)
        cdp = context.new_cdp_session(phone)
        height, width = phone.viewport_size["height"], phone.viewport_size["width"]
        expect(phone.locator(".st-key-hwr-nickname-line button")).to_contain_text(
            "You are Ana · change")
        for _ in range(30):  # the fresh server loads its model in the background
            touch_strokes(phone, cdp, KEY, place(DIGITS[3][0], *PLACEMENTS[0]))
            if read_answer(phone, "3", timeout=5) == "3":
                break
            clear_canvas(phone)
        confirm = phone.locator('[class*="st-key-hwr_confirm_"]')
        expect(confirm.locator("button")).to_have_count(10)
        wait_idle(phone)
        phone.screenshot(path=artifacts / "phone-class.png")
        assert phone.evaluate(SMALL_TAP_TARGETS) == []
        assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
        # "Is it right?" comes into view while the answer is still on screen
        confirm.evaluate("e => e.scrollIntoView({block: 'end'})")
        answer, row = box(phone, ".hwr-answer"), confirm.bounding_box()
        assert answer["y"] >= 0 and row["y"] + row["height"] <= height + 1, (answer, row)

        classes.start_round(lesson.id, FOOL, None, 120)
        prompt = phone.locator(".hwr-prompt")
        expect(prompt).to_be_visible(timeout=30_000)
        clear_canvas(phone)
        phone.evaluate(TO_TOP)
        touch_strokes(phone, cdp, KEY, place(DIGITS[4][0][:1], *PLACEMENTS[0]))  # unsure
        caption = phone.locator(".hwr-caption")
        expect(caption).to_contain_text("nearly fooled")
        expect(caption).not_to_contain_text("more clearly")
        expect(phone.locator('[class*="st-key-hwr_meant_"] button')).to_have_count(10)
        wait_idle(phone)
        phone.evaluate(TO_TOP)
        phone.screenshot(path=artifacts / "phone-fool-the-network.png")
        assert prompt.bounding_box()["height"] <= 64  # two lines at most
        assert box(phone, CANVAS)["y"] <= 0.62 * height  # it was 652 of 839 px
        area, bars = box(phone, ".st-key-hwr-answer-area"), box(phone, ".hwr-probabilities")
        assert bars["y"] + bars["height"] <= area["y"] + area["height"]  # digits not cut
        assert phone.evaluate(SMALL_TAP_TARGETS) == []
        assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert width == 412

        classes.end_class()  # the teacher ends the class: no stroke, no reload here
        expect(phone.get_by_text("The class has ended")).to_be_visible(timeout=30_000)
        expect(phone.get_by_text("Your drawings appear on the class wall")).to_have_count(0)
        expect(phone.locator(".st-key-hwr-nickname-line")).to_have_count(0)
        expect(confirm.locator("button")).to_have_count(10)  # "Is it right?" is back
    finally:
        context.close()
        classes.end_class()


def test_an_idle_page_in_a_class_sends_nothing_and_hears_of_the_round(browser, class_server):
    """Issue 41: with its answer channel open, a student's page in a class stops polling
    (nothing goes to Streamlit while the student does nothing), and the channel tells
    it when the teacher starts a round, and when the class ends."""
    from hwr.class_data.collection import ClassCollection
    from hwr.class_data.rounds import DIGIT

    url, db = class_server
    classes = ClassCollection(db)
    lesson = classes.start_class("7C")
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    sent = []
    page.on("websocket", lambda ws: "/_stcore/stream" in ws.url and ws.on(
        "framesent", lambda _frame: sent.append(time.monotonic())))
    try:
        page.goto(url + "/?name=Idle")
        expect(page.locator(f".st-key-{KEY} .hwr-canvas-root")).to_have_attribute(
            "data-channel", "open", timeout=30_000)
        draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))  # the model is up:
        expect(page.locator(ANSWER)).to_have_text("7", timeout=60_000)  # no warm-up poll
        clear_canvas(page)
        wait_idle(page)
        before = len(sent)
        page.wait_for_timeout(6500)  # three of the round's polls (ROUND_POLL: 2 s);
        # Playwright's wait, so that the frames sent meanwhile are recorded
        assert len(sent) == before, "an idle page sent messages to Streamlit"
        classes.start_round(lesson.id, DIGIT, 7, 120)
        expect(page.locator(".hwr-prompt")).to_have_text("Everyone draw a 7",
                                                         timeout=15_000)
        classes.end_class()
        expect(page.locator(".hwr-prompt")).to_have_count(0, timeout=15_000)
        expect(page.locator(".st-key-hwr-nickname-line")).to_have_count(0)
    finally:
        page.context.close()
        classes.end_class()


def test_a_page_whose_server_session_is_gone_comes_back_working(browser, mnist_dir):
    """A phone that sleeps loses its websocket; when it wakes, the server may have
    dropped its session, or restarted. The page reconnects to a new session and draws."""
    port = free_port()
    env = {"HWR_DATA_DIR": str(mnist_dir)}
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        with streamlit_server(env=env, port=port, preloaded=True) as url:
            page.goto(url)
            page.wait_for_selector(CANVAS)
            draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
            expect(page.locator(ANSWER)).to_be_visible(timeout=60_000)
        with streamlit_server(env=env, port=port, model_ready=True, preloaded=True):
            expect(page.get_by_test_id("stConnectionStatus")).to_have_count(0, timeout=60_000)
            clear_canvas(page)
            for _ in range(30):  # the page may still be on its way back
                draw_strokes(page, KEY, place(DIGITS[3][0], *PLACEMENTS[0]))
                if read_answer(page, "3", timeout=5) == "3":
                    break
                clear_canvas(page)
            assert answer_text(page) == "3"
    finally:
        page.close()


# The server's Python reads this at start: the model's load waits for the test's cue.
HOLD_THE_MODEL = """import os, time
from pathlib import Path
from hwr.reading import recognizer
_load = recognizer.DigitRecognizer.load.__func__
_release = Path(os.environ["HWR_TEST_MODEL_RELEASE"])
def _held(cls, *args, **kwargs):
    while not _release.exists():
        time.sleep(0.05)
    return _load(cls, *args, **kwargs)
recognizer.DigitRecognizer.load = classmethod(_held)
"""


def test_a_drawing_made_while_the_model_loads_is_answered(browser, mnist_dir, tmp_path):
    """A fresh server shows the canvas before TensorFlow has loaded; a digit drawn then
    gets 'warming up' and its answer once the model is there. The first visit is to
    the page's own address: a fresh server once ran hwr/pages/draw/page.py there instead of
    the router (a blank page). The model's load waits for the test's cue, so the drawing
    is made while it loads on a fast machine as on a slow one."""
    site, release = tmp_path / "site", tmp_path / "release"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HOLD_THE_MODEL)
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "PYTHONPATH": path,
                               "HWR_TEST_MODEL_RELEASE": str(release)},
                          preloaded=True) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(url + "/draw")
            page.wait_for_selector(CANVAS)
            draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
            page.wait_for_selector("text=Warming up the model")
            release.touch()
            expect(page.locator(ANSWER)).to_be_visible(timeout=60_000)
            assert read_answer(page, "7") == "7"
        finally:
            page.close()


def test_evaluation_page_opens_and_shows_a_cell(page, artifacts):
    labels, probs = load_predictions(DEFAULT_MODEL_DIR)
    predicted = probs.argmax(axis=1)
    pairs = [p for p in most_confused_pairs(np.array(
        [[np.sum((labels == t) & (predicted == q)) for q in range(10)] for t in range(10)]))
        if (p[0], p[1]) != (4, 9)]  # (4, 9) is the page's initial selection
    true_digit, pred_digit, count = pairs[0]

    page.get_by_role("link", name="Evaluation").click()
    page.wait_for_selector("text=Training curves")
    expect(page.get_by_text("Test accuracy")).to_be_visible()
    expect_run_finished(page)  # the chart is the page's last: a click now is not lost
    cell = page.locator(f'.st-key-cm_chart path[aria-label*="true: {true_digit}; '
                        f'predicted: {pred_digit};"]')
    cell.click(position={"x": 4, "y": 4})  # a corner: the centre holds the count label
    summary = page.get_by_text(f"test images of the digit {true_digit} predicted as {pred_digit}")
    expect(summary).to_have_text(re.compile(rf"^{count}\b"))
    wait_idle(page)  # the images too, for the screenshot
    page.screenshot(path=artifacts / "evaluation-page.png", full_page=True)
