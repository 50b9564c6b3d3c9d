"""What every page shares: the recognizer, loaded once per server process."""

from __future__ import annotations

import base64
import html
import os
import re

import numpy as np
import streamlit as st

from hwr.collection import ClassCollection, default_db_path, png_bytes
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


def pixel_image_html(image: np.ndarray, size: int, alt: str) -> str:
    """A small uint8 image as an inline <img>, enlarged to ``size`` px with sharp pixels.

    Inline PNG data costs the browser no media request and Streamlit no element of its
    own. ``object-fit: fill`` because Streamlit's styles would otherwise draw a 28x28
    image at its natural size inside the enlarged box."""
    uri = "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
    return (f'<img src="{uri}" alt="{html.escape(alt)}" style="width:{size}px;'
            f'height:{size}px;object-fit:fill;image-rendering:pixelated">')


def figure_html(image: np.ndarray, caption: str, size: int) -> str:
    """An enlarged image over a small caption (HTML allowed in the caption)."""
    return (f'<figure class="hwr-thumb" style="margin:0;text-align:center">'
            f'{pixel_image_html(image, size, re.sub("<[^>]+>", " ", caption))}'
            f'<figcaption style="font-size:0.7rem;color:#666;line-height:1.3">{caption}'
            f'</figcaption></figure>')


def show_image_grid(figures: list[str], size: int) -> None:
    """Figures in a grid as ONE HTML element with inline PNGs: dozens of st.image
    elements (one media request each) took the Evaluation page past its 2 s budget."""
    st.html(f'<div class="hwr-gallery" style="display:grid;gap:10px 6px;'
            f'grid-template-columns:repeat(auto-fill,minmax({size + 16}px,1fr))">'
            f'{"".join(figures)}</div>')
