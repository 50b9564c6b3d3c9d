#!/usr/bin/env python
"""Compare model directories on the same validation images, to choose between them.

Each run's own validation accuracy is measured on the validation set its own recipe
drew (its writing styles, its non-digits), so two recipes' figures are not comparable.
This scores every model on one set of images made from their shared validation split
(they must share it: train them with the same ``--split-seed``): the plain validation
digits, the same digits with the writing styles as ``hwr.learning.styles`` draws them
now, the validation non-digits (the first stage's letters) and pen-written ones (the
Hershey training fonts, the validation seed), the validation 1s with a long flag and
made into short-bar 7s, the long-flag one and the short-bar 7 drawn with canvas strokes
(another seed than the test's), and the validation digits rendered like canvas
drawings (``hwr/learning/canvas_like.py``, as ``benchmarks/benchmark.py`` renders the test
digits) with --renderings seeds. Prints each model's errors on each set; the test set
is not read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from hwr.model_dir import CONFIG_FILE

SPLIT_FIELDS = ("data_seed", "validation_size", "limit")
VALIDATION_SEED = 1  # of the restyled and drawn sets (the test sets use seed 0)
DRAWN_COUNT = 300  # drawings of each drawn style


def split_of(config) -> tuple:
    return tuple(getattr(config, field) for field in SPLIT_FIELDS)


def validation_sets(config, data_dir, renderings: int) -> dict[str, tuple]:
    """name -> (images as floats in [0, 1], labels); non-digits are labelled 10."""
    from hwr.learning.canvas_like import canvas_like
    from hwr.learning.data import load_mnist
    from hwr.learning.nondigits import to_mnist
    from hwr.learning.styles import DRAWN_STYLES, drawn_test_set, style_test_set
    from hwr.learning.train import add_non_digits, split_train_validation, style_validation
    from hwr.reading.outputs import NOT_A_DIGIT
    from hwr.reading.preprocess import preprocess

    _, (digits, labels) = split_train_validation(load_mnist(data_dir), config)
    styled = style_validation(digits, labels, config.styles, config.data_seed)
    non_digits, _ = add_non_digits(digits[:0], labels[:0],
                                   config.styles.non_digit_validation, config.data_seed + 1,
                                   config.styles.letters)
    pen = (non_digits[:0] if config.styles.letters == "hershey" else  # all pen letters
           add_non_digits(digits[:0], labels[:0], config.styles.non_digit_validation,
                          config.data_seed + 1, "hershey")[0])
    restyled = {name: style_test_set(digits, labels, name, seed=VALIDATION_SEED)
                for name in ("long_flag_one", "short_bar_seven")}
    drawn = {name: drawn_test_set(name, DRAWN_COUNT, seed=VALIDATION_SEED)
             for name in DRAWN_STYLES}
    rendered = [preprocess(canvas_like(digit, np.random.default_rng(seed))).image
                for seed in range(renderings) for digit in digits]
    sets = {
        "plain digits": (digits / 255.0, labels),
        "styled digits": (styled / 255.0, labels),
        "non-digits": (non_digits / 255.0, np.full(len(non_digits), NOT_A_DIGIT)),
        "pen non-digits": (pen / 255.0, np.full(len(pen), NOT_A_DIGIT)),
        **{f"{name.replace('_', ' ')}s": (images / 255.0, y)
           for name, (images, y) in restyled.items()},
        **{f"drawn {name.replace('_', ' ')}s": (to_mnist(canvases) / 255.0, y)
           for name, (canvases, y) in drawn.items()},
        "canvas-like renderings": (np.array(rendered).reshape(-1, 28, 28),
                                   np.tile(labels, renderings)),
    }
    return {name: (images.astype(np.float32), y) for name, (images, y) in sets.items()
            if len(y)}


def errors(rec, images: np.ndarray, labels: np.ndarray) -> int:
    """Images not given their label: a digit's own digit and no "not a digit" flag, or
    "not a digit" for a non-digit."""
    from hwr.reading.outputs import NOT_A_DIGIT, flagged, split_scores

    digits, not_digit = split_scores(rec.predict_scores(images))
    said = np.where(flagged(not_digit), NOT_A_DIGIT, digits.argmax(axis=1))
    return int((said != labels).sum())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dirs", nargs="+", help="model directories to compare")
    p.add_argument("--data-dir", default=None, help="MNIST directory (default $HWR_DATA_DIR)")
    p.add_argument("--renderings", type=int, default=2,
                   help="canvas-like renderings of each validation digit")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args(argv)

    from hwr import DigitRecognizer, ModelLoadError
    from hwr.learning.config import TrainConfig
    from hwr.learning.data import MnistFileError

    try:
        models = [DigitRecognizer.load(d) for d in args.model_dirs]
        configs = [TrainConfig.from_json(Path(d) / CONFIG_FILE) for d in args.model_dirs]
    except (ModelLoadError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    splits = {split_of(c) for c in configs}
    if len(splits) > 1:
        print("error: the models were validated on different splits "
              f"({', '.join(SPLIT_FIELDS)}: {sorted(splits, key=str)}); train them with "
              "the same --split-seed", file=sys.stderr)
        return 1
    try:
        sets = validation_sets(configs[0], args.data_dir, args.renderings)
    except MnistFileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    figures = {d: {name: errors(rec, *images) for name, images in sets.items()}
               for d, rec in zip(args.model_dirs, models)}
    sizes = {name: len(y) for name, (_, y) in sets.items()}
    print("errors on the same validation images (fewer is better):")
    print("  " + " | ".join(f"{name} (of {n})" for name, n in sizes.items()))
    for d, row in figures.items():
        print(f"  {d}: " + " | ".join(str(row[name]) for name in sizes))
    if args.json:
        args.json.write_text(json.dumps({"sizes": sizes, "errors": figures}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
