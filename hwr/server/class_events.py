"""Class events over the answer channel: a page learns that the class changed without
asking every 2 seconds.

A student's Draw page in a running class used to run its script every ``ROUND_POLL``
seconds to look for a round (and every ``IDLE_POLL`` for a class): 30 idle students made
15 script runs a second. Here, one task per server process reads what the pages follow
(the running class and its running round: ``now``) every ``WATCH_SECONDS``, off the
event loop, and tells each connected page whose last word (``{"shows": [class, round]}``)
differs from it, once per change: ``{"event": "class"}``. The page then runs its
drawing area, which reads the class afresh and runs the whole page if it changed. A
page whose channel is down polls as before.

``now`` also counts the students the teacher removed: when that changes, every page
connected then is told (one run each, a rare event), and a removed student's page
learns it at once that it posts nothing more, rather than at its next drawing.

The reading costs the server one query of the class database every ``WATCH_SECONDS``,
whatever the number of pages, and nothing at all while no page is connected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

log = logging.getLogger(__name__)

WATCH_SECONDS = 2.0  # as the pages' round poll: a round's start reaches them as soon
Shows = tuple  # (class id or None, running round id or None), as the page records it
# ``now``: (class id or None, running round id or None, students removed from the class)


class Watcher:
    """One page's connection: what it last said it shows, what it was last told of, the
    removals it has heard of, and how to tell it (``notify``: a coroutine that sends the
    event)."""

    def __init__(self, notify: Callable[[], Awaitable[None]]):
        self.notify = notify
        self.shows: Shows | None = None  # nothing said yet: nothing to compare
        self.told: Shows | None = None
        self.removals: int | None = None  # the count when this page was first watched

    def due(self, now: tuple) -> bool:
        """Whether this page shows other than ``now`` and has not been told of it, or a
        student was removed (or let back) since it was last told; ``now`` is then what
        it has been told of."""
        shows, removals = tuple(now[:2]), (now[2] if len(now) > 2 else None)
        removed = self.removals is not None and removals != self.removals
        if self.shows is not None and self.removals is None:
            self.removals = removals  # the first look: what the page was drawn with
        if removed or (self.shows is not None and self.shows != shows and
                       self.told != shows):
            self.told, self.removals = shows, removals
            return True
        return False


class ClassEvents:
    """The server's watch over the class for its connected pages (``add``/``discard``);
    its task runs while at least one page is connected."""

    def __init__(self, now: Callable[[], Shows], pool: Executor,
                 every: float = WATCH_SECONDS):
        self.now, self.pool, self.every = now, pool, every
        self.watchers: set[Watcher] = set()
        self._task: asyncio.Task | None = None

    def add(self, watcher: Watcher) -> None:
        self.watchers.add(watcher)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch())

    def discard(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)

    async def check(self) -> Shows | None:
        """Read the class once and tell every page that shows otherwise; the state read
        (None when the database did not answer: nobody is told anything)."""
        loop = asyncio.get_running_loop()
        try:
            now = tuple(await loop.run_in_executor(self.pool, self.now))
        except Exception as e:  # noqa: BLE001 - the database away: the pages say so
            log.warning("hwr: class events: the class could not be read: %r", e)
            return None
        for watcher in list(self.watchers):
            if watcher.due(now):
                try:
                    await watcher.notify()
                except Exception:  # noqa: BLE001 - that page is going: its loop ends it
                    self.watchers.discard(watcher)
        return now

    async def _watch(self) -> None:
        while self.watchers:
            await self.check()
            await asyncio.sleep(self.every)


def read_shows(value) -> Shows:
    """A page's ``shows`` (``[class id or null, round id or null]``) as a tuple; anything
    else is refused with ValueError."""
    if not isinstance(value, list) or len(value) != 2 or not all(
            v is None or (type(v) is int and 0 <= v < 2**53) for v in value):
        raise ValueError("shows must be [class id or null, round id or null]")
    return tuple(value)
