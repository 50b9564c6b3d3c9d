"""The model store: versions written whole or not at all, and which one answers."""

import json

import pytest

from hwr.evaluate import MODEL_FILE
from hwr.model_store import ACTIVE_FILE, ORIGINAL, ModelStore


@pytest.fixture
def store(tmp_path) -> ModelStore:
    original = tmp_path / "shipped"
    original.mkdir()
    (original / MODEL_FILE).write_bytes(b"original")
    return ModelStore(tmp_path / "store", original)


def write_model(content: bytes = b"weights"):
    def write(directory):
        (directory / MODEL_FILE).write_bytes(content)
    return write


def test_the_original_answers_until_a_version_is_activated(store):
    assert store.active().is_original and store.versions() == []
    version = store.add(write_model(), parent=ORIGINAL, class_digits=212, class_name="7B")
    assert store.active().is_original  # a new version is not used until chosen
    assert store.activate(version.id) == version
    assert store.active() == version and (version.path / MODEL_FILE).read_bytes() == b"weights"
    assert "212 of our digits" in store.active().label
    store.restore_original()
    assert store.active().is_original


def test_a_failed_write_leaves_the_store_as_it_was(store):
    kept = store.add(write_model(), parent=ORIGINAL, class_digits=40)
    store.activate(kept.id)
    before = sorted(p.name for p in store.root.iterdir())

    def crash(directory):
        (directory / MODEL_FILE).write_bytes(b"half")
        raise KeyboardInterrupt  # a cancel, or the server stopped

    with pytest.raises(KeyboardInterrupt):
        store.add(crash, parent=kept.id, class_digits=41)
    with pytest.raises(RuntimeError):
        store.add(lambda d: None, parent=kept.id, class_digits=41)  # no model written
    assert sorted(p.name for p in store.root.iterdir()) == before
    assert store.versions() == [kept] and store.active() == kept


def test_versions_newest_first_with_their_lineage(store):
    first = store.add(write_model(b"1"), parent=ORIGINAL, class_digits=30)
    second = store.add(write_model(b"2"), parent=first.id, class_digits=60)
    assert store.versions() == [second, first]
    assert store.get(second.id).parent == first.id


@pytest.mark.parametrize("content", ["not json", json.dumps({"id": "gone"}),
                                     json.dumps({"id": ["../../etc"]}), json.dumps([1])])
def test_a_damaged_or_dangling_choice_means_the_original(store, content):
    store.root.mkdir(parents=True)
    (store.root / ACTIVE_FILE).write_text(content)
    assert store.active().is_original


@pytest.mark.parametrize("bad", ["../shipped", "/etc", ".writing-x", "", "a/b"])
def test_ids_never_leave_the_store(store, bad):
    with pytest.raises(KeyError):
        store.get(bad)
    with pytest.raises(KeyError):
        store.activate(bad)
    assert store.active().is_original
