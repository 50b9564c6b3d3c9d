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

import numpy as np
from scipy import ndimage

from hwr.class_data.model_store import SHIPPED_MODEL_DIR
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
    rng = np.random.default_rng(seed)
    images, labels = unseen_digits(mnist)
    pick = rng.choice(len(images), size=count, replace=False)
    angles = rng.uniform(*degrees, size=students)
    writer = np.arange(count) % students
    tilted = np.stack([
        ndimage.rotate(images[i].astype(np.float32) / 255.0, angles[w], reshape=False,
                       order=1) for i, w in zip(pick, writer)])
    return ClassDigits(np.clip(tilted, 0, 1), labels[pick].astype(np.int64),
                       tuple(f"student-{w}" for w in writer))
