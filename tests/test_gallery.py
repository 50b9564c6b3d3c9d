"""The model's gallery file: the MNIST test images the Evaluation page shows offline."""

import numpy as np
import pytest

from hwr.learning.evaluate import confident_mistakes, hesitant_successes, load_predictions
from hwr.learning.gallery import (
    HESITANT,
    MAX_IMAGES,
    PER_CELL,
    GalleryError,
    cell_order,
    main,
    read_gallery,
    select,
    style_example_indices,
    write_gallery,
)
from hwr.model_dir import GALLERY_FILE
from hwr.reading.recognizer import DEFAULT_MODEL_DIR


def predictions(n: int = 3000, wrong: int = 40, seed: int = 0):
    """Labels, probabilities with ``wrong`` misread images, and random 28x28 images."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    predicted = labels.copy()
    misread = rng.choice(n, wrong, replace=False)
    predicted[misread] = (labels[misread] + rng.integers(1, 10, wrong)) % 10
    probabilities = rng.uniform(0, 0.05, (n, 10))
    probabilities[np.arange(n), predicted] = rng.uniform(0.5, 1.0, n)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    return labels, probabilities, images, np.sort(misread)


def test_every_misread_image_and_the_pages_galleries_are_held():
    labels, probabilities, _, misread = predictions()
    chosen = select(labels, probabilities)
    assert len(chosen) <= MAX_IMAGES and np.all(np.diff(chosen) > 0)
    assert set(misread) <= set(chosen)
    assert set(hesitant_successes(labels, probabilities, HESITANT)) <= set(chosen)
    assert set(style_example_indices(labels)) <= set(chosen)
    for digit in range(10):  # each diagonal cell's first images, in the page's order
        assert set(cell_order(labels, probabilities, digit, digit)[:PER_CELL]) <= set(chosen)


def test_the_cap_keeps_the_most_confident_mistakes_first():
    labels, probabilities, _, misread = predictions(wrong=120)
    chosen = select(labels, probabilities, max_images=50)
    assert len(chosen) == 50
    assert set(chosen) == set(confident_mistakes(labels, probabilities, 50))
    chosen = select(labels, probabilities, max_images=200)
    assert len(chosen) == 200 and set(misread) <= set(chosen)
    # what is left after the misread ones is shared by the ten diagonal cells alike
    held = [len(set(cell_order(labels, probabilities, d, d)) & set(chosen)) for d in range(10)]
    assert max(held) - min(held) <= 12  # hesitant and style digits land anywhere


def test_write_and_read_round_trip(tmp_path):
    labels, probabilities, images, misread = predictions()
    path = write_gallery(tmp_path, images, labels, probabilities)
    assert path == tmp_path / GALLERY_FILE
    assert not list(tmp_path.glob("*.tmp*"))
    gallery = read_gallery(path)
    np.testing.assert_array_equal(gallery.images, images[gallery.indices])
    np.testing.assert_array_equal(gallery.labels, labels[gallery.indices])
    np.testing.assert_array_equal(gallery.held(misread[::-1]), misread[::-1])
    np.testing.assert_array_equal(gallery.image(int(misread[3])), images[misread[3]])
    not_held = next(i for i in range(len(labels)) if i not in set(gallery.indices))
    assert len(gallery.held(np.array([not_held]))) == 0
    with pytest.raises(KeyError):
        gallery.image(not_held)


def test_a_missing_or_damaged_file_is_said_in_a_sentence(tmp_path):
    with pytest.raises(GalleryError, match="no gallery file"):
        read_gallery(tmp_path / GALLERY_FILE)
    (tmp_path / GALLERY_FILE).write_bytes(b"PK\x03\x04 not a zip at all")
    with pytest.raises(GalleryError, match="cannot be read"):
        read_gallery(tmp_path / GALLERY_FILE)
    np.savez_compressed(tmp_path / GALLERY_FILE, indices=np.array([3, 1]),
                        images=np.zeros((2, 28, 28), np.uint8), labels=np.array([1, 2]))
    with pytest.raises(GalleryError, match="damaged"):
        read_gallery(tmp_path / GALLERY_FILE)
    np.savez_compressed(tmp_path / GALLERY_FILE, indices=np.array([1, 3]),
                        images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(GalleryError, match="cannot be read"):  # no labels
        read_gallery(tmp_path / GALLERY_FILE)


def test_the_shipped_models_gallery_is_small_and_holds_its_misread_images():
    gallery = read_gallery(DEFAULT_MODEL_DIR / GALLERY_FILE)
    assert (DEFAULT_MODEL_DIR / GALLERY_FILE).stat().st_size <= 150_000
    assert len(gallery) <= MAX_IMAGES
    labels, probabilities = load_predictions(DEFAULT_MODEL_DIR)
    misread = np.flatnonzero(probabilities.argmax(axis=1) != labels)
    assert set(misread) <= set(gallery.indices)
    np.testing.assert_array_equal(gallery.labels, labels[gallery.indices])


def test_the_shipped_gallery_is_mnists_own_images(mnist_test):
    images, _ = mnist_test
    gallery = read_gallery(DEFAULT_MODEL_DIR / GALLERY_FILE)
    np.testing.assert_array_equal(gallery.images, images[gallery.indices])


def test_the_command_writes_it_from_saved_predictions(tmp_path, mnist_dir, capsys):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    (model / GALLERY_FILE).unlink()
    assert main([str(model), "--data-dir", str(mnist_dir)]) == 0
    assert "images" in capsys.readouterr().out
    written, shipped = read_gallery(model / GALLERY_FILE), read_gallery(DEFAULT_MODEL_DIR /
                                                                          GALLERY_FILE)
    np.testing.assert_array_equal(written.indices, shipped.indices)
    np.testing.assert_array_equal(written.images, shipped.images)
