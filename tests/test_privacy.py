"""Children's data (issue 40), in the class database (SQLite and PostgreSQL): erasing one
student everywhere, a student deleting their own drawings, exporting one student's data,
the models that learned from them, and purging the classes whose retention ran out."""

import csv
import io
import json
import logging
import threading
import time
import uuid
import zipfile

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import inspect, select, text, update
from sqlalchemy.engine import make_url

from hwr.class_data import privacy, storage
from hwr.class_data.collection import ClassCollection
from hwr.class_data.curation import exclude, relabel
from hwr.class_data.model_store import ORIGINAL, ModelStore
from hwr.class_data.rounds import DIGIT
from hwr.class_data.storage import StorageUnavailable, classes
from hwr.model_dir import MODEL_FILE

MARK = "Zebracorn Quokka"  # a nickname found nowhere else
OTHER = "Calm Heron"
DAY = 86_400.0


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, 1.0, (28, 28)).astype(np.float32)


def picture(seed: int) -> Image.Image:
    """A drawing as the canvas gives it: noise, so its PNG bytes are found nowhere else."""
    pixels = np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)
    return Image.fromarray(pixels)


def png(seed: int) -> bytes:
    out = io.BytesIO()
    picture(seed).save(out, format="PNG")
    return out.getvalue()


def sure(digit: int) -> np.ndarray:
    p = np.full(10, 0.01 / 9)
    p[digit] = 0.99
    return p


def session() -> str:
    return f"s{uuid.uuid4().hex}"


def fill(db: ClassCollection, lesson, student: str, nickname: str, seed: int,
         drawings: int = 3) -> list[int]:
    """The student draws on the wall, files each drawing (with its PNG): sample ids."""
    ids = []
    for k in range(1, drawings + 1):
        db.post_drawing(lesson.id, student, k, nickname, 7, False, 0.9, image(seed + k))
        db.label_drawing(lesson.id, student, k, 7)
        ids.append(db.add(image(seed + k), 7, sure(7), drawing=picture(seed + k),
                          class_id=lesson.id, student=student, drawing_id=k,
                          nickname=nickname))
    return ids


def a_round(db: ClassCollection, lesson, students: dict[str, str], seed: int = 100):
    found = db.start_round(lesson.id, DIGIT, digit=3, seconds=None)
    for n, (student, nickname) in enumerate(students.items()):
        db.submit(found.id, student, 50 + n, nickname, 3, False, 0.8, image(seed + n))
    db.end_round(found.id)
    return found


def write_model(content: bytes):
    def write(directory):
        (directory / MODEL_FILE).write_bytes(content)
    return write


@pytest.fixture
def store(db_url, tmp_path) -> ModelStore:
    original = tmp_path / "shipped"
    original.mkdir()
    (original / MODEL_FILE).write_bytes(b"original")
    return ModelStore(ClassCollection(db_url).engine, tmp_path / "cache", original)


def count_in_database(engine, needles: list[bytes]) -> dict:
    """How many values of every row of every table contain each needle."""
    found = {needle: 0 for needle in needles}
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                for value in row:
                    if isinstance(value, str):
                        value = value.encode()
                    elif isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        for needle in needles:
                            found[needle] += needle in value
    return found


def sqlite_bytes(db_url: str) -> bytes:
    """The SQLite database file and its WAL, as they are on the disk."""
    path = make_url(db_url).database
    data = open(path, "rb").read()
    try:
        data += open(path + "-wal", "rb").read()
    except FileNotFoundError:
        pass
    return data


# --- erasing one student ------------------------------------------------------------

def test_an_erased_student_leaves_no_trace(db_url, store, caplog):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    marked, other = session(), session()
    mine = fill(db, lesson, marked, MARK, seed=10)
    theirs = fill(db, lesson, other, OTHER, seed=20)
    a_round(db, lesson, {marked: MARK, other: OTHER})
    teacher = "t" * 12
    relabel(db, mine[:2], 1, teacher, scope=f"student {MARK}")
    exclude(db, [mine[2], theirs[0]], teacher, scope="cell 7 read as 7")
    before = store.add(write_model(b"before"), parent=ORIGINAL, class_digits=0,
                       class_name="other class")
    taught = store.add(write_model(b"taught"), parent=before.id, class_digits=6,
                       class_name="7B")
    assert privacy.record_taught(store.engine, taught.id, lesson.id, [marked, other, other])
    store.add(write_model(b"later"), parent=taught.id, class_digits=9,
              class_name="7B")  # fine-tuned from it: goes with it
    store.activate(taught.id)
    store.get(taught.id)  # unpacked in this server's cache
    assert (store.cache / taught.id / MODEL_FILE).is_file()
    kept_png, kept_slice = png(11), png(11)[200:248]
    needles = [MARK.encode(), marked.encode(), kept_png, kept_slice]
    assert all(count_in_database(db.engine, needles).values())
    if db_url.startswith("sqlite"):
        assert MARK.encode() in sqlite_bytes(db_url) and kept_slice in sqlite_bytes(db_url)

    with caplog.at_level(logging.INFO, logger="hwr"):
        erased = privacy.erase_student(db.engine, lesson.id, marked, cache_dir=store.cache)

    assert erased == privacy.Erased(drawings=4, samples=4, entries=1, curation_rows=3,
                                    model_versions=2, active_changed=True, students=1)
    assert count_in_database(db.engine, needles) == {n: 0 for n in needles}
    if db_url.startswith("sqlite"):  # the file and its WAL, after the erasure's VACUUM
        raw = sqlite_bytes(db_url)
        assert MARK.encode() not in raw and kept_png not in raw and kept_slice not in raw
        assert marked.encode() not in raw
    # the models that learned from them are gone, the active fell back to their parent
    assert [v.id for v in store.versions()] == [before.id]
    assert store.active_id() == before.id
    assert not (store.cache / taught.id).exists()
    assert privacy.model_fallback_note(db.engine) == privacy.ERASED_NOTE
    privacy.dismiss_model_fallback_note(db.engine)
    assert privacy.model_fallback_note(db.engine) is None
    # the other student is whole, and the class goes on without them
    assert db.samples(lesson.id).students == (other,) * 4
    assert [w.nickname for w in db.wall(lesson.id)] == [OTHER] * 4
    results = db.class_results(lesson.id)
    assert [e.nickname for e in results[0].entries] == [OTHER]
    assert [s.student for s in privacy.students_of(db.engine, lesson.id)] == [other]
    # and the log says what went, never whom
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "erased" in logged and MARK not in logged and marked not in logged


def test_the_versions_fine_tuned_from_theirs_go_as_well(db_url, store):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    pupil = session()
    fill(db, lesson, pupil, MARK, seed=1, drawings=1)
    base = store.add(write_model(b"b"), parent=ORIGINAL, class_digits=1, class_name="x")
    taught = store.add(write_model(b"t"), parent=base.id, class_digits=1, class_name="7B")
    privacy.record_taught(db.engine, taught.id, lesson.id, [pupil])
    child = store.add(write_model(b"c"), parent=taught.id, class_digits=1, class_name="8A")
    grandchild = store.add(write_model(b"g"), parent=child.id, class_digits=1,
                           class_name="9C")
    store.activate(grandchild.id)
    erased = privacy.erase_student(db.engine, lesson.id, pupil, cache_dir=store.cache)
    assert erased.model_versions == 3 and erased.active_changed
    assert [v.id for v in store.versions()] == [base.id] and store.active_id() == base.id


def test_a_class_fine_tunes_only_from_its_own_models_or_the_original(db_url, store):
    """So that no class's model carries another class's drawings (out of reach of that
    class's erasure and purge)."""
    db = ClassCollection(db_url)
    first = db.start_class("7B")
    pupil = session()
    fill(db, first, pupil, MARK, seed=1, drawings=1)
    taught = store.add(write_model(b"t"), parent=ORIGINAL, class_digits=1, class_name="7B")
    unknown = store.add(write_model(b"u"), parent=ORIGINAL, class_digits=1, class_name="?")
    privacy.record_taught(db.engine, taught.id, first.id, [pupil])
    assert privacy.may_start_from(db.engine, ORIGINAL, first.id)
    assert privacy.may_start_from(db.engine, taught.id, first.id)
    assert not privacy.may_start_from(db.engine, taught.id, first.id + 1)  # another class
    assert not privacy.may_start_from(db.engine, taught.id, None)  # every class's digits
    assert not privacy.may_start_from(db.engine, unknown.id, first.id)  # who taught it?


def test_erasing_one_of_two_students_with_the_same_nickname_leaves_the_other(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    first, second = session(), session()
    fill(db, lesson, first, "Sam", seed=10, drawings=2)
    fill(db, lesson, second, "Sam", seed=20, drawings=3)
    a_round(db, lesson, {first: "Sam", second: "Sam"})
    found = privacy.students_of(db.engine, lesson.id)
    assert sorted((s.student, s.nicknames, s.drawings, s.entries) for s in found) == \
        sorted([(first, ("Sam",), 3, 1), (second, ("Sam",), 4, 1)])
    before = dict(zip(("wall", "samples"), (len(db.wall(lesson.id, limit=99)),
                                            db.count(lesson.id))))
    assert before == {"wall": 7, "samples": 7}

    erased = privacy.erase_student(db.engine, lesson.id, first)

    assert (erased.drawings, erased.samples, erased.entries) == (3, 3, 1)
    assert {w.student for w in db.wall(lesson.id, limit=99)} == {second}
    assert len(db.wall(lesson.id, limit=99)) == 4 and db.count(lesson.id) == 4
    assert [(s.student, s.nicknames) for s in privacy.students_of(db.engine, lesson.id)] \
        == [(second, ("Sam",))]
    assert len(privacy.student_drawings(db.engine, lesson.id, second)) == 4
    assert privacy.student_drawings(db.engine, lesson.id, first) == []


def test_the_dialog_shows_which_drawings_go(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    student = session()
    fill(db, lesson, student, MARK, seed=10, drawings=2)  # on the wall, and filed
    db.post_drawing(lesson.id, student, 9, "Zeb", 1, False, 0.5, image(3))  # only drawn
    loose = db.add(image(4), 2, sure(2), drawing=picture(4), class_id=lesson.id,
                   student=student)  # filed, on no wall
    db.remove_student(lesson.id, student)
    shown = privacy.student_drawings(db.engine, lesson.id, student)
    assert len(shown) == 4 and all(p.startswith(b"\x89PNG") for _, p in shown)
    assert shown[0][1] == png(11) and shown[-1] == (loose, png(4))  # their own PNGs
    assert Image.open(io.BytesIO(shown[2][1])).size == (28, 28)  # the wall's input
    [summary] = privacy.students_of(db.engine, lesson.id)
    assert summary == privacy.StudentSummary(student, ("Zeb", MARK), 4, 0, True)


def test_delete_my_drawings_is_the_erasure(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    me, other = session(), session()
    fill(db, lesson, me, MARK, seed=1)
    fill(db, lesson, other, OTHER, seed=2)
    gone = privacy.delete_my_drawings(db.engine, lesson.id, me)
    assert (gone.drawings, gone.samples, gone.students) == (3, 3, 1)
    assert count_in_database(db.engine, [me.encode(), MARK.encode()]) == \
        {me.encode(): 0, MARK.encode(): 0}
    fill(db, lesson, me, MARK, seed=3, drawings=1)  # and may draw again afterwards
    assert db.count(lesson.id) == 4
    with pytest.raises(ValueError):
        privacy.erase_student(db.engine, lesson.id, None)  # never "every unknown student"


def test_the_export_holds_the_students_data_and_no_one_elses(db_url):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    me, other = session(), session()
    ids = fill(db, lesson, me, MARK, seed=10, drawings=2)
    fill(db, lesson, other, OTHER, seed=20)
    a_round(db, lesson, {other: OTHER})
    a_round(db, lesson, {me: MARK, other: OTHER})
    relabel(db, ids[:1], 4, "t" * 12)

    data = privacy.export_student(db.engine, lesson.id, me)

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        files = {name: z.read(name) for name in names}
    assert {"README.txt", "student.csv", "samples.csv", "answers.csv",
            "round_entries.csv"} <= names
    assert {f"drawings/{i}.png" for i in ids} <= names
    assert files[f"drawings/{ids[0]}.png"] == png(11)
    read = {name: list(csv.DictReader(io.StringIO(files[name].decode())))
            for name in names if name.endswith(".csv")}
    samples = read["samples.csv"]
    assert [int(r["id"]) for r in samples][:2] == ids and len(samples) == 3  # + the round's
    assert [r["curated_label"] for r in samples] == ["4", "", ""]
    assert {r["label"] for r in samples[:2]} == {"7"}
    assert [r["nickname"] for r in read["answers.csv"]] == [MARK] * 3
    assert all(f"answers/{r['id']}.png" in names for r in read["answers.csv"])
    [entry] = read["round_entries.csv"]
    assert (entry["round"], entry["prompt"], entry["answer"], entry["correct"]) == \
        ("2", "3", "3", "yes")
    assert read["student.csv"][0]["nickname"] == MARK
    everything = b"".join(files.values())
    assert OTHER.encode() not in everything and other.encode() not in everything
    assert me.encode() not in everything  # not even their session id
    assert b"answers.csv" in files["README.txt"]


# --- the models a fine-tune made --------------------------------------------------------

def test_a_model_taught_while_its_student_was_erased_is_discarded(db_url, store):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    a, b = session(), session()
    fill(db, lesson, a, "A", seed=1)
    fill(db, lesson, b, "B", seed=2)
    read_at = time.time()
    assert privacy.still_present(db.engine, lesson.id, [a, b, None], read_at)
    privacy.erase_student(db.engine, lesson.id, a)  # while the fine-tune runs
    assert not privacy.still_present(db.engine, lesson.id, [a, b])
    version = store.add(write_model(b"x"), parent=ORIGINAL, class_digits=6,
                        class_name="renamed")  # no legacy match: kept by the erasure
    assert not privacy.record_taught(db.engine, version.id, lesson.id, [a, b], read_at)
    assert store.versions() == []  # deleted in the same transaction
    assert not privacy.discard_version(db.engine, version.id)
    time.sleep(1.1)  # sample times are whole seconds
    fill(db, lesson, a, "A", seed=3, drawings=1)  # the same session draws again
    assert privacy.still_present(db.engine, lesson.id, [a, b])
    assert not privacy.still_present(db.engine, lesson.id, [a, b], read_at)


def test_older_versions_count_as_taught_by_their_class_name(db_url, store):
    """Versions without class_id (before migration 0005): taught by each class of their
    name that started before them, and by that class's students who filed a sample."""
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    early, late = session(), session()
    fill(db, lesson, early, "Early", seed=1, drawings=1)
    time.sleep(1.1)
    legacy = store.add(write_model(b"l"), parent=ORIGINAL, class_digits=1, class_name="7B")
    elsewhere = store.add(write_model(b"e"), parent=ORIGINAL, class_digits=1,
                          class_name="8A")
    time.sleep(1.1)
    fill(db, lesson, late, "Late", seed=2, drawings=1)  # after the model was made
    assert privacy.erase_student(db.engine, lesson.id, late).model_versions == 0
    assert privacy.erase_student(db.engine, lesson.id, early).model_versions == 1
    assert [v.id for v in store.versions()] == [elsewhere.id]
    assert legacy.id not in {v.id for v in store.versions()}


def test_purging_a_class_deletes_its_models_and_the_active_falls_back(db_url, store,
                                                                      caplog):
    db = ClassCollection(db_url)
    old = db.start_class("7B")
    pupil = session()
    fill(db, old, pupil, MARK, seed=1)
    running = db.start_class("8A")  # ends 7B
    fill(db, running, session(), OTHER, seed=2)
    parent = store.add(write_model(b"p"), parent=ORIGINAL, class_digits=3,
                       class_name="8A")
    privacy.record_taught(db.engine, parent.id, running.id, [])
    taught = store.add(write_model(b"t"), parent=parent.id, class_digits=3,
                       class_name="7B")
    privacy.record_taught(db.engine, taught.id, old.id, [pupil])
    every = store.add(write_model(b"a"), parent=ORIGINAL, class_digits=6,
                      class_name="all classes")
    privacy.record_taught(db.engine, every.id, None, [pupil])  # every class's digits
    legacy = store.add(write_model(b"l"), parent=ORIGINAL, class_digits=3,
                       class_name="7B")  # made before 0005: by its class's name
    store.activate(taught.id)
    store.get(taught.id)
    assert privacy.model_fallback_note(db.engine) is None

    with caplog.at_level(logging.INFO, logger="hwr"):
        purged = privacy.purge_expired(db.engine, 0, cache_dir=store.cache)

    assert purged.class_ids == (old.id,) and purged.model_versions == 3
    assert purged.active_changed and store.active_id() == parent.id
    assert [v.id for v in store.versions()] == [parent.id]
    assert not (store.cache / taught.id).exists() and legacy.id
    assert privacy.model_fallback_note(db.engine) == privacy.PURGED_NOTE
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert taught.id in logged and parent.id in logged and MARK not in logged
    assert pupil not in logged


# --- retention ----------------------------------------------------------------------

def end_at(db: ClassCollection, lesson, unix: float) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(classes).where(classes.c.id == lesson.id).values(
            ended=privacy._iso(unix)))


def three_classes(db: ClassCollection, now: float):
    """A class that ended 40 days ago, one that ended yesterday, and the running one."""
    expired = db.start_class("Old")
    old_student = session()
    fill(db, expired, old_student, MARK, seed=1)
    a_round(db, expired, {old_student: MARK})
    db.projector_key(expired.id, create=True)
    recent = db.start_class("Recent")
    fill(db, recent, session(), "Recent One", seed=2)
    running = db.start_class("Running")
    fill(db, running, session(), OTHER, seed=3)
    end_at(db, expired, now - 40 * DAY)
    end_at(db, recent, now - 1 * DAY)
    return expired, recent, running


def class_rows(db: ClassCollection, class_id: int) -> dict:
    with db.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t} WHERE class_id = :c"),
                                {"c": class_id}).scalar()
                for t in ("samples", "drawings", "round_entries", "rounds",
                          "class_students", "curation_changes")}


def test_purge_deletes_the_expired_classes_only(db_url):
    db = ClassCollection(db_url)
    now = time.time()
    expired, recent, running = three_classes(db, now)
    relabel(db, db.samples(expired.id).ids[:1], 2, "t" * 12)
    kept = {c.id: class_rows(db, c.id) for c in (recent, running)}
    assert privacy.deletion_time(privacy._iso(now - 40 * DAY), 30) == \
        pytest.approx(now - 10 * DAY, abs=1)

    assert privacy.purge_expired(db.engine, None, now=now) == privacy.Purged()
    purged = privacy.purge_expired(db.engine, 30, now=now)

    assert purged.class_ids == (expired.id,)
    assert (purged.drawings, purged.samples, purged.entries, purged.rounds,
            purged.students, purged.curation_rows) == (4, 4, 1, 1, 1, 1)
    assert set(class_rows(db, expired.id).values()) == {0}
    assert [c.id for c in db.classes()] == [running.id, recent.id]
    assert {c.id: class_rows(db, c.id) for c in (recent, running)} == kept
    assert count_in_database(db.engine, [MARK.encode()]) == {MARK.encode(): 0}
    assert db.projector_key(expired.id) == ""
    if db_url.startswith("sqlite"):
        assert MARK.encode() not in sqlite_bytes(db_url)
    assert privacy.purge_expired(db.engine, 30, now=now).classes == 0  # nothing more

    purged = privacy.purge_expired(db.engine, 0, now=now)  # every ended class
    assert purged.class_ids == (recent.id,)
    assert [c.id for c in db.classes()] == [running.id]
    assert class_rows(db, running.id) == kept[running.id]
    again = db.start_class("Next")  # a purged class's id is never given again
    assert again.id > recent.id


def test_deletion_time():
    assert privacy.deletion_time(None, 30) is None  # the class runs
    assert privacy.deletion_time(1000.0, None) is None  # kept for ever
    assert privacy.deletion_time(1000.0, 0) == 1000.0
    assert privacy.deletion_time(1000.0, 2) == 1000.0 + 2 * DAY
    assert privacy.deletion_time("1970-01-01T00:16:40+00:00", 1) == 1000.0 + DAY
    with pytest.raises(ValueError):
        privacy.deletion_time(1000.0, -1)


def test_a_purge_while_a_student_posts_to_the_running_class(db_url):
    db = ClassCollection(db_url)
    now = time.time()
    ended = []
    for n in range(4):
        lesson = db.start_class(f"Old {n}")
        for s in range(3):
            fill(db, lesson, session(), f"Old {n}.{s}", seed=10 * n + s, drawings=4)
        ended.append(lesson)
    running = db.start_class("Running")
    for lesson in ended:
        end_at(db, lesson, now - 90 * DAY)
    student, posted, errors = session(), [], []
    stop = threading.Event()

    def draw() -> None:
        k = 0
        try:
            while not stop.is_set() or k < 5:
                k += 1
                db.post_drawing(running.id, student, k, OTHER, 7, False, 0.9, image(k))
                db.add(image(k), 7, sure(7), class_id=running.id, student=student,
                       drawing_id=k, nickname=OTHER)
                posted.append(k)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    poster = threading.Thread(target=draw)
    poster.start()
    try:
        purged = privacy.purge_expired(db.engine, 30, now=now)
    finally:
        stop.set()
        poster.join(60)
    assert errors == [] and len(posted) >= 5
    assert purged.class_ids == tuple(c.id for c in ended)
    assert class_rows(db, running.id)["drawings"] == len(posted)
    assert db.count(running.id) == len(posted)
    assert [c.id for c in db.classes()] == [running.id]


def test_a_database_that_fails_mid_purge_leaves_each_class_whole_or_gone(db_url,
                                                                         monkeypatch):
    db = ClassCollection(db_url)
    now = time.time()
    lessons = []
    for n in range(3):
        lesson = db.start_class(f"Old {n}")
        fill(db, lesson, session(), f"P{n}", seed=n, drawings=2)
        lessons.append(lesson)
    db.end_class()
    for lesson in lessons:
        end_at(db, lesson, now - 90 * DAY)
    whole = {c.id: class_rows(db, c.id) for c in lessons}
    real, calls = privacy._delete_versions, []

    def dies_on_the_second_class(conn, *args):
        calls.append(1)
        if len(calls) == 2:  # inside the class's transaction, its rows deleted
            raise StorageUnavailable("The class database (x) does not answer: gone", "x")
        return real(conn, *args)

    monkeypatch.setattr(privacy, "_delete_versions", dies_on_the_second_class)
    with pytest.raises(StorageUnavailable):
        privacy.purge_if_due(db.engine, 30, now=now)
    assert [c.id for c in db.classes()] == [lessons[2].id, lessons[1].id]
    assert set(class_rows(db, lessons[0].id).values()) == {0}
    assert {c.id: class_rows(db, c.id) for c in lessons[1:]} == \
        {c.id: whole[c.id] for c in lessons[1:]}
    # the failed purge gave its turn back: the next call (any server) retries at once
    again = privacy.purge_if_due(db.engine, 30, now=now + 1)
    assert again is not None and again.class_ids == (lessons[1].id, lessons[2].id)
    assert db.classes() == []


def test_two_servers_purge_at_once_and_exactly_one_purges(db_url):
    engines = [storage.create(db_url) for _ in range(2)]  # two servers' own pools
    db = ClassCollection(db_url)
    now = time.time()
    for attempt in range(4):
        lesson = db.start_class(f"Old {attempt}")
        fill(db, lesson, session(), f"P{attempt}", seed=attempt, drawings=2)
        db.end_class()
        end_at(db, lesson, now - 90 * DAY)
        at = now + attempt * 3601  # an hour later each time
        barrier, results = threading.Barrier(2), [None, None]

        def server(i: int) -> None:
            barrier.wait()
            results[i] = privacy.purge_if_due(engines[i], 30, now=at)

        threads = [threading.Thread(target=server, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        ran = [r for r in results if r is not None]
        assert len(ran) == 1, results
        assert ran[0].class_ids == (lesson.id,)
        # within the hour: neither server purges again
        assert privacy.purge_if_due(engines[attempt % 2], 30, now=at + 1800) is None
    assert db.classes() == []


def test_purge_if_due_sweeps_this_servers_cache_of_versions_deleted_elsewhere(
        db_url, store, tmp_path):
    db = ClassCollection(db_url)
    lesson = db.start_class("7B")
    pupil = session()
    fill(db, lesson, pupil, MARK, seed=1, drawings=1)
    taught = store.add(write_model(b"t"), parent=ORIGINAL, class_digits=1,
                       class_name="7B")
    privacy.record_taught(db.engine, taught.id, lesson.id, [pupil])
    other_cache = tmp_path / "other-server"
    other = ModelStore(db.engine, other_cache, store.original.path)
    other.get(taught.id)  # the other server unpacked it
    (other_cache / "results").mkdir()  # not a version: stays
    privacy.erase_student(db.engine, lesson.id, pupil, cache_dir=store.cache)
    assert (other_cache / taught.id).exists()
    assert privacy.purge_if_due(db.engine, None, cache_dir=other_cache) == privacy.Purged()
    assert not (other_cache / taught.id).exists() and (other_cache / "results").exists()


# --- the migration ------------------------------------------------------------------

def test_0005_upgrades_a_database_of_0004_with_nothing_lost(db_url):
    from alembic import command
    from alembic.config import Config

    engine = storage.create(db_url)
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(text("INSERT INTO classes (name, started) VALUES ('7B', "
                                "'2026-01-01T00:00:00+00:00')"))
        connection.execute(text(
            "INSERT INTO model_versions (id, parent, created, class_digits, class_name, "
            "report, archive) VALUES ('20260101-000000-abcdef', 'original', "
            "'2026-01-02T00:00:00+00:00', 5, '7B', '{}', :a)"), {"a": b"zip"})
    engine.dispose()
    db = ClassCollection(db_url)
    privacy._ready(db.engine)
    with db.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("model_versions")}
        row = conn.execute(select(privacy.model_versions.c.class_id,
                                  privacy.model_versions.c.students)).one()
        indexes = {i["name"] for i in inspect(conn).get_indexes("samples")}
    assert {"class_id", "students"} <= columns and tuple(row) == (None, None)
    assert "samples_by_class_student" in indexes
    assert [c.name for c in db.classes()] == ["7B"]
    assert json.loads(json.dumps(privacy.as_dict(privacy.Erased())))["samples"] == 0


def test_the_purge_benchmark_runs_and_checks_the_running_class(tmp_path):
    from benchmarks import purge_benchmark

    out = tmp_path / "purge.json"
    assert purge_benchmark.main(["--classes", "2", "--students", "3", "--drawings", "2",
                                 "--archive-kb", "4", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())["sqlite"]
    assert figures["classes_purged"] == 2 and figures["rows_left_of_ended_classes"] == 0
    assert figures["running_class_untouched"] and figures["active_model_kept"]


def test_digits_saved_while_no_class_ran_go_after_the_retention(db_url):
    """They have no class whose end starts the count: their own age does."""
    db = ClassCollection(db_url)
    blank = np.zeros((28, 28), np.float32)
    old = db.add(blank, 3, np.full(10, 0.1), student=session())
    new = db.add(blank, 4, np.full(10, 0.1), student=session())
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE samples SET created = :c WHERE id = :i"),
                     {"c": privacy._iso(time.time() - 40 * DAY), "i": old})
    assert privacy.purge_expired(db.engine, None).samples == 0  # never: kept
    purged = privacy.purge_expired(db.engine, 30)
    assert purged.samples == 1 and purged.classes == 0
    assert db.samples().ids == (new,)
