"""Whatever arrives, preprocessing and the recognizer answer or raise InvalidImageError."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hwr import InvalidImageError
from hwr.reading.preprocess import preprocess

DTYPES = st.sampled_from([np.uint8, np.uint16, np.int8, np.int32, np.int64, np.float16,
                          np.float32, np.float64, np.bool_])
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40),
    st.tuples(st.integers(1, 300), st.integers(1, 300), st.sampled_from([1, 2, 3, 4])),
)
ARRAYS = hnp.arrays(DTYPES, SHAPES)  # any values, NaN and infinity included
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_preprocessed(out) -> None:
    assert out.image.shape == (28, 28) and out.image.dtype == np.float32
    assert np.isfinite(out.image).all()
    assert out.image.min() >= 0.0 and out.image.max() <= 1.0
    if out.is_empty:
        assert out.message and not out.image.any()


@FAST
@given(ARRAYS)
def test_preprocess_any_array(array):
    try:
        out = preprocess(array)
    except InvalidImageError as e:
        assert str(e)
        return
    check_preprocessed(out)


@FAST
@given(ARRAYS)
def test_recognize_any_array(recognizer, array):
    try:
        result = recognizer.recognize(array)
    except InvalidImageError:
        return
    assert result.is_empty or (0 <= result.digit <= 9 and 0.0 < result.confidence <= 1.0)
    if not result.is_empty:
        assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-4)


@FAST
@given(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, max_side=30)))
def test_predict_proba_any_array(recognizer, array):
    try:
        probs = recognizer.predict_proba(array)
    except InvalidImageError:
        return
    assert probs.shape[-1] == 10 and np.isfinite(probs).all()


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_images_are_refused_clearly(value):
    image = np.zeros((50, 50), np.float32)
    image[10, 10] = value
    with pytest.raises(InvalidImageError, match="NaN or infinite"):
        preprocess(image)


def test_single_pixel_and_single_ink_pixel():
    check_preprocessed(preprocess(np.ones((1, 1), np.uint8)))
    dot = np.zeros((280, 280), np.uint8)
    dot[100, 100] = 255
    assert preprocess(dot).is_empty


def test_ten_thousand_square_image_is_reduced_first():
    huge = np.zeros((10_000, 10_000), np.uint8)
    huge[2000:8000, 4800:5200] = 255
    out = preprocess(huge)
    assert not out.is_empty
    check_preprocessed(out)


def test_non_numeric_input():
    for bad in ([["a", "b"]], object(), None):
        with pytest.raises(InvalidImageError):
            preprocess(np.asarray(bad, dtype=object) if bad is not None else bad)
