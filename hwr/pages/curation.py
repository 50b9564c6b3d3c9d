"""The Class page's label check, for the teacher only: the suspicious labels first (one
student's prank shows as one block), the class's confusion matrix (label vs. the model's
answer) whose cells open their drawings, relabel or leave out a drawing, a whole cell or a
whole student, and undo.

Every action goes through ``teacher_only``: it is done only for a session that
``is_teacher()`` (a student's session that sends the teacher's widget messages, forged,
gets nothing done), and it is recorded under this browser session's random teacher id
(``hwr.class_data.curation``). The state lives in the class database, so a change made on
one app server is what another reads at its next run.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from hwr.class_data import curation as rules
from hwr.class_data.collection import ALL_SAMPLES, NO_CLASS, to_uint8
from hwr.class_data.curation import Curation, CurationConfig, LeftOut
from hwr.pages.class_state import class_collection
from hwr.pages.curation_actions import (
    NOTE,
    NUMBERED,
    ONE_DRAWING,
    SOMEONE,
    UNKNOWN_STUDENTS,
    Name,
    exclude,
    generic_name,
    plural,
    relabel,
    relabel_as_read,
    relabel_from_widget,
    undo_bar,
)
from hwr.pages.language import N_, _, ngettext, percent
from hwr.pages.markup import GALLERY_MAX, THUMBNAIL_SIZE, confusion_chart, figure_html
from hwr.pages.teacher_session import is_teacher

CONFIG = CurationConfig()
DIGITS = list(range(10))
CELL_TRUE, CELL_ANSWER = "cur_true", "cur_answer"
GROUPS_SHOWN = 6  # suspicious students shown at once
PER_ROW = 6  # drawings per row in a cell
NEW_MODEL, MODEL_BEFORE = N_("the new model"), N_("the model before")


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


def caption(view: Curation, i: int) -> str:
    label, answer = int(view.labels[i]), int(view.predicted[i])
    sure = percent(view.probabilities[i][answer])
    text = html.escape(_("filed as {label}, read as {answer} ({sure})").format(
        label=label, answer=answer, sure=sure), quote=False)
    if view.relabelled[i]:
        text += "<br>" + html.escape(_("the student said {digit}").format(
            digit=int(view.original[i])), quote=False)
    if view.excluded[i]:
        # TRANSLATORS: a drawing the teacher left out of teaching and the export.
        text += "<br><b>" + html.escape(_("left out"), quote=False) + "</b>"
    return text


def tile_html(view: Curation, i: int) -> str:
    """One drawing as the label check shows it (a left-out one faded: style.css)."""
    figure = figure_html(to_uint8(view.images[i]), caption(view, i), THUMBNAIL_SIZE)
    classes = "hwr-thumb hwr-curate" + (" hwr-left-out" if view.excluded[i] else "")
    return figure.replace('class="hwr-thumb"', f'class="{classes}"', 1)


def drawing_controls(view: Curation, indices: np.ndarray, prefix: str) -> None:
    """Each drawing with its label (change it to relabel) and Leave out / Take back."""
    shown = indices[:GALLERY_MAX]
    for start in range(0, len(shown), PER_ROW):
        columns = st.columns(PER_ROW)
        for column, i in zip(columns, shown[start:start + PER_ROW]):
            sample_id, label = int(view.ids[i]), int(view.labels[i])
            with column:
                st.html(tile_html(view, i))
                key = f"{prefix}_label_{sample_id}_{label}"  # a new widget once relabelled
                st.selectbox(_("Label"), DIGITS, index=label, key=key,
                             on_change=relabel_from_widget, args=(sample_id, key))
                out = bool(view.excluded[i])
                st.button(_("Take back") if out else _("Leave out"),
                          key=f"{prefix}_out_{sample_id}_{int(out)}",
                          on_click=exclude, args=([sample_id], not out, ONE_DRAWING),
                          icon=":material/undo:" if out else ":material/block:")
    if len(indices) > len(shown):
        st.caption(_("Showing {shown} of {total}; the bulk buttons act on all.").format(
            shown=len(shown), total=len(indices)))


def cell_view(view: Curation, indices: np.ndarray, label: int, answer: int,
              prefix: str) -> None:
    """One confusion cell's drawings, with bulk and per-drawing controls."""
    n = len(indices)
    st.markdown(ngettext("**{n} drawing** filed as **{label}** that the model read as "
                         "**{answer}**",
                         "**{n} drawings** filed as **{label}** that the model read as "
                         "**{answer}**", n).format(n=n, label=label, answer=answer))
    if n == 0:
        return
    ids = [int(view.ids[i]) for i in indices]
    scope = f"cell {label} read as {answer}"  # recorded in English (scope_text shows it)
    a, b, c = st.columns([2, 2, 2], vertical_alignment="bottom")
    new = a.selectbox(_("File them all under"), DIGITS, index=answer, key=f"{prefix}_as")
    b.button(ngettext("Relabel these {n}", "Relabel these {n}", n).format(n=n),
             key=f"{prefix}_relabel", on_click=relabel, args=(ids, new, scope),
             icon=":material/edit:")
    if view.excluded[indices].all():
        c.button(ngettext("Take these {n} back", "Take these {n} back", n).format(n=n),
                 key=f"{prefix}_include", on_click=exclude, args=(ids, False, scope),
                 icon=":material/undo:")
    else:
        c.button(ngettext("Leave these {n} out", "Leave these {n} out", n).format(n=n),
                 key=f"{prefix}_exclude", on_click=exclude, args=(ids, True, scope),
                 icon=":material/block:")
    drawing_controls(view, indices, prefix)


def _pick_cell() -> None:
    """Chart click -> the label/answer selectboxes under it."""
    event = st.session_state.get("cur_chart")
    points = (event or {}).get("selection", {}).get("cell", [])
    if points:
        st.session_state[CELL_TRUE] = int(points[0]["true"])
        st.session_state[CELL_ANSWER] = int(points[0]["predicted"])


def busiest_cell(matrix: np.ndarray) -> tuple[int, int]:
    """The most common misreading (or the most common digit when none)."""
    off = matrix.copy()
    np.fill_diagonal(off, -1)
    if off.max() > 0:
        t, p = np.unravel_index(int(off.argmax()), off.shape)
    else:
        t = p = int(np.argmax(np.diag(matrix)))
    return int(t), int(p)


def confusion_cells(view: Curation) -> None:
    matrix = view.confusion()
    state = st.session_state
    if CELL_TRUE not in state or CELL_ANSWER not in state:
        state[CELL_TRUE], state[CELL_ANSWER] = busiest_cell(matrix)
    st.caption(_("Label (what the drawing is filed under) against the model's answer "
                 "when it was drawn; drawings left out are not counted. Click a cell to "
                 "open its drawings."))
    st.vega_lite_chart(spec=confusion_chart(matrix, False),
                       key="cur_chart", on_select=_pick_cell, selection_mode="cell",
                       width="stretch")
    a, b = st.columns(2)
    label = a.selectbox(_("Filed as"), DIGITS, key=CELL_TRUE)
    answer = b.selectbox(_("Read by the model as"), DIGITS, key=CELL_ANSWER)
    cell_view(view, view.cell(label, answer), label, answer, "cur_cell")


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
                 key=f"cur_sus_out_{n}", on_click=exclude, args=(ids, True, scope),
                 icon=":material/block:")
        b.button(_("File each as the model reads it"), key=f"cur_sus_fix_{n}",
                 on_click=relabel_as_read,
                 args=({int(view.ids[i]): int(view.predicted[i]) for i in group.indices},
                       scope), icon=":material/edit:")
        if len(ids) < CONFIG.block_min:
            st.caption(_("A few of one student's are often the model's own mistake on "
                         "the class's handwriting, right labels that teaching learns most "
                         "from: look at them before leaving them out."))
        with st.expander(ngettext("Open {name}'s {n} drawing", "Open {name}'s {n} drawings",
                                  len(ids)).format(name=who.shown, n=len(ids))):
            drawing_controls(view, group.indices, f"cur_sus{n}")
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
    chosen = st.selectbox(_("Student"), students, key="cur_student",
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
             key="cur_student_exclude", on_click=exclude, args=(ids, True, scope),
             icon=":material/person_off:", disabled=out == n)
    b.button(ngettext("Take all {n} back", "Take all {n} back", n).format(n=n),
             key="cur_student_include", on_click=exclude, args=(ids, False, scope),
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
    note = st.session_state.pop(NOTE, None)
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


def held_out_cells(pictures: dict | None, class_id: int | None) -> None:
    """A fine-tune's before/after on its held-out digits, cell by cell: the same view
    as above (relabel, leave out) for the class's drawings in the chosen cell."""
    if pictures is None or not is_teacher() or not len(pictures["labels"]):
        return
    view = rules.curation(class_collection(), class_id)
    known = {to_uint8(view.images[i]).tobytes(): i for i in range(len(view))}
    labels = pictures["labels"].astype(np.int64)
    st.markdown(_("**The held-out digits, cell by cell** (their label against the "
                  "model's answer):"))
    a, b, c = st.columns(3)
    which = a.radio(_("Answer of"), [NEW_MODEL, MODEL_BEFORE], key="cur_ba_which",
                    horizontal=True, format_func=_)
    answers = pictures["after" if which == NEW_MODEL else "before"].astype(np.int64)
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels, answers), 1)
    state = st.session_state
    if "cur_ba_true" not in state:
        state["cur_ba_true"], state["cur_ba_answer"] = busiest_cell(matrix)
    label = b.selectbox(_("Filed as"), DIGITS, key="cur_ba_true")
    answer = c.selectbox(_("Read as"), DIGITS, key="cur_ba_answer")
    in_cell = np.flatnonzero((labels == label) & (answers == answer))
    found = [known.get(pictures["images"][i].tobytes()) for i in in_cell]
    indices = np.array([i for i in found if i is not None], np.int64)
    gone = len(in_cell) - len(indices)
    if gone:
        st.caption(ngettext("{n} drawing of this cell is no longer in the class's "
                            "drawings.",
                            "{n} drawings of this cell are no longer in the class's "
                            "drawings.", gone).format(n=gone))
    cell_view(view, indices, label, answer, "cur_ba")
