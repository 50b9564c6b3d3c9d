#!/usr/bin/env python
"""Train the hwr CNN on MNIST and write a model directory.

The defaults are the configuration of the shipped model (hwr/models/default), so
`python scripts/train.py --data-dir ../shared/mnist` trains it again from scratch.
Training has two stages: the epochs, then a short polish (the --polish flags); with
`--polish-from MODEL_DIR` only the polish runs, from a model trained with the same
config's first stage (how the shipped model was made; see its config.json).
With `--init-from MODEL_DIR --extra-data FILE.npz` it runs instead the Class page's
fine-tune of that model on a class's exported digits (the finetune flags), replaying the
shipped MNIST training digits (hwr/models/default/replay.npz; never a download).
Every field of the training config (hwr/learning/config.py) has a flag below, made from the
config itself; `--config` starts from a recorded run's config.json instead, and the
flags given explicitly override it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from pathlib import Path

from hwr.learning.config import TrainConfig

PATH_FIELDS = ("extra_data", "init_from")  # resolved to absolute paths when recorded


def _flag_type(hint) -> dict:
    """argparse keywords for a config field's type hint."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if hint is bool:
        return {"action": argparse.BooleanOptionalAction}
    if origin is tuple:  # tuple[int, ...]: any number; tuple[float, float]: a range
        return {"type": args[0], "nargs": "+" if Ellipsis in args else len(args)}
    if origin is list:
        return {"type": args[0], "action": "append"}
    if args:  # Optional[X]
        return {"type": args[0]}
    return {"type": hint}


def add_config_flags(parser, cls=TrainConfig, prefix: str = "") -> None:
    """One flag per field of the config dataclass (nested ones prefixed: --styles-...)."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint, dest = hints[f.name], prefix + f.name
        if dataclasses.is_dataclass(hint):
            group = parser.add_argument_group(f"{f.name}: {hint.__doc__.splitlines()[0]}")
            add_config_flags(group, hint, f"{dest}.")
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        parser.add_argument("--" + dest.replace(".", "-").replace("_", "-"), dest=dest,
                            default=argparse.SUPPRESS, metavar=f.name.upper(),
                            help=f"{f.metadata.get('help', '')} (default: {default})",
                            **_flag_type(hint))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=None,
                   help="directory with the four MNIST IDX files (.gz or raw); default: "
                        "$HWR_DATA_DIR, else download with keras.datasets.mnist")
    p.add_argument("--out", default="runs/default",
                   help="model directory to write (replaced only when the run succeeds)")
    p.add_argument("--config", default=None,
                   help="a model directory's config.json to reproduce (other flags given "
                        "explicitly override it)")
    p.add_argument("--no-augment", dest="augment.enabled", action="store_false",
                   default=argparse.SUPPRESS, help="train without augmentation")
    p.add_argument("--polish-from", default=None, metavar="MODEL_DIR",
                   help="skip the training: polish this model directory, trained with the "
                        "same config without its polish (see --polish-epochs)")
    add_config_flags(p)
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace, argv: list[str] | None = None) -> TrainConfig:
    """The recorded or default config, with every flag given explicitly applied."""
    config = TrainConfig.from_json(args.config) if args.config else TrainConfig()
    for dest, value in vars(args).items():
        *parents, name = dest.split(".")
        target = config
        for parent in parents:
            target = getattr(target, parent)
        if not dataclasses.is_dataclass(target) or name not in \
                {f.name for f in dataclasses.fields(target)}:
            continue  # --data-dir, --out, --config, --polish-from
        if name in PATH_FIELDS and value is not None:
            value = [str(Path(v).resolve()) for v in value] if isinstance(value, list) \
                else str(Path(value).resolve())
        if isinstance(getattr(target, name), tuple):  # argparse gives lists
            value = tuple(value)
        setattr(target, name, value)
    return config


def fine_tune(config: TrainConfig, args: argparse.Namespace) -> int:
    """--init-from: the Class page's fine-tune, with its defaults (--finetune-...): it
    replays the shipped replay file's MNIST training digits and measures on MNIST's test
    set in --data-dir / $HWR_DATA_DIR, else on the file's check digits (no download)."""
    from hwr.learning.finetune import FineTuneError, fine_tune_files

    try:
        report = fine_tune_files(config, args.out, data_dir=args.data_dir)
    except (FineTuneError, ValueError) as e:  # not enough digits, unreadable files
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    held, mnist = report["held_out"], report["mnist"]
    measured = "MNIST test" if mnist.get("on", "test") == "test" else \
        f"MNIST check digits ({mnist['count']}, no MNIST test set in --data-dir)"
    print(f"Held-out class digits ({held['count']}): {held['before']:.2%} -> "
          f"{held['after']:.2%}; {measured}: {mnist['before']:.2%} -> {mnist['after']:.2%}; "
          f"learned in {report['learn_seconds']:.0f} s; model written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    config = config_from_args(args)
    if config.init_from:
        return fine_tune(config, args)
    # TensorFlow loads only after --help and argument errors
    from hwr.learning.nondigits import NonDigitDataError
    from hwr.learning.train import NotAFirstStage, train

    try:
        metrics = train(config, args.out, data_dir=args.data_dir,
                        polish_from=args.polish_from)
    except KeyboardInterrupt:
        return 130
    except (NotAFirstStage, NonDigitDataError) as e:  # before any training
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Test accuracy {metrics['test_accuracy']:.4%} ({metrics['test_errors']} errors), "
          f"best epoch {metrics['best_epoch']}, {metrics['train_seconds']:.0f} s; "
          f"model written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
