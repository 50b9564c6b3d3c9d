"""Who is the teacher in this browser session: the passcode (or, with none set, a browser
on the server's own machine), the unlock form, and the presentation toggle."""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from hwr import settings
from hwr.class_data.rate_limits import TryLimiter
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.teacher import (
    TRIES_PER_MINUTE,
    TRIES_PER_MINUTE_ALL,
    is_local_browser,
    passcode_matches,
)
from hwr.pages.shared.class_state import storage_failed
from hwr.pages.shared.language import N_, _, ngettext

TEACHER_KEY = "hwr_teacher"
PASSCODE = "hwr_passcode"  # the unlock form's passcode box (a widget's key)
TRIES = "hwr_tries"  # this session's passcode tries (a TryLimiter)
PRESENTATION = "presentation"  # the sidebar's presentation switch (a widget's key)


def is_teacher() -> bool:
    """This session has the teacher's controls: it entered the passcode or, with none
    configured, it is a browser on the server's own machine."""
    if settings.teacher_passcode():
        return st.session_state.get(TEACHER_KEY) is True
    return is_local_browser(st.context.ip_address, st.context.headers.get("Host"),
                            settings.public_url())


@st.cache_resource
def _all_tries() -> TryLimiter:
    return TryLimiter(TRIES_PER_MINUTE_ALL)


def _try_passcode(given: str) -> str:
    """Check one try; returns what to tell the person ("" when it opened)."""
    mine = st.session_state.setdefault(TRIES, TryLimiter(TRIES_PER_MINUTE))
    if not (mine.allow() and _all_tries().allow()):
        wait = max(mine.wait_seconds(), 1)
        return ngettext("Too many tries: wait {n} second.", "Too many tries: wait {n} seconds.",
                        wait).format(n=wait)
    if passcode_matches(given, settings.teacher_passcode()):
        st.session_state[TEACHER_KEY] = True
        return ""
    return _("That is not the passcode.")


def unlock_form() -> None:
    """Where a teacher enters the passcode (or learns how to set one)."""
    if not settings.teacher_passcode():
        st.info(_("The teacher's controls open only in a browser on the computer that "
                  "runs the app. To teach from another device, set a passcode: start the "
                  "app with `{env}=...`, or put `teacher_passcode = \"...\"` in "
                  "`.streamlit/secrets.toml`.").format(env=settings.PASSCODE_ENV),
                icon=":material/lock:")
        return
    with st.form("hwr_unlock", clear_on_submit=True, border=False):
        given = st.text_input(_("Teacher's passcode"), type="password", key=PASSCODE,
                              max_chars=settings.PASSCODE_MAX_CHARS)
        if st.form_submit_button(_("Unlock"), icon=":material/lock_open:"):
            note = _try_passcode(given)
            if not note:
                st.rerun()
            st.warning(note, icon=":material/lock:")


def presentation_mode() -> bool:
    """Large canvas and answer, readable from the back of a classroom."""
    return st.sidebar.toggle(_("Presentation mode"), key=PRESENTATION,
                             help=_("A large canvas and a large answer for a projector"))


UNAVAILABLE = N_("Class data is unavailable right now: drawing and answers go on as "
                 "usual.")
REFUSED = "hwr_refused"  # how many teacher actions this session was refused


def teacher_only(action: Callable | None = None, *, then: Callable[[], None] | None = None):
    """Do the action only for the teacher's session; anyone else's (a forged widget
    message) is refused and logged. The database being away is a toast, not a crash.
    ``then`` runs after every action tried (done or failed), e.g. to refresh a cache."""

    def wrap(action: Callable) -> Callable:
        @functools.wraps(action)
        def guarded(*args, **kwargs):
            if not is_teacher():
                print(f"hwr: refused {action.__name__} from a session that is not the "
                      "teacher's", flush=True)
                st.session_state[REFUSED] = st.session_state.get(REFUSED, 0) + 1
                return None
            try:
                return action(*args, **kwargs)
            except StorageUnavailable as e:
                storage_failed(e)
                st.toast(_("Not done: class data is unavailable right now."),
                         icon=":material/cloud_off:")
                return None
            finally:
                if then is not None:
                    then()

        return guarded

    return wrap if action is None else wrap(action)


def show_unavailable(error: StorageUnavailable) -> None:
    """Students learn that class data is away; the teacher which host does not answer."""
    if is_teacher():
        st.warning(_("Class data is unavailable right now: drawing and answers go on as "
                     "usual. The database at {host} does not answer: check that it runs "
                     "and that the address and password are right.").format(
                         host=error.host), icon=":material/cloud_off:")
    else:
        st.warning(_(UNAVAILABLE), icon=":material/cloud_off:")
