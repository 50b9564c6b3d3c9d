#!/usr/bin/env python
"""Lost strokes, counted in a real browser: does every drawing's answer see every stroke?

Three ways people lose strokes, --count drawings each, in headless Chromium:
  after-clear  Clear pressed, a digit begun 300 ms later (mouse)
  two-strokes  two-stroke digits (a 4, a 5, an 8, a 9), 150 ms between strokes (mouse)
  touch        a phone (Pixel 7, touch events, no hover), digits begun anywhere on the
               canvas, the top-right band included
A drawing is lost when the canvas holds fewer strokes than were drawn, or when the
page's answer is not what the recognizer says for the whole drawing (computed here from
the same strokes), within 10 s. Also prints the phone layout: canvas width and whether
the answer is on screen.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from playwright.sync_api import expect

from hwr import DigitRecognizer
from hwr.reading.drawing import rasterize
from tests.support.browser import (
    ANSWER,
    answer_text,
    canvas_selector,
    chromium_browser,
    chromium_or_exit,
    clear_canvas,
    draw_strokes,
    draw_until_answered,
    streamlit_server,
    stroke_count,
    touch_strokes,
    wait_idle,
)
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place

KEY = "canvas-digit"
ONE_STROKE = [(d, s) for d, styles in DIGITS.items() for s, st in enumerate(styles)
              if len(st) == 1]
TWO_STROKES = [(d, s) for d, styles in DIGITS.items() for s, st in enumerate(styles)
               if len(st) == 2]


def expected_answer(rec: DigitRecognizer, strokes) -> str:
    return str(rec.recognize(rasterize(as_drawing(strokes))).digit)


def settle(page, expected: str, strokes: int, timeout: float = 10.0) -> bool:
    """True once the canvas holds every stroke and the page shows the whole drawing's
    answer; False if that has not happened within the timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if stroke_count(page, KEY) == strokes and answer_text(page) == expected:
            return True
        time.sleep(0.03)
    return False


def run_case(page, rec, case: str, count: int, rng: random.Random, cdp=None) -> list:
    lost = []
    for i in range(count):
        clear_canvas(page)
        if case == "after-clear":
            digit, style = rng.choice(ONE_STROKE)
            time.sleep(0.3)  # begun 300 ms after Clear, before its script run is over
            strokes = place(DIGITS[digit][style], *rng.choice(PLACEMENTS))
            draw_strokes(page, KEY, strokes, spacing=0)
        elif case == "two-strokes":
            expect(page.locator(ANSWER)).to_have_count(0)
            digit, style = rng.choice(TWO_STROKES)
            strokes = place(DIGITS[digit][style], *rng.choice(PLACEMENTS))
            draw_strokes(page, KEY, strokes, pause=0.15, spacing=0)
        else:
            expect(page.locator(ANSWER)).to_have_count(0)
            digit, style = rng.choice(ONE_STROKE + TWO_STROKES)
            size = rng.uniform(100, 170)
            strokes = place(DIGITS[digit][style], rng.uniform(0, 280 - size),
                            rng.uniform(0, 280 - size), size)
            touch_strokes(page, cdp, KEY, strokes, pause=0.15, spacing=0)
        expected = expected_answer(rec, strokes)
        if not settle(page, expected, len(strokes)):
            lost.append({"i": i, "digit": digit, "style": style, "expected": expected,
                         "answer": answer_text(page), "strokes": len(strokes),
                         "on_canvas": stroke_count(page, KEY)})
    return lost


def phone_layout(page) -> dict:
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    canvas = page.locator(canvas_selector(KEY)).bounding_box()
    touch_strokes(page, page.context.cdp, KEY, place(DIGITS[7][0], *PLACEMENTS[0]), spacing=0)
    # The answer on screen: Python's, or the panel the canvas draws from the answer
    # channel's reply (a quiet page, with no class running, gets only that one).
    wait_idle(page)  # the page's own runs (the channel opening) are over
    shown = page.locator(ANSWER).first
    shown.wait_for()
    answer = shown.bounding_box()
    return {"viewport": f"{width}x{height}", "canvas_width_px": round(canvas["width"]),
            "canvas_share_of_width": round(canvas["width"] / width, 3),
            "answer_on_screen_with_canvas": answer["y"] >= 0 and
            answer["y"] + answer["height"] <= height and
            canvas["y"] + canvas["height"] <= height}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=200, help="drawings per case")
    p.add_argument("--cases", nargs="+", default=["after-clear", "two-strokes", "touch"])
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    rec = DigitRecognizer.load()
    report = {}
    with chromium_browser(chromium_or_exit()) as browser, streamlit_server() as url:
        for case in args.cases:
            if case == "touch":
                context = browser.new_context(**browser.devices["Pixel 7"])
            else:
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            context.cdp = context.new_cdp_session(page)
            page.wait_for_selector(canvas_selector(KEY))
            draw_until_answered(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
            started = time.time()
            lost = run_case(page, rec, case, args.count, random.Random(case), context.cdp)
            report[case] = {"drawings": args.count, "lost": len(lost), "examples": lost[:5],
                            "seconds": round(time.time() - started)}
            print(f"{case}: {len(lost)} of {args.count} drawings lost", flush=True)
            if case == "touch":
                report["phone_layout"] = phone_layout(page)
                print(f"phone layout: {report['phone_layout']}")
            context.close()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(r.get("lost", 0) == 0 for r in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
