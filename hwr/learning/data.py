"""MNIST loading: the original IDX files from a local directory, or a download.

Machines without internet (CI, classrooms behind a firewall) read the four IDX files
from a directory given by ``--data-dir`` or ``HWR_DATA_DIR``; every file is checked
(magic number, shape, count, label range) so a truncated or wrong file fails loudly
with its name instead of training on garbage.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwr import settings
from hwr.reading.outputs import NUM_CLASSES
from hwr.sizes import IMAGE_SIZE

TRAIN_COUNT = 60_000
TEST_COUNT = 10_000

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class MnistFileError(ValueError):
    """An IDX file is missing, truncated or not what its name says."""


@dataclass(frozen=True)
class Mnist:
    """MNIST as uint8 arrays (images N x 28 x 28, 0 = background) plus provenance."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    checksums: dict[str, str]
    # what x_test/y_test are: "test", MNIST's test set; "check", the shipped replay
    # file's check digits (training-split digits the shipped model never learned)
    measured_on: str = "test"


def _read_idx(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as e:  # gzip raises these for truncated/corrupt streams
        raise MnistFileError(f"{path}: cannot read ({e})") from e


def parse_idx(raw: bytes, name: str, expect_dims: int) -> np.ndarray:
    """Parse an IDX byte string, checking magic number, dimensions and payload size."""
    header_len = 4 + 4 * expect_dims
    if len(raw) < header_len:
        raise MnistFileError(f"{name}: truncated header ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    expected_magic = 0x00000800 | expect_dims  # 0x08: unsigned bytes
    if magic != expected_magic:
        raise MnistFileError(
            f"{name}: bad magic number 0x{magic:08x}, expected 0x{expected_magic:08x}"
        )
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(expect_dims)]
    payload = len(raw) - header_len
    if payload != int(np.prod(dims)):
        raise MnistFileError(
            f"{name}: header says {dims} ({int(np.prod(dims))} bytes) but {payload} bytes follow"
            " (truncated or corrupt file)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(dims)


def _find(data_dir: Path, stem: str) -> Path:
    for candidate in (data_dir / f"{stem}.gz", data_dir / stem):
        if candidate.exists():
            return candidate
    raise MnistFileError(f"{data_dir}: missing {stem}.gz (or {stem})")


def _check_pair(images: np.ndarray, labels: np.ndarray, names: tuple[str, str]) -> None:
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise MnistFileError(f"{names[0]}: images are {images.shape[1:]}, expected 28x28")
    if len(images) != len(labels):
        raise MnistFileError(
            f"{names[0]} has {len(images)} images but {names[1]} has {len(labels)} labels"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise MnistFileError(f"{names[1]}: label {labels.max()} outside 0-9")


def load_from_dir(data_dir: str | os.PathLike) -> Mnist:
    """Read and validate the four IDX files (``.gz`` or raw) in ``data_dir``."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise MnistFileError(f"{data_dir}: not a directory")
    arrays: dict[str, np.ndarray] = {}
    checksums: dict[str, str] = {}
    for key, stem in FILES.items():
        path = _find(data_dir, stem)
        raw = _read_idx(path)
        checksums[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        arrays[key] = parse_idx(raw, path.name, 3 if key.endswith("images") else 1)
    for split in ("train", "test"):
        _check_pair(
            arrays[f"{split}_images"],
            arrays[f"{split}_labels"],
            (FILES[f"{split}_images"], FILES[f"{split}_labels"]),
        )
    return Mnist(
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        source=str(data_dir.resolve()),
        checksums=checksums,
    )


def _download() -> Mnist:
    import keras  # imported here: loading from a directory needs no TensorFlow

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    checksums = {
        name: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
        for name, a in (("x_train", x_train), ("y_train", y_train),
                        ("x_test", x_test), ("y_test", y_test))
    }
    return Mnist(x_train, y_train, x_test, y_test, source="keras.datasets.mnist",
                 checksums=checksums)


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The directory to read MNIST from: the argument, else ``$HWR_DATA_DIR``, else None."""
    return Path(data_dir) if data_dir else settings.data_dir()


def load_mnist(data_dir: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from ``data_dir`` / ``$HWR_DATA_DIR``; with neither, download it."""
    chosen = resolve_data_dir(data_dir)
    return load_from_dir(chosen) if chosen else _download()


def load_test_set(data_dir: str | os.PathLike | None = None,
                  download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Only the 10,000 test images and labels: what evaluation and the pages need.
    With no folder, downloaded (scripts), or with ``download=False`` (the app's pages: a
    school's server asks no outside service) MnistFileError."""
    chosen = resolve_data_dir(data_dir)
    if chosen is None:
        if not download:
            raise MnistFileError("no MNIST folder: HWR_DATA_DIR is not set")
        mnist = _download()
        return mnist.x_test, mnist.y_test
    images = parse_idx(_read_idx(_find(chosen, FILES["test_images"])), FILES["test_images"], 3)
    labels = parse_idx(_read_idx(_find(chosen, FILES["test_labels"])), FILES["test_labels"], 1)
    _check_pair(images, labels, (FILES["test_images"], FILES["test_labels"]))
    return images, labels


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in the IDX format (the inverse of :func:`parse_idx`)."""
    header = (0x0800 | array.ndim).to_bytes(4, "big")
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def load_extra(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Extra training digits (e.g. a class's export): an ``.npz`` with x and y, or a
    directory with MNIST-style training IDX files. Returns uint8 images and labels."""
    path = Path(path)
    if path.is_dir():
        images = parse_idx(_read_idx(_find(path, FILES["train_images"])), str(path), 3)
        labels = parse_idx(_read_idx(_find(path, FILES["train_labels"])), str(path), 1)
    else:
        try:
            with np.load(path, allow_pickle=False) as data:
                images, labels = data["x"], data["y"]
        except (OSError, ValueError, KeyError) as e:
            raise MnistFileError(f"{path}: not an .npz with arrays x and y ({e})") from e
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise MnistFileError(f"{path}: x and y must be uint8 (MNIST's conventions)")
    _check_pair(images, labels, (str(path), str(path)))
    return images, labels


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 0-255 (N, 28, 28) -> float32 [0, 1] (N, 28, 28, 1), the CNN's input."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]
