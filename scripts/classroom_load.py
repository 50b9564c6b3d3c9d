#!/usr/bin/env python
"""A classroom at once: N browser sessions drawing against one server.

Starts one app server (the model is loaded once and shared), opens N independent
sessions in headless Chromium, and has each draw digits with real mouse events at the
same time. Reports p50/p95 of mouse-up to answer, wrong answers and errors. Bounded:
each session draws --rounds digits, and the whole run stops after --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from hwr.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    canvas_selector,
    chromium_or_exit,
    streamlit_server,
)
from tests.strokes import DIGITS, PLACEMENTS, place  # noqa: E402

SINGLE_STROKE = [(d, style) for d, styles in DIGITS.items() for style in styles
                 if len(style) == 1]


async def student(browser, url: str, rounds: int, seed: int, results: list, errors: list):
    rng = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(120_000)
    try:
        await page.goto(url)
        for version in range(rounds):
            key = f"canvas-digit-{version}"
            await page.wait_for_selector(canvas_selector(key))
            await asyncio.sleep(rng.uniform(0.2, 2.0))  # thinking before drawing
            digit, style = rng.choice(SINGLE_STROKE)
            (stroke,) = place(style, *rng.choice(PLACEMENTS))
            box = await page.locator(canvas_selector(key)).bounding_box()
            await page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
            await page.mouse.down()
            for x, y in stroke[1:]:
                await page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
            start = time.perf_counter()
            await page.mouse.up()
            answer = page.locator(".hwr-answer")
            await answer.wait_for(state="attached")
            results.append((time.perf_counter() - start, (await answer.inner_text()).strip()
                            == str(digit)))
            await page.locator(".st-key-clear button").click()
            await answer.wait_for(state="detached")
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        errors.append(f"session {seed}: {type(e).__name__}: {str(e)[:200]}")
    finally:
        await context.close()


async def run(url: str, chromium: str, sessions: int, rounds: int, max_seconds: float):
    from playwright.async_api import async_playwright

    results, errors = [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tasks = [student(browser, url, rounds, i, results, errors) for i in range(sessions)]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=max_seconds)
        except asyncio.TimeoutError:
            errors.append(f"stopped after {max_seconds:.0f} s")
        await browser.close()
    return results, errors


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--rounds", type=int, default=5, help="digits each session draws")
    p.add_argument("--max-seconds", type=float, default=600)
    args = p.parse_args(argv)
    chromium = chromium_or_exit()
    with streamlit_server() as url:
        started = time.perf_counter()
        results, errors = asyncio.run(run(url, chromium, args.sessions, args.rounds,
                                          args.max_seconds))
        elapsed = time.perf_counter() - started
    ms = np.array([r[0] for r in results]) * 1000
    print(f"{args.sessions} sessions x {args.rounds} drawings against one server "
          f"({elapsed:.0f} s):")
    if len(ms):
        print(f"  mouse-up to answer: p50 {np.percentile(ms, 50):.0f} ms, "
              f"p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms (n={len(ms)})")
        print(f"  right answers: {sum(r[1] for r in results)}/{len(results)}")
    print(f"  errors: {len(errors)}")
    for e in errors:
        print(f"    {e}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
