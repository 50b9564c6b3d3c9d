"""A classroom without internet: no page asks any host but the app's own server.
(On a server with no MNIST files and no way out, the class teaches the model and the
Evaluation page's galleries show their images: tests/e2e/test_class_page.py.)"""

from tests.support.browser import watched_page


def test_no_page_fetches_anything_from_the_internet(browser, app_url):
    page, elsewhere = watched_page(browser)
    for path in ("/", "/evaluation", "/class", "/teach"):
        page.goto(app_url + path)
        page.wait_for_selector("h1")
        page.wait_for_load_state("networkidle")
    assert elsewhere == []
    page.context.close()
