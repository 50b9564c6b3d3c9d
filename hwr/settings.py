"""Every setting of an hwr server, read, checked and described in one place.

A setting comes from its environment variable, else (for a few) from
``.streamlit/secrets.toml``, else its default: an empty value counts as unset. Each is
read when it is asked for, so a test's ``monkeypatch.setenv`` applies at once; the
secrets file is read at most every ``SECRETS_SECONDS`` (Streamlit looks for its files at
each read, and a stroke asks for the database's address several times).

A value hwr cannot use is refused, never replaced by the default: ``check()`` names the
first one in one sentence, and the server does not start with one
(``streamlit_app.py`` calls ``exit_if_invalid()``, as ``python -m hwr.settings --check``
does). An accessor asked for a refused value raises ``SettingError`` with that sentence.

``python -m hwr.settings --markdown`` prints the table of docs/deploy.md
(``scripts/settings_table.py`` writes it there; a test keeps the two equal).
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PASSCODE_ENV = "HWR_TEACHER_PASSCODE"
PUBLIC_URL_ENV = "HWR_PUBLIC_URL"
DB_URL_ENV = "HWR_DB_URL"
CLASS_DB_ENV = "HWR_CLASS_DB"
MAX_DRAWINGS_ENV = "HWR_CLASS_MAX_DRAWINGS"
RETENTION_ENV = "HWR_RETENTION_DAYS"
LOCK_STALE_ENV = "HWR_LOCK_STALE_SECONDS"
MODEL_DIR_ENV = "HWR_MODEL_DIR"
MODEL_CACHE_ENV = "HWR_MODEL_CACHE"
DATA_DIR_ENV = "HWR_DATA_DIR"

SECRETS_FILE = ".streamlit/secrets.toml"
SECRETS_SECONDS = 5.0  # a changed secrets file is read within this
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"
SUPPORTED_DATABASES = ("sqlite", "postgresql")
PASSCODE_MAX_CHARS = 200  # the unlock form takes no more (a longer one could never open)
DEFAULT_MAX_DRAWINGS = 5_000  # per class, on its wall
MAX_DRAWINGS_LIMIT = 1_000_000
DEFAULT_RETENTION_DAYS = 30
RETENTION_LIMIT_DAYS = 3650  # ten years; "never" keeps a class's data for ever
DEFAULT_LOCK_STALE_SECONDS = 30.0
LOCK_STALE_RANGE = (5.0, 3600.0)  # at least twice a lock holder's 2-second heartbeat
SHOWN_CHARS = 60  # a refused value is repeated up to this length


class SettingError(ValueError):
    """A setting's value hwr cannot use: its message is one sentence naming it."""


class Invalid(ValueError):
    """Raised by a parser. ``what`` replaces "is '<value>'" in the sentence (a value that
    must not be repeated, or a reason that says more than the value)."""

    def __init__(self, what: str | None = None):
        super().__init__(what or "")
        self.what = what


@dataclass(frozen=True)
class Setting:
    env: str  # the environment variable
    about: str  # what it is for, one line (docs/deploy.md's table)
    default_doc: str  # the default, in the docs' words
    default: Callable[[], Any]  # the default's value, computed when asked for
    parse: Callable[[str], Any]  # the text to its value; raises Invalid
    expected: str  # what a good value is: ends the sentence that refuses one
    secret: tuple[str, ...] = ()  # where in .streamlit/secrets.toml, if anywhere
    sensitive: bool = False  # a password or passcode: its value is never repeated

    @property
    def secret_doc(self) -> str:
        """``teacher_passcode``; ``url`` under ``[connections.hwr]``."""
        if not self.secret:
            return ""
        if len(self.secret) == 1:
            return f"`{self.secret[0]}`"
        return f"`{self.secret[-1]}` under `[{'.'.join(self.secret[:-1])}]`"


# --- parsers ---------------------------------------------------------------------------

_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        text = text.strip()
        if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
            raise Invalid
        return int(text)
    return parse


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        text = text.strip()
        if not _DECIMAL.fullmatch(text):
            raise Invalid
        value = float(text)
        if not (math.isfinite(value) and low <= value <= high):
            raise Invalid
        return value
    return parse


def _retention(text: str) -> int | None:
    """Days, or None for "never"."""
    if text.strip().lower() == "never":
        return None
    return _whole(0, RETENTION_LIMIT_DAYS)(text)


def _passcode(text: str) -> str:
    if len(text) > PASSCODE_MAX_CHARS:
        raise Invalid(f"is {len(text)} characters long")
    return text  # as given: a passcode's spaces are part of it


def _public_url(text: str) -> str:
    text = text.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise Invalid from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(
            c.isspace() for c in text):
        raise Invalid
    return text


def _database_url(text: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = text.strip()
    try:
        url = make_url(text)
        backend = url.get_backend_name()
    except (ArgumentError, ValueError):
        raise Invalid("is not a database address") from None
    if backend not in SUPPORTED_DATABASES:
        raise Invalid(f"names {backend}, and hwr stores class data in SQLite or "
                      f"PostgreSQL, not {backend}")
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise Invalid("names no SQLite file (a database in memory is lost at once)")
    return text


def _path(kind: str) -> Callable[[str], Path]:
    """A path; one that exists must be a ``kind`` ("file" or "folder"). One that does
    not exist yet is taken: it is made, or missing is handled, where it is used."""
    def parse(text: str) -> Path:
        path = Path(text.strip())
        if path.exists() and path.is_dir() != (kind == "folder"):
            raise Invalid(f"is {_shown(text)}, which is not a {kind}")
        return path
    return parse


# --- defaults that depend on other settings -----------------------------------------------

def _default_class_db() -> Path:
    return Path.home() / ".hwr" / "class_digits.sqlite3"


def _default_database_url() -> str:
    return f"sqlite:///{class_db()}"


def _default_model_cache() -> Path:
    return state_dir() / "models"


# --- the table ---------------------------------------------------------------------------

SETTINGS: tuple[Setting, ...] = (
    Setting(PASSCODE_ENV, secret=("teacher_passcode",), sensitive=True,
            about=f"the teacher's passcode, at most {PASSCODE_MAX_CHARS} characters "
                  "([classroom.md](classroom.md#the-teacher))",
            default_doc="none: only a browser on the server's own machine is the teacher's",
            default=lambda: "", parse=_passcode,
            expected=f"give a passcode of at most {PASSCODE_MAX_CHARS} characters (the "
                     "unlock form takes no more)"),
    Setting(PUBLIC_URL_ENV,
            about="the address students open, behind a proxy or on a hosting service "
                  "(`https://...`, shown under the Teach page's QR code)",
            default_doc="the teacher's own address, `localhost` replaced by this "
                        "machine's network address",
            default=lambda: "", parse=_public_url,
            expected="give the address students open, an http:// or https:// URL with "
                     "a host (https://hwr.school.example)"),
    Setting(DB_URL_ENV, secret=("connections", "hwr", "url"), sensitive=True,
            about="the class database: SQLite or PostgreSQL "
                  "([below](#the-class-database))",
            default_doc=f"the SQLite file `{CLASS_DB_ENV}`",
            default=_default_database_url, parse=_database_url,
            expected="give sqlite:///path/to/file or "
                     "postgresql+psycopg://user:password@host/database"),
    Setting(CLASS_DB_ENV,
            about="the SQLite file when no database address is set; its folder holds "
                  "this server's own files",
            default_doc="`~/.hwr/class_digits.sqlite3`",
            default=_default_class_db, parse=_path("file"),
            expected="give the path of a SQLite file"),
    Setting(MAX_DRAWINGS_ENV,
            about=f"the most drawings a class holds (1 to {MAX_DRAWINGS_LIMIT:,})",
            default_doc=f"{DEFAULT_MAX_DRAWINGS:,}",
            default=lambda: DEFAULT_MAX_DRAWINGS,
            parse=_whole(1, MAX_DRAWINGS_LIMIT),
            expected=f"give a whole number from 1 to {MAX_DRAWINGS_LIMIT:,}"),
    Setting(RETENTION_ENV, secret=("retention_days",),
            about=f"how many days a class's data is kept after the class ends: 0 to "
                  f"{RETENTION_LIMIT_DAYS} (0: nothing is kept), or `never` (kept for "
                  "ever); each app server purges the expired classes at start-up and "
                  "hourly ([privacy.md](privacy.md))",
            default_doc=f"{DEFAULT_RETENTION_DAYS}",
            default=lambda: DEFAULT_RETENTION_DAYS, parse=_retention,
            expected=f"give a whole number of days from 0 to {RETENTION_LIMIT_DAYS}, "
                     "or never"),
    Setting(LOCK_STALE_ENV,
            about=f"seconds ({LOCK_STALE_RANGE[0]:g} to {LOCK_STALE_RANGE[1]:g}) "
                  "without a heartbeat after which a fine-tune's server counts as dead "
                  "and its lock is released",
            default_doc=f"{DEFAULT_LOCK_STALE_SECONDS:g}",
            default=lambda: DEFAULT_LOCK_STALE_SECONDS,
            parse=_seconds(*LOCK_STALE_RANGE),
            expected=f"give a number of seconds from {LOCK_STALE_RANGE[0]:g} to "
                     f"{LOCK_STALE_RANGE[1]:g}"),
    Setting(MODEL_DIR_ENV,
            about="the original model",
            default_doc="the shipped `hwr/models/default/`",
            default=lambda: SHIPPED_MODEL_DIR, parse=_path("folder"),
            expected="give the folder of a model (model.keras and its cards)"),
    Setting(MODEL_CACHE_ENV,
            about="where a server unpacks the class's models",
            default_doc="`models` next to `HWR_CLASS_DB` (`~/.hwr/models`)",
            default=_default_model_cache, parse=_path("folder"),
            expected="give a folder"),
    Setting(DATA_DIR_ENV,
            about="the MNIST files, for the Evaluation page's test images and for "
                  "training",
            default_doc="none: a fine-tune measures on the shipped check digits, "
                        "training downloads MNIST",
            default=lambda: None, parse=_path("folder"),
            expected="give the folder of the MNIST files"),
)
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS}

Secrets = Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None


# --- reading -----------------------------------------------------------------------------

_secrets_memory: list = [float("-inf"), None, {}, None]  # until, st.secrets, read, error


def _app_secrets() -> tuple[Mapping[str, Any], str | None]:
    """``st.secrets`` as a dict, and why it could not be read (None: it could, or there
    is no secrets file), read at most every SECRETS_SECONDS, and again at once when
    Streamlit's secrets object is another (a test's AppTest brings its own)."""
    import streamlit as st

    source, now = st.secrets, time.monotonic()
    until, seen, read, error = _secrets_memory
    if now < until and seen is source:
        return read, error
    try:
        read, error = source.to_dict(), None
    except Exception as e:  # noqa: BLE001 - no secrets file, or an unreadable one
        read = {}
        missing = getattr(e, "error_id", None) == "no-secrets-found" or str(
            e).startswith("No secrets found")
        error = None if missing else " ".join(str(e).split()) or type(e).__name__
    _secrets_memory[:] = [now + SECRETS_SECONDS, source, read, error]
    return read, error


def forget_secrets() -> None:
    """Read the secrets file again at the next question (tests)."""
    _secrets_memory[:] = [float("-inf"), None, {}, None]


def _from_secrets(path: tuple[str, ...], secrets: Secrets) -> Any:
    if secrets is None:
        secrets = _app_secrets()[0]
    elif callable(secrets):
        secrets = secrets()
    value: Any = secrets or {}
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def raw(setting: Setting, secrets: Secrets = None) -> tuple[str | None, str]:
    """The setting's text as given, and where: ``(None, "")`` when it is not set. The
    secrets are read only when the environment does not set it."""
    text = os.environ.get(setting.env, "")
    if text.strip():
        return text, setting.env
    if not setting.secret:
        return None, ""
    value = _from_secrets(setting.secret, secrets)
    where = (f"{setting.secret[0]} in {SECRETS_FILE}" if len(setting.secret) == 1 else
             f"{setting.secret[-1]} under [{'.'.join(setting.secret[:-1])}] in "
             f"{SECRETS_FILE}")
    if isinstance(value, Mapping | list | tuple):
        raise SettingError(f"{where} is a table or a list: {setting.expected}.")
    if value is None or not str(value).strip():
        return None, ""
    return str(value), where


def _shown(text: str) -> str:
    """A refused value as the sentence repeats it: quoted, and cut when long."""
    text = text.strip()
    return repr(text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "...")


def _sentence(setting: Setting, text: str, where: str, what: str | None) -> str:
    if what is None:
        what = "is not one hwr can use" if setting.sensitive else f"is {_shown(text)}"
    return f"{where} {what}: {setting.expected}."


def value(env: str, secrets: Secrets = None) -> Any:
    """The setting named by its environment variable, parsed; raises SettingError."""
    setting = BY_ENV[env]
    text, where = raw(setting, secrets)
    if text is None:
        return setting.default()
    try:
        return setting.parse(text)
    except Invalid as e:
        raise SettingError(_sentence(setting, text, where, e.what)) from None


def problems(secrets: Secrets = None) -> list[str]:
    """One sentence for each setting hwr cannot use (and for a secrets file it cannot
    read); empty when every setting is fine."""
    found = []
    if secrets is None:
        error = _app_secrets()[1]
        if error:
            found.append(f"{SECRETS_FILE} cannot be read ({error.rstrip('.')}): fix it, "
                         "or remove it and set the environment instead.")
    for setting in SETTINGS:
        try:
            value(setting.env, secrets)
        except SettingError as e:
            found.append(str(e))
    return found


def check(secrets: Secrets = None) -> None:
    """Raises SettingError naming the first setting hwr cannot use, in one sentence."""
    found = problems(secrets)
    if found:
        raise SettingError(found[0])


def exit_if_invalid() -> None:
    """At start-up: a setting hwr cannot use stops the server, one sentence per setting
    on stderr and a non-zero exit status (never a default in its place, nor a traceback
    on the first visitor's page)."""
    found = problems()
    if found:
        sys.exit("\n".join(f"hwr: {sentence}" for sentence in found))


# --- what the rest of hwr asks -----------------------------------------------------------

def teacher_passcode(secrets: Secrets = None) -> str:
    """The teacher's passcode; "" when none is set."""
    return value(PASSCODE_ENV, secrets)


def public_url() -> str:
    """The address students open; "" when none is set (the teacher's own address)."""
    return value(PUBLIC_URL_ENV)


def database_url(secrets: Secrets = None) -> str:
    """The class database: $HWR_DB_URL, else ``url`` under ``[connections.hwr]`` in the
    secrets (``secrets``, a dict or a function giving one, else the app's; read only
    without $HWR_DB_URL), else the SQLite file ``class_db()``."""
    return value(DB_URL_ENV, secrets)


def class_db() -> Path:
    """The SQLite file used when no database address is set."""
    return value(CLASS_DB_ENV)


def state_dir() -> Path:
    """Where this server keeps its own files (the default database, model caches)."""
    return class_db().parent


def class_max_drawings() -> int:
    return value(MAX_DRAWINGS_ENV)


def retention_days(secrets: Secrets = None) -> int | None:
    """Days a class's data is kept after the class ends; None: for ever."""
    return value(RETENTION_ENV, secrets)


def lock_stale_seconds() -> float:
    return value(LOCK_STALE_ENV)


def model_dir() -> Path:
    """The original model's folder."""
    return value(MODEL_DIR_ENV)


def model_cache() -> Path:
    """Where this server unpacks the class's models."""
    return value(MODEL_CACHE_ENV)


def data_dir() -> Path | None:
    """The MNIST files' folder; None when none is set."""
    return value(DATA_DIR_ENV)


# --- the docs' table ---------------------------------------------------------------------

def markdown_table() -> str:
    """docs/deploy.md's table of settings."""
    rows = ["| setting | in `.streamlit/secrets.toml` | default | what it is for |",
            "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        rows.append(f"| `{s.env}` | {s.secret_doc} | {s.default_doc} | {s.about} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m hwr.settings", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--check", action="store_true",
                      help="check every setting as the server does at start-up: one "
                           "sentence per refused one on stderr, exit status 1")
    what.add_argument("--markdown", action="store_true",
                      help="print the table of settings for docs/deploy.md")
    args = p.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown_table())
        return 0
    exit_if_invalid()
    print("hwr: every setting is fine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
