"""Live answers, spoken answers and the keyboard, in a real browser.

The page records every answer it shows (its text, whether it is a live one, the
canvas's number of the drawing it answers) and when the pen went down and up; speech is
checked by replacing the browser's ``speechSynthesis`` with a recorder."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    ANSWER,
    canvas_selector,
    clear_canvas,
    draw_strokes,
    draw_until_answered,
    expect_run_finished,
    streamlit_server,
    stroke_count,
)
from tests.support.live import ANSWER_LOG, answers, slow_stroke
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
ROOT = f".st-key-{KEY} .hwr-canvas-root"
# The answer's live region on screen: the canvas's panel (the answer channel's reply) or
# Python's; the pen-up's answer in it (a live one marks it busy).
REGIONS = ":is(.hwr-live, .hwr-ch-live)"
REGION = f"{REGIONS}:visible"
FINAL = f"{REGIONS}[aria-busy='false']:visible :is(.hwr-answer, .hwr-ch-digit)"

# speechSynthesis replaced: what would have been said, with which voice.
SPEECH_RECORDER = """(() => {
  const said = window.__hwrSaid = [];
  const voices = %s;
  const fake = {
    speaking: false, pending: false, paused: false,
    getVoices: () => voices,
    speak: (u) => said.push({ text: u.text, voice: u.voice ? u.voice.name : null }),
    cancel: () => {}, pause: () => {}, resume: () => {},
    addEventListener: () => {}, removeEventListener: () => {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: fake, configurable: true });
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.voice = null; };
})();"""
LOCAL_VOICE = '[{"name": "Local English", "lang": "en-US", "localService": true, "default": true}]'
NETWORK_VOICE = '[{"name": "Cloud English", "lang": "en-US", "localService": false, "default": true}]'
NO_SPEECH = """(() => {
  Object.defineProperty(window, "speechSynthesis", { value: undefined, configurable: true });
})();"""


@pytest.fixture(scope="module")
def live_url(mnist_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("live") / "class.sqlite3"
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db)},
                          model_ready=True, preloaded=True) as url:
        yield url


def open_page(browser, url: str, *scripts: str, reduced_motion: bool = False, route=None):
    """The Draw page, answering. ``route``: called with the page before it loads."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  reduced_motion="reduce" if reduced_motion else "no-preference")
    page = context.new_page()
    page.set_default_timeout(90_000)
    for script in (ANSWER_LOG, *scripts):
        page.add_init_script(script=script)
    if route is not None:
        route(page)
    page.goto(url)
    page.wait_for_selector(canvas_selector(KEY))
    draw_until_answered(page, KEY, place(DIGITS[1][0], *PLACEMENTS[0]))  # the model is up
    return page


def turn_live_on(page) -> None:
    page.get_by_text("Live answers").click()
    expect(page.locator(ROOT)).to_have_attribute("data-live", "on")
    expect_run_finished(page)


def test_a_slow_stroke_in_presentation_mode_changes_the_answer_before_pen_up(browser,
                                                                             live_url):
    page = open_page(browser, live_url)
    page.get_by_text("Presentation mode").click()  # live answers are on by default there
    expect(page.locator(ROOT)).to_have_attribute("data-live", "on")
    expect_run_finished(page)
    clear_canvas(page)
    expect(page.locator(ANSWER)).to_have_count(0)
    slow_stroke(page, place(DIGITS[7][0], *PLACEMENTS[0])[0], seconds=2.0)
    expect(page.locator(FINAL)).to_have_text("7", use_inner_text=True, timeout=30_000)
    shown, pen = answers(page)
    live = [a for a in shown if a["partial"] and pen["down"] < a["t"] < pen["up"]]
    assert len({a["seq"] for a in live}) >= 4, shown  # benchmarks/live_answers: >= 8 quiet
    assert len({a["text"] for a in live} | {"7"}) >= 2, shown  # it changed its mind
    final = shown[-1]
    sent = page.locator(ROOT).evaluate("r => r.hwrSent")
    assert not final["partial"] and final["seq"] == sent[-1][0] and not sent[-1][1]
    page.context.close()


# Each time the canvas puts the channel's feature maps into the page's images: when, and
# for which of the canvas's drawings.
MAPS_LOG = """(() => {
  const log = window.__hwrMaps = [];
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.matches(".st-key-hwr-inside-maps img") && r.target.src.startsWith("data:")) {
        const root = document.querySelector(".hwr-canvas-root");
        log.push({ t: performance.now(), seq: Number(root.dataset.mapsSeq) });
      }
    }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["src"] });
})()"""
MAPS = ".st-key-hwr-inside-maps img"


def test_the_feature_maps_follow_the_pen_in_presentation_mode(browser, live_url):
    page = open_page(browser, live_url)
    page.get_by_text("Presentation mode").click()
    expect(page.locator(ROOT)).to_have_attribute("data-live", "on")
    expect_run_finished(page)
    page.get_by_text("Inside the network").click()
    expect_run_finished(page)
    clear_canvas(page)  # nothing drawn: the maps of an empty drawing wait for the pen
    expect(page.locator(MAPS).first).to_be_visible()
    expect_run_finished(page)
    layers = page.locator(MAPS).count()  # one picture per conv layer
    page.evaluate(MAPS_LOG)
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", frames.append)
            if "_stcore/stream" in ws.url else None)
    slow_stroke(page, place(DIGITS[3][0], *PLACEMENTS[0])[0], seconds=2.0)
    expect(page.locator(FINAL)).to_have_text("3", use_inner_text=True, timeout=30_000)
    _, pen = answers(page)
    shown = page.evaluate("window.__hwrMaps")
    during = {m["seq"] for m in shown if pen["down"] < m["t"] < pen["up"]}
    assert len(during) >= 4, shown  # several drawings' maps while the pen was down
    sent = page.locator(ROOT).evaluate("r => r.hwrSent")
    assert {seq for seq, partial, _ in sent if partial} >= during
    # The pen-up's run brings the page's own pictures of the finished drawing.
    expect(page.locator(MAPS)).to_have_count(layers)
    for i in range(layers):
        expect(page.locator(MAPS).nth(i)).not_to_have_attribute("src", re.compile("^data:"))
    assert len(frames) <= 2, frames  # no script run per live answer: the pen-up's only
    page.context.close()


def test_a_two_stroke_digit_drawn_live_is_answered_from_both_strokes(browser, live_url):
    page = open_page(browser, live_url)
    turn_live_on(page)
    for style in range(2):
        clear_canvas(page)
        first, second = place(DIGITS[4][style], *PLACEMENTS[0])
        slow_stroke(page, first, seconds=0.8, points=20)
        time.sleep(0.3)
        slow_stroke(page, second, seconds=0.8, points=20)
        expect(page.locator(FINAL)).to_have_text("4", use_inner_text=True, timeout=30_000)
        assert stroke_count(page, KEY) == 2
        sent = page.locator(ROOT).evaluate("r => r.hwrSent")
        assert sum(1 for s in sent if s[1]) >= 2  # live drawings went out while drawing
        expect(page.locator(REGION)).to_have_attribute("data-seq", str(sent[-1][0]))
    page.context.close()


def test_reduced_motion_answers_at_pen_up_only(browser, live_url):
    page = open_page(browser, live_url, reduced_motion=True)
    page.get_by_text("Live answers").click()
    expect(page.locator(ROOT)).to_have_attribute("data-live", "reduced")
    expect(page.get_by_text("this device asks for reduced motion")).to_be_visible()
    clear_canvas(page)
    slow_stroke(page, place(DIGITS[7][0], *PLACEMENTS[0])[0], seconds=1.0, points=20)
    expect(page.locator(ANSWER)).to_have_text("7", use_inner_text=True)
    assert not any(s[1] for s in page.locator(ROOT).evaluate("r => r.hwrSent"))
    page.context.close()


def test_the_answer_is_said_once_per_drawing_with_a_local_voice(browser, live_url):
    page = open_page(browser, live_url, SPEECH_RECORDER % LOCAL_VOICE)
    switch = page.get_by_role("switch", name="Say the answer")
    expect(switch).to_be_enabled()
    switch.focus()
    page.keyboard.press("Space")  # the keyboard turns it on
    expect(switch).to_be_checked()
    said = lambda: page.evaluate("window.__hwrSaid")  # noqa: E731
    clear_canvas(page)
    draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    expect(page.locator(".hwr-answer")).to_have_text("7", use_inner_text=True)
    page.wait_for_function("window.__hwrSaid.length > 0")
    assert said() == [{"text": "seven", "voice": "Local English"}]
    page.get_by_text("Live answers").click()  # a rerun of the same drawing: not said again
    expect(page.locator(ROOT)).to_have_attribute("data-live", "on")
    expect_run_finished(page)
    time.sleep(1.0)
    assert len(said()) == 1
    # A two-stroke 4: the first stroke's answer is not said, the pen went down again.
    clear_canvas(page)
    draw_strokes(page, KEY, place(DIGITS[4][0], *PLACEMENTS[0]), pause=0.15)
    expect(page.locator(".hwr-live[aria-busy='false'] .hwr-answer")).to_have_text(
        "4", use_inner_text=True)
    page.wait_for_function("window.__hwrSaid.length > 1")
    time.sleep(1.0)
    assert [s["text"] for s in said()] == ["seven", "four"]
    page.context.close()


class HeldAnswers:
    """The server's websocket messages to the page, held while ``held`` is true and then
    let through in order: a slow server, on cue."""

    def __init__(self):
        self.held, self.queue, self.route, self.sending = False, [], None, False

    def __call__(self, page) -> None:
        page.route_web_socket("**/_stcore/stream", self._connect)
        # The answers come through Streamlit, whose messages are held: the answer
        # channel (which answers a pen-up with no script run) is closed.
        page.route_web_socket("**/_hwr/answers", lambda ws: ws.close())

    def _connect(self, ws) -> None:
        self.route = ws
        server = ws.connect_to_server()
        server.on_message(self._from_server)

    def _from_server(self, message) -> None:
        self.queue.append(message)
        if not self.held:
            self._send()

    def _send(self) -> None:
        if self.sending:  # a message that came in while sending: the loop below sends it
            return
        self.sending = True
        while self.queue:
            self.route.send(self.queue.pop(0))
        self.sending = False

    def release(self) -> None:
        self.held = False
        self._send()


def test_an_answer_that_arrives_while_the_pen_is_down_is_not_said(browser, live_url):
    slow = HeldAnswers()
    page = open_page(browser, live_url, SPEECH_RECORDER % LOCAL_VOICE, route=slow)
    switch = page.get_by_role("switch", name="Say the answer")
    expect(switch).to_be_enabled()
    switch.check()
    said = lambda: page.evaluate("window.__hwrSaid")  # noqa: E731
    clear_canvas(page)
    expect(page.locator(".hwr-answer")).to_have_count(0)
    slow.held = True  # the first stroke's answer is late: it arrives ...
    draw_strokes(page, KEY, place(DIGITS[4][0], *PLACEMENTS[0]), hold_last=True)
    slow.release()  # ... while the pen is still down at the end of the second stroke
    expect(page.locator(".hwr-answer")).to_have_count(1)
    page.wait_for_timeout(1500)  # well past the pen-up delay before an answer is said
    assert said() == []
    page.mouse.up()
    expect(page.locator(".hwr-answer")).to_have_text("4", use_inner_text=True)
    page.wait_for_function("window.__hwrSaid.length > 0")
    page.wait_for_timeout(1000)
    assert [s["text"] for s in said()] == ["four"]
    page.context.close()


@pytest.mark.parametrize("script, why", [
    (SPEECH_RECORDER % "[]", "No voice is installed on this device."),
    (SPEECH_RECORDER % NETWORK_VOICE, "No voice is installed on this device."),
    (NO_SPEECH, "This browser cannot speak."),
])
def test_without_speech_or_a_local_voice_the_switch_says_so(browser, live_url, script, why):
    page = open_page(browser, live_url, script)
    switch = page.get_by_role("switch", name="Say the answer")
    expect(page.locator(".hwr-say-note")).to_have_text(why)
    expect(switch).to_be_disabled()
    expect(switch).not_to_be_checked()
    page.context.close()


def tab_to(page, check: str, presses: int = 80) -> None:
    """Press Tab until the focused element passes ``check`` (a JS function of it)."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"({check})(document.activeElement)"):
            return
        seen.append(page.evaluate("e => `${e.tagName} ${e.getAttribute('role') || ''} "
                                  "${(e.innerText || e.getAttribute('aria-label') || '')"
                                  ".trim().slice(0, 30)}`", page.evaluate_handle(
                                      "document.activeElement")))
    raise AssertionError(f"Tab never reached {check}: {seen}")


FOCUS_RING = """e => { const s = getComputedStyle(e);
  return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; }"""


def test_keyboard_alone_undoes_clears_toggles_and_saves_a_label(browser, live_url):
    page = open_page(browser, live_url, SPEECH_RECORDER % LOCAL_VOICE)
    clear_canvas(page)
    draw_strokes(page, KEY, place(DIGITS[4][0], *PLACEMENTS[0]), pause=0.15)
    expect(page.locator(ANSWER)).to_have_text("4", use_inner_text=True)  # quiet: the panel
    page.evaluate("document.activeElement && document.activeElement.blur()")

    tab_to(page, "e => e.classList.contains('hwr-undo')")
    assert page.evaluate(f"({FOCUS_RING})(document.activeElement)")  # a visible focus
    page.keyboard.press("Enter")
    expect(page.locator(ROOT)).to_have_attribute("data-strokes", "1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('hwr-clear')")
    assert page.evaluate(f"({FOCUS_RING})(document.activeElement)")
    page.keyboard.press("Space")
    expect(page.locator(ROOT)).to_have_attribute("data-strokes", "0")
    expect(page.locator(ANSWER)).to_have_count(0)

    tab_to(page, "e => e.getAttribute('aria-label') === 'Live answers'")
    page.keyboard.press("Space")
    expect(page.locator(ROOT)).to_have_attribute("data-live", "on")
    expect_run_finished(page)
    tab_to(page, "e => e.closest('.hwr-say') !== null && e.type === 'checkbox'")
    assert page.evaluate(f"({FOCUS_RING})(document.activeElement)")
    page.keyboard.press("Space")
    expect(page.get_by_role("switch", name="Say the answer")).to_be_checked()

    draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    expect(page.locator(FINAL)).to_have_text("7", use_inner_text=True)
    expect_run_finished(page)
    # "Is it right?": Tab reaches the row of digits, the arrows go along it (without
    # choosing), Space saves the drawing under the 7 (ticked)
    tab_to(page, "e => e.closest('[class*=st-key-hwr_confirm]') !== null")
    for _ in range(10):
        if page.evaluate("document.activeElement.innerText.trim().endsWith('7')"):
            break
        page.keyboard.press("ArrowRight")
    expect(page.locator("[class*=st-key-hwr_confirm] [aria-checked=true]")).to_have_count(0)
    page.keyboard.press("Space")
    expect(page.get_by_text("Saved as a 7")).to_be_visible()
    expect(page.locator(ROOT)).to_have_attribute("data-strokes", "0")  # cleared for the next
    page.context.close()


def test_a_flood_of_partial_drawings_leaves_the_others_answered(live_url):
    """One client sends partial drawings as fast as its socket takes them; a student
    drawing with live answers beside it gets every pen-up answered, and live answers;
    the flood's own session runs (and answers) at most every LIVE_INTERVAL."""
    import asyncio
    import json

    from hwr.pages.draw.live import LIVE_INTERVAL
    from tests.support.load_client import Student, drawing_payload, live_answer

    async def flood(seconds: float) -> tuple[int, int]:
        async with Student(live_url) as s:
            stroke = place(DIGITS[8][0], *PLACEMENTS[0])[0]
            sent, answered = 0, set()

            async def read():
                while True:
                    msg = ForwardMsg()
                    msg.ParseFromString(await s.ws.recv())
                    if msg.WhichOneof("type") == "delta" and \
                            msg.delta.new_element.WhichOneof("type") == "markdown":
                        seen = live_answer(msg.delta.new_element.markdown.body)
                        if seen:
                            answered.add(seen[0])

            reader = asyncio.create_task(read())
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                sent += 1
                payload = {**drawing_payload([stroke[:2 + sent % len(stroke)]], 0),
                           "partial": True, "seq": sent}
                await s.ws.send(s.rerun_message(json.dumps({"drawing": payload}),
                                                fragment=True))
                await asyncio.sleep(0.002)
            await asyncio.sleep(1)
            reader.cancel()
            return sent, len(answered)

    async def student() -> list:
        async with Student(live_url, timeout=30) as s:
            await asyncio.sleep(0.5)
            drawn = []
            for digit in (7, 4, 3):
                drawn.append(await s.draw_live(place(DIGITS[digit][0], *PLACEMENTS[0]),
                                               stroke_seconds=0.6))
                await s.clear()
            return drawn

    async def both():
        async with Student(live_url, timeout=30) as s:  # the model loads: wait for it
            for _ in range(120):
                if (await s.draw(place(DIGITS[1][0], *PLACEMENTS[0]))).answer is not None:
                    break
                await asyncio.sleep(0.5)
        return await asyncio.gather(flood(6.0), student())

    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's loop
        (sent, flood_answered), drawn = pool.submit(asyncio.run, both()).result()
    assert sent > 500
    assert flood_answered <= 7.0 / LIVE_INTERVAL  # its own session's runs paced
    assert [d.reply.answer for d in drawn] == ["7", "4", "3"]
    assert all(d.answered == d.pen_ups for d in drawn)
    assert sum(len(d.live_delays) for d in drawn) >= 3


def test_a_page_put_to_sleep_mid_stroke_keeps_the_stroke_and_stops_live(browser, live_url):
    """A phone that sleeps while the pen is down: the stroke ends where it was (its ink
    kept, sent as a pen-up drawing) and no partial drawing is sent after it."""
    page = open_page(browser, live_url)
    turn_live_on(page)
    clear_canvas(page)
    canvas = page.locator(canvas_selector(KEY))
    box = canvas.bounding_box()
    scale = box["width"] / 280
    stroke = place(DIGITS[7][0], *PLACEMENTS[0])[0]
    page.mouse.move(box["x"] + stroke[0][0] * scale, box["y"] + stroke[0][1] * scale)
    page.mouse.down()
    for x, y in stroke[1:]:
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=3)
        time.sleep(0.03)
    page.evaluate("""() => {
        Object.defineProperty(document, "visibilityState", {value: "hidden",
                                                            configurable: true});
        document.dispatchEvent(new Event("visibilitychange")); }""")
    expect(page.locator(ROOT)).to_have_attribute("data-strokes", "1")
    sent_at_sleep = page.locator(ROOT).evaluate("r => r.hwrSent.length")
    time.sleep(0.5)  # no live timer left running
    page.mouse.up()
    sent = page.locator(ROOT).evaluate("r => r.hwrSent")
    assert len(sent) == sent_at_sleep and not sent[-1][1]
    expect(page.locator(f"{REGIONS}[aria-busy='false']:visible")).to_have_attribute(
        "data-seq", str(sent[-1][0]))
    page.context.close()


# The recorder above, also keeping the language each utterance was given.
SPEECH_RECORDER_WITH_LANG = SPEECH_RECORDER.replace(
    "voice: u.voice ? u.voice.name : null", "voice: u.voice ? u.voice.name : null, "
    "lang: u.lang || null")
GERMAN_AND_ENGLISH = ('[{"name": "Local English", "lang": "en-US", "localService": true, '
                      '"default": true}, {"name": "Lokal Deutsch", "lang": "de-DE", '
                      '"localService": true, "default": false}]')


def test_a_german_page_says_the_answer_in_german_with_a_german_voice(browser, live_url):
    from hwr.translation import gettext_in

    page = open_page(browser, f"{live_url}/?lang=de",
                     SPEECH_RECORDER_WITH_LANG % GERMAN_AND_ENGLISH)
    switch = page.get_by_role("switch", name=gettext_in("de", "Say the answer"))
    expect(switch).to_be_enabled()
    switch.click()
    expect(switch).to_be_checked()
    clear_canvas(page)
    draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    expect(page.locator(".hwr-answer")).to_have_text("7", use_inner_text=True)
    page.wait_for_function("window.__hwrSaid.length > 0")
    said = page.evaluate("window.__hwrSaid")
    assert said == [{"text": gettext_in("de", "seven"), "voice": "Lokal Deutsch",
                     "lang": "de"}], said
    assert said[0]["text"] != "seven"
    page.context.close()
