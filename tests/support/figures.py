"""How the benchmarks report a spread of timings: one implementation of p50/p95/max."""

from __future__ import annotations

import numpy as np


def spread(values, key: str = "{}", digits: int = 1) -> dict[str, float | None]:
    """p50, p95 and max of ``values`` (rounded), as {key.format("p50"): ...}; None for
    each when there are no values."""
    values = np.asarray(list(values), dtype=float)
    figures = {"p50": 50, "p95": 95, "max": 100}
    return {key.format(name): (round(float(np.percentile(values, q)), digits)
                               if len(values) else None) for name, q in figures.items()}


def print_summary(summary: dict, path=None) -> None:
    """Print a benchmark's figures as JSON, and write them to ``path`` if given."""
    import json

    text = json.dumps(summary, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n")
