"""Locks in the class database, so that something runs once whatever app server asks:
one fine-tune at a time for all the school's servers (``hwr.teaching``).

A lock is one row of the ``settings`` table (key ``lock:<name>``): taking it is an
insert, which the database lets only one server make (the key is the primary key, on
SQLite and PostgreSQL alike); its value (JSON) names the holder, when it started, its
last heartbeat and what it wants others to see (a fine-tune's progress). Every change
after that is a compare-and-swap on the whole value (``UPDATE ... WHERE value = <what I
wrote last>``), so a holder learns at once when its lock was taken from it.

A holder beats every few seconds. A lock whose heartbeat is older than
``stale_after`` seconds (``$HWR_LOCK_STALE_SECONDS`` in ``hwr.settings``, default 30)
belongs to a server that died or stopped answering: the next server that wants it
removes it and records the run as failed (key ``last:<name>``), then takes it.
Heartbeats are wall-clock seconds, so the app servers' clocks must agree to a few
seconds (NTP, or one machine).
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hwr import settings as hwr_settings
from hwr.class_data.storage import connection, settings
from hwr.translation import N_

# TRANSLATORS: why another server released a lock (a fine-tune); said to the teacher
SERVER_STOPPED = N_("the server running it stopped answering")
HEARTBEAT_SECONDS = 2.0  # how often a holder should beat (well inside the stale time)


def stale_seconds() -> float:
    """$HWR_LOCK_STALE_SECONDS (5 to 3600; other values are refused at start-up)."""
    return hwr_settings.lock_stale_seconds()


def new_holder() -> str:
    """An id for one holder: this machine, this process, and a random part."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LockState:
    """A lock as its row says: who holds it, since when, its last beat, its info."""

    name: str
    holder: str
    started: float
    heartbeat: float
    info: dict
    raw: str  # the row's value as read (for compare-and-swap)

    def stale(self, after: float, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) - self.heartbeat > after


@dataclass(frozen=True)
class Outcome:
    """How a lock's last run ended, when another server had to release it."""

    state: str  # "failed"
    holder: str
    started: float
    ended: float
    info: dict
    reason: str


def _key(name: str) -> str:
    return f"lock:{name}"


def _last_key(name: str) -> str:
    return f"last:{name}"


def _parse(name: str, raw: str | None) -> LockState | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        return LockState(name, str(value["holder"]), float(value["started"]),
                         float(value["heartbeat"]), dict(value.get("info") or {}), raw)
    except (ValueError, KeyError, TypeError):  # unreadable: treat as a long-dead holder
        return LockState(name, "?", 0.0, 0.0, {}, raw)


class DatabaseLock:
    """One named lock in the database, as one holder sees it."""

    def __init__(self, engine: Engine, name: str, holder: str | None = None,
                 stale_after: float | None = None, clock=time.time):
        self.engine, self.name = engine, name
        self.holder = holder or new_holder()
        self.stale_after = stale_after if stale_after is not None else stale_seconds()
        self.clock = clock
        self._value: str | None = None  # what this holder wrote last, while it holds
        self._started = 0.0

    @property
    def held(self) -> bool:
        return self._value is not None

    def _encode(self, info: dict | None) -> str:
        return json.dumps({"holder": self.holder, "started": self._started,
                           "heartbeat": self.clock(), "info": info or {}},
                          separators=(",", ":"))

    def read(self) -> LockState | None:
        """The lock's row as it is now (None: nobody holds it)."""
        with connection(self.engine) as conn:
            raw = conn.execute(select(settings.c.value)
                               .where(settings.c.key == _key(self.name))).scalar()
        return _parse(self.name, raw)

    def acquire(self, info: dict | None = None) -> bool:
        """Take the lock if nobody holds it, or if its holder stopped beating (that
        run is then recorded as failed); False while another holder is alive."""
        if self.held:
            return True
        for _ in range(2):  # a second try after releasing a dead holder's lock
            self._started = self.clock()
            value = self._encode(info)
            try:
                with connection(self.engine, write=True) as conn:
                    conn.execute(insert(settings).values(key=_key(self.name), value=value))
                self._value = value
                return True
            except IntegrityError:
                current = self.read()
                if current is not None and not current.stale(self.stale_after, self.clock()):
                    return False
                if current is not None:
                    self.release_dead(current)
        return False

    def release_dead(self, dead: LockState,
                     reason: str = SERVER_STOPPED) -> bool:
        """Remove a dead holder's lock (only if it is still exactly that row) and record
        its run as failed; False if someone else changed the row first."""
        outcome = json.dumps({"state": "failed", "holder": dead.holder,
                              "started": dead.started, "ended": self.clock(),
                              "info": dead.info, "reason": reason})
        with connection(self.engine, write=True) as conn:
            gone = conn.execute(delete(settings).where(settings.c.key == _key(self.name),
                                                       settings.c.value == dead.raw))
            if gone.rowcount != 1:
                return False
            last = settings.c.key == _last_key(self.name)
            if conn.execute(update(settings).where(last).values(value=outcome)).rowcount == 0:
                conn.execute(insert(settings).values(key=_last_key(self.name), value=outcome))
        return True

    def heartbeat(self, info: dict | None = None) -> bool:
        """Say this holder is alive (with new info); False if the lock is no longer
        its own (another server found it stale and took it over): stop then."""
        if not self.held:
            return False
        value = self._encode(info)
        with connection(self.engine, write=True) as conn:
            changed = conn.execute(update(settings).where(
                settings.c.key == _key(self.name), settings.c.value == self._value)
                .values(value=value)).rowcount
        if changed != 1:
            self._value = None
            return False
        self._value = value
        return True

    def release(self) -> None:
        """Give the lock up (nothing happens if it was taken over meanwhile)."""
        if not self.held:
            return
        with connection(self.engine, write=True) as conn:
            conn.execute(delete(settings).where(settings.c.key == _key(self.name),
                                                settings.c.value == self._value))
        self._value = None

    def current(self) -> LockState | None:
        """Who holds the lock, if a live holder does; a dead holder's lock is released
        (and its run recorded as failed) on the way."""
        state = self.read()
        if state is not None and state.stale(self.stale_after, self.clock()):
            self.release_dead(state)
            return None
        return state


def last_outcome(engine: Engine, name: str) -> Outcome | None:
    """How the last run that another server had to release ended (None: none)."""
    with connection(engine) as conn:
        raw = conn.execute(select(settings.c.value)
                           .where(settings.c.key == _last_key(name))).scalar()
    if raw is None:
        return None
    try:
        v = json.loads(raw)
        return Outcome(v["state"], v["holder"], float(v["started"]), float(v["ended"]),
                       dict(v.get("info") or {}), v.get("reason", ""))
    except (ValueError, KeyError, TypeError):
        return None


def forget_outcome(engine: Engine, name: str) -> None:
    """The teacher has seen it."""
    with connection(engine, write=True) as conn:
        conn.execute(delete(settings).where(settings.c.key == _last_key(name)))
