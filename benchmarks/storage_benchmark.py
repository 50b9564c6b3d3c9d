#!/usr/bin/env python
"""The class database under a class's load, through crashes, and across app servers.

1. Saves: --writers sessions at once, each saving --saves digits (``ClassCollection.add``,
   what the Draw page's "Is it right?" does, threads of one process as in an app
   server), against SQLite and a throwaway PostgreSQL (``tests/support/postgres.py``):
   rows found afterwards, p50/p95/max of one save.
2. Crashes: a writer process (standing in for an app server) saves digits and prints
   each id as soon as its save returned (what the student saw confirmed); it is killed
   with ``kill -9`` mid-run, --kills times per database. Every confirmed id must be there.
3. Across servers: two app servers on one PostgreSQL; a simulated student on server B
   draws a 7 every 0.25 s; a model version that reads everything as 3 is activated in
   the database (what the teacher's click on server A writes); the seconds until B
   answers with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from hwr.class_data.collection import ClassCollection
from tests.support.figures import print_summary, spread

WRITER = """
import sys, numpy as np
from hwr.class_data.collection import ClassCollection
db = ClassCollection(sys.argv[1])
rng = np.random.default_rng(int(sys.argv[2]))
print("ready", flush=True)
while True:
    i = db.add(rng.random((28, 28)), int(rng.integers(10)), rng.dirichlet(np.ones(10)))
    print(i, flush=True)
"""


def saves(url: str, writers: int, per_writer: int) -> dict:
    db = ClassCollection(url)
    before = db.count()
    seconds: list[float] = []
    lock = threading.Lock()

    def writer(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(per_writer):
            image, label = rng.random((28, 28)), int(rng.integers(10))
            start = time.perf_counter()
            db.add(image, label, rng.dirichlet(np.ones(10)), class_id=1, student=f"s{seed}")
            with lock:
                seconds.append(time.perf_counter() - start)
            time.sleep(float(rng.uniform(0, 0.05)))  # students do not save in lockstep

    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(writer, range(writers)))
    ms = np.array(seconds) * 1000
    return {"rows": db.count() - before, "expected": writers * per_writer,
            **spread(ms, "{}_ms")}


def kill_during_saves(url: str, kills: int) -> dict:
    db = ClassCollection(url)
    confirmed, lost = 0, 0
    for k in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, url, str(k)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        ids: list[int] = []
        reader = threading.Thread(target=lambda: ids.extend(
            int(line) for line in proc.stdout if line.strip().isdigit()), daemon=True)
        reader.start()
        time.sleep(1.0 + 0.37 * k)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reader.join(5)
        present = set(db.samples().ids.tolist())
        confirmed += len(ids)
        lost += sum(i not in present for i in ids)
    return {"kills": kills, "confirmed_saves": confirmed, "lost": lost}


async def _draw_until(url: str, wanted: str, started: float, limit: float) -> float | None:
    from tests.support.load_client import Student
    from tests.support.strokes import DIGITS, PLACEMENTS, place

    strokes = place(DIGITS[7][0], *PLACEMENTS[0])
    async with Student(url) as student:
        while time.monotonic() - started < limit:
            reply = await student.draw(strokes)
            if reply.answer == wanted:
                return time.monotonic() - started
            await student.clear()
            await asyncio.sleep(0.25)
    return None


def across_servers(server_url: str, data_dir: str | None) -> dict:
    from hwr.class_data.model_store import ModelStore
    from benchmarks.classroom_load import wait_for_model
    from tests.support.browser import streamlit_server
    from tests.support.postgres import create_database
    from tests.support.models import always

    url = create_database(server_url)
    store = ModelStore(ClassCollection(url).engine, Path(tempfile.mkdtemp()) / "cache")
    version = store.add(always(3), parent="original", class_digits=1, class_name="bench")
    env = {"HWR_DB_URL": url, "HWR_DATA_DIR": data_dir or os.environ.get("HWR_DATA_DIR", "")}
    with streamlit_server(env={**env, "HWR_CLASS_DB": tempfile.mkdtemp() + "/a"}), \
            streamlit_server(env={**env, "HWR_CLASS_DB": tempfile.mkdtemp() + "/b"}) as b:
        asyncio.run(wait_for_model(b))
        started = time.monotonic()
        store.activate(version.id)
        seconds = asyncio.run(_draw_until(b, "3", started, 30.0))
    return {"activation_to_answer_on_other_server_s":
            None if seconds is None else round(seconds, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--writers", type=int, default=30)
    p.add_argument("--saves", type=int, default=20, help="saves per writer")
    p.add_argument("--kills", type=int, default=5, help="kill -9 runs per database")
    p.add_argument("--data-dir", default=None, help="MNIST, for the app servers")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    from tests.support.postgres import create_database, postgres_bin, throwaway_postgres

    summary = {}
    postgres = throwaway_postgres() if postgres_bin() else nullcontext(None)
    with postgres as pg_url, tempfile.TemporaryDirectory() as tmp:
        server = pg_url.rsplit("/", 1)[0] if pg_url else None
        targets = {"sqlite": lambda name: f"sqlite:///{tmp}/{name}.sqlite3"}
        if server:
            targets["postgresql"] = lambda name: create_database(server)
        for kind, make in targets.items():
            summary[kind] = {"saves": saves(make("saves"), args.writers, args.saves),
                             "kill_9": kill_during_saves(make("kills"), args.kills)}
            print(json.dumps({kind: summary[kind]}), file=sys.stderr, flush=True)
        if server:
            summary["postgresql"].update(across_servers(server, args.data_dir))
    print_summary(summary, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
