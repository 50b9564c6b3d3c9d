"""`streamlit run streamlit_app.py`: hwr's server, with its start-up work.

The pages are routed by ``hwr/pages/router.py``, which Streamlit runs for every
visitor. This file is read once, when the server starts: it refuses a setting hwr cannot
use (``hwr/settings.py``: one sentence naming it, and no server), loads the model in the
background (so the first visitor's drawing does not wait for TensorFlow), starts the
school's retention (``hwr/server/retention.py``: the ended classes whose time ran out
are deleted at start-up and at least hourly) and applies
hwr's changes to Streamlit's runtime (``hwr/server/runtime_fixes.py``) before any
browser connects: each one that does not fit this Streamlit is skipped, with a line in
the log, and the app works without it. Beside Streamlit's routes it serves the answer
channel (``hwr/server/answer_channel.py``), where the Draw page's canvas gets its
answers without a script run.
"""

import threading
from contextlib import asynccontextmanager

import streamlit as st

from hwr import settings
from hwr.server import answer_channel, runtime_fixes

settings.exit_if_invalid()  # a setting hwr cannot use: one sentence, and no server
runtime_fixes.apply()


def answering_loader():
    """The loader of the model that answers now: the pages' own, so the channel and the
    page answer alike (imported when first asked, as the warm-up does)."""
    from hwr.pages.shared.model_loading import model_loader

    return model_loader()


def class_now() -> tuple:
    """(the running class's id, its running round's id), as the Draw page records what it
    shows, and how many students the teacher removed from it: the answer channel tells a
    page when any of these changes (hwr/server/class_events.py)."""
    from hwr.pages.shared.class_state import collection_at

    return collection_at(settings.database_url()).class_now()


def warm_up() -> None:
    answering_loader()  # opens the database, learns which model answers, starts loading it


def keep_purging(stop: threading.Event) -> None:
    from hwr.server import retention

    retention.keep_purging(stop)


@asynccontextmanager
async def lifespan(app):
    # Off the server's thread, imports included: the server answers at once, and the
    # first visitor's page waits for none of it.
    threading.Thread(target=warm_up, name="hwr-warm-up", daemon=True).start()
    stop = threading.Event()
    threading.Thread(target=keep_purging, args=(stop,), name="hwr-retention",
                     daemon=True).start()
    yield
    stop.set()


app = st.App("hwr/pages/router.py", lifespan=lifespan,
             routes=[answer_channel.route(answering_loader, class_now)])
