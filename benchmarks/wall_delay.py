#!/usr/bin/env python
"""How long a student's drawing takes to reach the class wall, with a class drawing.

Starts an app server with a passcode and a throwaway class database, starts a class,
opens the Teach page in Chromium as the teacher (the wall refreshes itself there), and
lets N simulated students (``tests/support/load_client.py``, each with its own nickname) draw
digits every ~3 s. A MutationObserver in the teacher's page notes when each drawing
first shows on the wall in its final form (the nickname, the drawing's number, the
answer); the delay is from the student's last stroke end to that moment, on this
machine's clock. Prints p50/p95/max and how many drawings reached the wall.

--hide N measures the teacher's Hide instead: two app servers share the class database,
a teacher's wall is open on each (two Chromium pages), N students post a drawing each,
and the teacher on the first server taps Hide on each drawing in turn. Each wall's
MutationObserver notes when the hidden item leaves it; the delay is from the tap to
that moment (both pages in one browser: one clock). Prints hide_gone p50/p95/max per
wall (own: the wall tapped on; other: the other server's) and over both.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hwr.class_data.collection import ClassCollection
from benchmarks.classroom_load import STYLES, wait_for_model
from tests.support.browser import (
    CHROMIUM_ARGS,
    chromium_or_exit,
    streamlit_server,
    teacher_page,
)
from tests.support.figures import print_summary, spread
from tests.support.load_client import Student
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = "wall-delay"
OBSERVER = """() => {
  window.hwrSeen = {};
  const note = () => document.querySelectorAll('.hwr-wall-tile').forEach(tile => {
    const name = tile.querySelector('.hwr-nickname').textContent.trim();
    const key = name + '#' + tile.dataset.drawing + '#' + tile.querySelector('b').textContent;
    if (!(key in window.hwrSeen)) window.hwrSeen[key] = Date.now() / 1000;
  });
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
}"""


async def student(url: str, n: int, seconds: float, period: float, sent: list,
                  errors: list) -> None:
    rng = random.Random(n)
    try:
        async with Student(url, query=f"name=s{n}") as s:
            deadline = time.monotonic() + seconds
            await asyncio.sleep(rng.uniform(0, period))
            while time.monotonic() < deadline:
                digit, style = rng.choice(STYLES)
                strokes = place(DIGITS[digit][style], *rng.choice(PLACEMENTS))
                for k in range(1, len(strokes) + 1):
                    await asyncio.sleep(rng.uniform(0.3, 0.7))
                    if k == len(strokes):
                        ended = time.time()
                    reply = await s.draw(strokes[:k])
                if reply.answer is not None:
                    sent.append((f"s{n}#{s.drawing_id}#{reply.answer}", ended))
                await asyncio.sleep(rng.uniform(period * 2 / 3, period * 4 / 3))
                await s.clear()
    except Exception as e:  # noqa: BLE001 - counted and reported
        errors.append(f"student {n}: {type(e).__name__}: {str(e)[:200]}")


async def measure(url: str, students: int, seconds: float, period: float) -> dict:
    from playwright.async_api import async_playwright

    sent, errors = [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_or_exit(),
                                           args=CHROMIUM_ARGS)
        teacher = await teacher_page(browser, url, PASSCODE)
        await teacher.evaluate(OBSERVER)
        await asyncio.gather(*[student(url, n, seconds, period, sent, errors)
                               for n in range(students)])
        await asyncio.sleep(3.0)  # the last drawings' way to the wall
        seen = await teacher.evaluate("window.hwrSeen")
        await browser.close()
    delays = np.array([seen[key] - ended for key, ended in sent if key in seen])
    return {
        "students": students, "seconds": seconds, "period_s": period,
        "drawings": len(sent), "on_the_wall": len(delays),
        **spread(delays, "{}_s", digits=2),
        "errors": errors,
    }


GONE_OBSERVER = """() => {
  window.hwrGone = {};
  window.hwrTapped = {};
  const present = () => new Set([...document.querySelectorAll(
    '[data-wall="wall"] .hwr-wall-item')].map(e => e.dataset.id));
  let before = present();
  new MutationObserver(() => {
    const now = present();
    for (const id of before) if (!now.has(id) && !(id in window.hwrGone))
      window.hwrGone[id] = Date.now() / 1000;
    before = now;
  }).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('click', (e) => {
    const item = e.target.closest('.hwr-wall-item');
    if (item && e.target.classList.contains('hwr-hide'))
      window.hwrTapped[item.dataset.id] = Date.now() / 1000;
  }, true);
}"""


async def measure_hide(urls: list[str], students: int, hides: int) -> dict:
    from playwright.async_api import async_playwright

    errors = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_or_exit(),
                                           args=CHROMIUM_ARGS)
        walls = [await teacher_page(browser, url, PASSCODE) for url in urls]
        for wall in walls:
            await wall.evaluate(GONE_OBSERVER)

        async def post(n: int) -> None:
            try:
                async with Student(urls[n % len(urls)], query=f"name=s{n}") as s:
                    digit, style = STYLES[n % len(STYLES)]
                    await s.draw(place(DIGITS[digit][style], *PLACEMENTS[0]))
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(f"student {n}: {type(e).__name__}: {str(e)[:200]}")

        await asyncio.gather(*[post(n) for n in range(students)])
        items = '[data-wall="wall"] .hwr-wall-item'
        for wall in walls:
            for _ in range(100):
                if await wall.locator(items).count() >= min(students, 48):
                    break
                await asyncio.sleep(0.1)
        own = walls[0]
        for _ in range(hides):
            await own.locator(items).first.get_by_role(
                "button", name=re.compile("Hide")).click()
            await asyncio.sleep(2.5)  # every wall's refresh, before the next tap
        tapped = await own.evaluate("window.hwrTapped")
        gone = [await wall.evaluate("window.hwrGone") for wall in walls]
        await browser.close()
    delays = [[g[i] - t for i, t in tapped.items() if i in g] for g in gone]
    summary = {"servers": len(urls), "students": students, "hides": len(tapped),
               "gone_from_own_wall": len(delays[0]),
               "gone_from_other_wall": len(delays[-1]) if len(walls) > 1 else None}
    summary.update(spread(np.array(delays[0]), "hide_own_{}_s", digits=2))
    if len(walls) > 1:
        summary.update(spread(np.array(delays[-1]), "hide_other_{}_s", digits=2))
    summary.update(spread(np.array([d for ds in delays for d in ds]), "hide_gone_{}_s",
                          digits=2))
    summary["errors"] = errors
    return summary


def main_hide(args) -> int:
    from contextlib import ExitStack

    db = Path(tempfile.mkdtemp(prefix="hwr-hide-")) / "class.sqlite3"
    ClassCollection(db).start_class("hide delay")
    env = {"HWR_CLASS_DB": str(db), "HWR_TEACHER_PASSCODE": PASSCODE}
    with ExitStack() as stack:
        urls = [stack.enter_context(streamlit_server(env=env)) for _ in range(args.servers)]
        for url in urls:
            asyncio.run(wait_for_model(url))
        summary = asyncio.run(measure_hide(urls, args.students, args.hide))
    print_summary(summary, args.json)
    walls = 2 if args.servers > 1 else 1
    ok = not summary["errors"] and summary["hides"] == args.hide and \
        summary["gone_from_own_wall"] == args.hide and \
        (walls == 1 or summary["gone_from_other_wall"] == args.hide)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--period", type=float, default=3.0)
    p.add_argument("--json", type=Path)
    p.add_argument("--hide", type=int, metavar="N",
                   help="measure N Hide taps (gone from every open wall) instead")
    p.add_argument("--servers", type=int, default=2,
                   help="with --hide: app servers sharing the class database, a wall on each")
    args = p.parse_args(argv)
    if args.hide:
        return main_hide(args)

    db = Path(tempfile.mkdtemp(prefix="hwr-wall-")) / "class.sqlite3"
    ClassCollection(db).start_class("wall delay")
    env = {"HWR_CLASS_DB": str(db), "HWR_TEACHER_PASSCODE": PASSCODE}
    with streamlit_server(env=env) as url:
        asyncio.run(wait_for_model(url))
        summary = asyncio.run(measure(url, args.students, args.seconds, args.period))
    print_summary(summary, args.json)
    return 0 if summary["on_the_wall"] == summary["drawings"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
