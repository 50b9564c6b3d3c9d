"""The fine-tune: it learns a class's handwriting from few digits, measures itself on
digits it never saw, forgets little of MNIST, and never leaves a half-written model."""

import socket
import threading
import urllib.request

import numpy as np
import pytest

from hwr.class_data.collection import ClassCollection
from hwr.class_data.model_store import ModelStore
from hwr.learning.config import FineTuneConfig, TrainConfig
from hwr.learning.data import load_mnist
from hwr.learning.finetune import (
    ClassDigits,
    FineTuneError,
    NotEnoughDigits,
    check_enough,
    fine_tune,
    load_pictures,
    split_held_out,
    usable,
)
from hwr.learning import replay
from hwr.learning.replay import ReplayFileError, read_replay, replay_mnist, write_replay
from hwr.teaching.jobs import FineTuneJob
from hwr.teaching.sentences import CANCELLED, ERASED_MEANWHILE, FAILED, NO_REPLAY
from hwr.teaching.service import replay_digits
from hwr.reading.recognizer import DEFAULT_MODEL_DIR, DigitRecognizer
from tests.support.files import load_script
from tests.support.classes import tilted_class


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir)


@pytest.fixture(scope="module")
def tilted(mnist) -> ClassDigits:
    return tilted_class(mnist, count=240, students=8, seed=3)


@pytest.fixture(scope="module")
def shipped(mnist_dir):
    """What the Class page's fine-tune replays: the shipped replay file's digits (measured
    on MNIST's test set, here at hand)."""
    return replay_mnist(data_dir=mnist_dir)


@pytest.fixture(scope="module")
def tuned(shipped, tilted):
    """The Class page's fine-tune, with its defaults and the shipped replay digits, on a
    class the model misreads (none of its digits is replayed: test_the_replay_file_...)."""
    return fine_tune(DEFAULT_MODEL_DIR, tilted, shipped)


def quick(**changes) -> TrainConfig:
    config = TrainConfig()
    config.finetune = FineTuneConfig(**{"epochs": 1, "replay": 200, **changes})
    return config


@pytest.mark.slow
def test_it_learns_the_class_and_keeps_mnist(tuned):
    held, mnist = tuned.report["held_out"], tuned.report["mnist"]
    assert held["before"] < 0.95  # the class really is misread
    assert (1 - held["after"]) <= 0.6 * (1 - held["before"])  # error cut by 40% or more
    assert mnist["after"] >= mnist["before"] - FineTuneConfig().max_mnist_drop
    assert mnist["on"] == "test" and mnist["count"] == 10_000
    assert tuned.report["split"] == "by student"


def test_the_replay_file_is_mnist_training_digits_the_script_writes_again(mnist,
                                                                         tmp_path):
    """Only MNIST's training split, stratified: the replay from the digits the shipped
    model trained on, the check digits from its validation split (which the tests'
    classes are made of: never replayed); scripts/replay_digits.py writes the same file."""
    shipped = np.load(replay.REPLAY_PATH, allow_pickle=False)
    for part in ("", "check_"):
        indices, labels = shipped[part + "indices"], shipped[part + "labels"]
        assert np.array_equal(mnist.x_train[indices], shipped[part + "images"])
        assert np.array_equal(mnist.y_train[indices], labels)
        assert len(set(np.bincount(labels, minlength=10))) == 1  # as many of each digit
    assert len(shipped["labels"]) >= FineTuneConfig().replay  # a full replay each epoch
    assert "CC BY-SA 3.0" in str(shipped["attribution"])
    assert replay.REPLAY_PATH.stat().st_size < 1_000_000
    validation = unseen_indices(mnist)
    assert not np.isin(shipped["indices"], validation).any()
    assert np.isin(shipped["check_indices"], validation).all()
    again = write_replay(mnist, tmp_path / "replay.npz")
    with np.load(again, allow_pickle=False) as written:
        assert sorted(written.files) == sorted(shipped.files)
        assert all(np.array_equal(written[k], shipped[k]) for k in shipped.files)


def unseen_indices(mnist) -> np.ndarray:
    """The shipped model's validation split, as indices into MNIST's training files."""
    config = TrainConfig.from_json(DEFAULT_MODEL_DIR / "config.json")
    order = np.random.default_rng(config.data_seed).permutation(len(mnist.x_train))
    return order[:config.validation_size]


def no_network(monkeypatch) -> list:
    """Every way out raises (and is recorded): sockets, urllib, Keras' download."""
    tried = []

    def refuse(*args, **kwargs):
        tried.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request, "urlretrieve", refuse)
    import keras

    monkeypatch.setattr(keras.utils, "get_file", refuse)
    return tried


@pytest.mark.slow
def test_without_mnist_files_or_network_the_class_teaches_the_model(tmp_path, monkeypatch,
                                                                     tilted):
    """No HWR_DATA_DIR and no network: the Class page's job replays the shipped file and
    measures on its check digits; nothing tries to download."""
    monkeypatch.delenv("HWR_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # no cached MNIST either
    tried = no_network(monkeypatch)
    store = store_of(tmp_path, tilted)
    offline = FineTuneJob(store, store.original, lambda: tilted, replay_digits,
                          class_name="7B", config=quick())
    assert offline.start().wait(180) and offline.message is None, offline.message
    mnist = offline.version.report["mnist"]
    assert mnist["on"] == "check" and mnist["count"] == len(read_replay().check_labels)
    assert mnist["after"] >= mnist["before"] - 0.01
    assert DigitRecognizer.load(offline.version.path).knows_non_digits
    assert tried == []


def test_a_missing_or_damaged_replay_file_is_one_sentence(tmp_path, monkeypatch, tilted):
    """The teacher reads NO_REPLAY, never a path, an errno or a traceback; no download."""
    monkeypatch.delenv("HWR_DATA_DIR", raising=False)
    store = store_of(tmp_path, tilted)
    good = replay.REPLAY_PATH.read_bytes()
    wrong_type = tmp_path / "wrong.npz"
    np.savez(wrong_type, images=np.zeros((5, 28, 28), np.float32), labels=np.zeros(5, np.uint8),
             check_images=np.zeros((5, 28, 28), np.uint8), check_labels=np.zeros(5, np.uint8))
    files = {"missing": None, "garbage": b"not a zip file at all",
             "truncated": good[:len(good) // 2], "empty": b"",
             "wrong": wrong_type.read_bytes()}
    for name, content in files.items():
        path = tmp_path / f"{name}.npz"
        if content is not None:
            path.write_bytes(content)
        monkeypatch.setattr(replay, "REPLAY_PATH", path)
        with pytest.raises(ReplayFileError):
            read_replay()
        failing = FineTuneJob(store, store.original, lambda: tilted, replay_digits,
                              config=quick())
        assert failing.start().wait(60)
        assert failing.message.template == NO_REPLAY, (name, failing.message)
        assert str(failing.message) == NO_REPLAY
        assert failing.version is None and store.versions() == []
    for word in ("/", "Errno", "http", "HWR_DATA_DIR", "Traceback"):
        assert word not in NO_REPLAY


def test_the_held_out_students_are_never_learned_from(tilted):
    train, held, how = split_held_out(tilted, 0.25, seed=0)
    students = np.array(tilted.students)
    assert how == "by student"
    assert not set(students[train]) & set(students[held])
    assert sorted([*train, *held]) == list(range(len(tilted)))
    assert 0.15 <= len(held) / len(tilted) <= 0.4


def test_without_writers_the_held_out_digits_are_drawn_at_random(tilted):
    anonymous = ClassDigits(tilted.images, tilted.labels)
    train, held, how = split_held_out(anonymous, 0.25, seed=0)
    assert how == "at random" and not set(train) & set(held)
    assert len(held) == round(0.25 * len(tilted))


@pytest.mark.slow
def test_the_report_counts_add_up(tuned, tilted):
    report = tuned.report
    assert report["trained_on"] + report["held_out"]["count"] == len(tilted)
    assert len(tuned.held_out["images"]) == report["held_out"]["count"]


def test_unusable_digits_are_skipped():
    rng = np.random.default_rng(0)
    images = rng.random((6, 28, 28)).astype(np.float32)
    images[1] = 0  # empty
    images[2, 0, 0] = np.nan
    labels = np.array([3, 4, 5, 11, -1, 7])
    kept, skipped = usable(ClassDigits(images, labels, tuple("abcdef")))
    assert skipped == 4 and kept.labels.tolist() == [3, 7] and kept.students == ("a", "f")
    wrong_shape, skipped = usable(ClassDigits(np.zeros((2, 5, 5)), np.array([1, 2])))
    assert len(wrong_shape) == 0 and skipped == 2


def test_too_few_digits_or_kinds_are_refused(tilted):
    config = FineTuneConfig()
    few = ClassDigits(tilted.images[:10], tilted.labels[:10])
    with pytest.raises(NotEnoughDigits, match="at least 30"):
        check_enough(few, config)
    two_kinds = np.flatnonzero(np.isin(tilted.labels, [1, 7]))
    monotone = ClassDigits(tilted.images[two_kinds], tilted.labels[two_kinds])
    with pytest.raises(NotEnoughDigits, match="different digits"):
        check_enough(monotone, config)


def store_of(tmp_path, digits: ClassDigits) -> ModelStore:
    """A model store on a class database in which each of the digits' students has
    filed a digit: what the fine-tune finds still there when it records who taught its
    new version (a student erased meanwhile discards it)."""
    db = ClassCollection(tmp_path / "db.sqlite3")
    blank = np.zeros((28, 28), np.float32)
    for student in sorted(set(digits.students)):
        db.add(blank, 1, np.full(10, 0.1), student=student)
    return ModelStore(db.engine, tmp_path / "cache")


def job(store, mnist, digits, **config):
    return FineTuneJob(store, store.original, lambda: digits, lambda: mnist,
                       class_name="7B", config=quick(**config))


@pytest.mark.slow
def test_a_cancelled_run_leaves_the_store_unchanged(tmp_path, shipped, tilted):
    store = store_of(tmp_path, tilted)
    running = job(store, shipped, tilted, epochs=3)
    learning = threading.Event()
    original_update = running._update
    running._update = lambda p: (original_update(p), p.step and learning.set())
    running.start()
    assert learning.wait(120)
    running.cancel()
    assert running.wait(120)
    assert running.cancelled and running.version is None
    assert running.message.template == CANCELLED
    assert store.versions() == [] and store.active().is_original
    assert not store.cache.exists() or not any(store.cache.iterdir())


@pytest.mark.slow
def test_a_failing_run_leaves_the_store_unchanged(tmp_path, shipped, tilted):
    store = store_of(tmp_path, tilted)

    def no_mnist():
        raise FineTuneError("The MNIST training digits could not be read.")

    failing = FineTuneJob(store, store.original, lambda: tilted, no_mnist, config=quick())
    assert failing.start().wait(60)
    assert str(failing.message) == "The MNIST training digits could not be read."
    crashing = job(store, shipped, tilted)
    crashing.store = None  # saving crashes after the learning
    assert crashing.start().wait(120)
    assert crashing.message.template == FAILED and crashing.version is None
    assert "failed (AttributeError: " in str(crashing.message)
    assert store.versions() == [] and store.active().is_original


def test_too_few_digits_fail_before_any_data_is_read(tmp_path, tilted):
    store = store_of(tmp_path, tilted)

    def never():
        raise AssertionError("MNIST read for a class that cannot be learned")

    few = ClassDigits(tilted.images[:5], tilted.labels[:5])
    refused = FineTuneJob(store, store.original, lambda: few, never)
    assert refused.start().wait(10)
    assert "at least 30" in str(refused.message) and store.versions() == []


@pytest.mark.slow
def test_a_finished_run_is_a_new_version_not_yet_active(tmp_path, shipped, tilted):
    store = store_of(tmp_path, tilted)
    done = job(store, shipped, tilted)
    assert done.start().wait(180) and done.message is None, done.message
    version = done.version
    assert store.versions() == [version] and store.active().is_original
    assert version.parent == "original" and version.class_digits == len(tilted)
    assert version.class_name == "7B" and version.report["held_out"]["count"] > 0
    recognizer = DigitRecognizer.load(version.path)  # a complete, loadable model
    assert recognizer.knows_non_digits
    assert load_pictures(version.path)["images"].shape[1:] == (28, 28)


@pytest.mark.slow
def test_the_command_line_runs_the_same_fine_tune(tmp_path, mnist_dir, mnist, tilted,
                                                  capsys):
    """scripts/train.py's main, in this process (as tests/test_train.py runs it): a
    process of its own would import TensorFlow again for 6 s of CPU."""
    train = load_script("train")
    extra = tmp_path / "class_digits.npz"
    np.savez(extra, x=np.round(tilted.images * 255).astype(np.uint8),
             y=tilted.labels.astype(np.uint8))
    out = tmp_path / "class_model"
    code = train.main(["--init-from", str(DEFAULT_MODEL_DIR), "--extra-data", str(extra),
                       "--out", str(out), "--data-dir", str(mnist_dir),
                       "--finetune-epochs", "1", "--finetune-replay", "200"])
    said = capsys.readouterr()
    assert code == 0, said.err[-2000:]
    assert "Held-out class digits (60)" in said.out
    assert DigitRecognizer.load(out).knows_non_digits

    np.savez(extra, x=np.zeros((3, 28, 28), np.uint8), y=np.zeros(3, np.uint8))
    refused = train.main(["--init-from", str(DEFAULT_MODEL_DIR), "--extra-data", str(extra),
                          "--out", str(tmp_path / "none"), "--data-dir", str(mnist_dir)])
    assert refused == 2 and "at least 30" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
def test_a_student_erased_during_the_run_discards_its_model(tmp_path, shipped, tilted):
    """The fine-tune read a student's digits, then the teacher erased the student: the
    new version is deleted at once and the teacher is told (hwr.class_data.privacy)."""
    from hwr.class_data import privacy

    db = ClassCollection(tmp_path / "db.sqlite3")
    store = ModelStore(db.engine, tmp_path / "cache")
    lesson = db.start_class("7B")
    blank = np.zeros((28, 28), np.float32)
    for student in sorted(set(tilted.students)):
        db.add(blank, 1, np.full(10, 0.1), class_id=lesson.id, student=student)

    def read_then_erase() -> ClassDigits:
        privacy.erase_student(db.engine, lesson.id, tilted.students[0])
        return tilted

    erased = FineTuneJob(store, store.original, read_then_erase, lambda: shipped,
                         class_name="7B", config=quick(), class_id=lesson.id)
    assert erased.start().wait(180)
    assert erased.version is None and erased.message.template == ERASED_MEANWHILE
    assert store.versions() == [] and store.active().is_original
