"""Rounds: the teacher's prompt ("Everyone draw a 7", a digit each, or "Fool the
network"), an optional timer, one entry per student, and the results.

A student's entry is recorded when they tap Done (in "Fool the network", the digit they
meant) or, for whoever did not, when the round ends: their latest drawing on the wall
since the round started counts then. Each entry joins the class's data as a sample
labelled with the prompted (or meant) digit, and follows the moderation of its wall
drawing. Ending is one conditional update, so two teachers ending a round at once record
one end. Everything is in the class database, so any app server starts, ends and shows a
round.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import numpy as np
from sqlalchemy import Engine, and_, exists, func, insert, not_, select, update
from sqlalchemy.exc import IntegrityError

from hwr.class_data import storage
from hwr.class_data.storage import (
    class_students,
    drawings,
    round_entries,
    rounds,
    samples,
)
from hwr.class_data.wall import SHOWN, admit, to_uint8, write_drawing
from hwr.translation import N_, Explained

DIGIT, RANDOM, FOOL = "digit", "random", "fool"
KINDS = (DIGIT, RANDOM, FOOL)
DEFAULT_SECONDS = 20
MIN_SECONDS, MAX_SECONDS = 5, 600
GRACE = 0.5  # s after the deadline a Done still counts (it was on its way)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RoundError(Explained):
    """A round the teacher cannot start as asked (one plain sentence)."""


class RoundOver(RuntimeError):
    """The round has ended: no more entries."""


class AlreadySubmitted(RuntimeError):
    """One entry per student and round."""


@dataclass(frozen=True)
class Round:
    id: int
    class_id: int
    kind: str
    digit: int | None
    seconds: int | None
    started: float
    deadline: float | None
    ended: float | None
    incomplete: bool

    @property
    def running(self) -> bool:
        return self.ended is None

    def seconds_left(self, now: float | None = None) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - (time.time() if now is None else now))

    def due(self, now: float | None = None) -> bool:
        """The timer ran out (and the grace for a Done on its way)."""
        return self.deadline is not None and (time.time() if now is None else now) > \
            self.deadline + GRACE

    def prompt_for(self, student: str) -> int | None:
        """The digit this student is asked for (None: "Fool the network", they say)."""
        if self.kind == DIGIT:
            return self.digit
        if self.kind == RANDOM:  # the same on every server, different per student
            digest = hashlib.sha256(f"{self.id}:{student}".encode()).digest()
            return digest[0] % 10
        return None

    @property
    def title(self) -> str:
        if self.kind == DIGIT:
            return f"Everyone draw a {self.digit}"
        if self.kind == RANDOM:
            return "A digit each"
        return "Fool the network"


@dataclass(frozen=True)
class RoundEntry:
    student: str
    drawing: int
    nickname: str
    prompt: int
    answer: int
    not_a_digit: bool
    confidence: float
    correct: bool
    seconds: float
    image: np.ndarray  # (28, 28) uint8


# A right answer under this confidence was read "only just" (the results' hardest).
ONLY_JUST = 0.9


@dataclass(frozen=True)
class RoundResults:
    round: Round
    entries: list[RoundEntry]  # in the order they came

    @property
    def right(self) -> int:
        return sum(e.correct for e in self.entries)

    @property
    def hardest(self) -> list[RoundEntry]:
        """Read right, but only just (under ``ONLY_JUST``), the least confident first:
        a drawing read at 100% is no one's hardest, however few the class drew."""
        return sorted((e for e in self.entries if e.correct and e.confidence < ONLY_JUST),
                      key=lambda e: e.confidence)[:4]

    @property
    def fooled(self) -> list[RoundEntry]:
        """The drawings the model misread."""
        return [e for e in self.entries if not e.correct]


def check_timer(seconds: int | float | None) -> int | None:
    """A timer the class can use (None: no timer), or RoundError with the limits."""
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise RoundError(N_("The timer must be whole seconds from {low} to {high} (10 "
                            "minutes)."), low=MIN_SECONDS, high=MAX_SECONDS) from None
    if not MIN_SECONDS <= value <= MAX_SECONDS or value != int(value):
        raise RoundError(N_("The timer must be whole seconds from {low} to {high} (10 "
                            "minutes); {seconds} s is not."), low=MIN_SECONDS,
                         high=MAX_SECONDS, seconds=f"{value:g}")
    return int(value)


def _is_digit(value: object) -> bool:
    try:
        return value is not None and int(value) == value and 0 <= int(value) <= 9
    except (TypeError, ValueError):
        return False


def _round(row) -> Round:
    return Round(int(row[0]), int(row[1]), row[2], row[3], row[4], row[5], row[6], row[7],
                 bool(row[8]))


def _columns():
    r = rounds.c
    return (r.id, r.class_id, r.kind, r.digit, r.seconds, r.started, r.deadline, r.ended,
            r.incomplete)


def _probabilities(answer: int, confidence: float) -> list[float]:
    """A wall drawing keeps the answer and its confidence only: the rest spread evenly."""
    rest = max(0.0, 1.0 - confidence) / 9
    return [round(confidence if d == answer else rest, 6) for d in range(10)]


def neutralise(cell) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a '."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


def results_csv(results: list[RoundResults]) -> str:
    """A row per student and round: the round's number in the class (1, 2, ... in the
    order given: ``class_results`` gives the oldest first, as the Class page numbers
    them; never the database's id, which counts every class's rounds), nickname, prompt,
    answer, right, confidence, time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["round", "started", "round_kind", "nickname", "prompt", "answer",
                     "right", "confidence", "time_s"])
    for number, result in enumerate(results, 1):
        r = result.round
        started = datetime.fromtimestamp(r.started, timezone.utc).isoformat(timespec="seconds")
        for e in result.entries:
            writer.writerow([neutralise(v) for v in (
                number, started, r.kind, e.nickname, e.prompt,
                "?" if e.not_a_digit else e.answer, "yes" if e.correct else "no",
                f"{e.confidence:.3f}", f"{e.seconds:.1f}")])
    return out.getvalue()


class RoundBook:
    """The rounds of the classes in one database (``engine``): a part of
    ``ClassCollection``, which creates it as ``collection.round_book``. An entry is
    also a drawing on the wall, of which a class holds ``drawing_limit()`` at most."""

    def __init__(self, engine: Engine, drawing_limit: Callable[[], int]):
        self.engine = engine
        self.drawing_limit = drawing_limit

    def _connection(self, write: bool = False):
        return storage.connection(self.engine, write)

    def start_round(self, class_id: int, kind: str, digit: int | None = None,
                    seconds: int | None = DEFAULT_SECONDS) -> Round:
        """Start a round in the class (ending the one that runs, if any)."""
        if kind not in KINDS:
            raise RoundError(N_("A round is one of {kinds}, not {kind}."),
                             kinds=", ".join(KINDS), kind=repr(kind))
        if kind == DIGIT and not _is_digit(digit):
            raise RoundError(N_("Everyone draws one digit: choose it, 0 to 9."))
        seconds = check_timer(seconds)
        running = self.current_round(class_id, end_due=False)
        if running is not None:
            self.end_round(running.id)
        now = time.time()
        values = dict(class_id=int(class_id), kind=kind,
                      digit=int(digit) if kind == DIGIT else None, seconds=seconds,
                      started=now, deadline=now + seconds if seconds else None)
        with self._connection(write=True) as conn:
            new_id = conn.execute(insert(rounds).values(**values)
                                  .returning(rounds.c.id)).scalar_one()
        return _round((new_id, values["class_id"], kind, values["digit"], seconds, now,
                       values["deadline"], None, 0))

    def get_round(self, round_id: int) -> Round | None:
        with self._connection() as conn:
            row = conn.execute(select(*_columns()).where(rounds.c.id == int(round_id))).first()
        return _round(row) if row else None

    def current_round(self, class_id: int, end_due: bool = True) -> Round | None:
        """The class's open round; one whose timer ran out is ended here (by whichever
        server reads it first) and None returned."""
        r = rounds.c
        with self._connection() as conn:
            row = conn.execute(select(*_columns()).where(
                (r.class_id == int(class_id)) & r.ended.is_(None))
                .order_by(r.id.desc()).limit(1)).first()
        found = _round(row) if row else None
        if found is not None and end_due and found.due():
            self.end_round(found.id)
            return None
        return found

    def rounds(self, class_id: int) -> list[Round]:
        """The class's rounds, the newest first."""
        r = rounds.c
        with self._connection() as conn:
            rows = conn.execute(select(*_columns()).where(r.class_id == int(class_id))
                                .order_by(r.id.desc())).all()
        return [_round(row) for row in rows]

    def entry_count(self, round_id: int) -> int:
        with self._connection() as conn:
            return int(conn.execute(select(func.count()).select_from(round_entries).where(
                round_entries.c.round_id == int(round_id))).scalar_one())

    def entry_of(self, round_id: int, student: str) -> RoundEntry | None:
        found = [e for e in self._entries(round_id, student=student)]
        return found[0] if found else None

    def submit(self, round_id: int, student: str, drawing: int, nickname: str,
               answer: int, not_a_digit: bool, confidence: float, model_input: np.ndarray,
               meant: int | None = None) -> RoundEntry:
        """The student's entry (Done): raises RoundOver, AlreadySubmitted, or the
        moderation's StudentRemoved / NicknameTaken."""
        image = to_uint8(np.asarray(model_input, np.float32)).reshape(28, 28)
        now = time.time()
        with self._connection(write=True) as conn:
            # FOR SHARE (PostgreSQL): an end that updates the round waits for this entry,
            # and an entry after the end sees it ended.
            row = conn.execute(select(*_columns()).where(rounds.c.id == int(round_id))
                               .with_for_update(read=True)).first()
            if row is None:
                raise RoundOver("There is no such round.")
            found = _round(row)
            if not found.running or found.due(now):
                raise RoundOver("The round has ended.")
            admit(conn, found.class_id, student, nickname)
            prompt = found.prompt_for(student) if found.kind != FOOL else meant
            if prompt is None or not 0 <= int(prompt) <= 9:
                raise ValueError("Say which digit you meant (0 to 9).")
            write_drawing(conn, found.class_id, student, drawing, nickname, answer,
                          not_a_digit, confidence, image, self.drawing_limit())
            entry = self._record(conn, found, student, drawing, nickname, int(prompt),
                                 answer, not_a_digit, confidence, image, now)
            if entry is None:  # raised inside: the drawing's write is rolled back too
                raise AlreadySubmitted("Your drawing for this round is in already.")
        return entry

    def _record(self, conn, found: Round, student: str, drawing: int, nickname: str,
                prompt: int, answer: int, not_a_digit: bool, confidence: float,
                image: np.ndarray, when: float) -> RoundEntry | None:
        """Insert the entry, its sample and the wall drawing's label (None: the student
        has one already)."""
        correct = not not_a_digit and int(answer) == prompt
        entry = RoundEntry(student, int(drawing), nickname, prompt, int(answer),
                           bool(not_a_digit), float(confidence), correct,
                           max(0.0, when - found.started), image)
        try:
            with conn.begin_nested():
                conn.execute(insert(round_entries).values(
                    round_id=found.id, class_id=found.class_id, student=student,
                    drawing=int(drawing), nickname=nickname, prompt=prompt,
                    answer=int(answer), not_a_digit=int(bool(not_a_digit)),
                    confidence=float(confidence), correct=int(correct),
                    seconds=entry.seconds, submitted=when, model_input=image.tobytes()))
        except IntegrityError:
            return None
        conn.execute(insert(samples).values(
            created=datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="seconds"),
            label=prompt, predicted=int(answer),
            probabilities=json.dumps(_probabilities(int(answer), float(confidence))),
            model_input=(image.astype(np.float32) / 255.0).tobytes(),
            class_id=found.class_id, student=student, drawing=int(drawing)))
        d = drawings.c
        conn.execute(update(drawings).where(
            (d.class_id == found.class_id) & (d.student == student) &
            (d.drawing == int(drawing))).values(label=prompt))
        return entry

    def end_round(self, round_id: int) -> bool:
        """End the round; True if this call ended it (a second end, from another teacher
        or server, finds it ended and records nothing). Whoever drew during the round but
        did not tap Done gets their latest drawing entered (not in "Fool the network":
        only the student knows what they meant)."""
        r = rounds.c
        for attempt in range(3):  # an entry inserted meanwhile: collect again
            try:
                with self._connection(write=True) as conn:
                    now = time.time()
                    row = conn.execute(select(*_columns()).where(r.id == int(round_id))).first()
                    if row is None:
                        return False
                    found = _round(row)
                    ended = min(now, found.deadline + GRACE) if found.deadline else now
                    if not conn.execute(update(rounds).where((r.id == found.id) &
                                                             r.ended.is_(None))
                                        .values(ended=ended)).rowcount:
                        return False
                    if found.kind != FOOL:
                        self._collect(conn, found, ended)
                    return True
            except IntegrityError:
                if attempt == 2:
                    raise
        return False

    def _collect(self, conn, found: Round, ended: float) -> None:
        """Enter each student's latest drawing of the round, for those without an entry."""
        d, e, cs = drawings.c, round_entries.c, class_students.c
        rows = conn.execute(
            select(d.student, d.drawing, d.nickname, d.predicted, d.not_a_digit,
                   d.confidence, d.model_input, d.updated)
            .where((d.class_id == found.class_id) & (d.updated >= found.started) &
                   (d.updated <= ended) & (d.hidden == SHOWN))
            .where(not_(exists().where((e.round_id == found.id) & (e.student == d.student))))
            .where(not_(exists().where((cs.class_id == d.class_id) &
                                       (cs.student == d.student) & (cs.removed == 1))))
            .order_by(d.updated.asc())).all()
        latest = {row[0]: row for row in rows}  # the last one per student wins
        for student, drawing, nickname, answer, nad, conf, blob, updated in latest.values():
            self._record(conn, found, student, drawing, nickname, found.prompt_for(student),
                         answer, bool(nad), conf,
                         np.frombuffer(blob, np.uint8).reshape(28, 28), updated)

    def mark_incomplete(self, round_id: int) -> None:
        """Some entries could not be recorded (the database was away)."""
        with self._connection(write=True) as conn:
            conn.execute(update(rounds).where(rounds.c.id == int(round_id))
                         .values(incomplete=1))

    def _entries(self, round_id: int, student: str | None = None,
                 approved_only: bool = False) -> list[RoundEntry]:
        e, d, cs = round_entries.c, drawings.c, class_students.c
        query = (select(e.student, e.drawing, e.nickname, e.prompt, e.answer, e.not_a_digit,
                        e.confidence, e.correct, e.seconds, e.model_input)
                 .where(e.round_id == int(round_id))
                 # moderation: a hidden drawing or a removed student leaves the results
                 .where(not_(exists().where(and_(
                     d.class_id == e.class_id, d.student == e.student,
                     d.drawing == e.drawing, d.hidden != SHOWN))))
                 .where(not_(exists().where(and_(
                     cs.class_id == e.class_id, cs.student == e.student, cs.removed == 1))))
                 .order_by(e.submitted, e.id))
        if student is not None:
            query = query.where(e.student == student)
        if approved_only:  # nor a drawing that waits for the teacher's approval
            query = query.where(not_(exists().where(and_(
                d.class_id == e.class_id, d.student == e.student, d.drawing == e.drawing,
                d.approved == 0))))
        with self._connection() as conn:
            rows = conn.execute(query).all()
        return [RoundEntry(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], bool(r[7]), r[8],
                           np.frombuffer(r[9], np.uint8).reshape(28, 28)) for r in rows]

    def round_results(self, round_id: int, approved_only: bool = False) -> RoundResults | None:
        """The round and its entries (``approved_only``: as the wall shows them, for the
        projector: without the drawings that wait for the teacher's approval)."""
        found = self.get_round(round_id)
        return None if found is None else RoundResults(
            found, self._entries(round_id, approved_only=approved_only))

    def class_results(self, class_id: int) -> list[RoundResults]:
        """Every round of the class with its entries, the oldest first (for the CSV)."""
        return [RoundResults(r, self._entries(r.id)) for r in reversed(self.rounds(class_id))]

