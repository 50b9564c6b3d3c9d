"""Helpers to drive the app in a real browser (Playwright + Debian's Chromium).

Shared by the end-to-end tests and the latency/classroom benchmark scripts: start a
Streamlit server on a free loopback port, launch Chromium, draw strokes with the mouse.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ENV = "HWR_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium refuses to run as root otherwise
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # loopback only
]
REPO = Path(__file__).resolve().parents[1]


def chromium_path() -> str | None:
    """$HWR_CHROMIUM, else Debian's /usr/bin/chromium, else whatever is on PATH."""
    candidates = [os.environ.get(CHROMIUM_ENV), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def chromium_or_exit() -> str:
    """For the benchmark scripts: the Chromium path, or exit with how to get one."""
    path = chromium_path()
    if path is None:
        sys.exit(f"No Chromium: apt-get install -y chromium (or set {CHROMIUM_ENV})")
    return path


@contextmanager
def chromium_browser(path: str):
    """A headless Chromium (Playwright's sync API) from the given binary."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str | Path = REPO / "streamlit_app.py", env: dict | None = None,
                     timeout: float = 90.0):
    """Run `streamlit run` headless on a free loopback port; yields the base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise TimeoutError(f"streamlit did not start on {url} in {timeout} s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def canvas_selector(key: str) -> str:
    return f".st-key-{key} canvas.upper-canvas"


def draw_strokes(page, key: str, strokes: list[list[tuple[float, float]]],
                 last_up=None) -> None:
    """Draw strokes (canvas pixel coordinates) with real mouse events.

    ``last_up`` is called just before the final mouse-up, to start a latency clock.
    """
    box = page.locator(canvas_selector(key)).bounding_box()
    for n, stroke in enumerate(strokes):
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
        if n == len(strokes) - 1 and last_up is not None:
            last_up()
        page.mouse.up()


def wait_idle(page, quiet: float = 0.8, timeout: float = 30.0) -> None:
    """Wait until the app has stopped running and nothing changed for ``quiet`` seconds."""
    deadline = time.time() + timeout
    last, since = None, time.time()
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        snapshot = page.locator('[data-testid="stMain"]').inner_text()
        if running or snapshot != last:
            last, since = snapshot, time.time()
        elif time.time() - since >= quiet:
            return
        time.sleep(0.1)
    raise TimeoutError("the app kept running")


def answer_text(page) -> str | None:
    answer = page.locator(".hwr-answer")
    return answer.first.inner_text().strip() if answer.count() else None
