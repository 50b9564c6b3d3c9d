"""A model's gallery file: the MNIST test images the Evaluation page shows, for a server
that cannot read MNIST (no data directory, no network).

``gallery.npz`` (hwr.model_dir.GALLERY_FILE) beside the model holds every test image the
model misreads, the page's "least confident right predictions", the first few of each
confusion-matrix cell in the page's order (most confident first), and the digits the
writing-styles figure restyles: at most ``MAX_IMAGES`` 28x28 images, about 100 KB
compressed, each with its index in the test set and its true digit. The full MNIST files
never enter the repository; these images are MNIST's, under CC BY-SA 3.0 (see
``ATTRIBUTION``).

    python -m hwr.learning.gallery MODEL_DIR [--data-dir DIR]

writes it from the model's saved test predictions (scripts/evaluate.py writes it too).
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwr.model_dir import GALLERY_FILE
from hwr.sizes import IMAGE_SIZE
from hwr.translation import N_

MAX_IMAGES = 400  # the file's cap: about 100 KB compressed
PER_CELL = 30  # the first images of each confusion-matrix cell, as the page orders them
HESITANT = 16  # the page's "least confident right predictions"
STYLE_EXAMPLES = 10  # digits restyled in the page's writing-styles figure, per style
TEST_COUNT = 10_000
ATTRIBUTION = N_("The test images shown are from the MNIST database (Yann LeCun, Corinna "
                 "Cortes and Christopher J. C. Burges), used under the Creative Commons "
                 "Attribution-Share Alike 3.0 licence (CC BY-SA 3.0).")


class GalleryError(Exception):
    """The gallery file is missing or cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Gallery:
    """Test images by their index in the MNIST test set (``indices`` ascending)."""

    indices: np.ndarray  # int, ascending, unique
    images: np.ndarray  # uint8 (n, 28, 28)
    labels: np.ndarray  # the true digit of each

    def __len__(self) -> int:
        return len(self.indices)

    def held(self, wanted: np.ndarray) -> np.ndarray:
        """The indices of ``wanted`` this gallery holds, in ``wanted``'s order."""
        wanted = np.asarray(wanted, dtype=np.int64)
        return wanted[np.isin(wanted, self.indices)]

    def image(self, index: int) -> np.ndarray:
        """The image of one test index the gallery holds (KeyError otherwise)."""
        at = int(np.searchsorted(self.indices, index))
        if at == len(self.indices) or self.indices[at] != index:
            raise KeyError(index)
        return self.images[at]


def cell_order(labels: np.ndarray, probabilities: np.ndarray, true_digit: int,
               predicted_digit: int) -> np.ndarray:
    """One confusion-matrix cell's test indices as the Evaluation page lists them: the
    most confident in ``predicted_digit`` first."""
    predicted = probabilities.argmax(axis=1)
    cell = np.flatnonzero((labels == true_digit) & (predicted == predicted_digit))
    return cell[np.argsort(-probabilities[cell, predicted_digit], kind="stable")]


def style_example_indices(labels: np.ndarray) -> np.ndarray:
    """The test digits the writing-styles figure restyles (hwr.learning.styles.examples
    takes the first ``STYLE_EXAMPLES`` of each style's digit)."""
    from hwr.learning.styles import SOURCE_DIGIT, STYLES

    digits = {SOURCE_DIGIT.get(name, digit) for name, (digit, _) in STYLES.items()}
    return np.concatenate([np.flatnonzero(labels == d)[:STYLE_EXAMPLES]
                           for d in sorted(digits)])


def select(labels: np.ndarray, probabilities: np.ndarray, max_images: int = MAX_IMAGES,
           per_cell: int = PER_CELL, style_examples: bool = True) -> np.ndarray:
    """The test indices the gallery holds, ascending.

    In order of need, cut at ``max_images``: every misread image (the most confident
    mistakes first), the least confident right answers, the styles figure's digits, then
    the first ``per_cell`` of each diagonal cell, one image per cell in turn."""
    from hwr.learning.evaluate import confident_mistakes, hesitant_successes

    labels = np.asarray(labels)
    wrong = confident_mistakes(labels, probabilities, len(labels))
    parts = [wrong, hesitant_successes(labels, probabilities, HESITANT)]
    if style_examples:
        parts.append(style_example_indices(labels))
    cells = [cell_order(labels, probabilities, d, d)[:per_cell] for d in range(10)]
    for rank in range(per_cell):  # round robin: a cap cuts every cell alike
        parts.append(np.array([c[rank] for c in cells if rank < len(c)], dtype=np.int64))
    chosen = np.concatenate([np.asarray(p, dtype=np.int64) for p in parts])
    _, first = np.unique(chosen, return_index=True)
    return np.sort(chosen[np.sort(first)][:max_images])


def write_gallery(model_dir: str | Path, images: np.ndarray, labels: np.ndarray,
                  probabilities: np.ndarray, max_images: int = MAX_IMAGES,
                  per_cell: int = PER_CELL) -> Path:
    """Write ``gallery.npz`` into ``model_dir`` for these test predictions."""
    if len(images) != len(labels) or len(labels) != len(probabilities):
        raise ValueError(f"{len(images)} images, {len(labels)} labels and "
                         f"{len(probabilities)} predictions: not one test set")
    chosen = select(labels, probabilities, max_images, per_cell)
    path = Path(model_dir) / GALLERY_FILE
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, indices=chosen.astype(np.int16),
                        images=np.asarray(images[chosen], dtype=np.uint8),
                        labels=np.asarray(labels[chosen], dtype=np.uint8))
    tmp.replace(path)
    return path


def read_gallery(path: str | Path) -> Gallery:
    """The gallery in ``path``; GalleryError with a sentence if it is missing or damaged."""
    path = Path(path)
    if not path.exists():
        raise GalleryError(f"this model has no gallery file ({path.name})")
    try:
        with np.load(path, allow_pickle=False) as data:
            indices = data["indices"].astype(np.int64)
            images, labels = data["images"], data["labels"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise GalleryError(f"its gallery file ({path.name}) cannot be read: {e}") from e
    n = len(indices)
    if not (indices.ndim == 1 and images.shape == (n, IMAGE_SIZE, IMAGE_SIZE)
            and images.dtype == np.uint8 and labels.shape == (n,)
            and np.all(np.diff(indices) > 0) and (n == 0 or (indices[0] >= 0 and
                                                            indices[-1] < TEST_COUNT))
            and np.all(labels < 10)):
        raise GalleryError(f"its gallery file ({path.name}) is damaged: not ascending "
                           f"test indices with 28x28 images and their digits")
    return Gallery(indices, images, labels.astype(np.int64))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", help="a model directory with its test_predictions.npz")
    p.add_argument("--data-dir", default=None,
                   help="directory with the MNIST IDX files; default: $HWR_DATA_DIR, "
                        "else download")
    args = p.parse_args(argv)
    from hwr.learning.data import MnistFileError, load_test_set
    from hwr.learning.evaluate import StalePredictionsError, load_predictions

    try:
        labels, probabilities = load_predictions(args.model_dir)
        images, test_labels = load_test_set(args.data_dir)
    except (StalePredictionsError, MnistFileError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not np.array_equal(labels, test_labels):
        print("error: the saved predictions are not for this MNIST test set",
              file=sys.stderr)
        return 1
    path = write_gallery(args.model_dir, images, labels, probabilities)
    print(f"wrote {path}: {len(read_gallery(path))} images, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
