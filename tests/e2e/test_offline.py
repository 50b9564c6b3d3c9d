"""A classroom without internet: no page asks any host but the app's own server, and the
Evaluation page's galleries show their images with no MNIST files and no network."""

from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.support.browser import streamlit_server

CLOSED_PORT = "http://127.0.0.1:9"  # a proxy nobody answers: the server has no network


def test_no_page_fetches_anything_from_the_internet(browser, app_url):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    elsewhere = []
    page.on("request", lambda r: urlparse(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith("data:") and elsewhere.append(r.url))
    for path in ("/", "/evaluation", "/class", "/teach"):
        page.goto(app_url + path)
        page.wait_for_selector("h1")
        page.wait_for_load_state("networkidle")
    assert elsewhere == []
    page.context.close()


def test_without_mnist_or_network_every_gallery_shows_images(browser, tmp_path, artifacts):
    """No HWR_DATA_DIR, no Keras cache, and no way out (Keras' download goes to a closed
    proxy): the galleries show the model's gallery file's images."""
    env = {"HWR_DATA_DIR": "", "KERAS_HOME": str(tmp_path / "keras"),
           "HTTPS_PROXY": CLOSED_PORT, "HTTP_PROXY": CLOSED_PORT,
           "https_proxy": CLOSED_PORT, "http_proxy": CLOSED_PORT, "NO_PROXY": "127.0.0.1"}
    with streamlit_server(env=env) as url:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.set_default_timeout(120_000)
        elsewhere = []
        page.on("request", lambda r: urlparse(r.url).hostname not in ("127.0.0.1", None)
                and not r.url.startswith("data:") and elsewhere.append(r.url))
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
