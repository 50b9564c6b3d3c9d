"""hwr.settings: every setting read, checked and described in one place."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from hwr import settings
from hwr.class_data import locks, model_store, storage
from hwr.settings import SettingError
from tests.support.files import REPO

# modules that still read a setting themselves, until they ask hwr.settings (issue 39)
APP_SECRETS = settings._app_secrets  # the real reader (the fixture replaces it)


@pytest.fixture(autouse=True)
def secrets(monkeypatch) -> dict:
    """The app's .streamlit/secrets.toml, as the test writes it (empty: none), and an
    environment that sets no setting (the class database's file aside)."""
    given: dict = {}
    monkeypatch.setattr(settings, "_app_secrets", lambda: (given, None))
    for setting in settings.SETTINGS:
        if setting.env != settings.CLASS_DB_ENV:
            monkeypatch.delenv(setting.env, raising=False)
    return given


def refusal(env: str, secrets=None) -> str:
    with pytest.raises(SettingError) as refused:
        settings.value(env, secrets)
    return str(refused.value)


def test_the_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.CLASS_DB_ENV)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert settings.teacher_passcode() == ""
    assert settings.public_url() == ""
    db = tmp_path / ".hwr" / "class_digits.sqlite3"
    assert settings.class_db() == db and settings.database_url() == f"sqlite:///{db}"
    assert settings.state_dir() == tmp_path / ".hwr"
    assert settings.model_cache() == tmp_path / ".hwr" / "models"
    assert settings.class_max_drawings() == 5_000
    assert settings.retention_days() == 30
    assert settings.lock_stale_seconds() == 30.0
    assert settings.data_dir() is None
    from hwr.reading.recognizer import DEFAULT_MODEL_DIR

    assert settings.model_dir() == settings.SHIPPED_MODEL_DIR == DEFAULT_MODEL_DIR
    assert settings.problems() == []
    settings.check()


def test_the_environment_wins_over_the_secrets_file(monkeypatch, secrets):
    secrets.update({"teacher_passcode": "from-file", "retention_days": 7,
                    "connections": {"hwr": {"url": "postgresql+psycopg://u:p@db/hwr"}}})
    assert settings.teacher_passcode() == "from-file"
    assert settings.retention_days() == 7
    assert settings.database_url() == "postgresql+psycopg://u:p@db/hwr"
    monkeypatch.setenv(settings.PASSCODE_ENV, "from-env")
    monkeypatch.setenv(settings.RETENTION_ENV, "9")
    monkeypatch.setenv(settings.DB_URL_ENV, " sqlite:////tmp/x.sqlite3 ")
    assert settings.teacher_passcode() == "from-env"
    assert settings.retention_days() == 9
    assert settings.database_url() == "sqlite:////tmp/x.sqlite3"
    monkeypatch.setenv(settings.RETENTION_ENV, "")  # empty: unset
    assert settings.retention_days() == 7


def test_the_secrets_are_read_only_without_the_environment(monkeypatch):
    asked = []

    def given() -> dict:
        asked.append(1)
        return {"connections": {"hwr": {"url": "postgresql+psycopg://u:p@db/hwr"}}}

    monkeypatch.setenv(settings.DB_URL_ENV, "sqlite:////tmp/x.sqlite3")
    assert storage.database_url(given) == "sqlite:////tmp/x.sqlite3" and asked == []
    monkeypatch.delenv(settings.DB_URL_ENV)
    assert storage.database_url(given) == "postgresql+psycopg://u:p@db/hwr" and asked == [1]


def test_the_secrets_file_is_read_at_most_every_few_seconds(monkeypatch):
    """Streamlit looks for its secrets files at each read: hwr.settings asks at most
    every SECRETS_SECONDS, and at once when Streamlit's secrets object is another."""
    import streamlit as st

    monkeypatch.setattr(settings, "_app_secrets", APP_SECRETS)
    reads = []
    given = {"connections": {"hwr": {"url": "postgresql+psycopg://u:p@db/hwr"}}}
    monkeypatch.setattr(type(st.secrets), "to_dict", lambda self: reads.append(1) or given)
    clock = [1000.0]
    monkeypatch.setattr(settings.time, "monotonic", lambda: clock[0])
    settings.forget_secrets()
    try:
        for _ in range(5):
            assert settings.database_url() == "postgresql+psycopg://u:p@db/hwr"
        assert len(reads) == 1
        clock[0] += settings.SECRETS_SECONDS + 0.1
        given["connections"]["hwr"]["url"] = "postgresql+psycopg://u:p@db2/hwr"
        assert settings.database_url() == "postgresql+psycopg://u:p@db2/hwr"
        assert len(reads) == 2
        monkeypatch.setattr(st, "secrets", type(st.secrets)())  # as AppTest does
        settings.database_url()
        assert len(reads) == 3
    finally:
        settings.forget_secrets()


@pytest.mark.parametrize("text, days", [("0", 0), ("30", 30), ("3650", 3650),
                                        (" 7 ", 7), ("never", None), ("NEVER", None)])
def test_retention_days(monkeypatch, text, days):
    monkeypatch.setenv(settings.RETENTION_ENV, text)
    assert settings.retention_days() == days


@pytest.mark.parametrize("text", ["-1", "abc", "1e9", "3651", "7.5", "30 days", "٣"])
def test_retention_days_refused(monkeypatch, text):
    monkeypatch.setenv(settings.RETENTION_ENV, text)
    assert refusal(settings.RETENTION_ENV) == (
        f"HWR_RETENTION_DAYS is {text!r}: give a whole number of days from 0 to 3650, "
        "or never.")


def test_retention_days_in_the_secrets_file(secrets):
    secrets["retention_days"] = "Never"
    assert settings.retention_days() is None
    secrets["retention_days"] = 0
    assert settings.retention_days() == 0
    secrets["retention_days"] = -1
    assert refusal(settings.RETENTION_ENV) == (
        "retention_days in .streamlit/secrets.toml is '-1': give a whole number of days "
        "from 0 to 3650, or never.")
    secrets["retention_days"] = {"days": 3}
    assert "is a table or a list" in refusal(settings.RETENTION_ENV)


@pytest.mark.parametrize("text", ["-5", "0", "4", "3601", "nan", "inf", "1e3", "thirty"])
def test_lock_stale_seconds_refused(monkeypatch, text):
    monkeypatch.setenv(settings.LOCK_STALE_ENV, text)
    assert refusal(settings.LOCK_STALE_ENV) == (
        f"HWR_LOCK_STALE_SECONDS is {text!r}: give a number of seconds from 5 to 3600.")


def test_lock_stale_seconds(monkeypatch):
    monkeypatch.setenv(settings.LOCK_STALE_ENV, "12.5")
    assert locks.stale_seconds() == 12.5
    # a holder beats every HEARTBEAT_SECONDS: a shorter stale time would take live locks
    assert settings.LOCK_STALE_RANGE[0] >= 2 * locks.HEARTBEAT_SECONDS


@pytest.mark.parametrize("text", ["0", "-3", "5k", "1000001"])
def test_max_drawings_refused(monkeypatch, text):
    monkeypatch.setenv(settings.MAX_DRAWINGS_ENV, text)
    assert refusal(settings.MAX_DRAWINGS_ENV) == (
        f"HWR_CLASS_MAX_DRAWINGS is {text!r}: give a whole number from 1 to 1,000,000.")


@pytest.mark.parametrize("url, says", [
    ("not a url", "HWR_DB_URL is not a database address"),
    ("mysql://teacher:secret@db/hwr", "HWR_DB_URL names mysql, and hwr stores class data "
                                      "in SQLite or PostgreSQL, not mysql"),
    ("sqlite://", "HWR_DB_URL names no SQLite file"),
])
def test_a_bad_database_address_is_refused_without_its_password(monkeypatch, url, says):
    monkeypatch.setenv(settings.DB_URL_ENV, url)
    sentence = refusal(settings.DB_URL_ENV)
    assert sentence.startswith(says) and "secret" not in sentence
    assert sentence.endswith(": give sqlite:///path/to/file or "
                             "postgresql+psycopg://user:password@host/database.")


def test_a_bad_database_address_in_the_secrets_file_says_where(secrets):
    secrets["connections"] = {"hwr": {"url": "oracle://scott:tiger@db/hwr"}}
    sentence = refusal(settings.DB_URL_ENV)
    assert sentence.startswith("url under [connections.hwr] in .streamlit/secrets.toml "
                               "names oracle") and "tiger" not in sentence


@pytest.mark.parametrize("url", ["school.example", "ftp://school.example/", "https://",
                                 "http://school.example:99999/", "https://school .example/",
                                 "/hwr"])
def test_a_public_address_that_is_not_one_is_refused(monkeypatch, url):
    monkeypatch.setenv(settings.PUBLIC_URL_ENV, url)
    assert refusal(settings.PUBLIC_URL_ENV) == (
        f"HWR_PUBLIC_URL is {url!r}: give the address students open, an http:// or "
        "https:// URL with a host (https://hwr.school.example).")


def test_a_public_address(monkeypatch):
    monkeypatch.setenv(settings.PUBLIC_URL_ENV, " https://hwr.school.example/class ")
    assert settings.public_url() == "https://hwr.school.example/class"
    monkeypatch.setenv(settings.PUBLIC_URL_ENV, "http://192.168.1.20:8501/")
    assert settings.public_url() == "http://192.168.1.20:8501/"


def test_a_passcode_too_long_to_type_is_refused_without_repeating_it(monkeypatch):
    monkeypatch.setenv(settings.PASSCODE_ENV, " two words ")
    assert settings.teacher_passcode() == " two words "  # as given
    monkeypatch.setenv(settings.PASSCODE_ENV, "x" * 201)
    sentence = refusal(settings.PASSCODE_ENV)
    assert sentence == ("HWR_TEACHER_PASSCODE is 201 characters long: give a passcode of "
                        "at most 200 characters (the unlock form takes no more).")


def test_paths(monkeypatch, tmp_path):
    monkeypatch.setenv(settings.MODEL_DIR_ENV, str(tmp_path / "not yet"))
    assert model_store.original_model_dir() == tmp_path / "not yet"  # handled where used
    monkeypatch.setenv(settings.MODEL_CACHE_ENV, str(tmp_path / "cache"))
    assert model_store.default_cache() == tmp_path / "cache"
    monkeypatch.setenv(settings.DATA_DIR_ENV, str(tmp_path))
    assert settings.data_dir() == tmp_path
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(settings.MODEL_DIR_ENV, str(tmp_path / "a-file"))
    assert refusal(settings.MODEL_DIR_ENV).startswith("HWR_MODEL_DIR is '")
    assert "which is not a folder: give the folder of a model" in refusal(
        settings.MODEL_DIR_ENV)
    monkeypatch.setenv(settings.CLASS_DB_ENV, str(tmp_path))
    assert "which is not a file: give the path of a SQLite file." in refusal(
        settings.CLASS_DB_ENV)
    # the settings whose defaults follow it are refused with it, not replaced
    assert refusal(settings.DB_URL_ENV).startswith("HWR_CLASS_DB is ")


def test_check_names_each_refused_setting_in_one_sentence(monkeypatch):
    monkeypatch.setenv(settings.RETENTION_ENV, "abc")
    monkeypatch.setenv(settings.LOCK_STALE_ENV, "-1")
    found = settings.problems()
    assert found == [
        "HWR_RETENTION_DAYS is 'abc': give a whole number of days from 0 to 3650, or "
        "never.",
        "HWR_LOCK_STALE_SECONDS is '-1': give a number of seconds from 5 to 3600."]
    with pytest.raises(SettingError, match="^HWR_RETENTION_DAYS is 'abc'"):
        settings.check()


def test_an_unreadable_secrets_file_is_refused(monkeypatch):
    from streamlit.errors import StreamlitSecretNotFoundError

    monkeypatch.setattr(settings, "_app_secrets", lambda: ({}, "Expected '=' (line 3)"))
    assert settings.problems() == [
        ".streamlit/secrets.toml cannot be read (Expected '=' (line 3)): fix it, or "
        "remove it and set the environment instead."]
    import streamlit as st

    def unreadable(self):
        raise StreamlitSecretNotFoundError("Error parsing secrets file at {path}: {error}",
                                           path="x.toml", error="Expected '='",
                                           error_id="failed-parsing-secrets-file")

    def missing(self):
        raise StreamlitSecretNotFoundError("No secrets found. Valid paths: {p}", p="x",
                                           error_id="no-secrets-found")

    monkeypatch.setattr(settings, "_app_secrets", APP_SECRETS)
    try:
        monkeypatch.setattr(type(st.secrets), "to_dict", unreadable)
        settings.forget_secrets()
        assert settings._app_secrets() == (
            {}, "Error parsing secrets file at x.toml: Expected '='")
        monkeypatch.setattr(type(st.secrets), "to_dict", missing)
        settings.forget_secrets()
        assert settings._app_secrets() == ({}, None)
        assert settings.problems() == []
    finally:
        settings.forget_secrets()


def test_the_server_starts_only_with_settings_it_can_use(tmp_path):
    """`python -m hwr.settings --check` runs the check streamlit_app.py runs at start-up:
    one sentence on stderr and a non-zero exit status for a bad value."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HWR_RETENTION_DAYS": "abc"}
    run = subprocess.run([sys.executable, "-m", "hwr.settings", "--check"], cwd=REPO,
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 1
    assert run.stderr == ("hwr: HWR_RETENTION_DAYS is 'abc': give a whole number of days "
                          "from 0 to 3650, or never.\n")
    env["HWR_RETENTION_DAYS"] = "never"
    run = subprocess.run([sys.executable, "-m", "hwr.settings", "--check"], cwd=REPO,
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0 and run.stderr == ""


def test_streamlit_app_checks_the_settings_before_anything_else():
    tree = ast.parse((REPO / "streamlit_app.py").read_text())
    calls = [ast.unparse(node.value.func) for node in tree.body
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]
    assert calls[0] == "settings.exit_if_invalid"


def test_the_docs_table_is_the_one_settings_makes():
    from tests.support.files import load_script

    table = load_script("settings_table")
    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert table.documented(text) == settings.markdown_table(), (
        "run python scripts/settings_table.py --write")


def test_the_table_is_well_formed():
    envs = [s.env for s in settings.SETTINGS]
    assert len(set(envs)) == len(envs) and all(e.startswith("HWR_") for e in envs)
    for s in settings.SETTINGS:
        assert s.about and s.default_doc and "|" not in s.about + s.default_doc
        assert s.expected.startswith("give ") and not s.expected.endswith(".")
    assert settings.BY_ENV[settings.RETENTION_ENV].secret == ("retention_days",)


def test_only_hwr_settings_reads_the_environment_and_the_secrets():
    """Every setting is read in hwr/settings.py, and nowhere else in hwr/."""
    readers = set()
    for path in (REPO / "hwr").rglob("*.py"):
        if path.name != "settings.py" and re.search(
                r"os\.environ|os\.getenv|st\.secrets", path.read_text(encoding="utf-8")):
            readers.add(str(path.relative_to(REPO)))
    assert readers == set(), sorted(readers)
