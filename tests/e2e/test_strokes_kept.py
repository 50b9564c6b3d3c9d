"""No stroke is lost to what the page does around the canvas, in a real browser.

Found in test_looks.py: a student cleared the canvas and at once drew a two-stroke 4; the
canvas got only the second stroke and the page answered "1". The canvas was neither
remounted nor cleared again: Clear's own run took the answer (and what hangs on it) off
the page, the page, scrolled down, got shorter, its scroll position clamped and the
canvas moved down by the height lost, ~0.1 s after the click; the first stroke's pen
went down where the canvas had been, above it now, and missed it.

And Streamlit's component calls canvas.js again for each new ``data``; it may call the
cleanup of a call it superseded while the canvas is still on the page: that must not
take the canvas (and its strokes) away."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    ANSWER,
    canvas_selector,
    draw_until_answered,
    wait_idle,
)
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
ROOT = f".st-key-{KEY} .hwr-canvas-root"
CANVAS_JS = Path(__file__).resolve().parents[2] / "hwr" / "pages" / "components" / "canvas.js"


def strokes_at(page, box: dict, scale: float, strokes) -> None:
    """Mouse strokes where the canvas was at ``box`` (as a person aims: where they saw it)."""
    for stroke in strokes:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0 * scale, box["y"] + y0 * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.up()


def test_clear_then_draw_at_once_on_a_scrolled_page_keeps_every_stroke(browser, app_url):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.wait_for_selector(canvas_selector(KEY))
    draw_until_answered(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))  # the model is up
    strokes_at(page, *box_and_scale(page), place(DIGITS[7][0], *PLACEMENTS[0]))
    expect(page.locator(ANSWER)).to_have_text("7", timeout=30_000)
    wait_idle(page)  # the answer, "Is it right?" and the network's inside: a long page
    # Scrolled to the bottom (to the network's inside, say): the canvas at the top. The
    # app's header lies over the page's top; hidden, the canvas is all there to draw on.
    page.add_style_tag(content='[data-testid="stHeader"] { display: none !important; }')
    page.get_by_test_id("stMain").evaluate("m => { m.scrollTop = m.scrollHeight; }")
    box, scale = box_and_scale(page)  # where the student sees the canvas at the click
    page.locator(f".st-key-{KEY} .hwr-clear").click()  # on screen: no scrolling to it
    expect(page.locator(ROOT)).to_have_attribute("data-strokes", "0")
    wait_idle(page)  # Clear's run is back (the answer is gone): nothing has moved
    assert canvas_top(page) == pytest.approx(box["y"], abs=1), "the canvas moved"
    strokes_at(page, box, scale, place(DIGITS[4][0], *PLACEMENTS[0]))
    expect(page.locator(ROOT)).to_have_attribute("data-strokes", "2")
    expect(page.locator(ANSWER)).to_have_text("4", timeout=30_000)
    page.context.close()


def box_and_scale(page) -> tuple[dict, float]:
    canvas = page.locator(canvas_selector(KEY))
    box = canvas.bounding_box()
    return box, box["width"] / canvas.evaluate("c => c.width / (window.devicePixelRatio || 1)")


def canvas_top(page) -> float:
    return page.locator(canvas_selector(KEY)).bounding_box()["y"]


# Streamlit's way with a component (its frontend, BidiComponent): each new ``data`` calls
# the module again; a call superseded while the module was awaited has its cleanup called
# at once, while the canvas is on the page.
SUPERSEDED = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  const mount = (await import(url)).default;
  const parentElement = document.createElement("div");
  document.body.appendChild(parentElement);
  const data = {width: 280, height: 280, brush: 18, color: "#FFFFFF", background: "#000000",
                max_css_width: 280, initial: null, clear_id: null, live: false};
  const sent = [];
  const call = (d) => mount({data: d, parentElement, setStateValue: (k, v) => sent.push(v)});
  call(data);
  const canvas = parentElement.querySelector("canvas");
  const r = canvas.getBoundingClientRect();
  const at = (x, y, type) => canvas.dispatchEvent(new PointerEvent(type, {
      pointerId: 1, pointerType: "mouse", button: 0, buttons: 1, bubbles: true,
      clientX: r.left + x, clientY: r.top + y}));
  at(100, 20, "pointerdown"); at(100, 200, "pointermove"); at(100, 200, "pointerup");
  const superseded = call({...data, brush: 20});  // a new data
  call({...data, brush: 22});                      // and another, at once
  await superseded();                              // the first one's cleanup
  const roots = parentElement.querySelectorAll(".hwr-canvas-root");
  const strokes = roots.length ? roots[0].dataset.strokes : null;
  const gone = call({...data, brush: 24});         // the canvas leaves the page
  parentElement.remove();
  await gone();
  return {roots: roots.length, strokes, sent: sent.length,
          after: parentElement.querySelectorAll(".hwr-canvas-root").length};
}"""


def test_a_superseded_calls_cleanup_leaves_the_canvas_and_its_strokes(browser):
    page = browser.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    said = page.evaluate(SUPERSEDED, CANVAS_JS.read_text(encoding="utf-8"))
    assert said == {"roots": 1, "strokes": "1", "sent": 1, "after": 0}
    page.close()
