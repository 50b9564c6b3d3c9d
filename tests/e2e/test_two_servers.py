"""Two app servers, one PostgreSQL, for real: what a student saves through one appears
on the other's Class page, a model the teacher chooses on one answers on the other, and
a drawing the teacher hides or a student removed on one leaves the other's wall.

Each server has its own state folder (its own model cache), as on two machines. The
tests share one pair of servers (``two_servers``): a server's start costs seconds of
CPU, the suite's scarcest resource (docs/development.md)."""

import re
import time

from playwright.sync_api import expect

from hwr.class_data.collection import ClassCollection
from hwr.class_data.model_store import ModelStore
from tests.e2e.conftest import TWO_SERVERS_PASSCODE
from tests.support.browser import canvas_selector, draw_strokes
from tests.support.classes import end_any_class
from tests.support.models import always
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = TWO_SERVERS_PASSCODE
KEY = "canvas-digit"


def new_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def unlock(page) -> None:
    page.get_by_label("Teacher's passcode").fill(PASSCODE)
    page.get_by_role("button", name="Unlock").click()


def test_a_digit_saved_on_one_server_is_on_the_others_class_page(browser, two_servers):
    _, a, b = two_servers
    teacher = new_page(browser, f"{b}/teach")  # the teacher starts the class on B
    unlock(teacher)
    teacher.get_by_role("button", name="Start the class").click()
    teacher.get_by_role("button", name="End the class").wait_for()

    student = new_page(browser, a)  # a student draws and saves on A
    student.wait_for_selector(canvas_selector(KEY))
    student.get_by_text("Your drawings appear on the class wall").wait_for()
    draw_strokes(student, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    student.locator('[class*="st-key-hwr_confirm_"] button', has_text="7").click()
    student.get_by_text("Saved as a 7").wait_for()

    teacher.get_by_role("link", name="Class").click()
    collected = teacher.get_by_test_id("stMetric").filter(has_text="Digits collected")
    expect(collected.get_by_test_id("stMetricValue")).to_have_text("1")
    student.context.close()
    teacher.context.close()


def test_a_model_chosen_on_one_server_answers_on_the_other(browser, two_servers,
                                                            tmp_path):
    url, a, b = two_servers
    store = ModelStore(ClassCollection(url).engine, tmp_path / "cache")
    store.add(always(3), parent="original", class_digits=212, class_name="7B")

    teacher = new_page(browser, f"{a}/teach")
    unlock(teacher)
    teacher.get_by_role("button", name="End the class").or_(
        teacher.get_by_role("button", name="Start the class")).first.wait_for()
    teacher.get_by_role("link", name="Class").click()
    teacher.get_by_text("Earlier class models").click()
    teacher.get_by_role("button", name="Use this model").click()
    teacher.get_by_role("button", name="Back to the original model").wait_for()

    student = new_page(browser, b)
    student.wait_for_selector(canvas_selector(KEY))
    draw_strokes(student, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    student.get_by_text("learned from 212 of our digits").wait_for(timeout=30_000)
    expect(student.locator(".hwr-answer")).to_have_text("3", use_inner_text=True)

    teacher.get_by_role("button", name="Back to the original model").click()
    teacher.get_by_text("Answering every student now: the original model").wait_for()
    student.context.close()
    teacher.context.close()


def teacher_on(browser, url: str):
    page = new_page(browser, f"{url}/teach")
    unlock(page)
    page.get_by_role("button", name="End the class").or_(
        page.get_by_role("button", name="Start the class")).first.wait_for()
    return page


def test_a_teacher_on_one_server_hides_what_another_server_took(browser, two_servers):
    url, a, b = two_servers
    end_any_class(url)  # a rerun starts with no class, as the first try did
    teacher = teacher_on(browser, a)
    teacher.get_by_role("button", name="Start the class").click()
    teacher.get_by_role("button", name="End the class").wait_for()
    projector = teacher_on(browser, b)  # the wall on the other server

    student = new_page(browser, f"{b}/?name=Quick%20Otter")  # the student on server B
    student.wait_for_selector(canvas_selector(KEY))
    draw_strokes(student, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    on_a = teacher.locator('[data-wall="wall"] .hwr-wall-item[data-student="Quick Otter"]')
    on_b = projector.locator('[data-wall="wall"] .hwr-wall-item[data-student="Quick Otter"]')
    expect(on_a).to_have_attribute("data-digit", "7", timeout=30_000)
    expect(on_b).to_have_count(1, timeout=30_000)

    tapped = time.monotonic()
    on_a.get_by_role("button", name=re.compile("Hide")).click()
    # Gone from the other server's wall (its delay is printed; the figure under load is
    # benchmarks/wall_delay.py's: a timed assertion here failed beside another worker).
    expect(on_b).to_have_count(0, timeout=30_000)
    gone = time.monotonic() - tapped
    teacher.get_by_role("button", name="Undo the hide").click()
    expect(on_b).to_have_count(1, timeout=30_000)

    on_a.get_by_role("button", name=re.compile("Remove")).click()
    teacher.get_by_role("dialog").get_by_role("button", name="Remove Quick Otter").click()
    expect(on_b).to_have_count(0, timeout=30_000)
    student.locator(".hwr-clear").click()
    draw_strokes(student, KEY, place(DIGITS[4][0], *PLACEMENTS[0]))
    student.get_by_text("removed you from this class").first.wait_for()
    db = ClassCollection(url)
    lesson = db.current_class()
    assert db.wall(lesson.id) == [] and [s.removed for s in db.students(lesson.id)] == [True]
    print(f"hidden on server A, gone from server B's wall after {gone:.2f} s")
    for page in (teacher, projector, student):
        page.context.close()
