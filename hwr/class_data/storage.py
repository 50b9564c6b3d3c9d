"""The database every app server shares: where it is, its schema, and its migrations.

Everything a class shares lives in one database behind SQLAlchemy: the collected
digits, classes, the live wall's drawings, the models a class taught (their files as
one archive each, so every server can load them) and which model answers. The URL comes
from ``hwr.settings.database_url()``: ``$HWR_DB_URL``, else ``url`` under
``[connections.hwr]`` in ``.streamlit/secrets.toml`` (Streamlit's own
``st.connection("sql")`` layout), else a SQLite file in the state folder (``~/.hwr/``, or
where ``$HWR_CLASS_DB`` points), so the app needs nothing else to start. PostgreSQL
(``postgresql+psycopg://...``, psycopg 3) works the same way; other databases are refused
with one sentence at start-up (``hwr.settings.exit_if_invalid``).

The schema is versioned with Alembic (``hwr/class_data/migrations``): opening a database upgrades
it, and a SQLite file written before migrations existed is recognised and upgraded with
nothing lost.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from hwr import settings as hwr_settings

SUPPORTED = hwr_settings.SUPPORTED_DATABASES
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema of the versions before migrations existed
HEAD = "0005"  # the newest migration (a test checks it is Alembic's head)
_ADVISORY_LOCK = 7_202_611  # PostgreSQL: one server migrates at a time

metadata = MetaData()
samples = Table(
    "samples", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", Text, nullable=False),
    Column("label", Integer, nullable=False),
    Column("predicted", Integer, nullable=False),
    Column("probabilities", Text, nullable=False),
    Column("model_input", LargeBinary, nullable=False),
    Column("drawing_png", LargeBinary),
    Column("class_id", Integer),
    Column("student", Text),
    Column("drawing", Integer),  # the wall drawing it was (its moderation applies)
    # the teacher's curation (hwr.class_data.curation): a label instead of the student's,
    # left out of teaching and the export, and when it last changed
    Column("curated_label", Integer),
    Column("excluded", Integer, nullable=False, server_default="0"),
    Column("curated", Float),
)
Index("samples_by_class_student", samples.c.class_id, samples.c.student)
classes = Table(
    "classes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("started", Text, nullable=False),
    Column("ended", Text),
    Column("frozen_at", Float),  # the wall shows nothing newer while set
    Column("approve_first", Integer, nullable=False, server_default="0"),
    Column("generated_names", Integer, nullable=False, server_default="0"),
    sqlite_autoincrement=True,  # a purged class's id is never given to a new one
)
drawings = Table(
    "drawings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", Integer, nullable=False),
    Column("student", Text, nullable=False),
    Column("drawing", Integer, nullable=False),
    Column("nickname", Text, nullable=False, server_default=""),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("predicted", Integer, nullable=False),
    Column("not_a_digit", Integer, nullable=False, server_default="0"),
    Column("confidence", Float, nullable=False),
    Column("label", Integer),
    Column("model_input", LargeBinary, nullable=False),
    # 0 shown; 1 hidden by the teacher, 2 cleared with the wall, 3 its student removed
    Column("hidden", Integer, nullable=False, server_default="0"),
    Column("approved", Integer, nullable=False, server_default="1"),  # 0: waits
    UniqueConstraint("class_id", "student", "drawing"),
)
Index("drawings_by_class", drawings.c.class_id, drawings.c.created)
class_students = Table(  # who posted to a class: a random session id and a nickname only
    "class_students", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", Integer, nullable=False),
    Column("student", Text, nullable=False),
    Column("nickname", Text, nullable=False, server_default=""),
    Column("removed", Integer, nullable=False, server_default="0"),
    Column("joined", Float, nullable=False),
    UniqueConstraint("class_id", "student"),
)
rounds = Table(
    "rounds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # digit, random or fool
    Column("digit", Integer),
    Column("seconds", Integer),  # the timer; None: until the teacher ends it
    Column("started", Float, nullable=False),
    Column("deadline", Float),
    Column("ended", Float),
    Column("incomplete", Integer, nullable=False, server_default="0"),
)
Index("rounds_by_class", rounds.c.class_id, rounds.c.ended)
round_entries = Table(  # one per student and round
    "round_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", Integer, nullable=False),
    Column("class_id", Integer, nullable=False),
    Column("student", Text, nullable=False),
    Column("drawing", Integer, nullable=False),
    Column("nickname", Text, nullable=False, server_default=""),
    Column("prompt", Integer, nullable=False),
    Column("answer", Integer, nullable=False),
    Column("not_a_digit", Integer, nullable=False, server_default="0"),
    Column("confidence", Float, nullable=False),
    Column("correct", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("submitted", Float, nullable=False),
    Column("model_input", LargeBinary, nullable=False),
    UniqueConstraint("round_id", "student"),
)
Index("round_entries_by_class_student", round_entries.c.class_id, round_entries.c.student)
model_versions = Table(
    "model_versions", metadata,
    Column("id", String(64), primary_key=True),
    Column("parent", String(64)),
    Column("created", Text, nullable=False),
    Column("class_digits", Integer, nullable=False),
    Column("class_name", Text, nullable=False, server_default=""),
    Column("report", Text, nullable=False),  # JSON: the before/after figures
    Column("archive", LargeBinary, nullable=False),  # the model directory, zipped
    # who taught it (hwr.class_data.privacy.record_taught): erasing a student or purging
    # a class deletes the versions that learned from them
    Column("class_id", Integer),
    Column("students", Text),  # JSON: the students' session ids (None: unknown)
)
curation_changes = Table(  # every curation change, to show and to undo
    "curation_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch", String(32), nullable=False),  # one teacher action (undone together)
    Column("sample_id", Integer, nullable=False),
    Column("class_id", Integer),
    Column("teacher", String(32), nullable=False),  # the teacher's random session id
    Column("at", Float, nullable=False),
    Column("action", String(16), nullable=False),  # relabel, exclude, include, undo
    Column("scope", Text, nullable=False, server_default=""),
    Column("old_label", Integer),  # samples.curated_label before and after
    Column("new_label", Integer),
    Column("old_excluded", Integer, nullable=False),
    Column("new_excluded", Integer, nullable=False),
    Column("undone_by", String(32)),
)
Index("curation_changes_by_batch", curation_changes.c.batch)
Index("curation_changes_by_class", curation_changes.c.class_id, curation_changes.c.id)
settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


class UnsupportedDatabase(ValueError):
    """The URL names a database hwr does not support, or is no URL at all."""


class StorageUnavailable(RuntimeError):
    """The database does not answer (down, wrong password, unreachable host)."""

    def __init__(self, message: str, host: str = ""):
        super().__init__(message)
        self.host = host


def database_url(secrets: hwr_settings.Secrets = None) -> str:
    """$HWR_DB_URL, else ``secrets["connections"]["hwr"]["url"]``, else the SQLite file
    (``hwr.settings.database_url``). ``secrets``: a dict, or a function giving one,
    called only without $HWR_DB_URL; None: the app's ``.streamlit/secrets.toml``.
    Raises hwr.settings.SettingError for an address hwr cannot use."""
    return hwr_settings.database_url(secrets)


def check_url(url: str) -> None:
    """Raises UnsupportedDatabase with one plain sentence (an address given in code;
    the configured one is checked by hwr.settings)."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise UnsupportedDatabase(
            "The database address is not a valid URL: hwr takes sqlite:///path/to/file "
            "or postgresql+psycopg://user:password@host/database.") from None
    if backend not in SUPPORTED:
        raise UnsupportedDatabase(
            f"hwr stores class data in SQLite or PostgreSQL, not {backend}: set "
            f"{hwr_settings.DB_URL_ENV} to sqlite:///path/to/file or "
            "postgresql+psycopg://user:password@host/database.")


def exit_if_unsupported() -> None:
    """At start-up: a database hwr does not support (or any other setting it cannot
    use) stops the server with one sentence. Kept for old callers: streamlit_app.py
    calls ``hwr.settings.exit_if_invalid`` itself."""
    hwr_settings.exit_if_invalid()


def host_of(url: str) -> str:
    """The database's host (and port), or its SQLite file, never its password: for the
    teacher's messages, in which it is said in any language (so no words of its own)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "?"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"


def create(url: str) -> Engine:
    """An engine for ``url`` (not yet connected). SQLite gets WAL and a busy timeout so
    that thirty sessions write at once without losing a row."""
    check_url(url)
    parsed = make_url(url)
    # hide_parameters: an error's message (which Streamlit logs) never holds a row's
    # values, so no nickname or drawing reaches the server's log.
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30.0}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         connect_args={"connect_timeout": 5}, hide_parameters=True)


def sqlite_file(engine: Engine) -> str | None:
    """The file of a SQLite database; None for an in-memory one and for other
    databases."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    return database if database not in (None, "", ":memory:") else None


class ChangeWatch:
    """Whether a SQLite database may have changed since the last look, for the cost of
    a pragma: ``PRAGMA data_version`` on a connection of its own changes whenever
    another connection commits. ``version()`` is None for other databases (PostgreSQL
    has no such counter: read them each time) and whenever the pragma fails."""

    def __init__(self, engine: Engine):
        self._path = sqlite_file(engine)
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def version(self) -> int | None:
        if self._path is None:
            return None
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(self._path, timeout=5.0,
                                                       check_same_thread=False)
                return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                self._connection = None
                return None


_UPGRADED: set[str] = set()
_UPGRADE_LOCK = threading.Lock()


def upgrade(engine: Engine) -> None:
    """Bring the database to the current schema (once per process and URL)."""
    key = engine.url.render_as_string(hide_password=False)
    with _UPGRADE_LOCK:
        if key in _UPGRADED:
            return
        if _version(engine) == HEAD:  # the usual case: no need to load Alembic at all
            _UPGRADED.add(key)
            return
        with _file_lock(engine):
            _upgrade_now(engine)
        _UPGRADED.add(key)


@contextmanager
def _file_lock(engine: Engine):
    """One process at a time upgrades a SQLite file (a server and a script, or two
    servers, opening a new file at once): a lock file beside it. Without it, the second
    took the first's half-made tables for a file from before migrations, and the file
    stayed unusable ("table samples already exists"). PostgreSQL has its own lock."""
    path = sqlite_file(engine)
    try:
        import fcntl
    except ImportError:  # not on Linux: no other process is expected to race it
        fcntl = None
    if path is None or fcntl is None:
        yield
        return
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _upgrade_now(engine: Engine) -> None:
    """Alembic's upgrade to the head, adopting a SQLite file from before migrations."""
    if _version(engine) == HEAD:  # another process did it while this one waited
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                               {"k": _ADVISORY_LOCK})
        tables = set(inspect(connection).get_table_names())
        if "samples" in tables and "alembic_version" not in tables:
            _adopt_legacy_sqlite(connection)
            config.attributes["connection"] = connection
            command.stamp(config, BASELINE)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _version(engine: Engine) -> str | None:
    """The schema version recorded in the database (None: new, or from before
    migrations)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _adopt_legacy_sqlite(connection) -> None:
    """A SQLite file of the versions before migrations: bring it to the baseline (the
    oldest lacked ``samples.class_id`` and the classes and wall tables)."""
    columns = {c["name"] for c in inspect(connection).get_columns("samples")}
    if "class_id" not in columns:
        connection.execute(text("ALTER TABLE samples ADD COLUMN class_id INTEGER"))
    tables = set(inspect(connection).get_table_names())
    for table in (classes, drawings):
        if table.name not in tables:
            table.create(connection)


@contextmanager
def connection(engine: Engine, write: bool = False):
    """One connection (one transaction when writing, committed at the end or rolled
    back whole); a database that does not answer raises StorageUnavailable, naming its
    host and never its password."""
    try:
        with (engine.begin() if write else engine.connect()) as conn:
            yield conn
    except OperationalError as e:
        where = host_of(engine.url.render_as_string(hide_password=True))
        reason = str(e.orig).strip().splitlines()[0] if e.orig else type(e).__name__
        raise StorageUnavailable(f"The class database ({where}) does not answer: "
                                 f"{reason}", where) from None
