"""Synthetic classes whose handwriting the shipped model misreads, for the fine-tune's
tests and benchmark.

A real class's quirk stands in for what MNIST lacks: here the class writes on tablets
lying askew on their desks, so every digit leans 35-50 degrees the same way (each
student at their own angle), well past the 10 degrees the model's augmentation taught.
The digits come from the shipped model's validation split, images it never trained on,
and never from the MNIST test set, which the fine-tune reports on.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from scipy import ndimage

from hwr.settings import SHIPPED_MODEL_DIR
from hwr.learning.config import TrainConfig
from hwr.learning.data import Mnist
from hwr.learning.finetune import ClassDigits
from hwr.learning.train import split_train_validation


def unseen_digits(mnist: Mnist) -> tuple[np.ndarray, np.ndarray]:
    """The shipped model's validation split: MNIST training images it never learned."""
    config = TrainConfig.from_json(SHIPPED_MODEL_DIR / "config.json")
    _, (images, labels) = split_train_validation(mnist, config)
    return images, labels


def replay_without_unseen(mnist: Mnist) -> Mnist:
    """MNIST whose training part leaves out the validation split, for fine-tunes on a
    class made from it: the replay then never shows a held-out class digit upright."""
    config = TrainConfig.from_json(SHIPPED_MODEL_DIR / "config.json")
    (images, labels), _ = split_train_validation(mnist, config)
    return dataclasses.replace(mnist, x_train=images, y_train=labels)


def tilted_class(mnist: Mnist, count: int = 300, students: int = 12, seed: int = 0,
                 degrees: tuple[float, float] = (35.0, 50.0)) -> ClassDigits:
    """``count`` digits by ``students`` students, each tilting all their digits by their
    own angle: float images in [0, 1], labels, who wrote each."""
    return tilted_class_with_test(mnist, count, 0, students, seed, degrees)[0]


def tilted_class_with_test(mnist: Mnist, count: int = 300, test: int = 600,
                           students: int = 12, seed: int = 0,
                           degrees: tuple[float, float] = (35.0, 50.0)
                           ) -> tuple[ClassDigits, ClassDigits]:
    """``tilted_class``'s class (the same digits for the same arguments) and ``test``
    more digits by the same students at the same angles, none of them in the class: what
    a fine-tune on the class is measured on, whatever its labels."""
    rng = np.random.default_rng(seed)
    images, labels = unseen_digits(mnist)
    pick = rng.choice(len(images), size=count, replace=False)
    angles = rng.uniform(*degrees, size=students)
    rest = np.setdiff1d(np.arange(len(images)), pick)
    test_pick = rng.choice(rest, size=test, replace=False) if test else pick[:0]

    def tilt(chosen: np.ndarray) -> ClassDigits:
        writer = np.arange(len(chosen)) % students
        tilted = np.stack([
            ndimage.rotate(images[i].astype(np.float32) / 255.0, angles[w], reshape=False,
                           order=1) for i, w in zip(chosen, writer)]) if len(chosen) else \
            np.zeros((0, 28, 28), np.float32)
        return ClassDigits(np.clip(tilted, 0, 1), labels[chosen].astype(np.int64),
                           tuple(f"student-{w}" for w in writer))

    return tilt(pick), tilt(test_pick)


def prank(digits: ClassDigits, student: str, count: int,
          seed: int = 0) -> tuple[ClassDigits, np.ndarray]:
    """The class with one student filing ``count`` of their digits under wrong labels
    (each a random other digit), and which digits those are (bool). The student must have
    written at least ``count`` digits."""
    mine = np.flatnonzero(np.array(digits.students) == student)
    if len(mine) < count:
        raise ValueError(f"{student} wrote {len(mine)} digits, fewer than {count}")
    rng = np.random.default_rng(seed)
    wrong = np.sort(rng.choice(mine, size=count, replace=False))
    labels = digits.labels.copy()
    labels[wrong] = (labels[wrong] + rng.integers(1, 10, size=count)) % 10
    pranked = np.zeros(len(labels), bool)
    pranked[wrong] = True
    return ClassDigits(digits.images, labels, digits.students), pranked


def drawing_image(seed: int) -> np.ndarray:
    """A distinct 28x28 drawing with ink enough to learn from, for a class's database."""
    out = np.zeros((28, 28), np.float32)
    out[4:24, 8:20] = np.random.default_rng(seed).uniform(0.3, 1.0, (20, 12))
    return out


def sure(digit: int) -> np.ndarray:
    """The model's probabilities, 99% on ``digit``."""
    p = np.full(10, 0.01 / 9)
    p[digit] = 0.99
    return p


CLASS_MEMORY = 1.1  # s: a server remembers the running class a second (class_state)


def end_any_class(database) -> None:
    """End the class a browser test's failed first try left running in ``database`` (a
    path or URL), so that its rerun starts as the first try did, with no class."""
    from hwr.class_data.collection import ClassCollection

    collection = ClassCollection(database)
    if collection.current_class() is not None:
        collection.end_class()
        time.sleep(CLASS_MEMORY)
