"""The Teach and Class pages under AppTest: who sees the teacher's controls."""

import html
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hwr.class_data.collection import ClassCollection
from tests.support.apptest import page_app, texts


@pytest.fixture
def passcode(monkeypatch):
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")
    return "7B-secret"


TEACHER_CONTROLS = {"Start the class", "End the class", "Reopen", "Delete them"}


def controls(at: AppTest) -> set[str]:
    return {b.label for b in at.button} & TEACHER_CONTROLS


def unlock(at: AppTest, given: str) -> AppTest:
    at.text_input(key="hwr_passcode").set_value(given)
    at.button[0].click().run()  # "Unlock"
    assert not at.exception, at.exception
    return at


def test_a_student_sees_only_the_passcode_field(passcode):
    at = page_app("teach").run()
    assert not at.exception
    assert [t.key for t in at.text_input] == ["hwr_passcode"]
    assert [b.label for b in at.button] == ["Unlock"] and not controls(at)


@pytest.mark.parametrize("wrong", ["", "7b-secret", "x" * 5000, "秘密\x00"])
def test_wrong_passcodes_get_the_same_plain_refusal(passcode, wrong):
    at = unlock(page_app("teach").run(), wrong)
    assert "That is not the passcode." in texts(at)
    assert not controls(at)


def test_tries_are_limited(passcode):
    at = page_app("teach").run()
    for _ in range(5):
        unlock(at, "wrong")
    unlock(at, passcode)  # the sixth try within a minute is not even checked
    assert "Too many tries" in texts(at)
    assert not controls(at)


def test_the_teacher_starts_a_class_and_sees_the_join_code(passcode, class_db):
    at = unlock(page_app("teach").run(), passcode)
    assert "Start the class" in [b.label for b in at.button]
    at.text_input(key="class_name").set_value("7B, 25 Nov")
    next(b for b in at.button if b.label == "Start the class").click().run()
    assert not at.exception
    lesson = ClassCollection(class_db).current_class()
    assert lesson is not None and lesson.name == "7B, 25 Nov"
    assert any("<svg" in md.value and "Students open" in md.value for md in at.markdown)
    assert "End the class" in [b.label for b in at.button]


def test_without_a_passcode_a_remote_browser_is_no_teacher(monkeypatch):
    monkeypatch.delenv("HWR_TEACHER_PASSCODE", raising=False)
    at = page_app("teach").run()
    assert not at.exception
    assert "set a passcode" in texts(at) and not at.button


def filled(class_db) -> int:
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    for label in (3, 3, 5):
        db.add(np.zeros((28, 28), np.float32), label, np.eye(10)[3], class_id=lesson.id)
    return lesson.id


def test_a_student_sees_the_class_digits_but_no_controls_or_paths(passcode, class_db):
    filled(class_db)
    at = page_app("class").run()
    assert not at.exception
    assert any(m.label == "Digits collected" and m.value == "3" for m in at.metric)
    assert not at.get("download_button") and not at.button and not at.checkbox
    assert str(class_db) not in texts(at) and ".sqlite3" not in texts(at)


def test_the_teacher_exports_and_deletes_a_class(passcode, class_db):
    filled(class_db)
    at = page_app("class").run()
    at.session_state["hwr_teacher"] = True
    at.run()
    assert len(at.get("download_button")) == 2
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete_all").click().run()
    assert not at.exception
    assert ClassCollection(class_db).count() == 0


def test_without_its_database_the_class_page_says_so_and_the_teacher_sees_the_host(
        passcode, monkeypatch):
    from tests.support.browser import free_port

    port = free_port()
    monkeypatch.setenv("HWR_DB_URL", f"postgresql+psycopg://teacher:hunter2@127.0.0.1:{port}/hwr")
    student = page_app("class").run()
    assert not student.exception
    assert "Class data is unavailable right now" in texts(student)
    assert f"127.0.0.1:{port}" not in texts(student)
    teacher = page_app("class").run()
    teacher.session_state["hwr_teacher"] = True
    teacher.run()
    assert not teacher.exception
    assert f"127.0.0.1:{port}" in texts(teacher) and "hunter2" not in texts(teacher)
    teach = unlock(page_app("teach").run(), passcode)
    assert not teach.exception and f"127.0.0.1:{port}" in texts(teach)


# --- issue 38: the Teach page as a teacher uses it in a first lesson ---------------------

def teacher_page(class_db=None) -> AppTest:
    at = page_app("teach")
    at.session_state["hwr_teacher"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def join_markup(at: AppTest) -> str:
    return next(md.value for md in at.markdown if "hwr-join" in md.value)


@pytest.mark.parametrize("address", ["http://192.168.1.20:8501/",
                                     "https://school.example/" + "a" * 276 + "/"])
def test_the_join_code_scales_to_its_box(passcode, class_db, monkeypatch, address):
    """A QR code with a viewBox and no size of its own (a fixed 370 px one was cut off
    by its 300 px box); a 300-character address gets a larger box."""
    monkeypatch.setenv("HWR_PUBLIC_URL", address)
    markup = join_markup(teacher_page())
    svg = re.search(r"<svg[^>]*>", markup).group(0)
    assert "viewBox=" in svg and "width=" not in svg and "height=" not in svg
    assert ("hwr-qr-dense" in markup) == (len(address) > 100)
    assert html.escape(address) + "?lang=en" in markup


def test_an_address_too_long_for_a_qr_code_is_written_out(passcode, class_db, monkeypatch):
    monkeypatch.setenv("HWR_PUBLIC_URL", "https://school.example/" + "a" * 5000)
    markup = join_markup(teacher_page())
    assert "<svg" not in markup and "a" * 5000 in markup and "hwr-join-url-long" in markup


def test_ending_the_class_asks_first_and_ends_only_that_class(passcode, class_db):
    db = ClassCollection(class_db)
    first = db.start_class("7B")
    at = teacher_page()
    at.button(key="end_class").click().run()
    assert not at.exception
    assert db.current_class().id == first.id  # not yet: the question
    assert "Yes, end the class" in [b.label for b in at.button]
    at.button(key="end_class_cancel").click().run()
    assert db.current_class().id == first.id and "Yes, end the class" not in [
        b.label for b in at.button]
    at.button(key="end_class").click().run()
    at.button(key="end_class").click().run()  # a double tap: the same one question
    assert [b.label for b in at.button].count("Yes, end the class") == 1
    at.button(key="end_class_confirm").click().run()
    assert not at.exception and db.current_class() is None
    assert "Start the class" in [b.label for b in at.button]

    # the question left open while the class ended elsewhere and another began: its Yes
    # (or a second tap on it) ends nothing
    second = db.start_class("8A")
    db.end_class()
    third = db.start_class("9C")
    yes = end_class_script(second.id).run()
    yes.button(key="yes").click().run()
    assert not yes.exception and db.current_class().id == third.id


def end_class_script(class_id: int) -> AppTest:
    """A teacher's page whose button ends the class ``class_id``, as the dialog's Yes."""

    def page(class_id):
        import streamlit as st

        from hwr.pages.shared.lesson import end_class

        st.session_state["hwr_teacher"] = True
        if st.button("Yes", key="yes"):
            end_class(class_id)

    return AppTest.from_function(page, default_timeout=60, kwargs={"class_id": class_id})


def projector(key: str) -> AppTest:
    at = page_app("teach")
    at.query_params["view"] = "projector"
    at.query_params["key"] = key
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_projector_view_shows_the_class_what_it_sees_and_no_control(passcode,
                                                                        class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    for n, name in enumerate(("Ana", "Ben", "Cy", "Dee")):
        db.post_drawing(lesson.id, f"s{n}", 1, name, 7, False, 0.9, np.zeros((28, 28)))
    ben, cy = (next(w.id for w in db.wall(lesson.id) if w.nickname == n) for n in ("Ben", "Cy"))
    db.hide_drawing(lesson.id, ben)
    db.remove_student(lesson.id, "s2")  # Cy
    found = db.start_round(lesson.id, "digit", 7, seconds=None)
    db.submit(found.id, "s0", 1, "Ana", 7, False, 0.9, np.zeros((28, 28), np.uint8))
    db.set_approve_first(lesson.id, True)
    db.post_drawing(lesson.id, "s4", 1, "Eve", 3, False, 0.9, np.zeros((28, 28)))  # waits
    db.submit(found.id, "s4", 1, "Eve", 7, False, 0.9, np.zeros((28, 28), np.uint8))
    db.end_round(found.id)

    at = teacher_page()
    link = next(b for b in at.get("link_button") if b.proto.label == "Projector view")
    key = db.projector_key(lesson.id)
    assert key and link.proto.url == f"?view=projector&key={key}&lang=en"
    assert "Large, for the projector" not in [t.label for t in at.toggle]

    shown = projector(key)  # a fresh tab: no passcode entered
    assert not shown.button and not shown.toggle and not shown.checkbox
    assert not shown.text_input and not shown.number_input and not shown.selectbox
    assert not shown.get("link_button") and not shown.get("download_button")
    assert not shown.get("form") and not shown.title
    assert "<svg" in join_markup(shown) and "hwr-large" in join_markup(shown)
    walls = [c.proto for c in shown.get("bidi_component")]
    assert len(walls) == 1
    data = json.loads(walls[0].json)
    assert data["actions"] == [] and data["large"] is True
    assert [d["nickname"] for d in data["items"]] == ["Dee", "Ana"]  # no hidden/waiting
    results = " ".join(e.proto.body for e in shown.get("html"))
    assert "the model read" in results and 'data-student="Ana"' in results
    assert 'data-student="Eve"' not in results  # waits for approval: not on the projector
    assert 'data-student="Eve"' in " ".join(e.proto.body for e in at.get("html"))
    assert not [m for m in shown.metric if m.proto.help]

    # the teacher closes the results: they leave the projector too
    at.button(key="close_results").click().run()
    shown.run()
    assert "the model read" not in " ".join(e.proto.body for e in shown.get("html"))

    for wrong in ("", "x" * 24, key[:-1] + ("A" if key[-1] != "A" else "B")):
        refused = projector(wrong)
        assert not refused.get("bidi_component") and not refused.button
        assert "projector link" in texts(refused) and "hwr-join" not in " ".join(
            md.value for md in refused.markdown)
    db.end_class()
    from hwr.pages.shared.class_state import class_changed

    class_changed()  # (the pages read the running class at most once a second)
    assert not projector(key).get("bidi_component")  # a class that ended: nothing
