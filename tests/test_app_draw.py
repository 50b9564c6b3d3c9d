"""The Draw page under Streamlit's AppTest, with a drawing injected into the canvas."""

import re
import time
import types

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.support.files import REPO
from tests.support.models import always
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place

APP = str(REPO / "hwr" / "pages" / "router.py")  # the pages; streamlit_app.py adds the server start




def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def answer(at: AppTest) -> str | None:
    for md in at.markdown:
        match = re.search(r'class="hwr-answer"[^>]*>([0-9]+)<', md.value)
        if match:
            return match.group(1)
    return None


def test_empty_canvas_invites_to_draw(canvas):
    canvas.drawing = as_drawing([])
    at = run_app()
    assert answer(at) is None
    assert any("Draw a digit" in md.value and "hwr-note" in md.value for md in at.markdown)


def test_drawing_shows_the_right_digit(canvas):
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    at = run_app()
    assert answer(at) == "7"
    assert any("confidence" in md.value for md in at.markdown)
    assert canvas.calls[-1]["key"] == "canvas-digit"


def test_the_canvas_gets_the_answer_channel_for_one_digit(canvas):
    from hwr.server import channel_rules

    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    at = run_app()
    channel = canvas.calls[-1]["channel"]
    assert channel["path"] == "/_hwr/answers" and channel["lang"] == "en"
    assert channel_rules.verify(channel["token"]) is not None
    assert "{confidence}" in channel["words"]["confidence"]
    assert channel["quiet"] and channel["shows"] == [None, None]  # no class runs
    at.toggle(key="live").set_value(True).run()
    assert canvas.calls[-1]["channel"]["path"] == "/_hwr/answers"  # live answers too
    at.toggle(key="live").set_value(False).run()
    at.segmented_control(key="mode").set_value("Several digits").run()
    number = canvas.calls[-1]["channel"]  # several digits too, always quiet
    assert number["number"] and number["quiet"] and not number["maps"]
    assert number["words"]["count_other"] == "{count} digits, read left to right"
    assert number["words"]["invitation"].startswith("Write a few digits")


def test_a_drawing_the_channel_answered_is_not_recognized_again(canvas, monkeypatch):
    import hwr.pages.draw.page as draw

    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    three = draw.model_loader().recognizer.recognize(
        draw.rasterize(as_drawing(place(DIGITS[3][0], *PLACEMENTS[0]))))
    asked = []
    monkeypatch.setattr(draw.answer_channel, "answered",
                        lambda session_id, model_dir, drawing, number=False:
                        asked.append(number) or three)
    at = run_app()
    assert asked == [False] and answer(at) == "3"  # the channel's, not a second recognition


def test_several_digits_mode_reads_the_number(canvas):
    strokes = [s for i, d in enumerate((2, 0, 6)) for s in place(DIGITS[d][0], 40 + i * 200,
                                                                  30, 160)]
    canvas.drawing = as_drawing(strokes, width=700, height=220)
    at = run_app()
    at.segmented_control(key="mode").set_value("Several digits").run()
    assert not at.exception
    assert canvas.calls[-1]["key"] == "canvas-number"
    assert (canvas.calls[-1]["width"], canvas.calls[-1]["height"]) == (700, 220)
    assert answer(at) == "206"


def test_a_malformed_drawing_gets_a_message_not_a_traceback(canvas, monkeypatch):
    import hwr.pages.draw.page
    from hwr.reading.drawing import parse_drawing

    monkeypatch.setattr(hwr.pages.draw.page, "draw_canvas",
                        lambda *a, **k: parse_drawing({"width": 280, "strokes": "x"}))
    at = run_app()
    assert any("could not be read" in w.value for w in at.warning)
    assert answer(at) is None


def test_a_flood_of_drawings_is_paced(canvas, monkeypatch):
    """One session gets at most one recognition per MIN_INTERVAL: the rest wait."""
    import hwr.pages.draw.page as draw

    # The page's clock stands still (a loaded machine could otherwise take longer than
    # MIN_INTERVAL between the two runs, and rightly not wait); its sleeps are noted.
    sleeps = []
    monkeypatch.setattr(draw, "time", types.SimpleNamespace(monotonic=lambda: 1000.0,
                                                            sleep=sleeps.append))
    canvas.drawing = as_drawing(place(DIGITS[1][0], *PLACEMENTS[0]), drawing_id=1)
    at = run_app()
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=2)
    at.run()
    assert answer(at) == "7"
    assert sleeps == [pytest.approx(draw.MIN_INTERVAL)]  # the second run waited its turn


def test_missing_model_shows_the_teacher_how_to_restore(canvas, monkeypatch, tmp_path):
    monkeypatch.setenv("HWR_MODEL_DIR", str(tmp_path / "gone"))
    monkeypatch.setattr("hwr.pages.shared.teacher_session.is_teacher", lambda: True)
    at = run_app()
    assert any("could not be loaded" in e.value and "train.py" in e.value for e in at.error)


def test_missing_model_tells_a_student_no_server_path(canvas, monkeypatch, tmp_path):
    monkeypatch.setenv("HWR_MODEL_DIR", str(tmp_path / "gone"))
    at = run_app()
    errors = [e.value for e in at.error]
    assert any("could not be loaded" in e and "teacher" in e for e in errors)
    assert not any(str(tmp_path) in e or "train.py" in e for e in errors)


def drawn_seven(canvas, mnist_test=None):
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))


def confirm_row(at):
    """The *Is it right?* row of digits (its key names the drawing)."""
    (row,) = [p for p in at.pills if p.key.startswith("hwr_confirm_")]
    return row


def test_inside_the_network_is_computed_only_when_opened(canvas, mnist_test, monkeypatch):
    import hwr.reading.explain

    calls = []
    real = hwr.reading.explain.explain
    monkeypatch.setattr(hwr.reading.explain, "explain",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    drawn_seven(canvas, mnist_test)
    at = run_app()
    assert answer(at) == "7" and calls == []
    at.toggle(key="inside").set_value(True).run()
    assert not at.exception and len(calls) == 1
    assert any("Grad-CAM" in (img.caption or "") for el in at.get("image")
               for img in el.proto.imgs)


def test_confirming_saves_to_the_class_collection(canvas, mnist_test, class_db):
    from hwr.class_data.collection import ClassCollection

    drawn_seven(canvas, mnist_test)
    at = run_app()
    confirm = confirm_row(at)
    ticked = [option.content for option in confirm.proto.options if option.content_icon]
    assert confirm.options == [str(d) for d in range(10)] and ticked == ["7"]  # the answer
    confirm.set_value(7).run()
    assert not at.exception
    assert canvas.calls[-1]["clear_id"] == canvas.drawing.id  # the filed drawing is cleared
    confirm_row(at).set_value(None).run()  # untapped and tapped again: still saved once
    confirm_row(at).set_value(7).run()
    assert ClassCollection(class_db).count() == 1
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=1)
    at.run()
    assert confirm_row(at).value is None  # a new drawing: nothing tapped yet
    confirm_row(at).set_value(1).run()  # the right digit, one tap
    samples = ClassCollection(class_db).samples()
    assert samples.labels.tolist() == [7, 1] and samples.predicted.tolist() == [7, 7]


def test_class_page_shows_accuracy_of_collected_digits(class_db, monkeypatch):
    from hwr.class_data.collection import ClassCollection

    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "x")
    db = ClassCollection(class_db)
    db.add(np.zeros((28, 28)), 3, np.eye(10)[3])
    db.add(np.zeros((28, 28)), 5, np.eye(10)[3])
    at = AppTest.from_string("from hwr.pages.class_page.page import class_page\nclass_page()\n",
                             default_timeout=60)
    at.session_state["hwr_teacher"] = True  # a session that entered the passcode
    at.run()
    assert not at.exception
    assert at.metric[0].value == "2" and at.metric[1].value == "50.0%"
    misread = [el.value for el in at.get("html") if 'class="hwr-thumb"' in el.value]
    assert len(misread) == 1 and misread[0].count("<figure") == 1
    assert "a 5 read as 3 (100%)" in misread[0]
    assert at.button(key="delete_all").disabled  # not without the confirmation
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete_all").click().run()
    assert db.count() == 0


def test_presentation_mode_enlarges_canvas_and_answer(canvas, mnist_test):
    drawn_seven(canvas, mnist_test)
    at = run_app()
    normal = canvas.calls[-1]["max_css_width"]
    at.sidebar.toggle(key="presentation").set_value(True).run()
    assert canvas.calls[-1]["max_css_width"] > normal
    assert canvas.calls[-1]["width"] == 280  # the same drawing, shown larger
    assert any('<div class="hwr-large"><div class="hwr-answer">' in md.value
               for md in at.markdown)  # style.css: 14rem


def test_a_drawing_that_is_no_digit_is_said_plainly(canvas):
    from tests.support.strokes import NON_DIGITS

    canvas.drawing = as_drawing(place(NON_DIGITS["house"], *PLACEMENTS[0]))
    at = run_app()
    text = " ".join(md.value for md in at.markdown)
    assert "That does not look like a digit" in text and "best guess" in text
    assert answer(at) is None  # no big digit
    # nothing to confirm: no digit is ticked, but the right one can still be saved
    assert not [o for o in confirm_row(at).proto.options if o.content_icon]


def test_while_a_class_runs_drawings_go_on_its_wall(canvas, class_db):
    from hwr.class_data.collection import ClassCollection

    lesson = ClassCollection(class_db).start_class("7B")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=3)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["name"] = "<b>Ana</b>"
    at.run()
    assert not at.exception
    assert any("class wall" in c.value for c in at.caption)
    wall = ClassCollection(class_db).wall(lesson.id)
    assert [(w.predicted, w.nickname) for w in wall] == [(7, "<b>Ana</b>")]
    confirm_row(at).set_value(7).run()
    assert ClassCollection(class_db).wall(lesson.id)[0].label == 7
    assert ClassCollection(class_db).count(lesson.id) == 1
    ClassCollection(class_db).end_class()  # the teacher ends it; this page draws on
    from hwr.pages.shared.class_state import class_changed

    class_changed()
    canvas.drawing = as_drawing(place(DIGITS[1][0], *PLACEMENTS[0]), drawing_id=4)
    at.run()
    assert not at.exception and answer(at) == "1"
    assert any("class has ended" in c.value for c in at.caption)
    assert len(ClassCollection(class_db).wall(lesson.id)) == 1


def test_without_a_class_nothing_goes_on_a_wall(canvas, class_db):
    from hwr.class_data.collection import ClassCollection

    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    at = run_app()
    assert not any("class wall" in c.value for c in at.caption)
    lesson = ClassCollection(class_db).start_class("later")
    assert ClassCollection(class_db).wall(lesson.id) == []


def test_a_full_class_wall_gets_a_plain_note(canvas, class_db, monkeypatch):
    from hwr.class_data.collection import ClassCollection

    monkeypatch.setenv("HWR_CLASS_MAX_DRAWINGS", "1")
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    db.post_drawing(lesson.id, "someone", 1, "", 1, False, 0.9, np.zeros((28, 28)))
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    at = run_app()
    assert answer(at) == "7"  # answered all the same
    assert any("wall is full" in c.value for c in at.caption)
    assert len(db.wall(lesson.id)) == 1


def test_posts_are_limited_to_about_one_a_second():
    from hwr.class_data.rate_limits import PostLimiter

    now = [0.0]
    limiter = PostLimiter(per_second=1.0, burst=3, clock=lambda: now[0])
    assert [limiter.allow() for _ in range(5)] == [True, True, True, False, False]
    now[0] = 1.0
    assert limiter.allow() and not limiter.allow()
    now[0] = 100.0
    assert sum(limiter.allow() for _ in range(10)) == 3  # the burst never grows past 3


def test_a_nickname_is_cleaned_and_kept_in_the_address(canvas):
    canvas.drawing = as_drawing([])
    at = run_app()
    at.sidebar.text_input(key="nickname").set_value("  Ana\x07  B ").run()
    assert not at.exception
    assert at.query_params["name"] == "Ana B"
    at.sidebar.text_input(key="nickname").set_value("").run()
    assert "name" not in at.query_params


def test_every_session_answers_with_the_model_the_teacher_activates(canvas):
    from hwr.pages.shared.model_loading import activate_model, model_store, restore_original_model

    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    student = run_app()
    assert answer(student) == "7"
    store = model_store()
    version = store.add(always(3), parent="original", class_digits=212, class_name="7B")
    assert activate_model(version.id) == ""
    student.run()  # the same session's next drawing
    assert answer(student) == "3"
    assert any("learned from 212 of our digits" in c.value for c in student.caption)
    other = run_app()  # and a session that opens the page now
    assert answer(other) == "3"
    restore_original_model()
    student.run()
    assert answer(student) == "7"
    assert not any("our digits" in c.value for c in student.caption)


def test_a_class_model_that_fails_to_load_falls_back_to_the_original(canvas):
    from hwr.pages.shared.model_loading import model_changed, model_store

    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    store = model_store()
    version = store.add(always(3), parent="original", class_digits=40)
    store.activate(version.id)  # chosen elsewhere (another server), then damaged
    model_changed()
    (version.path / "model.keras").write_bytes(b"PK\x03\x04 damaged")
    at = run_app()
    for _ in range(20):  # the damaged version's load fails in the background first
        if answer(at) is not None:
            break
        time.sleep(0.5)
        at.run()
    assert answer(at) == "7"
    assert any("could not be loaded: the original model answers" in c.value
               for c in at.caption)


def test_without_its_database_the_page_still_answers_and_saving_says_why(canvas,
                                                                         monkeypatch):
    from tests.support.browser import free_port

    monkeypatch.setenv("HWR_DB_URL",
                       f"postgresql+psycopg://teacher:hunter2@127.0.0.1:{free_port()}/hwr")
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]))
    at = run_app()
    assert answer(at) == "7"  # drawing and answers go on
    confirm_row(at).set_value(7).run()
    assert not at.exception
    assert any("Not saved: class data is unavailable" in t.value for t in at.toast)
    assert "hunter2" not in str([m.value for m in at.markdown])


def test_the_model_loads_once_the_page_is_on_screen(monkeypatch):
    """A session's first run sends the page; TensorFlow's load (which holds the
    interpreter) waits until a later run shows the browser has the page on screen."""
    import threading

    import hwr.server.model_loader

    shown = threading.Event()
    monkeypatch.setattr(hwr.server.model_loader, "_FIRST_PAGE_SHOWN", shown)
    at = run_app()
    assert not shown.is_set()
    at.run()  # the warm-up poll, or a stroke
    assert not at.exception and shown.is_set()


def _wall_name() -> None:
    import streamlit as st

    from hwr.pages.draw.sharing import current_nickname

    st.markdown(current_nickname())


def test_the_wall_name_comes_from_the_address_when_the_session_has_no_box_yet():
    """A run without the nickname box's state (a stroke's fragment run, after Streamlit
    dropped the box's state) posts under the address's nickname, not a generated one."""
    from hwr.class_data.teacher import is_generated_nickname

    at = AppTest.from_function(_wall_name)
    at.query_params["name"] = "  Ana\x07 "
    assert at.run().markdown[0].value == "Ana"
    at.session_state["nickname"] = "Bo"  # the box, once it ran, wins
    assert at.run().markdown[0].value == "Bo"
    bare = AppTest.from_function(_wall_name).run()
    name = bare.markdown[0].value
    assert is_generated_nickname(name) and bare.run().markdown[0].value == name


def toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def test_without_a_class_a_save_claims_no_class_digits(canvas, class_db):
    """Issue 38: with no class running the drawing is stored with no class; the toast
    counts the digits saved outside a class, never "class digits"."""
    from hwr.class_data.collection import ClassCollection

    db = ClassCollection(class_db)
    lesson = db.start_class("7B")  # a class's digit: not counted once it has ended
    db.add(np.zeros((28, 28)), 3, np.eye(10)[3], class_id=lesson.id)
    db.end_class()
    drawn_seven(canvas)
    at = run_app()
    confirm_row(at).set_value(7).run()
    assert not at.exception
    assert toasts(at) == ["Saved as a 7 (no class is running): 1 digit saved outside a "
                          "class so far"]
    db.start_class("8C")  # in a class: its own digits
    from hwr.pages.shared.class_state import class_changed

    class_changed()
    canvas.drawing = as_drawing(place(DIGITS[7][0], *PLACEMENTS[0]), drawing_id=9)
    at = run_app()
    confirm_row(at).set_value(7).run()
    assert "Saved as a 7: 1 class digit so far" in toasts(at)


def nickname_button(at):
    return [p for p in at.get("popover") if "You are" in p.proto.popover.label]


def test_in_a_class_the_page_says_the_nickname_and_changes_it(canvas, class_db):
    """Issue 38: on a phone the sidebar is collapsed; the page itself says "You are Ana ·
    change", and the box it opens changes the nickname (the sidebar's and the address's)."""
    from hwr.class_data.collection import ClassCollection
    from hwr.pages.shared.class_state import class_changed
    from hwr.pages.shared.lesson import lesson_changed

    canvas.drawing = as_drawing([])
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["name"] = "Ana*"
    at.run()
    assert not nickname_button(at)  # no class: nothing to say
    lesson = ClassCollection(class_db).start_class("7B")
    class_changed()
    at.run()
    (button,) = nickname_button(at)
    assert button.proto.popover.label == "You are Ana\\* · change"  # as typed, not markdown
    at.text_input(key="hwr_nickname_here").set_value(" Bo ").run()
    assert not at.exception
    assert at.query_params["name"] == "Bo" and at.sidebar.text_input(key="nickname").value == "Bo"
    assert nickname_button(at)[0].proto.popover.label == "You are Bo · change"
    ClassCollection(class_db).set_generated_names(lesson.id, True)  # generated names only
    lesson_changed()
    at.run()
    assert not nickname_button(at)
    said = [c.value for c in at.caption if c.value.startswith("You are ")]
    assert said == [f"You are {at.sidebar.text_input(key='nickname').value}"]


def test_fooling_the_network_gets_its_own_hint_and_entry(canvas, class_db, monkeypatch):
    """Issue 38: in "Fool the network" an unsure answer is not told to write more
    clearly; the digit meant is tapped under the canvas, and the entry says whether the
    network was fooled."""
    import hwr.pages.draw.answer
    from hwr.class_data.collection import ClassCollection
    from hwr.class_data.rounds import FOOL

    monkeypatch.setattr(hwr.pages.draw.answer, "is_unsure", lambda p: True)
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    db.start_round(lesson.id, FOOL, None, None)
    drawn_seven(canvas)
    at = run_app()
    captions = " ".join(md.value for md in at.markdown if "hwr-caption" in md.value)
    assert "nearly fooled" in captions and "more clearly" not in captions
    assert not [p for p in at.pills if p.key.startswith("hwr_confirm_")]  # the round labels
    (meant,) = [p for p in at.pills if p.key.startswith("hwr_meant_")]
    meant.set_value(1).run()
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Your drawing is in: the model read it as a 7, not a 1: fooled."]
