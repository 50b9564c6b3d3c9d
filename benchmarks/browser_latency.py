#!/usr/bin/env python
"""Mouse-up to prediction on the page, in a real browser, against the bare round trip.

Starts the app and a bare canvas-only page (same Streamlit, same canvas, no model), and
the bare page again with recognition added (the marker is the digit), draws the same
digits on all three with real mouse events in Chromium, and times from the last
mouse-up until the answer appears. Prints p50/p95 of each and the ratios.

``--languages de fr es`` also times the Draw page in those languages (``?lang=``) on the
same server, after English, and prints each against English; ``--pages draw`` leaves
the bare pages out.

The answer is whichever comes first: Python's (``.hwr-answer``) or the panel the canvas
draws from the answer channel's reply (``.hwr-ch-digit``, hwr/server/answer_channel.py).
For each Draw page it also prints the server's CPU per drawing: the process's user and
system time over the timed drawings (each drawn, answered, reported if the page does,
and cleared, as the page leaves it idle), divided by their number; and the same less
the server's idle rate over that time (measured for 10 s with the page open and the
model loaded, nothing drawn).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import expect

from benchmarks.classroom_load import cpu_seconds, idle_cpu_per_second
from tests.support import page_clock
from tests.support.browser import (
    ANSWER as VISIBLE_ANSWER,
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


ANSWER = ".hwr-answer, .hwr-ch-digit"  # Python's answer, or the channel's panel


def time_drawings(browser, url: str, count: int,
                  pid: int | None = None) -> tuple[list[float], tuple | None]:
    """Mouse-up to answer of ``count`` drawings, and the server's CPU ms per drawing:
    (gross, less the server's idle rate), None without ``pid``. The idle rate is
    measured for 10 s with the page open and nothing drawn, after the model loaded."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    page_clock.install(page, ANSWER)
    page.goto(url)
    page.wait_for_selector(canvas_selector(KEY))
    draw_until_answered(page, KEY, place(SINGLE_STROKE[0], *PLACEMENTS[0]))
    wait_idle(page, quiet=1.0)
    idle = idle_cpu_per_second(pid) if pid is not None else None
    times, cpu, began = [], None, None
    for i in range(count + 2):  # the first two warm up
        if i == 2:
            cpu, began = cpu_seconds(pid), time.monotonic()
        style = SINGLE_STROKE[i % len(SINGLE_STROKE)]
        draw_strokes(page, KEY, place(style, *PLACEMENTS[i % len(PLACEMENTS)]), spacing=0)
        page.locator(VISIBLE_ANSWER).first.wait_for(state="visible", timeout=30_000)
        if i >= 2:
            times.append(page_clock.since_pointer_up(page, ANSWER))
        wait_idle(page, quiet=0.3)
        clear_canvas(page, KEY)
        expect(page.locator(VISIBLE_ANSWER)).to_have_count(0)  # a quiet page hides Python's
        wait_idle(page, quiet=0.3)
    took = time.monotonic() - began
    page.close()
    end = cpu_seconds(pid)
    if cpu is None or end is None:
        return times, None
    gross = (end - cpu) * 1000 / count
    return times, (gross, None if idle is None else gross - idle * took * 1000 / count)


def cpu_line(name: str, ms: tuple | None) -> None:
    if ms is not None:
        gross, net = ms
        less = "" if net is None else f" ({net:.1f} ms less the server's idle rate)"
        print(f"  server CPU per drawing, {name}: {gross:.1f} ms{less}")


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
                bare, _ = time_drawings(browser, url, args.count)
            with streamlit_server(bare_app, env={"HWR_BARE_RECOGNIZE": "1"}) as url:
                bare_model, _ = time_drawings(browser, url, args.count)
        with streamlit_server(with_process=True) as (url, pid):
            app, app_cpu = time_drawings(browser, url, args.count, pid)
            for lang in args.languages:
                translated[lang], _ = time_drawings(browser, f"{url}/?lang={lang}",
                                                    args.count)
        if args.against:
            checkout = args.against.resolve()
            with tempfile.TemporaryDirectory(prefix="hwr-against-") as state, \
                    streamlit_server(checkout / "streamlit_app.py", env={
                        "PYTHONPATH": str(checkout),  # its own hwr, not the installed one
                        # its own class database: an earlier schema than this one's
                        "HWR_CLASS_DB": str(Path(state) / "class.sqlite3"),
                        "HWR_MODEL_CACHE": str(Path(state) / "models")},
                        with_process=True) as (url, pid):
                earlier, earlier_cpu = time_drawings(browser, url, args.count, pid)
    print("mouse-up to answer on the page, headless Chromium on this machine:")
    if args.against:
        then50, then95 = summary(f"the Draw page of {args.against}", earlier)
        now50, now95 = summary("the Draw page of this checkout", app)
        print(f"    this one over that one: p50 {now50 / then50:.2f}x, "
              f"p95 {now95 / then95:.2f}x")
        cpu_line(f"the Draw page of {args.against}", earlier_cpu)
    cpu_line("the Draw page of this checkout", app_cpu)
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
