"""The database lock (hwr.class_data.locks) and the fine-tune that holds it, on SQLite
and PostgreSQL: two app servers are two ClassCollection/ModelStore pairs on one
database, each with its own connection pool and model cache."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from hwr.class_data.collection import ClassCollection
from hwr.class_data.locks import DatabaseLock, forget_outcome, last_outcome
from hwr.class_data.model_store import ModelStore
from hwr.learning.finetune import ClassDigits, FineTuneError
from hwr.teaching.jobs import FineTuneJob
from hwr.teaching.service import LOCK, Slot, Teaching


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def servers(db_url: str, tmp_path, count: int = 2) -> list[ClassCollection]:
    """``count`` app servers' views of one database (each its own engine)."""
    return [ClassCollection(db_url) for _ in range(count)]


def test_one_holder_at_a_time_and_release(db_url, tmp_path):
    a, b = servers(db_url, tmp_path)
    one, two = DatabaseLock(a.engine, "x", "a"), DatabaseLock(b.engine, "x", "b")
    assert one.acquire({"stage": "starting"})
    assert not two.acquire()
    assert two.read().holder == "a" and two.read().info == {"stage": "starting"}
    assert one.heartbeat({"stage": "training", "epoch": 2})
    assert two.current().info["epoch"] == 2
    one.release()
    assert two.current() is None
    assert two.acquire()
    assert not one.acquire()
    assert last_outcome(a.engine, "x") is None  # released by its holder: no failure


def test_presses_on_two_servers_at_once_take_one_lock(db_url, tmp_path):
    """Eight presses on two servers within 100 ms: exactly one holder."""
    collections = servers(db_url, tmp_path)
    locks = [DatabaseLock(collections[i % 2].engine, "fine-tune", f"s{i}") for i in range(8)]
    barrier, won = threading.Barrier(len(locks)), []

    def press(lock):
        barrier.wait()
        if lock.acquire():
            won.append(lock.holder)

    started = time.monotonic()
    threads = [threading.Thread(target=press, args=(lock,)) for lock in locks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 1, won
    assert time.monotonic() - started < 30


def test_a_dead_holders_lock_is_released_and_its_run_marked_failed(db_url, tmp_path):
    a, b = servers(db_url, tmp_path)
    clock = Clock()
    dead = DatabaseLock(a.engine, "fine-tune", "a", stale_after=30, clock=clock)
    alive = DatabaseLock(b.engine, "fine-tune", "b", stale_after=30, clock=clock)
    assert dead.acquire({"class_name": "7B", "stage": "training"})
    clock.now += 29
    assert not alive.acquire() and alive.current().holder == "a"
    clock.now += 2  # no heartbeat for 31 s: server a died
    assert alive.current() is None
    failed = last_outcome(b.engine, "fine-tune")
    assert failed.state == "failed" and failed.holder == "a"
    assert failed.info["class_name"] == "7B" and "stopped answering" in failed.reason
    assert alive.acquire()
    assert not dead.heartbeat({"stage": "training"})  # a comes back: it is told, stops
    assert alive.read().holder == "b"
    dead.release()  # and cannot release b's lock
    assert alive.read().holder == "b"
    forget_outcome(b.engine, "fine-tune")
    assert last_outcome(b.engine, "fine-tune") is None


def test_an_unreadable_lock_row_counts_as_dead(db_url, tmp_path):
    from sqlalchemy import insert

    from hwr.class_data.storage import settings

    (a,) = servers(db_url, tmp_path, 1)
    with a.engine.begin() as conn:
        conn.execute(insert(settings).values(key="lock:x", value="not json"))
    assert DatabaseLock(a.engine, "x", "a").acquire()


def blocked_job(store, lock, release: threading.Event, heartbeat: float = 0.05):
    """A fine-tune that waits for ``release`` while reading the digits, then fails with
    too few digits (no training, no model saved)."""
    def digits():
        release.wait(30)
        raise FineTuneError("too few digits")

    return FineTuneJob(store, store.original, digits, lambda: None, class_name="7B",
                       lock=lock, heartbeat_seconds=heartbeat)


def test_the_job_beats_its_progress_and_releases_at_the_end(db_url, tmp_path):
    a, b = servers(db_url, tmp_path)
    store = ModelStore(a.engine, tmp_path / "cache-a")
    lock = DatabaseLock(a.engine, LOCK, "a")
    assert lock.acquire({"class_name": "7B", "stage": "starting"})
    release = threading.Event()
    job = blocked_job(store, lock, release).start()
    other = DatabaseLock(b.engine, LOCK, "b")
    deadline = time.monotonic() + 10
    while other.current().heartbeat == lock.read().started and time.monotonic() < deadline:
        time.sleep(0.05)
    shown = other.current()
    assert shown.holder == "a" and shown.info["class_name"] == "7B"
    assert shown.heartbeat > shown.started  # beaten since
    release.set()
    assert job.wait(10) and str(job.message) == "too few digits"
    deadline = time.monotonic() + 5
    while other.read() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other.acquire()  # released at the end


def test_a_job_whose_lock_was_taken_over_stops_without_saving(db_url, tmp_path):
    a, b = servers(db_url, tmp_path)
    store = ModelStore(a.engine, tmp_path / "cache-a")
    lock = DatabaseLock(a.engine, LOCK, "a")
    assert lock.acquire()
    release = threading.Event()
    job = blocked_job(store, lock, release).start()
    other = DatabaseLock(b.engine, LOCK, "b", stale_after=0.0)
    assert other.release_dead(other.read())  # b took a for dead
    assert other.acquire()
    deadline = time.monotonic() + 10
    while not job.lock_lost and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    assert job.wait(10) and job.lock_lost and job.version is None
    assert "stopped" in str(job.message)
    assert other.read().holder == "b"  # a did not release b's lock
    assert store.versions() == []


@pytest.fixture
def two_app_servers(db_url, tmp_path):
    """The teaching service as two app servers run it: each its own collection, model
    store and in-process slot, one database; the class's digits wait for ``release``."""
    release = threading.Event()
    a, b = (Teaching(server.engine, ModelStore(server.engine, tmp_path / f"cache-{name}"),
                     slot=Slot())
            for name, server in zip("ab", servers(db_url, tmp_path)))

    def waiting_digits():  # the run holds on while the test looks
        release.wait(60)
        return ClassDigits(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64), ())

    yield a, b, waiting_digits, release
    release.set()


def test_two_presses_on_two_servers_within_100_ms_start_one_run(two_app_servers):
    a, b, digits, release = two_app_servers
    barrier, pressed = threading.Barrier(2), {}

    def press(server):
        barrier.wait()
        at = time.monotonic()
        pressed[id(server)] = (at, server.start(digits, "7B"))

    threads = [threading.Thread(target=press, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    (t_a, job_a), (t_b, job_b) = pressed[id(a)], pressed[id(b)]
    assert abs(t_a - t_b) < 0.1
    jobs = [j for j in (job_a, job_b) if j is not None]
    assert len(jobs) == 1 and jobs[0].running  # one run
    runner, other = (a, b) if job_a is not None else (b, a)
    shown = other.running_elsewhere()  # the other server shows the running one
    assert shown is not None and shown.info["class_name"] == "7B"
    assert other.start(digits, "7B") is None  # a third press: still one
    assert runner.running_elsewhere() is None  # its own server shows its own job
    release.set()
    assert jobs[0].wait(60)
    assert jobs[0].version is None and "digits" in str(jobs[0].message)  # nothing saved
    deadline = time.monotonic() + 5
    while other.running_elsewhere() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other.running_elsewhere() is None  # released at the end


def test_the_class_page_shows_another_servers_run_and_one_that_died(monkeypatch, class_db,
                                                                     mnist_dir):
    """Another app server holds the lock (its progress in the row): the teacher sees it
    running and no button; once it stops beating, the page says it failed."""
    import numpy as np

    from hwr.learning.data import load_mnist
    from tests.support.apptest import page_app, texts
    from tests.support.classes import tilted_class

    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")
    monkeypatch.setenv("HWR_DATA_DIR", str(mnist_dir))
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    digits = tilted_class(load_mnist(mnist_dir), count=40, students=3)
    for image, label, student in zip(digits.images, digits.labels, digits.students):
        db.add(image, int(label), np.eye(10)[0], class_id=lesson.id, student=student)
    clock = Clock()
    clock.now = time.time()
    elsewhere = DatabaseLock(db.engine, LOCK, "server-b", stale_after=30,
                             clock=clock)
    assert elsewhere.acquire({"class_name": "7B", "stage": "training", "epoch": 2,
                              "epochs": 5, "fraction": 0.3, "seconds_left": 12})
    at = page_app("class").run()
    at.session_state["hwr_teacher"] = True
    at.run()
    assert not at.exception, at.exception
    assert not any(b.key == "teach_model" for b in at.button)
    bar = at.get("progress")[0]
    assert "on another server: pass 2 of 5, about 12 s left" in bar.proto.text
    clock.now -= 60  # server b's last beat was a minute ago: it died
    assert elsewhere.heartbeat({"class_name": "7B", "stage": "training"})
    at.run()
    assert not at.exception, at.exception
    assert "stopped: the server running it stopped answering" in texts(at)
    assert any(b.key == "teach_model" for b in at.button)  # the teacher may start again
    next(b for b in at.button if b.key == "dismiss_failed_teach").click().run()
    assert "stopped: the server" not in texts(at)
