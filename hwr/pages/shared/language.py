"""The page's language, and the words, numbers and dates in it.

A session's language comes from, in this order: the join link's ``?lang=`` (the
teacher's QR code carries the teacher's choice), the sidebar's picker (which writes
``?lang=`` back into the address, so a reload or a reconnect keeps it), the browser's
locale (``st.context.locale``), and English. A value hwr does not speak is ignored.

Every string a page shows goes through ``_`` (or ``ngettext``); module-level words are
marked with ``N_`` and translated where they are shown. ``python -m scripts.catalogs``
extracts them into ``hwr/locale/hwr.pot``.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from hwr.translation import (
    ENGLISH,
    LANGUAGES,
    N_,
    datetime_in,
    gettext_in,
    ngettext_in,
    number_in,
    parse_language,
    percent_in,
)

__all__ = ["N_", "_", "choose_language", "current", "date_time", "language_picker",
           "ngettext", "number", "percent"]

LANG = "hwr_lang"  # the session's language
PICKER = "hwr_lang_picker"
QUERY = "lang"


def current() -> str:
    """The session's language ("en" outside a page run: tests, scripts, benchmarks)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return ENGLISH
    return st.session_state.get(LANG) or ENGLISH


def _(message: str) -> str:
    """``message`` in the page's language."""
    return gettext_in(current(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return ngettext_in(current(), singular, plural, n)


def percent(fraction: float, decimals: int = 0) -> str:
    return percent_in(current(), fraction, decimals)


def number(value: float, decimals: int = 0) -> str:
    return number_in(current(), value, decimals)


def date_time(timestamp: float) -> str:
    return datetime_in(current(), timestamp)


def _browser_language() -> str | None:
    try:
        return parse_language(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (AppTest): not a reason to fail
        return None


def choose_language() -> str:
    """Settle this run's language (called first by the router, before any word)."""
    state = st.session_state
    asked = parse_language(st.query_params.get(QUERY))
    if asked is not None:
        state[LANG] = asked
    elif LANG not in state:
        state[LANG] = _browser_language() or ENGLISH
    if state.get(PICKER) != state[LANG]:
        state[PICKER] = state[LANG]
    return state[LANG]


def _picked() -> None:
    lang = parse_language(st.session_state.get(PICKER)) or ENGLISH
    st.session_state[LANG] = lang
    st.query_params[QUERY] = lang  # the address keeps it: a reload, a reconnect, a link


def language_picker() -> None:
    """The sidebar's language picker: changing it keeps the drawing and the session."""
    st.sidebar.selectbox(_("Language"), list(LANGUAGES), key=PICKER,
                         format_func=LANGUAGES.get, on_change=_picked)


def explained(template: str, values: dict | None = None) -> str:
    """A sentence marked ``N_`` where it was written, with named ``values`` (why a
    drawing is empty, why an image or a round is refused: ``Explained`` errors), in the
    page's language."""
    if not template:
        return ""
    text = _(template)
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a translation's placeholder is broken
        return template.format(**values)
