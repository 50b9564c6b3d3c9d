"""A classroom without internet: no page asks any host but the app's own server."""

from urllib.parse import urlparse


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
