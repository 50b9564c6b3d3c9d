#!/usr/bin/env python3
"""Before installing: is this Python on this machine one hwr runs on? (stdlib only)

TensorFlow 2.21, which hwr needs, has wheels for Python 3.11-3.13 on Linux x86_64 and
aarch64, macOS on Apple silicon (arm64) and Windows x86_64: nowhere else. Without this
check pip answers with a resolver trace that does not say so; with it, one sentence.
"""

from __future__ import annotations

import platform
import sys

PYTHONS = ((3, 11), (3, 12), (3, 13))
PLATFORMS = {  # platform.system(), platform.machine().lower()
    ("Linux", "x86_64"), ("Linux", "aarch64"), ("Linux", "arm64"),
    ("Darwin", "arm64"), ("Windows", "amd64"), ("Windows", "x86_64"),
}
SUPPORTED = ("Python 3.11-3.13 on Linux (x86_64 or aarch64), macOS on Apple silicon or "
             "Windows (x86_64)")


def problem(python: tuple[int, int], system: str, machine: str) -> str | None:
    """Why hwr cannot be installed here, in one sentence; None if it can."""
    version = f"{python[0]}.{python[1]}"
    if tuple(python[:2]) not in PYTHONS:
        return (f"hwr needs {SUPPORTED} (TensorFlow 2.21 has no wheels for Python "
                f"{version}): install Python 3.13, then create the virtual environment "
                "with it.")
    if (system, machine.lower()) not in PLATFORMS:
        return (f"hwr needs {SUPPORTED}: TensorFlow 2.21 has no wheels for {system} on "
                f"{machine}" + (" (an Intel Mac)" if system == "Darwin" else "") + ".")
    return None


def main() -> int:
    why = problem(sys.version_info[:2], platform.system(), platform.machine())
    if why:
        print(why, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
