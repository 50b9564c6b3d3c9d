"""The Evaluation page: how good the model really is, and where it errs."""

from __future__ import annotations

import streamlit as st

from hwr.pages.common import recognizer_or_stop


def evaluation_page() -> None:
    rec = recognizer_or_stop()
    st.title("How good is the model?")
    metrics = rec.metadata("metrics.json")
    if not metrics:
        st.warning("This model has no saved test results yet: run `python scripts/evaluate.py`.")
        return
    a, b, c = st.columns(3)
    a.metric("Test accuracy", f"{metrics['test_accuracy']:.2%}")
    b.metric("Errors", f"{metrics['test_errors']} of {metrics['test_count']:,}")
    c.metric("Test loss", f"{metrics['test_loss']:.4f}")
