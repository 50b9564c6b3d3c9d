"""The class's language in a real browser: the Draw page and its answer in German, French,
Spanish or English from the browser's locale alone, the join link's ``?lang=`` over the
browser, an unknown one ignored, and the sidebar's picker switching the page without
losing the drawing."""

import re

import pytest
from playwright.sync_api import expect

from hwr.translation import gettext_in
from tests.e2e.conftest import CANVAS
from tests.support.browser import ANSWER, CAPTION, draw_strokes, stroke_count
from tests.support.strokes import DIGITS, PLACEMENTS, place

KEY = "canvas-digit"
# "confidence 99.7%" in English, "Sicherheit 99,7 %" in German: a decimal comma and a
# space before the sign in the other three.
PERCENT = {"en": r"\d\.\d%", "de": r"\d,\d\u00a0%", "fr": r"\d,\d\u00a0%",
           "es": r"\d,\d\u00a0%"}


@pytest.fixture
def open_page(browser, app_url):
    contexts = []

    def open_(query: str = "", **options):
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}/{query}")
        page.wait_for_selector(CANVAS)
        return page

    yield open_
    for context in contexts:
        context.close()


def title(page, lang: str):
    return page.locator("h1").filter(has_text=gettext_in(lang, "Draw a digit"))


def draw_seven(page) -> None:
    draw_strokes(page, KEY, place(DIGITS[7][0], *PLACEMENTS[0]))
    expect(page.locator(ANSWER)).to_have_text("7", timeout=30_000)


def expect_caption_in(page, lang: str) -> None:
    word = gettext_in(lang, "confidence {confidence}").split("{")[0].strip()
    caption = page.locator(CAPTION).first
    expect(caption).to_contain_text(word)
    expect(caption).to_have_text(re.compile(PERCENT[lang]))


@pytest.mark.parametrize("locale, lang", [("de-DE", "de"), ("fr-FR", "fr"),
                                          ("es-MX", "es"), ("en-GB", "en")])
def test_the_browsers_locale_alone_gives_the_page_and_its_answer(open_page, locale, lang):
    page = open_page(locale=locale)
    expect(title(page, lang)).to_be_visible()
    draw_seven(page)
    expect_caption_in(page, lang)
    if lang != "en":
        assert gettext_in(lang, "Draw a digit") != "Draw a digit"
        expect(title(page, "en")).to_have_count(0)


def test_the_join_links_language_wins_and_an_unknown_one_is_ignored(open_page):
    page = open_page("?lang=fr", locale="de-DE")  # the teacher's QR code says French
    expect(title(page, "fr")).to_be_visible()
    errors = []
    other = open_page("?lang=xx%3Cscript%3E", locale="es-ES")
    other.on("pageerror", lambda e: errors.append(str(e)))
    expect(title(other, "es")).to_be_visible()  # the browser's language, no error
    expect(other.locator('[data-testid="stException"]')).to_have_count(0)
    assert not errors


def test_switching_the_language_keeps_the_drawing_and_the_answer(open_page):
    page = open_page(locale="en-US")
    draw_seven(page)
    strokes = stroke_count(page, KEY)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').click()
    page.get_by_role("option", name="Español").click()
    expect(title(page, "es")).to_be_visible()
    expect(page.locator(ANSWER)).to_have_text("7")
    expect_caption_in(page, "es")
    assert stroke_count(page, KEY) == strokes
    assert "lang=es" in page.url  # a reload or a reconnect keeps it
    page.reload()
    page.wait_for_selector(CANVAS)
    expect(title(page, "es")).to_be_visible()
