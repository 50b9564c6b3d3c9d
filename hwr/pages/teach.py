"""The Teach page: the join code, the class's start and end, and the lesson: the round,
the live wall and the teacher's moderation (``hwr.pages.lesson``).

Only the teacher's session sees more than the passcode field. The live part is a
fragment that reruns itself every second: it reads the class's round, figures, queue and
latest drawings from the class database and redraws them, never the whole page.

The projector view (``/teach?view=projector&key=...``, opened by the teacher's
"Projector view" link, usually in a second window on the projector's screen) shows what
the class sees and nothing else: the join code, the round's prompt and results, the
figures and the wall, large, without a single control. It needs no passcode: the key in
its link (one per class, ``projector_key``) opens it, and it shows only what the
projector shows anyway (never the queue, hidden drawings or removed students).
"""

from __future__ import annotations

import hmac
import html
import time
from datetime import datetime
from urllib.parse import urlencode

import streamlit as st
from streamlit.net_util import get_internal_ip

from hwr.class_data.collection import Lesson
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.teacher import PASSCODE_ENV, join_url
from hwr.pages.class_state import (
    class_changed,
    class_collection,
    running_class,
    show_unavailable,
    storage_failed,
)
from hwr.pages.language import _, current, date_time, ngettext, percent
from hwr.pages.lesson import (
    ASK_REMOVE,
    PENDING_REMOVE,
    WALL_REFRESH,
    end_class,
    flush_incomplete,
    forget_removal,
    remove_student,
)
from hwr.pages.lesson_panels import (
    WALL_SIZE,
    moderation_panel,
    moderation_settings,
    round_panel,
)
from hwr.pages.markup import use_stylesheet
from hwr.pages.wall import wall
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


QR_DENSE = 57  # modules (version 10, quiet zone included): above it the box grows
LONG_URL = 60  # characters: a longer address is written smaller (it is scanned, not typed)


def join_code(url: str) -> tuple[str, int] | None:
    """The address as a QR code (segno) that scales to its box: an SVG with a viewBox and
    no size of its own (style.css sizes ``.hwr-qr``; a fixed 370 px code in a 300 px box
    was cut off and did not scan), dark on white with its 4-module quiet zone; and its
    width in modules. None for an address too long for any QR code."""
    import segno

    try:
        code = segno.make(url, error="m")
    except segno.DataOverflowError:
        return None
    svg = code.svg_inline(scale=1, dark="#000", light="#fff", border=4, omitsize=True)
    return svg, code.symbol_size(scale=1, border=4)[0]


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
    url = with_language(join_url(st.context.url, public_url(), get_internal_ip()))
    st.markdown(join_html(url, large), unsafe_allow_html=True)


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


END_ASKED = "hwr_end_asked"  # the class whose "End the class?" is open


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

# --- the projector view -----------------------------------------------------------

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
    if st.session_state.get("hwr_projecting") == (lesson.id, given):
        return True  # checked once: the fragment asks every second
    key = class_collection().projector_key(lesson.id)
    if key and isinstance(given, str) and hmac.compare_digest(key.encode(), given.encode()):
        st.session_state["hwr_projecting"] = (lesson.id, given)
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
    if not teacher_passcode():
        st.caption(_("The teacher's controls open on this computer only: no passcode is "
                     "set. To teach from another device, start the app with {env}=... or "
                     "set teacher_passcode in .streamlit/secrets.toml.").format(
                         env=PASSCODE_ENV))
