"""The answer channel in a real server and Chromium (hwr/server/answer_channel.py): a
pen-up answered with no script run, the Streamlit path when the channel is blocked, and
the route's refusals (another origin, an oversized message, a flood) leaving other
pages unharmed. Its rules one by one: tests/test_answer_channel.py."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import ANSWER, canvas_selector, clear_canvas, draw_strokes
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
ROOT = f".st-key-{KEY} .hwr-canvas-root"
PANEL = ".hwr-channel-answer"
SEVEN = place(DIGITS[7][0], *PLACEMENTS[0])


def open_draw_page(browser, url: str, speaking: bool = False):
    """A laptop's Draw page, counting what it sends on Streamlit's websocket (a
    script run is asked for by a message there). ``speaking``: "Say the answer" is on
    (speech.js's switch, kept in the browser): the page is not quiet, each finished
    drawing goes to Streamlit, whose run says it."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    if speaking:
        page.add_init_script("localStorage.setItem('hwr-say', '1')")
    page.streamlit_sent = []
    page.on("websocket", lambda ws: "/_stcore/stream" in ws.url and ws.on(
        "framesent", lambda _frame: page.streamlit_sent.append(time.monotonic())))
    page.goto(url)
    page.wait_for_selector(canvas_selector(KEY))
    return page


def channel_open(page) -> None:
    expect(page.locator(ROOT)).to_have_attribute("data-channel", "open", timeout=30_000)


def answered_by_python(page, digit: str) -> None:
    expect(page.locator(".hwr-answer")).to_have_text(digit, use_inner_text=True,
                                                     timeout=30_000)


def answered_once(page) -> None:
    """A 7 answered (the model has loaded: the channel answers at once), then cleared."""
    channel_open(page)
    draw_strokes(page, KEY, SEVEN)
    expect(page.locator(ANSWER)).to_have_text("7", use_inner_text=True, timeout=30_000)
    clear_canvas(page, KEY)
    expect(page.locator(ANSWER)).to_have_count(0)


@pytest.fixture
def draw_page(browser, app_url):
    page = open_draw_page(browser, app_url)
    answered_once(page)
    yield page
    page.context.close()


@pytest.fixture
def speaking_page(browser, app_url):
    page = open_draw_page(browser, app_url, speaking=True)
    answered_once(page)
    yield page
    page.context.close()


def test_several_digits_are_answered_over_the_channel_with_no_script_run(draw_page):
    """Several digits are always quiet (nothing hangs on them but their answer): the
    number, each part's picture and caption, and each part's probabilities (a
    disclosure, as Python's expander) come from the channel's reply."""
    page = draw_page
    page.get_by_text("Several digits", exact=True).click()
    number = ".st-key-canvas-number .hwr-canvas-root"
    expect(page.locator(number)).to_have_attribute("data-channel", "open", timeout=30_000)
    page.wait_for_timeout(1000)  # the switch's run is over
    before = len(page.streamlit_sent)
    strokes = []
    for i, digit in enumerate((2, 0, 7)):
        strokes += place(DIGITS[digit][0], 40 + i * 200, 30, 160)
    draw_strokes(page, "canvas-number", strokes)
    expect(page.locator(f"{PANEL} .hwr-ch-number")).to_have_text("207", timeout=30_000)
    expect(page.locator(f"{PANEL} .hwr-ch-caption")).to_have_text(
        "3 digits, read left to right")
    expect(page.locator(f"{PANEL} .hwr-ch-parts figure")).to_have_count(3)
    assert page.locator(f"{PANEL} .hwr-ch-parts figcaption").first.inner_text().startswith("2 (")
    part = page.locator(f"{PANEL} .hwr-ch-parts img").first.bounding_box()
    assert part["width"] == part["height"] == 84  # the look of Python's parts (style.css)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.locator(f"{PANEL} .hwr-ch-each summary").click()  # each part's ten bars
    expect(page.locator(f"{PANEL} .hwr-ch-each .hwr-ch-bars")).to_have_count(3)
    expect(page.locator(f"{PANEL} .hwr-ch-each strong").first).to_have_text("2")
    clear_canvas(page, "canvas-number")
    expect(page.locator(f"{PANEL} .hwr-note")).to_contain_text("Write a few digits")
    page.wait_for_timeout(1000)  # longer than the report's delay, were there one
    assert page.streamlit_sent[before:] == [], "several digits went to Streamlit"


def test_a_quiet_drawing_costs_no_script_run(draw_page):
    """No class runs: pen-ups, Clear and the next drawing are all answered over the
    channel, and nothing goes to Streamlit, until the page needs the drawing ("Inside
    the network" opened: the canvas sends it then)."""
    page = draw_page
    page.wait_for_timeout(1000)  # Clear's run (if any) is over (Playwright's wait: the
    # page's events, frames sent included, are recorded meanwhile; time.sleep would not)
    before = len(page.streamlit_sent)
    draw_strokes(page, KEY, SEVEN)
    expect(page.locator(f"{PANEL} .hwr-ch-digit")).to_have_text("7", timeout=10_000)
    assert page.locator(f"{PANEL} .hwr-ch-bars > div").count() == 10
    assert page.locator(f"{PANEL} img.hwr-pixels").get_attribute("src").startswith(
        "data:image/png;base64,")
    assert page.locator(f"{PANEL} [aria-live='polite']").count() == 1
    expect(page.locator(".hwr-ch-confirm button")).to_have_count(10)  # "Is it right?"
    clear_canvas(page, KEY)
    expect(page.locator(f"{PANEL} .hwr-note")).to_contain_text("Draw a digit in the box")
    draw_strokes(page, KEY, place(DIGITS[3][0], *PLACEMENTS[0]))
    expect(page.locator(f"{PANEL} .hwr-ch-digit")).to_have_text("3", timeout=10_000)
    page.wait_for_timeout(1000)  # longer than the report's delay, were there one
    assert page.streamlit_sent[before:] == [], "a quiet drawing went to Streamlit"
    assert page.locator(".hwr-answer:visible").count() == 0
    page.get_by_text("Inside the network").click()  # the page needs the drawing now
    answered_by_python(page, "3")
    expect(page.locator(PANEL)).to_have_count(0)
    expect(page.get_by_text("Grad-CAM", exact=False).first).to_be_visible()


def test_the_canvas_row_files_a_quiet_drawing(draw_page):
    page = draw_page
    draw_strokes(page, KEY, SEVEN)
    row = page.locator(".hwr-ch-confirm")
    expect(row.locator(".hwr-ch-ticked")).to_have_text("\u2713 7")
    row.get_by_role("button", name="4").click()  # the student says it is a 4
    expect(page.get_by_text("Saved as a 4")).to_be_visible()
    expect(page.locator(ROOT)).to_have_attribute("data-strokes", "0")  # ready for the next
    expect(page.locator(ANSWER)).to_have_count(0)


def test_with_say_the_answer_on_a_pen_up_is_reported_once_the_pen_stays_up(speaking_page):
    page = speaking_page
    page.wait_for_timeout(1000)  # Clear's run is over
    before = len(page.streamlit_sent)
    draw_strokes(page, KEY, SEVEN)
    up = time.monotonic()
    expect(page.locator(f"{PANEL} .hwr-ch-digit")).to_have_text("7", timeout=10_000)
    shown = time.monotonic()
    assert [t for t in page.streamlit_sent[before:] if t < shown] == [], \
        "the answer came after a message to Streamlit"
    # Once the pen has stayed up, the drawing goes to Streamlit once: Python's answer
    # (and "Is it right?") takes the panel's place.
    answered_by_python(page, "7")
    expect(page.locator(PANEL)).to_have_count(0)
    reports = page.streamlit_sent[before:]
    assert reports and reports[0] - up > 0.5  # REPORT_MS after the pen-up, not at it
    expect(page.get_by_text("Is it right?")).to_be_visible()


def test_a_two_stroke_digit_is_reported_once(speaking_page):
    page = speaking_page
    page.wait_for_timeout(1000)
    before = len(page.streamlit_sent)
    draw_strokes(page, KEY, place(DIGITS[4][0], *PLACEMENTS[0]), pause=0.15)
    answered_by_python(page, "4")
    page.wait_for_timeout(1000)
    # one script run for the finished drawing, none for its first stroke (a message or
    # two: Streamlit may send the component's value with the rerun request)
    first = page.streamlit_sent[before]
    assert all(t - first < 0.2 for t in page.streamlit_sent[before:])


def test_the_panel_says_what_pythons_answer_says_in_the_pages_language(browser, app_url):
    """German words and numbers ("Sicherheit 99,7 %"), an unsure hint, the bars: the
    panel's text is the text of Python's answer to the same drawing."""
    page = open_draw_page(browser, f"{app_url}/?lang=de", speaking=True)
    answered_once(page)
    area = page.locator(".st-key-hwr-answer-area")
    for strokes in (SEVEN, place(DIGITS[4][0], *PLACEMENTS[0])[:1]):  # sure, unsure
        clear_canvas(page, KEY)
        draw_strokes(page, KEY, strokes)
        expect(page.locator(PANEL)).to_be_attached(timeout=10_000)
        panel = page.locator(PANEL).inner_text()
        expect(page.locator(PANEL)).to_have_count(0, timeout=30_000)  # Python's is there
        assert panel == area.inner_text()
        assert "Sicherheit" in panel
    assert "nicht sicher" in panel
    page.context.close()


def test_with_the_channel_blocked_the_page_answers_through_streamlit(browser, app_url):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    page.route_web_socket("**/_hwr/answers", lambda ws: ws.close())  # a proxy that blocks it
    page.goto(app_url)
    page.wait_for_selector(canvas_selector(KEY))
    expect(page.locator(ROOT)).to_have_attribute("data-channel", "down", timeout=30_000)
    for digit in (7, 4):
        clear_canvas(page, KEY)
        draw_strokes(page, KEY, place(DIGITS[digit][0], *PLACEMENTS[0]), pause=0.15)
        answered_by_python(page, str(digit))
    assert page.locator(PANEL).count() == 0
    page.context.close()


# The page's own script opens connections beside the canvas's: with its origin, its
# token; what a closing connection said comes back as [code, replies].
_CONNECT = """async ([message, times]) => {
  const token = document.querySelector(%r).hwrChannelToken();
  const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/_hwr/answers");
  const replies = [];
  ws.onmessage = (e) => replies.push(JSON.parse(e.data).status);
  await new Promise((ok) => { ws.onopen = ok; });
  ws.send(JSON.stringify({ token }));
  for (let i = 0; i < times; i++) ws.send(message);
  const code = await Promise.race([
    new Promise((ok) => { ws.onclose = (e) => ok(e.code); }),
    new Promise((ok) => setTimeout(() => ok(null), 5000)),
  ]);
  ws.close();
  return [code, replies];
}""" % ROOT


def test_an_oversized_message_and_a_flood_are_refused_and_other_pages_answered(
        browser, app_url, draw_page):
    abuser = open_draw_page(browser, app_url)
    channel_open(abuser)
    drawing = '{"drawing": {"id": 1, "width": 280, "height": 280, "seq": 1, ' \
              '"strokes": [[18, 50, 50, 200, 200]]}}'
    code, _ = abuser.evaluate(_CONNECT, ['{"drawing": "' + "x" * 1_100_000 + '"}', 1])
    assert code == 1009  # over Streamlit's maxWidgetStateSize (1 MB)
    code, replies = abuser.evaluate(_CONNECT, [drawing, 1000])
    assert code == 1008 and len(replies) < 50  # a flood: closed, the waiting one replaced
    code, replies = abuser.evaluate(_CONNECT, ["\u0000 not json", 1])
    assert code == 1007
    # the other page, and the abuser's own canvas, are answered over the channel
    for page in (draw_page, abuser):
        clear_canvas(page, KEY)
        draw_strokes(page, KEY, SEVEN)
        expect(page.locator(f"{PANEL} .hwr-ch-digit")).to_have_text("7", timeout=10_000)
    abuser.context.close()


def test_another_origin_and_a_forged_token_are_refused(app_url):
    """(Python's own WebSocket client: a browser cannot forge its Origin.)"""
    import websockets
    from websockets.sync.client import connect

    address = app_url.replace("http", "ws") + "/_hwr/answers"

    def attempt(origin: str, token: str):
        try:
            with connect(address, origin=origin, open_timeout=10) as ws:
                ws.send('{"token": "%s"}' % token)
                ws.recv(timeout=10)
        except websockets.InvalidStatus as e:
            return e.response.status_code
        except websockets.ConnectionClosed as e:
            return e.rcvd.code
        return None

    assert attempt("https://evil.example", "x.1.y") == 403
    assert attempt(app_url, "session.99999999999.forged") == 1008
