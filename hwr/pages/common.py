"""What every page shares: the recognizer, loaded once per server process."""

from __future__ import annotations

import base64
import html
import os
import re
import threading
from pathlib import Path

import numpy as np
import streamlit as st

import hwr.pages.runtime_fixes  # noqa: F401 - patches Streamlit once, see there
from hwr.collection import ClassCollection, default_db_path, png_bytes
from hwr.recognizer import (
    DEFAULT_MODEL_DIR,
    DigitRecognizer,
    ModelLoadError,
    check_model_dir,
)

MODEL_DIR_ENV = "HWR_MODEL_DIR"


def model_dir() -> str:
    return os.environ.get(MODEL_DIR_ENV, str(DEFAULT_MODEL_DIR))


def _one_thread_per_inference() -> None:
    """Run each drawing's inference on the thread that asks for it.

    A server answers one small drawing per request, many sessions at once: TensorFlow's
    thread pools cost more than they give there (measured here: 1.1 ms of CPU per
    drawing on one thread, 2.0 ms with the default pools), and the other core is better
    spent on the other students. Only possible before TensorFlow starts."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already running in this process (tests): keep it
        pass


_FIRST_PAGE_SHOWN = threading.Event()
LOAD_DELAY = 3.0  # s the model load waits for the first page to have been sent


def first_page_shown() -> None:
    """Tell the loader that a visitor's page is out: the model may load now."""
    _FIRST_PAGE_SHOWN.set()


class ModelLoader:
    """Loads the recognizer in a background thread, once per server process.

    TensorFlow and the model take seconds to load; the Draw page must not wait for them
    before showing its canvas. Pages ask ``ready``/``recognizer`` without blocking, or
    ``wait()`` where nothing can be shown without the model."""

    def __init__(self, path: str):
        self.path = path
        self.recognizer: DigitRecognizer | None = None
        self.error: ModelLoadError | None = None
        self._done = threading.Event()
        try:  # a missing or damaged file is told at once; only the slow load waits
            check_model_dir(Path(path))
        except ModelLoadError as e:
            self.error = e
            self._done.set()
            return
        threading.Thread(target=self._load, name="hwr-model-loader", daemon=True).start()

    def _load(self) -> None:
        # Importing TensorFlow holds the interpreter for seconds; the server starts the
        # load at once, but lets the first visitor's page go out before (measured here:
        # the canvas took 3.1 s to appear instead of under 2 s when both ran together).
        _FIRST_PAGE_SHOWN.wait(LOAD_DELAY)
        try:
            _one_thread_per_inference()
            self.recognizer = DigitRecognizer.load(self.path)
        except ModelLoadError as e:
            self.error = e
        except Exception as e:  # noqa: BLE001 - an import or memory failure, told the user
            self.error = ModelLoadError(f"The model could not be loaded ({e}).")
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


@st.cache_resource(show_spinner=False)
def _loader(path: str) -> ModelLoader:
    return ModelLoader(path)


def model_loader() -> ModelLoader:
    """The shared loader of the current model (starts loading on first use).

    A failed load is not kept: once the model is restored, the next call loads it."""
    loader = _loader(model_dir())
    if loader.ready and loader.error is not None:
        _loader.clear()
    return loader


def stop_with_load_error(error: ModelLoadError) -> None:
    st.error("**The model could not be loaded.**\n\n" + str(error))
    st.stop()


def recognizer_or_stop() -> DigitRecognizer:
    """The shared recognizer, waiting for it; if it cannot be loaded, explain and stop."""
    first_page_shown()  # nothing to show before the model here
    loader = model_loader()
    if not loader.ready:
        with st.spinner("Loading the model..."):
            loader.wait()
    if loader.error is not None:
        stop_with_load_error(loader.error)
    return loader.recognizer


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
