"""The public API on the shipped model."""

import shutil
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import pytest

from hwr import DigitRecognizer, InvalidImageError, ModelLoadError
from hwr.reading.recognizer import DEFAULT_MODEL_DIR
from hwr.learning.canvas_like import canvas_like, canvas_number


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
    ours = recognizer.predict_scores(images)  # crosses the 1024-image chunk boundary
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


def _fixed_model(tmp_path, logits: list[float]):
    """A model directory whose model answers the same softmax for every image."""
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(len(logits), kernel_initializer="zeros",
                                                 activation="softmax")])
    model.layers[-1].bias.assign(np.array(logits, np.float32))
    (tmp_path / "m").mkdir()
    model.save(tmp_path / "m" / "model.keras")
    return DigitRecognizer.load(tmp_path / "m")


def test_eleventh_output_means_not_a_digit(tmp_path):
    rec = _fixed_model(tmp_path, [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 4])
    assert rec.knows_non_digits
    drawing = canvas_like(np.pad(np.full((10, 10), 255, np.uint8), 9),
                          np.random.default_rng(0))
    result = rec.recognize(drawing)
    assert result.not_a_digit and not result.is_empty
    assert result.not_a_digit_probability > 0.5
    assert result.digit == 3  # the best guess among the digits is still given
    assert result.probabilities.shape == (10,)
    np.testing.assert_allclose(result.probabilities.sum(), 1.0, rtol=1e-5)
    number = rec.recognize_number(canvas_number([np.pad(np.full((10, 6), 255, np.uint8), 9)] * 2,
                                                np.random.default_rng(0)))
    assert len(number.digits) == 2 and all(d.not_a_digit for d in number.digits)
    assert number.text == "??"


def test_a_likely_digit_is_not_flagged(tmp_path):
    rec = _fixed_model(tmp_path, [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 1])
    result = rec.recognize(canvas_like(np.pad(np.full((10, 10), 255, np.uint8), 9),
                                       np.random.default_rng(0)))
    assert not result.not_a_digit and result.digit == 7


def test_nothing_drawn_stays_empty_not_non_digit(tmp_path):
    rec = _fixed_model(tmp_path, [0] * 10 + [9])
    result = rec.recognize(np.zeros((280, 280), np.uint8))
    assert result.is_empty and not result.not_a_digit and result.digit is None


def test_a_ten_class_model_never_says_not_a_digit(tmp_path):
    rec = _fixed_model(tmp_path, [0, 3] + [0] * 8)
    assert not rec.knows_non_digits
    result = rec.recognize(canvas_like(np.pad(np.full((10, 10), 255, np.uint8), 9),
                                       np.random.default_rng(0)))
    assert not result.not_a_digit and result.digit == 1


def test_shipped_model_flags_held_out_non_digits_but_not_digits(recognizer, mnist_test):
    """Letters in fonts it never saw and shapes from other seeds, against canvas-like
    renderings of MNIST test digits, all through ``recognize`` as the app does."""
    from hwr.learning.nondigits import test_canvases

    canvases, _ = test_canvases(200, seed=777)
    flagged = np.mean([recognizer.recognize(c).not_a_digit for c in canvases])
    assert flagged >= 0.85
    images, labels = mnist_test
    rng = np.random.default_rng(5)
    results = [recognizer.recognize(canvas_like(images[i], rng)) for i in range(300)]
    assert np.mean([r.not_a_digit for r in results]) <= 0.02
    assert np.mean([r.digit == labels[i] for i, r in enumerate(results)]) >= 0.97


def test_shipped_model_reads_the_writing_styles(recognizer, mnist_test):
    from hwr.learning.styles import STYLES, style_test_set

    images, labels = mnist_test
    for name in STYLES:
        styled, styled_labels = style_test_set(images[:1500], labels[:1500], name, seed=9)
        digits = recognizer.predict(styled / 255.0)
        assert (digits == styled_labels).mean() >= 0.95, name
    eights = images[labels == 8][:500] / 255.0
    assert (recognizer.predict(eights) == 0).mean() <= 0.01
