"""The model that answers, as the pages see it: which version answers (the database's
choice, read at most once a second), one loader per version (``hwr.server.model_loader``
loads it), activating a class's model, and what a page says when none can be loaded."""

from __future__ import annotations

import streamlit as st

from hwr.class_data.model_store import (
    ORIGINAL,
    ModelStore,
    ModelVersion,
    default_cache,
    original_model_dir,
)
from hwr.class_data.storage import StorageUnavailable
from hwr.pages.shared import class_state, teacher_session
from hwr.pages.shared.language import _
from hwr.reading.recognizer import DigitRecognizer, ModelLoadError
from hwr.server.model_loader import ModelLoader, first_page_shown


@st.cache_resource(show_spinner=False, max_entries=4)
def _loader(path: str) -> ModelLoader:
    return ModelLoader(path)


@st.cache_resource
def _store(url: str, cache: str, original: str) -> ModelStore:
    return ModelStore(class_state.collection_at(url).engine, cache, original)


def model_store() -> ModelStore:
    """Where the models live and which one answers (hwr.class_data.model_store); raises
    StorageUnavailable while the database does not answer."""
    class_state.class_collection()  # the database is there, and upgraded
    return _store(class_state.database_url(), str(default_cache()), str(original_model_dir()))


@st.cache_data(ttl=1.0, show_spinner=False)
def _active(url: str, cache: str, original: str) -> ModelVersion:
    return _store(url, cache, original).active()


def active_version() -> ModelVersion:
    """The version that answers now, read from the database at most once a second per
    server: a model activated on any server answers everywhere within a second or two.
    While the database does not answer, the original does."""
    try:
        model_store()  # the database answers
        return _active(class_state.database_url(), str(default_cache()), str(original_model_dir()))
    except StorageUnavailable as e:
        class_state.storage_failed(e)
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
                _("The class's model could not be loaded: the original model answers."))
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
        return _("That model no longer exists.")
    loader = _loader(str(version.path))
    first_page_shown()
    loader.wait()
    if loader.error is not None:
        return _("That model could not be loaded ({error}); nothing changed.").format(
            error=loader.error)
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


def stop_with_load_error(error: ModelLoadError) -> None:
    """The teacher gets the details (a server path, how to restore); a student a plain
    sentence."""
    if teacher_session.is_teacher():  # the details: server paths and commands, as logged
        st.error(_("**The model could not be loaded.**") + "\n\n" + str(error))
    else:
        print(f"hwr: the model could not be loaded: {error}", flush=True)
        st.error(_("**The model could not be loaded.** Please tell your teacher: the details "
                   "are on the Teach page and in the server's console."))
    st.stop()


def recognizer_or_stop() -> DigitRecognizer:
    """The shared recognizer, waiting for it; if it cannot be loaded, explain and stop."""
    first_page_shown()  # nothing to show before the model here
    loader = model_loader()
    if not loader.ready:
        with st.spinner(_("Loading the model...")):
            loader.wait()
    if loader.error is not None:
        stop_with_load_error(loader.error)
    return loader.recognizer
