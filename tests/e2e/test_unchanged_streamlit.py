"""A Streamlit that hwr's runtime changes were not written for: the server starts, says in
its log which change it skipped, and the Draw page works (slower)."""

import os

from playwright.sync_api import expect

from hwr.server import runtime_fixes
from tests.e2e.conftest import CANVAS
from tests.support.browser import ANSWER, draw_strokes, streamlit_server
from tests.support.strokes import DIGITS, PLACEMENTS, place


def test_the_app_works_with_every_runtime_change_skipped(browser, mnist_dir, tmp_path):
    site = tmp_path / "site"  # the server's Python reads it at start: a Streamlit 1.99
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        'import streamlit\nstreamlit.__version__ = "1.99.0"\n')
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    log = tmp_path / "server.log"
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "PYTHONPATH": path},
                          log=log, preloaded=True) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            page.goto(url)
            page.wait_for_selector(CANVAS)
            draw_strokes(page, "canvas-digit", place(DIGITS[7][0], *PLACEMENTS[0]))
            expect(page.locator(ANSWER)).to_have_text("7", use_inner_text=True,
                                                             timeout=90_000)
        finally:
            page.close()
    said = log.read_text()
    for name in runtime_fixes.PATCHES:
        assert f"skipped the Streamlit change {name!r}" in said
    assert "this is 1.99.0" in said
