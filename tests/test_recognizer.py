"""The public API on the shipped model."""

import shutil
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import pytest

from hwr import DigitRecognizer, InvalidImageError, ModelLoadError
from hwr.recognizer import DEFAULT_MODEL_DIR
from hwr.synth import canvas_like, canvas_number


def test_shipped_model_scores_on_first_thousand_test_images(recognizer, mnist_test):
    images, labels = mnist_test
    accuracy = (recognizer.predict(images[:1000] / 255.0) == labels[:1000]).mean()
    assert accuracy >= 0.995


def test_model_dir_is_the_shipped_one(recognizer):
    assert recognizer.model_dir == DEFAULT_MODEL_DIR
    assert (recognizer.model_dir / "metrics.json").exists()


def test_shapes_and_types(recognizer, mnist_test):
    images = mnist_test[0][:5] / 255.0
    single = recognizer.predict_proba(images[0])
    assert single.shape == (10,) and single.sum() == pytest.approx(1.0, abs=1e-5)
    assert recognizer.predict_proba(images).shape == (5, 10)
    assert recognizer.predict_proba(images[..., None]).shape == (5, 10)
    assert isinstance(recognizer.predict(images[0]), int)
    assert recognizer.predict(images).shape == (5,)
    assert recognizer.predict_proba(np.zeros((0, 28, 28))).shape == (0, 10)


def test_large_batches_match_keras_predict(recognizer, mnist_test):
    images = mnist_test[0][:2500] / 255.0
    ours = recognizer.predict_proba(images)  # crosses the 1024-image chunk boundary
    plain = recognizer.model.predict(images[..., None].astype("float32"), verbose=0)
    np.testing.assert_allclose(ours, plain, atol=1e-5)


@pytest.mark.parametrize("bad", [np.zeros((28, 27)), np.zeros((3, 28)), np.zeros((2, 28, 28, 3)),
                                 np.full((28, 28), np.nan), np.full((1, 28, 28), np.inf)])
def test_bad_model_input_raises_documented_error(recognizer, bad):
    with pytest.raises(InvalidImageError):
        recognizer.predict_proba(bad)


def test_recognize_canvas_like_drawings(recognizer, mnist_test):
    images, labels = mnist_test
    rng = np.random.default_rng(7)
    n = 300
    results = [recognizer.recognize(canvas_like(images[i], rng)) for i in range(n)]
    accuracy = np.mean([r.digit == labels[i] for i, r in enumerate(results)])
    assert accuracy >= 0.97
    first = results[0]
    assert first.model_input.shape == (28, 28) and first.probabilities.shape == (10,)
    assert first.confidence == pytest.approx(first.probabilities.max())


def test_empty_drawing_has_no_digit(recognizer):
    result = recognizer.recognize(np.zeros((280, 280, 4), np.uint8))
    assert result.is_empty and result.digit is None and result.confidence == 0.0
    assert result.message


def test_three_digit_number(recognizer, mnist_test):
    images, labels = mnist_test
    picks = [np.flatnonzero(labels == d)[0] for d in (3, 8, 5)]
    drawing = canvas_number([images[i] for i in picks], np.random.default_rng(1))
    number = recognizer.recognize_number(drawing)
    assert number.text == "385" and len(number.digits) == 3


def test_concurrent_calls_give_sequential_results(recognizer, mnist_test):
    images = mnist_test[0][:64] / 255.0
    sequential = [recognizer.predict_proba(im) for im in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(recognizer.predict_proba, images))
    for a, b in zip(sequential, concurrent):
        np.testing.assert_array_equal(a, b)


def test_missing_model_directory(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist.*train.py"):
        DigitRecognizer.load(tmp_path / "nowhere")


def test_missing_and_truncated_model_file(tmp_path):
    broken = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, broken)
    data = (broken / "model.keras").read_bytes()
    (broken / "model.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="damaged|could not be loaded"):
        DigitRecognizer.load(broken)
    (broken / "model.keras").unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        DigitRecognizer.load(broken)


def test_incompatible_model(tmp_path):
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(5)])
    (tmp_path / "m").mkdir()
    model.save(tmp_path / "m" / "model.keras")
    with pytest.raises(ModelLoadError, match="needs"):
        DigitRecognizer.load(tmp_path / "m")


def test_model_with_code_is_refused_in_safe_mode(tmp_path):
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    (tmp_path / "m").mkdir()
    model.save(tmp_path / "m" / "model.keras")
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        DigitRecognizer.load(tmp_path / "m")
