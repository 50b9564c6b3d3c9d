"""The class's own state: classes, the live wall's drawings and the collected digits.

One SQLite file holds it all. A *class* is a lesson the teacher starts and ends
("7B, 25 Nov"); while one runs, every drawing a student makes is posted to its *wall*
(the latest state of each drawing, with the model's answer and, once the student says,
the right label), and each confirmed or corrected digit becomes a *sample* of that
class's collection. Each sample keeps the 28x28 model input, the drawing as PNG, the
label and what the model predicted. SQLite in WAL mode with a busy timeout lets 30
sessions write at once without losing a sample; every write is one transaction on its
own connection, so no connection is shared between threads.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
import time
import zipfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from hwr.data import FILES, IMAGE_SIZE

DB_ENV = "HWR_CLASS_DB"
MAX_DRAWINGS_ENV = "HWR_CLASS_MAX_DRAWINGS"
DEFAULT_DB = Path.home() / ".hwr" / "class_digits.sqlite3"
DEFAULT_MAX_DRAWINGS = 5_000  # per class, on its wall
ALL_SAMPLES = None  # samples(class_id=ALL_SAMPLES): every class's, and those of none
NO_CLASS = 0  # samples(class_id=NO_CLASS): collected while no class ran
SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 9),
    probabilities TEXT NOT NULL,
    model_input BLOB NOT NULL,
    drawing_png BLOB
);
CREATE TABLE IF NOT EXISTS classes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT
);
CREATE TABLE IF NOT EXISTS drawings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    class_id INTEGER NOT NULL REFERENCES classes (id),
    student TEXT NOT NULL,
    drawing INTEGER NOT NULL,
    nickname TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    predicted INTEGER NOT NULL,
    not_a_digit INTEGER NOT NULL DEFAULT 0,
    confidence REAL NOT NULL,
    label INTEGER,
    model_input BLOB NOT NULL,
    UNIQUE (class_id, student, drawing)
);
CREATE INDEX IF NOT EXISTS drawings_by_class ON drawings (class_id, created);
"""


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
class WallDrawing:
    """One student's drawing on the class wall, as it stands now."""

    student: str
    drawing: int  # the number of the drawing on that student's canvas
    nickname: str
    created: float
    predicted: int
    not_a_digit: bool
    confidence: float
    label: int | None
    image: np.ndarray  # (28, 28) uint8


@dataclass(frozen=True)
class WallStats:
    drawings: int
    students_active: int  # students who drew in the last few minutes
    labelled: int
    accuracy: float | None  # on the drawings whose students said what they are
    confusion: tuple[int, int, int] | None  # (true, read as, count), the most common


class ClassFullError(RuntimeError):
    """The class holds its maximum number of drawings."""


def max_drawings() -> int:
    try:
        return max(1, int(os.environ.get(MAX_DRAWINGS_ENV, DEFAULT_MAX_DRAWINGS)))
    except ValueError:
        return DEFAULT_MAX_DRAWINGS


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


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV, DEFAULT_DB))


def png_bytes(image: np.ndarray | Image.Image) -> bytes:
    if not isinstance(image, Image.Image):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


class ClassCollection:
    """A SQLite file of labelled digits; created on first use."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(samples)")}
            if "class_id" not in columns:  # a collection written before classes existed
                conn.execute("ALTER TABLE samples ADD COLUMN class_id INTEGER")
            if "student" not in columns:  # ... or before it knew who wrote what
                conn.execute("ALTER TABLE samples ADD COLUMN student TEXT")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30.0)

    def add(self, model_input: np.ndarray, label: int, probabilities: np.ndarray,
            drawing: np.ndarray | Image.Image | None = None,
            class_id: int | None = None, student: str | None = None) -> int:
        """Store one confirmed sample (of the class ``class_id``, if one runs, and by the
        browser session ``student``, so a fine-tune can hold out whole students); its id."""
        image = np.asarray(model_input, np.float32)
        if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"model_input must be 28x28, got {image.shape}")
        probs = np.asarray(probabilities, np.float64).reshape(10)
        row = (
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
            int(label),
            int(probs.argmax()),
            json.dumps([round(float(p), 6) for p in probs]),
            np.clip(image, 0, 1).astype(np.float32).tobytes(),
            png_bytes(drawing) if drawing is not None else None,
            class_id,
            student,
        )
        with closing(self._connect()) as conn, conn:
            cursor = conn.execute(
                "INSERT INTO samples (created, label, predicted, probabilities, model_input,"
                " drawing_png, class_id, student) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid)

    @staticmethod
    def _class_filter(class_id: int | None) -> tuple[str, tuple]:
        if class_id is ALL_SAMPLES:
            return "", ()
        if class_id == NO_CLASS:
            return " WHERE class_id IS NULL", ()
        return " WHERE class_id = ?", (int(class_id),)

    def count(self, class_id: int | None = ALL_SAMPLES) -> int:
        where, args = self._class_filter(class_id)
        with closing(self._connect()) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM samples{where}", args).fetchone()[0])

    def samples(self, class_id: int | None = ALL_SAMPLES) -> Samples:
        """The collected digits: all of them, one class's, or (NO_CLASS) those collected
        while no class ran."""
        where, args = self._class_filter(class_id)
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT id, created, label, predicted, probabilities, "
                                f"model_input, student FROM samples{where} ORDER BY id",
                                args).fetchall()
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
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT drawing_png FROM samples WHERE id = ?",
                               (sample_id,)).fetchone()
        return row[0] if row else None

    def delete_all(self, class_id: int | None = ALL_SAMPLES) -> int:
        """Delete the collected digits (all, or one class's); returns how many."""
        where, args = self._class_filter(class_id)
        with closing(self._connect()) as conn, conn:
            return conn.execute(f"DELETE FROM samples{where}", args).rowcount

    # --- classes ------------------------------------------------------------------

    def start_class(self, name: str) -> Lesson:
        """Start a class (ending the one that runs, if any)."""
        now, name = _now(), name.strip()[:80] or "Class"
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE classes SET ended = ? WHERE ended IS NULL", (now,))
            cursor = conn.execute("INSERT INTO classes (name, started) VALUES (?, ?)",
                                  (name, now))
            return Lesson(int(cursor.lastrowid), name, now, None)

    def end_class(self) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE classes SET ended = ? WHERE ended IS NULL", (_now(),))

    def reopen_class(self, class_id: int) -> None:
        """Run an earlier class again: its wall and collection go on where they were."""
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE classes SET ended = ? WHERE ended IS NULL", (_now(),))
            conn.execute("UPDATE classes SET ended = NULL WHERE id = ?", (int(class_id),))

    def current_class(self) -> Lesson | None:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT id, name, started, ended FROM classes WHERE ended IS "
                               "NULL ORDER BY id DESC LIMIT 1").fetchone()
        return Lesson(*row) if row else None

    def classes(self) -> list[Lesson]:
        """Every class, the newest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT id, name, started, ended FROM classes "
                                "ORDER BY id DESC").fetchall()
        return [Lesson(*row) for row in rows]

    # --- the wall -----------------------------------------------------------------

    def post_drawing(self, class_id: int, student: str, drawing: int, nickname: str,
                     predicted: int, not_a_digit: bool, confidence: float,
                     model_input: np.ndarray, limit: int | None = None) -> None:
        """Put a drawing on the class wall, or update it (more strokes, a new answer).

        Raises ClassFullError when the class already holds ``limit`` drawings."""
        now = time.time()
        image = to_uint8(np.asarray(model_input, np.float32)).reshape(IMAGE_SIZE, IMAGE_SIZE)
        limit = max_drawings() if limit is None else limit
        with closing(self._connect()) as conn, conn:
            updated = conn.execute(
                "UPDATE drawings SET updated = ?, nickname = ?, predicted = ?, not_a_digit = ?,"
                " confidence = ?, model_input = ? WHERE class_id = ? AND student = ? AND "
                "drawing = ?", (now, nickname, int(predicted), int(not_a_digit),
                                float(confidence), image.tobytes(), int(class_id), student,
                                int(drawing))).rowcount
            if updated:
                return
            count = conn.execute("SELECT COUNT(*) FROM drawings WHERE class_id = ?",
                                 (int(class_id),)).fetchone()[0]
            if count >= limit:
                raise ClassFullError(f"The class holds {count} drawings, its limit.")
            conn.execute(
                "INSERT INTO drawings (class_id, student, drawing, nickname, created, updated,"
                " predicted, not_a_digit, confidence, model_input) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (int(class_id), student, int(drawing), nickname, now, now, int(predicted),
                 int(not_a_digit), float(confidence), image.tobytes()))

    def label_drawing(self, class_id: int, student: str, drawing: int, label: int) -> None:
        """The student said what the drawing is ("Is it right?")."""
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE drawings SET label = ? WHERE class_id = ? AND student = ? "
                         "AND drawing = ?", (int(label), int(class_id), student, int(drawing)))

    def wall(self, class_id: int, limit: int = 48) -> list[WallDrawing]:
        """The class's latest drawings, the newest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT student, drawing, nickname, created, predicted, not_a_digit, confidence,"
                " label, model_input FROM drawings WHERE class_id = ? ORDER BY created DESC,"
                " id DESC LIMIT ?", (int(class_id), int(limit))).fetchall()
        return [WallDrawing(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7],
                            np.frombuffer(r[8], np.uint8).reshape(IMAGE_SIZE, IMAGE_SIZE))
                for r in rows]

    def wall_stats(self, class_id: int, active_seconds: float = 180.0) -> WallStats:
        with closing(self._connect()) as conn:
            drawings, active = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT CASE WHEN updated >= ? THEN student END) "
                "FROM drawings WHERE class_id = ?",
                (time.time() - active_seconds, int(class_id))).fetchone()
            labelled, right = conn.execute(
                "SELECT COUNT(*), SUM(label = predicted AND NOT not_a_digit) FROM drawings "
                "WHERE class_id = ? AND label IS NOT NULL", (int(class_id),)).fetchone()
            confusion = conn.execute(
                "SELECT label, predicted, COUNT(*) AS n FROM drawings WHERE class_id = ? AND "
                "label IS NOT NULL AND label != predicted GROUP BY label, predicted "
                "ORDER BY n DESC LIMIT 1", (int(class_id),)).fetchone()
        return WallStats(int(drawings), int(active), int(labelled),
                         (right or 0) / labelled if labelled else None,
                         tuple(confusion) if confusion else None)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def to_uint8(images: np.ndarray) -> np.ndarray:
    return np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)


def export_npz(samples: Samples) -> bytes:
    """x (N, 28, 28) uint8 and y (N,) uint8, MNIST's conventions; no pickles."""
    buf = io.BytesIO()
    np.savez_compressed(buf, x=to_uint8(samples.images), y=samples.labels.astype(np.uint8))
    return buf.getvalue()


def export_idx(samples: Samples) -> dict[str, bytes]:
    """The collection as MNIST-style training IDX files (gzip), by file name: saved in
    one directory they are what ``scripts/train.py --extra-data DIR`` reads."""
    from hwr.data import idx_bytes

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
