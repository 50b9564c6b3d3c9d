#!/usr/bin/env python
"""What idle students' Draw pages cost the server while a class runs.

Starts the app on a throwaway class database with a class running, opens ``--pages``
Draw pages in headless Chromium, waits until each shows the class, has drawn once
(the model is loaded) and gone quiet, and measures the server process's CPU for
``--seconds`` while nobody draws; then closes them and measures it again with no page
open (its own idle: the retention thread, the event loop). Prints the server's CPU per second and per page above its own idle, and
the messages the pages sent to Streamlit meanwhile (each asks for a script run).

With ``--against CHECKOUT`` (a git worktree of an earlier commit) the same is measured
on that checkout's server first, and each figure is printed beside this one's.

Before issue 41's class events, an idle page polled for a round every 2 s: a script run
each. With its answer channel open a page does not poll; the server reads the class
once every 2 s for all its pages (``hwr/server/class_events.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect

from benchmarks.classroom_load import cpu_seconds
from tests.support.browser import (
    ANSWER,
    REPO,
    canvas_selector,
    chromium_browser,
    chromium_or_exit,
    clear_canvas,
    draw_strokes,
    streamlit_server,
    wait_idle,
)
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"


def server_env(checkout: Path, state: Path) -> dict:
    return {"PYTHONPATH": str(checkout),  # its own hwr
            "HWR_CLASS_DB": str(state / "class.sqlite3"),  # its own schema
            "HWR_MODEL_CACHE": str(state / "models")}


def start_class(checkout: Path, state: Path) -> None:
    """A class running in the server's database, started with that checkout's code."""
    import subprocess

    subprocess.run([sys.executable, "-c", (
        "import sys; from hwr.class_data.collection import ClassCollection; "
        "ClassCollection(sys.argv[1]).start_class('Idle class')"),
        str(state / "class.sqlite3")], env={**server_env(checkout, state)},
        cwd=checkout, check=True)


def measure(browser, checkout: Path, pages: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="hwr-idle-") as folder:
        state = Path(folder)
        start_class(checkout, state)
        with streamlit_server(checkout / "streamlit_app.py", env=server_env(checkout, state),
                              with_process=True) as (url, pid):
            sent, opened = [], []
            for n in range(pages):  # each draws once: the model is loaded, and answers
                page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
                page.set_default_timeout(120_000)
                page.on("websocket", lambda ws: "/_stcore/stream" in ws.url and ws.on(
                    "framesent", lambda _frame: sent.append(time.monotonic())))
                page.goto(f"{url}/?name=Idle{n}")
                page.wait_for_selector(canvas_selector(KEY))
                expect(page.locator(".hwr-prompt, .st-key-hwr-nickname-line").first
                       ).to_be_visible()  # the page shows the class
                draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]), spacing=0)
                expect(page.locator(ANSWER)).to_have_text("7", timeout=120_000)
                clear_canvas(page, KEY)
                opened.append(page)
            for page in opened:
                wait_idle(page, quiet=1.0)
            time.sleep(3)  # a page's last report, Clear's run
            start, messages = cpu_seconds(pid), len(sent)
            opened[0].wait_for_timeout(seconds * 1000)  # frames sent meanwhile recorded
            busy = (cpu_seconds(pid) - start) / seconds
            messages = len(sent) - messages
            for page in opened:
                page.context.close()
            time.sleep(5)  # the pages' sessions stop
            start = cpu_seconds(pid)
            time.sleep(seconds)
            alone = (cpu_seconds(pid) - start) / seconds  # the model loaded, no page
    return {"server_alone_ms_per_s": alone * 1000, "with_pages_ms_per_s": busy * 1000,
            "per_page_ms_per_s": (busy - alone) * 1000 / pages,
            "messages_to_streamlit_per_page_per_s": messages / pages / seconds}


def show(name: str, figures: dict) -> None:
    print(f"  {name}: server alone {figures['server_alone_ms_per_s']:.2f} ms/s, "
          f"with the pages {figures['with_pages_ms_per_s']:.2f} ms/s, "
          f"per idle page {figures['per_page_ms_per_s']:.2f} ms/s; "
          f"messages to Streamlit {figures['messages_to_streamlit_per_page_per_s']:.2f} "
          "a second a page")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", type=int, default=1, help="idle Draw pages open at once")
    p.add_argument("--seconds", type=float, default=30.0, help="each measurement's length")
    p.add_argument("--against", type=Path, metavar="CHECKOUT",
                   help="also measure another checkout of hwr first, and print both")
    args = p.parse_args(argv)
    with chromium_browser(chromium_or_exit()) as browser:
        earlier = (measure(browser, args.against.resolve(), args.pages, args.seconds)
                   if args.against else None)
        now = measure(browser, REPO, args.pages, args.seconds)
    print(f"idle Draw pages in a running class ({args.pages} page(s), {args.seconds:.0f} s, "
          "server CPU above its own idle):")
    if earlier is not None:
        show(f"{args.against}", earlier)
    show("this checkout", now)
    if earlier is not None and earlier["per_page_ms_per_s"] > 0:
        print(f"    this one over that one, per idle page: "
              f"{now['per_page_ms_per_s'] / earlier['per_page_ms_per_s']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
