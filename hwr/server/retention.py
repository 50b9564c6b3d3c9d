"""The school's retention (``HWR_RETENTION_DAYS``), applied by every app server.

At start-up and then every ``CHECK_SECONDS`` each server asks
``hwr.class_data.privacy.purge_if_due``, which purges the classes whose time ran out at
most once every ``PURGE_EVERY`` seconds across all the servers on one database (the
database decides who goes), and sweeps this server's model cache of versions deleted
elsewhere. The work runs in a thread of its own, never on the server's: a purge of many
classes takes seconds. A database that does not answer is asked again at the next
check; each class is purged in a transaction of its own, so nothing is left half
deleted. The log lines count classes and rows and never name a student.
"""

from __future__ import annotations

import threading

from hwr import settings
from hwr.class_data import privacy, storage
from hwr.class_data.privacy import Purged
from hwr.class_data.storage import StorageUnavailable

CHECK_SECONDS = 300.0  # how often a server asks whether a purge is due
PURGE_EVERY = 3600.0  # at most one purge an hour, whichever server runs it


def purge_due(engine, retention_days: int | None) -> Purged | None:
    """One check: the purge if it is due (None when another server's ran lately)."""
    return privacy.purge_if_due(engine, retention_days, every_seconds=PURGE_EVERY,
                                cache_dir=settings.model_cache())


def say(purged: Purged | None) -> str | None:
    """The log line for a purge that deleted something (None otherwise)."""
    if purged is None or not (purged.classes or purged.samples):
        return None
    line = (f"hwr: retention: deleted the data of {purged.classes} ended class(es) and "
            f"the digits saved outside a class that expired ({purged.drawings} wall "
            f"drawings, {purged.samples} digits, {purged.entries} round entries, "
            f"{purged.model_versions} model versions) in {purged.seconds:.1f} s")
    if purged.active_changed:
        line += "; the active model was one of them and fell back to the one it came from"
    return line


def keep_purging(stop: threading.Event, check_seconds: float = CHECK_SECONDS) -> None:
    """Check at once, then every ``check_seconds`` until ``stop`` is set."""
    engine = None
    while True:
        try:
            # "never" purges nothing, but still drops this server's copies of the
            # model versions an erasure deleted on another server
            engine = engine or storage.create(settings.database_url())
            line = say(purge_due(engine, settings.retention_days()))
            if line:
                print(line, flush=True)
        except StorageUnavailable as e:
            print(f"hwr: retention: the class database did not answer ({e}); asked again "
                  f"in {check_seconds:.0f} s", flush=True)
        if stop.wait(check_seconds):
            return
