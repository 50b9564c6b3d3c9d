"""The class's own digits: a local SQLite collection of confirmed drawings.

Each sample keeps the 28x28 model input, the drawing as PNG, the label the student
confirmed, and what the model predicted. SQLite in WAL mode with a busy timeout lets
30 sessions write at once without losing a sample; every write is one transaction on
its own connection, so no connection is shared between threads.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
import zipfile
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from hwr.data import FILES, IMAGE_SIZE

DB_ENV = "HWR_CLASS_DB"
DEFAULT_DB = Path.home() / ".hwr" / "class_digits.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 9),
    probabilities TEXT NOT NULL,
    model_input BLOB NOT NULL,
    drawing_png BLOB
)
"""


@dataclass(frozen=True)
class Samples:
    """The collection as arrays, oldest first."""

    ids: np.ndarray
    images: np.ndarray  # (N, 28, 28) float32 in [0, 1]
    labels: np.ndarray
    predicted: np.ndarray
    probabilities: np.ndarray  # (N, 10)
    created: list[str]

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
            conn.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30.0)

    def add(self, model_input: np.ndarray, label: int, probabilities: np.ndarray,
            drawing: np.ndarray | Image.Image | None = None) -> int:
        """Store one confirmed sample; returns its id."""
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
        )
        with closing(self._connect()) as conn, conn:
            cursor = conn.execute(
                "INSERT INTO samples (created, label, predicted, probabilities, model_input,"
                " drawing_png) VALUES (?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid)

    def count(self) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0])

    def samples(self) -> Samples:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT id, created, label, predicted, probabilities, "
                                "model_input FROM samples ORDER BY id").fetchall()
        images = np.array([np.frombuffer(r[5], np.float32).reshape(IMAGE_SIZE, IMAGE_SIZE)
                           for r in rows], np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        return Samples(
            ids=np.array([r[0] for r in rows], np.int64),
            images=images,
            labels=np.array([r[2] for r in rows], np.int64),
            predicted=np.array([r[3] for r in rows], np.int64),
            probabilities=np.array([json.loads(r[4]) for r in rows], np.float32).reshape(-1, 10),
            created=[r[1] for r in rows],
        )

    def drawing(self, sample_id: int) -> bytes | None:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT drawing_png FROM samples WHERE id = ?",
                               (sample_id,)).fetchone()
        return row[0] if row else None

    def delete_all(self) -> int:
        with closing(self._connect()) as conn, conn:
            return conn.execute("DELETE FROM samples").rowcount


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
