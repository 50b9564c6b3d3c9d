"""A student's id survives a move to another app server (issue 31): the Draw page keeps
it in its address (``?sid=``), and a new session (the page reconnected to another
server after its own died) takes it from there only if it is 12 hex digits. A removed
student stays removed; an edited id is just a new student, as a new tab always was."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from hwr.class_data.collection import ClassCollection
from tests.support.apptest import texts
from tests.support.files import REPO
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place

APP = str(REPO / "hwr" / "pages" / "router.py")




def draw_page(sid: str | None = None, name: str | None = None) -> AppTest:
    """A Draw page's session; ``sid``/``name`` in its address, as a reconnecting page's."""
    at = AppTest.from_file(APP, default_timeout=60)
    if sid is not None:
        at.query_params["sid"] = sid
    if name is not None:
        at.query_params["name"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_id_is_in_the_address_and_a_reconnected_page_stays_the_same_student(
        canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    first = draw_page(name="Ana")
    me = first.session_state["hwr_student"]
    assert re.fullmatch(r"[0-9a-f]{12}", me) and first.query_params["sid"] == me
    # The server died: the page reconnects elsewhere with its address and its drawing.
    canvas.drawing = as_drawing(place(DIGITS[4][0], *PLACEMENTS[0]), drawing_id=1)
    moved = draw_page(sid=me, name="Ana")
    assert moved.session_state["hwr_student"] == me
    assert [(s.student, s.nickname) for s in db.students(lesson.id)] == [(me, "Ana")]
    assert len(db.wall(lesson.id)) == 1  # its tile, updated, not a second one


@pytest.mark.parametrize("forged", ["ABCDEF012345", "abc", "0123456789abc", "zzzzzzzzzzzz",
                                    "<b>x</b>", "0123456789a\n"])
def test_an_id_that_is_not_12_hex_digits_is_a_new_student(canvas, class_db, forged):
    db = ClassCollection(class_db)
    db.start_class("7B")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    at = draw_page(sid=forged)
    me = at.session_state["hwr_student"]
    assert me != forged and re.fullmatch(r"[0-9a-f]{12}", me)
    assert at.query_params["sid"] == me  # the address corrected


def test_a_removed_student_stays_removed_when_the_page_comes_back(canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    at = draw_page(name="Ana")
    me = at.session_state["hwr_student"]
    db.remove_student(lesson.id, me)
    # A reload or another server, with the id in the address: still removed. (Before,
    # a reload was a new session id, refused only by the removed nickname.)
    canvas.drawing = as_drawing(place(DIGITS[1][0], *PLACEMENTS[0]), drawing_id=2)
    back = draw_page(sid=me, name="Other Name")
    assert back.session_state["hwr_student"] == me
    assert "removed you from this class" in texts(back)
    assert db.wall(lesson.id) == [] and db.count(lesson.id) == 0


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_a_generated_nickname_is_in_the_pages_language(canvas, lang):
    from hwr.class_data.nickname_words import NICKNAME_WORDS

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert NICKNAME_WORDS[lang].is_nickname(at.sidebar.text_input(key="nickname").value)


def test_a_class_on_generated_nicknames_only_keeps_one_of_another_language(canvas,
                                                                           class_db):
    """The teacher's page is German, a student's French: the student keeps the French
    nickname generated for them (a reconnect brings it back in the address)."""
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    db.set_generated_names(lesson.id, True)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "de"
    at.query_params["name"] = "Hérisson Curieux"
    at.run()
    assert not at.exception, at.exception
    field = at.sidebar.text_input(key="nickname")
    assert field.disabled and field.value == "Hérisson Curieux"
