"""The class's own state: classes, the live wall's drawings and the collected digits.

The shared database holds it all (``hwr.class_data.storage``: SQLite by default, PostgreSQL for
several app servers). A *class* is a lesson the teacher starts and ends
("7B, 25 Nov"); while one runs, every drawing a student makes is posted to its *wall*
(the latest state of each drawing, with the model's answer and, once the student says,
the right label), and each confirmed or corrected digit becomes a *sample* of that
class's collection. Each sample keeps the 28x28 model input, the drawing as PNG, the
label and what the model predicted. Every write is one transaction on a pooled
connection (SQLite in WAL mode with a busy timeout), so 30 sessions write at once
without losing a sample, and a write either happened whole or not at all.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import case, delete, func, insert, select, update

from hwr import settings
from hwr.class_data import storage
from hwr.class_data.moderation import Moderation, visible_on_wall, withheld_sample
from hwr.class_data.rounds import GRACE, RoundBook
from hwr.class_data.storage import classes, drawings, samples
from hwr.class_data.wall import (
    SHOWN,
    WallDrawing,
    admit,
    to_uint8,
    wall_drawing,
    write_drawing,
)
from hwr.learning.data import FILES, idx_bytes
from hwr.sizes import IMAGE_SIZE

ALL_SAMPLES = None  # samples(class_id=ALL_SAMPLES): every class's, and those of none
NO_CLASS = 0  # samples(class_id=NO_CLASS): collected while no class ran
# class_now's reading is trusted at most this long without a change seen in the database
# (a SQLite file replaced under the server would otherwise go unseen)
CLASS_NOW_SECONDS = 60.0


@dataclass(frozen=True)
class Lesson:
    """A class the teacher started ("7B, 25 Nov"); ``ended`` is None while it runs."""

    id: int
    name: str
    started: str
    ended: str | None

    @property
    def running(self) -> bool:
        return self.ended is None


@dataclass(frozen=True)
class WallStats:
    drawings: int
    students_active: int  # students who drew in the last few minutes
    labelled: int
    accuracy: float | None  # on the drawings whose students said what they are
    confusion: tuple[int, int, int] | None  # (true, read as, count), the most common


@dataclass(frozen=True)
class Samples:
    """The collection as arrays, oldest first."""

    ids: np.ndarray
    images: np.ndarray  # (N, 28, 28) float32 in [0, 1]
    labels: np.ndarray
    predicted: np.ndarray
    probabilities: np.ndarray  # (N, 10)
    created: list[str]
    students: tuple = ()  # who wrote each (a browser session), None where unknown

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def accuracy(self) -> float | None:
        return float((self.labels == self.predicted).mean()) if len(self) else None


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    if not isinstance(image, Image.Image):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _delegated(part: str, method):
    """A ClassCollection method that calls ``method`` on its part ``part`` (with the
    method's name, docstring and signature)."""
    name = method.__name__

    @functools.wraps(method)
    def delegate(self, *args, **kwargs):
        return getattr(getattr(self, part), name)(*args, **kwargs)

    return delegate


class ClassCollection:
    """The class data in the shared database (``hwr.class_data.storage``); created and upgraded on
    first use. ``where`` is a path to a SQLite file or a database URL (default: the
    configured database).

    It owns two parts on the same database: ``moderation``, the teacher's moderation
    (``hwr.class_data.moderation.Moderation``), and ``round_book``, the rounds
    (``hwr.class_data.rounds.RoundBook``). The methods of theirs that the pages call are
    delegated from here, so ``collection.hide_drawing(...)`` is
    ``collection.moderation.hide_drawing(...)``; the others are called on the part."""

    def __init__(self, where: str | Path | None = None, secrets: dict | None = None):
        url = where if isinstance(where, str) and "://" in where else (
            f"sqlite:///{where}" if where is not None else storage.database_url(secrets))
        self.url = url
        self.engine = storage.create(url)
        self.where = storage.host_of(url)  # for the teacher: never the password
        with self._connection():
            storage.upgrade(self.engine)
        self.moderation = Moderation(self.engine)
        self.round_book = RoundBook(self.engine, drawing_limit=settings.class_max_drawings)
        self._changes = storage.ChangeWatch(self.engine)
        self._class_now: tuple | None = None  # (database version, the reading, valid until)
        self._class_now_lock = threading.Lock()

    # --- the parts' methods the pages call ----------------------------------------

    settings = _delegated("moderation", Moderation.settings)
    set_frozen = _delegated("moderation", Moderation.set_frozen)
    set_approve_first = _delegated("moderation", Moderation.set_approve_first)
    set_generated_names = _delegated("moderation", Moderation.set_generated_names)
    projector_key = _delegated("moderation", Moderation.projector_key)
    results_closed = _delegated("moderation", Moderation.results_closed)
    close_results = _delegated("moderation", Moderation.close_results)
    hide_drawing = _delegated("moderation", Moderation.hide_drawing)
    unhide_drawing = _delegated("moderation", Moderation.unhide_drawing)
    approve_drawing = _delegated("moderation", Moderation.approve_drawing)
    clear_wall = _delegated("moderation", Moderation.clear_wall)
    undo_clear = _delegated("moderation", Moderation.undo_clear)
    waiting = _delegated("moderation", Moderation.waiting)
    hidden = _delegated("moderation", Moderation.hidden)
    student_of = _delegated("moderation", Moderation.student_of)
    nickname_of = _delegated("moderation", Moderation.nickname_of)
    remove_student = _delegated("moderation", Moderation.remove_student)
    readmit_student = _delegated("moderation", Moderation.readmit_student)
    students = _delegated("moderation", Moderation.students)
    removed_count = _delegated("moderation", Moderation.removed_count)

    start_round = _delegated("round_book", RoundBook.start_round)
    current_round = _delegated("round_book", RoundBook.current_round)
    rounds = _delegated("round_book", RoundBook.rounds)
    entry_count = _delegated("round_book", RoundBook.entry_count)
    entry_of = _delegated("round_book", RoundBook.entry_of)
    submit = _delegated("round_book", RoundBook.submit)
    end_round = _delegated("round_book", RoundBook.end_round)
    mark_incomplete = _delegated("round_book", RoundBook.mark_incomplete)
    round_results = _delegated("round_book", RoundBook.round_results)
    class_results = _delegated("round_book", RoundBook.class_results)

    def _connection(self, write: bool = False):
        return storage.connection(self.engine, write)

    def add(self, model_input: np.ndarray, label: int, probabilities: np.ndarray,
            drawing: np.ndarray | Image.Image | None = None,
            class_id: int | None = None, student: str | None = None,
            drawing_id: int | None = None, nickname: str | None = None) -> int:
        """Store one confirmed sample (of the class ``class_id``, if one runs, and by the
        browser session ``student``, so a fine-tune can hold out whole students); its id.
        ``drawing_id`` names the wall drawing it was, whose moderation it follows. A
        student the teacher removed from the class raises StudentRemoved."""
        image = np.asarray(model_input, np.float32)
        if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"model_input must be 28x28, got {image.shape}")
        if not 0 <= int(label) <= 9:
            raise ValueError(f"label must be a digit 0-9, got {label}")
        probs = np.asarray(probabilities, np.float64).reshape(10)
        row = dict(
            created=_now(), label=int(label), predicted=int(probs.argmax()),
            probabilities=json.dumps([round(float(p), 6) for p in probs]),
            model_input=np.clip(image, 0, 1).astype(np.float32).tobytes(),
            drawing_png=png_bytes(drawing) if drawing is not None else None,
            class_id=class_id, student=student,
            drawing=None if drawing_id is None else int(drawing_id))
        with self._connection(write=True) as conn:
            if class_id is not None and student is not None:
                admit(conn, class_id, student, nickname)
            return int(conn.execute(insert(samples).values(**row)
                                    .returning(samples.c.id)).scalar_one())

    @staticmethod
    def _class_filter(statement, class_id: int | None, moderated: bool = True):
        """One class's samples (or all, or NO_CLASS's); ``moderated``: without those the
        teacher took out (hidden or waiting drawings, removed students)."""
        if moderated:
            statement = statement.where(~withheld_sample())
        if class_id is ALL_SAMPLES:
            return statement
        if class_id == NO_CLASS:
            return statement.where(samples.c.class_id.is_(None))
        return statement.where(samples.c.class_id == int(class_id))

    def count(self, class_id: int | None = ALL_SAMPLES) -> int:
        with self._connection() as conn:
            return int(conn.execute(self._class_filter(
                select(func.count()).select_from(samples), class_id)).scalar_one())

    def samples(self, class_id: int | None = ALL_SAMPLES) -> Samples:
        """The collected digits: all of them, one class's, or (NO_CLASS) those collected
        while no class ran; never those the teacher took out (a hidden drawing's, a
        removed student's): this is what a fine-tune learns from."""
        c = samples.c
        with self._connection() as conn:
            rows = conn.execute(self._class_filter(
                select(c.id, c.created, c.label, c.predicted, c.probabilities,
                       c.model_input, c.student), class_id).order_by(c.id)).all()
        images = np.array([np.frombuffer(r[5], np.float32).reshape(IMAGE_SIZE, IMAGE_SIZE)
                           for r in rows], np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        return Samples(
            ids=np.array([r[0] for r in rows], np.int64),
            images=images,
            labels=np.array([r[2] for r in rows], np.int64),
            predicted=np.array([r[3] for r in rows], np.int64),
            probabilities=np.array([json.loads(r[4]) for r in rows], np.float32).reshape(-1, 10),
            created=[r[1] for r in rows],
            students=tuple(r[6] for r in rows),
        )

    def drawing(self, sample_id: int) -> bytes | None:
        with self._connection() as conn:
            return conn.execute(select(samples.c.drawing_png)
                                .where(samples.c.id == int(sample_id))).scalar()

    def delete_all(self, class_id: int | None = ALL_SAMPLES) -> int:
        """Delete the collected digits (all, or one class's); returns how many."""
        with self._connection(write=True) as conn:
            return conn.execute(self._class_filter(delete(samples), class_id,
                                                   moderated=False)).rowcount

    # --- classes ------------------------------------------------------------------

    def _end_rounds_of_running_classes(self) -> None:
        """A class that ends ends its round too (whoever drew in it is entered)."""
        c, r = classes.c, storage.rounds.c
        with self._connection() as conn:
            open_rounds = conn.execute(select(r.id).where(
                r.ended.is_(None) & r.class_id.in_(
                    select(c.id).where(c.ended.is_(None))))).scalars().all()
        for round_id in open_rounds:
            self.round_book.end_round(round_id)

    def start_class(self, name: str) -> Lesson:
        """Start a class (ending the one that runs, if any)."""
        now, name = _now(), name.strip()[:80] or "Class"
        self._end_rounds_of_running_classes()
        with self._connection(write=True) as conn:
            conn.execute(update(classes).where(classes.c.ended.is_(None)).values(ended=now))
            new_id = conn.execute(insert(classes).values(name=name, started=now)
                                  .returning(classes.c.id)).scalar_one()
        return Lesson(int(new_id), name, now, None)

    def end_class(self) -> None:
        self._end_rounds_of_running_classes()
        with self._connection(write=True) as conn:
            conn.execute(update(classes).where(classes.c.ended.is_(None)).values(ended=_now()))

    def reopen_class(self, class_id: int) -> None:
        """Run an earlier class again: its wall and collection go on where they were."""
        self._end_rounds_of_running_classes()
        with self._connection(write=True) as conn:
            conn.execute(update(classes).where(classes.c.ended.is_(None)).values(ended=_now()))
            conn.execute(update(classes).where(classes.c.id == int(class_id))
                         .values(ended=None))

    def class_now(self) -> tuple:
        """(the running class's id, its running round's id, how many students the
        teacher removed from it), or (None, None, 0): what the answer channel's class
        events compare with what each page shows (hwr/server/class_events.py), every 2 s.

        Read afresh only when the database may have changed (SQLite: a pragma,
        ``storage.ChangeWatch``), when the round's timer runs out, or after
        ``CLASS_NOW_SECONDS``; a PostgreSQL database is read each time. The read cost
        an idle server 0.67 ms of CPU a second with one page open (docs/benchmarks.md)."""
        with self._class_now_lock:
            version, now = self._changes.version(), time.time()
            last = self._class_now
            if version is not None and last is not None and last[0] == version and \
                    now < last[2]:
                return last[1]
            until = now + CLASS_NOW_SECONDS
            lesson = self.current_class()
            if lesson is None:
                reading = (None, None, 0)
            else:
                found = self.current_round(lesson.id)
                running = found is not None and found.running and not found.due()
                reading = (lesson.id, found.id if running else None,
                           self.removed_count(lesson.id))
                if running and found.deadline is not None:
                    until = min(until, found.deadline + GRACE)
            self._class_now = (version, reading, until)
            return reading

    def current_class(self) -> Lesson | None:
        c = classes.c
        with self._connection() as conn:
            row = conn.execute(select(c.id, c.name, c.started, c.ended)
                               .where(c.ended.is_(None)).order_by(c.id.desc()).limit(1)).first()
        return Lesson(*row) if row else None

    def classes(self) -> list[Lesson]:
        """Every class, the newest first."""
        c = classes.c
        with self._connection() as conn:
            rows = conn.execute(select(c.id, c.name, c.started, c.ended)
                                .order_by(c.id.desc())).all()
        return [Lesson(*row) for row in rows]

    # --- the wall -----------------------------------------------------------------

    def post_drawing(self, class_id: int, student: str, drawing: int, nickname: str,
                     predicted: int, not_a_digit: bool, confidence: float,
                     model_input: np.ndarray, limit: int | None = None) -> None:
        """Put a drawing on the class wall, or update it (more strokes, a new answer).

        Raises ClassFullError when the class already holds ``limit`` drawings, and
        StudentRemoved or NicknameTaken (``hwr.class_data.wall``) for a student
        the teacher removed. With "approve first" on, the drawing (new, or changed after
        its approval) waits in the teacher's queue."""
        image = to_uint8(np.asarray(model_input, np.float32)).reshape(IMAGE_SIZE, IMAGE_SIZE)
        with self._connection(write=True) as conn:
            admit(conn, class_id, student, nickname)
            write_drawing(conn, class_id, student, drawing, nickname, predicted,
                          not_a_digit, confidence, image,
                          settings.class_max_drawings() if limit is None else limit)

    def label_drawing(self, class_id: int, student: str, drawing: int, label: int) -> None:
        """The student said what the drawing is ("Is it right?")."""
        d = drawings.c
        with self._connection(write=True) as conn:
            conn.execute(update(drawings).where(
                (d.class_id == int(class_id)) & (d.student == student) &
                (d.drawing == int(drawing))).values(label=int(label)))

    def wall(self, class_id: int, limit: int = 48,
             frozen_at: float | None = None) -> list[WallDrawing]:
        """The class's latest drawings, the newest first: none the teacher hid or has not
        approved, nor (with the wall frozen at ``frozen_at``, default: the class's
        setting) any drawn or changed since it froze."""
        d = drawings.c
        with self._connection() as conn:
            if frozen_at is None:
                frozen_at = conn.execute(select(classes.c.frozen_at).where(
                    classes.c.id == int(class_id))).scalar()
            rows = conn.execute(
                select(d.student, d.drawing, d.nickname, d.created, d.predicted,
                       d.not_a_digit, d.confidence, d.label, d.model_input, d.id)
                .where(visible_on_wall(class_id, frozen_at))
                .order_by(d.created.desc(), d.id.desc()).limit(int(limit))).all()
        return [wall_drawing(r) for r in rows]

    def wall_stats(self, class_id: int, active_seconds: float = 180.0) -> WallStats:
        d = drawings.c
        mine = (d.class_id == int(class_id)) & (d.hidden == SHOWN) & (d.approved == 1)
        labelled_rows = mine & d.label.is_not(None)
        with self._connection() as conn:
            total, active = conn.execute(select(
                func.count(),
                func.count(func.distinct(_active_student(d, time.time() - active_seconds))))
                .where(mine)).one()
            labelled, right = conn.execute(select(
                func.count(), func.sum(_right(d))).where(labelled_rows)).one()
            confusion = conn.execute(
                select(d.label, d.predicted, func.count().label("n"))
                .where(labelled_rows & (d.label != d.predicted))
                .group_by(d.label, d.predicted).order_by(func.count().desc()).limit(1)).first()
        return WallStats(int(total), int(active), int(labelled),
                         (right or 0) / labelled if labelled else None,
                         tuple(confusion) if confusion else None)


def _active_student(d, since: float):
    """The student's id if they drew since ``since``, else NULL (not counted)."""
    return case((d.updated >= since, d.student), else_=None)


def _right(d):
    """1 for a labelled drawing the model read right (and did not call no digit)."""
    return case(((d.label == d.predicted) & (d.not_a_digit == 0), 1), else_=0)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def export_npz(samples: Samples) -> bytes:
    """x (N, 28, 28) uint8 and y (N,) uint8, MNIST's conventions; no pickles."""
    buf = io.BytesIO()
    np.savez_compressed(buf, x=to_uint8(samples.images), y=samples.labels.astype(np.uint8))
    return buf.getvalue()


def export_idx(samples: Samples) -> dict[str, bytes]:
    """The collection as MNIST-style training IDX files (gzip), by file name: saved in
    one directory they are what ``scripts/train.py --extra-data DIR`` reads."""
    return {
        f"{FILES['train_images']}.gz": gzip.compress(idx_bytes(to_uint8(samples.images))),
        f"{FILES['train_labels']}.gz": gzip.compress(idx_bytes(samples.labels.astype(np.uint8))),
    }


def export_idx_zip(samples: Samples) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in export_idx(samples).items():
            archive.writestr(f"class_digits/{name}", data)
    return buf.getvalue()
