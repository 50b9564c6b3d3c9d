"""The Teach page: the join code, the class's start and end, and the lesson: the round,
the live wall and the teacher's moderation (``hwr.pages.shared.lesson``).

Only the teacher's session sees more than the passcode field. The live part is a
fragment that reruns itself every second: it reads the class's round, figures, queue and
latest drawings from the class database and redraws them, never the whole page.

What the class sees on the projector is its own view (``hwr.pages.teach.projector``); the
join code and the class's figures, shown on both, are in ``hwr.pages.teach.class_display``.
"""

from __future__ import annotations

import html
import time
from datetime import datetime

import streamlit as st

from hwr import settings
from hwr.class_data.collection import Lesson
from hwr.class_data.storage import StorageUnavailable
from hwr.pages.teach.class_display import show_figures, show_join
from hwr.pages.teach.state import END_ASKED
from hwr.pages.shared.class_state import (
    class_changed,
    class_collection,
    running_class,
    storage_failed,
)
from hwr.pages.shared.language import _, date_time
from hwr.pages.shared.lesson import (
    ASK_REMOVE,
    PENDING_REMOVE,
    WALL_REFRESH,
    end_class,
    flush_incomplete,
    forget_removal,
    remove_student,
)
from hwr.pages.teach.moderation_panels import moderation_panel, moderation_settings
from hwr.pages.shared.markup import use_stylesheet
from hwr.pages.shared.student_data import student_data_section
from hwr.pages.teach.projector import PROJECTOR, VIEW, projector_link, projector_page
from hwr.pages.teach.round_panels import round_panel
from hwr.pages.shared.teacher_session import (
    is_teacher,
    show_unavailable,
    unlock_form,
)


def started_at(iso: str) -> str:
    """A class's start (an ISO time from the class database) as the language writes it."""
    try:
        return date_time(datetime.fromisoformat(iso).timestamp())
    except (TypeError, ValueError):
        return str(iso)[:16]


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
        st.session_state[END_ASKED] = lesson.id  # a double tap asks the same once
    if st.session_state.get(END_ASKED) == lesson.id:
        confirm_end(lesson)




def forget_end() -> None:
    st.session_state.pop(END_ASKED, None)


def confirm_end(lesson: Lesson) -> None:
    """Ask before ending the class. Its Yes ends this class only: a second tap, or a
    teacher in another tab who ended it first, ends nothing more."""

    def body() -> None:
        st.markdown(_("Students' drawings stop going on the wall, and a round that runs "
                      "ends. You can reopen the class later, with its wall and digits."))
        a, b = st.columns(2)
        if a.button(_("Yes, end the class"), key="end_class_confirm", type="primary",
                    icon=":material/stop:"):
            forget_end()
            end_class(lesson.id)
            st.rerun()
        if b.button(_("Cancel"), key="end_class_cancel"):
            forget_end()
            st.rerun()

    st.dialog(_("End the class?"), on_dismiss=forget_end)(body)()


def confirm_remove() -> None:
    """Ask before a wall's "Remove student" takes a student out of the class."""
    pending = st.session_state.get(PENDING_REMOVE)
    if not (isinstance(pending, tuple) and len(pending) == 3):
        return
    class_id, row, name = pending

    def body() -> None:
        st.markdown(_("Their drawings leave the wall and the class's digits, and what "
                      "they draw from now on is not shared. You can let them back in "
                      "under \"Taken down\"."))
        a, b = st.columns(2)
        label = (_("Remove {name}").format(name=name) if name
                 else _("Remove the student"))
        if a.button(label, key="remove_confirm", type="primary",
                    icon=":material/person_remove:"):
            remove_student(class_id, row)
            st.rerun()
        if b.button(_("Cancel"), key="remove_cancel"):
            forget_removal()
            st.rerun()

    title = (_("Remove {name} from the class?").format(name=name) if name
             else _("Remove this student from the class?"))
    st.dialog(title, on_dismiss=forget_removal)(body)()


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
    flush_incomplete()
    settings = class_collection().settings(lesson.id)
    round_panel(lesson)
    st.header(_("The class's drawings"))
    show_figures(lesson)
    moderation_panel(lesson, settings)
    if st.session_state.pop(ASK_REMOVE, False):  # a wall's Remove: the page asks first
        st.rerun(scope="app")

def teach_page() -> None:
    use_stylesheet()
    if st.query_params.get(VIEW) == PROJECTOR:
        projector_page()
        return
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
    if lesson is not None:
        try:
            a.link_button(_("Projector view"), projector_link(lesson),
                          icon=":material/co_present:")
            a.caption(_("The join code, the round and the wall, large and without your "
                        "controls, in a new tab: put it on the projector's screen."))
        except StorageUnavailable as e:
            storage_failed(e)
    if b.toggle(_("Show the join code"), value=True, key="show_join"):
        show_join()
    if lesson is not None:
        live_wall(lesson.id)
        confirm_remove()
        try:  # outside the wall's fragment: a student's data is not read every second
            student_data_section(lesson.id)  # when the data goes; one student's data
        except StorageUnavailable as e:
            storage_failed(e)
            show_unavailable(e)
    if not settings.teacher_passcode():
        st.caption(_("The teacher's controls open on this computer only: no passcode is "
                     "set. To teach from another device, start the app with {env}=... or "
                     "set teacher_passcode in .streamlit/secrets.toml.").format(
                         env=settings.PASSCODE_ENV))
