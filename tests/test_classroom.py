"""The class collection (SQLite), its export, and the network inspection."""

import io
import multiprocessing
import sys
import types
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hwr.class_data.collection import ClassCollection, export_idx, export_idx_zip, export_npz
from hwr.learning.data import load_extra


def sample(i: int) -> tuple[np.ndarray, int, np.ndarray]:
    rng = np.random.default_rng(i)
    probs = rng.dirichlet(np.ones(10))
    return rng.random((28, 28)).astype(np.float32), i % 10, probs


def test_created_on_first_use_and_reopened(tmp_path):
    path = tmp_path / "nested" / "class.sqlite3"
    db = ClassCollection(path)
    image, label, probs = sample(1)
    sample_id = db.add(image, label, probs, drawing=np.zeros((20, 20, 4), np.uint8))
    reopened = ClassCollection(path)
    got = reopened.samples()
    assert len(got) == 1 and got.ids[0] == sample_id
    np.testing.assert_allclose(got.images[0], image)
    assert got.labels[0] == label and got.predicted[0] == probs.argmax()
    np.testing.assert_allclose(got.probabilities[0], probs, atol=1e-6)
    assert reopened.drawing(sample_id).startswith(b"\x89PNG")


def test_accuracy_counts_confirmed_labels(db_url):
    db = ClassCollection(db_url)
    probs = np.eye(10)[3]
    db.add(np.zeros((28, 28)), 3, probs)
    db.add(np.zeros((28, 28)), 8, probs)  # the model said 3, the student says 8
    assert db.samples().accuracy == 0.5


def test_concurrent_writers_lose_nothing(db_url):
    db = ClassCollection(db_url)
    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(lambda i: db.add(*sample(i)), range(200)))
    assert len(set(ids)) == 200 and db.count() == 200
    assert sorted(db.samples().labels.tolist()) == sorted(i % 10 for i in range(200))


def _write_many(path: str, start: int) -> None:
    db = ClassCollection(path)
    for i in range(start, start + 25):
        db.add(*sample(i))


@pytest.mark.slow
def test_concurrent_processes_lose_nothing(db_url, monkeypatch):
    path = db_url
    ClassCollection(path)
    # A spawned child runs the parent's __main__ file first. After an AppTest in the same
    # process (a CI worker runs many files) that can be AppTest's own script, which
    # fails outside it: give the children a bare __main__ (they import _write_many by
    # its module's name anyway).
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(path, k * 25)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert ClassCollection(path).count() == 100


def test_delete_all(db_url):
    db = ClassCollection(db_url)
    for i in range(3):
        db.add(*sample(i))
    assert db.delete_all() == 3 and db.count() == 0


def test_rejects_wrong_shapes_and_labels(db_url):
    db = ClassCollection(db_url)
    with pytest.raises(ValueError):
        db.add(np.zeros((10, 10)), 1, np.ones(10) / 10)
    with pytest.raises(ValueError):
        db.add(np.zeros((28, 28)), 10, np.ones(10) / 10)
    assert db.count() == 0


@pytest.fixture
def filled(tmp_path):
    db = ClassCollection(tmp_path / "c.sqlite3")
    for i in range(12):
        db.add(*sample(i))
    return db.samples()


def test_npz_export_round_trip(filled, tmp_path):
    path = tmp_path / "class.npz"
    path.write_bytes(export_npz(filled))
    images, labels = load_extra(path)
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28)
    np.testing.assert_array_equal(labels, filled.labels)
    np.testing.assert_allclose(images / 255.0, filled.images, atol=1 / 255)


def test_idx_export_round_trip(filled, tmp_path):
    for name, data in export_idx(filled).items():
        (tmp_path / name).write_bytes(data)
    images, labels = load_extra(tmp_path)
    np.testing.assert_array_equal(labels, filled.labels)
    assert images.shape == (12, 28, 28)
    with zipfile.ZipFile(io.BytesIO(export_idx_zip(filled))) as archive:
        assert len(archive.namelist()) == 2


@pytest.mark.slow
def test_training_uses_extra_data(filled, tmp_path):
    from hwr.learning.config import TrainConfig
    from hwr.learning.train import train
    from tests.support.files import write_mnist_dir

    extra = tmp_path / "class.npz"
    extra.write_bytes(export_npz(filled))
    config = TrainConfig(epochs=1, limit=100, batch_size=32, extra_data=[str(extra)])
    out = tmp_path / "model"
    train(config, out, data_dir=write_mnist_dir(tmp_path / "mnist"), verbose=0)
    import json

    data = json.loads((out / "config.json").read_text())["data"]
    assert data["train_count"] == 90 + 12  # 90 of the 100 after the validation split


def test_explanation_shapes_and_values(recognizer, mnist_test):
    from hwr.reading.explain import explain, feature_grid, overlay

    image = mnist_test[0][0] / 255.0
    explanation = explain(recognizer.model, image)
    assert explanation.target == mnist_test[1][0]
    for heat in (explanation.grad_cam, explanation.saliency):
        assert heat.shape == (28, 28) and np.isfinite(heat).all()
        assert heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert len(explanation.activations) == 7  # every convolution
    first_name, first = explanation.activations[0]
    assert first.shape == (26, 26, 32) and np.isfinite(first).all()
    # words for students, not Keras layer names
    words = [name for name, _ in explanation.activations]
    assert words[0].startswith("Layer 1: 32 small pattern detectors, each looking at 3x3")
    assert "shrinking the picture to 12x12" in words[2]
    assert "whole digit" in words[-1]
    assert not any("conv" in w.lower() or "activation" in w.lower() for w in words)
    grid = feature_grid(first)
    assert grid.ndim == 2 and 0 <= grid.min() and grid.max() <= 1
    assert overlay(image, explanation.grad_cam).shape == (168, 168, 3)
