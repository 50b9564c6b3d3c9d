"""Streamlit page code; only these modules import Streamlit."""
