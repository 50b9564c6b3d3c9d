"""Five changes to Streamlit's runtime (its web server, uvicorn, included), applied once
at start-up by ``apply()``.

Four are about what one server spends on a class, one about what it tells the outside
world; each says what it changes and why, and
all keep Streamlit's behaviour everywhere else. ``streamlit_app.py`` calls ``apply()``
before the server starts (the tests' ``conftest.py`` too); importing this module changes
nothing.

Each change replaces a private part of Streamlit, written for the versions in
``STREAMLIT_VERSIONS``. Before it replaces anything it checks that Streamlit is one of
those versions and that what it replaces is still there, in the shape it was written
for; otherwise it says in the log which change it skipped and why, and Streamlit runs as
it comes (the app works, only slower).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sys
import threading
import types
from collections.abc import Callable

log = logging.getLogger(__name__)

STREAMLIT_VERSIONS = ((1, 67), (1, 68))  # written for streamlit>=1.67,<1.68
SETTINGS_POLL = 2.0  # s between checks of the config and secrets files for changes
SERVER_TICK = 1.0  # s between the idle web server's wake-ups (uvicorn's: 0.1 s)
UVICORN_TICK = 0.1  # s: uvicorn counts its ticks in these (its Date header every 10)
_MARK = "__hwr_replaced__"  # on each of hwr's replacements: what it replaced


class Skipped(Exception):
    """What a change replaces is not what it was written for: the reason."""


def _check_version() -> None:
    """Skipped unless Streamlit's version is one the changes were written for."""
    import streamlit

    version = str(getattr(streamlit, "__version__", ""))
    found = re.match(r"(\d+)\.(\d+)", version)
    low, high = STREAMLIT_VERSIONS
    _require(found and low <= (int(found[1]), int(found[2])) < high,
             f"written for Streamlit >={low[0]}.{low[1]},<{high[0]}.{high[1]}; this is "
             f"{version or 'a Streamlit without a version'}")


def _require(condition: object, reason: str) -> None:
    if not condition:
        raise Skipped(reason)


def _parameters(function: object) -> list[str] | None:
    """The parameters' names, or None when it is not a function inspect can read."""
    if not callable(function):
        return None
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None


def _names_used(function: object) -> set[str]:
    """The global and attribute names a function's code uses, nested functions included."""
    names: set[str] = set()
    codes = [getattr(function, "__code__", None)]
    while codes:
        code = codes.pop()
        if isinstance(code, types.CodeType):
            names.update(code.co_names)
            codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return names


def _applied(function: object) -> bool:
    return hasattr(function, _MARK)


def _replacing(original: Callable) -> Callable[[Callable], Callable]:
    """Marks a replacement with what it replaces (so it is made once, and can be undone)."""
    def mark(replacement: Callable) -> Callable:
        setattr(replacement, _MARK, original)
        return replacement

    return mark


def skip_keras_session_reset() -> bool:
    """Stop Streamlit from resetting Keras after every script run.

    Streamlit calls ``keras.backend.clear_session()`` when each script run ends (for
    apps that build Keras models in the script). hwr builds none there: its one model
    is loaded once and shared. The reset cost ~200 ms of CPU per run, which was 40% of
    the server's work per stroke; matplotlib's figures are still closed as before."""
    from streamlit.runtime.scriptrunner import script_runner

    current = getattr(script_runner, "_clean_problem_modules", None)
    _require(current is not None, "streamlit.runtime.scriptrunner.script_runner has no "
                                  "_clean_problem_modules")
    if _applied(current):
        return False
    _require(_parameters(current) == [], "_clean_problem_modules is no longer a function "
                                         "of no arguments")
    _require("clear_session" in _names_used(current),
             "_clean_problem_modules no longer calls Keras's clear_session")
    runner = getattr(script_runner, "ScriptRunner", None)
    _require("_clean_problem_modules" in _names_used(getattr(runner, "_run_script", None)),
             "ScriptRunner._run_script no longer calls _clean_problem_modules")

    @_replacing(current)
    def clean_problem_modules() -> None:
        # None as well while another thread still imports pyplot (the model's load
        # does, through Keras): Streamlit's own cleanup let that pass too.
        close = getattr(sys.modules.get("matplotlib.pyplot"), "close", None)
        if close is not None:
            close("all")

    script_runner._clean_problem_modules = clean_problem_modules
    return True


def run_unknown_fragments_as_full_runs() -> bool:
    """A stroke sent to a session that does not know the drawing's fragment reruns the
    whole page instead of being dropped.

    When a phone wakes after its session expired (``server.disconnectedSessionTTL``) or
    the server restarted, the browser reconnects to a new session and sends its next
    stroke as a rerun of the drawing area's fragment. The new session has not run the
    page yet, so it knows no fragment, and Streamlit drops the request: the stroke gets
    no answer, and neither does any later one. Running the page (with the same widget
    states, the drawing included) registers the fragment and answers the stroke.
    Automatic reruns of a fragment that is gone are still dropped, as before."""
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.runtime.app_session import AppSession

    request_rerun = getattr(AppSession, "request_rerun", None)
    _require(request_rerun is not None, "AppSession has no request_rerun")
    if _applied(request_rerun):
        return False
    _require(_parameters(request_rerun) == ["self", "client_state"],
             "AppSession.request_rerun no longer takes (self, client_state)")
    _require(_parameters(getattr(AppSession, "has_fragment", None)) == ["self", "fragment_id"],
             "AppSession.has_fragment(self, fragment_id) is gone")
    fields = ClientState.DESCRIPTOR.fields_by_name
    _require("fragment_id" in fields and "is_auto_rerun" in fields,
             "ClientState has no fragment_id or is_auto_rerun")

    @_replacing(request_rerun)
    def request_rerun_or_full_run(self, client_state=None):
        if client_state is not None and client_state.fragment_id and \
                not client_state.is_auto_rerun and \
                not self.has_fragment(client_state.fragment_id):
            full = type(client_state)()
            full.CopyFrom(client_state)
            full.fragment_id = ""
            client_state = full
        return request_rerun(self, client_state)

    AppSession.request_rerun = request_rerun_or_full_run
    return True


def poll_settings_files_less_often() -> bool:
    """Check the config and secrets files for changes every ``SETTINGS_POLL`` seconds,
    not every 0.2 s.

    Streamlit polls each of them (``~/.streamlit`` and the project's) on its own
    thread-pool task, whatever ``server.fileWatcherType`` says: five wake-ups a second
    per file. Polling every 2 s took an idle server from ~5 to ~3.3 ms of CPU a second
    (a laptop on battery; and the baseline that ``benchmarks/classroom_load.py``
    subtracts from the class's figures). An edited file is still picked up, within two
    seconds."""
    from streamlit.watcher import polling_path_watcher

    period = getattr(polling_path_watcher, "_POLLING_PERIOD_SECS", None)
    _require(isinstance(period, (int, float)),
             "streamlit.watcher.polling_path_watcher has no _POLLING_PERIOD_SECS")
    watcher = getattr(polling_path_watcher, "PollingPathWatcher", None)
    _require("_POLLING_PERIOD_SECS" in _names_used(getattr(watcher, "_schedule", None)),
             "PollingPathWatcher._schedule no longer waits _POLLING_PERIOD_SECS")
    if period == SETTINGS_POLL:
        return False
    polling_path_watcher._POLLING_PERIOD_SECS = SETTINGS_POLL
    return True


def wake_the_web_server_once_a_second() -> bool:
    """Let the idle web server wake every ``SERVER_TICK`` seconds, not every 0.1 s.

    Under ``st.App`` Streamlit serves through uvicorn, whose main loop wakes ten times a
    second to see whether it must stop and to refresh its Date header: 3.5 ms of CPU a
    second on a server nobody uses, here (0.5 ms waking once a second): most of an idle
    class's cost to the server, and of the idle rate in each drawing's figure
    (``benchmarks/browser_latency.py``, ``benchmarks/idle_page.py``). The header is
    still refreshed once a second; a stop (Ctrl-C, systemd's SIGTERM) is seen within a
    second rather than a tenth (it took 0.2 to 1.1 s here, against 0.4 s)."""
    from uvicorn import server as uvicorn_server

    main_loop = getattr(getattr(uvicorn_server, "Server", None), "main_loop", None)
    _require(main_loop is not None, "uvicorn's Server has no main_loop")
    if _applied(main_loop):
        return False
    _require(_parameters(main_loop) == ["self"], "Server.main_loop no longer takes (self)")
    _require({"on_tick", "sleep"} <= _names_used(main_loop),
             "Server.main_loop no longer sleeps between calls of on_tick")
    _require(_parameters(getattr(uvicorn_server.Server, "on_tick", None)) ==
             ["self", "counter"], "Server.on_tick(self, counter) is gone")
    ticks = round(SERVER_TICK / UVICORN_TICK)

    @_replacing(main_loop)
    async def main_loop_waking_less(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + ticks) % 864000  # on_tick's header: when counter % 10 == 0
            await asyncio.sleep(SERVER_TICK)
            should_exit = await self.on_tick(counter)

    uvicorn_server.Server.main_loop = main_loop_waking_less
    return True


def ask_no_one_for_the_public_address() -> bool:
    """Never ask an outside service for the server's public address.

    A headless Streamlit started without ``server.address`` asks checkip.amazonaws.com
    for its public IP, to print an "External URL" at start-up (and as a fallback in its
    origin allowlist). A school's server has no business contacting a third party
    (docs/privacy.md): the teacher's join code uses the server's own addresses. Without
    it, no "External URL" line is printed."""
    from streamlit import net_util

    current = getattr(net_util, "get_external_ip", None)
    _require(current is not None, "streamlit.net_util has no get_external_ip")
    if _applied(current):
        return False
    _require(_parameters(current) == [], "get_external_ip is no longer a function of no "
                                         "arguments")

    @_replacing(current)
    def get_external_ip() -> None:
        return None

    net_util.get_external_ip = get_external_ip
    return True


# name: (the change, which says whether it changed anything (False: made already);
#        what is lost when it is skipped)
PATCHES: dict[str, tuple[Callable[[], bool], str]] = {
    "keras-reset": (skip_keras_session_reset,
                    "Keras is reset after every script run: ~200 ms more CPU per stroke"),
    "unknown-fragments": (run_unknown_fragments_as_full_runs,
                          "a page whose server session is gone gets no answer to its "
                          "strokes until it is reloaded"),
    "settings-poll": (poll_settings_files_less_often,
                      "the settings files are checked every 0.2 s, not every "
                      f"{SETTINGS_POLL:g} s"),
    "server-tick": (wake_the_web_server_once_a_second,
                    "the idle web server wakes ten times a second (3.5 ms of CPU a "
                    "second)"),
    "no-external-ip": (ask_no_one_for_the_public_address,
                       "the server asks checkip.amazonaws.com for its public address "
                       "at start-up"),
}
_lock = threading.Lock()


def apply_patch(name: str) -> bool:
    """Make one change (once: again is a no-op); False, and a log line, if it was skipped."""
    change, lost = PATCHES[name]
    try:
        _check_version()
        changed = change()
    except (Skipped, ImportError, AttributeError) as why:
        log.warning("hwr: skipped the Streamlit change %r (%s); hwr works without it, "
                    "but %s", name, why, lost)
        return False
    if changed:
        log.info("hwr: applied the Streamlit change %r", name)
    return True


def apply() -> dict[str, bool]:
    """Make every change that fits this Streamlit; which were applied. Idempotent: a
    change made already is not made again."""
    with _lock:
        return {name: apply_patch(name) for name in PATCHES}
