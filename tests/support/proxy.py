"""A school's server as deployed, for tests and benchmarks: ``deploy/school.sh`` (app
servers behind Debian's HAProxy, with deploy/haproxy.cfg), on loopback ports only.

``school_server`` runs the script in the foreground as an admin would, reads which app
server runs where from its output, and asks HAProxy's stats socket which servers are in
rotation. ``self_signed`` makes the school's certificate for a test with ``openssl``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.browser import REPO, free_port

SCHOOL_SH = REPO / "deploy" / "school.sh"
UP = 2  # HAProxy's srv_op_state for a server in rotation
STEADY = 8.0  # s the app servers stay in rotation before a test uses the school


def haproxy_path() -> str | None:
    return os.environ.get("HWR_HAPROXY") or shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


def self_signed(folder: Path) -> Path:
    """A certificate and key for 127.0.0.1 in one PEM file (HAProxy's ``crt``)."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    both = folder / "school.pem"
    both.write_bytes(cert.read_bytes() + key.read_bytes())
    return both


@dataclass
class School:
    """A running ``school.sh``: its URL, run folder and app servers."""

    url: str
    run_dir: Path
    ports: dict[str, int]
    process: subprocess.Popen
    cert: Path | None = None
    pids: dict[str, int] = field(default_factory=dict)  # the latest pid of each app server
    output: list[str] = field(default_factory=list)

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.cert is None:
            return None
        return ssl.create_default_context(cafile=str(self.cert))

    def command(self, line: str) -> str:
        """One command to HAProxy's stats socket (its runtime API)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.run_dir / "haproxy.sock"))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, int]:
        """Each app server's state in HAProxy (2: in rotation)."""
        states = {}
        for line in self.command("show servers state app").splitlines():
            parts = line.split()
            if len(parts) > 5 and parts[1] == "app":
                states[parts[3]] = int(parts[5])
        return states

    def sessions(self) -> dict[str, int]:
        """Each app server's open connections through the proxy (websockets, mostly)."""
        counts = {}
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("pxname") == "app" and row.get("svname", "").startswith("app"):
                counts[row["svname"]] = int(row["scur"] or 0)
        return counts

    def wait_states(self, want: dict[str, bool], timeout: float = 60.0) -> float:
        """Wait until each named server is in (True) or out of (False) rotation; returns
        the seconds it took."""
        start = time.monotonic()
        while True:
            states = self.states()
            if all((states.get(name) == UP) == up for name, up in want.items()):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"servers {states}, wanted {want}")
            time.sleep(0.05)

    def wait_steady(self, want: dict[str, bool], steady: float = STEADY,
                    timeout: float = 60.0) -> None:
        """Wait until the servers are as wanted and stay so for ``steady`` seconds: a new
        app server imports TensorFlow for its model in the background, and on a busy
        machine its health checks can fail for a moment after its first success."""
        start = time.monotonic()
        while True:
            self.wait_states(want, timeout=max(1.0, timeout - (time.monotonic() - start)))
            since = time.monotonic()
            while time.monotonic() - since < steady:
                states = self.states()
                if not all((states.get(name) == UP) == up for name, up in want.items()):
                    break
                time.sleep(0.2)
            else:
                return
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"servers never steady {want}")

    def get(self, path: str = "/", cookie: str | None = None, timeout: float = 10.0):
        """One HTTP request through the proxy: (status, headers, body)."""
        request = urllib.request.Request(self.url + path)
        if cookie:
            request.add_header("Cookie", cookie)
        try:
            with urllib.request.urlopen(request, timeout=timeout,
                                        context=self.ssl_context()) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def kill(self, name: str) -> int:
        """``kill -9`` one app server (school.sh starts it again after its delay)."""
        pid = self.pids[name]
        os.kill(pid, signal.SIGKILL)
        return pid


def _read_output(school: School) -> None:
    for raw in school.process.stdout:
        line = raw.decode(errors="replace").rstrip()
        school.output.append(line)
        parts = line.split()
        # "hwr: app1 on 127.0.0.1:8501 pid 1234"
        if len(parts) == 6 and parts[0] == "hwr:" and parts[2] == "on" and parts[4] == "pid":
            school.pids[parts[1]] = int(parts[5])


@contextmanager
def school_server(servers: int = 2, env: dict | None = None, cert: Path | None = None,
                  restart_delay: float = 2.0, timeout: float = 180.0, wait_up: bool = True):
    """``deploy/school.sh --servers N`` on free loopback ports; yields a School once the
    proxy serves and (``wait_up``) every app server is in rotation. Stopped with TERM,
    as systemd or Ctrl-C would, and checked to leave no app server behind."""
    run_dir = Path(tempfile.mkdtemp(prefix="hwr-school-"))
    port = free_port()
    first = _free_run(servers)
    cmd = ["bash", str(SCHOOL_SH), "--servers", str(servers), "--port", str(port),
           "--first-port", str(first), "--run-dir", str(run_dir),
           "--restart-delay", str(restart_delay)]
    if cert:
        cmd += ["--cert", str(cert)]
    # The app servers run on this Python (CI's fresh venv is not the checkout's .venv).
    process = subprocess.Popen(cmd, cwd=REPO, env={"HWR_PYTHON": sys.executable,
                                                   **os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    school = School(f"{'https' if cert else 'http'}://127.0.0.1:{port}", run_dir,
                    {f"app{i + 1}": first + i for i in range(servers)}, process, cert)
    reader = threading.Thread(target=_read_output, args=(school,), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not (run_dir / "haproxy.sock").exists() or len(school.pids) < servers:
            if process.poll() is not None:
                raise RuntimeError("school.sh stopped:\n" + "\n".join(school.output))
            if time.monotonic() > deadline:
                raise TimeoutError("school.sh did not start:\n" + "\n".join(school.output))
            time.sleep(0.2)
        if wait_up:
            school.wait_steady({name: True for name in school.ports},
                               timeout=max(1.0, deadline - time.monotonic()))
        yield school
    finally:
        pids = dict(school.pids)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        reader.join(5)
        for pid in pids.values():  # school.sh must have stopped every app server
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"school.sh left app server {pid} running")
        shutil.rmtree(run_dir, ignore_errors=True)


def _free_run(count: int) -> int:
    """The first of ``count`` free consecutive loopback ports (school.sh numbers its app
    servers from one port on)."""
    for _ in range(50):
        first = free_port()
        if first + count > 65535:
            continue
        ok = True
        for port in range(first, first + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return first
    raise RuntimeError("no run of free ports")
