#!/usr/bin/env python
"""Mouse-up to prediction on the page, in a real browser, against the bare round trip.

Starts the app and a bare canvas-only page (same Streamlit, same canvas, no model), and
the bare page again with recognition added (the marker is the digit), draws the same
digits on all three with real mouse events in Chromium, and times from the last
mouse-up until the answer appears. Prints p50/p95 of each and the ratios.

``--languages de fr es`` also times the Draw page in those languages (``?lang=``) on the
same server, after English, and prints each against English; ``--pages draw`` leaves
the bare pages out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from tests.support import page_clock
from tests.support.browser import (
    REPO,
    canvas_selector,
    chromium_browser,
    chromium_or_exit,
    clear_canvas,
    draw_strokes,
    draw_until_answered,
    streamlit_server,
    wait_idle,
)
from tests.support.figures import spread
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
# One mouse-up per drawing, so the clock times exactly one round trip.
SINGLE_STROKE = [style for styles in DIGITS.values() for style in styles if len(style) == 1]


def time_drawings(browser, url: str, count: int) -> list[float]:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    page_clock.install(page, ".hwr-answer")
    page.goto(url)
    page.wait_for_selector(canvas_selector(KEY))
    draw_until_answered(page, KEY, place(SINGLE_STROKE[0], *PLACEMENTS[0]))
    times = []
    for i in range(count + 2):  # the first two warm up
        style = SINGLE_STROKE[i % len(SINGLE_STROKE)]
        draw_strokes(page, KEY, place(style, *PLACEMENTS[i % len(PLACEMENTS)]))
        page.wait_for_selector(".hwr-answer", state="attached", timeout=30_000)
        if i >= 2:
            times.append(page_clock.since_pointer_up(page, ".hwr-answer"))
        wait_idle(page, quiet=0.3)
        clear_canvas(page, KEY)
        page.wait_for_selector(".hwr-answer", state="detached")
        wait_idle(page, quiet=0.3)
    page.close()
    return times


def summary(name: str, seconds: list[float]) -> tuple[float, float]:
    figures = spread(np.array(seconds) * 1000)
    print(f"  {name}: p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms "
          f"(n={len(seconds)})")
    return figures["p50"], figures["p95"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=30, help="drawings per page (>= 20)")
    p.add_argument("--languages", nargs="*", default=[], metavar="LANG",
                   help="also time the Draw page in these languages (de fr es)")
    p.add_argument("--pages", choices=("all", "draw"), default="all",
                   help="draw: the Draw page only (with --languages: the languages' figures)")
    p.add_argument("--against", type=Path, metavar="CHECKOUT",
                   help="also time the Draw page of another checkout of hwr (e.g. a git "
                        "worktree of an earlier commit), after this one's, and print "
                        "this one against it")
    args = p.parse_args(argv)
    bare_app = REPO / "benchmarks" / "bare_canvas_app.py"
    translated = {}
    with chromium_browser(chromium_or_exit()) as browser:
        if args.pages == "all":
            with streamlit_server(bare_app) as url:
                bare = time_drawings(browser, url, args.count)
            with streamlit_server(bare_app, env={"HWR_BARE_RECOGNIZE": "1"}) as url:
                bare_model = time_drawings(browser, url, args.count)
        with streamlit_server() as url:
            app = time_drawings(browser, url, args.count)
            for lang in args.languages:
                translated[lang] = time_drawings(browser, f"{url}/?lang={lang}", args.count)
        if args.against:
            checkout = args.against.resolve()
            with tempfile.TemporaryDirectory(prefix="hwr-against-") as state, \
                    streamlit_server(checkout / "streamlit_app.py", env={
                        "PYTHONPATH": str(checkout),  # its own hwr, not the installed one
                        # its own class database: an earlier schema than this one's
                        "HWR_CLASS_DB": str(Path(state) / "class.sqlite3"),
                        "HWR_MODEL_CACHE": str(Path(state) / "models")}) as url:
                earlier = time_drawings(browser, url, args.count)
    print("mouse-up to answer on the page, headless Chromium on this machine:")
    if args.against:
        then50, then95 = summary(f"the Draw page of {args.against}", earlier)
        now50, now95 = summary("the Draw page of this checkout", app)
        print(f"    this one over that one: p50 {now50 / then50:.2f}x, "
              f"p95 {now95 / then95:.2f}x")
    if args.pages == "draw":
        app50, app95 = summary("hwr Draw page in English", app)
        for lang, seconds in translated.items():
            p50, p95 = summary(f"hwr Draw page in {lang}", seconds)
            print(f"    over English: p50 {p50 / app50:.2f}x, p95 {p95 / app95:.2f}x")
        return 0
    bare50, bare95 = summary("bare canvas round trip", bare)
    model50, model95 = summary("bare canvas + recognition (no other element)", bare_model)
    app50, app95 = summary("hwr Draw page (rasterize + preprocess + predict + answer)", app)
    print(f"  the Draw page over the bare page: p50 {app50 / bare50:.2f}x "
          f"(+{app50 - bare50:.0f} ms), p95 {app95 / bare95:.2f}x")
    print(f"  the Draw page over the bare page with recognition: p50 {app50 / model50:.2f}x "
          f"(+{app50 - model50:.0f} ms), p95 {app95 / model95:.2f}x")
    for lang, seconds in translated.items():
        p50, p95 = summary(f"hwr Draw page in {lang}", seconds)
        print(f"    over English: p50 {p50 / app50:.2f}x, p95 {p95 / app95:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
