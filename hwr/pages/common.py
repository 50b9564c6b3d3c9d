"""What every page shares: the recognizer, loaded once per server process."""

from __future__ import annotations

import os

import streamlit as st

from hwr.collection import ClassCollection, default_db_path
from hwr.recognizer import DEFAULT_MODEL_DIR, DigitRecognizer, ModelLoadError

MODEL_DIR_ENV = "HWR_MODEL_DIR"


def model_dir() -> str:
    return os.environ.get(MODEL_DIR_ENV, str(DEFAULT_MODEL_DIR))


@st.cache_resource(show_spinner="Loading the model...")
def _load(path: str) -> DigitRecognizer:
    # Exceptions are not cached: once the model is restored the next rerun loads it.
    return DigitRecognizer.load(path)


def recognizer_or_stop() -> DigitRecognizer:
    """The shared recognizer; if the model cannot be loaded, explain and stop the page."""
    try:
        return _load(model_dir())
    except ModelLoadError as e:
        st.error("**The model could not be loaded.**\n\n" + str(e))
        st.stop()


@st.cache_resource
def _collection(path: str) -> ClassCollection:
    return ClassCollection(path)


def class_collection() -> ClassCollection:
    """The class's digits (SQLite at $HWR_CLASS_DB, by default ~/.hwr/)."""
    return _collection(str(default_db_path()))


def presentation_mode() -> bool:
    """Large canvas and answer, readable from the back of a classroom."""
    return st.sidebar.toggle("Presentation mode", key="presentation",
                             help="A large canvas and a large answer for a projector")
