"""The teacher curates the class's labels (hwr.class_data.curation, hwr.pages.class_page.curation):
relabel and leave out, one or in bulk, recorded and undone, in the class database (SQLite
and PostgreSQL) where every app server sees it; what teaching and the export read; the
suspicious list; and the Class page's controls under AppTest."""

import threading

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hwr.class_data import curation as cu
from hwr.class_data.collection import ClassCollection, export_npz
from tests.support.apptest import page_app, texts
from tests.support.classes import drawing_image, sure

TEACHER = "teacher-one"




def add(db, lesson, label, read_as, student, nickname="", n=0, drawing_id=None) -> int:
    return db.add(drawing_image(n), label, sure(read_as), class_id=lesson.id, student=student,
                  nickname=nickname, drawing_id=drawing_id)


def a_class(db):
    """7B: "Pranky" files six 7s as 1s; "Calm Heron" one 8 as 3 among five right; "Quick
    Otter" ten right. Returns the lesson and the ids by student."""
    lesson = db.start_class("7B")
    ids = {"s0": [add(db, lesson, 1, 7, "s0", "Pranky", n) for n in range(6)],
           "s1": [add(db, lesson, 3, 8, "s1", "Calm Heron", 10)] +
                 [add(db, lesson, d, d, "s1", "Calm Heron", 11 + d) for d in range(5)],
           "s2": [add(db, lesson, d, d, "s2", "Quick Otter", 20 + d) for d in range(10)]}
    return lesson, ids


def curated(db, lesson):
    found, left = cu.curated_samples(db, lesson.id)
    return dict(zip(found.ids.tolist(), found.labels.tolist())), left


# --- the rules, on both databases -----------------------------------------------------

def test_a_change_made_through_one_server_is_seen_through_another(db_url):
    server_a, server_b = ClassCollection(db_url), ClassCollection(db_url)
    lesson, ids = a_class(server_a)
    prank = ids["s0"]
    done = cu.relabel(server_a, prank[:3], 7, TEACHER, "cell 1 read as 7")
    assert (done.changed, done.missing) == (3, 0)
    cu.exclude(server_a, prank[3:], TEACHER, "suspicious, Pranky")
    labels, left = curated(server_b, lesson)
    assert [labels[i] for i in prank[:3]] == [7, 7, 7]
    assert not set(prank[3:]) & set(labels)
    assert (left.total, left.excluded, left.relabelled, left.count) == (22, 3, 3, 3)
    view = cu.curation(server_b, lesson.id)  # the excluded stay in curation, to take back
    assert len(view) == 22 and view.excluded.sum() == 3
    assert view.original[view.index_of(prank[0])] == 1  # the student's label is kept
    actions = cu.history(server_b, lesson.id)
    assert [(a.action, a.drawings, a.teacher) for a in actions] == [
        ("exclude", 3, TEACHER), ("relabel", 3, TEACHER)]
    # undone on B: A sees the labels as they were, one action at a time
    assert cu.undo(server_b, TEACHER).changed == 3
    assert set(prank[3:]) <= set(curated(server_a, lesson)[0])
    assert cu.undo(server_b, TEACHER).changed == 3
    assert [curated(server_a, lesson)[0][i] for i in prank] == [1] * 6
    assert cu.undo(server_b, TEACHER).batch is None  # nothing more to undo
    assert cu.history(server_a, lesson.id)[0].action == "undo"
    assert all(a.undone for a in cu.history(server_a, lesson.id) if a.action != "undo")


def test_the_export_carries_curated_labels_and_leaves_excluded_out(db_url):
    db = ClassCollection(db_url)
    lesson, ids = a_class(db)
    cu.relabel(db, ids["s0"], 7, TEACHER)
    cu.exclude(db, ids["s1"][:1], TEACHER)
    found, _ = cu.curated_samples(db, lesson.id)
    import io

    with np.load(io.BytesIO(export_npz(found))) as npz:
        # Pranky's six under the teacher's 7, Calm Heron's 3 left out, the rest as filed
        assert npz["y"].tolist() == [7] * 6 + list(range(5)) + list(range(10))
        assert len(npz["x"]) == 21


@pytest.mark.parametrize("bad", [10, -1, "7", 7.0, True, None, np.float32(3)])
def test_relabelling_to_something_not_a_digit_is_refused(db_url, bad):
    db = ClassCollection(db_url)
    lesson, ids = a_class(db)
    with pytest.raises(cu.NotADigit):
        cu.relabel(db, ids["s0"][:1], bad, TEACHER)
    with pytest.raises(cu.NotADigit):
        cu.relabel_each(db, {ids["s0"][0]: bad}, TEACHER)
    assert cu.history(db, lesson.id) == []
    assert curated(db, lesson)[1].relabelled == 0


def test_two_teachers_changing_one_drawing_at_once_are_both_recorded_and_the_later_wins(
        db_url):
    db = ClassCollection(db_url)
    lesson, ids = a_class(db)
    drawing = ids["s0"][0]
    servers = [ClassCollection(db_url), ClassCollection(db_url)]
    start = threading.Barrier(2)
    errors = []

    def teacher(n: int) -> None:
        try:
            start.wait()
            for _ in range(5):
                cu.relabel(servers[n], [drawing, ids["s0"][1]], 4 + n, f"teacher-{n}")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=teacher, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    changes = cu.changes_of(db, drawing)
    assert len(changes) == 10  # every change recorded, both teachers'
    assert {c["teacher"] for c in changes} == {"teacher-0", "teacher-1"}
    later = changes[-1]
    assert curated(db, lesson)[0][drawing] == later["new_label"]  # the later one wins
    # each change replaced what the one before it wrote: none read a stale label
    for before, after in zip(changes, changes[1:]):
        assert after["old_label"] == before["new_label"]


def test_a_drawing_deleted_while_its_cell_is_open_is_skipped(db_url):
    db = ClassCollection(db_url)
    lesson, ids = a_class(db)
    view = cu.curation(db, lesson.id)
    cell = [int(view.ids[i]) for i in view.cell(1, 7)]
    assert sorted(cell) == ids["s0"]
    done = cu.relabel(db, cell[:2], 7, TEACHER)
    ClassCollection(db_url).delete_all(lesson.id)  # another teacher deletes the digits
    outcome = cu.exclude(db, cell, TEACHER, "cell 1 read as 7")
    assert (outcome.batch, outcome.changed, outcome.missing) == (None, 0, 6)
    undone = cu.undo(db, TEACHER, done.batch)  # their drawings are gone: nothing to undo
    assert (undone.changed, undone.missing) == (0, 2)


def test_an_undo_leaves_what_another_teacher_changed_since(db_url):
    db = ClassCollection(db_url)
    lesson, ids = a_class(db)
    mine = cu.relabel(db, ids["s0"], 7, "teacher-a")
    cu.relabel(db, ids["s0"][:2], 9, "teacher-b")  # later, on the same drawings
    undone = cu.undo(db, "teacher-a")
    assert (undone.changed, undone.kept) == (4, 2)
    labels = curated(db, lesson)[0]
    assert [labels[i] for i in ids["s0"]] == [9, 9, 1, 1, 1, 1]
    assert cu.undo(db, "teacher-a", mine.batch).batch is None  # undone once only


def test_relabelling_back_to_the_students_label_clears_the_teachers(db_url):
    db = ClassCollection(db_url)
    lesson, ids = a_class(db)
    cu.relabel(db, ids["s0"][:1], 7, TEACHER)
    cu.relabel(db, ids["s0"][:1], 1, TEACHER)
    assert curated(db, lesson)[1].relabelled == 0
    assert cu.changes_of(db, ids["s0"][0])[-1]["new_label"] is None


def test_a_database_of_0003_gains_curation_with_nothing_changed(db_url):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from hwr.class_data import storage

    engine = storage.create(db_url)
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(text("INSERT INTO classes (name, started) VALUES ('7B', 'x')"))
        connection.execute(text(
            "INSERT INTO samples (created, label, predicted, probabilities, model_input, "
            "class_id, student) VALUES ('x', 4, 9, :p, :m, 1, 's1')"),
            {"p": str([0.1] * 10), "m": drawing_image(0).tobytes()})
    engine.dispose()
    db = ClassCollection(db_url)
    found, left = cu.curated_samples(db, 1)
    assert found.labels.tolist() == [4] and left.count == 0
    assert cu.relabel(db, found.ids, 9, TEACHER).changed == 1


# --- what teaching learns from ----------------------------------------------------------

def moderated_class(db):
    """A class whose drawings are on the wall: one hidden, one of a removed student, one
    excluded, one relabelled."""
    lesson = db.start_class("7B")
    ids = {}
    for n, student in enumerate(["s0", "s0", "s1", "s2", "s2", "s2"]):
        db.post_drawing(lesson.id, student, n, "", 4, False, 0.9, drawing_image(n))
        ids[n] = db.add(drawing_image(n), n % 10, sure(n % 10), class_id=lesson.id,
                        student=student, drawing_id=n)
    hidden = next(w.id for w in db.wall(lesson.id) if w.drawing == 0)
    db.hide_drawing(lesson.id, hidden)
    db.remove_student(lesson.id, "s1")
    cu.exclude(db, [ids[3]], TEACHER)
    cu.relabel(db, [ids[4]], 9, TEACHER)
    return lesson, ids


def test_teaching_leaves_out_hidden_and_excluded_drawings_under_curated_labels(
        db_url, monkeypatch):
    """The Class page's fine-tune reads its digits through teaching_service's
    class_digits(): neither the hidden, the removed student's nor the excluded drawing is
    in them, and the relabelled one is under the teacher's label."""
    from hwr.pages.class_page import teaching_service
    from hwr.pages.shared import class_state
    from hwr.pages.shared import model_loading
    from hwr.teaching.service import Teaching

    db = ClassCollection(db_url)
    lesson, ids = moderated_class(db)
    captured = {}

    def start(self, load_digits, class_name, class_id=None):
        captured["load_digits"] = load_digits

    monkeypatch.setattr(Teaching, "start", start)
    monkeypatch.setattr(model_loading, "model_store", lambda: None)
    monkeypatch.setattr(class_state, "class_collection", lambda: db)
    teaching_service.start_fine_tune(lesson.id, "7B")
    digits = captured["load_digits"]()
    expected = [drawing_image(1), drawing_image(4), drawing_image(5)]  # s0's second, s2's relabelled and last
    assert len(digits) == 3
    for got, want in zip(digits.images, expected):
        np.testing.assert_array_equal(got, want)
    assert digits.labels.tolist() == [1, 9, 5]
    assert digits.students == ("s0", "s2", "s2")
    report = digits.report["curation"]
    assert (report["hidden"], report["removed"], report["excluded"],
            report["relabelled"]) == (1, 1, 1, 1)


def test_a_fine_tune_uses_the_labels_as_at_its_start_and_says_what_changed_since(
        class_db):
    from hwr.learning.finetune import FineTuneError
    from hwr.teaching.jobs import FineTuneJob

    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    reading, go_on = threading.Event(), threading.Event()

    def load_mnist():
        reading.set()  # the digits are read: the teacher goes on curating
        go_on.wait(30)
        raise FineTuneError("stop here")

    class Version:
        id, path = "original", None

    class Store:
        def active(self):
            return Version()

    job = FineTuneJob(Store(), Version(), lambda: cu.curated_digits(db, lesson.id),
                      load_mnist, class_name="7B")
    job.config.finetune.min_digits = 5
    job.start()
    assert reading.wait(30)
    cu.relabel(db, ids["s0"], 7, TEACHER)  # while the run goes on
    go_on.set()
    assert job.wait(30)
    left = cu.LeftOut.from_report(job.selection)
    assert left.relabelled == 0 and left.total == 22  # as at the start
    assert cu.changes_since(db, left.last_change, lesson.id) == 6


# --- the suspicious list ----------------------------------------------------------------

def test_the_suspicious_list_groups_by_student_the_biggest_first(class_db):
    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    groups = cu.suspicious(cu.curation(db, lesson.id))
    assert [g.student for g in groups] == ["s0", "s1"]
    view = cu.curation(db, lesson.id)
    assert sorted(view.ids[groups[0].indices].tolist()) == ids["s0"]
    cu.exclude(db, ids["s0"], TEACHER)  # dealt with: off the list
    assert [g.student for g in cu.suspicious(cu.curation(db, lesson.id))] == ["s1"]


def test_the_thresholds_are_the_configs():
    labels = np.array([1, 1, 1])
    p = np.array([sure(7), np.r_[0.03, np.full(9, 0.97 / 9)], 0.5 * sure(7) + 0.5 * sure(2)])
    p[1] = 0.0
    p[1][7], p[1][1] = 0.985, 0.015  # the label at 1.5%: not under 0.5%
    assert cu.flagged(labels, p).tolist() == [True, False, False]
    assert cu.flagged(labels, p, config=cu.CurationConfig(label_below=0.05)).tolist() == [
        True, True, False]
    assert cu.flagged(labels, p, config=cu.CurationConfig(label_below=0.05,
                                                          other_above=0.99)).tolist() == [
        False, False, False]  # 99% on the 7 is not over 99%


def test_a_student_with_a_block_of_suspicious_labels_gets_the_doubtful_ones_listed_too():
    config = cu.CurationConfig(block_min=3, block_label_below=0.2)
    doubtful = np.full(10, 0.0)
    doubtful[7], doubtful[1] = 0.85, 0.15  # read as 7 (85%), label 1 at 15%
    p = np.array([sure(7)] * 3 + [doubtful, doubtful])
    labels = np.array([1, 1, 1, 1, 1])
    students = ("a", "a", "a", "a", "b")  # b's doubtful one alone is not listed
    assert cu.flagged(labels, p, students, config).tolist() == [True] * 4 + [False]
    assert cu.flagged(labels, p, students, cu.CurationConfig(block_min=0)).tolist() == [
        True] * 3 + [False] * 2


# --- the Class page -----------------------------------------------------------------

@pytest.fixture
def teacher_page(monkeypatch):
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")

    def open_page():
        at = page_app("class").run()
        at.session_state["hwr_teacher"] = True
        at.run()
        assert not at.exception, at.exception
        return at
    return open_page


def headings(at) -> str:
    return " ".join(h.value for kind in ("header", "subheader") for h in at.get(kind))


def keys(at) -> list[str]:
    return [w.key for kind in ("button", "selectbox") for w in at.get(kind)
            if w.key and w.key.startswith("cur_")]


def test_the_teacher_relabels_excludes_in_bulk_and_undoes(teacher_page, class_db):
    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    at = teacher_page()
    page = texts(at)
    assert "Suspicious labels: 7" in headings(at)
    marks = [m.value for m in at.markdown]
    order = [n for n, m in enumerate(marks) if m.startswith(("**Pranky**", "**Calm Heron**"))]
    assert [marks[n].split("**")[1] for n in order] == ["Pranky", "Calm Heron"]
    assert "**6 drawings** filed as **1** that the model read as **7**" in page  # opened

    one, two = ids["s0"][:2]
    at.selectbox(key=f"cur_cell_label_{one}_1").set_value(7).run()  # one drawing
    assert not at.exception, at.exception
    assert curated(db, lesson)[0][one] == 7
    at.button(key=f"cur_cell_out_{two}_0").click().run()  # leave one out
    assert two not in curated(db, lesson)[0]
    assert "**5 drawings** filed as **1**" in texts(at)

    at.button(key="cur_cell_relabel").click().run()  # the whole cell, as 7
    labels = curated(db, lesson)[0]
    assert [labels.get(i) for i in ids["s0"]] == [7, None, 7, 7, 7, 7]
    assert "Your last change: relabelled 5 drawings as 7 (cell 1 read as 7)" in texts(at)

    at.button(key="cur_undo").click().run()  # undo the bulk relabel
    labels = curated(db, lesson)[0]
    assert [labels.get(i) for i in ids["s0"]] == [7, None, 1, 1, 1, 1]
    at.button(key="cur_undo").click().run()  # and the one before: two is back in
    assert curated(db, lesson)[0][two] == 1

    at.selectbox(key="cur_student").set_value("s1").run()  # a whole student
    at.button(key="cur_student_exclude").click().run()
    assert not set(ids["s1"]) & set(curated(db, lesson)[0])
    assert cu.history(db, lesson.id)[0].scope == "student Calm Heron"

    at.button(key="cur_sus_out_0").click().run()  # Pranky's block, from the list
    assert not at.exception, at.exception
    assert not set(ids["s0"][1:]) & set(curated(db, lesson)[0])
    assert "Suspicious labels: 0" in headings(at)
    assert "left out by the teacher" in texts(at)  # the teach section says so


def test_the_suspicious_block_is_filed_as_the_model_reads_it(teacher_page, class_db):
    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    at = teacher_page()
    at.button(key="cur_sus_fix_0").click().run()
    assert not at.exception, at.exception
    labels = curated(db, lesson)[0]
    assert [labels[i] for i in ids["s0"]] == [7] * 6
    assert labels[ids["s1"][0]] == 3  # the other student's, not touched
    at.button(key="cur_undo").click().run()
    assert [curated(db, lesson)[0][i] for i in ids["s0"]] == [1] * 6


def test_a_drawing_deleted_while_the_teacher_has_its_cell_open(teacher_page, class_db):
    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    at = teacher_page()
    db.delete_all(lesson.id)  # meanwhile, elsewhere
    at.button(key="cur_cell_exclude").click().run()
    assert not at.exception, at.exception
    assert "6 drawings were deleted meanwhile" in texts(at)


def test_a_student_reaches_none_of_it(monkeypatch, class_db):
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")
    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    at = page_app("class").run()
    assert not at.exception, at.exception
    assert keys(at) == []
    assert "Suspicious" not in texts(at) + headings(at) and "Pranky" not in texts(at)

    def forged(sample_ids):
        import streamlit as st

        from hwr.pages.class_page.curation_actions import exclude, relabel, undo

        if st.button("Go", key="forge"):
            exclude(sample_ids, True, "forged")
            relabel(sample_ids, 4, "forged")
            undo()

    student = AppTest.from_function(forged, kwargs={"sample_ids": ids["s0"]},
                                    default_timeout=60).run()
    student.button(key="forge").click().run()
    assert not student.exception
    assert student.session_state["hwr_refused"] == 3
    assert cu.history(db, lesson.id) == []


def test_the_before_after_comparison_opens_the_same_cell_view(monkeypatch, class_db):
    """A fine-tune's held-out digits, cell by cell (label against the new model's
    answer): the class's drawings in the cell, relabelled from there."""
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")
    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    view = cu.curation(db, lesson.id)
    held = [view.index_of(i) for i in ids["s0"][:4]]  # four of Pranky's, held out

    def page(images, labels):
        import numpy as np

        from hwr.pages.class_page.curation_cells import held_out_cells

        held_out_cells({"images": images, "labels": labels, "before": np.full(4, 7),
                        "after": np.array([7, 7, 7, 1])}, None)

    from hwr.class_data.collection import to_uint8

    at = AppTest.from_function(page, default_timeout=60, kwargs={
        "images": to_uint8(view.images[held]), "labels": np.ones(4, np.int64)})
    at.session_state["hwr_teacher"] = True
    at.run()
    assert not at.exception, at.exception
    assert "**3 drawings** filed as **1** that the model read as **7**" in texts(at)
    first = ids["s0"][0]
    at.selectbox(key=f"cur_ba_label_{first}_1").set_value(7).run()
    assert not at.exception, at.exception
    assert curated(db, lesson)[0][first] == 7
    at.selectbox(key="cur_ba_answer").set_value(1).run()  # the cell the new model read right
    assert "**1 drawing** filed as **1** that the model read as **1**" in texts(at)


def test_curating_while_a_fine_tune_runs_says_the_run_uses_the_labels_at_its_start(
        teacher_page, class_db, monkeypatch):
    from hwr.learning.finetune import Progress
    from hwr.pages.class_page import model_teaching as class_teaching
    from hwr.pages.class_page import page as classroom

    db = ClassCollection(class_db)
    lesson, ids = a_class(db)
    at_start = cu.left_out(db, lesson.id)

    class Running:  # this server's fine-tune, reading the class as it was at its start
        running, selection = True, at_start.report()
        progress = Progress(stage="learning", epoch=1, epochs=4, step=1, steps=10)

        def cancel(self):
            pass

    monkeypatch.setattr(classroom, "fine_tune_job", lambda: Running())
    monkeypatch.setattr(class_teaching, "fine_tune_job", lambda: Running())
    at = teacher_page()
    note = (f"A fine-tune is running: it learns from the labels as they were when it "
            f"started ({at_start.as_of[11:19]} UTC). Changes you make now apply to the "
            "next one.")
    assert note in texts(at)
    at.button(key="cur_sus_out_0").click().run()  # curating goes on meanwhile
    assert not at.exception, at.exception
    assert note in texts(at)
    assert not set(ids["s0"]) & set(curated(db, lesson)[0])
