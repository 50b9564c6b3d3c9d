"""Paths and small files the tests and benchmarks write: the checkout, tiny IDX data
sets of learnable fake digits, and the user tools of scripts/ imported from their files."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from hwr.learning.data import idx_bytes

REPO = Path(__file__).resolve().parents[2]
SHARED_MNIST = REPO.parent / "shared" / "mnist"


def load_script(name: str):
    """A module of scripts/ (not a package), imported from its file."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Learnable fake digits: class c is a bright bar at row 2 + 2c, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, c in enumerate(labels):
        images[i, 4 + 2 * c : 6 + 2 * c, 4:24] = 255
    return images, labels


def write_mnist_dir(path: Path, n_train: int = 400, n_test: int = 100,
                    compress: bool = True) -> Path:
    """The four MNIST IDX files, filled with ``synthetic_digits``."""
    path.mkdir(parents=True, exist_ok=True)
    x_train, y_train = synthetic_digits(n_train, seed=1)
    x_test, y_test = synthetic_digits(n_test, seed=2)
    for stem, array in (("train-images-idx3-ubyte", x_train), ("train-labels-idx1-ubyte", y_train),
                        ("t10k-images-idx3-ubyte", x_test), ("t10k-labels-idx1-ubyte", y_test)):
        data = idx_bytes(array)
        if compress:
            (path / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (path / stem).write_bytes(data)
    return path
