"""The model store: versions written whole or not at all, shared by every server
through the database, and which one answers. Against SQLite and PostgreSQL."""

import pytest
from sqlalchemy import insert, select

from hwr.class_data.collection import ClassCollection
from hwr.class_data.model_store import ACTIVE_KEY, ORIGINAL, ModelStore
from hwr.class_data.storage import model_versions, settings
from hwr.model_dir import MODEL_FILE


@pytest.fixture
def original(tmp_path):
    path = tmp_path / "shipped"
    path.mkdir()
    (path / MODEL_FILE).write_bytes(b"original")
    return path


@pytest.fixture
def store(db_url, tmp_path, original) -> ModelStore:
    return ModelStore(ClassCollection(db_url).engine, tmp_path / "cache", original)


def write_model(content: bytes = b"weights"):
    def write(directory):
        (directory / MODEL_FILE).write_bytes(content)
        (directory / "metrics.json").write_text("{}")
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


def test_another_server_sees_and_unpacks_the_same_versions(store, db_url, tmp_path,
                                                           original):
    version = store.add(write_model(b"taught"), parent=ORIGINAL, class_digits=50)
    store.activate(version.id)
    other = ModelStore(ClassCollection(db_url).engine, tmp_path / "other-cache", original)
    assert other.active() == version.__class__(**{**version.__dict__,
                                                   "path": tmp_path / "other-cache" / version.id})
    assert (other.active().path / MODEL_FILE).read_bytes() == b"taught"


def test_a_failed_write_leaves_the_store_as_it_was(store):
    kept = store.add(write_model(), parent=ORIGINAL, class_digits=40)
    store.activate(kept.id)
    cached = sorted(p.name for p in store.cache.iterdir())

    def crash(directory):
        (directory / MODEL_FILE).write_bytes(b"half")
        raise KeyboardInterrupt  # a cancel, or the server stopped

    with pytest.raises(KeyboardInterrupt):
        store.add(crash, parent=kept.id, class_digits=41)
    with pytest.raises(RuntimeError):
        store.add(lambda d: None, parent=kept.id, class_digits=41)  # no model written
    assert sorted(p.name for p in store.cache.iterdir()) == cached
    assert store.versions() == [kept] and store.active() == kept
    with store.engine.connect() as conn:
        assert conn.execute(select(model_versions.c.id)).scalars().all() == [kept.id]


def test_versions_newest_first_with_their_lineage(store):
    first = store.add(write_model(b"1"), parent=ORIGINAL, class_digits=30)
    second = store.add(write_model(b"2"), parent=first.id, class_digits=60)
    assert store.versions() == [second, first]
    assert store.get(second.id).parent == first.id


@pytest.mark.parametrize("chosen", ["gone", "../../etc", ""])
def test_a_dangling_choice_means_the_original(store, chosen):
    with store.engine.begin() as conn:
        conn.execute(insert(settings).values(key=ACTIVE_KEY, value=chosen))
    assert store.active().is_original


@pytest.mark.parametrize("bad", ["../shipped", "/etc", ".writing-x", "", "a/b"])
def test_ids_never_leave_the_cache(store, bad):
    with pytest.raises(KeyError):
        store.get(bad)
    with pytest.raises(KeyError):
        store.activate(bad)
    assert store.active().is_original


@pytest.mark.parametrize("archive", [b"not a zip", "evil"])
def test_a_damaged_archive_unpacks_nothing(store, archive):
    if archive == "evil":  # a path out of the cache inside the archive
        import io
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("../escaped", b"x")
        archive = buf.getvalue()
    with store.engine.begin() as conn:
        conn.execute(insert(model_versions).values(
            id="20260101-000000-abcdef", parent=ORIGINAL, created="2026-01-01",
            class_digits=1, class_name="", report="{}", archive=archive))
    version = store.get("20260101-000000-abcdef")  # listed, but not loadable
    assert not version.path.exists() and not (store.cache.parent / "escaped").exists()
