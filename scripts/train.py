#!/usr/bin/env python
"""Train the hwr CNN on MNIST and write a model directory.

The defaults are the configuration of the shipped model (hwr/models/default), so
`python scripts/train.py --data-dir ../shared/mnist` trains it again from scratch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwr.config import TrainConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = TrainConfig()
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=defaults.epochs, help="training epochs")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size, help="batch size")
    p.add_argument("--learning-rate", type=float, default=defaults.learning_rate,
                   help="peak Adam learning rate (after one warm-up epoch, then cosine decay)")
    p.add_argument("--data-dir", default=None,
                   help="directory with the four MNIST IDX files (.gz or raw); default: "
                        "$HWR_DATA_DIR, else download with keras.datasets.mnist")
    p.add_argument("--out", default="runs/default",
                   help="model directory to write (replaced only when the run succeeds)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    p.add_argument("--no-augment", action="store_true", help="train without augmentation")
    p.add_argument("--limit", type=int, default=None,
                   help="use only N training images (smoke tests)")
    p.add_argument("--extra-data", action="append", default=[], metavar="PATH",
                   help="more training digits: an .npz with x/y or a directory of "
                        "training IDX files, e.g. the Class page's export (repeatable)")
    p.add_argument("--init-from", default=None, metavar="MODEL_DIR",
                   help="start from this model's weights (fine-tuning) instead of scratch")
    p.add_argument("--config", default=None,
                   help="a model directory's config.json to reproduce (other flags given "
                        "explicitly override it)")
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace, argv: list[str]) -> TrainConfig:
    config = TrainConfig.from_json(args.config) if args.config else TrainConfig()
    given = {a.split("=")[0] for a in argv if a.startswith("--")}
    for flag, attr in (("--epochs", "epochs"), ("--batch-size", "batch_size"),
                       ("--learning-rate", "learning_rate"), ("--seed", "seed"),
                       ("--limit", "limit")):
        if not args.config or flag in given:
            setattr(config, attr, getattr(args, attr))
    if args.no_augment:
        config.augment.enabled = False
    if args.extra_data:
        config.extra_data = [str(Path(p).resolve()) for p in args.extra_data]
    if args.init_from:
        config.init_from = str(Path(args.init_from).resolve())
    return config


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    config = config_from_args(args, argv)
    from hwr.train import train  # TensorFlow loads only after --help and argument errors

    try:
        metrics = train(config, args.out, data_dir=args.data_dir)
    except KeyboardInterrupt:
        return 130
    print(f"Test accuracy {metrics['test_accuracy']:.4%} ({metrics['test_errors']} errors), "
          f"best epoch {metrics['best_epoch']}, {metrics['train_seconds']:.0f} s; "
          f"model written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
