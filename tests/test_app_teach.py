"""The Teach and Class pages under AppTest: who sees the teacher's controls."""

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
