#!/usr/bin/env python
"""`streamlit run` to a drawable canvas, and to the first answer, in a real browser.

Chromium is started first (a teacher's browser is already open). Then, --runs times: the
clock starts, `streamlit run streamlit_app.py` starts on a free loopback port, the page
is opened as soon as the server answers its health check, and the page itself records
(``tests/support/page_clock.py``) when the canvas can be drawn on and when a digit drawn
right then is answered (the model loads in the background meanwhile). Also prints a
one-line Streamlit page's start for comparison: what Streamlit itself costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from tests.support import page_clock
from tests.support.browser import (
    REPO,
    canvas_selector,
    chromium_browser,
    chromium_or_exit,
    draw_strokes,
    streamlit_server,
)
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
BARE, ANSWER = ".hwr-bare", ".hwr-answer"


def one_start(browser, script: Path, draw: bool) -> tuple[float, float | None]:
    start = time.time()  # the page's clock (Date.now) reads the same system clock
    with streamlit_server(script, health_interval=0.05) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(120_000)
        page_clock.install(page, BARE, canvas_selector(KEY), ANSWER)
        page.goto(url)
        if not draw:
            page.wait_for_selector(BARE)
            return page_clock.first_ready(page, BARE) - start, None
        page.wait_for_selector(canvas_selector(KEY))
        canvas_at = page_clock.first_ready(page, canvas_selector(KEY)) - start
        draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]), spacing=0)
        page.wait_for_selector(ANSWER)
        answer_at = page_clock.first_ready(page, ANSWER) - start
        page.close()
        return canvas_at, answer_at


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    with chromium_browser(chromium_or_exit()) as browser:
        bare = [one_start(browser, REPO / "benchmarks" / "bare_page_app.py", False)[0]
                for _ in range(args.runs)]
        app = [one_start(browser, REPO / "streamlit_app.py", True) for _ in range(args.runs)]
    canvas = np.array([a[0] for a in app])
    answer = np.array([a[1] for a in app])
    print(f"`streamlit run` to ..., {args.runs} starts each, median (max):")
    print(f"  a one-line Streamlit page shown:   {np.median(bare):.2f} s ({max(bare):.2f} s)")
    print(f"  hwr's canvas ready to draw on:     {np.median(canvas):.2f} s "
          f"({canvas.max():.2f} s)")
    print(f"  the answer to a digit drawn then:  {np.median(answer):.2f} s "
          f"({answer.max():.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
