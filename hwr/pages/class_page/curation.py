"""The Class page's label check, for the teacher only: the suspicious labels first (one
student's prank shows as one block), the class's confusion matrix (label vs. the model's
answer) whose cells open their drawings, relabel or leave out a drawing, a whole cell or a
whole student, and undo. The cells and their drawings are in ``curation_cells.py``, the
changes and the undo bar in ``curation_actions.py``.

Every action goes through ``teacher_only``: it is done only for a session that
``is_teacher()`` (a student's session that sends the teacher's widget messages, forged,
gets nothing done), and it is recorded under this browser session's random teacher id
(``hwr.class_data.curation``). The state lives in the class database, so a change made on
one app server is what another reads at its next run.
"""

from __future__ import annotations

import html

import streamlit as st

from hwr.class_data import curation as rules
from hwr.class_data.collection import ALL_SAMPLES, NO_CLASS
from hwr.class_data.curation import Curation, CurationConfig, LeftOut
from hwr.pages.class_page import state
from hwr.pages.shared.class_state import class_collection
from hwr.pages.class_page.curation_actions import (
    NUMBERED,
    SOMEONE,
    UNKNOWN_STUDENTS,
    Name,
    exclude,
    generic_name,
    plural,
    relabel_as_read,
    undo_bar,
)
from hwr.pages.class_page.curation_cells import confusion_cells, drawing_controls
from hwr.pages.shared.language import _, ngettext, percent
from hwr.pages.shared.teacher_session import is_teacher

CONFIG = CurationConfig()
GROUPS_SHOWN = 6  # suspicious students shown at once


# --- pieces -------------------------------------------------------------------------

def student_names(class_id: int | None, view: Curation) -> dict[str | None, Name]:
    """A name to show for each student: the nickname they posted under, else a number
    (a student's session id is never shown); each as shown and as a change records it."""
    nicknames = {}
    if class_id not in (ALL_SAMPLES, NO_CLASS):
        nicknames = {s.student: s.nickname for s in class_collection().students(class_id)}
    names, unnamed = {}, 0
    for student in dict.fromkeys(view.students):
        if student is None:
            names[None] = generic_name(UNKNOWN_STUDENTS)
        elif nicknames.get(student):
            names[student] = Name(nicknames[student], nicknames[student])
        else:
            unnamed += 1
            names[student] = generic_name(NUMBERED, unnamed)
    return names


def name_of(names: dict, student: str | None) -> Name:
    return names.get(student) or generic_name(SOMEONE)


def suspicious_list(view: Curation, names: dict) -> None:
    groups = rules.suspicious(view, CONFIG)
    count = sum(len(g.indices) for g in groups)
    st.subheader(_("Suspicious labels: {count}").format(count=count))
    st.caption(_("Drawings whose label the model gives under {below} while it reads "
                 "another digit over {above} (and, for a student with {block} or more "
                 "such, the others the model reads differently), by student, the most "
                 "first: a student filing wrong labels shows as one block.").format(
        below=percent(CONFIG.label_below, 1), above=percent(CONFIG.other_above),
        block=CONFIG.block_min))
    if not groups:
        st.success(_("No suspicious labels."), icon=":material/check_circle:")
        return
    for n, group in enumerate(groups[:GROUPS_SHOWN]):
        ids = [int(view.ids[i]) for i in group.indices]
        who = name_of(names, group.student)
        scope = f"suspicious, {who.recorded}"  # recorded in English (scope_text shows it)
        # TRANSLATORS: a student's name, then how many of their drawings are suspicious.
        st.markdown(_("**{name}**: {drawings}").format(name=html.escape(who.shown),
                                                       drawings=plural(len(ids))))
        a, b = st.columns(2)
        a.button(ngettext("Leave these {n} out", "Leave these {n} out", len(ids)).format(
                     n=len(ids)),
                 key=state.suspicious_out(n), on_click=exclude, args=(ids, True, scope),
                 icon=":material/block:")
        b.button(_("File each as the model reads it"), key=state.suspicious_fix(n),
                 on_click=relabel_as_read,
                 args=({int(view.ids[i]): int(view.predicted[i]) for i in group.indices},
                       scope), icon=":material/edit:")
        if len(ids) < CONFIG.block_min:
            st.caption(_("A few of one student's are often the model's own mistake on "
                         "the class's handwriting, right labels that teaching learns most "
                         "from: look at them before leaving them out."))
        with st.expander(ngettext("Open {name}'s {n} drawing", "Open {name}'s {n} drawings",
                                  len(ids)).format(name=who.shown, n=len(ids))):
            drawing_controls(view, group.indices, state.suspicious(n))
    if len(groups) > GROUPS_SHOWN:
        more = len(groups) - GROUPS_SHOWN
        st.caption(ngettext("And {n} more students with fewer each.",
                            "And {n} more students with fewer each.", more).format(n=more))


def whole_student(view: Curation, names: dict) -> None:
    students = [s for s in dict.fromkeys(view.students) if s is not None]
    if not students:
        return
    st.subheader(_("A whole student"))
    counts = {s: len(view.of_student(s)) for s in students}
    chosen = st.selectbox(_("Student"), students, key=state.STUDENT,
                          format_func=lambda s: f"{name_of(names, s).shown} "
                                                f"({plural(counts[s])})")
    mine = view.of_student(chosen)
    ids = [int(view.ids[i]) for i in mine]
    who = name_of(names, chosen)
    scope = f"student {who.recorded}"  # recorded in English (scope_text shows it)
    out = int(view.excluded[mine].sum())
    n = len(ids)
    a, b = st.columns(2)
    a.button(ngettext("Leave out all {n}", "Leave out all {n}", n).format(n=n),
             key=state.STUDENT_EXCLUDE, on_click=exclude, args=(ids, True, scope),
             icon=":material/person_off:", disabled=out == n)
    b.button(ngettext("Take all {n} back", "Take all {n} back", n).format(n=n),
             key=state.STUDENT_INCLUDE, on_click=exclude, args=(ids, False, scope),
             icon=":material/undo:", disabled=out == 0)
    if out:
        st.caption(ngettext("{n} of {name}'s drawings are left out now.",
                            "{n} of {name}'s drawings are left out now.", out).format(
            n=out, name=who.shown))


def running_note(running: bool, left_out: LeftOut | None) -> None:
    if running:
        if left_out and left_out.as_of:
            text = _("A fine-tune is running: it learns from the labels as they were when "
                     "it started ({time} UTC). Changes you make now apply to the next "
                     "one.").format(time=left_out.as_of[11:19])
        else:
            text = _("A fine-tune is running: it learns from the labels as they were when "
                     "it started. Changes you make now apply to the next one.")
        st.info(text, icon=":material/model_training:")


# --- the section ----------------------------------------------------------------------

def curation_section(class_id: int | None, running: bool = False,
                     running_left_out: LeftOut | None = None) -> Curation | None:
    """The teacher's label check (nothing for anyone else); returns what it showed."""
    if not is_teacher():
        return None
    note = st.session_state.pop(state.NOTE, None)
    if note:  # what the last action did (a deleted drawing, one changed since)
        st.info(note, icon=":material/fact_check:")
    view = rules.curation(class_collection(), class_id)
    if len(view) == 0:
        return view
    st.header(_("Check the labels before teaching"))
    st.caption(_("Teaching and the export use the labels as you leave them here: relabel a "
                 "drawing or leave it out, one at a time or a whole cell or student at "
                 "once. Nothing is deleted, and every change can be undone."))
    running_note(running, running_left_out)
    undo_bar(class_id)
    names = student_names(class_id, view)
    suspicious_list(view, names)
    st.subheader(_("The class's confusion matrix"))
    confusion_cells(view)
    whole_student(view, names)
    return view
