"""The teacher curates the class's labels before teaching the model.

A student's tap under "Is it right?" is the label a sample is filed under; one student who
files 7s as 1s would teach the model wrong. Here the teacher relabels a drawing or leaves
it out (excludes it), one at a time or in bulk (a whole confusion cell, a whole student).
Nothing is deleted: the student's own label stays in ``samples.label`` beside the
teacher's (``samples.curated_label``), and an excluded drawing keeps its row.

Every change is recorded in ``curation_changes`` (when, what, by which teacher session:
a random id, nothing personal) and can be undone, one action (a "batch") at a time. All
of it lives in the class database, so a change made on one app server is what every other
server reads. Two teachers who change the same drawing at once are both recorded and the
later one wins: each change locks the drawings' rows (SQLite: the database) before it
reads what it replaces. An undo leaves alone a drawing that someone changed since.

``curated_samples`` is what teaching and the export read: the class's samples that are
neither taken out by moderation (``hwr.class_data.moderation``) nor excluded here, under
the curated labels, with a report of what was left out and why. ``suspicious`` lists the
drawings whose label the model finds most unlikely, grouped by student.

Who may call these is the pages' business (``hwr.pages.class_page.curation`` checks
``is_teacher()`` in every action); this module only keeps the rules.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import and_, case, exists, func, insert, select, update

from hwr.class_data import storage
from hwr.class_data.collection import ALL_SAMPLES, NO_CLASS, ClassCollection, Samples
from hwr.class_data.moderation import withheld_sample
from hwr.class_data.storage import class_students, curation_changes, samples
from hwr.learning.finetune import ClassDigits
from hwr.sizes import IMAGE_SIZE

RELABEL, EXCLUDE, INCLUDE, UNDO = "relabel", "exclude", "include", "undo"
ID_LENGTH = 12  # random ids (teacher sessions, batches): hex characters


@dataclass(frozen=True)
class CurationConfig:
    """When a label is suspicious: the model gives it under ``label_below`` while it
    gives another digit over ``other_above``. A student with ``block_min`` or more such
    drawings files labels the model cannot believe (a prank, or a misunderstanding): their
    drawings that the model reads as another digit, giving the label under
    ``block_label_below``, join the list too (0: no such rule).

    Chosen with ``python -m benchmarks.suspicious_thresholds`` on 20 synthetic classes
    with a prank (seeds 3-22, not the fine-tune benchmark's): 0.5% / 98% flag a mean of
    9.95 right labels per class (at most 17) where the issue's first 2% / 95% flagged 16.0
    (at most 27), and catch the same prank labels (at least 18 of 20, mean 19.6)."""

    label_below: float = 0.005
    other_above: float = 0.98
    block_min: int = 5
    block_label_below: float = 0.2


class NotADigit(ValueError):
    """A relabel to something that is not a digit 0-9."""


def new_id() -> str:
    """A random id for a teacher's session or a batch of changes (nothing personal)."""
    return uuid.uuid4().hex[:ID_LENGTH]


def as_digit(label) -> int:
    """The label as an int 0-9, or NotADigit (a bool, a float, a string are refused)."""
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
        raise NotADigit(f"A label is a digit 0-9, not {label!r}.")
    if not 0 <= int(label) <= 9:
        raise NotADigit(f"A label is a digit 0-9, not {int(label)}.")
    return int(label)


# --- what curation reads ----------------------------------------------------------------

@dataclass(frozen=True)
class Curation:
    """A class's drawings as the teacher curates them (those moderation left in), oldest
    first: the label in force (the teacher's, else the student's), the student's own, the
    model's answer and probabilities when it was drawn, and whether it is left out."""

    ids: np.ndarray
    images: np.ndarray  # (N, 28, 28) float32
    labels: np.ndarray  # in force
    original: np.ndarray  # what the student tapped
    predicted: np.ndarray
    probabilities: np.ndarray  # (N, 10)
    students: tuple
    excluded: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def relabelled(self) -> np.ndarray:
        return self.labels != self.original

    def confusion(self) -> np.ndarray:
        """Label in force (rows) vs. the model's answer (columns), excluded drawings
        left out."""
        matrix = np.zeros((10, 10), np.int64)
        keep = ~self.excluded
        np.add.at(matrix, (self.labels[keep], self.predicted[keep]), 1)
        return matrix

    def cell(self, label: int, answer: int) -> np.ndarray:
        """Indices of the drawings labelled ``label`` that the model read as ``answer``
        (the excluded too, to take back), the most confident answers first."""
        found = np.flatnonzero((self.labels == label) & (self.predicted == answer))
        return found[np.argsort(-self.probabilities[found, answer], kind="stable")]

    def of_student(self, student) -> np.ndarray:
        return np.array([i for i, s in enumerate(self.students) if s == student], np.int64)

    def index_of(self, sample_id: int) -> int | None:
        found = np.flatnonzero(self.ids == int(sample_id))
        return int(found[0]) if len(found) else None


_COLUMNS = (samples.c.id, samples.c.created, func.coalesce(samples.c.curated_label,
                                                           samples.c.label),
            samples.c.predicted, samples.c.probabilities, samples.c.model_input,
            samples.c.student, samples.c.label, samples.c.excluded)


def _rows(collection: ClassCollection, class_id, where=None) -> list:
    statement = ClassCollection._class_filter(select(*_COLUMNS), class_id)
    if where is not None:
        statement = statement.where(where)
    with collection._connection() as conn:
        return conn.execute(statement.order_by(samples.c.id)).all()


def _images(rows) -> np.ndarray:
    return np.array([np.frombuffer(r[5], np.float32).reshape(IMAGE_SIZE, IMAGE_SIZE)
                     for r in rows], np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)


def curation(collection: ClassCollection, class_id: int | None = ALL_SAMPLES) -> Curation:
    """The class's drawings to curate (ALL_SAMPLES: every class's), excluded ones too."""
    rows = _rows(collection, class_id)
    return Curation(
        ids=np.array([r[0] for r in rows], np.int64), images=_images(rows),
        labels=np.array([r[2] for r in rows], np.int64),
        original=np.array([r[7] for r in rows], np.int64),
        predicted=np.array([r[3] for r in rows], np.int64),
        probabilities=np.array([json.loads(r[4]) for r in rows],
                               np.float32).reshape(-1, 10),
        students=tuple(r[6] for r in rows),
        excluded=np.array([bool(r[8]) for r in rows], bool))


# --- the suspicious list ---------------------------------------------------------------

def flagged(labels: np.ndarray, probabilities: np.ndarray, students=(),
            config: CurationConfig = CurationConfig()) -> np.ndarray:
    """Which labels are suspicious (bool per drawing): the model gives the label under
    ``label_below`` and another digit over ``other_above``; and, for a student with
    ``block_min`` such drawings, also those the model reads as another digit while giving
    the label under ``block_label_below``."""
    labels = np.asarray(labels, np.int64)
    p = np.asarray(probabilities, np.float64).reshape(-1, 10)
    rows = np.arange(len(labels))
    given = p[rows, labels]
    others = p.copy()
    others[rows, labels] = -1.0
    strict = (given < config.label_below) & (others.max(axis=1) > config.other_above)
    if config.block_min <= 0 or len(students) != len(labels):
        return strict
    out = strict.copy()
    writers = np.array([("" if s is None else str(s)) for s in students], object)
    loose = (p.argmax(axis=1) != labels) & (given < config.block_label_below)
    for student in np.unique(writers[strict]):
        mine = writers == student
        if student and strict[mine].sum() >= config.block_min:
            out |= mine & loose
    return out


@dataclass(frozen=True)
class SuspiciousGroup:
    student: str | None  # the browser session (None: unknown)
    indices: np.ndarray  # into the Curation, the most unlikely label first


def suspicious(view: Curation, config: CurationConfig = CurationConfig()
               ) -> list[SuspiciousGroup]:
    """The drawings whose label the model cannot believe (not those left out already),
    grouped by student, the biggest group first: a prank shows as one student's block."""
    flags = flagged(view.labels, view.probabilities, view.students, config) & ~view.excluded
    groups: dict = {}
    for i in np.flatnonzero(flags):
        groups.setdefault(view.students[i], []).append(int(i))
    given = view.probabilities[np.arange(len(view)), view.labels] if len(view) else []
    out = [SuspiciousGroup(student, np.array(sorted(found, key=lambda i: given[i]), np.int64))
           for student, found in groups.items()]
    return sorted(out, key=lambda g: (-len(g.indices), int(g.indices[0])))


# --- what teaching and the export read --------------------------------------------------

@dataclass(frozen=True)
class LeftOut:
    """What of a class's drawings teaching leaves out, and why; ``as_of`` is when it was
    read (a fine-tune uses the state at its start), ``last_change`` the newest change
    then."""

    total: int = 0  # the class's samples, all of them
    hidden: int = 0  # the teacher hid the drawing (or it waits for approval)
    removed: int = 0  # the teacher removed its student from the class
    excluded: int = 0  # left out in curation
    relabelled: int = 0  # used, under the teacher's label
    as_of: str = ""
    last_change: int = 0

    @property
    def count(self) -> int:
        return self.hidden + self.removed + self.excluded

    def reasons(self) -> str:
        """"20 left out by the teacher, 3 hidden, 1 of a removed student" (or "")."""
        parts = [f"{self.excluded} left out by the teacher" if self.excluded else "",
                 f"{self.hidden} hidden on the wall" if self.hidden else "",
                 f"{self.removed} of removed students" if self.removed else ""]
        return ", ".join(p for p in parts if p)

    def sentence(self) -> str:
        """For the teacher: how many were left out and why, and the relabelled."""
        used = self.total - self.count
        text = f"{used} of the class's {self.total} drawings"
        if self.count:
            text += f" (left out: {self.reasons()})"
        if self.relabelled:
            text += f", {self.relabelled} of them under your label"
        return text

    def report(self) -> dict:
        """For a fine-tune's report (JSON)."""
        return {"curation": asdict(self)}

    @classmethod
    def from_report(cls, report: dict) -> "LeftOut | None":
        found = report.get("curation")
        if not isinstance(found, dict):
            return None
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in found.items() if k in known})


def _removed_student():
    s, cs = samples.c, class_students.c
    return exists().where(and_(cs.class_id == s.class_id, cs.student == s.student,
                               cs.removed == 1))


def left_out(collection: ClassCollection, class_id: int | None = ALL_SAMPLES) -> LeftOut:
    """How many of the class's drawings teaching leaves out, and why."""
    withheld, removed, s = withheld_sample(), _removed_student(), samples.c
    used = ~withheld & (s.excluded == 0)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    statement = ClassCollection._class_filter(select(
        func.count(), count(withheld & ~removed), count(removed),
        count(~withheld & (s.excluded != 0)),
        count(used & s.curated_label.is_not(None) & (s.curated_label != s.label))),
        class_id, moderated=False)
    with collection._connection() as conn:
        total, hidden, gone, excluded, relabelled = conn.execute(statement).one()
        last = conn.execute(select(func.max(curation_changes.c.id))).scalar()
    return LeftOut(int(total), int(hidden), int(gone), int(excluded), int(relabelled),
                   datetime.now(timezone.utc).isoformat(timespec="seconds"), int(last or 0))


def curated_samples(collection: ClassCollection, class_id: int | None = ALL_SAMPLES
                    ) -> tuple[Samples, LeftOut]:
    """The samples teaching and the export use: neither hidden (moderation) nor excluded,
    under the curated labels; and what was left out, and why."""
    report = left_out(collection, class_id)
    rows = _rows(collection, class_id, samples.c.excluded == 0)
    found = Samples(
        ids=np.array([r[0] for r in rows], np.int64), images=_images(rows),
        labels=np.array([r[2] for r in rows], np.int64),
        predicted=np.array([r[3] for r in rows], np.int64),
        probabilities=np.array([json.loads(r[4]) for r in rows],
                               np.float32).reshape(-1, 10),
        created=[r[1] for r in rows], students=tuple(r[6] for r in rows))
    return found, report


@dataclass(frozen=True)
class CuratedDigits(ClassDigits):
    """A class's digits as a fine-tune learns them, with what was left out (``report``:
    the LeftOut as of the moment they were read)."""

    report: dict = field(default_factory=dict)


def curated_digits(collection: ClassCollection, class_id: int | None = ALL_SAMPLES
                   ) -> CuratedDigits:
    """What "Teach the model our handwriting" learns from (read once, at the start)."""
    found, report = curated_samples(collection, class_id)
    return CuratedDigits(found.images, found.labels, found.students, report.report())


# --- changes -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What one action did: its batch (to undo), how many drawings changed, how many were
    already so, how many were no longer there (deleted meanwhile), and (an undo) how many
    were left as someone changed them since."""

    batch: str | None
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    kept: int = 0


@dataclass(frozen=True)
class Action:
    """One recorded action (a batch), for the history and the undo."""

    batch: str
    teacher: str
    at: float
    action: str
    scope: str
    drawings: int
    new_label: int | None  # the one label all got (None: several, or the students')
    undone: bool


def _ids(sample_ids) -> list[int]:
    return sorted({int(i) for i in np.atleast_1d(np.asarray(sample_ids, np.int64))})


def _locked_rows(conn, ids: list[int], now: float) -> list:
    """The drawings' current curation, their rows locked first: a change that happens at
    the same moment waits, then reads what this one wrote (the later one wins)."""
    s = samples.c
    if conn.dialect.name == "sqlite":  # a write first takes the database's write lock
        conn.execute(update(samples).where(s.id.in_(ids)).values(curated=now))
    return conn.execute(select(s.id, s.class_id, s.label, s.curated_label, s.excluded)
                        .where(s.id.in_(ids)).order_by(s.id).with_for_update()).all()


def _record(conn, sample_id: int, class_id, before: tuple, after: tuple, now: float, *,
            batch: str, teacher: str, action: str, scope: str) -> bool:
    """One drawing's (curated label, excluded) from ``before`` to ``after``, and the
    change's row in the log (recorded even when nothing changed: two teachers doing the
    same are both recorded). Whether the drawing changed."""
    changed = after != before
    if changed:
        conn.execute(update(samples).where(samples.c.id == sample_id).values(
            curated_label=after[0], excluded=after[1], curated=now))
    conn.execute(insert(curation_changes).values(
        batch=batch, sample_id=sample_id, class_id=class_id, teacher=teacher[:32], at=now,
        action=action, scope=scope[:200], old_label=before[0], new_label=after[0],
        old_excluded=before[1], new_excluded=after[1]))
    return changed


def _change(collection: ClassCollection, sample_ids, teacher: str, action: str,
            scope: str, new_values) -> Outcome:
    """Apply ``new_values(id, label, curated_label, excluded) -> (curated_label,
    excluded)``
    to each drawing that still exists, recording each (those already so too: two teachers
    doing the same are both recorded)."""
    ids = _ids(sample_ids)
    if not ids:
        return Outcome(None)
    batch, now, changed, unchanged = new_id(), time.time(), 0, 0
    with collection._connection(write=True) as conn:
        rows = _locked_rows(conn, ids, now)
        for sample_id, class_id, label, curated_label, excluded in rows:
            new_label, new_excluded = new_values(sample_id, label, curated_label, excluded)
            if new_label == label:
                new_label = None  # the student's own label again
            if _record(conn, sample_id, class_id, (curated_label, excluded),
                       (new_label, new_excluded), now, batch=batch, teacher=teacher,
                       action=action, scope=scope):
                changed += 1
            else:
                unchanged += 1
    return Outcome(batch if rows else None, changed, unchanged, len(ids) - len(rows))


def relabel(collection: ClassCollection, sample_ids, label, teacher: str,
            scope: str = "") -> Outcome:
    """File the drawings under ``label`` (a digit; anything else raises NotADigit)."""
    digit = as_digit(label)
    return _change(collection, sample_ids, teacher, RELABEL, scope or f"as {digit}",
                   lambda _id, _label, _curated, excluded: (digit, excluded))


def relabel_each(collection: ClassCollection, labels: dict, teacher: str,
                 scope: str = "") -> Outcome:
    """File each drawing (id -> digit) under its own label, as one action (one undo)."""
    digits = {int(i): as_digit(label) for i, label in labels.items()}
    return _change(collection, list(digits), teacher, RELABEL, scope or "each",
                   lambda sample_id, _label, _curated, excluded: (digits[sample_id],
                                                                  excluded))


def exclude(collection: ClassCollection, sample_ids, teacher: str, scope: str = "",
            excluded: bool = True) -> Outcome:
    """Leave the drawings out of teaching and the export (``excluded=False``: take them
    back in)."""
    flag = int(bool(excluded))
    return _change(collection, sample_ids, teacher, EXCLUDE if excluded else INCLUDE,
                   scope, lambda _id, _label, curated, _excluded: (curated, flag))


def undo(collection: ClassCollection, teacher: str, batch: str | None = None) -> Outcome:
    """Undo an action (``batch``, default: this teacher session's latest one not undone):
    each drawing goes back to what it was, unless someone changed it since (then it is
    kept as it is, and counted). The undo is recorded too."""
    c = curation_changes.c
    now, undo_batch = time.time(), new_id()
    with collection._connection(write=True) as conn:
        if batch is None:
            batch = conn.execute(
                select(c.batch).where((c.teacher == teacher) & c.undone_by.is_(None) &
                                      (c.action != UNDO))
                .order_by(c.id.desc()).limit(1)).scalar()
            if batch is None:
                return Outcome(None)
        changes = conn.execute(
            select(c.id, c.sample_id, c.old_label, c.new_label, c.old_excluded,
                   c.new_excluded).where((c.batch == batch) & c.undone_by.is_(None))
            .order_by(c.id)).all()
        if not changes:
            return Outcome(None)
        ids = sorted({r[1] for r in changes})
        current = {r[0]: r for r in _locked_rows(conn, ids, now)}
        changed = kept = unchanged = 0
        for _, sample_id, old_label, new_label, old_excluded, new_excluded in changes:
            row = current.get(sample_id)
            if row is None:
                continue
            if (row[3], row[4]) != (new_label, new_excluded):
                kept += 1  # changed since (by another teacher, or this one again)
                continue
            if _record(conn, sample_id, row[1], (new_label, new_excluded),
                       (old_label, old_excluded), now, batch=undo_batch, teacher=teacher,
                       action=UNDO, scope=batch):
                changed += 1
            else:
                unchanged += 1
            current[sample_id] = (row[0], row[1], row[2], old_label, old_excluded)
        conn.execute(update(curation_changes).where(c.batch == batch)
                     .values(undone_by=undo_batch))
    return Outcome(undo_batch, changed, unchanged, len(ids) - len(current), kept)


def history(collection: ClassCollection, class_id: int | None = ALL_SAMPLES,
            teacher: str | None = None, limit: int = 20) -> list[Action]:
    """The latest actions on the class's drawings (or one teacher session's), newest
    first."""
    c = curation_changes.c
    statement = select(c.batch, func.min(c.teacher), func.max(c.at), func.min(c.action),
                       func.min(c.scope), func.count(), func.max(c.new_label),
                       func.max(c.undone_by), func.min(c.new_label))
    if class_id is not ALL_SAMPLES:
        statement = statement.where(c.class_id.is_(None) if class_id == NO_CLASS
                                    else c.class_id == int(class_id))
    if teacher is not None:
        statement = statement.where(c.teacher == teacher)
    statement = statement.group_by(c.batch).order_by(func.max(c.id).desc()).limit(int(limit))
    with collection._connection() as conn:
        rows = conn.execute(statement).all()
    return [Action(r[0], r[1], float(r[2]), r[3], r[4], int(r[5]),
                   int(r[6]) if r[6] is not None and r[6] == r[8] else None,
                   r[7] is not None) for r in rows]


def changes_of(collection: ClassCollection, sample_id: int) -> list[dict]:
    """Every recorded change of one drawing, oldest first."""
    c = curation_changes.c
    with collection._connection() as conn:
        rows = conn.execute(select(c.id, c.batch, c.teacher, c.at, c.action, c.old_label,
                                   c.new_label, c.old_excluded, c.new_excluded, c.undone_by)
                            .where(c.sample_id == int(sample_id)).order_by(c.id)).all()
    return [dict(r._mapping) for r in rows]


def changes_since(collection: ClassCollection, change_id: int,
                  class_id: int | None = ALL_SAMPLES) -> int:
    """How many drawings were changed after the change ``change_id`` (0: none)."""
    c = curation_changes.c
    statement = select(func.count(func.distinct(c.sample_id))).where(c.id > int(change_id))
    if class_id is not ALL_SAMPLES:
        statement = statement.where(c.class_id.is_(None) if class_id == NO_CLASS
                                    else c.class_id == int(class_id))
    with storage.connection(collection.engine) as conn:
        return int(conn.execute(statement).scalar_one())
