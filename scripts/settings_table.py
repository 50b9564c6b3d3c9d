#!/usr/bin/env python3
"""docs/deploy.md's table of settings, written from ``hwr/settings.py``.

``python scripts/settings_table.py`` says whether the doc's table is the one
``hwr.settings.markdown_table()`` makes (exit status 1 when not); ``--write`` puts that
table in its place. The table is the run of ``|`` lines under "## Settings".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwr import settings  # the installed project (pip install -e .)

DOC = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"
HEADING = "## Settings"


def table_span(text: str) -> tuple[int, int]:
    """Where the table under HEADING starts and ends (character offsets in ``text``)."""
    lines = text.splitlines(keepends=True)
    offset, start, inside = 0, None, False
    for line in lines:
        if line.rstrip("\n") == HEADING:
            inside = True
        elif inside and start is None and line.startswith("|"):
            start = offset
        elif start is not None and not line.startswith("|"):
            return start, offset
        elif inside and line.startswith("## "):
            break
        offset += len(line)
    if start is None:
        raise ValueError(f"{DOC.name} has no table under {HEADING!r}")
    return start, offset


def documented(text: str) -> str:
    start, end = table_span(text)
    return text[start:end]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help=f"write the table into {DOC}")
    args = p.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    made = settings.markdown_table()
    if documented(text) == made:
        print(f"{DOC.name}: the table of settings is up to date")
        return 0
    if not args.write:
        print(f"{DOC.name}: the table of settings differs from hwr/settings.py; run "
              "python scripts/settings_table.py --write", file=sys.stderr)
        return 1
    start, end = table_span(text)
    DOC.write_text(text[:start] + made + text[end:], encoding="utf-8")
    print(f"{DOC.name}: the table of settings written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
