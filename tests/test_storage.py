"""The shared database: its address, its migrations, and what happens when it is away."""

import sqlite3
import subprocess
import sys

import numpy as np
import pytest
from sqlalchemy import inspect, text

from hwr import settings
from hwr.class_data import storage
from hwr.class_data.collection import NO_CLASS, ClassCollection
from hwr.class_data.storage import StorageUnavailable, UnsupportedDatabase
from tests.support.files import REPO
from tests.support.browser import free_port


def image() -> np.ndarray:
    out = np.zeros((28, 28), np.float32)
    out[5:20, 10:14] = 1.0
    return out


def test_the_address_comes_from_the_environment_then_secrets_then_a_file(monkeypatch,
                                                                        tmp_path):
    monkeypatch.delenv(settings.DB_URL_ENV, raising=False)
    monkeypatch.setenv(settings.CLASS_DB_ENV, str(tmp_path / "c.sqlite3"))
    assert storage.database_url() == f"sqlite:///{tmp_path / 'c.sqlite3'}"
    secrets = {"connections": {"hwr": {"url": "postgresql+psycopg://u:p@db.school/hwr"}}}
    assert storage.database_url(secrets) == "postgresql+psycopg://u:p@db.school/hwr"
    monkeypatch.setenv(settings.DB_URL_ENV, "sqlite:////tmp/x.sqlite3")
    assert storage.database_url(secrets) == "sqlite:////tmp/x.sqlite3"


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "oracle://h/db", "not a url",
                                 "mongodb://h/db"])
def test_an_unsupported_database_is_one_sentence(url):
    with pytest.raises(UnsupportedDatabase) as refused:
        storage.create(url)
    message = str(refused.value)
    assert "SQLite or PostgreSQL" in message or "not a valid URL" in message
    assert "\n" not in message and "p@h" not in message


def test_an_unsupported_database_stops_the_app_with_one_sentence(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "from hwr.class_data.storage import exit_if_unsupported; "
                               "exit_if_unsupported()"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={"HWR_DB_URL": "mysql://teacher:secret@db/hwr", "PATH": "/usr/bin:/bin",
             "HOME": str(tmp_path)})
    assert run.returncode != 0
    assert "SQLite or PostgreSQL, not mysql" in run.stderr
    assert "Traceback" not in run.stderr and "secret" not in run.stderr


def test_a_database_that_does_not_answer_names_its_host_not_its_password():
    url = f"postgresql+psycopg://teacher:hunter2@127.0.0.1:{free_port()}/hwr"
    with pytest.raises(StorageUnavailable) as down:
        ClassCollection(url)
    assert down.value.host == f"127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}"
    assert "hunter2" not in str(down.value) and "does not answer" in str(down.value)


@pytest.mark.slow
def test_a_wrong_password_is_unavailable_not_a_crash(postgres_server):
    from tests.support.postgres import create_database

    url = create_database(postgres_server)
    with ClassCollection(url).engine.begin() as conn:
        conn.execute(text("CREATE ROLE teacher LOGIN PASSWORD 'right'"))
    # the throwaway server trusts loopback, so a wrong password still gets in there;
    # a role that does not exist is refused the same way a wrong password is
    wrong = url.replace("postgres@", "nobody:wrong@")
    with pytest.raises(StorageUnavailable) as down:
        ClassCollection(wrong)
    assert "wrong" not in str(down.value)


def test_every_migration_runs_on_an_empty_database(db_url):
    ClassCollection(db_url)
    with ClassCollection(db_url).engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert {"samples", "classes", "drawings", "model_versions", "settings",
            "class_students", "rounds", "round_entries"} <= tables
    assert version == storage.HEAD


def test_head_names_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == storage.HEAD


def test_a_collection_of_the_previous_version_is_upgraded_with_nothing_lost(tmp_path):
    """The schema the app wrote before migrations existed (classes and the wall, no
    alembic_version), with a class, samples and wall drawings in it."""
    path = tmp_path / "class_digits.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL,
                label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
                predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 9),
                probabilities TEXT NOT NULL, model_input BLOB NOT NULL, drawing_png BLOB,
                class_id INTEGER);
            CREATE TABLE classes (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
                started TEXT NOT NULL, ended TEXT);
            CREATE TABLE drawings (id INTEGER PRIMARY KEY AUTOINCREMENT,
                class_id INTEGER NOT NULL REFERENCES classes (id), student TEXT NOT NULL,
                drawing INTEGER NOT NULL, nickname TEXT NOT NULL DEFAULT '',
                created REAL NOT NULL, updated REAL NOT NULL, predicted INTEGER NOT NULL,
                not_a_digit INTEGER NOT NULL DEFAULT 0, confidence REAL NOT NULL,
                label INTEGER, model_input BLOB NOT NULL, UNIQUE (class_id, student, drawing));
            INSERT INTO classes (name, started) VALUES ('7B', '2026-11-25T09:00:00+00:00');
        """)
        conn.execute("INSERT INTO samples (created, label, predicted, probabilities, "
                     "model_input, class_id) VALUES ('2026-11-25', 4, 9, ?, ?, 1)",
                     (str([0.1] * 10), image().tobytes()))
        conn.execute("INSERT INTO drawings (class_id, student, drawing, created, updated, "
                     "predicted, confidence, model_input) VALUES (1, 's1', 1, 1.0, 1.0, 4, "
                     "0.9, ?)", (np.zeros(784, np.uint8).tobytes(),))
    db = ClassCollection(path)
    assert db.current_class().name == "7B"
    assert db.samples(1).labels.tolist() == [4] and db.samples(1).predicted.tolist() == [9]
    assert db.samples(1).students == (None,)
    assert len(db.wall(1)) == 1
    db.add(image(), 5, np.eye(10)[5], class_id=1, student="s2")  # and it goes on
    assert db.samples(1).students == (None, "s2")
    reopened = ClassCollection(path)  # a second opening changes nothing
    assert reopened.count() == 2


def test_the_oldest_collection_without_classes_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE samples (id INTEGER PRIMARY KEY AUTOINCREMENT, created "
                     "TEXT NOT NULL, label INTEGER NOT NULL, predicted INTEGER NOT NULL, "
                     "probabilities TEXT NOT NULL, model_input BLOB NOT NULL, drawing_png BLOB)")
        conn.execute("INSERT INTO samples (created, label, predicted, probabilities, "
                     "model_input) VALUES ('2026-01-01', 4, 4, ?, ?)",
                     (str([0.1] * 10), image().tobytes()))
    db = ClassCollection(path)
    assert db.count() == 1 and db.count(NO_CLASS) == 1
    assert db.samples().labels.tolist() == [4]


def test_a_database_of_0002_gains_the_lesson_with_nothing_hidden(db_url):
    """A class database written before the lesson (0002): its drawings stay on the wall
    and its samples in the class's data after the upgrade to 0003."""
    from alembic import command
    from alembic.config import Config

    engine = storage.create(db_url)
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(text("INSERT INTO classes (name, started) VALUES ('7B', 'x')"))
        connection.execute(text(
            "INSERT INTO samples (created, label, predicted, probabilities, model_input, "
            "class_id, student) VALUES ('x', 4, 9, :p, :m, 1, 's1')"),
            {"p": str([0.1] * 10), "m": image().tobytes()})
        connection.execute(text(
            "INSERT INTO drawings (class_id, student, drawing, created, updated, predicted,"
            " confidence, model_input) VALUES (1, 's1', 1, 1.0, 1.0, 4, 0.9, :m)"),
            {"m": np.zeros(784, np.uint8).tobytes()})
    engine.dispose()
    db = ClassCollection(db_url)
    assert db.count(1) == 1 and len(db.wall(1)) == 1
    assert db.settings(1).approve_first is False and db.rounds(1) == []


def test_a_new_sqlite_file_is_upgraded_by_one_process_at_a_time(tmp_path):
    """A server and a script (or two servers) opening a new file at once: the second
    waits for the first's upgrade rather than taking its half-made tables for a file
    from before migrations (which left the file unusable)."""
    import fcntl
    import subprocess
    import sys
    import time

    from tests.support.files import REPO

    path = tmp_path / "class.sqlite3"
    opener = ("import sys; from hwr.class_data.collection import ClassCollection; "
              "print(ClassCollection(sys.argv[1]).current_class())")
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is upgrading it
        other = subprocess.Popen([sys.executable, "-c", opener, str(path)], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(3.0)
        assert other.poll() is None  # it waits its turn
        with sqlite3.connect(path) as db:  # nothing made meanwhile
            assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
        fcntl.flock(lock, fcntl.LOCK_UN)
    out, err = other.communicate(timeout=60)
    assert other.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip() == "None"  # upgraded: a class database with no class
