"""The Teach page's projector view (``/teach?view=projector&key=...``, opened by the
teacher's "Projector view" link, usually in a second window on the projector's screen):
what the class sees and nothing else: the join code, the round's prompt and results,
the figures and the wall, large, without a single control. It needs no passcode: the
key in its link (one per class, ``projector_key``) opens it, and it shows only what the
projector shows anyway (never the queue, hidden drawings or removed students)."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

import streamlit as st

from hwr.class_data.collection import Lesson
from hwr.class_data.storage import StorageUnavailable
from hwr.pages.teach.class_display import show_figures, show_join
from hwr.pages.teach.state import PROJECTING
from hwr.pages.shared.class_state import (
    class_collection,
    running_class,
    storage_failed,
)
from hwr.pages.shared.language import _, current
from hwr.pages.shared.lesson import WALL_REFRESH
from hwr.pages.teach.moderation_panels import WALL_SIZE
from hwr.pages.teach.round_panels import round_panel
from hwr.pages.shared.teacher_session import is_teacher, show_unavailable
from hwr.pages.components.wall import wall

VIEW, PROJECTOR, KEY = "view", "projector", "key"  # ?view=projector&key=...


def projector_link(lesson: Lesson) -> str:
    """The projector view's address (relative: this page, in this language)."""
    key = class_collection().projector_key(lesson.id, create=True)
    return "?" + urlencode({VIEW: PROJECTOR, KEY: key, "lang": current()})


def may_project(lesson: Lesson) -> bool:
    """The teacher's session, or a link with the class's projector key."""
    if is_teacher():
        return True
    given = st.query_params.get(KEY, "")
    if st.session_state.get(PROJECTING) == (lesson.id, given):
        return True  # checked once: the fragment asks every second
    key = class_collection().projector_key(lesson.id)
    if key and isinstance(given, str) and hmac.compare_digest(key.encode(), given.encode()):
        st.session_state[PROJECTING] = (lesson.id, given)
        return True
    return False


def projector_page() -> None:
    """What the class sees: the join code, the round, the figures and the wall, large;
    no control at all (the sidebar starts closed: the page's width is the wall's)."""
    st.set_page_config(initial_sidebar_state="collapsed")
    lesson = running_class()
    try:
        allowed = lesson is not None and may_project(lesson)
    except StorageUnavailable as e:
        storage_failed(e)
        show_unavailable(e)
        return
    if lesson is None:
        st.info(_("No class is on. Start one on the Teach page, then open its projector "
                  "view."), icon=":material/co_present:")
        return
    if not allowed:
        st.info(_("This projector link is not the running class's: open the projector "
                  "view again from the Teach page."), icon=":material/lock:")
        return
    with st.container(key="hwr-projector"):  # style.css: the wall near the top
        show_join(large=True)
        projector_wall(lesson.id)


@st.fragment(run_every=WALL_REFRESH)
def projector_wall(lesson_id: int) -> None:
    try:
        lesson = running_class()
        if lesson is None or lesson.id != lesson_id:
            st.info(_("The class has ended."), icon=":material/stop:")
            return
        if not may_project(lesson):
            return
        round_panel(lesson, projector=True)
        show_figures(lesson, helps=False)
        drawings = class_collection().wall(lesson.id, WALL_SIZE)
        if drawings:
            wall("hwr_wall", drawings, True, (), lambda action: None)
        else:
            st.info(_("No drawings yet: they appear here as students draw."),
                    icon=":material/draw:")
    except StorageUnavailable as e:
        storage_failed(e)
        show_unavailable(e)
