"""The Teach page: the join code, the class's start and end, and the lesson: the round,
the live wall and the teacher's moderation (``hwr.pages.lesson``).

Only the teacher's session sees more than the passcode field. The live part is a
fragment that reruns itself every second: it reads the class's round, figures, queue and
latest drawings from the class database and redraws them, never the whole page.
"""

from __future__ import annotations

import html
import time
from datetime import datetime

import streamlit as st
from streamlit.net_util import get_internal_ip

from hwr.class_data.collection import Lesson
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.teacher import PASSCODE_ENV, join_url, qr_svg
from hwr.pages.class_state import (
    class_changed,
    class_collection,
    running_class,
    show_unavailable,
    storage_failed,
)
from hwr.pages.language import _, current, date_time, ngettext, percent
from hwr.pages.lesson import WALL_REFRESH, flush_incomplete
from hwr.pages.lesson_panels import moderation_panel, moderation_settings, round_panel
from hwr.pages.markup import use_stylesheet
from hwr.pages.teacher_session import is_teacher, public_url, teacher_passcode, unlock_form


def started_at(iso: str) -> str:
    """A class's start (an ISO time from the class database) as the language writes it."""
    try:
        return date_time(datetime.fromisoformat(iso).timestamp())
    except (TypeError, ValueError):
        return str(iso)[:16]


def with_language(url: str) -> str:
    """The join link carries the teacher's language: students open it in that language."""
    return f"{url}{'&' if '?' in url else '?'}lang={current()}"


def show_join() -> None:
    """A QR code and the address, large enough to read from the back of the room."""
    url = with_language(join_url(st.context.url, public_url(), get_internal_ip()))
    large = " hwr-large" if st.session_state.get("wall_large", False) else ""
    lead = html.escape(_("Students open"))
    note = html.escape(_("on a phone or laptop on the same network, or scan the code."))
    st.markdown(
        f'<div class="hwr-join{large}"><div class="hwr-qr">{qr_svg(url)}</div>'
        f'<div><div class="hwr-join-lead">{lead}</div>'
        f'<div class="hwr-join-url">{html.escape(url)}</div>'
        f'<div class="hwr-join-note">{note}</div></div></div>', unsafe_allow_html=True)


def show_class_controls(lesson: Lesson | None) -> None:
    collection = class_collection()
    if lesson is None:
        # TRANSLATORS: a new class's default name; "Class" is a school class.
        default = _("Class, {date}").format(date=date_time(time.time()))
        with st.form("start_class", border=False):
            name = st.text_input(_("Class name"), value=default, max_chars=80,
                                 key="class_name")
            if st.form_submit_button(_("Start the class"), type="primary",
                                     icon=":material/play_arrow:"):
                collection.start_class(name)
                class_changed()
                st.rerun()
        earlier = collection.classes()
        if earlier:
            chosen = st.selectbox(_("Or reopen an earlier class"), earlier, index=None,
                                  format_func=lambda c: _("{name} (started {date})").format(
                                      name=c.name, date=started_at(c.started)),
                                  key="reopen_choice")
            if chosen is not None and st.button(_("Reopen"), key="reopen"):
                collection.reopen_class(chosen.id)
                class_changed()
                st.rerun()
        return
    a, b = st.columns([3, 1], vertical_alignment="center")
    a.success(_("**{name}** is on since {date}: students' drawings appear on the wall "
                "below.").format(name=html.escape(lesson.name),
                                 date=started_at(lesson.started)),
              icon=":material/school:")
    if b.button(_("End the class"), key="end_class", icon=":material/stop:"):
        collection.end_class()
        class_changed()
        st.rerun()


def show_figures(lesson: Lesson) -> None:
    stats = class_collection().wall_stats(lesson.id)
    a, b, c, d = st.columns(4)
    a.metric(_("Drawings"), stats.drawings)
    b.metric(_("Students drawing"), stats.students_active,
             help=_("Students who drew in the last three minutes"))
    c.metric(_("Model right"), "-" if stats.accuracy is None else percent(stats.accuracy),
             help=ngettext("On the {n} drawing whose student said what it is",
                           "On the {n} drawings whose students said what they are",
                           stats.labelled).format(n=stats.labelled))
    confusion = stats.confusion
    d.metric(_("Most common mix-up"),
             "-" if confusion is None else _("{digit} read as {answer}").format(
                 digit=confusion[0], answer=confusion[1]),
             help=None if confusion is None else ngettext(
                 "{n} time", "{n} times", confusion[2]).format(n=confusion[2]))


@st.fragment(run_every=WALL_REFRESH)
def live_wall(lesson_id: int) -> None:
    """The round, the class's figures and latest drawings, refreshed every second."""
    try:
        show_wall(lesson_id)
    except StorageUnavailable as e:
        storage_failed(e)
        show_unavailable(e)


def show_wall(lesson_id: int) -> None:
    lesson = running_class()
    if lesson is None or lesson.id != lesson_id:
        st.info(_("The class has ended."), icon=":material/stop:")
        return
    if not is_teacher():  # the fragment reruns alone: the page's check is not enough
        return
    large = st.session_state.get("wall_large", False)
    flush_incomplete()
    settings = class_collection().settings(lesson.id)
    round_panel(lesson, large)
    st.header(_("The class's drawings"))
    show_figures(lesson)
    moderation_panel(lesson, settings, large)


def teach_page() -> None:
    use_stylesheet()
    st.title(_("Teach"))
    if not is_teacher():
        st.markdown(_("This page is for the teacher: the class's join code, its live wall, "
                      "and starting and ending a class."))
        unlock_form()
        return
    lesson = running_class()
    try:
        show_class_controls(lesson)
        if lesson is not None:
            moderation_settings(lesson)
    except StorageUnavailable as e:
        storage_failed(e)
        show_unavailable(e)
    a, b = st.columns(2)
    a.toggle(_("Large, for the projector"), key="wall_large")
    if b.toggle(_("Show the join code"), value=True, key="show_join"):
        show_join()
    if lesson is not None:
        live_wall(lesson.id)
    if not teacher_passcode():
        st.caption(_("The teacher's controls open on this computer only: no passcode is "
                     "set. To teach from another device, start the app with {env}=... or "
                     "set teacher_passcode in .streamlit/secrets.toml.").format(
                         env=PASSCODE_ENV))
