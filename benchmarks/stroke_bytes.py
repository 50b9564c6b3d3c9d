#!/usr/bin/env python
"""Bytes the server sends the browser per stroke on the Draw page.

Starts the app, draws digits (one stroke at a time) with real mouse events in Chromium
and sums the websocket frames the page receives from the stroke's mouse-down until the
page is quiet again: the drawing area's rerun (its answer, bars and the 28x28 picture
as one markdown element, the other widgets' deltas, the run's start and end messages).
The canvas is cleared between digits; the clears are not counted.

    python -m benchmarks.stroke_bytes [--digits 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from tests.support.browser import (
    canvas_selector,
    chromium_browser,
    chromium_or_exit,
    clear_canvas,
    draw_strokes,
    draw_until_answered,
    streamlit_server,
    wait_idle,
)
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"


def measure(browser, url: str, digits: int) -> list[tuple[int, int, int]]:
    """(bytes, frames, bytes of the answer's own message) received for each stroke."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    received = {"bytes": 0, "frames": 0, "answer": 0}

    def on_frame(payload) -> None:
        data = payload if isinstance(payload, bytes) else payload.encode()
        received["bytes"] += len(data)
        received["frames"] += 1
        if b'class="hwr-answer' in data:
            received["answer"] += len(data)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.goto(url)
    page.wait_for_selector(canvas_selector(KEY))
    draw_until_answered(page, KEY, place(DIGITS[1][0][0:1], *PLACEMENTS[0]))
    wait_idle(page, quiet=0.5)
    per_stroke = []
    for i in range(digits):
        styles = DIGITS[i % 10]
        strokes = place(styles[(i // 10) % len(styles)], *PLACEMENTS[i % len(PLACEMENTS)])
        for stroke in strokes:
            before = dict(received)
            draw_strokes(page, KEY, [stroke], spacing=0)
            page.wait_for_selector(".hwr-answer", state="attached", timeout=30_000)
            wait_idle(page, quiet=0.5)
            per_stroke.append(tuple(received[k] - before[k]
                                    for k in ("bytes", "frames", "answer")))
        clear_canvas(page, KEY)
        page.wait_for_selector(".hwr-answer", state="detached")
        wait_idle(page, quiet=0.5)
    page.close()
    return per_stroke


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digits", type=int, default=10, help="digits drawn (0, 1, 2, ...)")
    args = p.parse_args(argv)
    with chromium_browser(chromium_or_exit()) as browser, streamlit_server() as url:
        per_stroke = measure(browser, url, args.digits)
    sizes, frames, answers = zip(*per_stroke)
    print(f"bytes received per stroke on the Draw page ({len(sizes)} strokes, "
          f"{args.digits} digits, headless Chromium):")
    print(f"  mean {statistics.mean(sizes):,.0f} B, median {statistics.median(sizes):,.0f} B, "
          f"min {min(sizes):,} B, max {max(sizes):,} B; "
          f"{statistics.mean(frames):.1f} websocket frames per stroke")
    print(f"  of which the answer's message (answer, bars, the 28x28 picture): mean "
          f"{statistics.mean(answers):,.0f} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
