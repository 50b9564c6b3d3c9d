"""Every page in English, German, French and Spanish: the catalogs are complete and up to
date with the code, no word bypasses them, each page renders in each language without
falling back to English, and numbers are written the language's way."""

from __future__ import annotations

import logging
import re

import pytest
from babel.messages.pofile import read_po

import hwr.pages.shared.language as language
import hwr.translation as translation
from hwr.translation import LANGUAGES, parse_language, percent_in, translations
from scripts import catalogs
from tests.support.files import REPO
from tests.support.untranslated import ENGLISH_ONLY, find_all, find_all_in_package

TRANSLATED = [lang for lang in LANGUAGES if lang != translation.ENGLISH]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@pytest.mark.parametrize("value, lang", [
    ("de-DE", "de"), ("fr_CA", "fr"), ("ES", "es"), ("en-US", "en"), ("de", "de"),
    ("xx", None), ("pt-BR", None), ("", None), (None, None), ("de;DROP TABLE", None),
    ("../../etc/passwd", None), ("d" * 5000, None), (["de"], None), ("ünï", None),
])
def test_a_language_is_read_from_a_locale_or_a_link(value, lang):
    assert parse_language(value) == lang


@pytest.mark.parametrize("lang, text", [("en", "99.7%"), ("de", "99,7\u00a0%"),
                                        ("fr", "99,7\u00a0%"), ("es", "99,7\u00a0%")])
def test_percentages_are_written_the_languages_way(lang, text):
    assert percent_in(lang, 0.997, 1) == text


def test_the_catalogs_are_up_to_date_with_the_code():
    """The .pot holds exactly the code's messages; every .po and .mo follows it
    (`python -m scripts.catalogs` brings them up to date)."""
    assert catalogs.main(["--check"]) == 0


def po(lang: str):
    with catalogs.po_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(lang):
    catalog = po(lang)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 300  # every page's words, not a stub
    untranslated, fuzzy, mismatched = [], [], []
    for m in messages:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if not all(strings):
            untranslated.append(ids[0])
        if m.fuzzy:
            fuzzy.append(ids[0])
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            if s and sorted(PLACEHOLDER.findall(s)) != wanted:
                mismatched.append((ids[0], s))
        if "**" in ids[0] and all(strings) and strings[0].count("**") != ids[0].count("**"):
            mismatched.append((ids[0], strings[0]))
    assert not untranslated, untranslated[:10]
    assert not fuzzy, fuzzy[:10]
    assert not mismatched, mismatched[:10]


def test_no_word_on_a_page_bypasses_the_catalogs():
    found = find_all(REPO / "hwr" / "pages", REPO)
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize("package", ["reading", "class_data"])
def test_no_word_for_a_user_outside_the_pages_bypasses_the_catalogs(package):
    """hwr/reading and hwr/class_data have no ``_``: a user's sentence there (an
    InvalidImageError's, a layer's description) is an N_-marked template."""
    found = find_all_in_package(REPO / "hwr" / package, REPO, REPO / "hwr")
    assert not found, "\n".join(map(str, found))
    for path, function in ENGLISH_ONLY:  # each exception still names a function
        assert f"def {function}(" in (REPO / path).read_text(encoding="utf-8")


def test_the_checker_sees_words_outside_the_catalogs(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('import streamlit as st\nst.button("Start the class")\n'
                    'st.caption(f"{n} drawings")\nst.markdown("---")\n'
                    'st.button(_("Start"), help="Begins it")\nst.info(_("Fine"))\n'
                    'st.html(f"<b>{n}</b><script>scroll({n}, behavior)</script>")\n')
    found = [(u.line, u.text) for u in find_all(tmp_path, tmp_path)]
    assert found == [(2, "Start the class"), (3, " drawings"), (5, "Begins it")]


def test_the_checker_sees_words_for_a_user_outside_the_pages(tmp_path):
    """In a module without Streamlit: an Explained subclass's words (however far down
    from Explained), and a sentence a function returns; not a log, a docstring, a
    programmer's ValueError or a key."""
    (tmp_path / "errors.py").write_text(
        "from hwr.translation import Explained\n"
        "class Refused(Explained):\n    pass\n"
        "class Bad(Refused):\n    pass\n")
    (tmp_path / "layers.py").write_text(
        'import logging\nlog = logging.getLogger(__name__)\n'
        'def describe(n):\n'
        '    """Says what a layer does."""\n'
        '    log.info("described layer %s", n)\n'
        '    if n < 0:\n'
        '        raise ValueError(f"n must be positive, got {n}")\n'
        '    if n == 0:\n'
        '        raise Bad(f"Layer {n} has no detectors.")\n'
        '    if n == 1:\n'
        '        raise Refused(N_("Layer {n} is fine."), n=n, why="too small")\n'
        '    if n == 2:\n'
        '        return Words(N_("Layer {n}: edges."), n=n)\n'
        '    if n == 3:\n'
        '        return "conv2d"\n'
        '    return f"Layer {n}: larger shapes."\n')
    found = [(u.path, u.line, u.text) for u in find_all_in_package(tmp_path, tmp_path)]
    assert found == [("layers.py", 9, "Layer  has no detectors."),
                     ("layers.py", 11, "too small"), ("layers.py", 16, "Layer : larger shapes.")]
    # and explain.py's words before they went through the catalogs
    old = tmp_path / "hwr" / "reading" / "explain.py"
    old.parent.mkdir(parents=True)
    old.write_text('def describe(n, filters, k):\n'
                   '    return (f"Layer {n}: {filters} small pattern detectors, each "\n'
                   '            f"looking at {k}x{k} pixels of the drawing.")\n')
    assert [(u.path, u.line) for u in find_all_in_package(old.parent, tmp_path)] == \
        [("hwr/reading/explain.py", 2)]



def test_inside_the_network_says_what_each_layer_does_in_the_pages_language(monkeypatch):
    """explain.describe hands the page a template and its values (its str is the
    English); the page says it in its language."""
    import copy
    import pickle
    import types

    from hwr.pages.draw import inside_network
    from hwr.reading.explain import describe

    conv = types.SimpleNamespace(kernel_size=(3, 3), filters=64, strides=(2, 2))
    words = describe(3, conv, 12, 12)
    assert words == ("Layer 3: 64 detectors over 3x3 patches of the layer before, shrinking "
                     "the picture to 12x12: each now sees a larger part of the digit.")
    assert pickle.loads(pickle.dumps(words)).values == copy.copy(words).values == words.values
    german = {words.template: "Schicht {n}: {filters} Detektoren über {k}x{k}-Ausschnitten, "
                              "das Bild schrumpft auf {height}x{width}."}
    monkeypatch.setattr(translation, "translations", lambda lang: types.SimpleNamespace(
        gettext=lambda message: german.get(message, message) if lang == "de" else message))
    monkeypatch.setattr(language, "current", lambda: "de")
    assert inside_network.layer_words(words) == \
        "Schicht 3: 64 Detektoren über 3x3-Ausschnitten, das Bild schrumpft auf 12x12."

@pytest.fixture
def fresh_catalogs():
    translations.cache_clear()
    yield
    translations.cache_clear()


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated"])
def test_a_missing_or_damaged_catalog_gives_english_and_says_which(
        damage, tmp_path, monkeypatch, caplog, fresh_catalogs):
    good = translation.catalog_path("de").read_bytes()
    monkeypatch.setattr(translation, "LOCALE_DIR", tmp_path)
    path = translation.catalog_path("de")
    if damage != "missing":
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\x00not a catalog" if damage == "garbage" else good[:40])
    with caplog.at_level(logging.WARNING, logger="hwr.translation"):
        assert translation.gettext_in("de", "Draw") == "Draw"
    assert str(path) in caplog.text


def test_a_catalog_translates(fresh_catalogs):
    for lang in TRANSLATED:
        assert translation.gettext_in(lang, "Draw") not in ("", "Draw")


# --- every page in every language, without an English fallback ---------------------



APP = str(REPO / "hwr" / "pages" / "router.py")


@pytest.fixture
def drawn(monkeypatch):
    """The Draw page's canvas, standing in for the browser: a 7 drawn."""
    import hwr.pages.draw.page
    from hwr.pages.shared.model_loading import model_loader
    from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place

    model_loader().wait()
    drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    monkeypatch.setattr(hwr.pages.draw.page, "draw_canvas", lambda *a, **k: drawing)


def a_lesson(class_db):
    """A running class with a round, a wall of drawings and suspicious labels."""
    from hwr.class_data.collection import ClassCollection
    from tests.support.classes import drawing_image, sure

    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    for n in range(6):
        db.add(drawing_image(n), 1, sure(7), class_id=lesson.id, student="s0",
               nickname="Pranky", drawing_id=n)
    for d in range(10):
        db.add(drawing_image(20 + d), d, sure(d), class_id=lesson.id, student="s1",
               nickname="Quick Otter", drawing_id=20 + d)
    db.start_round(lesson.id, "digit", digit=7, seconds=60)
    return lesson


def show(at, lang: str):
    """The page in ``lang``, unlocked for the teacher (as the teacher's tests open it)."""
    at.session_state[language.LANG] = lang
    at.run()
    at.session_state["hwr_teacher"] = True
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.slow
@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_page_renders_in_the_language_without_an_english_fallback(
        lang, fallbacks, drawn, class_db, mnist_dir, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.support.apptest import page_app

    monkeypatch.setenv("HWR_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")  # show() unlocks it
    a_lesson(class_db)
    draw = AppTest.from_file(APP, default_timeout=60)
    draw.query_params["lang"] = lang
    draw.run()
    assert not draw.exception, draw.exception
    assert draw.session_state[language.LANG] == lang
    evaluation = AppTest.from_string(
        "from hwr.pages.evaluation.page import evaluation_page\nevaluation_page()\n",
        default_timeout=120)
    for at in (evaluation, page_app("class"), page_app("teach")):
        show(at, lang)
        unlock = translation.gettext_in(lang, "Unlock")
        assert not [b for b in at.button if b.label == unlock]  # the teacher's view
    ended = translation.gettext_in(lang, "End the class")
    assert [b for b in at.button if b.label == ended]  # the Teach page, unlocked
    assert not fallbacks, sorted(set(m for _, m in fallbacks))[:20]


# --- hwr.reading's words for the user, in the page's language ------------------------

def test_an_unreadable_drawing_or_upload_is_explained_in_the_pages_language(
        monkeypatch, fresh_catalogs):
    import io
    import pickle

    from PIL import Image

    from hwr.pages.draw.answer import reading_error
    from hwr.pages.shared.language import explained
    from hwr.reading.drawing import MAX_SIDE, parse_drawing
    from hwr.reading.preprocess import InvalidImageError, load_upload

    monkeypatch.setattr(language, "current", lambda: "de")
    with pytest.raises(InvalidImageError) as refused:
        parse_drawing({"id": 1, "width": 10**9, "height": 280, "strokes": []})
    error = refused.value
    assert str(error) == f"The canvas must be 1-{MAX_SIDE} pixels on a side."  # English
    assert error.values == {"max_side": MAX_SIDE}
    assert reading_error(error) == \
        f"Die Zeichenfläche muss auf jeder Seite 1-{MAX_SIDE} Pixel groß sein."
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.template, copy.values, str(copy)) == (error.template, error.values,
                                                       str(error))
    png = io.BytesIO()
    Image.new("L", (100, 100)).save(png, "PNG")
    with pytest.raises(InvalidImageError) as refused:  # a truncated upload
        load_upload(png.getvalue()[:60])
    detail = refused.value.values["detail"]  # the OS's words stay as they are
    assert str(refused.value) == f"The image file is damaged or truncated ({detail})."
    assert reading_error(refused.value) == \
        f"Die Bilddatei ist beschädigt oder unvollständig ({detail})."
    assert explained("That is only a dot: draw a bigger digit.") == \
        "Das ist nur ein Punkt: Zeichne eine größere Ziffer."
    assert reading_error(ValueError("something else")) == "something else"


def test_a_refused_round_is_explained_in_the_pages_language(monkeypatch, fresh_catalogs,
                                                              tmp_path):
    from hwr.class_data.collection import ClassCollection
    from hwr.class_data.rounds import DIGIT, RoundError
    from hwr.pages.shared.lesson import refusal_text

    monkeypatch.setattr(language, "current", lambda: "de")
    db = ClassCollection(f"sqlite:///{tmp_path / 'class.sqlite3'}")
    lesson = db.start_class("7B")
    with pytest.raises(RoundError) as refused:
        db.start_round(lesson.id, DIGIT, 7, seconds=700)
    assert "700 s is not" in str(refused.value)
    assert refusal_text((refused.value.template, refused.value.values)) == \
        "Der Timer braucht ganze Sekunden von 5 bis 600 (10 Minuten); 700 s passt nicht."
    assert refusal_text("forged") == "Die Runde konnte nicht wie gewünscht starten."


def test_the_join_link_carries_the_teachers_language(monkeypatch):
    from tests.support.apptest import page_app

    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")
    at = show(page_app("teach"), "fr")
    joined = [m.value for m in at.markdown if "hwr-join-url" in m.value]
    assert joined and re.search(r'hwr-join-url">[^<]*[?&]lang=fr<', joined[0]), joined
    assert translation.gettext_in("fr", "Students open") in joined[0]
