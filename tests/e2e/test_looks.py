"""The pages keep their looks through a lesson: after each kind of rerun a page goes
through (a save with its notice, a round's start and end, a language switch, a removed
student, a dialog, a relabel), the page still carries its stylesheet, measured by
computed style and geometry (tests/support/looks.py), on a laptop and on a Pixel 7.

Found by looking: after a student's first "Is it right?" tap the next answer was a
plain 16 px digit and the bars a tall list, until a reload (the toast took the
stylesheet's place in Streamlit's event container)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    LAPTOP,
    draw_digit,
    expect_run_finished,
    open_page,
    streamlit_server,
    student_on,
)
from tests.support.classes import end_any_class
from tests.support.looks import assert_answer_laid_out, assert_styled

PASSCODE = "7B-secret"
DB = {}  # the module's class database


@pytest.fixture(scope="module")
def lesson_url(mnist_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("looks") / "class.sqlite3"
    DB["path"] = db
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db),
                               "HWR_TEACHER_PASSCODE": PASSCODE},
                          model_ready=True, preloaded=True) as url:
        yield url




def teacher_on(browser, url: str):
    teacher = open_page(browser, f"{url}/teach", **LAPTOP)
    teacher.get_by_label("Teacher's passcode").fill(PASSCODE)
    teacher.get_by_role("button", name="Unlock").click()
    teacher.get_by_role("button", name="End the class").or_(
        teacher.get_by_role("button", name="Start the class")).first.wait_for()
    return teacher






def open_sidebar(page, inside) -> None:
    """Open a phone's collapsed sidebar until ``inside`` is on screen (a tap during the
    page's rerun can go to a button being redrawn: then tap again)."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    for _ in range(3):
        if expand.is_visible():
            expand.tap()
        try:
            expect(inside).to_be_in_viewport(timeout=30_000)  # the sidebar has slid in
            return
        except AssertionError:
            continue
    expect(inside).to_be_in_viewport()


def confirm(page, digit: int) -> None:
    """Tap the digit under "Is it right?": the drawing is saved, with a notice."""
    button = page.locator('[class*="st-key-hwr_confirm_"] button', has_text=str(digit))
    if getattr(page, "cdp", None) is not None:
        button.tap()
    else:
        button.click()
    page.get_by_text(f"Saved as a {digit}").wait_for()


def test_students_pages_keep_their_looks_through_a_lesson(browser, lesson_url, artifacts):
    end_any_class(DB["path"])  # a rerun starts with no class, as the first try did
    teacher = teacher_on(browser, lesson_url)
    teacher.get_by_role("button", name="Start the class").click()
    teacher.get_by_role("button", name="End the class").wait_for()
    students = {"laptop": student_on(browser, lesson_url, "Ana", phone=False),
                "phone": student_on(browser, lesson_url, "Ben", phone=True)}

    def look(after: str, digit: int) -> None:
        for kind, page in students.items():
            where = f"{kind}, after {after}"
            try:
                draw_digit(page, digit)
                assert_answer_laid_out(page, where, phone=kind == "phone")
            except AssertionError:
                page.screenshot(path=artifacts / f"looks-{kind}-{after.replace(' ', '-')}.png",
                                full_page=True)
                raise

    look("the first drawing", 7)
    for page in students.values():  # a save with its notice, then the next drawing
        confirm(page, 7)
        assert_styled(page, "right after a save's notice")
    look("a save", 3)

    teacher.get_by_label("Seconds (5 to 600)").fill("30")
    teacher.get_by_role("button", name="Start the round").click()
    for page in students.values():
        expect(page.locator(".hwr-prompt")).to_be_visible(timeout=30_000)
    look("a round's start", 7)
    teacher.get_by_role("button", name="End the round").click()
    for page in students.values():
        page.get_by_text("Round over").wait_for(timeout=30_000)
    look("a round's end", 4)

    for (kind, page), language in zip(students.items(), ("Deutsch", "Español")):
        picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]')
        if kind == "phone":  # the phone's sidebar opens over the page, and closes again
            open_sidebar(page, picker)
        picker.click()
        page.get_by_role("option", name=language).click()
        expect(page).to_have_url(re.compile(f"lang={'de' if kind == 'laptop' else 'es'}"))
        if kind == "phone":
            page.locator('[data-testid="stSidebar"] [data-testid="stSidebarCollapseButton"]'
                         ' button').tap()
        assert_answer_laid_out(page, f"{kind}, after a language switch", phone=kind == "phone")

    # The teacher removes the phone's student: both pages rerun with a notice.
    tile = teacher.locator('[data-wall="wall"] .hwr-wall-item[data-student="Ben"]').first
    tile.get_by_role("button", name=re.compile("Remove")).click()
    dialog = teacher.get_by_role("dialog")  # a confirmation first: a dialog's rerun
    dialog.get_by_role("button", name=re.compile("Remove")).click()
    expect(dialog).to_have_count(0)
    expect(teacher.locator('.hwr-wall-item[data-student="Ben"]')).to_have_count(0)
    assert_styled(teacher, "the teacher's page, after removing a student")
    teacher.screenshot(path=artifacts / "looks-teacher-after-remove.png", full_page=True)
    phone = students["phone"]
    draw_digit(phone, 2)
    assert_answer_laid_out(phone, "phone, after being removed", phone=True)
    for page in (teacher, *students.values()):
        page.context.close()


def test_a_clicked_confusion_cell_brings_its_images_into_view(browser, lesson_url):
    page = open_page(browser, f"{lesson_url}/evaluation", **LAPTOP)
    page.wait_for_selector("text=Training curves")
    expect_run_finished(page)  # the chart is drawn: a click now is not lost
    chart = page.locator(".st-key-cm_chart")
    chart.scroll_into_view_if_needed()
    page.locator('.st-key-cm_chart path[aria-label*="true: 7; predicted: 2;"]').click(
        position={"x": 4, "y": 4})  # a corner: the centre holds the count label
    expect(page.get_by_text("test images of the digit 7 predicted as 2")).to_be_visible()
    area = page.locator(".st-key-hwr-cm-cell")
    page.wait_for_function(
        "() => { const r = document.querySelector('.st-key-hwr-cm-cell')"
        ".getBoundingClientRect(); return r.top >= -1 && r.top < innerHeight / 3; }")
    assert area.locator("img.hwr-pixels").first.is_visible()
    assert_styled(page, "the Evaluation page, after a cell's click")
    page.context.close()
