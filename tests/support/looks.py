"""What a person sees of a page, measured in the browser: is the stylesheet still there,
and is the Draw page's answer laid out as it should be (a large digit, ten bars side by
side, beside the canvas on a laptop and above it on a phone, nothing wider than the
screen).

A test that clicks through a flow does not notice a page that lost its styles: every
element is still there, only unreadable. These checks look at computed styles and boxes.
"""

from __future__ import annotations

from playwright.sync_api import expect

MIN_DIGIT_PX = 48  # the answer's digit, at least this high on any screen
BARS = 10

# The stylesheet as the page has it: how many <style> elements hold it, and a probe's
# computed style (an .hwr-answer of its own: 7rem from style.css, 16 px without it).
_STYLES = """() => {
    const probe = document.createElement('div');
    probe.className = 'hwr-answer';
    probe.textContent = '0';
    document.body.appendChild(probe);
    const size = parseFloat(getComputedStyle(probe).fontSize);
    probe.remove();
    const sheets = [...document.querySelectorAll('style')]
        .filter(s => s.textContent.includes('.hwr-answer')).length;
    return {sheets, probe: size,
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth};
}"""

# The answer panel's geometry: the digit's box and font, the bars' boxes, the canvas.
_ANSWER = """() => {
    const box = e => { const r = e.getBoundingClientRect();
        return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
    const answer = document.querySelector('.hwr-answer');
    const canvas = document.querySelector('canvas.hwr-canvas');
    const bars = [...document.querySelectorAll('.hwr-probabilities > div')].map(box);
    return {answer: answer && box(answer),
            font: answer && parseFloat(getComputedStyle(answer).fontSize),
            canvas: canvas && box(canvas), bars};
}"""


def assert_styled(page, where: str) -> None:
    """The page carries hwr's stylesheet (once) and nothing is wider than the screen."""
    looks = page.evaluate(_STYLES)
    assert looks["sheets"] == 1, f"{where}: hwr's stylesheet {looks['sheets']} times"
    assert looks["probe"] >= MIN_DIGIT_PX, \
        f"{where}: the stylesheet is gone (an answer's digit would be {looks['probe']} px)"
    assert looks["scrollWidth"] <= looks["innerWidth"], \
        f"{where}: {looks['scrollWidth']} px wide on a {looks['innerWidth']} px screen"


ANSWER_BACK_MS = 20_000


def assert_answer_laid_out(page, where: str, phone: bool) -> None:
    """The Draw page's answer as designed: the digit large, the ten bars in one row, the
    answer beside the canvas (a laptop) or above it (a phone), and the stylesheet. A
    whole-page rerun (a language switch) redraws the drawing area last: on a busy
    machine that took over 5 s, so the answer gets ANSWER_BACK_MS to come back."""
    expect(page.locator(".hwr-answer")).to_be_visible(timeout=ANSWER_BACK_MS)
    assert_styled(page, where)
    shape = page.evaluate(_ANSWER)
    answer, canvas, bars = shape["answer"], shape["canvas"], shape["bars"]
    assert answer["h"] >= MIN_DIGIT_PX and shape["font"] >= MIN_DIGIT_PX, \
        f"{where}: the answer's digit is {answer['h']:.0f} px high ({shape['font']} px font)"
    assert len(bars) == BARS, f"{where}: {len(bars)} bars"
    tops = {round(b["y"]) for b in bars}
    assert max(tops) - min(tops) <= 2, f"{where}: the bars are not in one row: tops {tops}"
    lefts = [b["x"] for b in bars]
    assert lefts == sorted(lefts) and len({round(x) for x in lefts}) == BARS, \
        f"{where}: the bars are not side by side: {lefts}"
    if phone:
        assert answer["y"] + answer["h"] <= canvas["y"] + 1, \
            f"{where}: the answer ({answer}) is not above the canvas ({canvas})"
    else:
        assert answer["x"] >= canvas["x"] + canvas["w"] - 1, \
            f"{where}: the answer ({answer}) is not beside the canvas ({canvas})"
