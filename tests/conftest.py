"""Shared fixtures: tiny IDX data sets written by the tests, the MNIST test set, the model."""

from __future__ import annotations

import os
import types
from pathlib import Path

import numpy as np
import pytest

from tests.support.files import SHARED_MNIST, write_mnist_dir

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(items):
    """The longest test files first (``tests/support/durations.py``): under xdist with
    ``--no-loadscope-reorder`` (``.ci/run``) the workers take them in this order."""
    from tests.support.durations import order, recorded

    items[:] = order(items, recorded())


def pytest_terminal_summary(terminalreporter):
    """Why each rerun test failed its first try (pytest-rerunfailures names it only): a
    flaky test's cause is in the CI output, not lost with the try."""
    for report in terminalreporter.stats.get("rerun", []):
        terminalreporter.write_sep("-", f"first try of {report.nodeid}")
        terminalreporter.write_line(report.longreprtext[-4000:])


@pytest.fixture(scope="session", autouse=True)
def streamlit_runtime_fixes() -> dict[str, bool]:
    """hwr's changes to Streamlit's runtime, as the server makes them at start-up
    (``streamlit_app.py``): the pages under AppTest run as they do in the server."""
    from hwr.server import runtime_fixes

    return runtime_fixes.apply()


@pytest.fixture(autouse=True)
def class_db(tmp_path, monkeypatch) -> Path:
    """Every test gets its own class database and model cache: nothing touches ~/.hwr."""
    path = tmp_path / "class.sqlite3"
    monkeypatch.setenv("HWR_CLASS_DB", str(path))
    monkeypatch.delenv("HWR_DB_URL", raising=False)  # never a developer's real database
    monkeypatch.delenv("HWR_MODEL_CACHE", raising=False)
    return path


@pytest.fixture
def tiny_mnist(tmp_path: Path) -> Path:
    return write_mnist_dir(tmp_path / "mnist")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST files: $HWR_DATA_DIR or ../shared/mnist (CI always has them)."""
    path = Path(os.environ.get("HWR_DATA_DIR", SHARED_MNIST))
    if not (path / "t10k-images-idx3-ubyte.gz").exists() and not (
            path / "t10k-images-idx3-ubyte").exists():
        if os.environ.get("CI"):
            pytest.fail(f"MNIST not found in {path} (CI must have ../shared/mnist)")
        pytest.skip(f"MNIST not found in {path}; set HWR_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def mnist_test(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    from hwr.learning.data import load_test_set

    return load_test_set(mnist_dir)


@pytest.fixture(scope="session")
def recognizer():
    from hwr import DigitRecognizer

    return DigitRecognizer.load()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A throwaway PostgreSQL server for the whole run (its URL, no database)."""
    from tests.support.postgres import postgres_bin, throwaway_postgres

    if postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL not found: CI must install Debian's postgresql")
        pytest.skip("PostgreSQL not installed (apt-get install postgresql)")
    with throwaway_postgres() as url:
        yield url.rsplit("/", 1)[0]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def db_url(request, tmp_path) -> str:
    """An empty database of each kind the app supports. (PostgreSQL's is marked slow: a
    server for the run and a database per test; the inner loop has SQLite's.)"""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hwr.sqlite3'}"
    from tests.support.postgres import create_database

    return create_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def canvas(monkeypatch):
    """Stand in for the browser's canvas; set `.drawing` to what the user 'drew'.

    The real component needs a browser (tests/e2e draws on it); here the page gets the
    Drawing the canvas would have sent, and the model is loaded before the first run."""
    import hwr.pages.draw.page  # the pages (Streamlit, the model) only for tests that ask
    from hwr.pages.shared.model_loading import model_loader

    model_loader().wait()
    fake = types.SimpleNamespace(drawing=None, calls=[])

    def draw_canvas(key, width, height, brush, max_css_width, initial=None, clear_id=None,
                    live=False, mode=None, channel=None, on_change=None, on_event=None,
                    on_channel=None):
        fake.calls.append(dict(key=key, width=width, height=height, brush=brush,
                               max_css_width=max_css_width, initial=initial,
                               clear_id=clear_id, live=live, channel=channel))
        return fake.drawing

    monkeypatch.setattr(hwr.pages.draw.page, "draw_canvas", draw_canvas)
    return fake


@pytest.fixture
def fallbacks(monkeypatch):
    """Records each message a page asked for in a language whose catalog lacks it."""
    from hwr import translation  # the pages only for tests that ask
    from hwr.pages.shared import language
    from hwr.translation import translations

    missed: list[tuple[str, str]] = []

    def gettext_in(lang, message):
        if lang != translation.ENGLISH and message not in translations(lang)._catalog:
            missed.append((lang, message))
        return translations(lang).gettext(message)

    def ngettext_in(lang, singular, plural, n):
        if lang != translation.ENGLISH and (singular, 0) not in translations(lang)._catalog:
            missed.append((lang, singular))
        return translations(lang).ngettext(singular, plural, n)

    monkeypatch.setattr(language, "gettext_in", gettext_in)
    monkeypatch.setattr(language, "ngettext_in", ngettext_in)
    return missed
