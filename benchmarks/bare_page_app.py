"""The floor for the Evaluation page benchmark: a Streamlit page with one line of text."""

import streamlit as st

st.markdown('<p class="hwr-bare">bare page</p>', unsafe_allow_html=True)
