"""Evaluation results: metrics, saved predictions and their staleness, confusion cells."""

import shutil

import numpy as np
import pytest

from hwr.model_dir import PREDICTIONS_FILE
from hwr.learning.evaluate import (
    StalePredictionsError,
    cell_indices,
    compute_metrics,
    confident_mistakes,
    hesitant_successes,
    load_predictions,
    most_confused_pairs,
    write_results,
)
from hwr.learning.plots import (
    DIAGONAL_COLOR,
    confusion_matrix_figure,
    error_colors,
    figure_png,
    normalize_rows,
)
from hwr.reading.recognizer import DEFAULT_MODEL_DIR


def one_hot_probs(predicted, confidence=0.9):
    probs = np.full((len(predicted), 10), (1 - confidence) / 9, np.float32)
    probs[np.arange(len(predicted)), predicted] = confidence
    return probs


def test_metrics_on_a_hand_checked_example():
    # Digit 0: 3 images, 2 right, 1 called 1. Digit 1: 2 images, both right.
    labels = np.array([0, 0, 0, 1, 1])
    predicted = np.array([0, 0, 1, 1, 1])
    m = compute_metrics(labels, one_hot_probs(predicted))
    assert m["test_accuracy"] == pytest.approx(0.8)
    assert m["test_errors"] == 1 and m["test_count"] == 5
    assert m["per_class"]["0"] == pytest.approx(
        {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert m["per_class"]["1"]["precision"] == pytest.approx(2 / 3)
    assert m["per_class"]["1"]["recall"] == 1.0
    assert m["per_class"]["5"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert m["confusion_matrix"][0][:2] == [2, 1] and m["confusion_matrix"][1][:2] == [0, 2]
    assert m["test_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.9, 0.1 / 9, 0.9, 0.9])),
                                           rel=1e-5)


def test_cell_lists_exactly_the_images_of_that_pair():
    labels = np.array([4, 4, 9, 4, 7, 4])
    predicted = np.array([9, 4, 9, 9, 9, 4])
    assert cell_indices(labels, predicted, 4, 9).tolist() == [0, 3]
    assert cell_indices(labels, predicted, 4, 4).tolist() == [1, 5]
    assert cell_indices(labels, predicted, 9, 4).tolist() == []


def test_most_confused_pairs_skip_the_diagonal():
    confusion = np.diag([100] * 10)
    confusion[4, 9], confusion[7, 2], confusion[3, 5] = 7, 3, 5
    assert most_confused_pairs(confusion, top=5) == [(4, 9, 7), (3, 5, 5), (7, 2, 3)]


def test_galleries_pick_confident_mistakes_and_hesitant_successes():
    labels = np.array([1, 1, 1, 1])
    probs = np.zeros((4, 10), np.float32)
    probs[0, 7], probs[0, 1] = 0.99, 0.01  # sure and wrong
    probs[1, 7], probs[1, 1] = 0.6, 0.4  # wrong, unsure
    probs[2, 1], probs[2, 7] = 0.51, 0.49  # right, barely
    probs[3, 1] = 1.0  # right, sure
    assert confident_mistakes(labels, probs, 5).tolist() == [0, 1]
    assert hesitant_successes(labels, probs, 5).tolist() == [2, 3]


def test_normalized_rows_sum_to_one():
    confusion = np.array([[8, 2], [0, 0]])
    np.testing.assert_allclose(normalize_rows(confusion), [[0.8, 0.2], [0.0, 0.0]])


def test_static_confusion_matrix_is_a_png():
    confusion = np.diag(np.arange(10) + 90)
    confusion[4, 9] = 5
    for normalize in (False, True):
        assert figure_png(confusion_matrix_figure(confusion, normalize)).startswith(b"\x89PNG")


@pytest.fixture
def model_copy(tmp_path):
    path = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, path)
    return path


def test_shipped_predictions_are_current():
    labels, probs = load_predictions(DEFAULT_MODEL_DIR)
    assert probs.shape == (10_000, 10) and labels.shape == (10_000,)


def test_missing_predictions_are_detected(model_copy):
    (model_copy / PREDICTIONS_FILE).unlink()
    with pytest.raises(StalePredictionsError, match="missing"):
        load_predictions(model_copy)


def test_predictions_of_another_model_are_detected(model_copy):
    with open(model_copy / "model.keras", "ab") as f:
        f.write(b"\0")  # any change of the model file makes the saved results stale
    with pytest.raises(StalePredictionsError, match="another version"):
        load_predictions(model_copy)


def test_unreadable_predictions_are_detected(model_copy):
    (model_copy / PREDICTIONS_FILE).write_bytes(b"garbage")
    with pytest.raises(StalePredictionsError, match="unreadable"):
        load_predictions(model_copy)


def test_write_results_round_trip_keeps_training_figures(model_copy):
    labels = np.array([3, 5, 5])
    probs = one_hot_probs(np.array([3, 5, 6]))
    metrics = write_results(model_copy, labels, probs)
    assert metrics["test_errors"] == 1
    assert "train_seconds" in metrics  # merged with what training wrote
    got_labels, got_probs = load_predictions(model_copy)
    np.testing.assert_array_equal(got_labels, labels)
    np.testing.assert_allclose(got_probs, probs)


def test_error_colours_single_out_the_mistakes():
    confusion = np.array([[50, 0, 4], [1, 40, 0], [0, 0, 30]])
    fills = error_colors(confusion)
    assert fills[0][0] == fills[1][1] == fills[2][2] == DIAGONAL_COLOR
    assert fills[0][1] == fills[1][2] == "#ffffff"  # no error, no colour
    reds = [fills[1][0], fills[0][2]]  # 1 and 4 errors
    assert "#ffffff" not in reds and DIAGONAL_COLOR not in reds
    darkness = [sum(int(c[k:k + 2], 16) for k in (1, 3, 5)) for c in reds]
    assert darkness[1] < darkness[0]  # more errors, darker red


@pytest.mark.parametrize("digit_share", [0.5, 1e-9, 1e-38, 1e-44, 0.0])
def test_digit_probabilities_sum_to_one_however_sure_the_model_is_of_no_digit(digit_share):
    from hwr.reading.outputs import split_scores

    scores = np.zeros((2, 11), np.float32)
    scores[:, 3] = np.float32(digit_share * 0.7)
    scores[:, 5] = np.float32(digit_share * 0.3)
    scores[:, 10] = 1.0 - digit_share
    digits, not_digit = split_scores(scores)
    assert digits.shape == (2, 10) and not_digit.shape == (2,)
    np.testing.assert_allclose(digits.sum(axis=1), 1.0, atol=1e-6)
    if digit_share >= 1e-9:
        assert digits[0].argmax() == 3
    single, _ = split_scores(scores[0])
    assert single.shape == (10,) and single.sum() == pytest.approx(1.0, abs=1e-6)


def _always(answer: int):
    """A stand-in model's softmax that gives ``answer`` (10: "not a digit") to everything."""
    def score(images):
        scores = np.zeros((len(images), 11), np.float32)
        scores[:, answer] = 1.0
        return scores
    return score


def test_the_long_flag_one_and_short_bar_seven_are_measured_both_ways(mnist_test):
    """28x28 (styles drawn onto MNIST test digits) and drawn with canvas strokes."""
    from hwr.learning.evaluate import drawn_style_metrics, style_metrics

    images, labels = mnist_test
    picked = np.concatenate([np.flatnonzero(labels == d)[:10] for d in (0, 1, 7)])
    styles = style_metrics(_always(1), images[picked], labels[picked])
    assert styles["long_flag_one"]["accuracy"] == 1.0 and styles["long_flag_one"]["count"] == 10
    assert styles["short_bar_seven"]["accuracy"] == 0.0  # made from the 1s, read as 1
    assert styles["short_bar_seven"]["read_as"] == {"1": 10}
    drawn = drawn_style_metrics(_always(7), count=4)
    assert drawn["short_bar_seven"]["accuracy"] == 1.0
    assert drawn["long_flag_one"] == {"accuracy": 0.0, "count": 4, "flagged_not_a_digit": 0.0,
                                      "read_as": {"7": 4}}


def test_held_out_pen_letters_are_measured_letter_by_letter():
    from hwr.learning.evaluate import pen_letter_metrics
    from hwr.learning.nondigits import HERSHEY_TEST_FONTS, MEASURED_LETTERS

    flagged_all = pen_letter_metrics(_always(10), per_letter=1)
    assert flagged_all["flagged"] == 1.0 and flagged_all["count"] == len(MEASURED_LETTERS)
    assert list(flagged_all["by_letter"]) == list(MEASURED_LETTERS)
    assert flagged_all["fonts"] == list(HERSHEY_TEST_FONTS)
    assert set(pen_letter_metrics(_always(4), per_letter=1)["by_letter"].values()) == {0.0}
