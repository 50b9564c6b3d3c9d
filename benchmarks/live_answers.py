#!/usr/bin/env python
"""Live answers in one browser (issue 30): how often the answer changes while a stroke
is drawn, and how far behind the pen it is.

Headless Chromium on the Draw page in presentation mode (live answers on by default),
--strokes steady strokes of --seconds each (a digit's first stroke, drawn with real
mouse events at an even pace). The page records every answer it shows and the canvas
records when each drawing it sent was drawn (the time of its last point), so:
  updates_per_stroke  live answers shown while the pen was down (target >= 8 in 2 s)
  live_*_ms           each live answer's delay after the last point it shows was drawn
                      (target p95 <= 150 ms, one session)
  pen_up_*_ms         pen-up to the complete drawing's answer
The figures depend on what else the machine runs: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from tests.support.browser import (
    ANSWER,
    canvas_selector,
    chromium_browser,
    chromium_or_exit,
    clear_canvas,
    draw_until_answered,
    expect_run_finished,
    streamlit_server,
)
from tests.support.figures import print_summary, spread
from tests.support.live import ANSWER_LOG, answers, live_figures, slow_stroke
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
ROOT = f".st-key-{KEY} .hwr-canvas-root"
DRAWN = [2, 3, 7, 6, 0, 9, 8, 5, 1, 4]  # digits whose first stroke is drawn, in turn


# The pen-up's answer: Python's or the canvas's panel (the answer channel's reply).
REGIONS = ":is(.hwr-live, .hwr-ch-live)[aria-busy='false']:visible"
FINAL = f"{REGIONS} :is(.hwr-answer, .hwr-ch-digit)"


def measure(url: str, strokes: int, seconds: float) -> dict:
    from playwright.sync_api import expect

    with chromium_browser(chromium_or_exit()) as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.set_default_timeout(120_000)
        page.add_init_script(script=ANSWER_LOG)
        page.goto(url)
        page.wait_for_selector(canvas_selector(KEY))
        draw_until_answered(page, KEY, place(DIGITS[1][0], *PLACEMENTS[0]))
        page.get_by_text("Presentation mode").click()
        expect(page.locator(ROOT)).to_have_attribute("data-live", "on")
        expect_run_finished(page)
        per_stroke = []
        for n in range(strokes):
            clear_canvas(page)
            expect(page.locator(ANSWER)).to_have_count(0)
            digit = DRAWN[n % len(DRAWN)]
            slow_stroke(page, place(DIGITS[digit][0], *PLACEMENTS[n % len(PLACEMENTS)])[0],
                        seconds, points=max(20, round(seconds * 30)))
            expect(page.locator(FINAL)).to_be_attached()  # the pen-up's answer, either one
            expect_run_finished(page)
            shown, pen = answers(page)
            sent = page.locator(ROOT).evaluate("r => r.hwrSent")
            per_stroke.append(live_figures(shown, pen, sent))
    delays = [d for s in per_stroke for d in s["delays_ms"]]
    ups = [s["pen_up_ms"] for s in per_stroke if s["pen_up_ms"] is not None]
    updates = [s["updates"] for s in per_stroke]
    return {"strokes": strokes, "stroke_seconds": seconds,
            "updates_per_stroke": updates, "updates_min": min(updates),
            "updates_p50": float(np.median(updates)),
            "live_updates": len(delays), **spread(delays, "live_{}_ms"),
            **spread(ups, "pen_up_{}_ms"),
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--strokes", type=int, default=10)
    p.add_argument("--seconds", type=float, default=2.0, help="each stroke's duration")
    p.add_argument("--url", help="a running server (default: start one here)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if args.strokes < 1 or args.seconds <= 0:
        p.error("--strokes must be at least 1 and --seconds positive")
    load = round(os.getloadavg()[0], 2)
    if args.url:
        summary = measure(args.url, args.strokes, args.seconds)
    else:
        with streamlit_server() as url:
            summary = measure(url, args.strokes, args.seconds)
    summary["load_average_1min_at_start"] = load
    print_summary(summary, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
