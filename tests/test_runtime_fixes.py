"""hwr's changes to Streamlit's runtime (hwr/server/runtime_fixes.py): each is made on the
pinned Streamlit, each is skipped with a line in the log when what it replaces is not
there or not as it was written for, and each does what it says."""

import logging
import re
import sys
import threading
import time
import types

import pytest
import streamlit
from streamlit import net_util
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest
from streamlit.watcher import polling_path_watcher
from streamlit.watcher.polling_path_watcher import PollingPathWatcher
from uvicorn import server as uvicorn_server

from hwr.server import runtime_fixes
from tests.support.files import REPO

LOGGER = runtime_fixes.__name__


def replaced(function):
    """What one of hwr's replacements replaced (Streamlit's own)."""
    return getattr(function, runtime_fixes._MARK)


def test_every_change_is_made_on_the_pinned_streamlit():
    """A new pin in requirements.txt fails here until each change is checked against it
    (and STREAMLIT_VERSIONS moved)."""
    [pin] = re.findall(r"^streamlit==([\d.]+)", (REPO / "requirements.txt").read_text(),
                       re.MULTILINE)
    assert streamlit.__version__ == pin
    low, high = runtime_fixes.STREAMLIT_VERSIONS
    assert low <= tuple(int(n) for n in pin.split(".")[:2]) < high
    assert runtime_fixes.apply() == {name: True for name in runtime_fixes.PATCHES}
    assert replaced(script_runner._clean_problem_modules).__module__ == script_runner.__name__
    assert replaced(AppSession.request_rerun).__qualname__ == "AppSession.request_rerun"
    assert polling_path_watcher._POLLING_PERIOD_SECS == runtime_fixes.SETTINGS_POLL
    assert replaced(uvicorn_server.Server.main_loop).__qualname__ == "Server.main_loop"


def test_the_script_runs_cleanup_closes_figures_and_lets_a_pyplot_being_imported_be(
        monkeypatch):
    """The cleanup after each script run closes matplotlib's figures, as Streamlit's
    did; while another thread still imports pyplot (the model's load does, through
    Keras) it has no ``close`` yet, and the cleanup leaves it be instead of raising."""
    runtime_fixes.apply()
    closed = []
    pyplot = types.ModuleType("matplotlib.pyplot")
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    script_runner._clean_problem_modules()  # half imported: no close, no error
    pyplot.close = closed.append
    script_runner._clean_problem_modules()
    assert closed == ["all"]


def test_applying_again_changes_nothing(caplog):
    runtime_fixes.apply()
    before = script_runner._clean_problem_modules, AppSession.request_rerun
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert all(runtime_fixes.apply().values())
    assert (script_runner._clean_problem_modules, AppSession.request_rerun) == before
    assert not runtime_fixes._applied(replaced(AppSession.request_rerun))  # wrapped once
    assert caplog.records == []  # nothing made, nothing said


def _unpatched_clean_problem_modules():
    """Streamlit's shape: no arguments, resets Keras."""
    keras = sys.modules["keras"]
    keras.backend.clear_session()


def _unpatched_request_rerun(self, client_state):
    return client_state


def _unpatched_get_external_ip():
    raise AssertionError("an outside service was asked for the public address")


async def _unpatched_main_loop(self):
    """uvicorn's shape: on_tick, then a sleep of a tenth of a second, until told to stop."""
    import asyncio

    while not await self.on_tick(0):
        await asyncio.sleep(0.1)


@pytest.fixture
def unpatched(monkeypatch):
    """Streamlit's targets as hwr found them (stand-ins of the same shape), so that a
    skipped change can be seen to have replaced nothing; restored after the test."""
    monkeypatch.setattr(script_runner, "_clean_problem_modules",
                        _unpatched_clean_problem_modules)
    monkeypatch.setattr(AppSession, "request_rerun", _unpatched_request_rerun)
    monkeypatch.setattr(polling_path_watcher, "_POLLING_PERIOD_SECS", 0.2)
    monkeypatch.setattr(net_util, "get_external_ip", _unpatched_get_external_ip)
    monkeypatch.setattr(uvicorn_server.Server, "main_loop", _unpatched_main_loop)

    def targets():
        return (script_runner._clean_problem_modules, AppSession.request_rerun,
                polling_path_watcher._POLLING_PERIOD_SECS, net_util.get_external_ip,
                uvicorn_server.Server.main_loop)

    return targets


def test_the_stand_ins_are_replaced(unpatched):
    """The fixture's stand-ins pass every check: the skips below are the breakage's."""
    assert runtime_fixes.apply() == {name: True for name in runtime_fixes.PATCHES}
    stand_ins = (_unpatched_clean_problem_modules, _unpatched_request_rerun, 0.2,
                 _unpatched_get_external_ip, _unpatched_main_loop)
    assert all(now != before for now, before in zip(unpatched(), stand_ins, strict=True))


@pytest.mark.parametrize("version", ["1.68.0", "1.66.3", "2.0.0", "", "nightly"])
def test_every_change_is_skipped_on_another_streamlit(version, unpatched, monkeypatch,
                                                      caplog):
    monkeypatch.setattr(streamlit, "__version__", version)
    before = unpatched()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert runtime_fixes.apply() == {name: False for name in runtime_fixes.PATCHES}
    assert unpatched() == before
    for name, record in zip(runtime_fixes.PATCHES, caplog.records, strict=True):
        message = record.getMessage()
        assert record.levelno == logging.WARNING
        assert f"skipped the Streamlit change {name!r}" in message
        assert "written for Streamlit >=1.67,<1.68" in message
        assert (version or "without a version") in message


def _delete(target, name):
    return lambda monkeypatch: monkeypatch.delattr(target, name)


def _set(target, name, value):
    return lambda monkeypatch: monkeypatch.setattr(target, name, value)


def _module_gone(module):
    def break_it(monkeypatch):
        package, name = module.rsplit(".", 1)
        monkeypatch.delattr(sys.modules[package], name)
        monkeypatch.setitem(sys.modules, module, None)  # importing it: ImportError

    return break_it


def _reset_with_an_argument(keep_models):
    sys.modules["keras"].backend.clear_session()


def _reset_without_keras():
    pass


def _rerun_with_another_argument(self, client_state, reason):
    return client_state


def _has_fragment_renamed(self, fragment):
    return False


class _RunnerThatNoLongerCleans:
    def _run_script(self, rerun_data):
        return rerun_data


async def _main_loop_without_sleeping(self):
    while not await self.on_tick(0):
        pass


async def _main_loop_with_an_argument(self, sockets):
    import asyncio

    while not await self.on_tick(0):
        await asyncio.sleep(0.1)


class _WatcherThatNoLongerWaits:
    def _schedule(self):
        return None


BREAKAGES = {
    "keras-reset": {
        "its function is gone": (_delete(script_runner, "_clean_problem_modules"),
                                 "has no _clean_problem_modules"),
        "it takes an argument": (_set(script_runner, "_clean_problem_modules",
                                      _reset_with_an_argument), "of no arguments"),
        "it no longer resets Keras": (_set(script_runner, "_clean_problem_modules",
                                           _reset_without_keras), "clear_session"),
        "the runner no longer calls it": (_set(script_runner, "ScriptRunner",
                                               _RunnerThatNoLongerCleans),
                                          "no longer calls _clean_problem_modules"),
        "its module moved": (_module_gone("streamlit.runtime.scriptrunner.script_runner"),
                             "script_runner"),
    },
    "unknown-fragments": {
        "request_rerun is gone": (_delete(AppSession, "request_rerun"),
                                  "no request_rerun"),
        "request_rerun's signature changed": (_set(AppSession, "request_rerun",
                                                   _rerun_with_another_argument),
                                              "(self, client_state)"),
        "has_fragment is gone": (_delete(AppSession, "has_fragment"), "has_fragment"),
        "has_fragment's signature changed": (_set(AppSession, "has_fragment",
                                                  _has_fragment_renamed), "has_fragment"),
        "its module moved": (_module_gone("streamlit.runtime.app_session"), "app_session"),
    },
    "settings-poll": {
        "the period is gone": (_delete(polling_path_watcher, "_POLLING_PERIOD_SECS"),
                               "no _POLLING_PERIOD_SECS"),
        "the period is no number": (_set(polling_path_watcher, "_POLLING_PERIOD_SECS",
                                         "0.2"), "no _POLLING_PERIOD_SECS"),
        "the watcher no longer waits it": (_set(polling_path_watcher, "PollingPathWatcher",
                                                _WatcherThatNoLongerWaits),
                                           "no longer waits _POLLING_PERIOD_SECS"),
        "its module moved": (_module_gone("streamlit.watcher.polling_path_watcher"),
                             "polling_path_watcher"),
    },
    "server-tick": {
        "main_loop is gone": (_delete(uvicorn_server.Server, "main_loop"), "no main_loop"),
        "main_loop takes an argument": (_set(uvicorn_server.Server, "main_loop",
                                             _main_loop_with_an_argument), "(self)"),
        "main_loop no longer sleeps": (_set(uvicorn_server.Server, "main_loop",
                                            _main_loop_without_sleeping), "no longer sleeps"),
        "on_tick is gone": (_delete(uvicorn_server.Server, "on_tick"), "on_tick"),
        "its module moved": (_module_gone("uvicorn.server"), "uvicorn.server"),
    },
    "no-external-ip": {
        "get_external_ip is gone": (_delete(net_util, "get_external_ip"),
                                    "no get_external_ip"),
        "get_external_ip's signature changed": (_set(net_util, "get_external_ip",
                                                     _rerun_with_another_argument),
                                                "no arguments"),
    },
}


def made(name: str) -> bool:
    """Whether hwr's change ``name`` is in place in Streamlit now."""
    if name == "keras-reset":
        return runtime_fixes._applied(getattr(script_runner, "_clean_problem_modules", None))
    if name == "unknown-fragments":
        return runtime_fixes._applied(getattr(AppSession, "request_rerun", None))
    if name == "no-external-ip":
        return runtime_fixes._applied(getattr(net_util, "get_external_ip", None))
    if name == "server-tick":
        server = getattr(sys.modules.get("uvicorn.server"), "Server", uvicorn_server.Server)
        return runtime_fixes._applied(getattr(server, "main_loop", None))
    period = getattr(polling_path_watcher, "_POLLING_PERIOD_SECS", None)
    return period == runtime_fixes.SETTINGS_POLL


@pytest.mark.parametrize("name,breakage", [(name, breakage) for name in BREAKAGES
                                           for breakage in BREAKAGES[name]])
def test_a_change_is_skipped_and_logged_when_its_target_moved(name, breakage, unpatched,
                                                              monkeypatch, caplog):
    break_it, reason = BREAKAGES[name][breakage]
    others = {other: True for other in runtime_fixes.PATCHES if other != name}
    break_it(monkeypatch)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert runtime_fixes.apply() == {name: False, **others}
    [record] = caplog.records
    assert f"skipped the Streamlit change {name!r}" in record.getMessage()
    assert reason in record.getMessage()
    assert not made(name)


def _recorder(calls, name):
    return lambda *args: calls.append(name)


@pytest.fixture
def fake_keras(monkeypatch):
    """A Keras and a pyplot that record being reset, in place of the real ones."""
    calls = []
    keras = types.SimpleNamespace(backend=types.SimpleNamespace(
        clear_session=_recorder(calls, "keras.backend.clear_session")))
    pyplot = types.SimpleNamespace(close=_recorder(calls, "matplotlib.pyplot.close"))
    monkeypatch.setitem(sys.modules, "keras", keras)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    return calls


def _a_page():
    import streamlit as st

    st.write("a page")


def test_keras_is_not_reset_after_a_script_run(fake_keras):
    runtime_fixes.apply()
    AppTest.from_function(_a_page).run()
    assert fake_keras == ["matplotlib.pyplot.close"]  # figures are still closed


def test_without_the_change_keras_is_reset_after_a_script_run(fake_keras, monkeypatch):
    """The check above would see a reset: Streamlit's own function resets Keras."""
    runtime_fixes.apply()
    monkeypatch.setattr(script_runner, "_clean_problem_modules",
                        replaced(script_runner._clean_problem_modules))
    AppTest.from_function(_a_page).run()
    assert fake_keras == ["keras.backend.clear_session", "matplotlib.pyplot.close"]


class _Session:
    def __init__(self, fragments):
        self.fragments = fragments

    def has_fragment(self, fragment_id):
        return fragment_id in self.fragments


@pytest.mark.parametrize("fragment,auto,known,sent", [
    ("drawing", False, False, ""),  # an unknown fragment: the whole page runs
    ("drawing", False, True, "drawing"),  # a known one runs alone
    ("drawing", True, False, "drawing"),  # an automatic rerun is left as it was
    ("", False, False, ""),  # a full run stays one
])
def test_a_rerun_of_an_unknown_fragment_runs_the_whole_page(fragment, auto, known, sent,
                                                            monkeypatch):
    requests = []
    monkeypatch.setattr(AppSession, "request_rerun",
                        lambda self, client_state: requests.append(client_state))
    assert runtime_fixes.run_unknown_fragments_as_full_runs()
    state = ClientState(fragment_id=fragment, is_auto_rerun=auto, page_script_hash="p")
    AppSession.request_rerun(_Session({"drawing"} if known else set()), state)
    [request] = requests
    assert (request.fragment_id, request.page_script_hash) == (sent, "p")
    assert state.fragment_id == fragment  # the browser's own message is left alone


def test_settings_files_are_polled_less_often_but_changes_are_still_seen(tmp_path):
    runtime_fixes.apply()
    settings = tmp_path / "config.toml"
    settings.write_text("[server]\nheadless = true\n")
    changed = threading.Event()
    watcher = PollingPathWatcher(str(settings), lambda _path: changed.set())
    try:
        time.sleep(0.05)
        settings.write_text("[server]\nheadless = false\n")
        start = time.monotonic()
        assert changed.wait(runtime_fixes.SETTINGS_POLL * 3)
        # not at Streamlit's 0.2 s: one check every SETTINGS_POLL seconds
        assert time.monotonic() - start > runtime_fixes.SETTINGS_POLL / 2
    finally:
        watcher.close()


def test_no_outside_service_is_asked_for_the_public_address(unpatched):
    """The stand-in fails if called: after the change, Streamlit's start-up banner (and
    its origin allowlist) get no public address and ask no one for it."""
    runtime_fixes.apply()
    assert net_util.get_external_ip() is None


def test_the_idle_web_server_wakes_once_a_second_and_still_stops_and_dates(unpatched):
    """A real uvicorn server with nothing to do: its main loop's ticks counted for 2.5 s
    (Streamlit's own loop: 25), its Date header still fresh, and a stop seen within a
    tick."""
    import asyncio
    import socket
    import urllib.request

    import uvicorn

    runtime_fixes.apply()

    async def app(scope, receive, send):
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    ticks = []
    on_tick = server.on_tick

    async def counted(counter):
        ticks.append(time.monotonic())
        return await on_tick(counter)

    server.on_tick = counted
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        start = time.monotonic()
        time.sleep(2.5)
        counted_ticks = sum(1 for t in ticks if t > start)
        assert 2 <= counted_ticks <= 3, ticks
        time.sleep(1.2)  # the header is refreshed at a tick
        date = urllib.request.urlopen(f"http://127.0.0.1:{port}/").headers["date"]
        assert abs(time.mktime(time.strptime(date, "%a, %d %b %Y %H:%M:%S GMT")) -
                   time.mktime(time.gmtime())) <= 2
    finally:
        stopping = time.monotonic()
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive()
    assert time.monotonic() - stopping <= runtime_fixes.SERVER_TICK + 1.0
