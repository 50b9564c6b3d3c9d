"""Two app servers, one PostgreSQL, for real: what a student saves through one appears
on the other's Class page, and a model the teacher chooses on one answers on the other.

Each server has its own state folder (its own model cache), as on two machines."""

from playwright.sync_api import expect

from hwr.class_data.collection import ClassCollection
from hwr.class_data.model_store import ModelStore
from tests.e2e.conftest import TWO_SERVERS_PASSCODE
from tests.support.browser import canvas_selector, draw_strokes
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
