#!/usr/bin/env python
"""The retention purge (``hwr.class_data.privacy.purge_expired``) on a school's worth of
ended classes, with a student posting to the running class meanwhile.

The database holds --classes classes that ended 60 days ago, each with --students
students of --drawings drawings (each a wall drawing with its 28x28 uint8 model input
and a sample with its 28x28 float model input and a small PNG, as the Draw page files
them), --rounds rounds with an entry per student, a few curation changes and one model
version taught with the class (--archive-kb of archive, fine-tuned from the original
as the app does); plus one running class of the same size, whose model
answers, inserted in bulk with SQLAlchemy Core. The purge
keeps --retention days (default 30), so every ended class goes.

Figures: the purge's seconds (target <= 10 s on SQLite, issue 40), of which the
compaction (SQLite VACUUM and WAL truncation; PostgreSQL VACUUM), the database file
before and after (SQLite), a student's posts to the running class during the purge
(p50/p95/max ms, none lost), and whether the running class is untouched (every row of
it, its model version and the active model, by checksum, before and after).
``--postgresql`` runs it on a throwaway PostgreSQL too (``tests/support/postgres.py``).
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from sqlalchemy import insert, select, text

from hwr.class_data import privacy
from hwr.class_data.collection import ClassCollection
from hwr.class_data.storage import (
    class_students,
    classes,
    curation_changes,
    drawings,
    round_entries,
    rounds,
    samples,
    settings,
)
from tests.support.figures import print_summary, spread

DAY = 86_400.0
TABLES = ("samples", "drawings", "round_entries", "rounds", "class_students",
          "curation_changes")


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, timezone.utc).isoformat(timespec="seconds")


def canvas_png(rng: np.random.Generator) -> bytes:
    """A digit-like drawing as the canvas files it: a few strokes on 140 x 140."""
    image = Image.new("L", (140, 140), 0)
    pen = ImageDraw.Draw(image)
    points = [tuple(int(v) for v in rng.integers(20, 120, 2)) for _ in range(5)]
    pen.line(points, fill=255, width=12, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def seed(engine, args, now: float) -> dict:
    """Every class, in bulk; returns {running class id, its student ids}."""
    rng = np.random.default_rng(0)
    pngs = [canvas_png(rng) for _ in range(64)]
    images = [rng.uniform(0, 1, (28, 28)).astype(np.float32) for _ in range(64)]
    walls = [np.round(i * 255).astype(np.uint8).tobytes() for i in images]
    floats = [i.tobytes() for i in images]
    probabilities = json.dumps([0.1] * 10)
    versions = []
    with engine.begin() as conn:
        for n in range(args.classes + 1):
            running = n == args.classes
            started = now - (1 if running else 61) * DAY + n
            class_id = conn.execute(insert(classes).values(
                name=f"Class {n}", started=iso(started),
                ended=None if running else iso(now - 60 * DAY + n))
                .returning(classes.c.id)).scalar_one()
            students = [f"s{n:03d}-{k:03d}-{rng.integers(1 << 40):010x}"
                        for k in range(args.students)]
            conn.execute(insert(class_students), [
                dict(class_id=class_id, student=s, nickname=f"Nick {n}.{k}", joined=started)
                for k, s in enumerate(students)])
            wall_rows, sample_rows = [], []
            for k, s in enumerate(students):
                for d in range(1, args.drawings + 1):
                    i = (k * args.drawings + d) % 64
                    wall_rows.append(dict(
                        class_id=class_id, student=s, drawing=d, nickname=f"Nick {n}.{k}",
                        created=started + d, updated=started + d, predicted=d % 10,
                        confidence=0.9, label=d % 10, model_input=walls[i]))
                    sample_rows.append(dict(
                        created=iso(started + d), label=d % 10, predicted=d % 10,
                        probabilities=probabilities, model_input=floats[i],
                        drawing_png=pngs[i], class_id=class_id, student=s, drawing=d))
            conn.execute(insert(drawings), wall_rows)
            conn.execute(insert(samples), sample_rows)
            for r in range(args.rounds):
                round_id = conn.execute(insert(rounds).values(
                    class_id=class_id, kind="digit", digit=r % 10, seconds=20,
                    started=started + 100 * r, deadline=started + 100 * r + 20,
                    ended=started + 100 * r + 20).returning(rounds.c.id)).scalar_one()
                conn.execute(insert(round_entries), [
                    dict(round_id=round_id, class_id=class_id, student=s, drawing=r + 1,
                         nickname=f"Nick {n}.{k}", prompt=r % 10, answer=r % 10,
                         confidence=0.9, correct=1, seconds=5.0, submitted=started + 5,
                         model_input=walls[(k + r) % 64])
                    for k, s in enumerate(students)])
            ids = conn.execute(select(samples.c.id).where(samples.c.class_id == class_id)
                               .limit(args.curation)).scalars().all()
            if ids:
                conn.execute(insert(curation_changes), [
                    dict(batch=f"b{n}", sample_id=i, class_id=class_id, teacher="t" * 12,
                         at=started, action="exclude", scope=f"student Nick {n}.0",
                         old_label=None, new_label=None, old_excluded=0, new_excluded=1)
                    for i in ids])
            version = f"20260101-{n:06d}-{n:06x}"
            conn.exec_driver_sql(
                "INSERT INTO model_versions (id, parent, created, class_digits, class_name,"
                " report, archive, class_id, students) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                if conn.dialect.name == "sqlite" else
                "INSERT INTO model_versions (id, parent, created, class_digits, class_name,"
                " report, archive, class_id, students) VALUES (%s, %s, %s, %s, %s, %s, %s,"
                " %s, %s)",
                (version, "original", iso(started + DAY / 2),
                 len(sample_rows), f"Class {n}", "{}",
                 rng.bytes(args.archive_kb * 1024), class_id, json.dumps(students)))
            versions.append(version)
            if running:
                running_id, running_students = class_id, students
        # the running class's model answers (each class's fine-tuned from the original,
        # as the app does: a class never starts from another class's model)
        conn.execute(insert(settings).values(key="active_model", value=versions[-1]))
    return {"class_id": running_id, "students": running_students, "version": versions[-1]}


def checksum(engine, class_id: int, skip_student: str) -> dict:
    """Every row of the running class (but the posting student's), per table."""
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table} WHERE class_id = :c "
                                     "ORDER BY id"), {"c": class_id}).all()
            digest = hashlib.sha256()
            kept = 0
            for row in rows:
                mapping = row._mapping
                if mapping.get("student") == skip_student:
                    continue
                kept += 1
                digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                         for v in row)).encode())
            out[table] = (kept, digest.hexdigest()[:16])
        out["class"] = repr(conn.execute(select(classes).where(
            classes.c.id == class_id)).one())
        out["model_versions"] = conn.execute(text(
            "SELECT id, parent, created, class_id, students FROM model_versions WHERE "
            "class_id = :c"), {"c": class_id}).all()
        out["active_model"] = conn.execute(select(settings.c.value).where(
            settings.c.key == "active_model")).scalar()
    return out


def run(url: str, args, sqlite_path: Path | None) -> dict:
    db = ClassCollection(url)
    privacy._ready(db.engine)
    now = time.time()
    started = time.perf_counter()
    running = seed(db.engine, args, now)
    seeded_s = time.perf_counter() - started
    poster = "s-posting-" + "x" * 20
    before = checksum(db.engine, running["class_id"], poster)
    size_before = _size(sqlite_path)

    latencies, errors, stop = [], [], threading.Event()

    def student() -> None:  # a student of the running class goes on drawing
        rng, k = np.random.default_rng(1), 0
        while not stop.is_set():
            k += 1
            image = rng.uniform(0, 1, (28, 28)).astype(np.float32)
            t = time.perf_counter()
            try:
                db.post_drawing(running["class_id"], poster, k, "Poster", 7, False, 0.9,
                                image)
                db.add(image, 7, np.eye(10)[7], class_id=running["class_id"],
                       student=poster, drawing_id=k, nickname="Poster")
            except Exception as e:  # noqa: BLE001 - counted: none may fail
                errors.append(type(e).__name__)
            latencies.append((time.perf_counter() - t) * 1000)
            time.sleep(0.05)

    thread = threading.Thread(target=student, daemon=True)
    if args.student:
        thread.start()
        time.sleep(0.2)
    purged = privacy.purge_expired(db.engine, args.retention, now=now)
    stop.set()
    if args.student:
        thread.join(30)
    after = checksum(db.engine, running["class_id"], poster)
    with db.engine.connect() as conn:
        left = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t} WHERE class_id <> :c"),
                                {"c": running["class_id"]}).scalar() for t in TABLES}
        versions = conn.execute(text("SELECT COUNT(*) FROM model_versions")).scalar()
        active = conn.execute(select(settings.c.value).where(
            settings.c.key == "active_model")).scalar()
        posted = conn.execute(text("SELECT COUNT(*) FROM drawings WHERE student = :s"),
                              {"s": poster}).scalar()
    return {
        "classes_purged": purged.classes,
        "rows_purged": {"drawings": purged.drawings, "samples": purged.samples,
                        "round_entries": purged.entries, "rounds": purged.rounds,
                        "students": purged.students,
                        "curation_changes": purged.curation_rows,
                        "model_versions": purged.model_versions},
        "purge_s": round(purged.seconds, 2),
        "of_which_compact_s": round(purged.compact_seconds, 2),
        "target_s": 10.0,
        "within_target": purged.seconds <= 10.0,
        "rows_left_of_ended_classes": sum(left.values()),
        "model_versions_left": versions,
        "active_model_kept": active == running["version"],
        "running_class_untouched": before == after,
        "student_posts_during_purge": {"posts": len(latencies), "errors": len(errors),
                                       "rows_found": posted,
                                       **spread(latencies, "{}_ms")},
        "database_mb_before": size_before,
        "database_mb_after": _size(sqlite_path),
        "seed_s": round(seeded_s, 1),
    }


def _size(path: Path | None) -> float | None:
    if path is None:
        return None
    total = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return round(total / 2**20, 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--classes", type=int, default=30, help="ended classes")
    p.add_argument("--students", type=int, default=30, help="per class")
    p.add_argument("--drawings", type=int, default=20, help="per student")
    p.add_argument("--rounds", type=int, default=2, help="per class, an entry each")
    p.add_argument("--curation", type=int, default=20, help="changes per class")
    p.add_argument("--archive-kb", type=int, default=256, help="per model version")
    p.add_argument("--retention", type=int, default=30, help="days")
    p.add_argument("--no-student", dest="student", action="store_false",
                   help="no student posts to the running class during the purge")
    p.add_argument("--postgresql", action="store_true",
                   help="also on a throwaway PostgreSQL (Debian's postgresql package)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    summary = {"classes": args.classes, "students": args.students,
               "drawings": args.drawings}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "purge.sqlite3"
        summary["sqlite"] = run(f"sqlite:///{path}", args, path)
        print(json.dumps({"sqlite": summary["sqlite"]}), file=sys.stderr, flush=True)
    if args.postgresql:
        from tests.support.postgres import throwaway_postgres

        with throwaway_postgres() as url:
            summary["postgresql"] = run(url, args, None)
    print_summary(summary, args.json)
    return 0 if all(summary[k]["running_class_untouched"] and
                    summary[k]["within_target"] and
                    not summary[k]["student_posts_during_purge"]["errors"]
                    for k in ("sqlite", "postgresql") if k in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
