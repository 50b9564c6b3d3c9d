#!/usr/bin/env python
"""A school's server losing an app server mid-lesson, measured.

Starts ``deploy/school.sh --servers 3`` (HAProxy in front of three app servers) on a
throwaway PostgreSQL with a class running, warms every server's model, then:

1. **spread**: ``--spread`` new tabs from this one address (HTTP requests without the
   proxy's cookie) and the simulated students' websockets: how many land on each
   server, and the largest to smallest ratio; each tab's next requests with its cookie
   must stay on its server (the proxy sets no new cookie);
2. **failover**: ``--students`` simulated students (``tests/support/load_client.py``,
   nicknames in ``?name=``) and ``--browsers`` Chromium pages draw; a browser saves a
   digit ("Is it right?") before the kill; after ``--kill-after`` seconds the server
   under the first browser is killed with SIGKILL. A student whose socket closes
   reconnects through the proxy (as Streamlit's page does) and sends its drawing again.
   Reported: for the students and browsers on the dead server, the seconds from the kill
   to their next answer; the wall's rows and saved digits that were in the database at
   the kill and are not after (lost); whether each browser's canvas kept its strokes
   and its student id (``?sid=`` in its address: one student under its nickname on the
   wall);
   the seconds until HAProxy took the server out of rotation, and until it was back
   (school.sh starts it again after 2 s, as systemd's Restart= does), with the part of
   that spent before the new process answered its health check.

All traffic on loopback; students draw for ``--seconds`` and every wait is bounded.
Prints the figures as JSON (and writes them with --json).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from sqlalchemy import func, select

from benchmarks.classroom_load import STYLES, wait_for_model
from hwr.class_data.collection import ClassCollection
from hwr.class_data.storage import drawings, samples
from tests.support.browser import CHROMIUM_ARGS, chromium_or_exit
from tests.support.figures import print_summary, spread
from tests.support.load_client import Student, drawing_payload
from tests.support.postgres import throwaway_postgres
from tests.support.proxy import UP, school_server
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"


def server_cookie(headers) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("HWRSERVER="):
            return value.split(";")[0].split("=", 1)[1]
    return None


def measure_spread(school, tabs: int) -> dict:
    """New tabs from one address: where the proxy places them, and that they stay."""
    placed, moved = Counter(), 0
    for _ in range(tabs):
        _, headers, _ = school.get("/_stcore/health")
        name = server_cookie(headers)
        placed[name] += 1
        for _ in range(2):  # the tab's next requests carry its cookie
            _, again, _ = school.get("/_stcore/health", cookie=f"HWRSERVER={name}")
            moved += server_cookie(again) is not None
    counts = [placed[n] for n in school.ports]
    return {"tabs": tabs, "tabs_per_server": dict(placed),
            "tabs_ratio": round(max(counts) / max(1, min(counts)), 2),
            "tab_requests_moved": moved}


def counts_at(db_url: str) -> tuple[set, int]:
    """The wall's rows (their ids) and the saved digits, now."""
    collection = ClassCollection(db_url)
    with collection.engine.connect() as conn:
        wall = {r[0] for r in conn.execute(select(drawings.c.id))}
        saved = conn.execute(select(func.count()).select_from(samples)).scalar()
    collection.engine.dispose()
    return wall, saved


def students_named(reports: list[dict], db_url: str) -> None:
    """For each browser: the student ids on the class's wall under its nickname (one,
    its own, if the move kept the student the same student)."""
    collection = ClassCollection(db_url)
    lesson = collection.current_class()
    students = collection.students(lesson.id) if lesson else []
    for report in reports:
        ids = [s.student for s in students if s.nickname == f"b{report['browser'] + 1}"]
        report["wall_student_ids"] = len(ids)
        report["same_student"] = report.get("sid") is not None and ids == [report["sid"]]
    collection.engine.dispose()


class Run:
    def __init__(self, school, args):
        self.school, self.args = school, args
        self.killed_at: float | None = None
        self.victim: str | None = None
        self.student_gaps: list[float] = []  # kill -> next answer, students that lost it
        self.reconnect_gaps: list[float] = []  # noticed the loss -> answered again
        self.student_errors: list[str] = []
        self.drawings = self.answered = 0
        self.browser_report: list[dict] = []


async def student(run: Run, n: int, stop_at: float) -> None:
    """Draws every ~3 s; when its socket dies, reconnects and sends the drawing again."""
    rng = random.Random(n)
    query = f"name=s{n + 1}"
    s = None
    lost_at = noticed_at = None
    try:
        await asyncio.sleep(rng.uniform(0, 3))
        while time.monotonic() < stop_at:
            digit, style = rng.choice(STYLES)
            strokes = place(DIGITS[digit][style], *rng.choice(PLACEMENTS))
            for attempt in range(200):
                try:
                    if s is None:
                        s = await Student(run.school.url, timeout=10, query=query).__aenter__()
                    if attempt == 0:
                        reply = await s.draw(strokes, stroke_seconds=rng.uniform(0.3, 0.6))
                    else:  # a page that reconnected sends its whole drawing at once
                        reply = await s.send_drawing(drawing_payload(strokes, s.drawing_id))
                    if not reply.finished:
                        raise TimeoutError("no answer in 10 s")
                    break
                except Exception:  # noqa: BLE001 - its server died: reconnect, as the page does
                    if run.killed_at is not None and lost_at is None:
                        lost_at, noticed_at = run.killed_at, time.monotonic()
                    if s is not None:
                        try:
                            await s.ws.close()
                        except Exception:  # noqa: BLE001
                            pass
                    s = None
                    await asyncio.sleep(0.2)
            else:
                run.student_errors.append(f"student {n}: never answered again")
                return
            run.drawings += 1
            run.answered += reply.answer is not None
            if lost_at is not None:
                run.student_gaps.append(time.monotonic() - lost_at)
                run.reconnect_gaps.append(time.monotonic() - noticed_at)
                lost_at = noticed_at = None
            await asyncio.sleep(rng.uniform(0.3, 0.8))
            try:
                await s.clear()
            except Exception:  # noqa: BLE001 - its server died: the next drawing reconnects
                if run.killed_at is not None and lost_at is None:
                    lost_at, noticed_at = run.killed_at, time.monotonic()
                s = None
            await asyncio.sleep(rng.uniform(1.5, 2.5))
    except Exception as e:  # noqa: BLE001 - reported
        run.student_errors.append(f"student {n}: {type(e).__name__}: {str(e)[:200]}")
    finally:
        if s is not None:
            await s.ws.close()


async def browser_tab(run: Run, browser, n: int, killed: asyncio.Event) -> None:
    """A page that saves a digit, draws a stroke of a 4, waits for the kill, draws the
    second stroke: answered again, both strokes still there?"""
    report = {"browser": n}
    run.browser_report.append(report)
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(60_000)
    try:
        await page.goto(f"{run.school.url}/?name=b{n + 1}")
        canvas = page.locator(f".st-key-{KEY} canvas.hwr-canvas")
        await canvas.wait_for()
        answer = page.locator(".hwr-answer")

        async def stroke(points):
            box = await canvas.bounding_box()
            scale = box["width"] / 280
            await page.mouse.move(box["x"] + points[0][0] * scale,
                                  box["y"] + points[0][1] * scale)
            await page.mouse.down()
            for x, y in points[1:]:
                await page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=2)
            await page.mouse.up()

        (seven,) = place(DIGITS[7][0], *PLACEMENTS[0])
        await stroke(seven)
        await answer.wait_for(state="attached")
        await page.locator('[class*="st-key-hwr_confirm_"] button', has_text="7").click()
        await page.get_by_text("Saved as a 7").wait_for()
        report["saved"] = 1
        await answer.wait_for(state="detached")
        four = place(DIGITS[4][0], *PLACEMENTS[0])
        await stroke(four[0])
        await answer.wait_for(state="attached")
        report["server_before"] = next(c["value"] for c in await context.cookies()
                                       if c["name"] == "HWRSERVER")
        sid_before = parse_qs(urlparse(page.url).query).get("sid", [None])[0]
        before = await page.locator(".hwr-model-input").inner_html()
        await killed.wait()
        await asyncio.sleep(0.2)
        await stroke(four[1])
        # Answered again: the model's input (the drawing as the server read it) is the
        # two-stroke drawing's, no longer the first stroke's.
        await page.wait_for_function(
            "before => { const m = document.querySelector('.hwr-model-input'); "
            "return m !== null && m.innerHTML !== before && "
            "document.querySelector('.hwr-answer') !== null; }", arg=before,
            timeout=60_000)
        report["answered_after_kill_s"] = round(time.monotonic() - run.killed_at, 2)
        report["strokes_kept"] = int(await page.locator(
            f".st-key-{KEY} .hwr-canvas-root").get_attribute("data-strokes"))
        report["server_after"] = next(c["value"] for c in await context.cookies()
                                      if c["name"] == "HWRSERVER")
        report["answer"] = (await answer.inner_text()).strip()
        # The same student after the move: the id in the page's address (?sid=) is the
        # one the new server's session took (checked on the wall below).
        report["sid"] = sid_before
        report["sid_kept"] = sid_before is not None and (
            parse_qs(urlparse(page.url).query).get("sid", [None])[0] == sid_before)
    except Exception as e:  # noqa: BLE001 - reported
        report["error"] = f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        await context.close()


async def rotation(run: Run, port: int) -> dict:
    """From the kill: when HAProxy took the server out, when its new process answered
    its health check, when HAProxy put it back."""
    out = health = back = None
    while time.monotonic() - run.killed_at < run.args.back_timeout:
        states = await asyncio.to_thread(run.school.states)
        now = time.monotonic() - run.killed_at
        if out is None and states.get(run.victim) != UP:
            out = now
        if out is not None and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=1) as r:
                    health = now if r.status == 200 else None
            except OSError:
                pass
        if out is not None and states.get(run.victim) == UP:
            back = now
            break
        await asyncio.sleep(0.05)
    return {"out_of_rotation_s": None if out is None else round(out, 2),
            "restarted_answers_health_s": None if health is None else round(health, 2),
            "back_in_rotation_s": None if back is None else round(back, 2),
            "back_after_health_s": (round(back - health, 2)
                                    if back is not None and health is not None else None)}


async def lesson(run: Run, db_url: str) -> dict:
    from playwright.async_api import async_playwright

    args = run.args
    killed = asyncio.Event()
    stop_at = time.monotonic() + args.seconds
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_or_exit(),
                                           args=CHROMIUM_ARGS)
        tasks = [asyncio.create_task(student(run, n, stop_at)) for n in range(args.students)]
        tabs = [asyncio.create_task(browser_tab(run, browser, n, killed))
                for n in range(args.browsers)]
        await asyncio.sleep(args.kill_after)
        deadline = time.monotonic() + 120
        while not run.browser_report or "server_before" not in run.browser_report[0]:
            if time.monotonic() > deadline or "error" in (run.browser_report or [{}])[0]:
                break
            await asyncio.sleep(0.2)
        sessions = await asyncio.to_thread(run.school.sessions)
        run.victim = (run.browser_report[0].get("server_before") if run.browser_report
                      else None) or max(sessions, key=sessions.get)
        wall_before, saved_before = await asyncio.to_thread(counts_at, db_url)
        run.killed_at = time.monotonic()
        pid = run.school.kill(run.victim)
        killed.set()
        rotation_report = await rotation(run, run.school.ports[run.victim])
        await asyncio.gather(*tasks, *tabs)
        await browser.close()
    wall_after, saved_after = await asyncio.to_thread(counts_at, db_url)
    await asyncio.to_thread(students_named, run.browser_report, db_url)
    return {"victim": run.victim, "victim_pid": pid, "sessions_at_kill": sessions,
            "sessions_ratio": round(max(sessions.values()) /
                                    max(1, min(sessions.values())), 2),
            "wall_rows_at_kill": len(wall_before),
            "wall_rows_lost": len(wall_before - wall_after),
            "saved_digits_at_kill": saved_before,
            "saved_digits_lost": max(0, saved_before - saved_after),
            **rotation_report}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--servers", type=int, default=3)
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--browsers", type=int, default=2)
    p.add_argument("--seconds", type=float, default=60, help="how long students draw")
    p.add_argument("--kill-after", type=float, default=20, help="seconds into the lesson")
    p.add_argument("--spread", type=int, default=60, help="new tabs for the spread")
    p.add_argument("--back-timeout", type=float, default=180)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if args.servers < 2:
        p.error("--servers takes at least 2: one dies")

    data = os.environ.get("HWR_DATA_DIR", str(Path(__file__).resolve().parents[2] /
                                              "shared" / "mnist"))
    with throwaway_postgres() as db_url, tempfile.TemporaryDirectory() as folder:
        ClassCollection(db_url).start_class("failover")
        env = {"HWR_DB_URL": db_url, "HWR_DATA_DIR": data,
               "HWR_CLASS_DB": str(Path(folder) / "unused.sqlite3")}
        with school_server(args.servers, env, restart_delay=2, timeout=300) as school:
            for port in school.ports.values():  # every server's model loaded first
                asyncio.run(wait_for_model(f"http://127.0.0.1:{port}"))
            summary = {"servers": args.servers, "students": args.students,
                       "browsers": args.browsers, "cores": os.cpu_count(),
                       "load_average_before": os.getloadavg()}
            summary["spread"] = measure_spread(school, args.spread)
            run = Run(school, args)
            summary.update(asyncio.run(lesson(run, db_url)))
    gaps = run.student_gaps
    summary.update({
        "students_on_dead_server": len(gaps),
        **spread(gaps, "student_answered_again_{}_s", 2),
        **spread(run.reconnect_gaps, "student_reconnect_to_answer_{}_s", 2),
        "drawings": run.drawings, "answered": run.answered,
        "browser_tabs": run.browser_report, "errors": run.student_errors,
        "load_average_after": os.getloadavg(),
    })
    print_summary(summary, args.json)
    ok = (not run.student_errors and all("error" not in b for b in run.browser_report)
          and all(b.get("same_student") for b in run.browser_report)
          and summary["wall_rows_lost"] == 0 and summary["saved_digits_lost"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
