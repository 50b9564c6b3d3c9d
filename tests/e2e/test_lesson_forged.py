"""The teacher's actions as widget messages: a real teacher's session (speaking
Streamlit's protocol, tests/support/load_client.py) has them done; a student's session
that forges the very same messages gets nothing done, and a removed student's posts are
all refused."""

import asyncio
import time

import numpy as np
import pytest

from sqlalchemy import func, select

from hwr.class_data.collection import ClassCollection
from hwr.class_data.storage import drawings, round_entries, samples
from tests.support.browser import streamlit_server
from tests.support.classes import CLASS_MEMORY
from tests.support.load_client import Student, component_trigger, run_async
from tests.support.strokes import DIGITS, PLACEMENTS, place

PASSCODE = "7B-secret"


@pytest.fixture(scope="module")
def server(mnist_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("forged") / "class.sqlite3"
    collection = ClassCollection(db)  # migrated before the server opens it
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir), "HWR_CLASS_DB": str(db),
                               "HWR_TEACHER_PASSCODE": PASSCODE},
                          model_ready=True, preloaded=True) as url:
        yield url, collection


def image() -> np.ndarray:
    out = np.zeros((28, 28), np.float32)
    out[5:20, 10:14] = 1.0
    return out


async def unlocked_teacher(url: str) -> Student:
    teacher = Student(url, page="teach", canvas=False)
    await teacher.__aenter__()
    await teacher.send_widgets([
        {"id": teacher.widget("text_input", "Teacher's passcode"), "string_value": PASSCODE},
        {"id": teacher.widget("button", "Unlock"), "trigger_value": True}])
    reply = await teacher.rerun()
    for _ in range(20):  # the page after the unlock's own rerun
        if "hwr.wall" in teacher.components:
            break
        reply = await teacher.rerun()
    assert "hwr.wall" in teacher.components, reply.text()
    return teacher


def test_a_students_session_forging_the_teachers_actions_gets_nothing_done(server):
    url, db = server
    lesson = db.start_class("7B")
    for n in range(3):
        db.post_drawing(lesson.id, f"s{n}", 1, f"Name {n}", 7, False, 0.9, image())
    rows = [w.id for w in db.wall(lesson.id)]

    async def scenario():
        teacher = await unlocked_teacher(url)
        wall_fragment = teacher.auto_reruns[1.0]
        ids = {name: teacher.widget("button", name) for name in (
            "freeze_wall", "clear_wall", "end_class")}
        ids["start_round"] = teacher.widget("button", "Start the round")

        def forged(row):
            return [component_trigger(teacher.components["hwr.wall"], "action",
                                      {"op": op, "id": row}) for op in ("hide", "remove")
                    ][:1] + [{"id": i, "trigger_value": True} for i in ids.values()]

        async with Student(url) as draw_page, \
                Student(url, page="teach", canvas=False) as teach_page:
            for attacker in (draw_page, teach_page):
                await attacker.send_widgets(forged(rows[0]))
                await attacker.send_widgets(forged(rows[1]), fragment_id=wall_fragment)
                await attacker.send_widgets(
                    [component_trigger(teacher.components["hwr.wall"], "action",
                                       {"op": "remove", "id": rows[2]})],
                    fragment_id=wall_fragment)
        refused = (len(db.wall(lesson.id)), db.settings(lesson.id).frozen,
                   db.rounds(lesson.id), db.current_class() is not None,
                   [s.removed for s in db.students(lesson.id)])
        # the same message from the teacher's session is done: the forgery was faithful
        await teacher.send_widgets([component_trigger(
            teacher.components["hwr.wall"], "action", {"op": "hide", "id": rows[0]})],
            fragment_id=wall_fragment)
        await teacher.__aexit__(None, None, None)
        return refused

    refused = run_async(scenario())
    assert refused == (3, False, [], True, [False, False, False])
    assert [w.id for w in db.wall(lesson.id)] == rows[1:]


def test_a_removed_student_has_no_post_accepted(server):
    """Five drawings, five Done taps (forged: the removed student is shown none) and a
    new session under the same nickname: none is accepted, each is told plainly."""
    url, db = server
    lesson = db.start_class("8A")
    found, removed_at = None, []

    async def scenario():
        nonlocal found
        strokes = place(DIGITS[7][0], *PLACEMENTS[0])
        await asyncio.sleep(CLASS_MEMORY)  # the server's memory of the class
        async with Student(url, query="name=Rude%20Name") as student, \
                Student(url, query="name=Kind%20Name") as other:
            for _ in range(360):  # a fresh server loads its model in the background
                if (await student.draw(strokes)).answer == "7":
                    break
                await asyncio.sleep(0.5)
            for _ in range(60):  # the run that answered posts the drawing as it ends
                mine = [w for w in db.wall(lesson.id) if w.nickname == "Rude Name"]
                if mine:
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError("the student's drawing never reached the wall")
            me = mine[0]
            db.remove_student(lesson.id, db.student_of(lesson.id, me.id))
            removed_at.append(time.time())
            found = db.start_round(lesson.id, "digit", 7, seconds=60)
            for _ in range(30):  # the server remembers the class a second; a loaded one
                await asyncio.sleep(CLASS_MEMORY)  # may run the next script later than that
                if (await other.rerun()).prompt == "Everyone draw a 7":
                    break
            else:
                raise AssertionError("the round's prompt never reached the other student")
            done = other.widget("button", f"hwr_done_{found.id}")  # Done's id, as shown
            answers, notes, prompts = 0, 0, 0
            for _ in range(5):
                await student.clear()
                reply = await student.draw(strokes)
                answers += reply.answer == "7"
                notes += "removed you from this class" in reply.text()
                poll = await student.rerun(fragment_id=student.auto_reruns.get(2.0))
                prompts += poll.prompt is not None
                await student.send_widgets([{"id": done, "trigger_value": True}],
                                           fragment_id=student.auto_reruns.get(2.0))
        async with Student(url, query="name=Rude%20Name") as again:  # a new session
            reply = await again.draw(place(DIGITS[1][0], *PLACEMENTS[0]))
            taken = "not available in this class" in reply.text()
        return answers, notes, prompts, taken

    answers, notes, prompts, taken = run_async(scenario())
    print(f"answered {answers}, told {notes}, shown a prompt {prompts}, "
          f"nickname refused {taken}")
    assert (answers, notes, prompts, taken) == (5, 5, 0, True)
    db.end_round(found.id)
    removed = [s.student for s in db.students(lesson.id) if s.removed]
    d = drawings.c
    with db.engine.connect() as conn:  # every row they wrote or changed since: none
        posted = conn.execute(select(func.count()).select_from(drawings).where(
            (d.class_id == lesson.id) & d.student.in_(removed) &
            (d.updated > removed_at[0]))).scalar_one()
        saved = conn.execute(select(func.count()).select_from(samples).where(
            samples.c.student.in_(removed))).scalar_one()
        entered = conn.execute(select(func.count()).select_from(round_entries).where(
            round_entries.c.student.in_(removed))).scalar_one()
    accepted = (posted, saved, entered, sum(w.nickname == "Rude Name"
                                            for w in db.wall(lesson.id)))
    assert accepted == (0, 0, 0, 0)
    print(f"posts accepted from a removed student: {sum(accepted)} (of 11 tries)")
