"""The server's retention thread (hwr/server/retention.py): it purges the ended classes
whose time ran out as soon as it starts, keeps the running class and the recent ones,
does nothing with "never", and outlives a database that does not answer."""

from __future__ import annotations

import threading
import time

import numpy as np
from sqlalchemy import text

from hwr import settings
from hwr.class_data import privacy
from hwr.class_data.collection import ClassCollection
from hwr.server import retention

DAY = 86_400.0


def a_drawing() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[5:22, 12:16] = 1.0
    return image


def lesson_with_a_drawing(db: ClassCollection, name: str, ended_days_ago: float | None):
    lesson = db.start_class(name)
    db.post_drawing(lesson.id, "a1b2c3d4e5f6", 1, "Zebra", 1, False, 0.9, a_drawing())
    if ended_days_ago is not None:
        db.end_class()
        ended = privacy._iso(time.time() - ended_days_ago * DAY)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE classes SET ended = :e WHERE id = :i"),
                         {"e": ended, "i": lesson.id})
    return lesson


def run_once(monkeypatch, url: str, days: str) -> list[str]:
    """The thread's first check (at start-up), then stopped; what it logged."""
    monkeypatch.setenv(settings.DB_URL_ENV, url)
    monkeypatch.setenv(settings.RETENTION_ENV, days)
    lines: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *a, **k: lines.append(" ".join(map(str, a))))
    stop = threading.Event()
    stop.set()  # one check, then it returns
    retention.keep_purging(stop, check_seconds=0.01)
    return lines


def test_the_classes_whose_time_ran_out_go_at_start_up(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    db = ClassCollection(url)
    old = lesson_with_a_drawing(db, "last month", ended_days_ago=40)
    recent = lesson_with_a_drawing(db, "last week", ended_days_ago=5)
    running = lesson_with_a_drawing(db, "now", ended_days_ago=None)

    lines = run_once(monkeypatch, url, "30")

    assert [c.id for c in db.classes()] == [running.id, recent.id]
    assert old.id not in [c.id for c in db.classes()]
    assert len(db.wall(running.id)) == 1 and len(db.wall(recent.id)) == 1
    assert any("deleted the data of 1 ended class" in line for line in lines), lines
    assert not any("Zebra" in line for line in lines)  # the log names no student
    assert run_once(monkeypatch, url, "30") == []  # within the hour: no second purge


def test_never_keeps_every_class(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    db = ClassCollection(url)
    old = lesson_with_a_drawing(db, "years ago", ended_days_ago=4000)
    assert run_once(monkeypatch, url, "never") == []
    assert [c.id for c in db.classes()] == [old.id]


def test_a_database_that_does_not_answer_is_asked_again_later(monkeypatch):
    # A closed port on loopback: the check says so in the log and the thread goes on.
    lines = run_once(monkeypatch, "postgresql+psycopg://u:p@127.0.0.1:9/hwr", "30")
    assert len(lines) == 1 and "did not answer" in lines[0] and "asked again" in lines[0]
