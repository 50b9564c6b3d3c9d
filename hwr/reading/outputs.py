"""What a model's output means: ten digits, and an eleventh class for "not a digit".

This is the contract between a trained model and everything that reads its softmax.
Reading (``DigitRecognizer``) and learning (training, evaluation, fine-tuning) both
depend on it, so it lives here, in the lower package: learning imports reading, and
reading never imports learning.
"""

from __future__ import annotations

import numpy as np

NUM_CLASSES = 10  # the digits
NOT_A_DIGIT = NUM_CLASSES  # the eleventh output of a model that knows non-digits
NOT_A_DIGIT_THRESHOLD = 0.5  # "not a digit" when the model gives it at least this
UNSURE_CONFIDENCE = 0.6  # below this top probability an answer is "not sure"
UNSURE_MARGIN = 0.25  # ... and also when the runner-up is this close


def split_scores(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A model's softmax -> (the digits' probabilities, the probability of no digit).

    The digits' probabilities are renormalized to sum to 1: they answer "if this is a
    digit, which one?", which is what the bars and the confusion matrix show. A
    ten-class model (one trained before "not a digit" existed) never says no digit."""
    scores = np.asarray(scores, np.float32)
    if scores.shape[-1] == NUM_CLASSES:
        return scores, np.zeros(scores.shape[:-1], np.float32)
    # float64: when the model is sure there is no digit, the digits' share can be a
    # denormal float32 (1e-40), and dividing there would not sum to 1
    digits = scores[..., :NUM_CLASSES].astype(np.float64)
    total = digits.sum(axis=-1, keepdims=True)
    some = total > 0
    digits = np.where(some, digits / np.where(some, total, 1.0), 1.0 / NUM_CLASSES)
    return digits.astype(np.float32), scores[..., NOT_A_DIGIT]


def flagged(not_digit: np.ndarray) -> np.ndarray:
    """Which of these "not a digit" probabilities are high enough to say so."""
    return np.asarray(not_digit) >= NOT_A_DIGIT_THRESHOLD


def is_unsure(probabilities: np.ndarray) -> bool:
    """Whether an answer is "not sure": its top probability is low, or the runner-up's
    is close to it. Here, beside the output's meaning, because the Draw page and the
    answer channel (``hwr.server.answer_channel``) must flag the same answers."""
    top, second = np.sort(probabilities)[::-1][:2]
    return bool(top < UNSURE_CONFIDENCE or top - second < UNSURE_MARGIN)


def runner_up(probabilities: np.ndarray) -> tuple[int, float]:
    """The second most probable digit and its probability."""
    order = np.argsort(probabilities)[::-1]
    return int(order[1]), float(probabilities[order[1]])
