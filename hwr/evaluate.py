"""Measuring a model on the MNIST test set, with scikit-learn's metrics.

The results are saved in the model directory (``metrics.json`` and the per-image test
probabilities) so the Evaluation page never re-runs 10,000 predictions per visit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from hwr.data import NUM_CLASSES

METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "test_predictions.npz"
MODEL_FILE = "model.keras"
CLASSES = list(range(NUM_CLASSES))


class StalePredictionsError(RuntimeError):
    """Saved test predictions are missing or were made by another model file."""


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def compute_metrics(y_true: np.ndarray, probabilities: np.ndarray) -> dict:
    """Accuracy, loss, per-class precision/recall/F1/support and the confusion matrix."""
    from sklearn.metrics import (  # here: the app imports this module on every start
        accuracy_score,
        confusion_matrix,
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
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=CLASSES).tolist(),
    }


def save_predictions(model_dir: str | Path, labels: np.ndarray, probabilities: np.ndarray) -> None:
    """Per-image test probabilities, tied to the model file by its checksum (no pickles)."""
    model_dir = Path(model_dir)
    np.savez_compressed(
        model_dir / PREDICTIONS_FILE,
        labels=labels.astype(np.uint8),
        probabilities=probabilities.astype(np.float32),
        model_sha256=np.array(file_sha256(model_dir / MODEL_FILE)),
    )


def load_predictions(model_dir: str | Path) -> tuple[np.ndarray, np.ndarray]:
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
    if saved_sha != file_sha256(model_dir / MODEL_FILE):
        raise StalePredictionsError(f"{path} was made by another version of {MODEL_FILE}")
    if probs.shape != (len(labels), NUM_CLASSES):
        raise StalePredictionsError(f"{path} holds probabilities of shape {probs.shape}")
    return labels, probs


def write_results(model_dir: str | Path, labels: np.ndarray, probabilities: np.ndarray,
                  extra: dict | None = None) -> dict:
    """Write ``metrics.json`` (merged with ``extra``, e.g. training time) and predictions."""
    model_dir = Path(model_dir)
    metrics_path = model_dir / METRICS_FILE
    old = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    metrics = {**old, **(extra or {}), **compute_metrics(labels, probabilities)}
    metrics["model_sha256"] = file_sha256(model_dir / MODEL_FILE)
    metrics_path.write_text(json.dumps(metrics, indent=1))
    save_predictions(model_dir, labels, probabilities)
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
