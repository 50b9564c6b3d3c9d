"""The lesson under AppTest: the teacher's undo, the round form's limits, a round from
start to results, the Draw page's prompt and Done, and teacher actions refused to a
student's session."""

import re
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hwr.class_data.collection import ClassCollection
from tests.support.apptest import page_app, texts
from tests.support.files import REPO
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place

APP = str(REPO / "hwr" / "pages" / "router.py")


@pytest.fixture
def passcode(monkeypatch):
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")


def image() -> np.ndarray:
    out = np.zeros((28, 28), np.float32)
    out[5:20, 10:14] = 1.0
    return out


def teacher(script: AppTest) -> AppTest:
    script.session_state["hwr_teacher"] = True
    script.run()
    assert not script.exception, script.exception
    return script


def class_with_drawings(class_db, *students):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    for n, name in enumerate(students):
        db.post_drawing(lesson.id, f"s{n}", 1, name, 7, False, 0.9, image())
    return db, lesson


def htmls(at: AppTest) -> str:
    return " ".join(e.proto.body for e in at.get("html"))


def forge_script(class_id: int, row: int) -> AppTest:
    """A page that sends the wall's Hide for a drawing, as a tap (or a forged widget
    message) would reach the server: through the same action."""

    def page(class_id, row):
        import streamlit as st

        from hwr.pages.shared.lesson import wall_action

        if st.button("Hide", key="forge"):
            wall_action(class_id, {"op": "hide", "id": row}, ("hide", "remove"))

    return AppTest.from_function(page, default_timeout=60,
                                 kwargs={"class_id": class_id, "row": row})


def test_a_hide_is_undone_from_the_teach_page(passcode, class_db):
    db, lesson = class_with_drawings(class_db, "Quick Otter", "Calm Heron")
    row = next(w.id for w in db.wall(lesson.id) if w.nickname == "Quick Otter")
    at = teacher(page_app("teach"))
    assert [b.proto.component_name for b in at.get("bidi_component")] == ["hwr.wall"]
    from hwr.pages.shared.lesson import LAST_ACTION

    tap = teacher(forge_script(lesson.id, row))  # the wall's tap, through its action
    tap.button(key="forge").click().run()
    assert [w.nickname for w in db.wall(lesson.id)] == ["Calm Heron"]
    # the Teach page of the session that hid it offers the undo
    at.session_state[LAST_ACTION] = ("hide", lesson.id, row)
    at.run()
    at.button(key="undo_last").click().run()
    assert not at.exception
    assert {w.nickname for w in db.wall(lesson.id)} == {"Quick Otter", "Calm Heron"}
    # and any hidden drawing comes back from the list of what was taken down
    db.hide_drawing(lesson.id, row)
    at.run()
    at.button(key=f"show_again_{row}").click().run()
    assert len(db.wall(lesson.id)) == 2


def test_a_students_session_gets_no_teacher_action_done(passcode, class_db):
    db, lesson = class_with_drawings(class_db, "Quick Otter")
    row = db.wall(lesson.id)[0].id
    student = forge_script(lesson.id, row).run()
    student.button(key="forge").click().run()
    assert not student.exception
    assert len(db.wall(lesson.id)) == 1  # refused: not the teacher's session
    assert student.session_state["hwr_refused"] == 1


def test_a_removed_student_is_let_back_in(passcode, class_db):
    db, lesson = class_with_drawings(class_db, "Rude Name")
    db.remove_student(lesson.id, "s0")
    at = teacher(page_app("teach"))
    at.button(key="let_back_s0").click().run()
    assert not at.exception and len(db.wall(lesson.id)) == 1


def test_freeze_clear_and_settings_from_the_teach_page(passcode, class_db):
    db, lesson = class_with_drawings(class_db, "Quick Otter")
    at = teacher(page_app("teach"))
    at.button(key="freeze_wall").click().run()
    assert db.settings(lesson.id).frozen and "Frozen" in texts(at)
    at.button(key="unfreeze_wall").click().run()
    assert not db.settings(lesson.id).frozen
    at.button(key="clear_wall").click().run()
    assert db.wall(lesson.id) == []
    at.button(key="undo_last").click().run()
    assert len(db.wall(lesson.id)) == 1
    next(t for t in at.toggle if t.label == "Approve drawings first").set_value(True).run()
    next(t for t in at.toggle if t.label == "Generated nicknames only").set_value(True).run()
    assert not at.exception
    settings = db.settings(lesson.id)
    assert settings.approve_first and settings.generated_names


@pytest.mark.parametrize("seconds", [0, 10_000])
def test_a_timer_out_of_bounds_gets_a_message(passcode, class_db, seconds):
    db, lesson = class_with_drawings(class_db)
    at = teacher(page_app("teach"))
    at.number_input(key="round_seconds").set_value(seconds)
    next(b for b in at.button if b.label == "Start the round").click().run()
    assert not at.exception
    assert any("from 5 to 600" in e.value for e in at.error)
    assert db.rounds(lesson.id) == []


def test_a_round_from_the_form_to_its_results(passcode, class_db):
    db, lesson = class_with_drawings(class_db)
    at = teacher(page_app("teach"))
    at.selectbox(key="round_digit").set_value(3)
    next(b for b in at.button if b.label == "Start the round").click().run()
    found = db.current_round(lesson.id)
    assert found is not None and found.digit == 3 and found.seconds == 20
    assert "Everyone draw a 3" in htmls(at)
    db.post_drawing(lesson.id, "s1", 1, "=Ana", 3, False, 0.6, image())
    db.post_drawing(lesson.id, "s2", 1, "Calm Heron", 8, False, 0.9, image())
    at.button(key="end_round").click().run()
    assert not at.exception
    results = htmls(at)
    assert 'class="hwr-round-results"' in results and "<b>1 of 2</b>" in results
    assert "=Ana" in results and "They fooled the model" in results
    assert not [b for b in at.button if b.key == "end_round"]


# --- the Draw page ------------------------------------------------------------------



def draw_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_student_answers_the_prompt_with_done(canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, "digit", 7, seconds=60)
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=2)
    at = draw_app()
    prompt = re.search(r'class="hwr-prompt"[^>]*>([^<]*)<', htmls(at))
    assert prompt and prompt.group(1) == "Everyone draw a 7"
    nickname = at.sidebar.text_input(key="nickname").value
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", nickname)  # generated: "Quick Otter"
    assert not [p for p in at.get("button_group") if "Is it right" in str(p.proto)]
    at.button(key=f"hwr_done_{found.id}").click().run()
    assert not at.exception
    assert any("Your drawing is in" in s.value for s in at.success)
    entry = db.entry_of(found.id, at.session_state["hwr_student"])
    assert entry.prompt == 7 and entry.answer == 7 and entry.nickname == nickname
    assert db.samples(lesson.id).labels.tolist() == [7]


def test_a_removed_student_sees_a_plain_note_and_posts_nothing(canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    at = draw_app()
    me = at.session_state["hwr_student"]
    db.remove_student(lesson.id, me)
    canvas.drawing = as_drawing(place(DIGITS[1][0], *PLACEMENTS[0]), drawing_id=2)
    at.run()
    assert not at.exception
    assert "removed you from this class" in texts(at)
    assert db.wall(lesson.id) == [] and db.count(lesson.id) == 0


def test_generated_nicknames_only_replaces_a_typed_one(canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    db.set_generated_names(lesson.id, True)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["name"] = "Real Name"
    at.run()
    field = at.sidebar.text_input(key="nickname")
    assert field.disabled and field.value != "Real Name"
    from hwr.class_data.teacher import is_generated_nickname

    assert is_generated_nickname(field.value)


def test_the_database_going_away_mid_round(canvas, postgres_server, monkeypatch,
                                           passcode):
    """PostgreSQL refuses the class's database for a while: the student keeps drawing and
    getting answers, Done says it was not recorded, and once the database is back the
    round's results say they are incomplete."""
    import psycopg

    from hwr.pages.shared import class_state
    from tests.support.postgres import create_database

    url = create_database(postgres_server)
    monkeypatch.setenv("HWR_DB_URL", url)
    db = ClassCollection(url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, "digit", 7, seconds=120)
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    at = draw_app()
    assert "Everyone draw a 7" in htmls(at)
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://")

    def connections(allowed: bool) -> None:
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s", (name,))

    connections(False)
    try:
        time.sleep(1.1)  # the page's one-second memory of the class and round
        canvas.drawing = as_drawing(place(DIGITS[7][1 % len(DIGITS[7])], *PLACEMENTS[1]),
                                    drawing_id=2)
        at.run()
        assert not at.exception
        assert re.search(r'class="hwr-answer"[^>]*>7<', " ".join(
            m.value for m in at.markdown))  # answered all the same
        assert "Everyone draw a 7" in htmls(at) and "results will say" in texts(at)
        at.button(key=f"hwr_done_{found.id}").click().run()
        assert "Not recorded: class data is unavailable" in texts(at)
    finally:
        connections(True)
    class_state._storage_down.clear()  # as if RETRY_SECONDS had passed
    at.run()
    assert not at.exception
    db.end_round(found.id)
    assert db.round_results(found.id).round.incomplete
    teacher_page = teacher(page_app("teach"))
    assert "results are incomplete" in htmls(teacher_page)


def test_fool_the_network_takes_the_tapped_digit(canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, "fool", seconds=60)
    canvas.drawing = as_drawing(place(DIGITS[1][0], *PLACEMENTS[0]), drawing_id=1)
    at = draw_app()
    assert "Fool the network" in htmls(at)
    at.button_group(key=f"hwr_meant_{found.id}").set_value(7).run()  # "I meant a 7"
    assert not at.exception
    entry = db.entry_of(found.id, at.session_state["hwr_student"])
    assert (entry.prompt, entry.answer, entry.correct) == (7, 1, False)
    assert "not a 7" in " ".join(s.value for s in at.success)


def test_a_digit_each_asks_each_student_their_own(canvas, class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, "random", seconds=60)
    at = draw_app()
    asked = found.prompt_for(at.session_state["hwr_student"])
    assert f'data-digit="{asked}">Draw a {asked}<' in htmls(at)


def test_the_class_page_lists_the_rounds_and_the_teacher_downloads_them(passcode,
                                                                         class_db):
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, "digit", 4, seconds=None)
    db.post_drawing(lesson.id, "s1", 1, "@Ana", 4, False, 0.9, image())
    db.end_round(found.id)
    student = page_app("class").run()
    assert not student.exception
    assert any(e.label == "Rounds: 1" for e in student.expander)
    assert not student.get("download_button")
    at = teacher(page_app("class"))
    csv_button = next(b for b in at.get("download_button")
                      if "rounds" in b.proto.label)
    assert csv_button.proto.label == "Download the rounds (CSV)"
    rows = at.dataframe[0].value
    assert rows["prompt"].tolist() == ["Everyone draw a 4"] and rows["drawings"].tolist() == [1]


# --- issue 38: asked first, help beside the toggles, Enter in the round form ----------

def wall_tap_script(class_id: int, row: int, op: str) -> AppTest:
    """The wall's tap (``op``) on a drawing, in a teacher's session."""

    def page(class_id, row, op):
        import streamlit as st

        from hwr.pages.shared.lesson import wall_action

        st.session_state["hwr_teacher"] = True
        if st.button("Tap", key="tap"):
            wall_action(class_id, {"op": op, "id": row}, ("hide", "remove"))

    return AppTest.from_function(page, default_timeout=60,
                                 kwargs={"class_id": class_id, "row": row, "op": op})


def test_remove_student_asks_first(passcode, class_db):
    from hwr.pages.shared.lesson import PENDING_REMOVE

    db, lesson = class_with_drawings(class_db, "Quick Otter", "Calm Heron")
    row = next(w.id for w in db.wall(lesson.id) if w.nickname == "Quick Otter")
    tap = wall_tap_script(lesson.id, row, "remove").run()
    tap.button(key="tap").click().run()
    assert not tap.exception
    assert len(db.wall(lesson.id)) == 2  # nobody removed by the tap alone
    assert tap.session_state[PENDING_REMOVE] == (lesson.id, row, "Quick Otter")

    at = page_app("teach")
    at.session_state["hwr_teacher"] = True
    at.session_state[PENDING_REMOVE] = (lesson.id, row, "Quick Otter")
    at.run()
    assert not at.exception
    assert "Remove Quick Otter" in [b.label for b in at.button]
    at.button(key="remove_cancel").click().run()
    assert len(db.wall(lesson.id)) == 2 and PENDING_REMOVE not in at.session_state
    assert "Remove Quick Otter" not in [b.label for b in at.button]
    at.session_state[PENDING_REMOVE] = (lesson.id, row, "Quick Otter")
    at.run()
    at.button(key="remove_confirm").click().run()
    assert not at.exception
    assert [w.nickname for w in db.wall(lesson.id)] == ["Calm Heron"]
    assert [s.removed for s in db.students(lesson.id)] == [True, False]


def test_the_settings_help_is_beside_the_toggle_not_in_its_label(passcode, class_db):
    """The "?" icon sat inside the toggle's <label>: a tap on it flipped the setting."""
    db, lesson = class_with_drawings(class_db)
    at = teacher(page_app("teach"))
    for label in ("Approve drawings first", "Generated nicknames only"):
        toggle = next(t for t in at.toggle if t.label == label)
        assert not toggle.help
    captions = " ".join(c.value for c in at.caption)
    assert "a queue only you see" in captions and "Quick Otter" in captions


def test_a_setting_from_two_teacher_tabs_ends_as_the_database_holds_it(passcode,
                                                                       class_db):
    db, lesson = class_with_drawings(class_db)
    tabs = teacher(page_app("teach")), teacher(page_app("teach"))

    def shown(at):
        return next(t for t in at.toggle if t.label == "Approve drawings first").value

    next(t for t in tabs[0].toggle if t.label == "Approve drawings first").set_value(True)
    next(t for t in tabs[1].toggle if t.label == "Approve drawings first").set_value(True)
    tabs[0].run()
    tabs[1].run()  # both on at once: on
    assert db.settings(lesson.id).approve_first and shown(tabs[0]) and shown(tabs[1])
    next(t for t in tabs[0].toggle if t.label == "Approve drawings first").set_value(False)
    tabs[0].run()
    tabs[1].run()  # the other tab's next refresh shows it (its settings refresh alone)
    assert not db.settings(lesson.id).approve_first
    assert shown(tabs[0]) is False and shown(tabs[1]) is False


def test_enter_in_the_round_form_does_not_start_a_round(passcode, class_db):
    class_with_drawings(class_db)
    at = teacher(page_app("teach"))
    form = next(f for f in at.get("form") if f.proto.form.form_id == "round_form")
    assert form.proto.form.enter_to_submit is False
