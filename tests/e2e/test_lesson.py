"""A lesson in real browsers: a teacher (with the passcode) and three students on one
server. Moderation (hide and its undo on two open walls, remove a student, approve
first, freeze), then a round with a short timer that ends on its own, its results on the
wall and its CSV download."""

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import canvas_selector, clear_canvas, draw_strokes, streamlit_server
from tests.support.classes import end_any_class
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = "7B-secret"
KEY = "canvas-digit"
WALL = '[data-wall="wall"] .hwr-wall-item'
QUEUE = '[data-wall="queue"] .hwr-wall-item'


DB = {}  # the module's class database, for a failure's diagnosis


@pytest.fixture(scope="module")
def lesson_url(mnist_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("lesson") / "class.sqlite3"
    DB["path"] = db
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db),
                               "HWR_TEACHER_PASSCODE": PASSCODE},
                          model_ready=True, preloaded=True) as url:
        yield url


def new_page(browser, url: str, **context):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}, **context).new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def unlock(page) -> None:
    page.get_by_label("Teacher's passcode").fill(PASSCODE)
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="End the class").or_(
        page.get_by_role("button", name="Start the class")).first.wait_for()


def draw(page, digit: int) -> None:
    clear_canvas(page, KEY)
    draw_strokes(page, KEY, place(DIGITS[digit][0], *PLACEMENTS[0]))
    expect(page.locator(".hwr-answer")).to_have_text(str(digit), timeout=30_000)


def rows_of(name: str) -> str:
    """What the database holds of a student's drawings (said when a wall check fails)."""
    from sqlalchemy import select

    from hwr.class_data.collection import ClassCollection
    from hwr.class_data.storage import drawings

    d = drawings.c
    with ClassCollection(DB["path"])._connection() as conn:
        rows = conn.execute(select(d.drawing, d.predicted, d.hidden, d.approved, d.updated)
                            .where(d.nickname == name)).all()
    return f"{name}'s drawings (drawing, answer, hidden, approved, updated): {rows}"


def item(teacher, name: str, where: str = WALL, digit: int | None = None):
    extra = "" if digit is None else f'[data-digit="{digit}"]'
    return teacher.locator(f'{where}[data-student="{name}"]{extra}')


def test_a_lesson_with_moderation_and_a_round(browser, lesson_url, artifacts):
    end_any_class(DB["path"])  # a rerun starts with no class, as the first try did
    teacher = new_page(browser, f"{lesson_url}/teach", accept_downloads=True)
    errors = []
    teacher.on("pageerror", lambda e: errors.append(str(e)))
    unlock(teacher)
    early = new_page(browser, f"{lesson_url}/?name=Dee")  # open before the class starts
    early.wait_for_selector(canvas_selector(KEY))
    teacher.get_by_label("Class name").fill("7B, lesson")
    teacher.get_by_role("button", name="Start the class").click()
    teacher.get_by_role("button", name="End the class").wait_for()
    projector = new_page(browser, f"{lesson_url}/teach")  # a second open wall
    unlock(projector)

    students = {}
    for name, digit in (("Ana", 7), ("Ben", 4), ("Cy", 3)):
        page = new_page(browser, f"{lesson_url}/?name={name}")
        page.wait_for_selector(canvas_selector(KEY))
        page.get_by_text("Your drawings appear on the class wall").wait_for()
        draw(page, digit)
        students[name] = page
    for name, digit in (("Ana", 7), ("Ben", 4), ("Cy", 3)):
        expect(item(teacher, name)).to_have_attribute("data-digit", str(digit),
                                                      timeout=30_000)
        expect(item(projector, name)).to_have_count(1, timeout=30_000)

    # hide: gone from both walls; undo brings it back
    item(teacher, "Ana").get_by_role("button", name=re.compile("Hide")).click()
    expect(item(teacher, "Ana")).to_have_count(0)
    expect(item(projector, "Ana")).to_have_count(0, timeout=30_000)
    teacher.get_by_role("button", name="Undo the hide").click()
    expect(item(teacher, "Ana")).to_have_count(1, timeout=30_000)
    expect(item(projector, "Ana")).to_have_count(1, timeout=30_000)

    # remove a student: their drawings go, they get a plain note at once (the answer
    # channel tells their idle page: class events), they post nothing more
    item(teacher, "Ben").get_by_role("button", name=re.compile("Remove")).click()
    teacher.get_by_role("dialog").get_by_role("button", name="Remove Ben").click()  # asked
    expect(item(projector, "Ben")).to_have_count(0, timeout=30_000)
    students["Ben"].get_by_text("removed you from this class").first.wait_for()
    draw(students["Ben"], 1)  # still answered
    time.sleep(2)
    expect(item(teacher, "Ben")).to_have_count(0)

    # approve first: a new drawing waits in the teacher's queue until approved
    teacher.get_by_text("Approve drawings first").click()
    teacher.get_by_text("Waiting for your approval").wait_for()
    draw(students["Cy"], 2)
    expect(item(teacher, "Cy", QUEUE)).to_have_attribute("data-digit", "2", timeout=30_000)
    time.sleep(2)
    expect(item(projector, "Cy", digit=2)).to_have_count(0)  # waits: not on the wall
    item(teacher, "Cy", QUEUE).get_by_role("button", name=re.compile("Approve")).click()
    expect(item(projector, "Cy", digit=2)).to_have_count(1, timeout=30_000)
    teacher.get_by_text("Approve drawings first").click()  # off again
    expect(teacher.get_by_text("Waiting for your approval")).to_have_count(0,
                                                                          timeout=30_000)

    # freeze: nothing new appears until unfrozen
    teacher.get_by_role("button", name="Freeze the wall").click()
    teacher.get_by_role("button", name="Unfreeze the wall").wait_for()
    draw(students["Ana"], 0)
    time.sleep(3)
    expect(item(projector, "Ana", digit=0)).to_have_count(0)  # held back
    expect(item(projector, "Ana", digit=7)).to_have_count(1)  # what was there stays
    teacher.get_by_role("button", name="Unfreeze the wall").click()
    teacher.get_by_role("button", name="Freeze the wall").wait_for()
    try:
        expect(item(teacher, "Ana", digit=0)).to_have_count(1, timeout=30_000)
        expect(item(projector, "Ana", digit=0)).to_have_count(1, timeout=30_000)
    except AssertionError as e:
        teacher.screenshot(path=artifacts / "lesson-unfrozen-failed.png", full_page=True)
        raise AssertionError(f"{e}\n{rows_of('Ana')}") from None
    teacher.screenshot(path=artifacts / "lesson-wall.png", full_page=True)

    # a round: everyone draws a 7 in 12 seconds; it ends on its own
    teacher.get_by_label("Seconds (5 to 600)").fill("12")
    teacher.get_by_role("button", name="Start the round").click()
    for name in ("Ana", "Cy"):
        prompt = students[name].locator(".hwr-prompt")
        expect(prompt).to_have_text("Everyone draw a 7", timeout=30_000)
        expect(students[name].locator(".hwr-countdown")).to_contain_text("s left")
    expect(students["Ben"].locator(".hwr-prompt")).to_have_count(0)  # removed: no round
    # the page opened before the class looked for one, and now shows the round too
    expect(early.locator(".hwr-prompt")).to_have_text("Everyone draw a 7")
    draw(students["Cy"], 7)  # no Done: the time being up enters it
    draw(students["Ana"], 7)
    students["Ana"].get_by_role("button", name="Done").click()
    students["Ana"].get_by_text("Your drawing is in").wait_for()
    results = teacher.locator(".hwr-round-results")
    expect(results).to_have_attribute("data-entries", "2", timeout=30_000)
    expect(results).to_contain_text("the model read 2 of 2 right")
    expect(results.locator(".hwr-round-row")).to_have_count(2)
    expect(projector.locator(".hwr-round-results")).to_have_count(1, timeout=30_000)
    students["Cy"].get_by_text("Round over").wait_for(timeout=30_000)
    teacher.screenshot(path=artifacts / "lesson-round.png", full_page=True)

    with teacher.expect_download() as download:
        teacher.get_by_role("button", name="Download the rounds (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert sorted(r["nickname"] for r in rows) == ["Ana", "Cy"]
    assert {(r["prompt"], r["answer"], r["right"]) for r in rows} == {("7", "7", "yes")}
    assert download.value.suggested_filename.endswith(".csv")
    assert not errors
    for page in (teacher, projector, early, *students.values()):
        page.context.close()
