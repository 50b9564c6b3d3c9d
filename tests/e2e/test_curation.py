"""The label check in real browsers: the teacher opens a cell of the class's confusion
matrix and relabels a drawing; a student's browser reaches none of it."""

import pytest
from playwright.sync_api import expect

from hwr.class_data.collection import ClassCollection
from hwr.class_data.curation import curated_samples
from tests.support.browser import expect_run_finished, streamlit_server
from tests.support.classes import drawing_image, sure
from tests.support.looks import assert_styled

PASSCODE = "7B-secret"


def shown(locator, timeout: float = 30_000) -> None:
    """Wait for it (a busy test machine: the page's runs take seconds)."""
    expect(locator).to_be_visible(timeout=timeout)




@pytest.fixture(scope="module")
def class_db(tmp_path_factory):
    """7B: "Pranky" files six 7s as 1s; "Calm Heron" one 8 as a 3 among right ones."""
    path = tmp_path_factory.mktemp("curation") / "class.sqlite3"
    db = ClassCollection(path)
    lesson = db.start_class("7B")
    for n in range(6):
        db.add(drawing_image(n), 1, sure(7), class_id=lesson.id, student="s0", nickname="Pranky")
    heron = db.add(drawing_image(10), 3, sure(8), class_id=lesson.id, student="s1",
                   nickname="Calm Heron")
    for d in range(10):
        db.add(drawing_image(20 + d), d, sure(d), class_id=lesson.id, student="s1",
               nickname="Calm Heron")
    return path, lesson.id, heron


@pytest.fixture(scope="module")
def class_url(mnist_dir, class_db):
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir),
                               "HWR_CLASS_DB": str(class_db[0]),
                               "HWR_TEACHER_PASSCODE": PASSCODE}, preloaded=True) as url:
        yield url


def new_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def test_the_teacher_opens_a_cell_and_relabels_a_drawing(browser, class_url, class_db,
                                                         artifacts):
    path, class_id, heron = class_db
    teacher = new_page(browser, f"{class_url}/teach")
    teacher.get_by_label("Teacher's passcode").fill(PASSCODE)
    teacher.get_by_role("button", name="Unlock").click()
    teacher.get_by_role("button", name="End the class").wait_for()
    teacher.get_by_role("link", name="Class").click()  # the same session, still unlocked
    shown(teacher.get_by_text("Suspicious labels: 7"), 60_000)
    shown(teacher.get_by_text("filed as 1 that the model read as 7"))
    expect_run_finished(teacher)  # the chart is there: a click now is not lost

    cell = teacher.locator('.st-key-cur_chart path[aria-label*="true: 3; predicted: 8;"]')
    cell.click(position={"x": 4, "y": 4})  # a corner: the centre holds the count label
    shown(teacher.get_by_text("filed as 3 that the model read as 8"))
    expect_run_finished(teacher)
    teacher.locator(f".st-key-cur_cell_label_{heron}_3").click()  # its label: 3
    # typing filters the list (its options are drawn only while in view)
    teacher.locator(f".st-key-cur_cell_label_{heron}_3 input").fill("8")
    teacher.get_by_role("option", name="8", exact=True).click()
    shown(teacher.get_by_text("Filed the drawing under 8.").first)
    expect_run_finished(teacher)
    # once: a notice, not a notice and a box with the same sentence
    teacher.wait_for_timeout(1_500)  # the notice lasts 4 s: a box beside it shows by now
    assert teacher.get_by_text("Filed the drawing under 8.").count() == 1
    assert_styled(teacher, "the Class page, after a relabel")
    found, _ = curated_samples(ClassCollection(path), class_id)
    assert dict(zip(found.ids.tolist(), found.labels.tolist()))[heron] == 8
    shown(teacher.get_by_text("Your last change: relabelled 1 drawing as 8"))
    teacher.screenshot(path=artifacts / "class-curation.png", full_page=True)

    teacher.get_by_role("button", name="Undo").click()
    shown(teacher.get_by_text("Undone: 1 drawing as before.").first)
    found, _ = curated_samples(ClassCollection(path), class_id)
    assert dict(zip(found.ids.tolist(), found.labels.tolist()))[heron] == 3
    teacher.context.close()


def test_a_students_browser_reaches_none_of_it(browser, class_url):
    student = new_page(browser, f"{class_url}/class")
    student.wait_for_selector("h1")
    expect_run_finished(student)
    text = student.locator("body").inner_text()
    assert "Our class's digits" in text
    for hidden in ("Check the labels", "Suspicious labels", "Pranky", "Calm Heron",
                   "Undo", "Leave these", "Relabel these"):
        assert hidden not in text, hidden
    assert student.locator("[class*='st-key-cur_']").count() == 0
    student.context.close()
