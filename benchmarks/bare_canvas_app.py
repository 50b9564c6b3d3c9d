"""The baselines for the latency benchmark: only the canvas, without or with the model.

It shows a marker as soon as the canvas sends ink, so timing mouse-up to marker measures
the bare Streamlit + canvas round trip that every prediction pays. With
HWR_BARE_RECOGNIZE=1 the marker is the recognized digit: the round trip plus the
recognition, with none of the Draw page's own elements.
"""

import os

import streamlit as st

from hwr.server import runtime_fixes
from hwr.pages.components.canvas import draw_canvas
from hwr.pages.shared.model_loading import recognizer_or_stop
from hwr.reading.drawing import rasterize

runtime_fixes.apply()  # the same server as the app's (idempotent: once per process)

drawing = draw_canvas("canvas-digit", 280, 280, brush=18, max_css_width=420)
if drawing is not None and not drawing.is_empty:
    marker = "ink"
    if os.environ.get("HWR_BARE_RECOGNIZE") == "1":
        marker = str(recognizer_or_stop().recognize(rasterize(drawing)).digit)
    st.markdown(f'<div class="hwr-answer">{marker}</div>', unsafe_allow_html=True)
