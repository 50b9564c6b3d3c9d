"""Issue 40's pages under AppTest: the Draw page's privacy line and notice in four
languages, "Delete my drawings" (mid-round too), and the teacher's view of one student's
data: when the class's data goes, its export and its erasure (a student's forged erasure
refused)."""

from __future__ import annotations

import io
import re
import time
import zipfile

import numpy as np
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import hwr.translation as translation
from hwr.class_data import storage
from hwr.class_data.collection import ClassCollection
from hwr.pages.shared.lesson import lesson_changed
from hwr.translation import LANGUAGES
from tests.support.apptest import page_app, texts
from tests.support.classes import drawing_image, sure
from tests.support.files import REPO
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place
from tests.support.untranslated import find

APP = str(REPO / "hwr" / "pages" / "router.py")
MODULES = ("hwr/pages/shared/privacy_notice.py", "hwr/pages/shared/student_data.py",
           "hwr/pages/draw/sharing.py", "hwr/pages/draw/page.py", "hwr/pages/teach/page.py")
STUDENT_TABLES = (storage.drawings, storage.samples, storage.round_entries,
                  storage.class_students)


@pytest.fixture
def passcode(monkeypatch):
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")






def draw_app(lang: str | None = None, name: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    if name:
        at.query_params["name"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def teacher(script: AppTest) -> AppTest:
    script.session_state["hwr_teacher"] = True
    script.run()
    assert not script.exception, script.exception
    return script


def students_data(at: AppTest) -> AppTest:
    """The page with its "Students' data" open (as a tap on the expander does)."""
    at.session_state["hwr_students_data"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def rows_of(class_db, student: str) -> dict[str, int]:
    """How many rows each table holds of ``student``."""
    db = ClassCollection(class_db)
    with db.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t).where(
            t.c.student == student)).scalar_one() for t in STUDENT_TABLES}


def shown(at: AppTest) -> str:
    return texts(at) + " " + " ".join(b.label for b in at.button)


# --- the notice -------------------------------------------------------------------

def test_no_word_of_issue_40s_pages_bypasses_the_catalogs():
    for module in MODULES:
        found = find(REPO / module, REPO)
        assert not found, "\n".join(map(str, found))


def test_a_student_outside_a_class_sees_no_notice(canvas, class_db):
    at = draw_app()
    assert "This class keeps" not in shown(at)
    assert not [b for b in at.button if b.key in ("hwr_delete_mine", "hwr_what_is_kept")]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_notice_line_and_its_dialog_in_each_language(lang, canvas, class_db,
                                                         fallbacks):
    ClassCollection(class_db).start_class("7B")
    english = None
    if lang != translation.ENGLISH:  # what the English page says, to find it left over
        english = draw_app("en")
        english.button(key="hwr_what_is_kept").click().run()
        english = {e.value for kind in ("markdown", "caption") for e in english.get(kind)
                   if len(e.value) > 12} | {b.label for b in english.button}
    at = draw_app(lang)
    line = [c.value for c in at.caption if "30" in c.value]
    assert len(line) == 1, [c.value for c in at.caption]
    if lang == "en":
        assert line[0] == ("This class keeps your nickname, your drawings and your answers "
                           "for 30 days after the class ends. No name, address, IP "
                           "address or tracking.")
    delete = at.button(key="hwr_delete_mine")
    assert delete.label == translation.gettext_in(lang, "Delete my drawings")
    at.button(key="hwr_what_is_kept").click().run()
    assert not at.exception, at.exception
    words = shown(at)
    for part in ("What is kept", "What is never kept", "For how long", "The class's models",
                 "Your choices"):
        assert translation.gettext_in(lang, part) in words
    assert translation.ngettext_in(lang, "Everything is deleted {days} day after the "
                                         "class ends.", "Everything is deleted {days} days "
                                         "after the class ends.", 30).format(days=30) in words
    if english is not None:
        left = [e.value for kind in ("markdown", "caption") for e in at.get(kind)
                if e.value in english] + [b.label for b in at.button if b.label in english]
        assert not left, left
    assert not fallbacks, sorted({m for _, m in fallbacks})
    at.button(key="hwr_notice_close").click().run()
    assert translation.gettext_in(lang, "What is never kept") not in shown(at)


@pytest.mark.parametrize("days, said", [
    ("0", "until the class ends"), ("never", "until the teacher deletes them"),
    ("1", "for 1 day after the class ends")])
def test_the_line_says_how_long_the_school_keeps_it(days, said, canvas, class_db,
                                                    monkeypatch):
    monkeypatch.setenv("HWR_RETENTION_DAYS", days)
    ClassCollection(class_db).start_class("7B")
    assert said in shown(draw_app())


def test_the_presentation_mode_shows_no_line(canvas, class_db):
    ClassCollection(class_db).start_class("7B")
    at = draw_app()
    at.sidebar.toggle(key="presentation").set_value(True).run()
    assert not at.exception
    assert "This class keeps" not in shown(at)


# --- delete my drawings -----------------------------------------------------------

def test_a_student_deletes_their_drawings_mid_round(canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    at = draw_app(name="Ana")
    student = at.session_state["hwr_student"]
    at.pills(key="hwr_confirm_1").set_value(7).run()  # "Is it right?": filed
    assert not at.exception
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[1]), drawing_id=2)
    found = db.start_round(lesson.id, "digit", 7, seconds=120)
    lesson_changed()  # this server's pages see the round at once (as the teacher's do)
    at.run()
    at.button(key=f"hwr_done_{found.id}").click().run()  # their round entry
    assert not at.exception
    before = rows_of(class_db, student)
    assert all(before.values()), before
    at.button(key="hwr_delete_mine").click().run()
    assert "Yes, delete" in [b.label for b in at.button]  # asked first
    assert rows_of(class_db, student) == before
    at.button(key="hwr_delete_mine_yes").click().run()
    assert not at.exception, at.exception
    assert not any(rows_of(class_db, student).values()), rows_of(class_db, student)
    assert "drawings were deleted" in shown(at), shown(at)
    assert "Yes, delete" not in [b.label for b in at.button]
    state = at.session_state
    assert "hwr_filed" not in state and "wall_drawing" not in state
    assert state["hwr_clear"]["canvas-digit"] == 2  # the canvas clears
    at.run()  # the browser has not cleared it yet: the drawing is not posted again
    assert not any(rows_of(class_db, student).values())
    assert [b for b in at.button if b.key == f"hwr_done_{found.id}"]  # a new entry taken
    canvas.drawing = as_drawing(place(DIGITS[4][0], *PLACEMENTS[0]), drawing_id=3)
    time.sleep(1.1)  # the session's posts are paced (PostLimiter: three, then one a second)
    at.run()  # a new drawing goes to the class again
    assert rows_of(class_db, student)["drawings"] == 1


def test_cancel_deletes_nothing(canvas, class_db):
    ClassCollection(class_db).start_class("7B")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    at = draw_app(name="Ana")
    student = at.session_state["hwr_student"]
    at.button(key="hwr_delete_mine").click().run()
    at.button(key="hwr_delete_mine_cancel").click().run()
    assert not at.exception
    assert rows_of(class_db, student)["drawings"] == 1
    assert "Yes, delete" not in [b.label for b in at.button]


# --- the teacher: one student's data ------------------------------------------------

def a_class(class_db):
    """Two students who typed the same nickname, and a third."""
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    for n, (student, name) in enumerate((("s0", "Ana"), ("s1", "Ana"), ("s2", "Ben"))):
        for k in range(n + 1):
            drawing = 10 * n + k
            db.post_drawing(lesson.id, student, drawing, name, 7, False, 0.9,
                            drawing_image(drawing))
            picture = (drawing_image(drawing) * 255).astype(np.uint8)
            db.add(drawing_image(drawing), 7, sure(7), picture, class_id=lesson.id,
                   student=student, drawing_id=drawing, nickname=name)
    return db, lesson


def test_the_teacher_sees_when_the_data_goes_and_each_student(passcode, class_db,
                                                              monkeypatch):
    db, lesson = a_class(class_db)
    seen = []
    import hwr.pages.shared.student_data as student_data

    real = student_data.export_student
    monkeypatch.setattr(student_data, "export_student",
                        lambda *a: seen.append(real(*a)) or seen[-1])
    at = teacher(page_app("teach"))
    assert "This class's data is deleted 30 days after the class ends." in texts(at)
    assert not [s for s in at.selectbox if s.key == "hwr_student_choice"]  # closed
    students_data(at)
    choice = at.selectbox(key="hwr_student_choice")
    assert sorted(choice.options) == ["Ana (2) · 2 drawings", "Ana · 1 drawing",
                                      "Ben · 3 drawings"]
    choice.set_value("s1").run()
    assert not at.exception, at.exception
    export = next(b for b in at.get("download_button"))
    assert export.proto.label == "Export this student's data (zip)"
    with zipfile.ZipFile(io.BytesIO(seen[-1])) as z:
        pngs = {z.read(n) for n in z.namelist() if n.endswith(".png")}
    from hwr.class_data.privacy import student_drawings

    mine = {png for _id, png in student_drawings(db.engine, lesson.id, "s1")}
    others = {png for s in ("s0", "s2") for _id, png in student_drawings(db.engine,
                                                                          lesson.id, s)}
    assert len(mine) == 2 and mine <= pngs and not pngs & others
    images = [h.proto.body for h in at.get("html")
              if h.proto.body.startswith('<div class="hwr-gallery"')]
    assert images and images[0].count("<img") == 2


def test_the_teacher_erases_one_student_after_a_confirmation(passcode, class_db):
    db, lesson = a_class(class_db)
    at = students_data(teacher(page_app("teach")))
    at.selectbox(key="hwr_student_choice").set_value("s0").run()
    at.button(key="hwr_erase_student").click().run()
    assert not at.exception
    assert "no undo" in texts(at) and rows_of(class_db, "s0")["drawings"] == 1
    at.button(key="hwr_erase_cancel").click().run()
    assert rows_of(class_db, "s0")["drawings"] == 1
    at.button(key="hwr_erase_student").click().run()
    at.button(key="hwr_erase_yes").click().run()
    assert not at.exception, at.exception
    assert not any(rows_of(class_db, "s0").values())
    assert rows_of(class_db, "s1")["drawings"] == 2  # the other "Ana" stays
    assert "The student was erased: 1 drawing" in texts(at)
    assert sorted(at.selectbox(key="hwr_student_choice").options) == [
        "Ana · 2 drawings", "Ben · 3 drawings"]
    assert at.selectbox(key="hwr_student_choice").value is None


def forged_erase(class_id: int, student: str) -> AppTest:
    """A student's page that sends the erasure's Yes, as a forged widget message would."""

    def page(class_id, student):
        import streamlit as st

        from hwr.pages.shared.student_data import erase

        if st.button("Yes", key="forge"):
            erase(class_id, student)

    return AppTest.from_function(page, default_timeout=60,
                                 kwargs={"class_id": class_id, "student": student})


def test_a_students_forged_erasure_is_refused(passcode, class_db):
    db, lesson = a_class(class_db)
    at = forged_erase(lesson.id, "s2").run()
    at.button(key="forge").click().run()
    assert not at.exception
    assert rows_of(class_db, "s2")["drawings"] == 3
    assert at.session_state["hwr_refused"] == 1


def test_a_student_sees_no_students_data(passcode, class_db):
    a_class(class_db)
    for page in ("teach", "class"):
        at = page_app(page).run()
        assert not at.exception
        assert not [s for s in at.selectbox if s.key == "hwr_student_choice"]
        assert "This class's data is deleted" not in texts(at)


def test_the_teacher_reads_why_the_model_fell_back_once(passcode, class_db):
    """After an erasure (or a purge) deleted the model that answered: a note on the
    Teach page until the teacher has read it."""
    import json

    from sqlalchemy import insert

    from hwr.class_data import privacy

    db, lesson = a_class(class_db)
    at = teacher(page_app("teach"))
    assert "the model that answers now" not in texts(at)
    privacy.model_fallback_note(db.engine)  # the database upgraded (migration 0005)
    with db.engine.begin() as conn:
        conn.execute(insert(storage.settings).values(
            key=privacy.NOTE_KEY, value=json.dumps({"reason": privacy.ERASED})))
    at.run()
    assert privacy.ERASED_NOTE in texts(at)
    at.button(key="hwr_model_note_seen").click().run()
    assert not at.exception
    assert privacy.ERASED_NOTE not in texts(at)
    assert privacy.model_fallback_note(db.engine) is None


def test_the_class_page_says_when_an_ended_class_is_deleted_and_erases(passcode,
                                                                      class_db):
    db, lesson = a_class(class_db)
    db.end_class()
    at = teacher(page_app("class"))
    at.selectbox(key="class_choice").set_value((lesson.id, "7B")).run()
    assert re.search(r"This class's data is deleted on \w+ \d+, \d{4} \(30 days after it "
                     r"ended\)\.", texts(at)), texts(at)
    students_data(at)
    at.selectbox(key="hwr_student_choice").set_value("s2").run()
    at.button(key="hwr_erase_student").click().run()
    at.button(key="hwr_erase_yes").click().run()
    assert not at.exception, at.exception
    assert not any(rows_of(class_db, "s2").values())
    assert "The student was erased: 3 drawings" in texts(at)
