"""Class events over the answer channel (hwr/server/class_events.py): a page is told,
once per change, that the class differs from what it shows; the database is read once
per check whatever the number of pages; a page's bad ``shows`` closes its channel."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from hwr.server import answer_channel
from hwr.server.class_events import ClassEvents, Watcher, read_shows
from tests.test_answer_channel import Loader, Socket, connect, hello, run_apart, seven

POOL = ThreadPoolExecutor(max_workers=1)


class Pages:
    """Watchers that record what they were told."""

    def __init__(self, *shows):
        self.told: list[int] = []
        self.watchers = []
        for n, shown in enumerate(shows):
            async def notify(n=n):
                self.told.append(n)
            watcher = Watcher(notify)
            watcher.shows = shown
            self.watchers.append(watcher)


def test_a_page_that_shows_otherwise_is_told_once_per_change():
    state = {"now": (1, None)}
    reads = []

    def now():
        reads.append(1)
        return state["now"]

    pages = Pages((1, None), (None, None), (1, 5))

    async def run():
        events = ClassEvents(now, POOL, every=3600)
        for w in pages.watchers:
            events.watchers.add(w)
        await events.check()
        assert sorted(pages.told) == [1, 2]  # the first shows the class as it is
        await events.check()
        assert sorted(pages.told) == [1, 2]  # told once, not at every check
        state["now"] = (1, 6)  # a round starts
        await events.check()
        assert sorted(pages.told[2:]) == [0, 1, 2]
    run_apart(run())
    assert len(reads) == 3  # one read per check, whatever the number of pages


def test_every_page_is_told_once_when_a_student_is_removed_or_let_back():
    state = {"now": (1, None, 0)}
    pages = Pages((1, None), (1, None))

    async def run():
        events = ClassEvents(lambda: state["now"], POOL, every=3600)
        for w in pages.watchers:
            events.watchers.add(w)
        await events.check()
        assert pages.told == []  # the pages were drawn with the class as it is
        state["now"] = (1, None, 1)  # the teacher removes a student
        await events.check()
        await events.check()
        assert sorted(pages.told) == [0, 1]  # once each, not at every check
        state["now"] = (1, None, 0)  # and lets them back
        await events.check()
        assert sorted(pages.told) == [0, 0, 1, 1]
    run_apart(run())


def test_a_page_that_has_said_nothing_and_a_database_away_tell_nobody():
    def away():
        raise OSError("the database does not answer")

    silent = Pages(None)

    async def run():
        events = ClassEvents(away, POOL, every=3600)
        events.watchers.add(silent.watchers[0])
        assert await events.check() is None
        events.now = lambda: (3, None)
        assert await events.check() == (3, None)
    run_apart(run())
    assert silent.told == []


def test_the_watch_runs_only_while_a_page_is_connected():
    reads = []

    async def run():
        events = ClassEvents(lambda: reads.append(1) or (None, None), POOL, every=0.01)
        watcher = Watcher(lambda: asyncio.sleep(0))
        events.add(watcher)
        await asyncio.sleep(0.1)
        events.discard(watcher)
        await asyncio.sleep(0.05)
        seen = len(reads)
        await asyncio.sleep(0.1)
        assert len(reads) == seen and seen >= 2
    run_apart(run())


@pytest.mark.parametrize("bad", [None, [1], [1, 2, 3], ["1", None], [True, None],
                                 [-1, None], [1.5, None], {"class": 1}])
def test_bad_shows_are_refused(bad):
    with pytest.raises(ValueError):
        read_shows(bad)
    assert read_shows([7, None]) == (7, None)


def connect_watched(messages, now):
    events = ClassEvents(now, POOL, every=3600)
    socket = Socket(messages)

    async def run():
        task = asyncio.create_task(answer_channel.serve(socket, lambda: None, events))
        for _ in range(200):
            await asyncio.sleep(0.005)
            if events.watchers:
                break
        await events.check()
        socket.all_sent.set()  # the page has heard what it will hear: it leaves
        await asyncio.wait_for(task, 5)
    run_apart(run())
    return socket


def test_the_channel_says_ready_and_tells_a_page_of_a_new_round():
    socket = connect_watched([hello(), {"shows": [4, None]}], lambda: (4, 9))
    assert socket.ready and socket.closed is None
    assert socket.sent == [{"event": "class"}]


def test_a_page_that_shows_the_class_as_it_is_is_told_nothing():
    socket = connect_watched([hello(), {"shows": [4, 9]}], lambda: (4, 9))
    assert socket.ready and socket.sent == []


def test_bad_shows_close_the_channel():
    socket = connect_watched([hello(), {"shows": "everything"}], lambda: (4, 9))
    assert socket.closed == 1007


def test_a_channel_that_watches_no_class_leaves_the_page_polling(recognizer):
    # A route built without ``class_now`` must not say "ready" (the page would stop
    # polling and hear of no round), and a page's ``shows`` is not taken for a drawing.
    socket = connect(Socket([hello(), {"shows": [4, None]}, seven()]),
                     Loader(recognizer))
    assert not socket.ready and socket.closed is None
    assert [m.get("status") for m in socket.sent] == ["answer"]


# --- what the watch reads: ClassCollection.class_now -----------------------------------

def test_the_class_is_read_again_only_when_the_database_changed(tmp_path):
    from sqlalchemy import event

    from hwr.class_data.collection import ClassCollection

    db = tmp_path / "class.sqlite3"
    server, teacher = ClassCollection(db), ClassCollection(db)  # two connections' pools
    queries = []
    event.listen(server.engine, "before_cursor_execute",
                 lambda *args: queries.append(args[2]))
    assert server.class_now() == (None, None, 0)
    read = len(queries)
    assert read >= 1
    for _ in range(5):
        assert server.class_now() == (None, None, 0)
    assert len(queries) == read  # nothing changed: a pragma of its own, no query
    lesson = teacher.start_class("7B")  # another connection commits
    assert server.class_now() == (lesson.id, None, 0)
    found = teacher.start_round(lesson.id, "digit", 7, seconds=None)
    assert server.class_now() == (lesson.id, found.id, 0)
    teacher.remove_student(lesson.id, "student-1")
    assert server.class_now() == (lesson.id, found.id, 1)


def test_a_round_whose_timer_ran_out_is_read_again_with_no_change(tmp_path, monkeypatch):
    import hwr.class_data.collection as collection
    import hwr.class_data.rounds as rounds

    db = tmp_path / "class.sqlite3"
    server = collection.ClassCollection(db)
    lesson = server.start_class("7B")
    found = server.start_round(lesson.id, "digit", 7, seconds=5)
    assert server.class_now() == (lesson.id, found.id, 0)
    later = found.deadline + rounds.GRACE + 1
    monkeypatch.setattr(collection.time, "time", lambda: later)
    monkeypatch.setattr(rounds.time, "time", lambda: later)
    assert server.class_now() == (lesson.id, None, 0)  # the timer, not the database


def test_postgresql_or_a_failing_pragma_reads_each_time(tmp_path):
    from hwr.class_data import storage

    assert storage.ChangeWatch(storage.create("sqlite://")).version() is None  # in memory
    assert storage.ChangeWatch(storage.create(  # not connected: no counter to ask
        "postgresql+psycopg://hwr@127.0.0.1:1/hwr")).version() is None
    folder = tmp_path / "a-folder.db"
    folder.mkdir()  # the pragma cannot be asked: read each time
    assert storage.ChangeWatch(storage.create(f"sqlite:///{folder}")).version() is None
