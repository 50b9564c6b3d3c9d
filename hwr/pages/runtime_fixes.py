"""Two changes to Streamlit's runtime, made once when the pages are imported.

Both are about the stroke-to-answer loop of a class on one server; each says what it
changes and why, and both keep Streamlit's behaviour everywhere else.
"""

from __future__ import annotations

import sys

from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import script_runner


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


_skip_keras_session_reset()
_run_unknown_fragments_as_full_runs()
