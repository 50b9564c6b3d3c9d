"""Where models live, and which one answers.

The *original* model (the shipped ``hwr/models/default``, or ``$HWR_MODEL_DIR``: both
places come from ``hwr.settings``, as every setting does) is
only ever read: the app never writes it. Models a class teaches are *versions* in the
shared database (``hwr.class_data.storage``): one row each, the whole model directory as one zip
archive, inserted in one transaction, so a crash or a cancel leaves no half-written
version and every app server can load every version. Which one answers is one row of
``settings``; none, or one naming a version that is gone, means the original. Each
server unpacks the versions it loads into a local cache folder (``~/.hwr/models``, or
``$HWR_MODEL_CACHE``), written whole and renamed into place. Nothing else in hwr decides
where a model lives.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from hwr import settings as hwr_settings
from hwr.class_data.storage import connection, model_versions, settings
from hwr.model_dir import MODEL_FILE, file_sha256

ORIGINAL = "original"
ACTIVE_KEY = "active_model"
TEMP_PREFIX = ".writing-"
STALE_TEMP_SECONDS = 3600  # a temporary directory this old is a crashed write
ARCHIVE_MAX_BYTES = 64 * 2**20  # a model version's files, zipped: refused beyond this


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
    """$HWR_MODEL_DIR, else the shipped model."""
    return hwr_settings.model_dir()


def default_cache() -> Path:
    """$HWR_MODEL_CACHE, else ``models`` in this server's state folder."""
    return hwr_settings.model_cache()


def results_dir(model_dir: str | Path) -> Path:
    """Where the app writes test results it computed for a model: this server's cache,
    one folder per model file (by checksum), never the model's own directory (the
    shipped model is read-only)."""
    return default_cache() / "results" / file_sha256(Path(model_dir) / MODEL_FILE)[:16]


class ModelStore:
    """The original model and the versions a class taught, and which one is active."""

    def __init__(self, engine: Engine, cache: str | Path | None = None,
                 original: str | Path | None = None):
        self.engine = engine
        self.cache = Path(cache) if cache is not None else default_cache()
        self.original = ModelVersion(ORIGINAL, Path(original) if original is not None
                                     else original_model_dir())

    def _connection(self, write: bool = False):
        return connection(self.engine, write)

    # --- reading --------------------------------------------------------------------

    def versions(self) -> list[ModelVersion]:
        """The versions a class taught, the newest first (not yet unpacked here)."""
        v = model_versions.c
        with self._connection() as conn:
            rows = conn.execute(select(v.id, v.parent, v.created, v.class_digits,
                                       v.class_name, v.report)
                                .order_by(v.created.desc(), v.id.desc())).all()
        return [self._version(*row) for row in rows if _safe_id(row[0])]

    def _version(self, version_id, parent, created, class_digits, class_name,
                 report) -> ModelVersion:
        try:
            report = json.loads(report)
        except (TypeError, ValueError):
            report = {}
        return ModelVersion(version_id, self.cache / version_id, parent, created,
                            int(class_digits), class_name or "", report)

    def get(self, version_id: str) -> ModelVersion:
        """A version by id (ORIGINAL for the original), unpacked in this server's cache;
        KeyError if there is none."""
        if version_id == ORIGINAL:
            return self.original
        if not isinstance(version_id, str) or not _safe_id(version_id):
            raise KeyError(version_id)
        v = model_versions.c
        with self._connection() as conn:
            row = conn.execute(select(v.id, v.parent, v.created, v.class_digits,
                                      v.class_name, v.report)
                               .where(v.id == version_id)).first()
            if row is None:
                raise KeyError(version_id)
            version = self._version(*row)
            if not (version.path / MODEL_FILE).is_file():
                archive = conn.execute(select(v.archive).where(v.id == version_id)).scalar()
                try:
                    self._unpack(version_id, archive)
                except (zipfile.BadZipFile, ValueError, OSError) as e:
                    # its folder stays absent: loading it fails plainly, and the pages
                    # answer with the original model meanwhile
                    print(f"hwr: model version {version_id} cannot be unpacked: {e}",
                          flush=True)
        return version

    def _unpack(self, version_id: str, archive: bytes) -> None:
        """Unpack into a temporary folder, then rename it into place (another thread or
        server process may have done it meanwhile: then theirs stays)."""
        self.cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self.cache))
        try:
            with zipfile.ZipFile(io.BytesIO(archive)) as z:
                for name in z.namelist():  # only plain files at the top: no paths out
                    if "/" in name or "\\" in name or name.startswith("."):
                        raise ValueError(f"unexpected file {name!r} in a model archive")
                    (work / name).write_bytes(z.read(name))
            target = self.cache / version_id
            if target.exists():
                shutil.rmtree(target)  # a damaged earlier unpacking (no model file)
            os.rename(work, target)
        except OSError:
            shutil.rmtree(work, ignore_errors=True)
            if not (self.cache / version_id / MODEL_FILE).is_file():
                raise
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def active_id(self) -> str:
        """The id of the version chosen to answer (ORIGINAL when none is)."""
        with self._connection() as conn:
            chosen = conn.execute(select(settings.c.value)
                                  .where(settings.c.key == ACTIVE_KEY)).scalar()
        return chosen or ORIGINAL

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
        ``model.keras``), which becomes the version in one transaction once complete.
        Any exception, a cancel included, leaves the store as it was."""
        self.cache.mkdir(parents=True, exist_ok=True)
        self._remove_stale_writes()
        created = datetime.now(timezone.utc)
        version_id = f"{created:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        work = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self.cache))
        try:
            write(work)
            if not (work / MODEL_FILE).is_file():
                raise RuntimeError(f"a model version needs {MODEL_FILE}")
            archive = _zip(work)
            if len(archive) > ARCHIVE_MAX_BYTES:
                raise RuntimeError(f"a model version of {len(archive) >> 20} MB is too large")
            with self._connection(write=True) as conn:
                conn.execute(insert(model_versions).values(
                    id=version_id, parent=parent,
                    created=created.isoformat(timespec="microseconds"),
                    class_digits=int(class_digits), class_name=class_name,
                    report=json.dumps(report or {}), archive=archive))
            os.rename(work, self.cache / version_id)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return self.get(version_id)

    def activate(self, version_id: str) -> ModelVersion:
        """Make a version (or ORIGINAL) the one every session, on every server, answers
        with."""
        version = self.get(version_id)  # KeyError for an unknown id: nothing changes
        for _ in range(2):
            with self._connection(write=True) as conn:
                if conn.execute(update(settings).where(settings.c.key == ACTIVE_KEY)
                                .values(value=version.id)).rowcount:
                    return version
                try:
                    conn.execute(insert(settings).values(key=ACTIVE_KEY, value=version.id))
                    return version
                except IntegrityError:  # another server inserted it first: update it
                    conn.rollback()
        return version

    def restore_original(self) -> ModelVersion:
        return self.activate(ORIGINAL)

    def _remove_stale_writes(self) -> None:
        """Temporary folders of writes that crashed (another thread may be writing a
        fresh one: only old ones go)."""
        for path in self.cache.glob(TEMP_PREFIX + "*"):
            try:
                if time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
            except OSError:
                pass


def _zip(directory: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(directory.iterdir()):
            if path.is_file():
                z.write(path, path.name)
    return buf.getvalue()


def _safe_id(version_id: str) -> bool:
    """Ids name cache folders: never a path out of the cache."""
    return bool(version_id) and version_id.replace("-", "").isalnum() and \
        not version_id.startswith(".")
