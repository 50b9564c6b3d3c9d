"""The test files' measured durations, to hand the longest to the workers first.

CI runs the suite on three workers (pytest-xdist, ``--dist loadfile``: a file stays on
one worker, so its module fixtures start once). xdist's own order hands out the files
with the most tests first, so the one-test browser files, some of the longest, came
last: a worker ran the last three of them (three minutes) while the others had nothing
left. With ``--no-loadscope-reorder`` xdist keeps the collection's order instead, and
``order`` puts the longest files first (longest processing time first): the shorter
ones then fill the workers' ends.

``tests/durations.json`` holds each file's seconds from a measured run. It need not be
exact: a file missing from it (a new one) goes last, which costs that run a little
balance and nothing else. Refresh it from a run's JUnit report:

    pytest -n 3 --dist loadfile --junitxml=run.xml
    python -m tests.support.durations run.xml
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

DURATIONS = Path(__file__).resolve().parents[1] / "durations.json"


def recorded(path: Path = DURATIONS) -> dict[str, float]:
    """{test file, relative to the checkout: seconds}; empty when there is no record."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def order(items: list, seconds: dict[str, float]) -> list:
    """The items, each file's together and in its own order, the longest files first
    (files of equal or unknown length in their collected order)."""
    position: dict[str, int] = {}
    for item in items:
        position.setdefault(file_of(item.nodeid), len(position))
    return sorted(items, key=lambda item: (-seconds.get(file_of(item.nodeid), 0.0),
                                           position[file_of(item.nodeid)]))


def from_junit(report: Path) -> dict[str, float]:
    """Each file's seconds in a JUnit report (its test cases' times added up)."""
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        module = case.get("classname", "")
        parts = module.split(".")
        while parts and not parts[-1].startswith("test_"):
            parts.pop()  # a class's name after the module's
        if parts:
            seconds["/".join(parts) + ".py"] += float(case.get("time", 0))
    return {name: round(s, 1) for name, s in sorted(seconds.items())}


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m tests.support.durations RUN.xml  (pytest --junitxml)")
    seconds = from_junit(Path(argv[0]))
    if not seconds:
        sys.exit(f"no test cases in {argv[0]}")
    DURATIONS.write_text(json.dumps(seconds, indent=1) + "\n")
    print(f"{len(seconds)} files, {sum(seconds.values()):.0f} s in all -> {DURATIONS}")


if __name__ == "__main__":
    main(sys.argv[1:])
