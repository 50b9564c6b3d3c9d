"""Issue 40 in real browsers: a teacher and two students on one server. One student,
with a marker nickname, draws, files a drawing and enters a round; the teacher erases
them from the Teach page (asked first): the wall, the round's results, the rounds' CSV,
the database's bytes (the SQLite file and its WAL) and the server's log hold no trace
of the marker. The other student deletes their own drawings and is told so.

And the notice as a person sees it: the Draw page's line on a laptop and on a Pixel 7
(its buttons 44 px tap targets), the notice's dialog and the Teach page's section,
screenshotted into test-artifacts/, with hwr's stylesheet still there after an erasure.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.support.browser import (
    LAPTOP,
    draw_digit,
    open_page,
    streamlit_server,
    student_on,
)
from tests.support.looks import assert_styled

PASSCODE = "7B-secret"
MARKER = "Zebra-Marker-7"
OTHER = "Quiet-Otter"
WALL = '[data-wall="wall"] .hwr-wall-item'
TAP = 44  # px: a phone's smallest tap target


@pytest.fixture(scope="module")
def server(mnist_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("privacy")
    db, log = folder / "class.sqlite3", folder / "server.log"
    env = {"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db),
           "HWR_TEACHER_PASSCODE": PASSCODE, "HWR_MODEL_CACHE": str(folder / "models")}
    with streamlit_server(env=env, log=log, model_ready=True, preloaded=True) as url:
        yield {"url": url, "db": db, "log": log}




def teacher_on(browser, url: str):
    teacher = open_page(browser, f"{url}/teach", **LAPTOP, accept_downloads=True)
    teacher.get_by_label("Teacher's passcode").fill(PASSCODE)
    teacher.get_by_role("button", name="Unlock").click()
    teacher.get_by_role("button", name="End the class").or_(
        teacher.get_by_role("button", name="Start the class")).first.wait_for()
    if teacher.get_by_role("button", name="Start the class").count():
        teacher.get_by_role("button", name="Start the class").click()
        teacher.get_by_role("button", name="End the class").wait_for()
    return teacher






def stored(db: Path) -> bytes:
    """Every byte of the class database: the file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal"))
                    if p.exists())


def log_lines_with(log: Path, text: str) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if text in line]


def students_data(teacher):
    """The Teach page's "Students' data", open. (The live wall above it reruns every
    second and may shift it under a click: then click again.)"""
    section = teacher.get_by_test_id("stExpander").filter(has_text="Students' data")
    choice = section.get_by_test_id("stSelectbox")
    for _ in range(3):
        if not choice.is_visible():
            section.locator("summary").click()
        try:
            expect(choice).to_be_visible(timeout=10_000)
            return section
        except AssertionError:
            continue
    expect(choice).to_be_visible()
    return section


def choose(teacher, section, name: str) -> None:
    """Pick the student whose line names ``name`` (clicked again if a rerun closed the
    list before the option was clicked)."""
    option = teacher.get_by_role("option", name=re.compile(re.escape(name)))
    for _ in range(3):
        if not option.is_visible():
            section.get_by_test_id("stSelectbox").click()
        try:
            option.click(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    expect(section.get_by_role("combobox")).to_have_value(re.compile(re.escape(name)))


def test_an_erased_student_leaves_no_trace(browser, server, artifacts):
    url, db, log = server["url"], server["db"], server["log"]
    teacher = teacher_on(browser, url)
    errors = []
    teacher.on("pageerror", lambda e: errors.append(str(e)))
    marked, other = student_on(browser, url, MARKER), student_on(browser, url, OTHER)
    for page in (marked, other):
        page.get_by_text("This class keeps your nickname").wait_for()

    # the marked student draws and files a drawing; the other draws one
    draw_digit(marked, 7)
    marked.locator('[class*="st-key-hwr_confirm_"] button', has_text="7").click()
    marked.get_by_text("Saved as a 7").wait_for()
    draw_digit(other, 4)
    expect(teacher.locator(f'{WALL}[data-student="{MARKER}"]')).to_have_count(1,
                                                                             timeout=30_000)
    expect(teacher.locator(f'{WALL}[data-student="{OTHER}"]')).to_have_count(1)

    # a round, both enter it; its results name both
    teacher.get_by_text("Timer", exact=True).click()  # no timer: until the teacher ends it
    teacher.get_by_role("button", name="Start the round").click()
    for page, digit in ((marked, 7), (other, 7)):
        expect(page.locator(".hwr-prompt")).to_have_text("Everyone draw a 7", timeout=30_000)
        draw_digit(page, digit)
        page.get_by_role("button", name="Done").click()
        page.get_by_text("Your drawing is in").wait_for()
    teacher.get_by_role("button", name="End the round").click()
    results = teacher.locator(".hwr-round-results")
    expect(results).to_have_attribute("data-entries", "2", timeout=30_000)
    expect(results.locator(f'.hwr-round-row[data-student="{MARKER}"]')).to_have_count(1)
    assert MARKER.encode() in stored(db)

    # the teacher erases the marked student, asked first
    section = students_data(teacher)
    choose(teacher, section, MARKER)
    expect(section.locator(".hwr-gallery img")).to_have_count(2)  # the wall and the round
    teacher.screenshot(path=artifacts / "privacy-teach-student.png", full_page=True)
    section.get_by_role("button", name="Erase this student").click()
    dialog = teacher.get_by_role("dialog")
    expect(dialog).to_contain_text("there is no undo")
    teacher.screenshot(path=artifacts / "privacy-erase-dialog.png")
    dialog.get_by_role("button", name="Yes, erase").click()
    teacher.get_by_text("The student was erased").wait_for()
    expect(teacher.get_by_role("dialog")).to_have_count(0)

    # no trace: the wall, the round's results and its CSV, the database, the log
    expect(teacher.locator(f'{WALL}[data-student="{MARKER}"]')).to_have_count(0,
                                                                             timeout=30_000)
    expect(teacher.locator(f'{WALL}[data-student="{OTHER}"]')).to_have_count(2)  # 4, 7
    expect(results).to_have_attribute("data-entries", "1", timeout=30_000)
    expect(results).not_to_contain_text(MARKER)
    with teacher.expect_download() as download:
        teacher.get_by_role("button", name="Download the rounds (CSV)").click()
    rows = download.value.path().read_text()
    assert MARKER not in rows and OTHER in rows
    time.sleep(3)  # the marked student's page polls on: it posts nothing again
    assert MARKER.encode() not in stored(db), "the marker is still in the database"
    assert_styled(teacher, "the Teach page after an erasure")
    assert_styled(marked, "the erased student's page")

    # the other student deletes their own drawings, asked first
    other.get_by_role("button", name="Delete my drawings").click()
    other.get_by_role("dialog").get_by_role("button", name="Yes, delete").click()
    other.get_by_text(re.compile(r"Your \d+ drawings? (was|were) deleted")).wait_for()
    expect(teacher.locator(f'{WALL}[data-student="{OTHER}"]')).to_have_count(0,
                                                                            timeout=30_000)
    assert OTHER.encode() not in stored(db)
    assert_styled(other, "the Draw page after Delete my drawings")
    other.screenshot(path=artifacts / "privacy-deleted.png", full_page=True)

    assert not errors
    assert log_lines_with(log, MARKER) == [], "the server's log names the marked student"
    assert log_lines_with(log, OTHER) == []
    for page in (teacher, marked, other):
        page.context.close()


def test_the_notice_as_a_person_sees_it(browser, server, artifacts):
    url = server["url"]
    teacher = teacher_on(browser, url)
    laptop = student_on(browser, url, "Ana")
    phone = student_on(browser, url, "Ben", phone=True)
    for page, kind in ((laptop, "laptop"), (phone, "phone")):
        line = page.locator(".st-key-hwr-privacy")
        expect(line).to_contain_text("30 days after the class ends")
        draw_digit(page, 3)
        line.scroll_into_view_if_needed()
        assert_styled(page, f"the Draw page with the notice ({kind})")
        page.screenshot(path=artifacts / f"privacy-draw-{kind}.png", full_page=True)
        page.screenshot(path=artifacts / f"privacy-line-{kind}.png")
        for name in ("Delete my drawings", "What is kept"):
            box = line.get_by_role("button", name=name).bounding_box()
            if kind == "phone":
                assert box["width"] >= TAP and box["height"] >= TAP, (name, box)
        button = line.get_by_role("button", name="What is kept")
        button.tap() if kind == "phone" else button.click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("What is never kept")
        expect(dialog).to_contain_text("usage statistics are turned off")
        page.screenshot(path=artifacts / f"privacy-notice-{kind}.png")
        close = dialog.get_by_test_id("stBaseButton-secondary").filter(has_text="Close")
        if kind == "phone":
            box = close.bounding_box()
            assert box["height"] >= TAP, box
            close.tap()
        else:
            close.click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        assert_styled(page, f"the Draw page after the notice ({kind})")
        if kind == "phone":  # "Delete my drawings" asks first; its answers are tap-sized
            line.get_by_role("button", name="Delete my drawings").tap()
            dialog = page.get_by_role("dialog")
            expect(dialog).to_contain_text("This cannot be undone")
            page.screenshot(path=artifacts / "privacy-delete-dialog-phone.png")
            for name in ("Yes, delete", "Cancel"):
                box = dialog.get_by_role("button", name=name).bounding_box()
                assert box["width"] >= TAP and box["height"] >= TAP, (name, box)
            dialog.get_by_role("button", name="Cancel").tap()
            expect(page.get_by_role("dialog")).to_have_count(0)
            expect(page.locator(".hwr-answer")).to_have_text("3")  # nothing deleted
    teacher.get_by_text("This class's data is deleted 30 days after the class ends").wait_for()
    teacher.screenshot(path=artifacts / "privacy-teach.png", full_page=True)
    for page in (teacher, laptop, phone):
        page.context.close()
