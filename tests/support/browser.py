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
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.support.preloaded import preloadable
from tests.support.preloaded import start_server as start_preloaded
from tests.support.strokes import DIGITS, PLACEMENTS, place

CHROMIUM_ENV = "HWR_CHROMIUM"
CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium refuses to run as root otherwise
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # loopback only
]
REPO = Path(__file__).resolve().parents[2]


# The answer on the page: Python's, or the panel the canvas draws from the answer
# channel's reply (a quiet pen-up, with no class running, gets only that one; an older
# answer of Python's stays on the page, hidden, while the canvas is ahead of it).
ANSWER = ".hwr-answer:visible, .hwr-ch-digit:visible"
CAPTION = ".hwr-caption:visible, .hwr-ch-caption:visible"  # the line under it
ANSWER_ELEMENT = ".hwr-answer, .hwr-ch-digit"  # the same for the page's own scripts

# The browser tests run on Debian's chromium-headless-shell where it is installed: the
# same Blink and V8 without the full browser around them, a third less CPU per page
# (5.9 against 8.9 s for six Draw pages, each drawn on once; docs/development.md), and the
# suite's time is mostly Chromium's. The benchmarks keep the full browser users run.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"


def chromium_path(headless_shell: bool = True) -> str | None:
    """$HWR_CHROMIUM, else Debian's headless shell (unless asked for the full browser),
    else /usr/bin/chromium, else whatever is on PATH."""
    candidates = [os.environ.get(CHROMIUM_ENV), HEADLESS_SHELL if headless_shell else None,
                  "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def chromium_or_exit() -> str:
    """For the benchmark scripts: the Chromium path, or exit with how to get one."""
    path = chromium_path(headless_shell=False)
    if path is None:
        sys.exit(f"No Chromium: apt-get install -y chromium (or set {CHROMIUM_ENV})")
    return path


@contextmanager
def chromium_browser(path: str):
    """A headless Chromium (Playwright's sync API) from the given binary."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        browser.devices = pw.devices  # descriptors such as "Pixel 7", for new_context()
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
                     timeout: float = 90.0, with_process: bool = False,
                     health_interval: float = 0.3, port: int | None = None,
                     log: Path | None = None, model_ready: bool = False,
                     preloaded: bool = False):
    """Run `streamlit run` headless on a free loopback port; yields the base URL (and,
    ``with_process``, the server's process id too). ``log``: a file that gets every line
    the server writes (the pages' print() on stdout, Python's logging on stderr), to
    read after. ``model_ready``: yield only once the Draw page answers a drawing
    (``wait_for_the_model``). ``preloaded``: forked from a process that has imported
    TensorFlow and Streamlit already (``tests/support/preloaded.py``: the tests'
    servers), unless ``env`` sets what those read at import; the benchmarks start
    theirs as a user does."""
    port = port or free_port()
    args = ["run", str(script), "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    full_env = {**os.environ, **(env or {})}
    stderr = own_log = None
    if preloaded and preloadable(full_env):
        if log is None:  # read when the server fails to start, removed after
            log = own_log = Path(tempfile.mkdtemp(prefix="hwr-server-")) / "server.log"
        proc = start_preloaded(args, full_env, REPO, log)
    else:
        stderr = open(log, "wb") if log else subprocess.PIPE  # noqa: SIM115 - closed below
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", *args], cwd=REPO,
                                env=full_env, stdout=stderr if log else subprocess.DEVNULL,
                                stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:  # the server answers HTTP before any page: no browser to wait with yet
            if proc.poll() is not None:
                said = Path(log).read_bytes() if log else proc.stderr.read()
                raise RuntimeError(f"streamlit exited: {said.decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise TimeoutError(f"streamlit did not start on {url} in {timeout} s")
            time.sleep(health_interval)
        if model_ready:
            try:
                wait_for_the_model(url)
            except RuntimeError as e:  # what the server said is the cause, if any
                if not log:
                    raise
                said = Path(log).read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{e}\nThe server's log:\n{said}") from e
        yield (url, proc.pid) if with_process else url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log and stderr is not None:
            stderr.close()
        if own_log is not None:
            shutil.rmtree(own_log.parent, ignore_errors=True)


# A fresh server loads its model in the background. Beside a fine-tune and two other
# browser tests that took longer than a browser test waits for an answer (30 s), so a
# module whose tests start with a drawing waits for it first, with no browser.
MODEL_WAIT = 240.0  # s
WARMING_UP = "Warming up the model"  # what the page says until then


def wait_for_the_model(url: str, timeout: float = MODEL_WAIT) -> None:
    """Until the server's Draw page answers a drawing (not "Warming up the model"), asked
    by a simulated student (``tests/support/load_client.py``). A class running then
    would take the drawing onto its wall: the tests start theirs after."""
    import asyncio

    from tests.support.load_client import Student, run_async

    async def ask() -> None:
        deadline = time.monotonic() + timeout
        async with Student(url, timeout=60) as student:
            drawing = place(DIGITS[1][0], *PLACEMENTS[0])
            while (reply := await student.draw(drawing)).answer is None:
                if WARMING_UP not in reply.text() or time.monotonic() > deadline:
                    raise RuntimeError(f"the model on {url} did not answer in {timeout} s: "
                                       f"{reply.text()[:300]}")
                student.drawing_id += 1  # a new drawing, as after Clear
                await asyncio.sleep(1.0)

    run_async(ask())


CLOSED_PORT = "http://127.0.0.1:9"  # a proxy nobody answers: the server has no network
# A server's environment in a classroom without internet: no MNIST files, no way out.
OFFLINE = {"HWR_DATA_DIR": "", "HTTPS_PROXY": CLOSED_PORT, "HTTP_PROXY": CLOSED_PORT,
           "https_proxy": CLOSED_PORT, "http_proxy": CLOSED_PORT, "NO_PROXY": "127.0.0.1"}


def watched_page(browser, timeout_ms: int = 60_000):
    """A laptop-sized page and the list of every request it makes off this machine."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(timeout_ms)
    elsewhere = []
    page.on("request", lambda r: urlparse(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith("data:") and elsewhere.append(r.url))
    return page, elsewhere


def canvas_selector(key: str) -> str:
    return f".st-key-{key} canvas.hwr-canvas"


LAPTOP = {"viewport": {"width": 1280, "height": 800}}
DIGIT_CANVAS = "canvas-digit"  # the Draw page's one-digit canvas


def open_page(browser, url: str, **context):
    """A page in a context of its own (a laptop's, unless ``context`` says otherwise)."""
    page = browser.new_context(**(context or LAPTOP)).new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def student_on(browser, url: str, name: str, phone: bool = False):
    """A student's Draw page with ``?name=``, on a laptop or a Pixel 7 (touch, through
    CDP: ``page.cdp``)."""
    context = browser.devices["Pixel 7"] if phone else LAPTOP
    page = open_page(browser, f"{url}/?name={name}", **context)
    page.wait_for_selector(canvas_selector(DIGIT_CANVAS))
    if phone:
        page.cdp = page.context.new_cdp_session(page)
    return page


def draw_digit(page, digit: int) -> None:
    """Draw one of the test digits on a cleared canvas (by touch on a phone's page) and
    wait for its answer."""
    clear_canvas(page, DIGIT_CANVAS)
    # the whole canvas on screen, clear of Streamlit's header
    page.locator(canvas_selector(DIGIT_CANVAS)).evaluate(
        "c => c.scrollIntoView({block: 'center'})")
    strokes = place(DIGITS[digit][0], *PLACEMENTS[0])
    if getattr(page, "cdp", None) is not None:
        touch_strokes(page, page.cdp, DIGIT_CANVAS, strokes)
    else:
        draw_strokes(page, DIGIT_CANVAS, strokes)
    expect(page.locator(ANSWER)).to_have_text(str(digit), timeout=30_000)
    wait_idle(page)  # in a class, the drawing's report (and Python's answer) too


def _scaled_box(page, key: str) -> tuple[dict, float]:
    """The canvas's box on the page and the CSS pixels per canvas pixel."""
    canvas = page.locator(canvas_selector(key))
    box = canvas.bounding_box()
    return box, box["width"] / canvas.evaluate("c => c.width / (window.devicePixelRatio || 1)")


# Canvas pixels between two of a stroke's pointer events as the tests draw: a hand
# moving at ~500 px/s, one event per 60 Hz frame. The smoothed test strokes have a point
# every 3-6 px; each event costs Chromium ~8 ms of CPU (its frame), the browser tests'
# largest cost, and drawing at this spacing costs a third less (docs/development.md). The
# benchmarks draw every point (spacing 0), as their figures were measured.
MOUSE_SPACING = 8.0


def pointer_path(stroke: list[tuple[float, float]], spacing: float) -> list[tuple[float, float]]:
    """The stroke's points at least ``spacing`` apart, its first and last kept."""
    if spacing <= 0 or len(stroke) <= 2:
        return stroke
    kept = [stroke[0]]
    for x, y in stroke[1:-1]:
        if (x - kept[-1][0]) ** 2 + (y - kept[-1][1]) ** 2 >= spacing ** 2:
            kept.append((x, y))
    return [*kept, stroke[-1]]


def draw_strokes(page, key: str, strokes: list[list[tuple[float, float]]],
                 pause: float = 0.0, hold_last: bool = False,
                 spacing: float = MOUSE_SPACING) -> None:
    """Draw strokes (in the canvas's own pixels) with real mouse events.

    The canvas fills its column on screen, so points are scaled from its own size to
    its size on the page. ``pause`` seconds pass between strokes, as when a person
    writes. ``hold_last``: the pen stays down at the end (``page.mouse.up()`` lifts it).
    ``spacing``: the events' least distance (``MOUSE_SPACING``; 0: every point).
    (Latency is timed by the page itself: ``tests/support/page_clock.py``.)
    """
    box, scale = _scaled_box(page, key)
    for n, stroke in enumerate(pointer_path(s, spacing) for s in strokes):
        if n and pause:
            time.sleep(pause)
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0 * scale, box["y"] + y0 * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        if not (hold_last and n == len(strokes) - 1):
            page.mouse.up()


def touch_strokes(page, cdp, key: str, strokes: list[list[tuple[float, float]]],
                  pause: float = 0.0, spacing: float = MOUSE_SPACING) -> None:
    """Draw strokes with a finger: CDP touch events (no hover, no mouse), as a phone."""
    box, scale = _scaled_box(page, key)
    for n, stroke in enumerate(pointer_path(s, spacing) for s in strokes):
        if n and pause:
            time.sleep(pause)
        points = [{"x": box["x"] + x * scale, "y": box["y"] + y * scale} for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points[:1]})
        for point in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def pen_strokes(page, cdp, key: str, strokes: list[list[tuple[float, float]]],
                pause: float = 0.0, spacing: float = MOUSE_SPACING) -> None:
    """Draw strokes with a pen: CDP pen events, each stroke beginning with the pen
    touching down where it starts (a pen has no hover before it touches)."""
    box, scale = _scaled_box(page, key)
    for n, stroke in enumerate(pointer_path(s, spacing) for s in strokes):
        if n and pause:
            time.sleep(pause)
        points = [(box["x"] + x * scale, box["y"] + y * scale) for x, y in stroke]
        for i, (x, y) in enumerate(points):
            kind = "mousePressed" if i == 0 else "mouseMoved"
            cdp.send("Input.dispatchMouseEvent", {
                "type": kind, "x": x, "y": y, "button": "left", "buttons": 1,
                "clickCount": 1, "pointerType": "pen", "force": 0.5})
        cdp.send("Input.dispatchMouseEvent", {
            "type": "mouseReleased", "x": points[-1][0], "y": points[-1][1],
            "button": "left", "buttons": 0, "clickCount": 1, "pointerType": "pen"})


def stroke_count(page, key: str) -> int:
    """How many strokes the canvas holds (its own count, shown on its element)."""
    return int(page.locator(f".st-key-{key} .hwr-canvas-root").get_attribute("data-strokes"))


def clear_canvas(page, key: str = "canvas-digit") -> None:
    """The canvas's own Clear button: the drawing goes at once, in the browser.

    (The button is disabled on an empty canvas: then there is nothing to do. It can also
    turn disabled between the look and the click, when the page clears the canvas itself
    after a save: then the click finds nothing to do either.)"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.locator(f".st-key-{key} .hwr-clear")
    if button.is_enabled():
        try:
            button.click(timeout=10_000)
        except PlaywrightTimeout:
            if button.is_enabled():  # enabled, yet never clickable: a real failure
                raise
    expect(page.locator(f".st-key-{key} .hwr-canvas-root")).to_have_attribute(
        "data-strokes", "0")


def draw_until_answered(page, key: str, strokes, attempts: int = 60) -> None:
    """Draw (and clear) until the page answers, then leave it empty: a fresh server
    loads its model in the background, and a benchmark must not time the warm-up."""
    answer = page.locator(ANSWER)
    for _ in range(attempts):
        draw_strokes(page, key, strokes)
        try:
            expect(answer.first).to_be_attached(timeout=3_000)
            break
        except AssertionError:  # not in 3 s: still warming up
            clear_canvas(page, key)
    clear_canvas(page, key)
    expect(answer).to_have_count(0)


def expect_run_finished(page, timeout: float = 60.0) -> None:
    """Wait until the page's script run has finished (Streamlit marks the state of the
    run on its app element): what it shows now is what the run made."""
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=timeout * 1000)


# True once the page has shown no "running" status and the same main text for ``quiet``
# ms; its state lives in the page, under the key of the wait that asks.
_IDLE_FOR = """([quiet, key]) => {
    const running = document.querySelector('[data-testid="stStatusWidget"]') !== null;
    const main = document.querySelector('[data-testid="stMain"]');
    const snapshot = main ? main.innerText : null;
    const now = performance.now();
    const seen = window.__hwrIdle;
    if (running || !seen || seen.key !== key || seen.snapshot !== snapshot) {
        window.__hwrIdle = {key, snapshot, since: now};
        return false;
    }
    return now - seen.since >= quiet;
}"""


def wait_idle(page, quiet: float = 0.8, timeout: float = 30.0) -> None:
    """Wait until the app has stopped running and nothing changed for ``quiet`` seconds.

    (A quiet spell, not one state of the page, so Playwright waits on a check in the
    page that remembers when the main text last changed; looked at every 0.1 s.)"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(_IDLE_FOR, arg=[quiet * 1000, uuid.uuid4().hex],
                               polling=100, timeout=timeout * 1000)
    except PlaywrightTimeout:
        raise TimeoutError("the app kept running") from None


def answer_text(page) -> str | None:
    answer = page.locator(ANSWER)
    return answer.first.inner_text().strip() if answer.count() else None


async def teacher_page(browser, url: str, passcode: str):
    """An async Playwright page on the Teach page, unlocked with the passcode (the
    benchmarks' teacher; the session stays unlocked while it navigates in the app)."""
    page = await (await browser.new_context(viewport={"width": 1280, "height": 1000})
                  ).new_page()
    page.set_default_timeout(120_000)
    await page.goto(f"{url}/teach")
    await page.get_by_label("Teacher's passcode").fill(passcode)
    await page.get_by_role("button", name="Unlock").click()
    await page.get_by_role("button", name="End the class").or_(
        page.get_by_role("button", name="Start the class")).first.wait_for()
    return page
