"""The Teach page: the join code, the class's start and end, and the live wall.

Only the teacher's session sees more than the passcode field. The wall is a fragment
that reruns itself every second: it reads the class's latest drawings from the class
state and redraws one HTML element, never the whole page.
"""

from __future__ import annotations

import html
from datetime import datetime

import streamlit as st
from streamlit.net_util import get_internal_ip

from hwr.class_data.collection import Lesson, WallDrawing
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.teacher import PASSCODE_ENV, join_url, qr_svg
from hwr.pages.class_state import (
    class_changed,
    class_collection,
    running_class,
    show_unavailable,
    storage_failed,
)
from hwr.pages.markup import pixel_image_html
from hwr.pages.teacher_session import is_teacher, public_url, teacher_passcode, unlock_form

WALL_REFRESH = 1.0  # seconds; a stroke reaches the wall within about this plus a read
WALL_SIZE = 48  # drawings shown, newest first


def show_join() -> None:
    """A QR code and the address, large enough to read from the back of the room."""
    url = join_url(st.context.url, public_url(), get_internal_ip())
    big = st.session_state.get("wall_large", False)
    size = 420 if big else 300
    st.markdown(
        f'<div class="hwr-join" style="display:flex;gap:2rem;align-items:center;'
        f'flex-wrap:wrap"><div class="hwr-qr" style="width:{size}px">'
        f'{qr_svg(url).replace("<svg ", f"<svg width={size} height={size} ", 1)}</div>'
        f'<div><div style="font-size:1.1rem">Students open</div>'
        f'<div class="hwr-join-url" style="font-size:{3.2 if big else 2.4}rem;'
        f'font-weight:700;word-break:break-all">{html.escape(url)}</div>'
        f'<div style="color:#666">on a phone or laptop on the same network, or scan the '
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


def tile_html(drawing: WallDrawing, size: int) -> str:
    """One drawing on the wall: what the model said, and what the student said."""
    answer = "?" if drawing.not_a_digit else str(drawing.predicted)
    if drawing.label is None:
        verdict = ""
    elif drawing.label == drawing.predicted and not drawing.not_a_digit:
        verdict = '<span style="color:#2e7d32">&#10003;</span>'
    else:
        verdict = f'<span style="color:#c62828">it is a {drawing.label}</span>'
    name = html.escape(drawing.nickname) if drawing.nickname else "&nbsp;"
    return (f'<figure class="hwr-wall-tile" data-drawing="{drawing.drawing}" '
            f'style="margin:0;text-align:center">'
            f'{pixel_image_html(drawing.image, size, "a drawing")}'
            f'<figcaption style="line-height:1.2"><b style="font-size:{size // 4}px">'
            f'{answer}</b> {verdict}<br><span class="hwr-nickname" style="font-size:0.8rem;'
            f'color:#555">{name}</span></figcaption></figure>')


def wall_html(drawings: list[WallDrawing], large: bool) -> str:
    size = 150 if large else 96
    tiles = "".join(tile_html(d, size) for d in drawings)
    return (f'<div class="hwr-wall" style="display:grid;gap:12px 8px;grid-template-columns:'
            f'repeat(auto-fill,minmax({size + 16}px,1fr))">{tiles}</div>')


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
    """The class's latest drawings and figures, refreshed every second unless paused."""
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
    if st.session_state.get("wall_paused"):
        drawings = st.session_state.get("wall_snapshot", [])
        st.caption("Paused: new drawings wait until you resume.")
    else:
        drawings = class_collection().wall(lesson.id, WALL_SIZE)
        st.session_state.wall_snapshot = drawings
        show_figures(lesson)
    if not drawings:
        st.info("No drawings yet: they appear here as students draw.", icon=":material/draw:")
        return
    st.html(wall_html(drawings, st.session_state.get("wall_large", False)))


def teach_page() -> None:
    st.title("Teach")
    if not is_teacher():
        st.markdown("This page is for the teacher: the class's join code, its live wall, "
                    "and starting and ending a class.")
        unlock_form()
        return
    lesson = running_class()
    try:
        show_class_controls(lesson)
    except StorageUnavailable as e:
        storage_failed(e)
        show_unavailable(e)
    a, b, c = st.columns(3)
    a.toggle("Large, for the projector", key="wall_large")
    b.toggle("Pause the wall", key="wall_paused", disabled=lesson is None)
    if c.toggle("Show the join code", value=True, key="show_join"):
        show_join()
    if lesson is not None:
        st.header("The class's drawings")
        live_wall(lesson.id)
    if not teacher_passcode():
        st.caption("The teacher's controls open on this computer only: no passcode is set. "
                   f"To teach from another device, start the app with {PASSCODE_ENV}=... "
                   "or set teacher_passcode in .streamlit/secrets.toml.")
