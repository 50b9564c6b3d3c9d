"""A school's server as deployed: ``deploy/school.sh`` runs two app servers behind
HAProxy (deploy/haproxy.cfg) with a self-signed certificate, on one throwaway
PostgreSQL; browsers and simulated students come through the proxy, over HTTPS, on
loopback only.

Skipped where HAProxy is not installed, failed in CI (``.ci/run`` installs it)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import threading
import time
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from hwr.class_data.collection import ClassCollection
from tests.support.browser import canvas_selector, clear_canvas, draw_strokes, stroke_count
from tests.support.load_client import Student, run_async
from tests.support.postgres import create_database
from tests.support.proxy import UP, haproxy_path, school_server, self_signed
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
PASSCODE = "7B-secret"


@pytest.fixture(scope="module")
def haproxy() -> str:
    path = haproxy_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("HAProxy not found: CI must install Debian's haproxy")
        pytest.skip("HAProxy not installed (apt-get install haproxy)")
    return path


@pytest.fixture(scope="module")
def school(haproxy, postgres_server, mnist_dir, tmp_path_factory):
    url = create_database(postgres_server)
    ClassCollection(url).start_class("7B")  # migrated once; a class runs
    folder = tmp_path_factory.mktemp("school")
    env = {"HWR_DB_URL": url, "HWR_TEACHER_PASSCODE": PASSCODE,
           "HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(folder / "unused.sqlite3")}
    with school_server(2, env, cert=self_signed(folder), restart_delay=1) as running:
        running.db_url = url
        yield running


@pytest.fixture
def trust_school(school, monkeypatch):
    """Python's TLS clients (the simulated students' websockets) trust the school's
    certificate, as a school's own machines would."""
    monkeypatch.setenv("SSL_CERT_FILE", str(school.cert))


def server_cookie(headers) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("HWRSERVER="):
            return value.split(";")[0].split("=", 1)[1]
    return None


def new_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector(canvas_selector(KEY))
    return page


def page_server(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "HWRSERVER")


def test_https_with_the_schools_certificate_and_a_cookie_per_tab(school):
    # Verified against the school's certificate: no "insecure" anything.
    status, headers, body = school.get("/_stcore/health")
    assert (status, body) == (200, b"ok")
    first = server_cookie(headers)
    assert first in school.ports
    # The proxy's cookie keeps a tab on its server (and is not set again)...
    for _ in range(3):
        status, headers, _ = school.get("/_stcore/health", cookie=f"HWRSERVER={first}")
        assert status == 200 and server_cookie(headers) is None
    # ...while new tabs from this same address go to every server.
    seen = {server_cookie(school.get("/_stcore/health")[1]) for _ in range(6)}
    assert seen == set(school.ports)


@pytest.mark.parametrize("forged", ["app9", "x" * 300, "app1'; DROP", ""])
def test_a_forged_server_cookie_is_placed_as_a_new_tab(school, forged):
    status, headers, body = school.get("/_stcore/health", cookie=f"HWRSERVER={forged}")
    assert (status, body) == (200, b"ok")
    assert server_cookie(headers) in school.ports


def test_an_upload_over_the_apps_limit_is_refused_at_the_proxy(school):
    connection = http.client.HTTPSConnection("127.0.0.1", int(school.url.rsplit(":", 1)[1]),
                                             context=school.ssl_context(), timeout=10)
    connection.putrequest("PUT", "/_stcore/upload_file/x/y")
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))  # maxUploadSize + 1
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_a_websocket_message_over_the_limit_closes_that_tab_only(school, trust_school):
    async def run():
        async with Student(school.url) as bystander, Student(school.url) as sender:
            huge = json.dumps({"drawing": {"strokes": "x" * 3_000_000}})
            await sender.ws.send(sender.rerun_message(huge, fragment=True))
            with pytest.raises(Exception) as closed:
                while True:
                    await asyncio.wait_for(sender.ws.recv(), 20)
            assert "ConnectionClosed" in type(closed.value).__name__
            reply = await bystander.draw(place(DIGITS[7][0], *PLACEMENTS[0]))
            assert reply.finished

    run_async(run())


def test_the_answer_channel_goes_through_the_proxy(browser, school):
    """The canvas's answer channel (hwr/server/answer_channel.py) is a route of the app
    servers: over wss, through HAProxy, to the tab's own server (its cookie), with the
    proxy's public address as the page's origin. No script run for the pen-up's answer."""
    page = new_page(browser, school.url)
    expect(page.locator(f".st-key-{KEY} .hwr-canvas-root")).to_have_attribute(
        "data-channel", "open", timeout=30_000)
    for _ in range(30):  # the fresh servers load their model in the background
        clear_canvas(page, KEY)
        draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
        try:
            expect(page.locator(".hwr-channel-answer .hwr-ch-digit")).to_have_text(
                "7", timeout=3_000)
            break
        except AssertionError:
            expect(page.locator(".hwr-answer")).to_be_attached(timeout=30_000)
    else:
        pytest.fail("the channel never answered through the proxy")
    page.context.close()


def test_all_servers_down_says_so_and_pages_recover(browser, school):
    page = new_page(browser, school.url)
    try:
        for name in school.ports:
            school.command(f"set server app/{name} state maint")
        status, headers, body = school.get("/")
        assert status == 503 and headers["Retry-After"] == "5"
        assert b"not answering right now" in body
    finally:
        for name in school.ports:
            school.command(f"set server app/{name} state ready")
    school.wait_states({name: True for name in school.ports})
    # The open page had lost its server; it reconnects and answers again.
    draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    expect(page.locator(".hwr-answer")).to_be_attached(timeout=30_000)
    page.context.close()


def watch_rotation(school, name: str, killed: float, port: int, timeout: float = 120.0):
    """From the kill on, in a thread: when the proxy took ``name`` out of rotation, when
    its restarted process answered its health check, when the proxy put it back."""
    seen: dict[str, float] = {}

    def watch():
        while time.monotonic() - killed < timeout:
            up = school.states().get(name) == UP
            now = time.monotonic()
            if "out" not in seen and not up:
                seen["out"] = now - killed
            if "out" in seen and "health" not in seen:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                                timeout=1) as r:
                        if r.status == 200:
                            seen["health"] = time.monotonic() - killed
                except OSError:
                    pass
            if "out" in seen and up:
                seen["back"] = now - killed
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return seen, thread


def test_a_server_killed_mid_lesson(browser, school, trust_school):
    """kill -9 the server under a browser and two simulated students: the browser's
    drawing, nickname, student id and saved digit stay, its next stroke is answered, its
    answer channel opens again on the new server; the
    students reconnect and are answered; the proxy takes the dead server out and puts it
    back when school.sh has started it again."""
    four = place(DIGITS[4][0], *PLACEMENTS[0])  # two strokes
    page = new_page(browser, f"{school.url}/?name=Ana")
    draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    page.locator('[class*="st-key-hwr_confirm_"] button', has_text="7").click()
    page.get_by_text("Saved as a 7").wait_for()
    clear_canvas(page, KEY)  # (saving clears the canvas itself)
    expect(page.locator(".hwr-answer")).to_have_count(0)
    draw_strokes(page, KEY, four[:1])
    expect(page.locator(".hwr-answer")).to_be_attached()
    victim = page_server(page)
    root = page.locator(f".st-key-{KEY} .hwr-canvas-root")
    expect(root).to_have_attribute("data-channel", "open", timeout=30_000)
    token = root.evaluate("r => r.hwrChannelToken()")  # the answer channel's, this session's
    sid = parse_qs(urlparse(page.url).query)["sid"][0]  # the page's student id
    first_stroke = page.locator(".hwr-model-input").inner_html()
    others = [name for name in school.ports if name != victim]
    db = ClassCollection(school.db_url)

    async def students_through(kill):
        # New tabs go to the victim only (the others drain: they keep their own tabs
        # and take no new one), so both students lose their server.
        for name in others:
            school.command(f"set server app/{name} state drain")
        try:
            students = [await Student(school.url).__aenter__() for _ in range(2)]
        finally:
            for name in others:
                school.command(f"set server app/{name} state ready")
        for s in students:
            assert (await s.draw(four[:1])).finished
        assert school.sessions()[victim] >= 3  # the page's socket and the students'
        kill()
        again = []
        for s in students:
            try:
                reply = await s.draw(four)
                assert reply.finished
            except Exception:  # noqa: BLE001 - its server died: the page reconnects
                await s.ws.close()
                s = await Student(school.url).__aenter__()
                assert (await s.draw(four)).answer is not None
            again.append(time.monotonic() - killed[0])
            await s.ws.close()
        return again

    killed = [0.0]

    def kill():
        killed[0] = time.monotonic()
        school.kill(victim)
        rotation.extend(watch_rotation(school, victim, killed[0], school.ports[victim]))

    rotation: list = []
    student_seconds = run_async(students_through(kill))
    draw_strokes(page, KEY, four[1:])
    # Answered again: the model's input is the two-stroke drawing's now.
    page.wait_for_function("before => { const m = document.querySelector('.hwr-model-input');"
                           " return m !== null && m.innerHTML !== before; }",
                           arg=first_stroke, timeout=60_000)
    expect(page.locator(".hwr-answer")).to_be_attached()
    browser_seconds = time.monotonic() - killed[0]
    assert page_server(page) != victim
    assert stroke_count(page, KEY) == 2
    # The answer channel is open again, on the new server, with its session's token.
    expect(root).to_have_attribute("data-channel", "open", timeout=30_000)
    assert root.evaluate("r => r.hwrChannelToken()") not in (None, token)
    expect(page.locator('[data-testid="stSidebar"] input[aria-label^="Your nickname"]')
           ).to_have_value("Ana")
    assert "name=Ana" in page.url and f"sid={sid}" in page.url
    assert db.count() == 1  # the saved 7
    # The same student on the wall before and after the move: one student named Ana,
    # whose drawing (the 4, posted again from the new server) is still under their id.
    lesson = db.current_class()
    assert [s.student for s in db.students(lesson.id) if s.nickname == "Ana"] == [sid]
    assert {w.student for w in db.wall(lesson.id) if w.nickname == "Ana"} == {sid}
    seen, watcher = rotation
    watcher.join(130)
    print(f"answered again after: students {student_seconds}, browser {browser_seconds:.1f} s;"
          f" rotation {seen}")
    assert len(student_seconds) == 2
    assert seen["out"] <= 5.0  # out of rotation (the target)
    assert "back" in seen and seen["back"] - seen["health"] <= 5.0  # back once it answers
    page.context.close()
