"""A throwaway PostgreSQL server for tests and benchmarks, from Debian's ``postgresql``
package (``initdb`` and ``pg_ctl`` under ``/usr/lib/postgresql/*/bin``).

It listens on a free loopback port (and a socket in its own folder), trusts local
connections, and is deleted when done. PostgreSQL refuses to run as root, so as root it
runs as the package's ``postgres`` user (``runuser``), in a folder that user owns;
pytest-postgresql's fixtures start ``pg_ctl`` as the current user, which fails there.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from tests.support.browser import free_port

PG_BIN_ENV = "HWR_PG_BIN"


def postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: $HWR_PG_BIN, else the newest Debian one."""
    if os.environ.get(PG_BIN_ENV):
        return Path(os.environ[PG_BIN_ENV])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def throwaway_postgres():
    """Start a server; yields the SQLAlchemy URL of an empty database ``hwr``."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="hwr-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    base.chmod(0o700)
    port = free_port()
    run = _as_postgres()
    data, log = base / "data", base / "server.log"
    try:
        subprocess.run([*run, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                        "-U", "postgres", "-E", "UTF8", "--no-sync"], check=True,
                       capture_output=True, timeout=120)
        options = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=200")
        subprocess.run([*run, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                        "-l", str(log), "-w", "-t", "60", "start"], check=True,
                       capture_output=True, timeout=90)
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        create_database(url, "hwr")
        yield f"{url}/hwr"
    finally:
        subprocess.run([*run, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def create_database(server_url: str, name: str | None = None) -> str:
    """A new empty database on the server; returns its URL."""
    import psycopg

    name = name or f"t_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"
