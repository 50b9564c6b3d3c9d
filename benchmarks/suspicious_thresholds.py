#!/usr/bin/env python
"""The suspicious list's thresholds, tried on synthetic classes with a prank.

Each class is the fine-tune benchmark's (``finetune_benchmark --prank``): 300 tilted
digits by 12 students, one of whom files ``--prank`` digits under wrong labels; the
probabilities are the shipped model's, as the app stores them. For every combination
of thresholds it prints how many prank labels the list catches (the fewest in any
class, and the mean) and how many right labels it flags (false alarms: the most in any
class, and the mean).

The classes are seeds ``--first`` onwards (default 3 to 22): the fine-tune benchmark
reports seeds 0-2, so thresholds chosen here are not chosen on the classes they are
reported on.

    python -m benchmarks.suspicious_thresholds --classes 20 --prank 20
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys

import numpy as np


def classes_with_prank(first: int, count: int, digits: int, pranked: int, data_dir):
    """(labels, probabilities, students, wrong) of each synthetic class."""
    from hwr.learning.data import load_mnist
    from hwr.learning.config import TrainConfig
    from hwr.learning.finetune import split_held_out
    from hwr.reading.outputs import split_scores
    from hwr.reading.recognizer import DEFAULT_MODEL_DIR, DigitRecognizer
    from tests.support.classes import prank, tilted_class_with_test

    mnist = load_mnist(data_dir)
    recognizer = DigitRecognizer.load(DEFAULT_MODEL_DIR)
    config = TrainConfig()
    out = []
    for seed in range(first, first + count):
        clean, _ = tilted_class_with_test(mnist, digits, 1, seed=seed)
        train_idx, _, _ = split_held_out(clean, config.finetune.held_out, config.seed)
        learners = sorted({clean.students[i] for i in train_idx})
        prankster = learners[np.random.default_rng(seed).integers(len(learners))]
        class_digits, wrong = prank(clean, prankster, pranked, seed=seed)
        probabilities = split_scores(recognizer.predict_scores(class_digits.images))[0]
        out.append((class_digits.labels, probabilities, class_digits.students, wrong))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--first", type=int, default=3, help="the first class's seed")
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--digits", type=int, default=300)
    p.add_argument("--prank", type=int, default=20)
    p.add_argument("--data-dir", default=None, help="MNIST (default: $HWR_DATA_DIR)")
    p.add_argument("--json", help="write every combination's figures here")
    args = p.parse_args(argv)
    from hwr.class_data.curation import CurationConfig, flagged

    classes = classes_with_prank(args.first, args.classes, args.digits, args.prank,
                                 args.data_dir)
    rows = []
    grid = itertools.product((0.005, 0.01, 0.02), (0.95, 0.97, 0.98, 0.99), (5,),
                             (0.1, 0.2))
    for label_below, other_above, block_min, block_label_below in grid:
        config = CurationConfig(label_below, other_above, block_min, block_label_below)
        caught, alarms = [], []
        for labels, probabilities, students, wrong in classes:
            flags = flagged(labels, probabilities, students, config)
            caught.append(int((flags & wrong).sum()))
            alarms.append(int((flags & ~wrong).sum()))
        rows.append({"label_below": label_below, "other_above": other_above,
                     "block_min": block_min, "block_label_below": block_label_below,
                     "caught_min": min(caught), "caught_mean": round(float(np.mean(caught)), 2),
                     "false_alarms_max": max(alarms),
                     "false_alarms_mean": round(float(np.mean(alarms)), 2)})
    print(f"{args.classes} classes (seeds {args.first}-{args.first + args.classes - 1}), "
          f"{args.digits} digits, a prank of {args.prank}:")
    print("label_below other_above block_label_below | caught min/mean | "
          "false alarms max/mean")
    default = CurationConfig()
    for r in rows:
        mark = " (the default)" if (r["label_below"], r["other_above"],
                                    r["block_label_below"]) == (
            default.label_below, default.other_above, default.block_label_below) else ""
        print(f"  {r['label_below']:<6} {r['other_above']:<5} {r['block_label_below']:<4} | "
              f"{r['caught_min']:>2} / {r['caught_mean']:<5} | "
              f"{r['false_alarms_max']:>2} / {r['false_alarms_mean']}{mark}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
