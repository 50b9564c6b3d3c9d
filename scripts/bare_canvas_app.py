"""The baseline for the latency benchmark: only the canvas, no model.

It shows a marker as soon as the canvas sends ink, so timing mouse-up to marker measures
the bare Streamlit + canvas round trip that every prediction pays.
"""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

st.session_state.setdefault("canvas_version", 0)
result = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                   width=280, height=280, return_image_data=True,
                   key=f"canvas-digit-{st.session_state.canvas_version}")
if st.button("Clear", key="clear"):
    st.session_state.canvas_version += 1
    st.rerun()
if result.image_data is not None and np.asarray(result.image_data)[..., :3].any():
    st.markdown('<div class="hwr-answer">ink</div>', unsafe_allow_html=True)
