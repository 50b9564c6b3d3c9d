"""Real-browser fixtures: one Streamlit server and one Chromium for the whole session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    CHROMIUM_ENV,
    canvas_selector,
    chromium_browser,
    chromium_path,
    streamlit_server,
)

TWO_SERVERS_PASSCODE = "7B-secret"  # the teacher's passcode on both of two_servers
ARTIFACTS = Path(os.environ.get("HWR_TEST_ARTIFACTS", Path(__file__).resolve().parents[2]
                                / "test-artifacts"))
CANVAS = canvas_selector("canvas-digit")


# A browser test waits on Chromium and a server sharing two cores with another worker's:
# one that fails runs once more, and pytest's summary counts it ("1 rerun"), so a test
# that fails twice still fails the run and a flaky one is seen (docs/development.md).
RERUNS = 1
# What a page must come to show, it may take up to this long to show on a loaded machine:
# how fast it comes is measured by the benchmarks (docs/benchmarks.md), not here.
expect.set_options(timeout=30_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in str(item.path):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.flaky(reruns=RERUNS))


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        message = (f"no Chromium found: install it (`apt-get install -y chromium`) or set "
                   f"{CHROMIUM_ENV} to a Chromium binary")
        if os.environ.get("CI"):
            pytest.fail(message + " -- in CI the browser tests must run")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def app_url(mnist_dir) -> str:
    with streamlit_server(env={"HWR_DATA_DIR": str(mnist_dir)},
                          model_ready=True, preloaded=True) as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium):
    with chromium_browser(chromium) as browser:
        yield browser


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.wait_for_selector(CANVAS)
    yield page
    context.close()


@pytest.fixture
def phone(browser, app_url):
    """A Pixel 7 (412x839, touch) on the Draw page, with a CDP session for touches."""
    context = browser.new_context(**browser.devices["Pixel 7"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.wait_for_selector(CANVAS)
    page.cdp = context.new_cdp_session(page)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def two_servers(postgres_server, mnist_dir, tmp_path_factory):
    """Two app servers on one throwaway PostgreSQL database, each with its own state
    folder (its own model cache), as on two machines: (database url, url a, url b)."""
    from hwr.class_data.collection import ClassCollection
    from tests.support.postgres import create_database

    url = create_database(postgres_server)
    ClassCollection(url)  # migrated once, before both servers start
    env = {"HWR_DB_URL": url, "HWR_TEACHER_PASSCODE": TWO_SERVERS_PASSCODE,
           "HWR_DATA_DIR": str(mnist_dir)}
    a_dir, b_dir = tmp_path_factory.mktemp("server-a"), tmp_path_factory.mktemp("server-b")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # each try's server logs, for a failure
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # each worker numbers its own
    a_log, b_log = (ARTIFACTS / f"two-servers-{worker}-{d.name}.log" for d in (a_dir, b_dir))
    with streamlit_server(env={**env, "HWR_CLASS_DB": str(a_dir / "unused.sqlite3")},
                          log=a_log, model_ready=True, preloaded=True) as a, \
            streamlit_server(env={**env, "HWR_CLASS_DB": str(b_dir / "unused.sqlite3")},
                             log=b_log, model_ready=True, preloaded=True) as b:
        yield url, a, b
