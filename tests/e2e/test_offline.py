"""A classroom without internet: no page asks any host but the app's own server, and
the Evaluation page's galleries show their images with no MNIST files and no network.
(The class teaches the model offline too: tests/e2e/test_class_page.py.)"""

from playwright.sync_api import expect

from tests.support.browser import OFFLINE, streamlit_server, watched_page


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
