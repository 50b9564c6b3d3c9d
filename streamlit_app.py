"""`streamlit run streamlit_app.py`: hwr's server, with its start-up work.

The pages are routed by ``hwr/pages/router.py``, which Streamlit runs for every
visitor. This file is read once, when the server starts: it refuses a database hwr does
not support, loads the model in the background (so the first visitor's drawing does not
wait for TensorFlow) and applies hwr's changes to Streamlit's runtime
(``hwr/pages/runtime_fixes.py``) before any browser connects.
"""

from contextlib import asynccontextmanager

import streamlit as st

from hwr.pages.common import check_database

check_database()  # an unsupported database URL: one sentence, and no server


@asynccontextmanager
async def lifespan(app):
    from hwr.pages.common import model_loader

    model_loader()  # starts loading; pages answer "warming up" until it is there
    yield


app = st.App("hwr/pages/router.py", lifespan=lifespan)
