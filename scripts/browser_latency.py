#!/usr/bin/env python
"""Mouse-up to prediction on the page, in a real browser, against the bare round trip.

Starts the app and a bare canvas-only page (same Streamlit, same canvas, no model), draws
the same digits on both with real mouse events in Chromium, and times from the last
mouse-up until the answer appears. Prints p50/p95 of both and the overhead of the
prediction over the bare round trip.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from hwr.browser import (  # noqa: E402
    REPO,
    canvas_selector,
    chromium_browser,
    chromium_or_exit,
    draw_strokes,
    streamlit_server,
    wait_idle,
)
from tests.strokes import DIGITS, PLACEMENTS, place  # noqa: E402

# One mouse-up per drawing, so the clock times exactly one round trip.
SINGLE_STROKE = [style for styles in DIGITS.values() for style in styles if len(style) == 1]


def time_drawings(browser, url: str, count: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(url)
    version = 0
    page.wait_for_selector(canvas_selector(f"canvas-digit-{version}"))
    wait_idle(page)
    times = []
    for i in range(count + 2):  # the first two warm up
        style = SINGLE_STROKE[i % len(SINGLE_STROKE)]
        strokes = place(style, *PLACEMENTS[i % len(PLACEMENTS)])
        clock = {}
        draw_strokes(page, f"canvas-digit-{version}", strokes,
                     last_up=lambda: clock.setdefault("t0", time.perf_counter()))
        page.wait_for_selector(".hwr-answer", state="attached", timeout=30_000)
        if i >= 2:
            times.append(time.perf_counter() - clock["t0"])
        wait_idle(page, quiet=0.3)
        page.locator(".st-key-clear button").click()
        version += 1
        page.wait_for_selector(canvas_selector(f"canvas-digit-{version}"))
        page.wait_for_selector(".hwr-answer", state="detached")
        wait_idle(page, quiet=0.3)
    page.close()
    return times


def summary(name: str, seconds: list[float]) -> float:
    ms = np.array(seconds) * 1000
    p50, p95 = np.percentile(ms, 50), np.percentile(ms, 95)
    print(f"  {name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms (n={len(ms)})")
    return float(p50)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=30, help="drawings per page (>= 20)")
    args = p.parse_args(argv)
    with chromium_browser(chromium_or_exit()) as browser:
        with streamlit_server(REPO / "scripts" / "bare_canvas_app.py") as url:
            bare = time_drawings(browser, url, args.count)
        with streamlit_server() as url:
            app = time_drawings(browser, url, args.count)
    print("mouse-up to answer on the page, headless Chromium on this machine:")
    bare50 = summary("bare canvas round trip", bare)
    app50 = summary("hwr Draw page (preprocess + predict + charts)", app)
    print(f"  prediction adds {app50 - bare50:.0f} ms at p50 "
          f"({(app50 / bare50 - 1):+.0%} over the bare round trip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
