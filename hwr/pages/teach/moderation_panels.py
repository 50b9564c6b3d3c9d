"""The teacher's moderation on the Teach page: the class's settings, the wall's panel
with its queue, and what was taken down. (The rounds: ``hwr.pages.teach.round_panels``.)"""

from __future__ import annotations

import functools
import html

import streamlit as st

from hwr.class_data.collection import Lesson, WallDrawing
from hwr.class_data.moderation import ClassSettings
from hwr.class_data.storage import StorageUnavailable
from hwr.pages.shared.class_state import class_collection, storage_failed
from hwr.pages.shared.language import _, ngettext
from hwr.pages.shared.lesson import (
    LAST_ACTION,
    clear_wall,
    let_back_in,
    set_approve_first,
    set_frozen,
    set_generated_names,
    show_again,
    undo_last,
    wall_action,
)
from hwr.pages.shared.markup import pixel_image_html
from hwr.pages.shared.teacher_session import show_unavailable
from hwr.pages.components.wall import APPROVE, HIDE, REMOVE, wall

SETTINGS_REFRESH = 2.0  # s: the settings' toggles show the database's value this often


@st.fragment(run_every=SETTINGS_REFRESH)
def moderation_settings(lesson: Lesson) -> None:
    """The class's settings: approve first, generated nicknames only (any server's
    pages follow them within a second). A fragment that reads them anew every few
    seconds: a setting changed in another tab, or by another teacher, shows here too."""
    try:
        settings = class_collection().settings(lesson.id)
    except StorageUnavailable as e:
        storage_failed(e)
        show_unavailable(e)
        return
    a, b = st.columns(2)
    setting_toggle(a, _("Approve drawings first"), "approve_first", settings.approve_first,
                   set_approve_first, lesson.id,
                   _("New drawings wait in a queue only you see, until you approve or "
                     "hide them"))
    setting_toggle(b, _("Generated nicknames only"), "generated_names",
                   settings.generated_names, set_generated_names, lesson.id,
                   _('Students get a name like "Quick Otter" and cannot type their own'))


def setting_toggle(column, label: str, name: str, stored: bool, setter, class_id: int,
                   help: str) -> None:
    """A class setting's toggle, showing the database's value: one changed elsewhere
    (another teacher's tab, another server) is shown at the settings' next refresh.

    The toggle's key carries a generation, one more each time the database's value
    differs from what the toggle showed, and never used twice. The value is never put
    into a toggle the browser already has: a browser that had not yet seen that change
    sent its old state back with its next rerun, which read as a tap and wrote the old
    value again (with two tabs refreshing every few seconds, a setting turned off in one
    came back on). A key that came back with the value, as an unkeyed toggle's identity
    does, let the browser hand an old tap's state to the new toggle the same way. A tap
    writes the value, and the toggle shows what the database holds after it. An earlier
    generation's toggle changes nothing: Streamlit drops a toggle's state once a run no
    longer draws it, and a browser that still showed it sent it back, which read as a
    tap (seen in two tabs: a setting turned off in one came back on from the other).

    The help is a caption under the toggle, not its "?" icon: the icon sat inside the
    toggle's <label>, so a tap on it flipped the setting."""
    base = f"hwr_setting_{name}_{class_id}"
    seen, generation = f"{base}_seen", f"{base}_generation"  # the database's value shown
    state = st.session_state
    if state.get(seen) != stored:
        state[seen] = stored
        state[generation] = state.get(generation, -1) + 1
    key = f"{base}_{state[generation]}"

    def changed() -> None:
        if key != f"{base}_{state.get(generation)}":
            return  # an earlier toggle's state, sent by a browser that still showed it
        value = bool(state.get(key))
        setter(class_id, value)
        try:
            now = bool(getattr(class_collection().settings(class_id), name))
        except StorageUnavailable:
            now = not value  # not written: the toggle shows what it showed before
        if now != value:  # another tab wrote at that moment, or nothing was written
            state[generation] += 1
        state[seen] = now

    with column:
        st.toggle(label, value=stored, key=key, on_change=changed)
        st.caption(help)


def moderation_panel(lesson: Lesson, settings: ClassSettings) -> None:
    """The queue, the wall with each item's Hide and Remove, and what was taken down."""
    db = class_collection()
    waiting = db.waiting(lesson.id)
    if waiting or settings.approve_first:
        st.subheader(_("Waiting for your approval: {n}").format(n=len(waiting)))
        if waiting:
            wall("hwr_queue", waiting, False, (APPROVE, HIDE),
                 functools.partial(wall_action, lesson.id, allowed=(APPROVE, HIDE)))
    a, b, c = st.columns(3)
    if settings.frozen:
        a.button(_("Unfreeze the wall"), key="unfreeze_wall", on_click=set_frozen,
                 args=(lesson.id, False), icon=":material/play_arrow:")
    else:
        a.button(_("Freeze the wall"), key="freeze_wall", on_click=set_frozen,
                 args=(lesson.id, True), icon=":material/pause:")
    b.button(_("Clear the wall"), key="clear_wall", on_click=clear_wall, args=(lesson.id,),
             icon=":material/layers_clear:", help=_("Hide every drawing on it so far"))
    last = st.session_state.get(LAST_ACTION)
    if last is not None and last[1] == lesson.id:
        c.button(_("Undo the hide") if last[0] == HIDE else _("Undo the clear"),
                 key="undo_last", on_click=undo_last, args=(lesson.id,),
                 icon=":material/undo:")
    if settings.frozen:
        st.caption(_("Frozen: new drawings wait until you unfreeze the wall."))
    drawings = db.wall(lesson.id, WALL_SIZE)
    if drawings:
        wall("hwr_wall", drawings, False, (HIDE, REMOVE),
             functools.partial(wall_action, lesson.id, allowed=(HIDE, REMOVE)))
    else:
        st.info(_("No drawings yet: they appear here as students draw."),
                icon=":material/draw:")
    taken_down(lesson, db.hidden(lesson.id), [s for s in db.students(lesson.id) if s.removed])


def taken_down(lesson: Lesson, hidden: list[WallDrawing], removed: list) -> None:
    if not hidden and not removed:
        return
    drawings = ngettext("{n} drawing", "{n} drawings", len(hidden)).format(n=len(hidden))
    students = ngettext("{n} student", "{n} students", len(removed)).format(n=len(removed))
    with st.expander(_("Taken down: {drawings}, {students}").format(drawings=drawings,
                                                                   students=students)):
        for d in hidden:
            a, b = st.columns([1, 3], vertical_alignment="center")
            # TRANSLATORS: the alt text of a drawing the teacher hid.
            image = pixel_image_html(d.image, 48, _("hidden"))
            a.html(f'<span class="hwr-hidden-item">{image}'
                   f' {html.escape(d.nickname)}</span>')
            b.button(_("Show again"), key=f"show_again_{d.id}", on_click=show_again,
                     args=(lesson.id, d.id))
        for s in removed:
            label = (_("Let {name} back in").format(name=s.nickname) if s.nickname
                     else _("Let them back in"))
            st.button(label, key=f"let_back_{s.student}",
                      on_click=let_back_in, args=(lesson.id, s.student))


WALL_SIZE = 48  # drawings shown, newest first
