"""Measuring a model on the MNIST test set, with scikit-learn's metrics.

The results are saved in the model directory (``metrics.json`` and the per-image test
probabilities) so the Evaluation page never re-runs 10,000 predictions per visit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hwr.model_dir import METRICS_FILE, MODEL_FILE, PREDICTIONS_FILE, file_sha256
from hwr.reading.outputs import NUM_CLASSES, flagged, split_scores

CLASSES = list(range(NUM_CLASSES))
NON_DIGIT_TEST_COUNT = 2_000  # held-out non-digit drawings measured per model
DRAWN_STYLE_COUNT = 500  # canvas drawings of each drawn style (hwr.learning.styles)
PEN_LETTERS_PER_LETTER = 100  # held-out pen letters of each measured capital
MEASURED_KEYS = ("styles", "drawn_styles", "not_a_digit")  # written by evaluate_model,
# never kept stale


class StalePredictionsError(RuntimeError):
    """Saved test predictions are missing or were made by another model file."""


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """The 10x10 confusion matrix: rows the true digit, columns the predicted one."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=CLASSES)


def compute_metrics(y_true: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, loss, per-class precision/recall/F1/support and the confusion matrix."""
    from sklearn.metrics import (  # here: the app imports this module on every start
        accuracy_score,
        log_loss,
        precision_recall_fscore_support,
    )

    y_pred = probabilities.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=CLASSES, zero_division=0
    )
    return {
        "test_accuracy": float(accuracy_score(y_true, y_pred)),
        "test_loss": float(log_loss(y_true, probabilities, labels=CLASSES)),
        "test_errors": int((y_pred != y_true).sum()),
        "test_count": int(len(y_true)),
        "per_class": {
            str(c): {
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c in CLASSES
        },
        "confusion_matrix": confusion(y_true, y_pred).tolist(),
    }


def save_predictions(model_dir: str | Path, labels: np.ndarray, probabilities: np.ndarray,
                     model_file: str | Path | None = None) -> None:
    """Per-image test probabilities, tied to the model file by its checksum (no pickles).

    ``model_file`` defaults to the directory's own ``model.keras``; results of a model
    the app may not write beside (the shipped one) go to another directory."""
    model_dir = Path(model_dir)
    np.savez_compressed(
        model_dir / PREDICTIONS_FILE,
        labels=labels.astype(np.uint8),
        probabilities=probabilities.astype(np.float32),
        model_sha256=np.array(file_sha256(model_file or model_dir / MODEL_FILE)),
    )


def load_predictions(model_dir: str | Path,
                     model_file: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(labels, probabilities) saved for this model; raises if missing or stale."""
    model_dir = Path(model_dir)
    path = model_dir / PREDICTIONS_FILE
    if not path.exists():
        raise StalePredictionsError(f"{path} is missing")
    try:
        with np.load(path, allow_pickle=False) as data:
            labels, probs = data["labels"], data["probabilities"]
            saved_sha = str(data["model_sha256"])
    except (OSError, ValueError, KeyError) as e:
        raise StalePredictionsError(f"{path} is unreadable ({e})") from e
    if saved_sha != file_sha256(model_file or model_dir / MODEL_FILE):
        raise StalePredictionsError(f"{path} was made by another version of {MODEL_FILE}")
    if probs.shape != (len(labels), NUM_CLASSES):
        raise StalePredictionsError(f"{path} holds probabilities of shape {probs.shape}")
    return labels, probs


def write_results(model_dir: str | Path, labels: np.ndarray, probabilities: np.ndarray,
                  extra: dict | None = None, model_file: str | Path | None = None) -> dict:
    """Write ``metrics.json`` (merged with ``extra``, e.g. training time) and predictions."""
    model_dir = Path(model_dir)
    model_file = model_file or model_dir / MODEL_FILE
    metrics_path = model_dir / METRICS_FILE
    old = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    for key in MEASURED_KEYS:  # figures of an earlier evaluation, maybe of another model
        old.pop(key, None)
    metrics = {**old, **(extra or {}), **compute_metrics(labels, probabilities)}
    metrics["model_sha256"] = file_sha256(model_file)
    metrics_path.write_text(json.dumps(metrics, indent=1))
    save_predictions(model_dir, labels, probabilities, model_file)
    return metrics


def cell_indices(labels: np.ndarray, predicted: np.ndarray, true_digit: int,
                 predicted_digit: int) -> np.ndarray:
    """Indices of the test images in one confusion-matrix cell, most confident first."""
    return np.flatnonzero((labels == true_digit) & (predicted == predicted_digit))


def most_confused_pairs(confusion: np.ndarray, top: int = 10) -> list[tuple[int, int, int]]:
    """(true, predicted, count) of the largest off-diagonal cells, largest first."""
    off = np.array(confusion, dtype=int)
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    pairs = [(int(i // NUM_CLASSES), int(i % NUM_CLASSES), int(off.flat[i])) for i in order]
    return [p for p in pairs if p[2] > 0]


def confident_mistakes(labels: np.ndarray, probabilities: np.ndarray, top: int) -> np.ndarray:
    """Wrong predictions, the most confident first: where the model is sure and wrong."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return wrong[np.argsort(-probabilities[wrong].max(axis=1))][:top]


def hesitant_successes(labels: np.ndarray, probabilities: np.ndarray, top: int) -> np.ndarray:
    """Right predictions, the least confident first: the near misses."""
    predicted = probabilities.argmax(axis=1)
    right = np.flatnonzero(predicted == labels)
    return right[np.argsort(probabilities[right].max(axis=1))][:top]


def style_metrics(score, images: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    """Accuracy on each writing style drawn onto the MNIST *test* digits (hwr.learning.styles).

    ``score`` maps float (N, 28, 28) images to the model's softmax. A styled digit is
    read right when its digit wins *and* it is not called "not a digit". Also counts
    what the misread ones were read as, so a slashed zero read as 8 shows."""
    from hwr.learning.styles import STYLES, style_test_set

    out = {}
    for name in STYLES:
        images_s, labels_s = style_test_set(images, labels, name, seed)
        digits, not_digit = split_scores(score(images_s.astype(np.float32) / 255.0))
        predicted = digits.argmax(axis=1)
        misread = predicted != labels_s
        wrong = misread | flagged(not_digit)
        out[name] = {
            "accuracy": float(1 - wrong.mean()),
            "count": int(len(labels_s)),
            "flagged_not_a_digit": float(flagged(not_digit).mean()),
            "read_as": {str(d): int(((predicted == d) & misread).sum())
                        for d in CLASSES if ((predicted == d) & misread).any()},
        }
    return out


def _canvas_scores(score, canvases: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Canvas images through the app's preprocessing and the model: (digits, not-digit)."""
    from hwr.learning.nondigits import to_mnist

    return split_scores(score(to_mnist(canvases).astype(np.float32) / 255.0))


def drawn_style_metrics(score, count: int = DRAWN_STYLE_COUNT, seed: int = 0) -> dict:
    """The long-flag one and the short-bar 7 drawn with canvas strokes at random sizes,
    places, brushes and slants (``styles.DRAWN_STYLES``): read right as for
    ``style_metrics``."""
    from hwr.learning.styles import DRAWN_STYLES, drawn_test_set

    out = {}
    for name in DRAWN_STYLES:
        canvases, labels = drawn_test_set(name, count, seed)
        digits, not_digit = _canvas_scores(score, canvases)
        predicted = digits.argmax(axis=1)
        misread = predicted != labels
        out[name] = {
            "accuracy": float(1 - (misread | flagged(not_digit)).mean()),
            "count": int(count),
            "flagged_not_a_digit": float(flagged(not_digit).mean()),
            "read_as": {str(d): int(((predicted == d) & misread).sum())
                        for d in CLASSES if ((predicted == d) & misread).any()},
        }
    return out


def pen_letter_metrics(score, per_letter: int = PEN_LETTERS_PER_LETTER,
                       seed: int = 20_001) -> dict:
    """How many held-out pen-written capitals (``nondigits.MEASURED_LETTERS``, the
    held-out Hershey fonts) are flagged "not a digit", overall and letter by letter."""
    from hwr.learning.nondigits import HERSHEY_TEST_FONTS, pen_letter_canvases

    canvases, chars = pen_letter_canvases(per_letter, seed)
    _, not_digit = _canvas_scores(score, canvases)
    hits, chars = flagged(not_digit), np.array(chars)
    return {
        "flagged": float(hits.mean()),
        "count": int(len(hits)),
        "fonts": list(HERSHEY_TEST_FONTS),
        "by_letter": {c: float(hits[chars == c].mean()) for c in dict.fromkeys(chars)},
    }


def non_digit_metrics(score, count: int = NON_DIGIT_TEST_COUNT, seed: int = 10_001) -> dict:
    """How many held-out non-digit drawings (held-out fonts' pen letters and shapes,
    other seeds) are flagged."""
    from hwr.learning.nondigits import test_canvases, to_mnist

    canvases, kinds = test_canvases(count, seed)
    _, not_digit = split_scores(score(to_mnist(canvases).astype(np.float32) / 255.0))
    hits = flagged(not_digit)
    kinds = np.array(kinds)
    return {
        "flagged": float(hits.mean()),
        "count": int(len(hits)),
        "by_kind": {k: float(hits[kinds == k].mean()) for k in sorted(set(kinds))},
    }


def digit_flag_metrics(labels: np.ndarray, probabilities: np.ndarray,
                       not_digit: np.ndarray) -> dict:
    """Plain MNIST test digits called "not a digit", and the 0/8 confusions."""
    predicted = probabilities.argmax(axis=1)
    return {
        "mnist_flagged": float(flagged(not_digit).mean()),
        "eights_read_as_zero": float((predicted[labels == 8] == 0).mean()),
        "zeros_read_as_eight": float((predicted[labels == 0] == 8).mean()),
    }


def evaluate_model(score, images: np.ndarray, labels: np.ndarray,
                   non_digits: int = NON_DIGIT_TEST_COUNT,
                   small: bool = False) -> tuple[np.ndarray, dict]:
    """Everything measured on a model: the MNIST test digits' probabilities, and the
    extra figures for ``write_results`` (writing styles on MNIST digits and drawn with
    strokes, "not a digit" for shapes, pen letters and digits). ``small``: a few
    drawings of each kind (smoke runs and tests)."""
    probabilities, not_digit = split_scores(score(images.astype(np.float32) / 255.0))
    extra = {
        "styles": style_metrics(score, images, labels),
        "drawn_styles": drawn_style_metrics(score, 20 if small else DRAWN_STYLE_COUNT),
        "not_a_digit": {**digit_flag_metrics(labels, probabilities, not_digit),
                        "non_digits": non_digit_metrics(score, non_digits),
                        "pen_letters": pen_letter_metrics(
                            score, 2 if small else PEN_LETTERS_PER_LETTER)},
    }
    return probabilities, extra
