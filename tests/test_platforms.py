"""Where hwr installs: a plain sentence where it cannot, and wheels where it can."""

import os
import shutil
import subprocess
import sys

import pytest

from scripts.check_platform import problem
from tests.support.files import REPO

SUPPORTED = [("x86_64-unknown-linux-gnu", "Linux x86_64"),
             ("aarch64-unknown-linux-gnu", "Linux aarch64"),
             ("aarch64-apple-darwin", "macOS arm64"),
             ("x86_64-pc-windows-msvc", "Windows x86_64")]


@pytest.mark.parametrize("python,system,machine", [
    ((3, 11), "Linux", "x86_64"), ((3, 13), "Linux", "aarch64"),
    ((3, 12), "Darwin", "arm64"), ((3, 13), "Windows", "AMD64")])
def test_supported_machines_pass(python, system, machine):
    assert problem(python, system, machine) is None


@pytest.mark.parametrize("python,system,machine,says", [
    ((3, 14), "Linux", "x86_64", "no wheels for Python 3.14"),
    ((3, 10), "Windows", "AMD64", "no wheels for Python 3.10"),
    ((3, 12), "Darwin", "x86_64", "an Intel Mac"),
    ((3, 12), "Linux", "armv7l", "Linux on armv7l")])
def test_unsupported_ones_get_one_sentence(python, system, machine, says):
    why = problem(python, system, machine)
    assert says in why and why.count(". ") == 0 and "\n" not in why


def test_the_check_runs_without_any_requirement_installed():
    run = subprocess.run([sys.executable, "-S", "scripts/check_platform.py"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.fail("uv is a dev requirement (requirements-dev.txt)")
    return found


@pytest.mark.parametrize("python", ["3.11", "3.13"])
@pytest.mark.parametrize("target,name", SUPPORTED)
@pytest.mark.slow
def test_requirements_resolve_to_wheels(target, name, python):
    """Resolved for the target, not this machine (pip download --platform would
    evaluate the environment markers for this machine)."""
    run = subprocess.run(
        [uv(), "pip", "compile", "requirements.txt", "--python-platform", target,
         "--python-version", python, "--only-binary", ":all:", "--quiet", "-o", os.devnull],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    if run.returncode != 0 and "Failed to fetch" in run.stderr and not os.environ.get("CI"):
        pytest.skip("the package index is unreachable from here")
    assert run.returncode == 0, f"{name}, Python {python}: {run.stderr[-1500:]}"
