"""The Teach page: the join code, the class's start and end, and the lesson: the round,
the live wall and the teacher's moderation (``hwr.pages.lesson``).

Only the teacher's session sees more than the passcode field. The live part is a
fragment that reruns itself every second: it reads the class's round, figures, queue and
latest drawings from the class database and redraws them, never the whole page.
"""

from __future__ import annotations

import html
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
from hwr.pages.lesson import WALL_REFRESH, flush_incomplete
from hwr.pages.lesson_panels import moderation_panel, moderation_settings, round_panel
from hwr.pages.markup import use_stylesheet
from hwr.pages.teacher_session import is_teacher, public_url, teacher_passcode, unlock_form



def show_join() -> None:
    """A QR code and the address, large enough to read from the back of the room."""
    url = join_url(st.context.url, public_url(), get_internal_ip())
    large = " hwr-large" if st.session_state.get("wall_large", False) else ""
    st.markdown(
        f'<div class="hwr-join{large}"><div class="hwr-qr">{qr_svg(url)}</div>'
        f'<div><div class="hwr-join-lead">Students open</div>'
        f'<div class="hwr-join-url">{html.escape(url)}</div>'
        f'<div class="hwr-join-note">on a phone or laptop on the same network, or scan the '
        f'code.</div></div></div>', unsafe_allow_html=True)


def show_class_controls(lesson: Lesson | None) -> None:
    collection = class_collection()
    if lesson is None:
        default = datetime.now().strftime("Class, %d %b %H:%M")
        with st.form("start_class", border=False):
            name = st.text_input("Class name", value=default, max_chars=80,
                                 key="class_name")
            if st.form_submit_button("Start the class", type="primary",
                                     icon=":material/play_arrow:"):
                collection.start_class(name)
                class_changed()
                st.rerun()
        earlier = collection.classes()
        if earlier:
            chosen = st.selectbox("Or reopen an earlier class", earlier, index=None,
                                  format_func=lambda c: f"{c.name} (started {c.started[:16]})",
                                  key="reopen_choice")
            if chosen is not None and st.button("Reopen", key="reopen"):
                collection.reopen_class(chosen.id)
                class_changed()
                st.rerun()
        return
    a, b = st.columns([3, 1], vertical_alignment="center")
    a.success(f"**{html.escape(lesson.name)}** is on since {lesson.started[11:16]} UTC: "
              "students' drawings appear on the wall below.", icon=":material/school:")
    if b.button("End the class", key="end_class", icon=":material/stop:"):
        collection.end_class()
        class_changed()
        st.rerun()


def show_figures(lesson: Lesson) -> None:
    stats = class_collection().wall_stats(lesson.id)
    a, b, c, d = st.columns(4)
    a.metric("Drawings", stats.drawings)
    b.metric("Students drawing", stats.students_active,
             help="Students who drew in the last three minutes")
    c.metric("Model right", "-" if stats.accuracy is None else f"{stats.accuracy:.0%}",
             help=f"On the {stats.labelled} drawings whose students said what they are")
    confusion = stats.confusion
    d.metric("Most common mix-up",
             "-" if confusion is None else f"{confusion[0]} read as {confusion[1]}",
             help=None if confusion is None else f"{confusion[2]} times")


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
        st.info("The class has ended.", icon=":material/stop:")
        return
    if not is_teacher():  # the fragment reruns alone: the page's check is not enough
        return
    large = st.session_state.get("wall_large", False)
    flush_incomplete()
    settings = class_collection().settings(lesson.id)
    round_panel(lesson, large)
    st.header("The class's drawings")
    show_figures(lesson)
    moderation_panel(lesson, settings, large)


def teach_page() -> None:
    use_stylesheet()
    st.title("Teach")
    if not is_teacher():
        st.markdown("This page is for the teacher: the class's join code, its live wall, "
                    "and starting and ending a class.")
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
    a.toggle("Large, for the projector", key="wall_large")
    if b.toggle("Show the join code", value=True, key="show_join"):
        show_join()
    if lesson is not None:
        live_wall(lesson.id)
    if not teacher_passcode():
        st.caption("The teacher's controls open on this computer only: no passcode is set. "
                   f"To teach from another device, start the app with {PASSCODE_ENV}=... "
                   "or set teacher_passcode in .streamlit/secrets.toml.")
