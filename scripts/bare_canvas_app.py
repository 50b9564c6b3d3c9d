"""The baseline for the latency benchmark: only the canvas, no model.

It shows a marker as soon as the canvas sends ink, so timing mouse-up to marker measures
the bare Streamlit + canvas round trip that every prediction pays.
"""

import streamlit as st

from hwr.pages.canvas import draw_canvas

drawing = draw_canvas("canvas-digit", 280, 280, brush=18, max_css_width=420)
if drawing is not None and not drawing.is_empty:
    st.markdown('<div class="hwr-answer">ink</div>', unsafe_allow_html=True)
