"""The class's state as a page sees it: the database (and a few seconds' memory that it
does not answer), the class that runs now, and this browser session's student id."""

from __future__ import annotations

import re
import time
import uuid

import streamlit as st

from hwr import settings
from hwr.class_data.collection import ClassCollection, Lesson
from hwr.class_data.rate_limits import PostLimiter
from hwr.class_data.storage import StorageUnavailable

RETRY_SECONDS = 10.0  # after the database failed to answer, wait before asking again
_storage_down: dict[str, tuple[float, StorageUnavailable]] = {}  # url -> (until, why)


def database_url() -> str:
    """The class database's address (hwr.settings: $HWR_DB_URL, secrets.toml or the
    SQLite file; the secrets file is read at most every few seconds)."""
    return settings.database_url()


@st.cache_resource(show_spinner=False)
def collection_at(url: str) -> ClassCollection:
    """One ClassCollection (one connection pool) per database and server."""
    return ClassCollection(url)


def storage_failed(error: StorageUnavailable) -> None:
    """Remember for a few seconds that the database does not answer, so that strokes
    do not each wait for its connection timeout."""
    print(f"hwr: {error}", flush=True)
    _storage_down[database_url()] = (time.monotonic() + RETRY_SECONDS, error)


def _known_down() -> StorageUnavailable | None:
    until, error = _storage_down.get(database_url(), (0.0, None))
    return error if time.monotonic() < until else None


def class_collection() -> ClassCollection:
    """The class's state in the shared database (hwr.class_data.storage); raises
    StorageUnavailable while the database does not answer."""
    down = _known_down()
    if down is not None:
        raise down
    try:
        return collection_at(database_url())
    except StorageUnavailable as e:
        storage_failed(e)
        raise


@st.cache_data(ttl=1.0, show_spinner=False)
def _running_class(url: str) -> Lesson | None:
    return collection_at(url).current_class()


def running_class() -> Lesson | None:
    """The class that runs now, if any (read at most once a second per server); None
    while the database does not answer."""
    try:
        if _known_down() is not None:
            return None
        return _running_class(database_url())
    except StorageUnavailable as e:
        storage_failed(e)
        return None


def class_changed() -> None:
    """A class started, ended or reopened: every page sees it at its next run."""
    _running_class.clear()


POSTS = "hwr_posts"  # this session's pace of posts to the class (a PostLimiter)
SID = "sid"  # the page address's copy of the student id: ?sid=<12 hex digits>
_SID = re.compile(r"[0-9a-f]{12}")


def _sid_in_address() -> str | None:
    sid = st.query_params.get(SID, "")
    return sid if isinstance(sid, str) and _SID.fullmatch(sid) else None


def student_id() -> str:
    """A random name for this browser session, for the wall (never shown on it).

    Also kept in the page's address (``?sid=``, as the nickname is in ``?name=``): when
    the app server dies, the page reconnects to another one, whose new session takes the
    id from the address, so the student stays the same student (their wall tile, their
    round entry, a removal). Taken from the address only when the session has none, and
    only as 12 hex digits; an edited one is just another new student, as a new tab is."""
    state = st.session_state
    if "hwr_student" not in state:
        state.hwr_student = _sid_in_address() or uuid.uuid4().hex[:12]
    if st.query_params.get(SID) != state.hwr_student:
        st.query_params[SID] = state.hwr_student
    return state.hwr_student


def post_limiter() -> PostLimiter:
    """This session's limit on posts to the class wall."""
    return st.session_state.setdefault(POSTS, PostLimiter())
