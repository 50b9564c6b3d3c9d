"""The teacher and the students in real browsers, against a server with a passcode set."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from hwr.class_data.teacher import clean_nickname
from tests.support.browser import (
    canvas_selector,
    clear_canvas,
    draw_strokes,
    expect_run_finished,
    streamlit_server,
)
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = "7B-secret"
KEY = "canvas-digit"
TEACHER_CONTROLS = ["Start the class", "End the class", "Reopen", "Delete them",
                    "Download .npz", "Download IDX files (zip)"]
HOSTILE = ["<svg onload=hwrXss=1>", "<img src=x onerror=hwrXss=2>", "<script>hwrXss=3</script>"]


@pytest.fixture(scope="module")
def class_url(mnist_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("teach") / "class.sqlite3"
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db),
                               "HWR_TEACHER_PASSCODE": PASSCODE}) as url:
        yield url


def new_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def visible_controls(page) -> list[str]:
    return [name for name in TEACHER_CONTROLS
            if page.get_by_role("button", name=name).count()]


def test_a_student_sees_no_teacher_control_on_any_page(browser, class_url):
    page = new_page(browser, class_url)
    page.wait_for_selector(canvas_selector(KEY))
    for path in ("draw", "evaluation", "class", "teach"):
        page.goto(f"{class_url}/{path}")
        page.wait_for_selector("h1")
        page.wait_for_load_state("networkidle")
        expect_run_finished(page)  # the page is all there: no control comes later
        assert visible_controls(page) == [], path
        text = page.locator("body").inner_text()
        assert ".sqlite3" not in text and "/root" not in text and "Traceback" not in text
    assert page.get_by_label("Teacher's passcode").count() == 1
    page.context.close()


def unlock_and_start(page, name: str) -> None:
    page.get_by_label("Teacher's passcode").fill(PASSCODE)
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="Start the class").wait_for()
    page.get_by_label("Class name").fill(name)
    page.get_by_role("button", name="Start the class").click()
    page.get_by_role("button", name="End the class").wait_for()


def test_the_wall_shows_a_students_drawing_as_text_safe_tiles(browser, class_url, artifacts):
    teacher = new_page(browser, f"{class_url}/teach")
    page_errors = []
    teacher.on("pageerror", lambda e: page_errors.append(str(e)))
    teacher.get_by_label("Teacher's passcode").fill("wrong")
    teacher.get_by_role("button", name="Unlock").click()
    teacher.get_by_text("That is not the passcode.").wait_for()
    assert visible_controls(teacher) == []
    unlock_and_start(teacher, "7B, 25 Nov")
    assert teacher.locator(".hwr-qr svg").count() == 1
    assert teacher.locator(".hwr-join-url").inner_text().startswith("http://")

    for n, raw in enumerate(HOSTILE):
        nickname = clean_nickname(raw)  # cut to 24 characters
        student = new_page(browser, f"{class_url}/?name={quote(raw)}")
        student.wait_for_selector(canvas_selector(KEY))
        student.get_by_text("Your drawings appear on the class wall").wait_for()
        digit = (7, 4, 3)[n]
        strokes = place(DIGITS[digit][0], *PLACEMENTS[0])
        draw_strokes(student, KEY, strokes)
        tile = teacher.locator(".hwr-wall-tile", has_text=nickname)
        tile.wait_for(timeout=5_000)  # the wall refreshes itself (delay: benchmarks/wall_delay)
        assert tile.locator(".hwr-nickname").inner_text() == nickname  # shown as text
        # the wall follows the drawing: a 4's first stroke alone may show as another digit
        expect(tile.locator("b")).to_have_text(str(digit), timeout=5_000)
        clear_canvas(student)
        student.context.close()
    teacher.screenshot(path=artifacts / "teach-wall.png", full_page=True)
    assert teacher.evaluate("window.hwrXss === undefined")
    assert teacher.locator(".hwr-wall img[src='x']").count() == 0
    assert not page_errors

    teacher.get_by_role("button", name="End the class").click()
    teacher.get_by_role("button", name="Start the class").wait_for()
    teacher.context.close()
