"""The model's load, once per server process: in a background thread that lets the first
visitor's page reach the screen first, with TensorFlow set to answer each drawing on the
thread that asks. No page here: the pages ask ``ready``/``recognizer`` and show what
they must (``hwr.pages.shared.model_loading``)."""

from __future__ import annotations

import threading
from pathlib import Path

from hwr.reading.recognizer import DigitRecognizer, ModelLoadError, check_model_dir


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
LOAD_DELAY = 3.0  # s the model load waits for a first visitor's page to be on screen


def first_page_shown() -> None:
    """Tell the loader that a visitor's page is on screen (or that a page needs the
    model now): the model may load."""
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
        # load at once, but lets the first visitor's page reach the screen before
        # (measured: the canvas took 3.1 s to appear when both ran together).
        _FIRST_PAGE_SHOWN.wait(LOAD_DELAY)
        try:
            _one_thread_per_inference()
            self.recognizer = DigitRecognizer.load(self.path)
        except ModelLoadError as e:
            self.error = e
        except Exception as e:  # noqa: BLE001 - an import or memory failure, told the user
            # the details under a translated heading (stop_with_load_error); no session
            # here to speak its language
            self.error = ModelLoadError(f"The model could not be loaded ({e}).")
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)
