"""Three changes to Streamlit's runtime, made once when the pages are imported.

All are about what one server spends on a class; each says what it changes and why, and
all keep Streamlit's behaviour everywhere else.
"""

from __future__ import annotations

import sys

from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import script_runner
from streamlit.watcher import polling_path_watcher

SETTINGS_POLL = 2.0  # s between checks of the config and secrets files for changes


def _skip_keras_session_reset() -> None:
    """Stop Streamlit from resetting Keras after every script run.

    Streamlit calls ``keras.backend.clear_session()`` when each script run ends (for
    apps that build Keras models in the script). hwr builds none there: its one model
    is loaded once and shared. The reset cost ~200 ms of CPU per run, which was 40% of
    the server's work per stroke; matplotlib's figures are still closed as before."""

    def clean_problem_modules() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")

    script_runner._clean_problem_modules = clean_problem_modules


def _run_unknown_fragments_as_full_runs() -> None:
    """A stroke sent to a session that does not know the drawing's fragment reruns the
    whole page instead of being dropped.

    When a phone wakes after its session expired (``server.disconnectedSessionTTL``) or
    the server restarted, the browser reconnects to a new session and sends its next
    stroke as a rerun of the drawing area's fragment. The new session has not run the
    page yet, so it knows no fragment, and Streamlit drops the request: the stroke gets
    no answer, and neither does any later one. Running the page (with the same widget
    states, the drawing included) registers the fragment and answers the stroke.
    Automatic reruns of a fragment that is gone are still dropped, as before."""
    request_rerun = AppSession.request_rerun

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


def _poll_settings_files_less_often() -> None:
    """Check the config and secrets files for changes every ``SETTINGS_POLL`` seconds,
    not every 0.2 s.

    Streamlit polls each of them (``~/.streamlit`` and the project's) on its own
    thread-pool task, whatever ``server.fileWatcherType`` says: five wake-ups a second
    per file. Polling every 2 s took an idle server from ~5 to ~3.3 ms of CPU a second
    (a laptop on battery; and the baseline that ``benchmarks/classroom_load.py`` subtracts
    from the class's figures). An edited file is still picked up, within two seconds."""
    polling_path_watcher._POLLING_PERIOD_SECS = SETTINGS_POLL


_skip_keras_session_reset()
_run_unknown_fragments_as_full_runs()
_poll_settings_files_less_often()
