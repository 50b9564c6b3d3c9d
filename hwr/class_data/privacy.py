"""Children's data, kept only as long as the school says: erasing one student
everywhere, a student deleting their own drawings, exporting one student's data, and
purging the classes whose retention ran out (issue 40).

A *student* is a browser session's random id (``class_students.student``), never a
nickname: two students may type the same one. Everything a student filed in a class is
in five tables: ``class_students`` (the id and the nickname), ``drawings`` (the wall),
``samples`` (the collected digits, with their PNG), ``round_entries`` and, naming their
samples, ``curation_changes``. A model version that learned from a student's samples is
their data too: ``model_versions.class_id`` and ``.students`` (migration 0005, written by
``record_taught``) say which class and students taught it; a version without them (made
before 0005, or not yet recorded) counts as taught by every class of its ``class_name``
that started before it was made, and by each of their students who had filed a sample
by then. Erasing or purging *deletes* those versions (no retraining); if one of them
answered, the active model falls back to the nearest version it came from that stays
(else the original), with a line in the log that names no student and a note for the
teacher (``model_fallback_note``). A version fine-tuned *from* a deleted one goes too:
its weights started from one that learned from the erased or expired drawings. This
never reaches another class's model, because a class's fine-tune starts from a model
taught by that same class or from the original (``start_for``), never from another
class's.

Each erasure, and each class a purge deletes, is one transaction (a database that stops
answering leaves a student or a class whole or gone), serialised with the others and
with ``record_taught`` (PostgreSQL: an advisory lock; SQLite: the write lock, taken
first). Afterwards the bytes are made to go: SQLite is vacuumed and its WAL checkpointed
and truncated, PostgreSQL's touched tables vacuumed; a flag in ``settings`` keeps this
due until it succeeded, so a crash in between is mended by the next purge. Unpacked
copies of deleted versions are removed from this server's model cache; other servers'
caches are swept by their own ``purge_if_due``.

Log lines here name classes by id and model versions by id, never a student or a
nickname.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import time
import uuid
import zipfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import (
    Engine,
    and_,
    delete,
    exists,
    func,
    insert,
    not_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from hwr.class_data import storage
from hwr.class_data.model_store import ORIGINAL, default_cache
from hwr.class_data.rounds import neutralise
from hwr.class_data.storage import (
    class_students,
    classes,
    curation_changes,
    drawings,
    model_versions,
    round_entries,
    rounds,
    samples,
    settings,
)
from hwr.translation import N_

LOG = logging.getLogger(__name__)

ACTIVE_KEY = "active_model"  # hwr.class_data.model_store.ACTIVE_KEY
PURGED_AT_KEY = "privacy:purged_at"  # the last purge's start ("<unix time> <random>")
NOTE_KEY = "privacy:model_note"  # JSON: why the active model fell back, for the teacher
COMPACT_KEY = "privacy:compact_due"  # deleted bytes may still be on disk
_LOCK_KEY = "privacy:lock"  # SQLite: a no-op update of it takes the write lock first
_ADVISORY_LOCK = 7_202_612  # PostgreSQL: one erasure, purge or record at a time
DAY = 86_400.0
VERSION_FOLDER = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")  # ModelStore.add's ids

ERASED, PURGED = "erased", "purged"
ERASED_NOTE = N_("A student's data was erased, and with it the class models that learned "
                 "from their drawings: the model that answers now is the one those "
                 "models were taught from.")
PURGED_NOTE = N_("A class's data was deleted because the time the school keeps it for "
                 "ran out, and with it the class models it taught: the model that "
                 "answers now is the one those models were taught from.")
_NOTES = {ERASED: ERASED_NOTE, PURGED: PURGED_NOTE}



# --- what the pages get -------------------------------------------------------------

@dataclass(frozen=True)
class StudentSummary:
    """One student of a class, as the teacher picks them for an erasure or an export."""

    student: str  # the browser session's random id (never shown)
    nicknames: tuple[str, ...]  # every nickname they posted under, the current first
    drawings: int  # what student_drawings shows
    entries: int  # round entries
    removed: bool  # the teacher removed them from the class


@dataclass(frozen=True)
class Erased:
    """What an erasure deleted."""

    drawings: int = 0  # wall drawings
    samples: int = 0
    entries: int = 0  # round entries
    curation_rows: int = 0
    model_versions: int = 0
    active_changed: bool = False  # the active model was one of them: it fell back
    students: int = 0  # the class_students row (0 or 1)


@dataclass(frozen=True)
class Purged:
    """What a purge deleted, over every class it purged."""

    classes: int = 0
    drawings: int = 0
    samples: int = 0
    entries: int = 0
    rounds: int = 0
    students: int = 0
    curation_rows: int = 0
    model_versions: int = 0
    active_changed: bool = False
    orphans: int = 0  # rows of classes that no longer exist (posted after their purge)
    class_ids: tuple[int, ...] = ()
    seconds: float = 0.0  # the whole purge
    compact_seconds: float = 0.0  # of which the VACUUM and checkpoint


# --- the schema of 0005 ---------------------------------------------------------------

def _ready(engine: Engine) -> None:
    """The database upgraded to the current schema, migration 0005 (who taught each model
    version) included; raises StorageUnavailable for a database away."""
    with storage.connection(engine):
        storage.upgrade(engine)


# --- small helpers ----------------------------------------------------------------------

def _unix(value, unreadable: float | None = None) -> float | None:
    """Unix time of a float or an ISO 8601 text (naive: UTC); ``unreadable`` else."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return unreadable
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _iso(unix: float | None) -> str:
    if unix is None:
        return ""
    return datetime.fromtimestamp(float(unix), timezone.utc).isoformat(timespec="seconds")


def _days(retention_days) -> int:
    if isinstance(retention_days, bool) or \
            not isinstance(retention_days, (int, np.integer)) or retention_days < 0:
        raise ValueError(f"retention_days is a whole number of days >= 0 or None, "
                         f"not {retention_days!r}")
    return int(retention_days)


def _student(student) -> str:
    if not isinstance(student, str) or not student:
        raise ValueError("a student is a browser session's id (a non-empty text)")
    return student


def _png(blob: bytes | None, floats: bool) -> bytes:
    """The 28x28 model input as a PNG (floats in [0, 1], or bytes 0-255)."""
    if not blob:
        return b""
    pixels = np.frombuffer(blob, np.float32 if floats else np.uint8)
    if floats:
        pixels = np.round(np.clip(pixels, 0, 1) * 255)
    side = int(round(len(pixels) ** 0.5))
    image = Image.fromarray(pixels.astype(np.uint8).reshape(side, side))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@contextmanager
def _serialised(engine: Engine):
    """One write transaction, after every erasure, purge or record_taught that started
    before it: PostgreSQL's advisory lock, SQLite's write lock (a no-op update first, so
    that everything read in it is read under the lock)."""
    with storage.connection(engine, write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
        else:
            conn.execute(update(settings).where(settings.c.key == _LOCK_KEY)
                         .values(value=settings.c.value))
        yield conn


def _put(conn, key: str, value: str) -> None:
    """Write a settings row inside a serialised transaction (no one else writes it)."""
    if not conn.execute(update(settings).where(settings.c.key == key)
                        .values(value=value)).rowcount:
        conn.execute(insert(settings).values(key=key, value=value))


# --- which model versions learned from whom ---------------------------------------------

@dataclass(frozen=True)
class _Version:
    id: str
    parent: str | None
    created: float  # unix; +inf when unreadable (then it counts as made after anything)
    class_name: str
    class_id: int | None
    students: frozenset | None  # None: unknown


def _versions(conn) -> dict[str, _Version]:
    v = model_versions.c
    found = {}
    for row in conn.execute(select(v.id, v.parent, v.created, v.class_name, v.class_id,
                                   v.students)).all():
        students = None
        if row[5] is not None:
            try:
                students = frozenset(str(s) for s in json.loads(row[5]) if s)
            except (TypeError, ValueError):
                students = None  # unreadable: unknown, judged as the older versions are
        found[row[0]] = _Version(row[0], row[1], _unix(row[2], float("inf")) or 0.0,
                                 row[3] or "", row[4], students)
    return found


def _taught_by_student(v: _Version, class_id: int, lesson, first_sample: float | None,
                       student: str) -> bool:
    """Did ``v`` learn from the student's samples in the class? ``lesson``: the class's
    (name, started) or None; ``first_sample``: when the student filed their first."""
    if v.students is not None:
        return student in v.students and v.class_id in (None, class_id)
    if first_sample is None or first_sample > v.created:
        return False
    if v.class_id is not None:
        return v.class_id == class_id
    return lesson is not None and v.class_name == lesson[0] and \
        (_unix(lesson[1], float("-inf")) or 0.0) <= v.created


def _taught_by_class(v: _Version, class_id: int, lesson, students: set) -> bool:
    """Did ``v`` learn from the class's samples? ``students``: who filed them."""
    if v.class_id is not None:
        return v.class_id == class_id
    if v.students is not None:  # taught with every class's digits: theirs among them?
        return bool(v.students & students)
    return v.class_name == lesson[0] and (_unix(lesson[1], float("-inf")) or 0.0) <= \
        v.created


def _with_descendants(versions: dict[str, _Version], doomed: set[str]) -> set[str]:
    """The doomed versions and every version fine-tuned from one of them."""
    children = defaultdict(list)
    for v in versions.values():
        children[v.parent].append(v.id)
    out, stack = set(doomed), list(doomed)
    while stack:
        for child in children[stack.pop()]:
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


def _delete_versions(conn, versions: dict[str, _Version], doomed: set[str],
                     reason: str) -> bool:
    """Delete the versions; if one answered, fall back to the nearest one it came from
    that stays (else the original), noted for the teacher. True if the active changed."""
    if not doomed:
        return False
    v, s = model_versions.c, settings.c
    conn.execute(delete(model_versions).where(v.id.in_(sorted(doomed))))
    active = conn.execute(select(s.value).where(s.key == ACTIVE_KEY)
                          .with_for_update()).scalar()
    if active not in doomed:
        return False
    fallback, seen = versions[active].parent, {active}
    while fallback in doomed and fallback not in seen:
        seen.add(fallback)
        fallback = versions[fallback].parent
    if fallback is None or fallback in doomed or fallback not in versions:
        fallback = ORIGINAL
    conn.execute(update(settings).where(s.key == ACTIVE_KEY).values(value=fallback))
    _put(conn, NOTE_KEY, json.dumps({"reason": reason, "at": time.time(),
                                     "from": active, "to": fallback}))
    LOG.warning("hwr: model version %s answered and was deleted with the %s data it "
                "learned from (%d version(s) deleted); the model that answers now is %s",
                active, "erased" if reason == ERASED else "expired", len(doomed), fallback)
    return True


def _forget_cached(cache_dir, version_ids) -> None:
    """Remove this server's unpacked copies of deleted versions."""
    cache = _cache(cache_dir)
    for version_id in version_ids:
        if version_id and version_id.replace("-", "").isalnum() and \
                not version_id.startswith("."):
            shutil.rmtree(cache / version_id, ignore_errors=True)


def _cache(cache_dir) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    return default_cache()


def sweep_model_cache(engine: Engine, cache_dir=None) -> int:
    """Remove this server's unpacked copies of versions deleted from the database (by
    another server's erasure or purge); how many. ``purge_if_due`` calls it."""
    cache = _cache(cache_dir)
    try:  # listed before the ids are read: a version unpacked meanwhile is in both
        folders = [p for p in cache.iterdir() if p.is_dir() and
                   VERSION_FOLDER.fullmatch(p.name)]
    except OSError:
        return 0
    if not folders:
        return 0
    with storage.connection(engine) as conn:
        kept = set(conn.execute(select(model_versions.c.id)).scalars())
    gone = [p for p in folders if p.name not in kept]
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return len(gone)


# --- making the bytes go ----------------------------------------------------------------

COMPACT_WAIT_SECONDS = 60.0  # SQLite: how long the WAL's truncation waits for readers
_TOUCHED = ("samples", "drawings", "round_entries", "rounds", "class_students",
            "curation_changes", "model_versions", "classes", "settings")


def _compact(engine: Engine) -> float:
    """After a deletion: SQLite VACUUM, then its WAL checkpointed and truncated;
    PostgreSQL's touched tables vacuumed. Its seconds; the flag cleared once done (on
    SQLite that one small write is all the WAL holds afterwards)."""
    started = time.perf_counter()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("VACUUM")
                give_up = time.monotonic() + COMPACT_WAIT_SECONDS
                while True:  # a reader in the middle of its read: wait for it (its busy
                    # timeout each time), then try again, for a while
                    row = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
                    if not row[0]:  # busy: 0 once done
                        break
                    if time.monotonic() > give_up:
                        raise TimeoutError("the WAL stayed in use")
                    time.sleep(0.05)
            else:
                for name in _TOUCHED:
                    conn.exec_driver_sql(f"VACUUM {name}")
            conn.execute(delete(settings).where(settings.c.key == COMPACT_KEY))
    except Exception as e:  # noqa: BLE001 - the flag stays: the next purge compacts
        LOG.warning("hwr: the class database could not be compacted after a deletion "
                    "(%s); the next purge tries again", type(e).__name__)
    return time.perf_counter() - started


def _compact_due(engine: Engine) -> bool:
    with storage.connection(engine) as conn:
        return conn.execute(select(settings.c.value)
                            .where(settings.c.key == COMPACT_KEY)).scalar() is not None


# --- one student ------------------------------------------------------------------------

def _mine(table_, class_id: int, student: str):
    return (table_.c.class_id == int(class_id)) & (table_.c.student == student)


def students_of(engine: Engine, class_id: int) -> list[StudentSummary]:
    """Every student with any row in the class (the students table, samples, wall
    drawings, round entries), by nickname."""
    _ready(engine)
    cid = int(class_id)
    cs, d, s, e = class_students.c, drawings.c, samples.c, round_entries.c
    with storage.connection(engine) as conn:
        joined = conn.execute(select(cs.student, cs.nickname, cs.removed)
                              .where(cs.class_id == cid).order_by(cs.id)).all()
        walls = conn.execute(select(d.student, d.nickname, func.count(),
                                    func.max(d.updated))
                             .where(d.class_id == cid)
                             .group_by(d.student, d.nickname)).all()
        loose = conn.execute(select(s.student, func.count())
                             .where((s.class_id == cid) & s.student.is_not(None) &
                                    not_(_on_the_wall()))
                             .group_by(s.student)).all()
        entries = conn.execute(select(e.student, e.nickname, func.count(),
                                      func.max(e.submitted))
                               .where(e.class_id == cid)
                               .group_by(e.student, e.nickname)).all()
    names: dict[str, list[tuple[float, str]]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    removed: dict[str, bool] = {}
    for student, nickname, gone in joined:
        removed[student] = bool(gone)
        names[student].append((float("inf"), nickname))  # the current one first
    for student, nickname, n, last in walls:
        counts[student][0] += n
        names[student].append((last or 0.0, nickname))
    for student, n in loose:
        counts[student][0] += n
    for student, nickname, n, last in entries:
        counts[student][1] += n
        names[student].append((last or 0.0, nickname))
    found = []
    for student in set(removed) | set(counts) | set(names):
        ordered = []
        for _, nickname in sorted(names[student], key=lambda p: -p[0]):
            if nickname and nickname not in ordered:
                ordered.append(nickname)
        found.append(StudentSummary(student, tuple(ordered), counts[student][0],
                                    counts[student][1], removed.get(student, False)))
    return sorted(found, key=lambda x: ((x.nicknames or ("",))[0].casefold(), x.student))


def _on_the_wall():
    """SQL: the sample is one of its class's wall drawings."""
    s, d = samples.c, drawings.c
    return exists().where(and_(d.class_id == s.class_id, d.student == s.student,
                               d.drawing == s.drawing))


def student_drawings(engine: Engine, class_id: int,
                     student: str) -> list[tuple[int, bytes]]:
    """(id, PNG) of each of the student's drawings in the class, the oldest first: their
    wall drawings (the wall row's id; the PNG their sample keeps, if any, else the
    28x28 model input), then their samples that are on no wall (the sample's id). The
    ids of the two kinds may coincide: they are for showing, not for keys."""
    _ready(engine)
    student = _student(student)
    d, s = drawings.c, samples.c
    with storage.connection(engine) as conn:
        walls = conn.execute(
            select(d.id, d.model_input,
                   select(s.drawing_png).where((s.class_id == d.class_id) &
                                               (s.student == d.student) &
                                               (s.drawing == d.drawing) &
                                               s.drawing_png.is_not(None))
                   .order_by(s.id.desc()).limit(1).scalar_subquery())
            .where(_mine(drawings, class_id, student))
            .order_by(d.created, d.id)).all()
        loose = conn.execute(select(s.id, s.drawing_png, s.model_input)
                             .where(_mine(samples, class_id, student) &
                                    not_(_on_the_wall())).order_by(s.id)).all()
    return [(int(i), png or _png(blob, floats=False)) for i, blob, png in walls] + \
        [(int(i), png or _png(blob, floats=True)) for i, png, blob in loose]


def erase_student(engine: Engine, class_id: int, student: str,
                  cache_dir=None) -> Erased:
    """Delete every row of the student in the class, in one transaction: their wall
    drawings, samples (PNG and model input with them), round entries, their students
    row and the curation changes that name their samples; and the model versions that
    learned from any of their samples, the active model falling back. Then the bytes are
    made to go (VACUUM / checkpoint) and this server's unpacked copies of those versions
    removed."""
    _ready(engine)
    student, cid = _student(student), int(class_id)
    s, cc, c = samples.c, curation_changes.c, classes.c
    mine = _mine(samples, cid, student)
    with _serialised(engine) as conn:
        lesson = conn.execute(select(c.name, c.started).where(c.id == cid)).first()
        first = conn.execute(select(func.min(s.created)).where(mine)).scalar()
        first_sample = None if first is None else _unix(first, float("-inf"))
        versions = _versions(conn)
        doomed = _with_descendants(versions, {
            v.id for v in versions.values()
            if _taught_by_student(v, cid, lesson, first_sample, student)})
        _put(conn, COMPACT_KEY, "1")
        counts = dict(
            curation_rows=conn.execute(delete(curation_changes).where(
                cc.sample_id.in_(select(s.id).where(mine)))).rowcount,
            samples=conn.execute(delete(samples).where(mine)).rowcount,
            drawings=conn.execute(delete(drawings).where(
                _mine(drawings, cid, student))).rowcount,
            entries=conn.execute(delete(round_entries).where(
                _mine(round_entries, cid, student))).rowcount,
            students=conn.execute(delete(class_students).where(
                _mine(class_students, cid, student))).rowcount,
            model_versions=len(doomed))
        changed = _delete_versions(conn, versions, doomed, ERASED)
    erased = Erased(active_changed=changed, **counts)
    _forget_cached(cache_dir, doomed)
    _compact(engine)
    LOG.info("hwr: a student's data was erased from class %d: %d wall drawings, %d "
             "samples, %d round entries, %d curation changes, %d model versions", cid,
             erased.drawings, erased.samples, erased.entries, erased.curation_rows,
             erased.model_versions)
    return erased


def delete_my_drawings(engine: Engine, class_id: int, student: str,
                       cache_dir=None) -> Erased:
    """The student's own "Delete my drawings": everything their session filed in the
    class, deleted as ``erase_student`` does (it is that erasure)."""
    return erase_student(engine, class_id, student, cache_dir)


# --- an access request ------------------------------------------------------------------

README = """\
What hwr keeps of one student in one class, exported for an access request.

hwr knows the student by a random id of their browser session (not in these files)
and by the nickname(s) they typed. Times are in UTC.

student.csv        the student's row: nickname, when they first posted, whether the
                   teacher removed them from the class
samples.csv        the digits they filed for the class to learn from: id, when, the
                   label they gave, the teacher's label if the teacher changed it,
                   what the model read, whether the teacher left it out of teaching,
                   and the picture (png)
drawings/<id>.png  the picture of each sample (by its id in samples.csv)
answers.csv        their drawings on the class wall: id, nickname, what the model read,
                   how sure it was (0-1), whether it said "no digit", the label they
                   gave, when, and the picture (png)
answers/<id>.png   the picture of each wall drawing (28 x 28, as the model saw it)
round_entries.csv  their entries in the class's rounds: the round's number in the
                   class, the digit asked for (or meant), what the model read, whether
                   it read it right, seconds from the round's start, when, the
                   nickname, and the picture (png)
round_entries/<id>.png  the picture of each round entry (28 x 28)

Not in these files: the class models that learned from these drawings (each also keeps
the 28 x 28 pictures it was checked on); erasing the student deletes them.
"""


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def export_student(engine: Engine, class_id: int, student: str) -> bytes:
    """A zip of everything the class keeps of the student (README.txt says what each
    file is); no other student's data."""
    _ready(engine)
    student, cid = _student(student), int(class_id)
    s, d, e, r, cs = samples.c, drawings.c, round_entries.c, rounds.c, class_students.c
    with storage.connection(engine) as conn:
        me = conn.execute(select(cs.nickname, cs.joined, cs.removed)
                          .where(_mine(class_students, cid, student))).all()
        filed = conn.execute(select(s.id, s.created, s.label, s.curated_label, s.predicted,
                                    s.excluded, s.drawing_png, s.model_input)
                             .where(_mine(samples, cid, student)).order_by(s.id)).all()
        walls = conn.execute(select(d.id, d.nickname, d.predicted, d.confidence,
                                    d.not_a_digit, d.label, d.created, d.model_input)
                             .where(_mine(drawings, cid, student))
                             .order_by(d.created, d.id)).all()
        numbers = {rid: n for n, rid in enumerate(conn.execute(
            select(r.id).where(r.class_id == cid).order_by(r.id)).scalars(), 1)}
        entries = conn.execute(select(e.id, e.round_id, e.prompt, e.answer, e.not_a_digit,
                                      e.correct, e.seconds, e.submitted, e.nickname,
                                      e.model_input)
                               .where(_mine(round_entries, cid, student))
                               .order_by(e.submitted, e.id)).all()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        archive.writestr("student.csv", _csv(
            ["nickname", "joined", "removed"],
            [(nickname, _iso(joined), "yes" if gone else "no")
             for nickname, joined, gone in me]))
        archive.writestr("samples.csv", _csv(
            ["id", "created", "label", "curated_label", "predicted", "excluded", "png"],
            [(i, created, label, "" if curated is None else curated, predicted,
              "yes" if excluded else "no", f"drawings/{i}.png")
             for i, created, label, curated, predicted, excluded, _, _ in filed]))
        for i, *_, png, blob in filed:
            archive.writestr(f"drawings/{i}.png", png or _png(blob, floats=True))
        archive.writestr("answers.csv", _csv(
            ["id", "nickname", "predicted", "confidence", "not_a_digit", "label",
             "created", "png"],
            [(i, nickname, predicted, f"{confidence:.3f}", "yes" if nad else "no",
              "" if label is None else label, _iso(created), f"answers/{i}.png")
             for i, nickname, predicted, confidence, nad, label, created, _ in walls]))
        for i, *_, blob in walls:
            archive.writestr(f"answers/{i}.png", _png(blob, floats=False))
        archive.writestr("round_entries.csv", _csv(
            ["round", "prompt", "answer", "correct", "seconds", "submitted", "nickname",
             "png"],
            [(numbers.get(round_id, ""), prompt, "?" if nad else answer,
              "yes" if correct else "no", f"{seconds:.1f}", _iso(submitted), nickname,
              f"round_entries/{i}.png")
             for i, round_id, prompt, answer, nad, correct, seconds, submitted, nickname, _
             in entries]))
        for i, *_, blob in entries:
            archive.writestr(f"round_entries/{i}.png", _png(blob, floats=False))
    return out.getvalue()


# --- the models a fine-tune made --------------------------------------------------------

def record_taught(engine: Engine, version_id: str, class_id: int | None, students,
                  read_at: float | str | None = None) -> bool:
    """Note which class (None: every class's digits) and students (session ids, one per
    digit is fine; None: unknown) a new model version learned from: the fine-tune calls
    it right after storing the version. If one of the students was erased meanwhile
    (``still_present`` False) the version is deleted here, in the same transaction, and
    False returned: the fine-tune then tells the teacher its model was discarded."""
    _ready(engine)
    listed = None if students is None else sorted({str(s) for s in students if s})
    v = model_versions.c
    with _serialised(engine) as conn:
        conn.execute(update(model_versions).where(v.id == version_id).values(
            class_id=None if class_id is None else int(class_id),
            students=None if listed is None else json.dumps(listed)))
        if listed is None or _present(conn, class_id, listed, read_at):
            return True
        versions = _versions(conn)
        doomed = _with_descendants(versions, {version_id} & set(versions))
        _put(conn, COMPACT_KEY, "1")
        _delete_versions(conn, versions, doomed, ERASED)
    LOG.info("hwr: model version %s was discarded: a student it learned from was erased "
             "while it was being taught", version_id)
    return False


def may_start_from(engine: Engine, version_id: str, class_id: int | None) -> bool:
    """Whether a fine-tune of this class (None: every class's digits) may start from
    this version: the original, or a version taught by this same class (as
    ``record_taught`` noted). Starting from another class's model would carry that
    class's drawings into this one's, out of reach of their erasure and purge."""
    if version_id == ORIGINAL:
        return True
    _ready(engine)
    v = model_versions.c
    with storage.connection(engine) as conn:
        row = conn.execute(select(v.class_id, v.students)
                           .where(v.id == version_id)).first()
    return row is not None and row.students is not None and row.class_id == class_id


def _present(conn, class_id: int | None, students: list[str], read_at) -> bool:
    s = samples.c
    where = s.student.in_(students)
    if class_id is not None:
        where &= s.class_id == int(class_id)
    first = dict(conn.execute(select(s.student, func.min(s.created)).where(where)
                              .group_by(s.student)).all())
    limit = None if read_at is None else _unix(read_at, None)
    for student in students:
        if student not in first:
            return False
        if limit is not None and (_unix(first[student], float("-inf")) or 0.0) > limit:
            return False  # erased, then drew again: not the drawings it learned from
    return True


def still_present(engine: Engine, class_id: int | None, students,
                  read_at: float | str | None = None) -> bool:
    """False if any of the students (session ids) has no sample left in the class (None:
    in any class), i.e. was erased after the fine-tune read their digits; with
    ``read_at`` (when it read them), also if their first sample now is newer than that
    (erased, then drew again)."""
    _ready(engine)
    listed = sorted({str(x) for x in students if x})
    if not listed:
        return True
    with storage.connection(engine) as conn:
        return _present(conn, class_id, listed, read_at)


def discard_version(engine: Engine, version_id: str, cache_dir=None) -> bool:
    """Delete one model version (the active model falling back if it was the one): a
    fine-tune whose students were erased meanwhile. False if it was gone already."""
    _ready(engine)
    with _serialised(engine) as conn:
        versions = _versions(conn)
        if version_id not in versions:
            return False
        doomed = _with_descendants(versions, {version_id})
        _put(conn, COMPACT_KEY, "1")
        _delete_versions(conn, versions, doomed, ERASED)
    _forget_cached(cache_dir, doomed)
    _compact(engine)
    return True


def model_fallback_note(engine: Engine) -> str | None:
    """The note for the teacher after the active model fell back because the versions
    it came from were deleted with erased or expired data (an English msgid: the page
    shows ``_(note)``); None when there is none (or it was dismissed)."""
    _ready(engine)
    with storage.connection(engine) as conn:
        raw = conn.execute(select(settings.c.value)
                           .where(settings.c.key == NOTE_KEY)).scalar()
    if raw is None:
        return None
    try:
        return _NOTES.get(json.loads(raw).get("reason"), PURGED_NOTE)
    except (TypeError, ValueError, AttributeError):
        return PURGED_NOTE


def dismiss_model_fallback_note(engine: Engine) -> None:
    """The teacher read the note: no server shows it again (until the next fallback)."""
    with storage.connection(engine, write=True) as conn:
        conn.execute(delete(settings).where(settings.c.key == NOTE_KEY))


# --- retention --------------------------------------------------------------------------

def deletion_time(ended: float | str | None, retention_days: int | None) -> float | None:
    """When a class's data will be deleted (unix time): ``retention_days`` after it
    ended; None while it runs (``ended`` None) or when it is kept for ever (None).
    ``ended``: unix time, or the ISO text of ``classes.ended`` (unreadable: long ago)."""
    if ended is None or retention_days is None:
        return None
    return _unix(ended, 0.0) + _days(retention_days) * DAY


def purge_expired(engine: Engine, retention_days: int | None, now: float | None = None,
                  cache_dir=None) -> Purged:
    """Delete every class that ended ``retention_days`` days ago or more (0: every ended
    class) with all its data, each class in its own transaction: drawings, samples,
    round entries, rounds, students, curation changes, its projector key and closed
    results, the model versions it taught (the active model falling back) and its row.
    The running class is never touched; None deletes nothing. The digits saved while no
    class ran go ``retention_days`` after they were saved. Then rows left of classes
    that no longer exist (posted from a page still open when their class went) and
    curation changes of samples deleted earlier go too, and the bytes are compacted.
    A database that stops answering raises StorageUnavailable: the classes purged so far
    are gone, the others whole, for the next run."""
    if retention_days is None:
        return Purged()
    days = _days(retention_days)
    _ready(engine)
    started = time.perf_counter()
    now = time.time() if now is None else float(now)
    c = classes.c
    with storage.connection(engine) as conn:
        ended = conn.execute(select(c.id, c.ended).where(c.ended.is_not(None))
                             .order_by(c.id)).all()
    totals: dict[str, int] = defaultdict(int)
    purged, deleted_versions, changed = [], set(), False
    for class_id, when in ended:
        if deletion_time(when, days) > now:
            continue
        done = _purge_class(engine, int(class_id), days, now)
        if done is None:  # reopened meanwhile
            continue
        counts, versions, active_changed = done
        for name, n in counts.items():
            totals[name] += n
        purged.append(int(class_id))
        deleted_versions |= versions
        changed |= active_changed
        _forget_cached(cache_dir, versions)
    classless = _purge_classless(engine, days, now)
    for name, n in classless.items():
        totals[name] += n
    orphans = _purge_orphans(engine)
    compact_seconds = _compact(engine) if purged or orphans or any(classless.values()) \
        or _compact_due(engine) else 0.0
    result = Purged(classes=len(purged), model_versions=len(deleted_versions),
                    active_changed=changed, orphans=orphans, class_ids=tuple(purged),
                    seconds=time.perf_counter() - started,
                    compact_seconds=compact_seconds, **totals)
    if purged or orphans:
        LOG.info("hwr: purged %d class(es) that ended %d or more days ago (ids %s): %d "
                 "wall drawings, %d samples, %d round entries, %d model versions; %d "
                 "rows of classes already gone; %.1f s", len(purged), days,
                 ",".join(map(str, purged)) or "-", result.drawings, result.samples,
                 result.entries, result.model_versions, orphans, result.seconds)
    return result


def _purge_classless(engine: Engine, days: int, now: float) -> dict[str, int]:
    """The digits saved while no class ran (and their curation changes) go once they are
    ``days`` days old: they have no class whose end starts the count. One transaction."""
    s, cc = samples.c, curation_changes.c
    old = s.class_id.is_(None) & (s.created < _iso(now - days * DAY))
    with _serialised(engine) as conn:
        curation_rows = conn.execute(delete(curation_changes).where(
            cc.sample_id.in_(select(s.id).where(old)))).rowcount
        gone = conn.execute(delete(samples).where(old)).rowcount
        if gone:
            _put(conn, COMPACT_KEY, "1")
    if gone:
        LOG.info("hwr: purged %d digit(s) saved while no class ran, %d or more days ago",
                 gone, days)
    return {"samples": gone, "curation_rows": curation_rows}


def _purge_class(engine: Engine, class_id: int, days: int, now: float):
    """One class gone whole, in one transaction: (counts, deleted version ids, whether
    the active model changed); None if it runs again or is gone already."""
    c, s, cc, st = classes.c, samples.c, curation_changes.c, settings.c
    with _serialised(engine) as conn:
        lesson = conn.execute(select(c.name, c.started, c.ended).where(c.id == class_id)
                              .with_for_update()).first()
        if lesson is None or lesson[2] is None or deletion_time(lesson[2], days) > now:
            return None
        taught_by = set(conn.execute(select(s.student).distinct().where(
            (s.class_id == class_id) & s.student.is_not(None))).scalars())
        versions = _versions(conn)
        doomed = _with_descendants(versions, {
            v.id for v in versions.values()
            if _taught_by_class(v, class_id, lesson, taught_by)})
        _put(conn, COMPACT_KEY, "1")
        counts = dict(
            curation_rows=conn.execute(delete(curation_changes).where(
                (cc.class_id == class_id) |
                cc.sample_id.in_(select(s.id).where(s.class_id == class_id)))).rowcount,
            samples=conn.execute(delete(samples).where(s.class_id == class_id)).rowcount,
            drawings=conn.execute(delete(drawings).where(
                drawings.c.class_id == class_id)).rowcount,
            entries=conn.execute(delete(round_entries).where(
                round_entries.c.class_id == class_id)).rowcount,
            rounds=conn.execute(delete(rounds).where(
                rounds.c.class_id == class_id)).rowcount,
            students=conn.execute(delete(class_students).where(
                class_students.c.class_id == class_id)).rowcount)
        conn.execute(delete(settings).where(st.key.in_(
            [f"projector:{class_id}", f"results_closed:{class_id}"])))
        changed = _delete_versions(conn, versions, doomed, PURGED)
        conn.execute(delete(classes).where(c.id == class_id))
    return counts, doomed, changed


def _purge_orphans(engine: Engine) -> int:
    """Rows naming a class that no longer exists (posted from a page still open when
    their class went), and curation changes of samples that no longer exist; how many.
    Looked for first without a lock (the class_id indexes), deleted only if found."""
    c, cc = classes.c, curation_changes.c
    kinds = (samples, drawings, round_entries, rounds, class_students, curation_changes)
    with storage.connection(engine) as conn:
        known = set(conn.execute(select(c.id)).scalars())
        gone = set()
        for t in kinds:
            gone |= set(conn.execute(select(t.c.class_id).distinct()
                                     .where(t.c.class_id.is_not(None))).scalars()) - known
        stray = conn.execute(select(cc.id).where(
            not_(exists().where(samples.c.id == cc.sample_id))).limit(1)).first()
    if not gone and stray is None:
        return 0
    gone_ids = sorted(int(i) for i in gone)
    n = 0
    with _serialised(engine) as conn:
        _put(conn, COMPACT_KEY, "1")
        n += conn.execute(delete(curation_changes).where(
            not_(exists().where(samples.c.id == cc.sample_id)))).rowcount
        if gone_ids:
            for t in kinds:
                n += conn.execute(delete(t).where(
                    t.c.class_id.in_(gone_ids) &
                    not_(exists().where(c.id == t.c.class_id)))).rowcount
    return n


def _claim(engine: Engine, now: float, every_seconds: float):
    """Take this hour's purge (a compare-and-set on one settings row): (what it said
    before, what this server wrote), or None if another server's purge is recent."""
    s = settings.c
    mine = f"{now!r} {uuid.uuid4().hex[:8]}"
    with storage.connection(engine, write=True) as conn:
        last = conn.execute(select(s.value).where(s.key == PURGED_AT_KEY)).scalar()
        if last is not None:
            try:
                when = float(last.split()[0])
            except (ValueError, IndexError):
                when = float("-inf")
            if abs(now - when) < every_seconds:
                return None
            if not conn.execute(update(settings).where((s.key == PURGED_AT_KEY) &
                                                       (s.value == last))
                                .values(value=mine)).rowcount:
                return None
            return last, mine
    try:
        with storage.connection(engine, write=True) as conn:
            conn.execute(insert(settings).values(key=PURGED_AT_KEY, value=mine))
    except IntegrityError:  # another server's first purge
        return None
    return None, mine


def _unclaim(engine: Engine, claim) -> None:
    """A purge that failed: the next server (or call) may try again at once."""
    last, mine = claim
    s = settings.c
    this = (s.key == PURGED_AT_KEY) & (s.value == mine)
    try:
        with storage.connection(engine, write=True) as conn:
            if last is None:
                conn.execute(delete(settings).where(this))
            else:
                conn.execute(update(settings).where(this).values(value=last))
    except Exception:  # noqa: BLE001 - the database is away: retried within the hour
        pass


def purge_if_due(engine: Engine, retention_days: int | None, every_seconds: float = 3600,
                 now: float | None = None, cache_dir=None) -> Purged | None:
    """``purge_expired`` unless some server (this one included) started one less than
    ``every_seconds`` ago: decided in the database, so that several app servers on one
    database purge once and two at the same moment purge once. None when another's is
    recent. Either way this server's model cache loses the versions deleted elsewhere.
    A failed purge (StorageUnavailable) gives its turn back and raises."""
    _ready(engine)
    now = time.time() if now is None else float(now)
    try:
        sweep_model_cache(engine, cache_dir)
    except OSError:
        pass
    claim = _claim(engine, now, float(every_seconds))
    if claim is None:
        return None
    try:
        return purge_expired(engine, retention_days, now, cache_dir)
    except BaseException:
        _unclaim(engine, claim)
        raise


def as_dict(result: Erased | Purged) -> dict:
    """An Erased or Purged as a dict (for JSON)."""
    return {f.name: getattr(result, f.name) for f in fields(result)}
