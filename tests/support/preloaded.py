"""App servers forked from a process that has already imported TensorFlow, Keras and
Streamlit: the browser tests start two dozen servers, and each spent ~6 of its ~8.5 s of
start-up CPU importing them again, the suite's largest single cost on two cores
(docs/development.md).

The preloading process imports only those libraries, never hwr (whose settings are read
at import) and runs no TensorFlow operation, so a fork of it is a server started afresh:
its own environment, working directory and log, hwr imported and the model loaded in
the child as ``streamlit run`` does (a PYTHONPATH of the test's, its
``sitecustomize.py`` included, taken as a fresh interpreter takes it). Run as
``python -m tests.support.preloaded``, it reads one JSON request per line on stdin
(argv, env, cwd, log) and answers each with the forked server's process id; it reaps
the servers that exited as it forks more, and stops those still running when its input
ends (the test process has ended).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# What every server imports before its first page: the slow part of its start.
PRELOAD = ("tensorflow", "keras", "streamlit.web.cli", "sklearn.metrics", "pandas",
           "altair", "matplotlib.pyplot", "sqlalchemy", "alembic")
REPO = Path(__file__).resolve().parents[2]
# What those libraries read from the environment as they are imported: a server whose
# environment sets one otherwise than the preloading process's is started afresh (the
# Class page test's own KERAS_HOME, where no MNIST copy is cached).
READ_AT_IMPORT = ("KERAS_HOME", "KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL",
                  "TF_ENABLE_ONEDNN_OPTS", "MPLBACKEND", "MPLCONFIGDIR")


class ForkedServer:
    """The test side's handle on a forked server: what ``subprocess.Popen`` offered."""

    def __init__(self, pid: int):
        self.pid = pid

    def poll(self) -> int | None:
        """None while it runs (an exited server stays a zombie until the preloading
        process reaps it)."""
        try:  # gone, or a zombie not yet reaped: exited either way
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return 1
        return 1 if state == "Z" else None

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout)
            time.sleep(0.05)
        return 1

    def _signal(self, sig: int) -> None:
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass


class _Preloader:
    """One preloading process per test process, started on first use; it stops the
    servers still running when this process ends (their parent: a pid it has not
    reaped is not given to another process meanwhile, as one this side kept could be)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None

    def start(self, argv: list[str], env: dict, cwd: Path, log: Path) -> ForkedServer:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "tests.support.preloaded"], cwd=REPO,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                    env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
                        "PYTHONPATH": str(REPO)})
                atexit.register(self.stop, self.proc)
            request = {"argv": argv, "env": env, "cwd": str(cwd), "log": str(log)}
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
            if not answer:
                raise RuntimeError("the preloading process for app servers exited")
            return ForkedServer(json.loads(answer)["pid"])

    @staticmethod
    def stop(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.stdin.close()  # it stops its servers still running, then itself
            proc.wait(30)


PRELOADER = _Preloader()


def preloadable(env: dict) -> bool:
    """Whether a server with this environment can be forked from the preloading process
    (started with this process's environment)."""
    return all(env.get(name) == os.environ.get(name) for name in READ_AT_IMPORT)


def start_server(argv: list[str], env: dict, cwd: Path, log: Path) -> ForkedServer:
    """``streamlit run`` with ``argv`` (what follows ``python -m streamlit``), forked
    from the preloading process, writing everything it says to ``log``."""
    return PRELOADER.start(argv, env, cwd, log)


def _child(request: dict) -> None:
    """In the fork: the request's environment, directory and log, then Streamlit's
    command line, as ``python -m streamlit`` runs it. Never returns."""
    code = 1
    try:
        os.setpgid(0, 0)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own streams
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.argv = ["streamlit", *request["argv"]]
        _python_path(request["env"].get("PYTHONPATH", ""))
        from streamlit.web import cli

        cli.main(args=request["argv"], prog_name="streamlit")
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - told in the log, the process ends
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _python_path(python_path: str) -> None:
    """The request's PYTHONPATH, as a fresh interpreter would take it: its folders on
    sys.path, and the first ``sitecustomize.py`` among them run (the tests' way of
    changing a server from within: a model that waits for its cue, a short fine-tune)."""
    import runpy

    folders = [f for f in python_path.split(os.pathsep) if f and f not in sys.path]
    sys.path[1:1] = folders
    for folder in folders:
        if (Path(folder) / "sitecustomize.py").exists():
            runpy.run_path(str(Path(folder) / "sitecustomize.py"), run_name="sitecustomize")
            break


def _reap(children: set[int]) -> None:
    """Forget the servers that have exited (reaped: their pids free again)."""
    for pid in list(children):
        try:
            done = os.waitpid(pid, os.WNOHANG)[0]
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def main() -> None:
    for name in PRELOAD:
        __import__(name)
    children: set[int] = set()
    for line in sys.stdin:
        _reap(children)
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        children.add(pid)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()
    for pid in children:  # the test process has ended: the servers it left running
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
