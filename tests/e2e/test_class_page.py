"""A server as a school without internet has it (no MNIST files, no Keras cache, no way
out), in real browsers: the Evaluation page's galleries show the model's gallery file's
images; the class teaches the model: the teacher presses the button on the Class page,
sees before and after (measured on the shipped check digits), gives the new model to
everyone, and a student's Draw page says which model answers. Nothing is downloaded,
and no page asks any host but the app's own."""

import os
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from hwr.class_data.collection import ClassCollection
from hwr.learning.data import load_mnist
from tests.support.browser import (
    OFFLINE,
    canvas_selector,
    draw_strokes,
    streamlit_server,
    watched_page,
)
from tests.support.classes import CLASS_MEMORY, tilted_class
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = "7B-secret"
CLASS_DIGITS = 60
# The server's Python reads this at start: the button's fine-tune is a short one (one
# pass, 300 replayed digits), as tests/test_app_class_model.py has it. What the button's
# own settings learn is tests/test_finetune.py's (test_it_learns_the_class_and_keeps_mnist);
# here the page's flow, offline, in a browser (the full fine-tune took a minute of both
# cores in a CI run).
SHORT_FINE_TUNE = """from hwr.learning.config import FineTuneConfig
from hwr.teaching.service import BUTTON_CONFIG
BUTTON_CONFIG.finetune = FineTuneConfig(epochs=1, replay=300)
"""


@pytest.fixture(scope="module")
def class_url(mnist_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("class") / "class.sqlite3"
    db = ClassCollection(path)  # migrated before the server opens it
    site = path.parent / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SHORT_FINE_TUNE)
    env = {**OFFLINE, "KERAS_HOME": str(path.parent / "keras"), "HWR_CLASS_DB": str(path),
           "HWR_TEACHER_PASSCODE": PASSCODE,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site),
                                                        os.environ.get("PYTHONPATH")]))}
    LOG["path"] = path.parent / "server.log"
    with streamlit_server(env=env, log=LOG["path"], model_ready=True,
                          preloaded=True) as url:
        lesson = db.start_class("7B")  # after the model's first answer: no class took it
        digits = tilted_class(load_mnist(mnist_dir), CLASS_DIGITS, students=4)
        for image, label, student in zip(digits.images, digits.labels, digits.students):
            db.add(image, int(label), np.eye(10)[0], class_id=lesson.id, student=student)
        time.sleep(CLASS_MEMORY)  # the server's memory of "no class"
        yield url


LOG = {}  # the module's server log


def new_page(browser, url: str):
    """A page at ``url`` and the list of the requests it makes off this machine."""
    page, elsewhere = watched_page(browser)
    page.goto(url)
    return page, elsewhere


def test_without_mnist_or_network_every_gallery_shows_images(browser, class_url, artifacts):
    """The galleries show the model's gallery file's images (Keras' download would go to
    a closed proxy). Before the class's model: the original's galleries."""
    page, elsewhere = new_page(browser, class_url + "/evaluation")
    galleries = page.locator(".hwr-gallery")
    page.wait_for_selector("h1")
    # the chosen cell, confident mistakes, hesitant successes (the model loads first)
    expect(galleries).to_have_count(3, timeout=120_000)
    for i in range(3):
        gallery = galleries.nth(i)
        gallery.scroll_into_view_if_needed()
        expect(gallery.locator("img").first).to_be_visible()
        loaded = gallery.locator("img").evaluate_all(
            "imgs => imgs.map(i => i.complete && i.naturalWidth === 28)")
        assert loaded and all(loaded), i
    assert page.get_by_text("not available here").count() == 0
    expect(page.get_by_test_id("stImage").first).to_be_attached(  # the styles figure
        timeout=120_000)
    galleries.nth(0).scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "evaluation-offline.png")
    assert elsewhere == []
    page.context.close()


def test_the_teacher_teaches_the_model_and_a_student_gets_it(browser, class_url, artifacts):
    teacher, teacher_asked = new_page(browser, f"{class_url}/teach")
    teacher.get_by_label("Teacher's passcode").fill(PASSCODE)
    teacher.get_by_role("button", name="Unlock").click()
    teacher.get_by_role("button", name="End the class").wait_for()
    teacher.get_by_role("link", name="Class").click()  # the same session, still unlocked
    teacher.get_by_role("button", name="Teach the model our handwriting").click()
    teacher.get_by_role("button", name="Cancel").wait_for()  # running, with progress
    teacher.get_by_text("Done in").wait_for(timeout=240_000)
    expect(teacher.get_by_text("Our held-out digits")).to_have_count(1)
    expect(teacher.get_by_text("MNIST digits it never learned from (2,000)")).to_have_count(1)
    teacher.screenshot(path=artifacts / "class-fine-tuned.png", full_page=True)
    anyway = teacher.get_by_text("Use it anyway")  # a small class can cost MNIST more
    if anyway.count():
        anyway.click()
    teacher.get_by_role("button", name="Use this model for everyone").click()
    teacher.get_by_role("button", name="Back to the original model").wait_for()

    student, student_asked = new_page(browser, class_url)
    student.wait_for_selector(canvas_selector("canvas-digit"))
    draw_strokes(student, "canvas-digit", place(DIGITS[7][0], *PLACEMENTS[0]))
    trained = CLASS_DIGITS - CLASS_DIGITS // 4  # one of the 4 students held out to check
    student.get_by_text(f"learned from {trained} of our digits").wait_for()

    teacher.get_by_role("button", name="Back to the original model").click()
    teacher.get_by_text("Answering every student now: the original model").wait_for()
    teacher.context.close()
    student.context.close()
    assert teacher_asked == [] and student_asked == []
    said = LOG["path"].read_text(errors="replace")
    assert "Downloading" not in said and "Errno" not in said and "Traceback" not in said
