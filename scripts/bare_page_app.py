"""The floor for the Evaluation page benchmark: a Streamlit page with one line of text."""

import streamlit as st

st.write("bare page")
