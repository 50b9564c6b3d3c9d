"""The writing-style generators and the non-digit drawings used in training."""

import numpy as np
import pytest

from hwr.learning import nondigits
from hwr.learning.styles import (
    DRAWN_STYLES,
    FLAG_DEGREES,
    FLAG_LENGTH,
    PAD,
    SOURCE_DIGIT,
    STYLES,
    apply_styles,
    drawn_test_set,
    flagged_one,
    long_flag_one,
    made_sevens,
    measure,
    style_test_set,
)


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    picked = np.concatenate([np.flatnonzero(labels == d)[:40] for d in (0, 1, 7, 8)])
    return images[picked], labels[picked]


@pytest.mark.parametrize("name", list(STYLES))
def test_style_adds_a_stroke_inside_the_frame_and_keeps_the_label(digits, name):
    images, labels = digits
    styled, styled_labels = style_test_set(images, labels, name, seed=3)
    digit = STYLES[name][0]
    originals = images[labels == SOURCE_DIGIT.get(name, digit)]
    assert len(styled) == len(originals) > 0
    assert (styled_labels == digit).all()
    assert styled.dtype == np.uint8 and styled.shape[1:] == (28, 28)
    # normalized as MNIST was: the whole drawing, added stroke included, fitted into a
    # 20x20 box inside the 28x28 frame (so nothing was cut off by the frame)
    for image in styled:
        rows = np.flatnonzero(image.max(axis=1) > 30)
        cols = np.flatnonzero(image.max(axis=0) > 30)
        assert 15 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22


@pytest.mark.parametrize("name", list(STYLES))
def test_style_keeps_the_digit_and_adds_a_stroke(digits, name):
    """Before renormalizing: every pixel of the digit is kept, and new ink is added."""
    images, labels = digits
    digit, draw = STYLES[name]
    rng = np.random.default_rng(2)
    added = []
    for original in images[labels == SOURCE_DIGIT.get(name, digit)][:20] / 255.0:
        field = draw(original, rng, finish=False)
        padded = np.pad(original, PAD)
        assert (field >= padded - 1e-6).all()
        added.append(((field > 0.5) & (padded < 0.1)).sum())
    assert min(added) >= 1 and np.median(added) >= 8


@pytest.mark.parametrize("name", list(STYLES))
def test_style_is_deterministic_under_a_seed(digits, name):
    images, labels = digits
    a, _ = style_test_set(images, labels, name, seed=5)
    b, _ = style_test_set(images, labels, name, seed=5)
    c, _ = style_test_set(images, labels, name, seed=6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_styles_keep_the_stroke_width_of_the_digit(digits):
    """A thin digit gets a thin slash, a bold digit a bold one (measured on the result)."""
    images, labels = digits
    zeros = images[labels == 0].astype(np.float32) / 255
    widths = np.array([measure(z).width for z in zeros])
    thin, bold = zeros[np.argmin(widths)], zeros[np.argmax(widths)]
    rng = np.random.default_rng(0)
    thin_styled = STYLES["slashed_zero"][1](thin, rng)
    bold_styled = STYLES["slashed_zero"][1](bold, rng)
    assert measure(bold_styled).width > measure(thin_styled).width


def test_apply_styles_restyles_only_the_share_of_each_class(digits):
    images, labels = digits
    floats = images.astype(np.float32) / 255
    out = apply_styles(floats, labels, {"slashed_zero": 0.5, "crossed_seven": 0.0},
                       np.random.default_rng(1))
    changed = np.abs(out - floats).max(axis=(1, 2)) > 0.2
    assert not changed[labels == 8].any() and not changed[labels == 7].any()
    assert 0.25 < changed[labels == 0].mean() < 0.75
    assert out.shape == floats.shape


def _flag_reach(original: np.ndarray, **flag) -> float:
    """How far left of the plain 1 the flag's ink reaches, before renormalizing."""
    field = flagged_one(original, np.random.default_rng(4), finish=False, **flag)
    added = (field > 0.5) & (np.pad(original, PAD) < 0.1)
    ink_cols = np.flatnonzero(np.pad(original, PAD).max(axis=0) > 0.5)
    return ink_cols.min() - np.flatnonzero(added.any(axis=0)).min()


def test_flag_ranges_set_how_long_and_flat_a_ones_flag_is(digits):
    """The polish stage draws longer, flatter flags: they reach further from the stem;
    the default ranges draw what the style always drew."""
    images, labels = digits
    ones = images[labels == 1][:15].astype(np.float32) / 255
    short = [_flag_reach(one, degrees=(20, 20), length=(0.2, 0.2)) for one in ones]
    long = [_flag_reach(one, degrees=(55, 55), length=(0.6, 0.6)) for one in ones]
    assert all(b > a for a, b in zip(short, long))
    for one in ones[:5]:
        assert np.array_equal(
            flagged_one(one, np.random.default_rng(1)),
            flagged_one(one, np.random.default_rng(1), degrees=FLAG_DEGREES,
                        length=FLAG_LENGTH))


def test_apply_styles_draws_only_the_ones_flags_its_own_way(digits):
    images, labels = digits
    floats = images.astype(np.float32) / 255
    shares = {"slashed_zero": 0.5, "flagged_one": 0.5, "footed_one": 0.5}
    flag = {"degrees": (55, 55), "length": (0.6, 0.6)}
    plain = apply_styles(floats, labels, shares, np.random.default_rng(1))
    wide = apply_styles(floats, labels, shares, np.random.default_rng(1), flag)
    zeros, ones = labels == 0, labels == 1
    assert np.array_equal(plain[zeros], wide[zeros])
    assert not np.array_equal(plain[ones], wide[ones])


def test_apply_styles_leaves_an_empty_image_alone():
    empty = np.zeros((2, 28, 28), np.float32)
    out = apply_styles(empty, np.array([0, 1]), {"slashed_zero": 1.0, "flagged_one": 1.0},
                       np.random.default_rng(0))
    assert not out.any()


@pytest.mark.parametrize("source", nondigits.LETTER_SOURCES)
def test_non_digit_drawings_are_canvas_drawings_made_mnist_style(source):
    if source == "truetype" and not nondigits.find_fonts(nondigits.TRUETYPE_TRAIN_FONTS):
        pytest.skip("no DejaVu fonts on this machine")
    canvases, kinds = nondigits.canvas_drawings(40, seed=0, source=source)
    assert len(canvases) == len(kinds) == 40
    assert {k for k in kinds} - {"letter"} <= set(nondigits.SHAPES)
    assert "letter" in kinds and len(set(kinds)) > 5
    assert all(c.shape == (280, 280) and c.max() == 255 for c in canvases)
    images = nondigits.to_mnist(canvases)
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8
    assert (images.reshape(40, -1).max(axis=1) > 200).all()  # each has ink


def test_non_digits_are_seeded_and_the_test_set_differs_from_training():
    a = nondigits.training_set(20, seed=3)
    assert np.array_equal(a, nondigits.training_set(20, seed=3))
    test, _ = nondigits.test_canvases(20, seed=4)
    assert not np.array_equal(a, nondigits.to_mnist(test))


def test_letters_written_like_digits_are_never_non_digits():
    assert not set("OoDQIlJLTZSBGbgq") & set(nondigits.LETTERS)
    assert {"A", "K", "x", "h"} <= set(nondigits.LETTERS)
    assert set(nondigits.MEASURED_LETTERS) <= set(nondigits.LETTERS)


def test_every_shape_draws_ink():
    rng = np.random.default_rng(0)
    for kind in nondigits.SHAPES:
        canvas = nondigits.shape(rng, kind)
        assert canvas.max() == 255, kind


def test_the_long_flag_one_reaches_further_than_the_trained_flag(digits):
    """Its flag is 60-90% of the stem: it leaves more ink beside the stem than a flag of
    the first stage's 15-50%."""
    images, labels = digits
    ones = images[labels == 1][:20].astype(np.float32) / 255

    def added(draw, seed):
        rng = np.random.default_rng(seed)
        return np.median([((draw(one, rng, finish=False) > 0.5)
                           & (np.pad(one, PAD) < 0.1)).sum() for one in ones])

    assert added(long_flag_one, 0) > 1.3 * added(flagged_one, 0)


def test_a_flag_as_a_second_stroke_differs_from_one_at_the_tip(digits):
    images, labels = digits
    one = images[labels == 1][0].astype(np.float32) / 255
    tip = flagged_one(one, np.random.default_rng(1), one_stroke=1.0)
    strokes = [flagged_one(one, np.random.default_rng(seed), one_stroke=0.0)
               for seed in range(1, 6)]
    assert any(not np.array_equal(tip, s) for s in strokes)


@pytest.mark.parametrize("name", list(DRAWN_STYLES))
def test_drawn_styles_are_seeded_canvas_drawings_of_their_digit(name):
    canvases, labels = drawn_test_set(name, 6, seed=2)
    again, _ = drawn_test_set(name, 6, seed=2)
    other, _ = drawn_test_set(name, 6, seed=3)
    assert (labels == DRAWN_STYLES[name][0]).all() and len(canvases) == 6
    assert all(c.shape == (280, 280) and c.max() == 255 for c in canvases)
    assert all(np.array_equal(a, b) for a, b in zip(canvases, again))
    assert not all(np.array_equal(a, b) for a, b in zip(canvases, other))
    images = nondigits.to_mnist(canvases)
    assert (images.reshape(6, -1).max(axis=1) > 200).all()


def test_pen_letters_are_seeded_and_come_from_the_held_out_fonts():
    canvases, chars = nondigits.pen_letter_canvases(2, seed=5)
    assert chars == [c for c in nondigits.MEASURED_LETTERS for _ in range(2)]
    again, _ = nondigits.pen_letter_canvases(2, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(canvases, again))
    assert all(c.max() == 255 for c in canvases)
    assert not set(nondigits.HERSHEY_TEST_FONTS) & set(nondigits.HERSHEY_TRAIN_FONTS)


@pytest.fixture
def fresh_hershey():
    nondigits.hershey_glyphs.cache_clear()
    yield
    nondigits.hershey_glyphs.cache_clear()


def test_pen_letters_do_not_depend_on_the_machines_truetype_fonts(monkeypatch, tmp_path,
                                                                  fresh_hershey):
    """The same Hershey non-digits with the machine's TrueType fonts and without any."""
    with_fonts = nondigits.training_set(30, seed=9, source="hershey")
    monkeypatch.setattr(nondigits, "FONT_DIRS", (str(tmp_path),))
    nondigits.find_fonts.cache_clear()
    try:
        assert nondigits.find_fonts(nondigits.TRUETYPE_TRAIN_FONTS) == ()
        assert np.array_equal(with_fonts, nondigits.training_set(30, seed=9, source="hershey"))
        with pytest.raises(nondigits.NonDigitDataError, match="DejaVu"):
            nondigits.training_set(5, seed=9, source="truetype")  # never another font
    finally:
        nondigits.find_fonts.cache_clear()


def test_missing_hershey_package_is_named(monkeypatch, fresh_hershey):
    import sys

    monkeypatch.setitem(sys.modules, "HersheyFonts", None)  # import fails
    with pytest.raises(nondigits.NonDigitDataError, match="Hershey-Fonts package"):
        nondigits.letter_fonts("hershey")


def test_broken_hershey_font_is_named(monkeypatch, fresh_hershey):
    from HersheyFonts import HersheyFonts

    real = HersheyFonts.strokes_for_text

    def broken(self, text):  # a font whose data lost a letter
        return [] if text == "K" else real(self, text)

    monkeypatch.setattr(HersheyFonts, "strokes_for_text", broken)
    with pytest.raises(nondigits.NonDigitDataError, match=r"'futural' is broken.*K"):
        nondigits.letter_fonts("hershey")
    monkeypatch.setattr(HersheyFonts, "load_default_font",
                        lambda self, name: (_ for _ in ()).throw(ValueError("bad data")))
    nondigits.hershey_glyphs.cache_clear()
    with pytest.raises(nondigits.NonDigitDataError, match="'futural' cannot be read"):
        nondigits.letter_fonts("hershey")


def test_made_sevens_are_distinct_ones_given_a_short_bar_and_labelled_seven(digits):
    images, labels = digits
    ones = images[labels == 1]
    sevens, seven_labels = made_sevens(images, labels, 25, seed=3)
    assert sevens.shape == (25, 28, 28) and sevens.dtype == np.uint8
    assert set(seven_labels) == {7}
    again, _ = made_sevens(images, labels, 25, seed=3)
    assert np.array_equal(sevens, again)
    assert not np.array_equal(sevens, made_sevens(images, labels, 25, seed=4)[0])
    # each is one of the 1s with a bar added: more ink than the closest 1 has
    ink = (sevens > 76).sum(axis=(1, 2))
    assert (ink > np.median((ones > 76).sum(axis=(1, 2)))).mean() > 0.8
    assert len(made_sevens(images, labels, 10_000, seed=3)[0]) == len(ones)  # at most all
    assert len(made_sevens(images, labels, 0, seed=3)[0]) == 0
