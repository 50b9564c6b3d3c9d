"""A classroom without internet: no page asks any host but the app's own server, the
Evaluation page's galleries show their images and the class teaches the model with no
MNIST files and no network."""

from urllib.parse import urlparse

import numpy as np
from playwright.sync_api import expect

from hwr.class_data.collection import ClassCollection
from hwr.learning.data import load_mnist
from tests.support.browser import streamlit_server
from tests.support.classes import tilted_class

CLOSED_PORT = "http://127.0.0.1:9"  # a proxy nobody answers: the server has no network
OFFLINE = {"HWR_DATA_DIR": "", "HTTPS_PROXY": CLOSED_PORT, "HTTP_PROXY": CLOSED_PORT,
           "https_proxy": CLOSED_PORT, "http_proxy": CLOSED_PORT, "NO_PROXY": "127.0.0.1"}


def watched_page(browser, timeout_ms: int = 60_000):
    """A laptop-sized page and the list of every request it makes off this machine."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(timeout_ms)
    elsewhere = []
    page.on("request", lambda r: urlparse(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith("data:") and elsewhere.append(r.url))
    return page, elsewhere


def test_no_page_fetches_anything_from_the_internet(browser, app_url):
    page, elsewhere = watched_page(browser)
    for path in ("/", "/evaluation", "/class", "/teach"):
        page.goto(app_url + path)
        page.wait_for_selector("h1")
        page.wait_for_load_state("networkidle")
    assert elsewhere == []
    page.context.close()


def test_without_mnist_or_network_every_gallery_shows_images(browser, tmp_path, artifacts):
    """No HWR_DATA_DIR, no Keras cache, and no way out (Keras' download goes to a closed
    proxy): the galleries show the model's gallery file's images."""
    env = {**OFFLINE, "KERAS_HOME": str(tmp_path / "keras")}
    with streamlit_server(env=env) as url:
        page, elsewhere = watched_page(browser, 120_000)
        page.goto(url + "/evaluation")
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


def test_without_mnist_or_network_the_class_teaches_the_model(browser, tmp_path, mnist_dir,
                                                               artifacts):
    """No HWR_DATA_DIR, no Keras cache, no way out: the Class page's fine-tune replays
    the shipped digits, measures on their check digits, and downloads nothing."""
    db = ClassCollection(tmp_path / "class.sqlite3")
    lesson = db.start_class("7B")
    digits = tilted_class(load_mnist(mnist_dir), 40, students=4)
    for image, label, student in zip(digits.images, digits.labels, digits.students):
        db.add(image, int(label), np.eye(10)[0], class_id=lesson.id, student=student)
    env = {**OFFLINE, "KERAS_HOME": str(tmp_path / "keras"),
           "HWR_CLASS_DB": str(tmp_path / "class.sqlite3"), "HWR_TEACHER_PASSCODE": "7B"}
    log = tmp_path / "server.log"
    with streamlit_server(env=env, log=log) as url:
        page, elsewhere = watched_page(browser)
        page.goto(url + "/teach")
        page.get_by_label("Teacher's passcode").fill("7B")
        page.get_by_role("button", name="Unlock").click()
        page.get_by_role("button", name="End the class").wait_for()
        page.get_by_role("link", name="Class").click()
        page.get_by_role("button", name="Teach the model our handwriting").click()
        page.get_by_text("Done in").wait_for(timeout=300_000)
        expect(page.get_by_text("MNIST digits it never learned from (2,000)")).to_be_visible()
        page.screenshot(path=artifacts / "class-fine-tuned-offline.png", full_page=True)
        anyway = page.get_by_text("Use it anyway")  # a small class can cost MNIST more
        if anyway.count():
            anyway.click()
        page.get_by_role("button", name="Use this model for everyone").click()
        page.get_by_role("button", name="Back to the original model").wait_for()
        assert elsewhere == []
        page.context.close()
    said = log.read_text(errors="replace")
    assert "Downloading" not in said and "Errno" not in said and "Traceback" not in said
