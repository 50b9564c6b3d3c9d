"""The lesson's rules in the class database (SQLite and PostgreSQL): moderation (hide,
undo, approve first, freeze, clear, remove a student) and rounds (prompts, one entry per
student, the end, results, the CSV)."""

import csv
import io
import threading
import time

import numpy as np
import pytest

from hwr.class_data.collection import ClassCollection
from hwr.class_data.moderation import NicknameTaken, StudentRemoved
from hwr.class_data.rounds import (
    DIGIT,
    FOOL,
    RANDOM,
    AlreadySubmitted,
    RoundError,
    RoundOver,
    neutralise,
    results_csv,
)


def image(value: float = 1.0) -> np.ndarray:
    out = np.zeros((28, 28), np.float32)
    out[5:20, 10:14] = value
    return out


def post(db, lesson, student, drawing=1, nickname="", predicted=7, confidence=0.9):
    db.post_drawing(lesson.id, student, drawing, nickname, predicted, False, confidence,
                    image())


def row_id(db, lesson, student, drawing=1) -> int:
    everything = db.wall(lesson.id, frozen_at=float("inf")) + db.waiting(lesson.id)
    return next(w.id for w in everything if w.student == student and w.drawing == drawing)


def save(db, lesson, student, drawing=1, label=7):
    return db.add(image(), label, np.eye(10)[7], class_id=lesson.id, student=student,
                  drawing_id=drawing)


# --- moderation ---------------------------------------------------------------------

def test_a_hidden_drawing_leaves_the_wall_and_the_class_data_until_undone(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    post(db, lesson, "s1", nickname="Quick Otter")
    post(db, lesson, "s2", nickname="Calm Heron")
    save(db, lesson, "s1")
    save(db, lesson, "s2")
    hidden = row_id(db, lesson, "s1")
    assert db.hide_drawing(lesson.id, hidden)
    assert [w.nickname for w in db.wall(lesson.id)] == ["Calm Heron"]
    assert db.samples(lesson.id).students == ("s2",) and db.count(lesson.id) == 1
    assert db.wall_stats(lesson.id).drawings == 1
    assert [w.id for w in db.hidden(lesson.id)] == [hidden]
    assert not db.hide_drawing(lesson.id, hidden)  # twice: nothing more to do
    assert db.unhide_drawing(lesson.id, hidden)  # undo
    assert len(db.wall(lesson.id)) == 2 and db.count(lesson.id) == 2
    other = db.start_class("8A")  # a drawing is hidden in its own class only
    assert not db.hide_drawing(other.id, hidden)


def test_more_strokes_do_not_bring_a_hidden_drawing_back(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    post(db, lesson, "s1")
    db.hide_drawing(lesson.id, row_id(db, lesson, "s1"))
    post(db, lesson, "s1", predicted=4)  # the student goes on drawing
    assert db.wall(lesson.id) == []


@pytest.mark.slow
def test_a_teacher_on_one_server_hides_what_another_server_posted(postgres_server):
    from tests.support.postgres import create_database

    url = create_database(postgres_server)
    server_a, server_b = ClassCollection(url), ClassCollection(url)
    lesson = server_b.start_class("7B")
    post(server_b, lesson, "s1", nickname="Quick Otter")
    save(server_b, lesson, "s1")
    server_a.hide_drawing(lesson.id, row_id(server_a, lesson, "s1"))
    assert server_b.wall(lesson.id) == [] and server_b.count(lesson.id) == 0
    server_a.remove_student(lesson.id, "s2")  # a student not seen yet is refused too
    with pytest.raises(StudentRemoved):
        post(server_b, lesson, "s2")


def test_approve_first_holds_new_drawings_in_the_teachers_queue(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    post(db, lesson, "s0")  # before the setting: shown
    db.set_approve_first(lesson.id, True)
    assert db.settings(lesson.id).approve_first
    post(db, lesson, "s1")
    post(db, lesson, "s2")
    save(db, lesson, "s1")
    assert [w.student for w in db.wall(lesson.id)] == ["s0"]
    assert [w.student for w in db.waiting(lesson.id)] == ["s1", "s2"]
    assert db.count(lesson.id) == 0  # waiting: not the class's data yet
    assert db.approve_drawing(lesson.id, row_id(db, lesson, "s1"))
    assert {w.student for w in db.wall(lesson.id)} == {"s0", "s1"}
    assert db.count(lesson.id) == 1
    post(db, lesson, "s1", predicted=1)  # changed after approval: waits again
    assert "s1" in [w.student for w in db.waiting(lesson.id)]
    db.hide_drawing(lesson.id, row_id(db, lesson, "s2"))  # hidden: leaves the queue
    assert [w.student for w in db.waiting(lesson.id)] == ["s1"]


def test_a_frozen_wall_shows_nothing_new_until_unfrozen(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    post(db, lesson, "s1")
    db.set_frozen(lesson.id, True)
    time.sleep(0.01)
    post(db, lesson, "s2")
    assert db.settings(lesson.id).frozen
    assert [w.student for w in db.wall(lesson.id)] == ["s1"]
    db.hide_drawing(lesson.id, row_id(db, lesson, "s1"))  # hiding works while frozen
    assert db.wall(lesson.id) == []
    db.set_frozen(lesson.id, False)
    assert [w.student for w in db.wall(lesson.id)] == ["s2"]


def test_clearing_the_wall_hides_everything_so_far(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    for s in ("s1", "s2", "s3"):
        post(db, lesson, s)
    assert db.clear_wall(lesson.id) == 3
    assert db.wall(lesson.id) == []
    post(db, lesson, "s4")
    assert [w.student for w in db.wall(lesson.id)] == ["s4"]
    assert db.undo_clear(lesson.id) == 3 and len(db.wall(lesson.id)) == 4


def test_a_removed_student_posts_nothing_more_under_any_nickname(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    post(db, lesson, "s1", 1, "Rude Name")
    post(db, lesson, "s1", 2, "Rude Name")
    save(db, lesson, "s1")
    post(db, lesson, "s2", 1, "Calm Heron")
    assert db.remove_student(lesson.id, db.student_of(lesson.id, row_id(db, lesson, "s1"))) == 2
    assert [w.student for w in db.wall(lesson.id)] == ["s2"]
    assert db.count(lesson.id) == 0  # their samples left the class's data
    refused = 0
    for nickname in ("Rude Name", "Another Name", ""):  # the same session, any nickname
        for attempt in (lambda: post(db, lesson, "s1", 3, nickname),
                        lambda: save(db, lesson, "s1", 3)):
            with pytest.raises(StudentRemoved):
                attempt()
            refused += 1
    assert refused == 6
    with pytest.raises(NicknameTaken):  # a new session under the removed nickname
        post(db, lesson, "s9", 1, "rude name")
    with pytest.raises(NicknameTaken):
        db.moderation.check_student(lesson.id, "s9", "RUDE NAME")
    post(db, lesson, "s9", 1, "Kind Name")  # a new session, a new name: in
    assert [w.student for w in db.wall(lesson.id)] == ["s9", "s2"]
    assert [(s.student, s.removed) for s in db.students(lesson.id)] == [
        ("s1", True), ("s2", False), ("s9", False)]
    db.readmit_student(lesson.id, "s1")  # undo
    assert len(db.wall(lesson.id)) == 4 and db.count(lesson.id) == 1
    other = db.start_class("8A")  # removed from one class only
    post(db, other, "s1", 1, "Rude Name")


def test_class_settings_are_per_class(db_url):
    db = ClassCollection(db_url)
    a = db.start_class("7B")
    db.set_generated_names(a.id, True)
    b = db.start_class("8A")
    assert db.settings(a.id).generated_names and not db.settings(b.id).generated_names


# --- rounds -------------------------------------------------------------------------

def submit(db, found, student, answer=7, confidence=0.9, drawing=1, nickname="",
           meant=None):
    return db.submit(found.id, student, drawing, nickname or student, answer, False,
                     confidence, image(), meant=meant)


@pytest.mark.parametrize("seconds", [0, 4, 601, 10_000, -5, 2.5, "x"])
def test_a_timer_out_of_bounds_is_refused_with_its_limits(db_url, seconds):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    with pytest.raises(RoundError, match="from 5 to 600"):
        db.start_round(lesson.id, DIGIT, 7, seconds=seconds)
    assert db.rounds(lesson.id) == []


@pytest.mark.parametrize("digit", [None, 10, -1, 2.5, "x", [7]])
def test_a_digit_round_without_a_digit_is_refused_in_a_sentence(db_url, digit):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    with pytest.raises(RoundError) as refused:
        db.start_round(lesson.id, DIGIT, digit)
    assert str(refused.value) == "Everyone draws one digit: choose it, 0 to 9."
    with pytest.raises(RoundError) as refused:
        db.start_round(lesson.id, "<b>quiz</b>", 7)
    assert refused.value.values["kind"] == "'<b>quiz</b>'"  # a forged kind, quoted
    assert db.rounds(lesson.id) == []


def test_a_round_records_one_entry_per_student_labelled_with_the_prompt(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, DIGIT, 7, seconds=20)
    assert db.current_round(lesson.id) == found and found.title == "Everyone draw a 7"
    assert 19 < found.seconds_left() <= 20
    entry = submit(db, found, "s1", answer=7, confidence=0.95)
    assert entry.correct and entry.prompt == 7
    with pytest.raises(AlreadySubmitted):
        submit(db, found, "s1", answer=1, drawing=2)
    submit(db, found, "s2", answer=1, confidence=0.8)
    submit(db, found, "s3", answer=7, confidence=0.55)
    assert db.end_round(found.id)
    with pytest.raises(RoundOver):
        submit(db, found, "s4")
    results = db.round_results(found.id)
    assert [e.student for e in results.entries] == ["s1", "s2", "s3"]
    # s1's 95% is no "only just": the hardest are the right answers under 90%
    assert results.right == 2 and [e.student for e in results.hardest] == ["s3"]
    assert [e.student for e in results.fooled] == ["s2"]
    samples = db.samples(lesson.id)  # the class's data, labelled with the prompt
    assert samples.labels.tolist() == [7, 7, 7] and samples.predicted.tolist() == [7, 1, 7]
    assert [w.label for w in db.wall(lesson.id)] == [7, 7, 7]


def test_ending_a_round_enters_what_students_were_drawing(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    post(db, lesson, "early", 1)  # before the round: not an entry
    found = db.start_round(lesson.id, DIGIT, 3, seconds=None)
    post(db, lesson, "s1", 1, predicted=3)
    post(db, lesson, "s1", 2, predicted=8)  # cleared and drew again: the latest counts
    post(db, lesson, "s2", 1, predicted=3)
    submit(db, found, "s2", answer=3)  # tapped Done: not entered twice
    assert db.end_round(found.id)
    entries = {e.student: e for e in db.round_results(found.id).entries}
    assert set(entries) == {"s1", "s2"} and entries["s1"].answer == 8
    assert db.entry_count(found.id) == 2


def test_a_timer_ends_the_round_for_whoever_reads_it_first(db_url, monkeypatch):
    from hwr.class_data import rounds as rounds_module

    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, DIGIT, 3, seconds=5)
    later = found.deadline + rounds_module.GRACE + 0.1
    assert found.due(later) and not found.due()
    monkeypatch.setattr(rounds_module.time, "time", lambda: later)
    with pytest.raises(RoundOver):  # a Done after the deadline is refused
        submit(db, found, "s1")
    assert db.current_round(lesson.id) is None  # the first reader ends it
    ended = db.round_book.get_round(found.id)
    assert ended.ended == pytest.approx(found.deadline + rounds_module.GRACE)


def test_two_teachers_ending_one_round_record_one_end(db_url):
    db_a, db_b = ClassCollection(db_url), ClassCollection(db_url)
    lesson = db_a.start_class("7B")
    found = db_a.start_round(lesson.id, DIGIT, 7, seconds=None)
    for n in range(5):
        post(db_a, lesson, f"s{n}", predicted=7)
    barrier, ended = threading.Barrier(2), []

    def end(db):
        barrier.wait()
        ended.append(db.end_round(found.id))

    threads = [threading.Thread(target=end, args=(db,)) for db in (db_a, db_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(ended) == [False, True]
    assert db_a.entry_count(found.id) == 5 and db_b.count(lesson.id) == 5


def test_random_prompts_differ_per_student_and_agree_across_servers(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, RANDOM, seconds=30)
    prompts = {f"s{n}": found.prompt_for(f"s{n}") for n in range(40)}
    assert len(set(prompts.values())) > 5
    assert ClassCollection(db_url).current_round(lesson.id).prompt_for("s3") == prompts["s3"]
    entry = submit(db, found, "s3", answer=prompts["s3"])
    assert entry.correct and entry.prompt == prompts["s3"]


def test_fool_the_network_takes_the_digit_the_student_meant(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, FOOL, seconds=30)
    assert found.prompt_for("s1") is None
    with pytest.raises(ValueError):
        submit(db, found, "s1", answer=1)  # without the meant digit
    fooled = submit(db, found, "s1", answer=1, meant=7)
    assert not fooled.correct and fooled.prompt == 7
    post(db, lesson, "s2", predicted=4)  # never said what they meant: not entered
    db.end_round(found.id)
    assert [e.student for e in db.round_results(found.id).fooled] == ["s1"]
    assert db.samples(lesson.id).labels.tolist() == [7]


def test_moderation_applies_to_round_entries(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, DIGIT, 7, seconds=None)
    for s in ("s1", "s2", "s3"):
        post(db, lesson, s)
        submit(db, found, s)
    db.hide_drawing(lesson.id, row_id(db, lesson, "s1"))
    db.remove_student(lesson.id, "s2")
    with pytest.raises(StudentRemoved):
        submit(db, db.start_round(lesson.id, DIGIT, 7, seconds=None), "s2")
    assert [e.student for e in db.round_results(found.id).entries] == ["s3"]
    assert db.samples(lesson.id).students == ("s3",)


def test_starting_a_round_ends_the_one_that_runs(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    first = db.start_round(lesson.id, DIGIT, 1, seconds=None)
    second = db.start_round(lesson.id, DIGIT, 2, seconds=None)
    assert [r.id for r in db.rounds(lesson.id)] == [second.id, first.id]
    assert not db.round_book.get_round(first.id).running
    assert db.current_round(lesson.id) == second


def test_ending_the_class_ends_its_round(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, DIGIT, 7, seconds=None)
    post(db, lesson, "s1", predicted=7)
    db.end_class()
    assert not db.round_book.get_round(found.id).running and db.entry_count(found.id) == 1
    other = db.start_class("8A")
    second = db.start_round(other.id, DIGIT, 1, seconds=None)
    db.start_class("9C")  # starting another class ends the one that ran, and its round
    assert not db.round_book.get_round(second.id).running


def test_a_round_marked_incomplete_says_so(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    found = db.start_round(lesson.id, DIGIT, 1, seconds=None)
    db.mark_incomplete(found.id)
    assert db.round_results(found.id).round.incomplete


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1",
                                  "=HYPERLINK(\"http://x\")"])
def test_formula_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell
    assert neutralise("Quick Otter") == "Quick Otter" and neutralise(7) == "7"


def test_the_csv_has_a_row_per_student_and_round_with_formulas_neutralised(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    names = ["=cmd|'/c calc'!A1", "+SUM(1)", "-2", "@x", "Quick Otter"]
    for n, name in enumerate(names):
        post(db, lesson, f"s{n}", nickname=name)
    first = db.start_round(lesson.id, DIGIT, 7, seconds=None)
    for n, name in enumerate(names):
        submit(db, first, f"s{n}", nickname=name, answer=7 if n % 2 else 1)
    second = db.start_round(lesson.id, DIGIT, 2, seconds=None)
    submit(db, second, "s4", nickname="Quick Otter", answer=2)
    db.end_round(second.id)
    rows = list(csv.reader(io.StringIO(results_csv(db.class_results(lesson.id)))))
    assert rows[0] == ["round", "started", "round_kind", "nickname", "prompt", "answer",
                       "right", "confidence", "time_s"]
    assert len(rows) == 1 + 5 + 1
    nicknames = [r[3] for r in rows[1:]]
    assert nicknames[:5] == ["'" + n for n in names[:4]] + ["Quick Otter"]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in rows for cell in row)
    assert rows[1][4:7] == ["7", "1", "no"] and rows[-1][4:7] == ["2", "2", "yes"]


def test_the_csv_numbers_the_rounds_within_the_class(db_url):
    db = ClassCollection(db_url)
    first_class = db.start_class("7B")
    rounds_7b = [db.start_round(first_class.id, DIGIT, 1, seconds=None)]
    submit(db, rounds_7b[0], "s1", answer=1)
    other = db.start_class("8A")  # its rounds take the database ids in between
    db.start_round(other.id, DIGIT, 3, seconds=None)
    db.start_round(other.id, DIGIT, 4, seconds=None)
    db.reopen_class(first_class.id)
    rounds_7b.append(db.start_round(first_class.id, DIGIT, 2, seconds=None))
    submit(db, rounds_7b[1], "s1", answer=2, drawing=2)
    assert [r.id for r in rounds_7b] != [1, 2]  # the ids are not the numbers
    rows = list(csv.DictReader(io.StringIO(results_csv(db.class_results(first_class.id)))))
    assert [(r["round"], r["prompt"]) for r in rows] == [("1", "1"), ("2", "2")]
