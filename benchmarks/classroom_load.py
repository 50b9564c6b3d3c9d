#!/usr/bin/env python
"""A class at once: N simulated students drawing digits against one app server.

Each student is a websocket client that speaks Streamlit's protocol as the Draw page does
(``tests/support/load_client.py``): it opens a session, then every ~3 s (randomized) draws a real
digit from ``tests/support/strokes.py`` stroke by stroke, sending the canvas's payload at each
stroke's end, reads the answer, looks at it, and presses Clear. No browser per student,
so 30-100 students fit on this machine beside the server.

Prints and (with --json) writes: drawings, answered, correct, p50_ms and p95_ms (last
stroke's end to the answer arriving) and server_cpu_ms_per_drawing (the server process's
CPU time over the run, strokes and Clear included, less its idle CPU measured for 10 s
before the class starts, per drawing; the gross figure and the idle rate are there
too). --abusers adds four bad clients beside the class: one floods strokes, one sends
malformed drawings, one an oversized message, one disconnects mid-drawing; the class's
figures then show whether they slowed anyone else down. --browsers N adds N real
Chromium pages drawing with the mouse beside the class (mouse-up to the answer on the
page), to check the simulated figures against what a browser sees. Bounded: students
start drawings only for --seconds, and every reply is awaited at most --timeout
seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from tests.support import page_clock
from tests.support.browser import streamlit_server
from tests.support.figures import print_summary, spread
from tests.support.load_client import Student, drawing_payload
from tests.support.strokes import DIGITS, PLACEMENTS, place

ANSWER = ".hwr-answer"
STYLES = [(digit, style) for digit, styles in DIGITS.items() for style in range(len(styles))]


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process, from /proc (Linux)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid: int | None) -> dict[str, float]:
    """CPU time of each live thread of a process, to the nanosecond (Linux schedstat)."""
    times = {}
    if pid is None:
        return times
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return times
    for task in tasks:
        try:
            times[task.name] = int((task / "schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return times


def idle_cpu_per_second(pid: int | None, seconds: float = 10.0) -> float | None:
    """The server's CPU seconds per second while nobody draws (its event loop, file
    watchers, websocket pings), measured before the class starts.

    Per thread, to the nanosecond: the process's total (/proc/PID/stat) counts in 10 ms
    ticks, and an idle server spends only a few ticks in 10 s, so that figure swung by
    half from run to run, and with it the per-drawing figure it is subtracted from."""
    before = thread_cpu_seconds(pid)
    time.sleep(seconds)
    after = thread_cpu_seconds(pid)
    if not before or not after:
        return None
    return sum(after[t] - before[t] for t in after if t in before) / seconds


async def student(url: str, seed: int, seconds: float, period: float, timeout: float,
                  results: list, errors: list) -> None:
    rng = random.Random(seed)
    try:
        async with Student(url, timeout=timeout) as s:
            deadline = time.monotonic() + seconds
            next_start = time.monotonic() + rng.uniform(0, period)  # students start apart
            while True:
                await asyncio.sleep(max(0.0, next_start - time.monotonic()))
                if time.monotonic() >= deadline:
                    return
                next_start += rng.uniform(period * 2 / 3, period * 4 / 3)
                digit, style = rng.choice(STYLES)
                strokes = place(DIGITS[digit][style], *rng.choice(PLACEMENTS))
                reply = await s.draw(strokes, stroke_seconds=rng.uniform(0.3, 0.7))
                results.append((reply.seconds, reply.answer, str(digit), reply.finished))
                await asyncio.sleep(rng.uniform(0.3, 0.8))  # looking at the answer
                await s.clear()
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        errors.append(f"student {seed}: {type(e).__name__}: {str(e)[:200]}")


async def browser_student(browser, url: str, seed: int, seconds: float, period: float,
                          results: list, errors: list) -> None:
    """A real page in Chromium beside the simulated class: mouse strokes, the answer
    read from the page. Its latency checks the simulated students' figures."""
    rng = random.Random(1000 + seed)
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(60_000)
    await page.add_init_script(script=page_clock.script(ANSWER))
    try:
        await page.goto(url)
        canvas = page.locator(".st-key-canvas-digit canvas.hwr-canvas")
        await canvas.wait_for()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(period / 3, period * 2 / 3))
            digit, style = rng.choice([c for c in STYLES if len(DIGITS[c[0]][c[1]]) == 1])
            (stroke,) = place(DIGITS[digit][style], *rng.choice(PLACEMENTS))
            box = await canvas.bounding_box()
            scale = box["width"] / 280
            await page.mouse.move(box["x"] + stroke[0][0] * scale, box["y"] + stroke[0][1] * scale)
            await page.mouse.down()
            for x, y in stroke[1::2]:
                await page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
            await page.mouse.up()
            answer = page.locator(ANSWER)
            await answer.wait_for(state="attached")
            text = (await answer.inner_text()).strip()
            latency = await page_clock.since_pointer_up_async(page, ANSWER)
            results.append((latency, text, str(digit), True))
            await page.locator(".hwr-clear").click()
            await answer.wait_for(state="detached")
    except Exception as e:  # noqa: BLE001 - counted and reported
        errors.append(f"browser {seed}: {type(e).__name__}: {str(e)[:200]}")
    finally:
        await context.close()


async def browsers_beside(url: str, count: int, seconds: float, period: float,
                          results: list, errors: list) -> None:
    from playwright.async_api import async_playwright

    from tests.support.browser import CHROMIUM_ARGS, chromium_or_exit

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_or_exit(),
                                           args=CHROMIUM_ARGS)
        await asyncio.gather(*[browser_student(browser, url, i, seconds, period, results,
                                               errors) for i in range(count)])
        await browser.close()


async def flooder(url: str, seconds: float, report: dict) -> None:
    """Strokes as fast as the socket takes them, never waiting for an answer."""
    async with Student(url) as s:
        strokes = place(DIGITS[8][0], *PLACEMENTS[0])
        deadline, sent = time.monotonic() + seconds, 0
        reader = asyncio.create_task(_drain(s))
        while time.monotonic() < deadline:
            payload = drawing_payload(strokes, sent)
            await s.ws.send(s.rerun_message(json.dumps({"drawing": payload}), fragment=True))
            sent += 1
            await asyncio.sleep(0.002)
        reader.cancel()
        report["flood_messages_sent"] = sent


async def _drain(s: Student) -> None:
    while True:
        await s.ws.recv()


async def malformed(url: str, seconds: float, report: dict) -> None:
    """Drawings that are not drawings: each must get a plain message, not a traceback."""
    bad = [{"width": 280, "height": 280, "strokes": "x"}, {"strokes": [[1, 2]]}, [1, 2, 3],
           {"width": 280, "height": 280, "strokes": [[18, "a", "b"]]}, "<script>"]
    async with Student(url) as s:
        deadline, sent, messages, tracebacks = time.monotonic() + seconds, 0, 0, 0
        while time.monotonic() < deadline:
            for payload in bad:
                reply = await s.send_drawing(payload)
                sent += 1
                messages += any("could not be read" in a for a in reply.alerts)
                tracebacks += any("Traceback" in a for a in reply.alerts)
            await asyncio.sleep(0.5)
        report["malformed_sent"] = sent
        report["malformed_answered_with_a_message"] = messages
        report["malformed_tracebacks"] = tracebacks


async def oversized(url: str, report: dict) -> None:
    """A 3 MB 'drawing': the server closes that connection, nobody else notices."""
    async with Student(url) as s:
        oversized = json.dumps({"drawing": {"strokes": "x" * 3_000_000}})
        await s.ws.send(s.rerun_message(oversized, fragment=True))
        try:
            await asyncio.wait_for(_drain(s), 10)
        except Exception as e:  # noqa: BLE001 - the expected end: the server closed
            report["oversized_connection_closed"] = type(e).__name__ == "ConnectionClosedError"


async def disconnecter(url: str, report: dict) -> None:
    """Closes its socket in the middle of a two-stroke drawing's script run."""
    async with Student(url) as s:
        strokes = place(DIGITS[4][0], *PLACEMENTS[0])
        first_stroke = json.dumps({"drawing": drawing_payload(strokes[:1], 0)})
        await s.ws.send(s.rerun_message(first_stroke, fragment=True))
        await s.ws.close()
    report["disconnected_mid_drawing"] = True


async def wait_for_model(url: str, limit: float = 180.0) -> float:
    """Draw until the server answers (its model loads in the background at start-up),
    as the teacher does before the class starts; returns the seconds it took."""
    start = time.monotonic()
    async with Student(url) as s:
        strokes = place(DIGITS[7][0], *PLACEMENTS[0])
        while (await s.draw(strokes)).answer is None:
            if time.monotonic() - start > limit:
                raise TimeoutError(f"no answer from {url} in {limit:.0f} s")
            await asyncio.sleep(0.5)
    return time.monotonic() - start


async def run(url: str, students: int, seconds: float, period: float, timeout: float,
              abusers: bool, browsers: int = 0) -> tuple[list, list, dict]:
    results, errors, report = [], [], {}
    tasks = [student(url, i, seconds, period, timeout, results, errors)
             for i in range(students)]
    if browsers:
        in_browsers = report.setdefault("browser_results", [])
        tasks.append(browsers_beside(url, browsers, seconds, period, in_browsers, errors))
    if abusers:
        tasks += [flooder(url, seconds, report), malformed(url, seconds, report),
                  oversized(url, report), disconnecter(url, report)]
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=False),
                           timeout=seconds + 4 * timeout + 60)
    return results, errors, report


def summarize(results: list, errors: list, cpu_s: float | None, client_cpu_s: float,
              args) -> dict:
    answered = [r for r in results if r[3] and r[1] is not None]
    ms = np.array([r[0] for r in answered]) * 1000
    summary = {
        "students": args.students, "seconds": args.seconds, "period_s": args.period,
        "drawings": len(results), "answered": len(answered),
        "correct": sum(r[1] == r[2] for r in answered),
        **spread(ms, "{}_ms"),
        "server_cpu_ms_per_drawing": (round(cpu_s * 1000 / len(results), 1)
                                      if cpu_s is not None and results else None),
        "client_cpu_ms_per_drawing": (round(client_cpu_s * 1000 / len(results), 1)
                                      if results else None),
        "errors": errors,
    }
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--seconds", type=float, default=60, help="how long students draw")
    p.add_argument("--period", type=float, default=3.0, help="seconds between a student's "
                   "drawings, on average (randomized +-33%%)")
    p.add_argument("--timeout", type=float, default=30.0, help="longest wait for a reply")
    p.add_argument("--url", help="a running server (default: start one here)")
    p.add_argument("--server-pid", type=int, help="its process id, for its CPU time")
    p.add_argument("--abusers", action="store_true",
                   help="add a flooding, a malformed, an oversized and a disconnecting client")
    p.add_argument("--browsers", type=int, default=0,
                   help="real Chromium pages drawing beside the simulated students")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args(argv)

    server = nullcontext(args.url) if args.url else streamlit_server(with_process=True)
    with server as started:
        url, pid = (started, args.server_pid) if args.url else started
        print(f"server ready to answer after {asyncio.run(wait_for_model(url)):.1f} s",
              file=sys.stderr)
        idle = idle_cpu_per_second(pid)
        cpu0, client0, started = cpu_seconds(pid), time.process_time(), time.monotonic()
        results, errors, report = asyncio.run(run(url, args.students, args.seconds,
                                                  args.period, args.timeout, args.abusers,
                                                  args.browsers))
        cpu1, elapsed = cpu_seconds(pid), time.monotonic() - started
    cpu_s = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    summary = summarize(results, errors, cpu_s, time.process_time() - client0, args)
    if cpu_s is not None and idle is not None and results:
        # What the drawings cost, without what the server spends idle meanwhile.
        summary["server_idle_cpu_ms_per_s"] = round(idle * 1000, 1)
        summary["server_cpu_ms_per_drawing_gross"] = summary["server_cpu_ms_per_drawing"]
        summary["server_cpu_ms_per_drawing"] = round(
            max(0.0, cpu_s - idle * elapsed) * 1000 / len(results), 1)
    in_browsers = report.pop("browser_results", None)
    if in_browsers:
        ms = np.array([r[0] for r in in_browsers]) * 1000
        summary.update(browser_drawings=len(ms),
                       browser_correct=sum(r[1] == r[2] for r in in_browsers),
                       **spread(ms, "browser_{}_ms"))
    summary.update(report)
    print_summary(summary, args.json)
    ok = not errors and summary["answered"] == summary["drawings"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
