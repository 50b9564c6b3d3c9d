"""What every page shares: the recognizer (loaded once per server process), the class
state, and who is the teacher."""

from __future__ import annotations

import base64
import html
import os
import re
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import streamlit as st

import hwr.pages.runtime_fixes  # noqa: F401 - patches Streamlit once, see there
from hwr.class_data import storage
from hwr.class_data.collection import ClassCollection, Lesson, png_bytes
from hwr.class_data.model_store import (
    ORIGINAL,
    ModelStore,
    ModelVersion,
    default_cache,
    original_model_dir,
)
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.teacher import (
    PASSCODE_ENV,
    PUBLIC_URL_ENV,
    TRIES_PER_MINUTE,
    TRIES_PER_MINUTE_ALL,
    TryLimiter,
    is_local_browser,
    passcode_matches,
)
from hwr.learning.finetune import ClassDigits, FineTuneError, FineTuneJob
from hwr.reading.recognizer import DigitRecognizer, ModelLoadError, check_model_dir

GALLERY_MAX = 48  # images in one gallery
THUMBNAIL_SIZE = 84  # 3x the 28x28 image


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
            self.error = ModelLoadError(f"The model could not be loaded ({e}).")
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


@st.cache_resource(show_spinner=False, max_entries=4)
def _loader(path: str) -> ModelLoader:
    return ModelLoader(path)


@st.cache_resource
def _store(url: str, cache: str, original: str) -> ModelStore:
    return ModelStore(_collection(url).engine, cache, original)


def model_store() -> ModelStore:
    """Where the models live and which one answers (hwr.class_data.model_store); raises
    StorageUnavailable while the database does not answer."""
    class_collection()  # the database is there, and upgraded
    return _store(database_url(), str(default_cache()), str(original_model_dir()))


@st.cache_data(ttl=1.0, show_spinner=False)
def _active(url: str, cache: str, original: str) -> ModelVersion:
    return _store(url, cache, original).active()


def active_version() -> ModelVersion:
    """The version that answers now, read from the database at most once a second per
    server: a model activated on any server answers everywhere within a second or two.
    While the database does not answer, the original does."""
    try:
        model_store()  # the database answers
        return _active(database_url(), str(default_cache()), str(original_model_dir()))
    except StorageUnavailable as e:
        storage_failed(e)
        return ModelVersion(ORIGINAL, original_model_dir())


def answering_model() -> tuple[ModelLoader, ModelVersion, str]:
    """The loader of the model that answers now, its version, and a note when the
    chosen class model could not be loaded and the original answers instead.

    A model the teacher activates answers every session's next drawing, on every
    server (see active_version). A failed load of the original is not kept: once the
    model is restored, the next call loads it."""
    version = active_version()
    loader = _loader(str(version.path))
    if loader.ready and loader.error is not None:
        if version.is_original:
            _loader.clear()
            return loader, version, ""
        print(f"hwr: model version {version.id} could not be loaded: {loader.error}",
              flush=True)
        original = ModelVersion(ORIGINAL, original_model_dir())
        return (_loader(str(original.path)), original,
                "The class's model could not be loaded: the original model answers.")
    return loader, version, ""


def model_loader() -> ModelLoader:
    """The shared loader of the model that answers now (starts loading on first use)."""
    return answering_model()[0]


def activate_model(version_id: str) -> str:
    """Make a version the one every session answers with, loading it first so that no
    student waits; returns "" or why it was refused."""
    store = model_store()
    try:
        version = store.get(version_id)
    except KeyError:
        return "That model no longer exists."
    loader = _loader(str(version.path))
    first_page_shown()
    loader.wait()
    if loader.error is not None:
        return f"That model could not be loaded ({loader.error}); nothing changed."
    store.activate(version.id)
    model_changed()
    return ""


def model_changed() -> None:
    """The active model changed: this server's sessions see it at their next run (the
    other servers' within a second)."""
    _active.clear()


def restore_original_model() -> None:
    model_store().restore_original()
    model_changed()


# --- the class teaching the model ---------------------------------------------------

@st.cache_resource
def _fine_tune_slots(url: str) -> dict:
    return {"lock": threading.Lock(), "job": None}


def _fine_tune_slot() -> dict:
    """One fine-tune at a time per database, in this server."""
    return _fine_tune_slots(database_url())


def fine_tune_job() -> FineTuneJob | None:
    """This server's latest fine-tune (running, or finished and not yet dismissed)."""
    return _fine_tune_slot()["job"]


def _mnist_for_replay():
    from hwr.learning.data import load_mnist

    try:
        return load_mnist()
    except Exception as e:  # noqa: BLE001 - a missing folder or a failed download
        raise FineTuneError(
            "The MNIST training digits, which remind the model of what it knows, could not "
            f"be read ({e}): set HWR_DATA_DIR to a folder with the MNIST IDX files, or let "
            "the server download them once") from None


def start_fine_tune(class_id: int | None, class_name: str) -> FineTuneJob:
    """Start teaching the model the class's digits, unless a fine-tune runs already
    (two presses, or two teachers, start one run)."""
    slot = _fine_tune_slot()
    with slot["lock"]:
        job = slot["job"]
        if job is not None and job.running:
            return job

        def class_digits() -> ClassDigits:
            samples = class_collection().samples(class_id)
            return ClassDigits(samples.images, samples.labels, samples.students)

        store = model_store()
        slot["job"] = FineTuneJob(store, store.active(), class_digits, _mnist_for_replay,
                                  class_name=class_name).start()
        return slot["job"]


def dismiss_fine_tune() -> None:
    slot = _fine_tune_slot()
    with slot["lock"]:
        if slot["job"] is not None and not slot["job"].running:
            slot["job"] = None


def stop_with_load_error(error: ModelLoadError) -> None:
    """The teacher gets the details (a server path, how to restore); a student a plain
    sentence."""
    if is_teacher():
        st.error("**The model could not be loaded.**\n\n" + str(error))
    else:
        print(f"hwr: the model could not be loaded: {error}", flush=True)
        st.error("**The model could not be loaded.** Please tell your teacher: the details "
                 "are on the Teach page and in the server's console.")
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


RETRY_SECONDS = 10.0  # after the database failed to answer, wait before asking again
_storage_down: dict[str, tuple[float, StorageUnavailable]] = {}  # url -> (until, why)
UNAVAILABLE = "Class data is unavailable right now: drawing and answers go on as usual."


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one
        return {}


def database_url() -> str:
    return storage.database_url(_secrets())


@st.cache_resource(show_spinner=False)
def _collection(url: str) -> ClassCollection:
    return ClassCollection(url)


def storage_failed(error: StorageUnavailable) -> None:
    """Remember for a few seconds that the database does not answer, so that strokes
    do not each wait for its connection timeout."""
    print(f"hwr: {error}", flush=True)
    _storage_down[database_url()] = (time.monotonic() + RETRY_SECONDS, error)


def _known_down() -> StorageUnavailable | None:
    until, error = _storage_down.get(database_url(), (0.0, None))
    return error if time.monotonic() < until else None


def class_collection() -> ClassCollection:
    """The class's state in the shared database (hwr.class_data.storage); raises
    StorageUnavailable while the database does not answer."""
    down = _known_down()
    if down is not None:
        raise down
    try:
        return _collection(database_url())
    except StorageUnavailable as e:
        storage_failed(e)
        raise


def show_unavailable(error: StorageUnavailable) -> None:
    """Students learn that class data is away; the teacher which host does not answer."""
    if is_teacher():
        st.warning(f"{UNAVAILABLE} The database at {error.host} does not answer: check "
                   "that it runs and that the address and password are right.",
                   icon=":material/cloud_off:")
    else:
        st.warning(UNAVAILABLE, icon=":material/cloud_off:")


@st.cache_data(ttl=1.0, show_spinner=False)
def _running_class(url: str) -> Lesson | None:
    return _collection(url).current_class()


def running_class() -> Lesson | None:
    """The class that runs now, if any (read at most once a second per server); None
    while the database does not answer."""
    try:
        if _known_down() is not None:
            return None
        return _running_class(database_url())
    except StorageUnavailable as e:
        storage_failed(e)
        return None


def class_changed() -> None:
    """A class started, ended or reopened: every page sees it at its next run."""
    _running_class.clear()


def student_id() -> str:
    """A random name for this browser session, for the wall (never shown)."""
    if "hwr_student" not in st.session_state:
        st.session_state.hwr_student = uuid.uuid4().hex[:12]
    return st.session_state.hwr_student


# --- the teacher ------------------------------------------------------------------

TEACHER_KEY = "hwr_teacher"


def teacher_passcode() -> str:
    """$HWR_TEACHER_PASSCODE, else ``teacher_passcode`` in .streamlit/secrets.toml."""
    passcode = os.environ.get(PASSCODE_ENV, "")
    if passcode:
        return passcode
    try:
        return str(st.secrets.get("teacher_passcode", "") or "")
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one
        return ""


def public_url() -> str:
    return os.environ.get(PUBLIC_URL_ENV, "").strip()


def is_teacher() -> bool:
    """This session has the teacher's controls: it entered the passcode or, with none
    configured, it is a browser on the server's own machine."""
    if teacher_passcode():
        return st.session_state.get(TEACHER_KEY) is True
    return is_local_browser(st.context.ip_address, st.context.headers.get("Host"),
                            public_url())


@st.cache_resource
def _all_tries() -> TryLimiter:
    return TryLimiter(TRIES_PER_MINUTE_ALL)


def _try_passcode(given: str) -> str:
    """Check one try; returns what to tell the person ("" when it opened)."""
    mine = st.session_state.setdefault("hwr_tries", TryLimiter(TRIES_PER_MINUTE))
    if not (mine.allow() and _all_tries().allow()):
        return f"Too many tries: wait {max(mine.wait_seconds(), 1)} seconds."
    if passcode_matches(given, teacher_passcode()):
        st.session_state[TEACHER_KEY] = True
        return ""
    return "That is not the passcode."


def unlock_form() -> None:
    """Where a teacher enters the passcode (or learns how to set one)."""
    if not teacher_passcode():
        st.info("The teacher's controls open only in a browser on the computer that runs "
                "the app. To teach from another device, set a passcode: start the app with "
                f"`{PASSCODE_ENV}=...`, or put `teacher_passcode = \"...\"` in "
                "`.streamlit/secrets.toml`.", icon=":material/lock:")
        return
    with st.form("hwr_unlock", clear_on_submit=True, border=False):
        given = st.text_input("Teacher's passcode", type="password", key="hwr_passcode",
                              max_chars=200)
        if st.form_submit_button("Unlock", icon=":material/lock_open:"):
            note = _try_passcode(given)
            if not note:
                st.rerun()
            st.warning(note, icon=":material/lock:")


class PostLimiter:
    """About one post per second per session, with a small burst (draw, clear, draw)."""

    def __init__(self, per_second: float = 1.0, burst: int = 3, clock=time.monotonic):
        self.rate, self.burst, self.clock = per_second, burst, clock
        self.tokens, self.last = float(burst), clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def post_limiter() -> PostLimiter:
    return st.session_state.setdefault("hwr_posts", PostLimiter())


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


@st.cache_data
def confusion_chart(confusion: np.ndarray, normalize: bool) -> dict:
    """The clickable confusion matrix's spec (hwr.learning.plots), built once per matrix."""
    from hwr.learning.plots import confusion_chart as chart  # matplotlib, Altair: only when shown

    return chart(confusion, normalize)


def show_image_grid(figures: list[str], size: int) -> None:
    """Figures in a grid as ONE HTML element with inline PNGs: dozens of st.image
    elements (one media request each) took the Evaluation page past its 2 s budget."""
    st.html(f'<div class="hwr-gallery" style="display:grid;gap:10px 6px;'
            f'grid-template-columns:repeat(auto-fill,minmax({size + 16}px,1fr))">'
            f'{"".join(figures)}</div>')
