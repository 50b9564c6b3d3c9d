"""hwr: draw a digit, see what a CNN trained on MNIST thinks it is."""

import streamlit as st

from hwr.pages.classroom import class_page
from hwr.pages.draw import LEFT_PAGE, draw_page
from hwr.pages.evaluation import evaluation_page

st.set_page_config(page_title="hwr: handwritten digits", page_icon=":material/draw:",
                   layout="wide")
page = st.navigation([
    st.Page(draw_page, title="Draw", icon=":material/draw:", url_path="draw", default=True),
    st.Page(evaluation_page, title="Evaluation", icon=":material/analytics:",
            url_path="evaluation"),
    st.Page(class_page, title="Class", icon=":material/school:", url_path="class"),
])
if page.title != "Draw":
    st.session_state[LEFT_PAGE] = True  # the Draw page restores its drawing on return
page.run()
