"""Running one page under Streamlit's AppTest, and reading what it shows."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def page_app(page: str) -> AppTest:
    """The Teach or Class page alone, as AppTest runs it."""
    module = {"teach": "hwr.pages.teach.page", "class": "hwr.pages.class_page.page"}[page]
    return AppTest.from_string(f"from {module} import {page}_page\n"
                               f"{page}_page()\n", default_timeout=60)


def texts(at: AppTest) -> str:
    """Every text element's words, joined: what a reader of the page sees."""
    return " ".join(e.value for kind in ("markdown", "info", "warning", "caption", "success",
                                         "error") for e in at.get(kind))
