"""Where models live, and which one answers.

The *original* model (the shipped ``hwr/models/default``, or ``$HWR_MODEL_DIR``) is
only ever read: the app never writes it. Models a class teaches are *versions* in the
store, a folder beside the class data (``~/.hwr/models``, or ``$HWR_MODEL_STORE``), one
directory each. A version is written whole into a hidden temporary directory and renamed
into place, so a crash or a cancel leaves no half-written version; ``active.json`` names
the version that answers and is replaced atomically, and a missing, unreadable or dangling
one means the original model. Nothing else in hwr decides where a model lives.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from hwr.collection import default_db_path
from hwr.evaluate import MODEL_FILE
from hwr.recognizer import DEFAULT_MODEL_DIR as SHIPPED_MODEL_DIR

MODEL_DIR_ENV = "HWR_MODEL_DIR"  # the original model (default: the shipped one)
STORE_ENV = "HWR_MODEL_STORE"  # the class's models (default: beside the class data)
ORIGINAL = "original"
ACTIVE_FILE = "active.json"
VERSION_FILE = "version.json"
TEMP_PREFIX = ".writing-"
STALE_TEMP_SECONDS = 3600  # a temporary directory this old is a crashed write


@dataclass(frozen=True)
class ModelVersion:
    """One model that can answer: the original, or one a class taught."""

    id: str
    path: Path
    parent: str | None = None
    created: str = ""  # ISO 8601, UTC
    class_digits: int = 0  # how many class digits it learned from
    class_name: str = ""
    report: dict = field(default_factory=dict, compare=False)  # before/after figures

    @property
    def is_original(self) -> bool:
        return self.id == ORIGINAL

    @property
    def time(self) -> str:
        """When it was made, on the server's clock ("14:03")."""
        try:
            return datetime.fromisoformat(self.created).astimezone().strftime("%H:%M")
        except ValueError:
            return ""

    @property
    def label(self) -> str:
        """Which model answers, in a student's words."""
        if self.is_original:
            return "the original model (trained on MNIST)"
        return (f"our class's model, learned from {self.class_digits} of our digits, "
                f"{self.time}")


def original_model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or SHIPPED_MODEL_DIR)


def default_store_root() -> Path:
    return Path(os.environ.get(STORE_ENV) or default_db_path().parent / "models")


class ModelStore:
    """The original model and the versions a class taught, and which one is active."""

    def __init__(self, root: str | Path | None = None, original: str | Path | None = None):
        self.root = Path(root) if root is not None else default_store_root()
        self.original = ModelVersion(ORIGINAL, Path(original) if original is not None
                                     else original_model_dir())

    # --- reading --------------------------------------------------------------------

    def versions(self) -> list[ModelVersion]:
        """The versions a class taught, the newest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if path.is_dir() and not path.name.startswith("."):
                version = self._read(path)
                if version is not None:
                    found.append(version)
        return sorted(found, key=lambda v: (v.created, v.id), reverse=True)

    def get(self, version_id: str) -> ModelVersion:
        """A version by id (ORIGINAL for the original); KeyError if there is none."""
        if version_id == ORIGINAL:
            return self.original
        if not _safe_id(version_id):
            raise KeyError(version_id)
        version = self._read(self.root / version_id)
        if version is None:
            raise KeyError(version_id)
        return version

    @staticmethod
    def _read(path: Path) -> ModelVersion | None:
        try:
            meta = json.loads((path / VERSION_FILE).read_text())
            return ModelVersion(
                id=path.name, path=path, parent=meta.get("parent"),
                created=str(meta.get("created", "")),
                class_digits=int(meta.get("class_digits", 0)),
                class_name=str(meta.get("class_name", "")),
                report=meta.get("report", {}))
        except (OSError, ValueError, TypeError, AttributeError):
            return None  # not a version (a stray folder, or a damaged one): not offered

    def active_id(self) -> str:
        try:
            chosen = json.loads((self.root / ACTIVE_FILE).read_text())["id"]
        except (OSError, ValueError, KeyError, TypeError):
            return ORIGINAL
        return chosen if isinstance(chosen, str) else ORIGINAL

    def active(self) -> ModelVersion:
        """The version that answers now: the original unless a class model was chosen
        (and still exists)."""
        try:
            return self.get(self.active_id())
        except KeyError:
            return self.original

    # --- writing --------------------------------------------------------------------

    def add(self, write: Callable[[Path], None], *, parent: str, class_digits: int,
            class_name: str = "", report: dict | None = None) -> ModelVersion:
        """A new version: ``write(directory)`` fills a temporary directory (at least
        ``model.keras``), which becomes the version only once complete. Any exception,
        a cancel included, leaves the store as it was."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_stale_writes()
        created = datetime.now(timezone.utc)
        version_id = f"{created:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        work = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self.root))
        try:
            write(work)
            if not (work / MODEL_FILE).is_file():
                raise RuntimeError(f"a model version needs {MODEL_FILE}")
            (work / VERSION_FILE).write_text(json.dumps({
                "parent": parent, "created": created.isoformat(timespec="microseconds"),
                "class_digits": int(class_digits), "class_name": class_name,
                "report": report or {}}, indent=1))
            os.rename(work, self.root / version_id)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return self.get(version_id)

    def activate(self, version_id: str) -> ModelVersion:
        """Make a version (or ORIGINAL) the one every session answers with."""
        version = self.get(version_id)  # KeyError for an unknown id: nothing changes
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)
        with os.fdopen(fd, "w") as f:
            json.dump({"id": version.id, "since": time.time()}, f)
        os.replace(tmp, self.root / ACTIVE_FILE)
        return version

    def restore_original(self) -> ModelVersion:
        return self.activate(ORIGINAL)

    def _remove_stale_writes(self) -> None:
        """Temporary directories of writes that crashed (another process may be
        writing a fresh one: only old ones go)."""
        for path in self.root.glob(TEMP_PREFIX + "*"):
            try:
                if time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
            except OSError:
                pass


def _safe_id(version_id: str) -> bool:
    """Ids come from URLs and widgets: never a path out of the store."""
    return bool(version_id) and version_id.replace("-", "").isalnum() and \
        not version_id.startswith(".")
