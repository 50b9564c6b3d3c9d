"""Accessibility, in a real browser: an axe-core audit of every page (Draw with an answer,
Evaluation, Class, Teach locked and unlocked with a class on) at a phone's and a
laptop's size, with no serious or critical violation; the answer in a polite live
region; the canvas named and described."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.browser import (
    ANSWER,
    canvas_selector,
    clear_canvas,
    draw_strokes,
    expect_run_finished,
    streamlit_server,
    touch_strokes,
    wait_idle,
)
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = "7B-secret"
KEY = "canvas-digit"
SERIOUS = {"serious", "critical"}
# Violations in Streamlit's own widgets that hwr cannot fix, by axe rule: the CSS
# selectors to leave out of the audit, each with the Streamlit issue that names it.
# (None today: Streamlit 1.67's caption and selected-option colours are set anew in
# style.css, and st.image takes alt text.)
STREAMLIT_EXCLUDED: list[str] = []


@pytest.fixture(scope="module")
def class_url(mnist_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("a11y") / "class.sqlite3"
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db),
                               "HWR_TEACHER_PASSCODE": PASSCODE},
                          model_ready=True, preloaded=True) as url:
        yield url


def new_context(browser, viewport: str):
    if viewport == "phone":
        return browser.new_context(**browser.devices["Pixel 7"])
    return browser.new_context(viewport={"width": 1280, "height": 1000})


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element."""
    context = {"exclude": [[s] for s in STREAMLIT_EXCLUDED]} if STREAMLIT_EXCLUDED else None
    results = Axe().run(page, context=context)
    return [f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')}"
            for v in results.response["violations"] if v["impact"] in SERIOUS
            for node in v["nodes"]]


def draw_until_answered(page, viewport: str) -> None:
    """A 7 on the canvas and its answer on the page (a fresh server loads its model)."""
    strokes = place(DIGITS[7][0], *PLACEMENTS[0])
    cdp = page.context.new_cdp_session(page) if viewport == "phone" else None
    for _ in range(40):
        if cdp is not None:
            touch_strokes(page, cdp, KEY, strokes)
        else:
            draw_strokes(page, KEY, strokes)
        try:
            expect(page.locator(ANSWER)).to_have_text("7", use_inner_text=True,
                                                             timeout=4_000)
            return
        except AssertionError:
            clear_canvas(page)
    raise AssertionError("the Draw page never answered")


def settled(page) -> None:
    expect_run_finished(page, timeout=180)
    wait_idle(page, timeout=180)


@pytest.mark.parametrize("viewport", ["laptop", "phone"])
def test_no_serious_violation_on_any_page(browser, class_url, viewport, artifacts):
    teacher = new_context(browser, viewport).new_page()
    teacher.set_default_timeout(180_000)
    teacher.goto(f"{class_url}/teach")
    teacher.get_by_label("Teacher's passcode").wait_for()
    settled(teacher)
    found = {"teach, locked": serious_violations(teacher)}
    teacher.get_by_label("Teacher's passcode").fill(PASSCODE)
    teacher.get_by_role("button", name="Unlock").click()
    start = teacher.get_by_role("button", name="Start the class")
    end = teacher.get_by_role("button", name="End the class")
    expect(start.or_(end).first).to_be_visible()
    if start.count():
        start.click()
        end.wait_for()

    student = new_context(browser, viewport).new_page()
    student.set_default_timeout(180_000)
    student.goto(class_url)
    student.wait_for_selector(canvas_selector(KEY))
    draw_until_answered(student, viewport)
    settled(student)
    found["draw, answered"] = serious_violations(student)
    for path, heading in (("evaluation", "How good is the model?"),
                          ("class", "Our class's digits")):
        student.goto(f"{class_url}/{path}")
        student.get_by_role("heading", name=heading).wait_for()
        settled(student)
        found[path] = serious_violations(student)
    teacher.locator(".hwr-wall-tile").first.wait_for()  # the wall shows the 7
    settled(teacher)
    found["teach, unlocked"] = serious_violations(teacher)
    teacher.screenshot(path=artifacts / f"a11y-teach-{viewport}.png", full_page=True)
    end.click()
    teacher.get_by_role("button", name="Yes, end the class").click()  # asked first
    start.wait_for()
    teacher.context.close()
    student.context.close()
    failing = [f"{page}: {line}" for page, lines in found.items() for line in lines]
    assert not failing, "\n".join(failing)


def test_the_answer_is_in_a_polite_live_region_and_the_canvas_is_described(page):
    canvas = page.locator(canvas_selector(KEY))
    assert canvas.get_attribute("role") == "img"
    assert canvas.get_attribute("aria-label") == "Drawing area for one digit"
    help_id = canvas.get_attribute("aria-describedby")
    assert "lift the pen" in page.locator(f"#{help_id}").text_content()
    region = page.locator(".hwr-live")
    expect(region).to_have_attribute("aria-live", "polite")  # the invitation, for now
    # Quiet (no class), the canvas's panel answers, in a polite region of its own;
    # Python's, hidden behind it, is not read.
    answer = page.locator("[aria-live='polite']:visible :is(.hwr-answer, .hwr-ch-digit)")
    for _ in range(40):
        draw_strokes(page, KEY, place(DIGITS[3][0], *PLACEMENTS[0]))
        try:
            expect(answer).to_have_text("3", use_inner_text=True, timeout=4_000)
            break
        except AssertionError:
            clear_canvas(page)
    assert answer.count() == 1
    assert page.locator("[aria-live]:visible").count() == 1  # one region speaks
    assert page.locator("[aria-busy='true']:visible").count() == 0
    # the buttons' names are their words (the arrow and cross are hidden from readers)
    expect(page.get_by_role("button", name="Undo", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Clear", exact=True)).to_be_enabled()


def test_the_teacher_unlocks_starts_and_ends_a_class_with_the_keyboard(browser, class_url):
    page = new_context(browser, "laptop").new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{class_url}/teach")
    field = page.get_by_label("Teacher's passcode")
    field.wait_for()
    settled(page)
    for _ in range(60):  # Tab from the top of the page to the passcode
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('type') === 'password'"):
            break
    page.keyboard.type(PASSCODE)
    page.keyboard.press("Enter")
    start = page.get_by_role("button", name="Start the class")
    end = page.get_by_role("button", name="End the class")
    expect(start.or_(end).first).to_be_visible()
    for button, then in ((start, end), (end, start)):
        if not button.count():
            continue
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("name => document.activeElement.tagName === 'BUTTON' && "
                             "document.activeElement.innerText.includes(name)",
                             button_name(button)):
                break
        focused = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return s.boxShadow !== 'none' || (s.outlineStyle !== 'none'
                                              && parseFloat(s.outlineWidth) > 0); }""")
        assert focused, "no visible focus on the teacher's button"
        page.keyboard.press("Enter")
        if button is end:  # asked first: "Yes, end the class", from the keyboard too
            page.get_by_role("button", name="Yes, end the class").wait_for()
            for _ in range(10):
                if page.evaluate("document.activeElement.tagName === 'BUTTON' && "
                                 "document.activeElement.innerText.includes("
                                 "'Yes, end the class')"):
                    break
                page.keyboard.press("Tab")
            page.keyboard.press("Enter")
        then.wait_for()
    page.context.close()


def button_name(locator) -> str:
    return locator.inner_text().split("\n")[-1].strip()
