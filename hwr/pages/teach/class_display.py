"""What the class sees of its lesson, on the teacher's page and on the projector: the
join code (the address as a QR code and in large letters, in the teacher's language)
and the class's live figures."""

from __future__ import annotations

import html

import streamlit as st
from streamlit.net_util import get_internal_ip

from hwr import settings
from hwr.class_data.collection import Lesson
from hwr.class_data.teacher import join_code, join_url
from hwr.pages.shared.class_state import class_collection
from hwr.pages.shared.language import _, current, ngettext, percent


def with_language(url: str) -> str:
    """The join link carries the teacher's language: students open it in that language."""
    return f"{url}{'&' if '?' in url else '?'}lang={current()}"


QR_DENSE = 57  # modules (version 10, quiet zone included): above it the box grows
LONG_URL = 60  # characters: a longer address is written smaller (it is scanned, not typed)


def join_html(url: str, large: bool) -> str:
    """The QR code and the address, large enough to read from the back of the room."""
    found = join_code(url)
    qr = ""
    if found is not None:
        svg, modules = found
        dense = " hwr-qr-dense" if modules > QR_DENSE else ""
        # TRANSLATORS: the accessible name of the QR code students scan to join.
        label = html.escape(_("QR code of the address students open"), quote=True)
        qr = f'<div class="hwr-qr{dense}" role="img" aria-label="{label}">{svg}</div>'
    lead = html.escape(_("Students open"))
    note = html.escape(_("on a phone or laptop on the same network, or scan the code."))
    long = " hwr-join-url-long" if len(url) > LONG_URL else ""
    return (f'<div class="hwr-join{" hwr-large" if large else ""}">{qr}'
            f'<div class="hwr-join-text"><div class="hwr-join-lead">{lead}</div>'
            f'<div class="hwr-join-url{long}">{html.escape(url)}</div>'
            f'<div class="hwr-join-note">{note}</div></div></div>')


def show_join(large: bool = False) -> None:
    url = with_language(join_url(st.context.url, settings.public_url(), get_internal_ip()))
    st.markdown(join_html(url, large), unsafe_allow_html=True)


def show_figures(lesson: Lesson, helps: bool = True) -> None:
    """The class's live figures (``helps=False``: without help icons, for the projector)."""
    stats = class_collection().wall_stats(lesson.id)
    a, b, c, d = st.columns(4)
    a.metric(_("Drawings"), stats.drawings)
    b.metric(_("Students drawing"), stats.students_active,
             help=_("Students who drew in the last three minutes") if helps else None)
    c.metric(_("Model right"), "-" if stats.accuracy is None else percent(stats.accuracy),
             help=ngettext("On the {n} drawing whose student said what it is",
                           "On the {n} drawings whose students said what they are",
                           stats.labelled).format(n=stats.labelled) if helps else None)
    confusion = stats.confusion
    d.metric(_("Most common mix-up"),
             "-" if confusion is None else _("{digit} read as {answer}").format(
                 digit=confusion[0], answer=confusion[1]),
             help=None if confusion is None or not helps else ngettext(
                 "{n} time", "{n} times", confusion[2]).format(n=confusion[2]))
