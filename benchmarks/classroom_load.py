#!/usr/bin/env python
"""A class at once: N simulated students drawing digits against one app server.

Each student is a websocket client that speaks the Draw page's protocols as its browser
does (``tests/support/load_client.py``): it opens a session, then every ~3 s (randomized)
draws a real digit from ``tests/support/strokes.py`` stroke by stroke, sending the
canvas's payload at each stroke's end, reads the answer, looks at it, and presses Clear.
Where the page offers the canvas its answer channel (``hwr/server/answer_channel.py``),
the student speaks it as ``canvas.js`` does: the pen-up's drawing over the channel, its
answer from there, the drawing reported to Streamlit 0.6 s later (not at all when the
channel is "quiet"), Streamlit at once when the channel does not answer; a page without
one (an older checkout, --streamlit-only) is answered through Streamlit only. No browser
per student, so 30-100 students fit on this machine beside the server. The students
connect evenly over --ramp seconds (default: 1 s per 20 students), then all draw for
--seconds: 300 (a school behind deploy/school.sh) connect in 15 s rather than at once;
read client_cpu_cores beside the servers' figures there.

Prints and (with --json) writes: drawings, answered, correct, p50_ms and p95_ms (last
stroke's end to the answer arriving, whichever way it came) and
server_cpu_ms_per_drawing (the server process's CPU time over the run, strokes, reports
and Clear included, less its idle CPU measured for 10 s before the class starts, per
drawing; the gross figure and the idle rate are there too; with several --server-pid,
the servers' together), server_cpu_cores, client_cpu_ms_per_drawing and
client_cpu_cores (this process: near one core, the client rather than the server sets
the pace), answered_over_channel and answered_over_streamlit, channel_offered (students
whose page offered a channel), channel_fallbacks (pen-ups the channel did not answer,
by reason: not_open, closed, timeout, warming_up, empty), channel_reports (the reports'
script runs; none where the channel is quiet), channel_quiet_clears (Clears that sent
nothing), channel_partials_sent (--live) and channel_opened / channel_closed /
channel_failed (connections).

--against CHECKOUT first runs the same load against a server of another checkout of hwr
(a git worktree of an earlier commit: its own hwr, a throwaway class database and model
cache, as this checkout's server then gets too), then against this one's, and prints
each figure beside the other's with their ratio (this one over that one); the JSON has
that run's figures under "against". With --url (a server or a school's proxy already
running), the other checkout's is --against-url, with --against-pid for its CPU.

A school (deploy/school.sh --servers N --run-dir DIR): --url http://ADDR:PORT (the
proxy), and --server-pid once per app server (DIR/app1.pid, ...) for the servers' CPU;
each student keeps the proxy's server cookie, so its channel reaches its own server.

--abusers adds four bad clients beside the class (they speak Streamlit's protocol
only): one floods strokes, one sends malformed drawings, one an oversized message, one
disconnects mid-drawing; the class's figures then show whether they slowed anyone else
down. --browsers N adds N real Chromium pages drawing with the mouse beside the class
(mouse-up to the answer on the page), to check the simulated figures against what a
browser sees. --streamlit-only: the students ignore the channel (the load client before
it). Bounded: students start drawings only for --seconds, and every reply is awaited at
most --timeout seconds. --live turns each page's "Live answers" toggle on, as a student
does: the drawing so far every 0.12 s while a stroke is drawn (canvas.js's pace), over
the channel where the page offers one with live answers on, else to Streamlit; figures:
pen_ups, pen_ups_answered, live_updates (live_updates_over_channel and
live_updates_over_streamlit), live_p50_ms, live_p95_ms.

--round DIGIT runs a round instead: a teacher in Chromium starts it on the Teach page
("Everyone draw a DIGIT", the timer --round-seconds), through the page's own form and
code; every simulated student (Streamlit's protocol only) polls for the prompt as the
Draw page does, draws that digit stroke by stroke and taps Done; the round ends on its
own when its timer runs out. The JSON gets round_submissions (entries the round
recorded, read from the results on the teacher's wall) and round_results_ms (the
timer's end to the results on that wall, on this machine's clock), round_students_done
(Done taps answered "Your drawing is in"), and removed_posts_accepted: one more student,
removed by the teacher before the round, draws and taps a (forged) Done throughout;
every post it makes must be refused. Without --url the benchmark starts its own server
with a passcode and a throwaway class database; with --url give the server's --db-url
and --passcode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from tests.support import page_clock
from tests.support.browser import streamlit_server
from tests.support.figures import print_summary, spread
from tests.support.load_client import (
    CHANNEL,
    LIVE_INTERVAL,
    STREAMLIT,
    Student,
    drawing_payload,
)

ROUND_PASSCODE = "classroom-load"
# When the round's results first show on the teacher's wall (Date.now(), ms).
RESULTS_OBSERVER = """() => {
  window.hwrResults = null;
  const note = () => {
    const results = document.querySelector('.hwr-round-results');
    if (results && window.hwrResults === null) {
      window.hwrResults = {at: Date.now(), entries: Number(results.dataset.entries),
                           right: Number(results.dataset.right)};
    }
  };
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
}"""
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
                  results: list, errors: list, query: str = "", group: int = 0,
                  live: list | None = None, stats: Counter | None = None,
                  channel: bool = True, connect_delay: float = 0.0,
                  start_at: float | None = None) -> None:
    """One student: connects ``connect_delay`` s from now, draws from ``start_at``
    (monotonic; default: once connected) for ``seconds``. Each drawing's result:
    (seconds, answer, digit, finished, group, transport); with ``live`` a list, live
    answers on, and (pen-ups, answered, live delays, where the partials went) per drawing
    there; ``stats`` gets the student's ``Student.stats()`` at the end."""
    rng = random.Random(seed)
    s = None
    try:
        await asyncio.sleep(connect_delay)
        async with Student(url, timeout=timeout, query=query, channel=channel) as s:
            if live is not None:
                await s.set_live(True)
            start = max(start_at or 0.0, time.monotonic())
            deadline = start + seconds
            next_start = start + rng.uniform(0, period)  # students start apart
            while True:
                await asyncio.sleep(max(0.0, next_start - time.monotonic()))
                if time.monotonic() >= deadline:
                    return
                next_start += rng.uniform(period * 2 / 3, period * 4 / 3)
                digit, style = rng.choice(STYLES)
                strokes = place(DIGITS[digit][style], *rng.choice(PLACEMENTS))
                stroke_seconds = rng.uniform(0.3, 0.7)
                if live is None:
                    reply = await s.draw(strokes, stroke_seconds=stroke_seconds)
                else:  # live answers on: the drawing so far every LIVE_INTERVAL s
                    drawn = await s.draw_live(strokes, stroke_seconds=stroke_seconds,
                                              interval=LIVE_INTERVAL)
                    reply = drawn.reply
                    live.append((drawn.pen_ups, drawn.answered, drawn.live_delays,
                                 drawn.live_transport))
                results.append((reply.seconds, reply.answer, str(digit), reply.finished,
                                group, reply.transport))
                await asyncio.sleep(rng.uniform(0.3, 0.8))  # looking at the answer
                await s.clear()
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        errors.append(f"student {seed}: {type(e).__name__}: {str(e)[:200]}")
    finally:
        if s is not None and stats is not None:
            stats.update(s.stats())
            errors.extend(f"student {seed}: report: {e}" for e in s.report_errors)


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


async def wait_for_model(url: str, limit: float = 180.0, sessions: int = 1) -> float:
    """Draw until the server answers (its model loads in the background at start-up),
    as the teacher does before the class starts; returns the seconds it took. Behind a
    proxy, ``sessions`` held open at once (one per app server: HAProxy gives each new
    one the server with the fewest) check each server's model."""
    start = time.monotonic()
    strokes = place(DIGITS[7][0], *PLACEMENTS[0])
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(max(1, sessions)):
            s = await stack.enter_async_context(Student(url))
            while (await s.draw(strokes)).answer is None:
                if time.monotonic() - start > limit:
                    raise TimeoutError(f"no answer from {url} in {limit:.0f} s")
                await asyncio.sleep(0.5)
    return time.monotonic() - start


def ramp_seconds(students: int, ramp: float | None) -> float:
    """Seconds over which the students connect: ``ramp``, or 1 s per 20 students (a
    page's first run is the heaviest; 300 at once would time the connections out)."""
    return students / 20 if ramp is None else max(0.0, ramp)


async def run(url: str, students: int, seconds: float, period: float, timeout: float,
              abusers: bool, browsers: int = 0, classes: int = 1,
              class_urls: list[str] | None = None,
              live: bool = False, channel: bool = True,
              ramp: float | None = None) -> tuple[list, list, dict]:
    """The class: every student connects within the ramp (evenly apart), then all draw
    for ``seconds`` from its end. ``report`` gets "live", "stats" (the students'
    ``Student.stats()`` summed) and the abusers' and browsers' figures."""
    results, errors, report = [], [], {}
    stats = report.setdefault("stats", Counter())
    everyone = classes * students
    spread_s = ramp_seconds(everyone, ramp)
    start_at = time.monotonic() + spread_s
    # Class k's students (nicknames c<k>s<i> on the wall) on its own URL if given.
    tasks = [student((class_urls or [url])[k % len(class_urls or [url])], k * students + i,
                     seconds, period, timeout, results, errors,
                     query=f"name=c{k + 1}s{i + 1}" if classes > 1 else "", group=k,
                     live=report.setdefault("live", []) if live else None, stats=stats,
                     channel=channel, connect_delay=spread_s * (k * students + i) / everyone,
                     start_at=start_at)
             for k in range(classes) for i in range(students)]
    if browsers:
        in_browsers = report.setdefault("browser_results", [])
        tasks.append(browsers_beside(url, browsers, seconds, period, in_browsers, errors))
    if abusers:
        tasks += [flooder(url, seconds, report), malformed(url, seconds, report),
                  oversized(url, report), disconnecter(url, report)]
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=False),
                           timeout=spread_s + seconds + 4 * timeout + 60)
    report["ramp_s"] = round(spread_s, 1)
    return results, errors, report


async def round_student(url: str, n: int, timeout: float, done: list, shown: dict,
                        errors: list, started: asyncio.Event) -> None:
    """A student in the round: polls for the prompt (the Draw page's round fragment, every
    2 s as the browser does), draws the digit asked for, taps Done."""
    rng = random.Random(100 + n)
    try:
        async with Student(url, timeout=timeout, query=f"name=Student%20{n}") as s:
            await started.wait()
            await asyncio.sleep(rng.uniform(0, 2.0))  # the polls of 30 pages fall apart
            poll = s.auto_reruns.get(2.0)
            for _ in range(30):
                reply = await s.rerun(fragment_id=poll)
                if reply.prompt:
                    break
                await asyncio.sleep(2.0)
            else:
                raise RuntimeError("no prompt in 60 s")
            asked = int(reply.prompt.rsplit(" ", 1)[-1])
            style = rng.randrange(len(DIGITS[asked]))
            strokes = place(DIGITS[asked][style], *rng.choice(PLACEMENTS))
            await s.draw(strokes, stroke_seconds=rng.uniform(0.3, 0.7))
            done_id = next(w for (kind, key), w in s.widgets.items()
                           if kind == "button" and key.startswith("hwr_done_"))
            shown["done"] = done_id
            reply = await s.send_widgets([{"id": done_id, "trigger_value": True}],
                                         fragment_id=poll)
            done.append("Your drawing is in" in reply.text())
    except Exception as e:  # noqa: BLE001 - counted and reported
        errors.append(f"round student {n}: {type(e).__name__}: {str(e)[:200]}")


async def removed_student(url: str, db_url: str, timeout: float, shown: dict,
                          started: asyncio.Event, stop: asyncio.Event, report: dict) -> None:
    """A student the teacher removed before the round: draws and taps a forged Done until
    the round ends. Counts what the database took from it after the removal (0)."""
    from sqlalchemy import func, select

    from hwr.class_data.collection import ClassCollection
    from hwr.class_data.storage import drawings, round_entries, samples

    db = ClassCollection(db_url)
    strokes = place(DIGITS[8][0], *PLACEMENTS[0])
    async with Student(url, timeout=timeout, query="name=Removed%20Student") as s:
        await s.draw(strokes)
        lesson = db.current_class()
        me = next(w.student for w in db.wall(lesson.id) if w.nickname == "Removed Student")
        db.remove_student(lesson.id, me)
        removed_at, tries = time.time(), 0
        await started.wait()
        while not stop.is_set():
            await s.clear()
            await s.draw(strokes)
            tries += 1
            if "done" in shown:  # the Done the others are shown, forged: it is never its own
                await s.send_widgets([{"id": shown["done"], "trigger_value": True}],
                                     fragment_id=s.auto_reruns.get(2.0))
                tries += 1
            await asyncio.sleep(1.0)
    d = drawings.c
    with db.engine.connect() as conn:
        accepted = conn.execute(select(func.count()).select_from(drawings).where(
            (d.student == me) & (d.updated > removed_at))).scalar_one()
        accepted += conn.execute(select(func.count()).select_from(samples).where(
            samples.c.student == me)).scalar_one()
        accepted += conn.execute(select(func.count()).select_from(round_entries).where(
            round_entries.c.student == me)).scalar_one()
    report.update(removed_tries=tries, removed_posts_accepted=accepted)


async def run_round(url: str, db_url: str, passcode: str, students: int, digit: int,
                    seconds: int, timeout: float) -> tuple[dict, list]:
    """One round with the whole class; returns its figures and errors."""
    from playwright.async_api import async_playwright

    from hwr.class_data.collection import ClassCollection
    from tests.support.browser import CHROMIUM_ARGS, chromium_or_exit, teacher_page

    db = ClassCollection(db_url)
    lesson = db.current_class() or db.start_class("classroom load")
    errors, done, report, shown = [], [], {}, {}
    started, stop = asyncio.Event(), asyncio.Event()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_or_exit(),
                                           args=CHROMIUM_ARGS)
        teacher = await teacher_page(browser, url, passcode)
        await teacher.evaluate(RESULTS_OBSERVER)
        tasks = [asyncio.create_task(round_student(url, n, timeout, done, shown, errors,
                                                   started)) for n in range(students)]
        removed = asyncio.create_task(removed_student(url, db_url, timeout, shown, started,
                                                      stop, report))
        await asyncio.sleep(3.0)  # everyone's page is open
        # The Teach page's round form, as the teacher fills it in.
        digit_box = teacher.get_by_role("combobox", name="Digit (everyone draws one digit)")
        # Scrolled to first, as a teacher would: clicked at the window's bottom edge, the
        # scroll that brings it up closes the list it has just opened.
        await digit_box.scroll_into_view_if_needed()
        await digit_box.click()
        await teacher.get_by_role("option", name=str(digit), exact=True).click()
        await teacher.get_by_label(re.compile(r"Seconds")).fill(str(seconds))
        await teacher.get_by_role("button", name="Start the round").click()
        for _ in range(100):
            found = db.current_round(lesson.id, end_due=False)
            if found is not None:
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the round did not start")
        started.set()
        await asyncio.gather(*tasks)
        for _ in range(int(seconds + 30) * 10):  # the timer's end, and the wall's refresh
            seen = await teacher.evaluate("window.hwrResults")
            if seen is not None:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await removed
        await browser.close()
    ended = db.round_book.get_round(found.id)
    report.update(
        round_digit=found.digit, round_seconds=found.seconds, round_students=students,
        round_students_done=sum(done),
        round_submissions=None if seen is None else seen["entries"],
        round_right=None if seen is None else seen["right"],
        round_entries_in_db=db.entry_count(found.id),
        round_results_ms=None if seen is None else round(seen["at"] - found.deadline * 1000),
        round_ended_after_deadline_ms=None if ended.ended is None else round(
            (ended.ended - found.deadline) * 1000))
    return report, errors


def summarize(results: list, errors: list, cpu_s: float | None, client_cpu_s: float,
              args) -> dict:
    answered = [r for r in results if r[3] and r[1] is not None]
    ms = np.array([r[0] for r in answered]) * 1000
    summary = {
        "students": args.students * args.classes, "seconds": args.seconds,
        "period_s": args.period,
        "drawings": len(results), "answered": len(answered),
        "correct": sum(r[1] == r[2] for r in answered),
        **spread(ms, "{}_ms"),
        "server_cpu_ms_per_drawing": (round(cpu_s * 1000 / len(results), 1)
                                      if cpu_s is not None and results else None),
        "client_cpu_ms_per_drawing": (round(client_cpu_s * 1000 / len(results), 1)
                                      if results else None),
        # Which way each answer came: the answer channel, or Streamlit's script run.
        "answered_over_channel": sum(r[5:6] == (CHANNEL,) for r in answered),
        "answered_over_streamlit": sum(r[5:6] == (STREAMLIT,) for r in answered),
        "errors": errors,
    }
    if args.classes > 1:  # each class's own figures
        summary["classes"] = args.classes
        for k in range(args.classes):
            mine = [r for r in answered if r[4] == k]
            summary[f"class_{k + 1}"] = {
                "drawings": sum(r[4] == k for r in results), "answered": len(mine),
                **spread(np.array([r[0] for r in mine]) * 1000, "{}_ms")}
    return summary


def channel_figures(stats: Counter) -> dict:
    """The students' ``Student.stats()`` summed, as the JSON's figures."""
    return {
        "channel_offered": stats["channel_offered"],
        "channel_fallbacks": {key.removeprefix("fallback_"): n for key, n in
                              sorted(stats.items()) if key.startswith("fallback_")},
        "channel_reports": stats["reports"],
        "channel_quiet_clears": stats["quiet_clears"],  # Clears that sent nothing
        "channel_partials_sent": stats["partials_sent"],  # live drawings over the channel
        "channel_opened": stats["channel_opened"],
        "channel_closed": stats["channel_closed"],  # by the server, or lost
        "channel_failed": stats["channel_failed"],  # connections refused or unreachable
    }


def cpu_of(pids: list[int]) -> float | None:
    """User + system CPU time of all these processes together (None if any is gone)."""
    times = [cpu_seconds(pid) for pid in pids]
    return None if not pids or None in times else sum(times)


def idle_cpu_of(pids: list[int], seconds: float = 10.0) -> float | None:
    """``idle_cpu_per_second`` of all these processes together, measured at once."""
    if not pids:
        return None
    before = {pid: thread_cpu_seconds(pid) for pid in pids}
    time.sleep(seconds)
    total = 0.0
    for pid in pids:
        after = thread_cpu_seconds(pid)
        if not before[pid] or not after:
            return None
        total += sum(after[t] - before[pid][t] for t in after if t in before[pid])
    return total / seconds


def measure(url: str, pids: list[int], args) -> tuple[dict, bool]:
    """The class against one server (or proxy): its figures, and whether they pass."""
    print(f"server ready to answer after "
          f"{asyncio.run(wait_for_model(url, sessions=len(pids))):.1f} s", file=sys.stderr)
    idle = idle_cpu_of(pids)
    cpu0, client0, started = cpu_of(pids), time.process_time(), time.monotonic()
    results, errors, report = asyncio.run(run(url, args.students, args.seconds,
                                              args.period, args.timeout, args.abusers,
                                              args.browsers, args.classes,
                                              args.class_url, live=args.live,
                                              channel=not args.streamlit_only,
                                              ramp=args.ramp))
    cpu1, elapsed = cpu_of(pids), time.monotonic() - started
    client_s = time.process_time() - client0
    cpu_s = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
    summary = summarize(results, errors, cpu_s, client_s, args)
    if cpu_s is not None and idle is not None and results:
        # What the drawings cost, without what the server spends idle meanwhile.
        summary["server_idle_cpu_ms_per_s"] = round(idle * 1000, 1)
        summary["server_cpu_ms_per_drawing_gross"] = summary["server_cpu_ms_per_drawing"]
        summary["server_cpu_ms_per_drawing"] = round(
            max(0.0, cpu_s - idle * elapsed) * 1000 / len(results), 1)
    if cpu_s is not None and elapsed:
        summary["server_cpu_cores"] = round(cpu_s / elapsed, 2)  # gross, over the run
    if elapsed:
        summary["client_cpu_cores"] = round(client_s / elapsed, 2)
    summary["ramp_s"] = report.pop("ramp_s", None)
    stats = report.pop("stats", Counter())
    live = report.pop("live", None)
    if live is not None:  # every pen-up's own answer, and the live answers between
        delays = np.array([d for _, _, ds, _ in live for d in ds]) * 1000
        summary.update(live=True, pen_ups=sum(p for p, _, _, _ in live),
                       pen_ups_answered=sum(a for _, a, _, _ in live),
                       live_updates=len(delays), **spread(delays, "live_{}_ms"),
                       live_updates_over_channel=sum(
                           len(ds) for _, _, ds, way in live if way == CHANNEL),
                       live_updates_over_streamlit=sum(
                           len(ds) for _, _, ds, way in live if way == STREAMLIT))
    summary.update(channel_figures(stats))
    in_browsers = report.pop("browser_results", None)
    if in_browsers:
        ms = np.array([r[0] for r in in_browsers]) * 1000
        summary.update(browser_drawings=len(ms),
                       browser_correct=sum(r[1] == r[2] for r in in_browsers),
                       **spread(ms, "browser_{}_ms"))
    summary.update(report)
    ok = not errors and summary["answered"] == summary["drawings"] > 0 and \
        summary.get("pen_ups_answered") == summary.get("pen_ups")
    return summary, ok


# The figures printed side by side with --against; "x": this one over that one.
COMPARED = ("drawings", "answered", "correct", "p50_ms", "p95_ms", "max_ms",
            "server_cpu_ms_per_drawing", "server_cpu_ms_per_drawing_gross",
            "server_idle_cpu_ms_per_s", "server_cpu_cores", "client_cpu_ms_per_drawing",
            "client_cpu_cores", "answered_over_channel", "answered_over_streamlit",
            "channel_reports", "pen_ups", "pen_ups_answered", "live_updates",
            "live_updates_over_channel", "live_updates_over_streamlit", "live_p50_ms",
            "live_p95_ms", "live_max_ms")


def print_beside(then: dict, now: dict, then_name: str) -> None:
    """Each figure of this checkout's run beside the other one's, with their ratio."""
    print(f"{'figure':34} {then_name[-24:]:>24} {'this checkout':>14} {'ratio':>7}")
    for key in COMPARED:
        a, b = then.get(key), now.get(key)
        if a is None and b is None:
            continue
        ratio = f"{b / a:.2f}x" if isinstance(a, (int, float)) and isinstance(
            b, (int, float)) and a else ""
        print(f"{key:34} {'-' if a is None else a!s:>24} {'-' if b is None else b!s:>14} "
              f"{ratio:>7}")


def checkout_server(checkout: Path, state: Path):
    """A server of another checkout of hwr: its own hwr (not the installed one), its own
    class database (an earlier schema, perhaps) and model cache."""
    return streamlit_server(checkout / "streamlit_app.py", env={
        "PYTHONPATH": str(checkout), "HWR_CLASS_DB": str(state / "class.sqlite3"),
        "HWR_MODEL_CACHE": str(state / "models")}, with_process=True)


def more_files() -> None:
    """As many open files as the system lets this process have: 300 students hold two
    sockets each."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = max(soft, 65536) if hard == resource.RLIM_INFINITY else hard
        if soft != wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--seconds", type=float, default=60, help="how long students draw")
    p.add_argument("--period", type=float, default=3.0, help="seconds between a student's "
                   "drawings, on average (randomized +-33%%)")
    p.add_argument("--timeout", type=float, default=30.0, help="longest wait for a reply")
    p.add_argument("--ramp", type=float, help="seconds over which the students connect, "
                   "evenly apart, before all draw (default: 1 s per 20 students)")
    p.add_argument("--url", help="a running server (default: start one here)")
    p.add_argument("--classes", type=int, default=1, help="classes at once, each of "
                   "--students students (nicknames c<k>s<i>); with --class-url, each on "
                   "its own deployment")
    p.add_argument("--class-url", action="append", help="one class's server (repeat, "
                   "one per class: the app runs one class per database at a time)")
    p.add_argument("--server-pid", type=int, action="append", help="its process id, for "
                   "its CPU time (repeat for each app server behind a proxy)")
    p.add_argument("--streamlit-only", action="store_true",
                   help="students ignore the page's answer channel: every answer through "
                        "Streamlit (the load client before the channel)")
    p.add_argument("--against", type=Path, metavar="CHECKOUT",
                   help="first run the same load against a server of another checkout "
                        "of hwr (a git worktree of an earlier commit), then print this "
                        "one's figures beside it")
    p.add_argument("--against-url", help="with --url: the other checkout's running server "
                   "(or proxy), loaded first")
    p.add_argument("--against-pid", type=int, action="append",
                   help="with --against-url: its process id (repeat for each app server)")
    p.add_argument("--abusers", action="store_true",
                   help="add a flooding, a malformed, an oversized and a disconnecting client")
    p.add_argument("--browsers", type=int, default=0,
                   help="real Chromium pages drawing beside the simulated students")
    p.add_argument("--live", action="store_true",
                   help="live answers on: each student turns the page's toggle on and, "
                        "while a stroke is drawn, sends the drawing so far every 0.12 s "
                        "(issue 30); figures: pen_ups, pen_ups_answered, live_updates, "
                        "live_p50_ms, live_p95_ms")
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--round", type=int, choices=range(10), metavar="DIGIT",
                   help="run a round: every student draws DIGIT and taps Done")
    p.add_argument("--round-seconds", type=int, default=20, help="the round's timer")
    p.add_argument("--db-url", help="with --url and --round: the server's class database")
    p.add_argument("--passcode", default=ROUND_PASSCODE,
                   help="with --url and --round: the server's teacher passcode")
    args = p.parse_args(argv)
    if args.round is not None:
        return main_round(args)
    if args.url and args.against and not args.against_url:
        p.error("with --url, --against needs --against-url: the other checkout's server")
    if args.against_url and not args.url:
        p.error("--against-url goes with --url")
    more_files()

    then, then_ok, then_name = None, True, str(args.against or args.against_url)
    with tempfile.TemporaryDirectory(prefix="hwr-against-") as state:
        if args.against_url:
            then, then_ok = measure(args.against_url, args.against_pid or [], args)
        elif args.against:
            with checkout_server(args.against.resolve(), Path(state) / "then") as (url, pid):
                then, then_ok = measure(url, [pid], args)
        if args.url:
            now, ok = measure(args.url, args.server_pid or [], args)
        else:  # with --against, this checkout's server starts as fresh as the other one
            fresh = Path(state) / "now"
            env = {"HWR_CLASS_DB": str(fresh / "class.sqlite3"),
                   "HWR_MODEL_CACHE": str(fresh / "models")} if args.against else None
            with streamlit_server(env=env, with_process=True) as (url, pid):
                now, ok = measure(url, [pid], args)
    if then is not None:
        now["against"] = {"checkout": then_name, **then}
    print_summary(now, args.json)
    if then is not None:
        print(f"\nthis checkout against {then_name} (that one's run first):")
        print_beside(then, now, then_name)
    return 0 if ok and then_ok else 1


def main_round(args) -> int:
    import tempfile

    from hwr.class_data.collection import ClassCollection

    if args.url:
        if not args.db_url:
            sys.exit("--round with --url needs the server's --db-url (and --passcode)")
        server, db_url = nullcontext(args.url), args.db_url
    else:
        db_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hwr-round-')) / 'class.sqlite3'}"
        ClassCollection(db_url).start_class("classroom load")
        server = streamlit_server(env={"HWR_DB_URL": db_url,
                                       "HWR_TEACHER_PASSCODE": args.passcode})
    with server as url:
        print(f"server ready to answer after {asyncio.run(wait_for_model(url)):.1f} s",
              file=sys.stderr)
        report, errors = asyncio.run(run_round(url, db_url, args.passcode, args.students,
                                               args.round, args.round_seconds,
                                               args.timeout))
    summary = {"students": args.students, **report, "errors": errors}
    print_summary(summary, args.json)
    ok = (not errors and summary["round_submissions"] == args.students and
          summary["removed_posts_accepted"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
