"""The MNIST training digits a class's fine-tune replays, shipped beside the model as
``replay.npz``, so that teaching the model needs no MNIST files and no network.

The file holds two stratified, seeded samples of the MNIST *training* split (never the
test set), uint8 as MNIST stores them, with their index in MNIST's training files:

- ``images``/``labels``/``indices``: the replay, drawn from the digits the shipped model
  trained on (its validation split left out), the same number of each digit;
- ``check_images``/``check_labels``/``check_indices``: digits from the shipped model's
  validation split, which it never learned from: where the MNIST test set is not at hand
  (no ``$HWR_DATA_DIR``), the fine-tune measures on them what the model forgot.

Every fine-tune replays this file, whatever the server's ``$HWR_DATA_DIR``: a class's
new model does not depend on a server setting. ``python scripts/replay_digits.py
--data-dir DIR`` writes it again from the MNIST files (the same digits for the same
model and arguments). The digits are MNIST's, under CC BY-SA 3.0 (``ATTRIBUTION``, the
file's ``attribution`` entry and ``DATA-LICENCE.md`` beside it).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

from hwr.learning.data import Mnist, MnistFileError, resolve_data_dir
from hwr.model_dir import CONFIG_FILE, REPLAY_FILE
from hwr.reading.outputs import NUM_CLASSES
from hwr.sizes import IMAGE_SIZE

SHIPPED_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "default"
REPLAY_PATH = SHIPPED_MODEL_DIR / REPLAY_FILE
REPLAY_DIGITS = 3_000  # the replay: 300 of each digit
CHECK_DIGITS = 2_000  # the check: 200 of each digit
SEED = 20_240_038
ATTRIBUTION = ("MNIST training digits from the MNIST database (Yann LeCun, Corinna Cortes "
               "and Christopher J. C. Burges, derived from NIST data), used under the "
               "Creative Commons Attribution-Share Alike 3.0 licence (CC BY-SA 3.0).")
TRAIN_SPLIT = 60_000  # indices refer to MNIST's training files


class ReplayFileError(Exception):
    """The replay file is missing or damaged; the message says which, for the log (the
    Class page tells the teacher in one sentence: ``hwr.teaching.sentences.NO_REPLAY``)."""


@dataclasses.dataclass(frozen=True)
class ReplayDigits:
    """The shipped replay and check digits (uint8, MNIST's conventions)."""

    images: np.ndarray
    labels: np.ndarray
    check_images: np.ndarray
    check_labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def _stratified(labels: np.ndarray, pool: np.ndarray, count: int,
                rng: np.random.Generator) -> np.ndarray:
    """``count // 10`` indices of each digit from ``pool``, ascending."""
    per_digit = count // NUM_CLASSES
    chosen = [rng.choice(pool[labels[pool] == d], size=per_digit, replace=False)
              for d in range(NUM_CLASSES)]
    return np.sort(np.concatenate(chosen))


def select(mnist: Mnist, model_dir: str | Path = SHIPPED_MODEL_DIR,
           digits: int = REPLAY_DIGITS, check: int = CHECK_DIGITS,
           seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(replay indices, check indices) into MNIST's training split: the replay from the
    digits the model in ``model_dir`` trained on, the check from its validation split."""
    from hwr.learning.config import TrainConfig

    config = TrainConfig.from_json(Path(model_dir) / CONFIG_FILE)
    order = np.random.default_rng(config.data_seed).permutation(len(mnist.x_train))
    if config.limit:  # as hwr.learning.train.split_train_validation carves it
        order = order[: config.limit]
    n_val = min(config.validation_size, max(1, len(order) // 10))
    validation, trained = order[:n_val], order[n_val:]
    rng = np.random.default_rng(seed)
    return (_stratified(mnist.y_train, trained, digits, rng),
            _stratified(mnist.y_train, validation, check, rng))


def write_replay(mnist: Mnist, path: str | Path = REPLAY_PATH,
                 model_dir: str | Path = SHIPPED_MODEL_DIR, digits: int = REPLAY_DIGITS,
                 check: int = CHECK_DIGITS, seed: int = SEED) -> Path:
    """Write the replay file for the model in ``model_dir`` from MNIST's training split."""
    if len(mnist.x_train) != TRAIN_SPLIT:
        raise MnistFileError(f"{len(mnist.x_train)} training digits: the replay file "
                             f"needs MNIST's full training split ({TRAIN_SPLIT})")
    replay, held = select(mnist, model_dir, digits, check, seed)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp, images=mnist.x_train[replay].astype(np.uint8),
        labels=mnist.y_train[replay].astype(np.uint8), indices=replay.astype(np.int32),
        check_images=mnist.x_train[held].astype(np.uint8),
        check_labels=mnist.y_train[held].astype(np.uint8), check_indices=held.astype(np.int32),
        seed=np.int64(seed), attribution=np.str_(ATTRIBUTION))
    tmp.replace(path)
    return path


def read_replay(path: str | Path | None = None) -> ReplayDigits:
    """The replay file (default: the shipped one, ``REPLAY_PATH``); ReplayFileError with a
    sentence (for the log) if it is missing or damaged. Never reads anything else, never
    downloads."""
    path = Path(path or REPLAY_PATH)
    if not path.is_file():
        raise ReplayFileError(f"the replay file {path} is missing")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in ("images", "labels", "check_images",
                                           "check_labels")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise ReplayFileError(f"the replay file {path} cannot be read: {e}") from e
    for part in ("", "check_"):
        images, labels = arrays[part + "images"], arrays[part + "labels"]
        if not (images.dtype == np.uint8 and labels.dtype == np.uint8 and len(labels) > 0
                and images.shape == (len(labels), IMAGE_SIZE, IMAGE_SIZE)
                and labels.ndim == 1 and labels.max() < NUM_CLASSES):
            raise ReplayFileError(f"the replay file {path} is damaged: its {part}images "
                                  "are not uint8 28x28 digits with labels 0-9")
    return ReplayDigits(arrays["images"], arrays["labels"], arrays["check_images"],
                        arrays["check_labels"])


def replay_mnist(path: str | Path | None = None,
                 data_dir: str | os.PathLike | None = None) -> Mnist:
    """What a fine-tune needs, with no download ever: the shipped replay digits as the
    training part; as the measuring part MNIST's test set from ``data_dir`` (or
    ``$HWR_DATA_DIR``) when it is set and readable, else the shipped check digits
    (``Mnist.source`` says which). Raises ReplayFileError."""
    from hwr.learning.data import load_test_set

    shipped = read_replay(path)
    chosen = resolve_data_dir(data_dir)
    if chosen is not None:
        try:
            x_test, y_test = load_test_set(chosen)
            return Mnist(shipped.images, shipped.labels, x_test, y_test,
                         source=REPLAY_FILE, checksums={}, measured_on="test")
        except (MnistFileError, OSError, ValueError):
            pass  # measured on the shipped check digits instead
    return Mnist(shipped.images, shipped.labels, shipped.check_images, shipped.check_labels,
                 source=REPLAY_FILE, checksums={}, measured_on="check")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=None,
                   help="directory with the MNIST IDX files (default: $HWR_DATA_DIR; "
                        "nothing is downloaded)")
    p.add_argument("--model-dir", default=str(SHIPPED_MODEL_DIR),
                   help="the model whose training digits are replayed (its config.json "
                        "names its validation split); default: the shipped model")
    p.add_argument("--out", default=None,
                   help=f"the file to write (default: MODEL_DIR/{REPLAY_FILE})")
    p.add_argument("--digits", type=int, default=REPLAY_DIGITS,
                   help=f"replay digits, the same number of each (default: {REPLAY_DIGITS})")
    p.add_argument("--check", type=int, default=CHECK_DIGITS,
                   help=f"check digits from the model's validation split (default: "
                        f"{CHECK_DIGITS})")
    p.add_argument("--seed", type=int, default=SEED, help=f"default: {SEED}")
    args = p.parse_args(argv)
    from hwr.learning.data import load_from_dir

    data_dir = resolve_data_dir(args.data_dir)
    if data_dir is None:
        print("error: give --data-dir or set HWR_DATA_DIR (nothing is downloaded)",
              file=sys.stderr)
        return 2
    try:
        mnist = load_from_dir(data_dir)
        out = Path(args.out) if args.out else Path(args.model_dir) / REPLAY_FILE
        path = write_replay(mnist, out, args.model_dir, args.digits, args.check, args.seed)
        shipped = read_replay(path)
    except (MnistFileError, ReplayFileError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path}: {len(shipped):,} replay and {len(shipped.check_labels):,} check "
          f"digits, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
