#!/usr/bin/env python
"""Draw examples of every writing style and of the non-digit drawings into one picture
(docs/styles.png, shown in docs/model.md): MNIST test digits as written, then restyled."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default=None, help="MNIST directory (default $HWR_DATA_DIR)")
    p.add_argument("--out", default="docs/styles.png")
    p.add_argument("--per-row", type=int, default=10)
    args = p.parse_args(argv)

    from hwr.learning import nondigits, styles
    from hwr.learning.data import load_test_set
    from hwr.learning.plots import example_rows_figure

    images, labels = load_test_set(args.data_dir)
    rows = styles.examples(images, labels, args.per_row)
    rows.update(nondigits.examples(args.per_row))
    fig = example_rows_figure(rows, "Writing styles drawn onto MNIST test digits, and "
                                    "held-out non-digit drawings")
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
