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
    exclude,
    plural,
    relabel,
    relabel_as_read,
    relabel_from_widget,
    undo_bar,
)
from hwr.pages.markup import GALLERY_MAX, THUMBNAIL_SIZE, confusion_chart, figure_html
from hwr.pages.teacher_session import is_teacher

CONFIG = CurationConfig()
DIGITS = list(range(10))
CELL_TRUE, CELL_ANSWER = "cur_true", "cur_answer"
GROUPS_SHOWN = 6  # suspicious students shown at once
PER_ROW = 6  # drawings per row in a cell


# --- pieces -------------------------------------------------------------------------

def student_names(class_id: int | None, view: Curation) -> dict:
    """A name to show for each student: the nickname they posted under, else a number
    (a student's session id is never shown)."""
    nicknames = {}
    if class_id not in (ALL_SAMPLES, NO_CLASS):
        nicknames = {s.student: s.nickname for s in class_collection().students(class_id)}
    names, unnamed = {}, 0
    for student in dict.fromkeys(view.students):
        if student is None:
            names[None] = "unknown students"
        elif nicknames.get(student):
            names[student] = nicknames[student]
        else:
            unnamed += 1
            names[student] = f"student {unnamed}"
    return names


def caption(view: Curation, i: int) -> str:
    label, answer = int(view.labels[i]), int(view.predicted[i])
    text = f"filed as {label}, read as {answer} ({view.probabilities[i][answer]:.0%})"
    if view.relabelled[i]:
        text += f"<br>the student said {int(view.original[i])}"
    if view.excluded[i]:
        text += "<br><b>left out</b>"
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
                st.selectbox("Label", DIGITS, index=label, key=key,
                             on_change=relabel_from_widget, args=(sample_id, key))
                out = bool(view.excluded[i])
                st.button("Take back" if out else "Leave out",
                          key=f"{prefix}_out_{sample_id}_{int(out)}",
                          on_click=exclude, args=([sample_id], not out, "one drawing"),
                          icon=":material/undo:" if out else ":material/block:")
    if len(indices) > len(shown):
        st.caption(f"Showing {len(shown)} of {len(indices)}; the bulk buttons act on all.")


def cell_view(view: Curation, indices: np.ndarray, label: int, answer: int,
              prefix: str) -> None:
    """One confusion cell's drawings, with bulk and per-drawing controls."""
    st.markdown(f"**{plural(len(indices))}** filed as **{label}** that the model read as "
                f"**{answer}**")
    if len(indices) == 0:
        return
    ids = [int(view.ids[i]) for i in indices]
    scope = f"cell {label} read as {answer}"
    a, b, c = st.columns([2, 2, 2], vertical_alignment="bottom")
    new = a.selectbox("File them all under", DIGITS, index=answer, key=f"{prefix}_as")
    b.button(f"Relabel these {len(ids)}", key=f"{prefix}_relabel", on_click=relabel,
             args=(ids, new, scope), icon=":material/edit:")
    if view.excluded[indices].all():
        c.button(f"Take these {len(ids)} back", key=f"{prefix}_include", on_click=exclude,
                 args=(ids, False, scope), icon=":material/undo:")
    else:
        c.button(f"Leave these {len(ids)} out", key=f"{prefix}_exclude", on_click=exclude,
                 args=(ids, True, scope), icon=":material/block:")
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
    st.caption("Label (what the drawing is filed under) against the model's answer when "
               "it was drawn; drawings left out are not counted. Click a cell to open its "
               "drawings.")
    st.vega_lite_chart(spec=confusion_chart(matrix, False), key="cur_chart",
                       on_select=_pick_cell, selection_mode="cell", width="stretch")
    a, b = st.columns(2)
    label = a.selectbox("Filed as", DIGITS, key=CELL_TRUE)
    answer = b.selectbox("Read by the model as", DIGITS, key=CELL_ANSWER)
    cell_view(view, view.cell(label, answer), label, answer, "cur_cell")


def suspicious_list(view: Curation, names: dict) -> None:
    groups = rules.suspicious(view, CONFIG)
    count = sum(len(g.indices) for g in groups)
    st.subheader(f"Suspicious labels: {count}")
    st.caption(f"Drawings whose label the model gives under {CONFIG.label_below:.0%} while "
               f"it reads another digit over {CONFIG.other_above:.0%} (and, for a student "
               f"with {CONFIG.block_min} or more such, the others the model reads "
               "differently), by student, the most first: a student filing wrong labels "
               "shows as one block.")
    if not groups:
        st.success("No suspicious labels.", icon=":material/check_circle:")
        return
    for n, group in enumerate(groups[:GROUPS_SHOWN]):
        ids = [int(view.ids[i]) for i in group.indices]
        who = names.get(group.student, "a student")
        st.markdown(f"**{html.escape(who)}**: {plural(len(ids))}")
        a, b = st.columns(2)
        a.button(f"Leave these {len(ids)} out", key=f"cur_sus_out_{n}", on_click=exclude,
                 args=(ids, True, f"suspicious, {who}"), icon=":material/block:")
        b.button("File each as the model reads it", key=f"cur_sus_fix_{n}",
                 on_click=relabel_as_read,
                 args=({int(view.ids[i]): int(view.predicted[i]) for i in group.indices},
                       f"suspicious, {who}"), icon=":material/edit:")
        if len(ids) < CONFIG.block_min:
            st.caption("A few of one student's are often the model's own mistake on "
                       "the class's handwriting, right labels that teaching learns most "
                       "from: look at them before leaving them out.")
        with st.expander(f"Open {who}'s {plural(len(ids))}"):
            drawing_controls(view, group.indices, f"cur_sus{n}")
    if len(groups) > GROUPS_SHOWN:
        st.caption(f"And {len(groups) - GROUPS_SHOWN} more students with fewer each.")


def whole_student(view: Curation, names: dict) -> None:
    students = [s for s in dict.fromkeys(view.students) if s is not None]
    if not students:
        return
    st.subheader("A whole student")
    counts = {s: len(view.of_student(s)) for s in students}
    chosen = st.selectbox("Student", students, key="cur_student",
                          format_func=lambda s: f"{names.get(s, 'a student')} "
                                                f"({plural(counts[s])})")
    mine = view.of_student(chosen)
    ids = [int(view.ids[i]) for i in mine]
    who = names.get(chosen, "a student")
    out = int(view.excluded[mine].sum())
    a, b = st.columns(2)
    a.button(f"Leave out all {len(ids)}", key="cur_student_exclude", on_click=exclude,
             args=(ids, True, f"student {who}"), icon=":material/person_off:",
             disabled=out == len(ids))
    b.button(f"Take all {len(ids)} back", key="cur_student_include", on_click=exclude,
             args=(ids, False, f"student {who}"), icon=":material/undo:", disabled=out == 0)
    if out:
        st.caption(f"{out} of {who}'s drawings are left out now.")


def running_note(running: bool, left_out: LeftOut | None) -> None:
    if running:
        when = f" ({left_out.as_of[11:19]} UTC)" if left_out and left_out.as_of else ""
        st.info(f"A fine-tune is running: it learns from the labels as they were when it "
                f"started{when}. Changes you make now apply to the next one.",
                icon=":material/model_training:")


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
    st.header("Check the labels before teaching")
    st.caption("Teaching and the export use the labels as you leave them here: relabel a "
               "drawing or leave it out, one at a time or a whole cell or student at once. "
               "Nothing is deleted, and every change can be undone.")
    running_note(running, running_left_out)
    undo_bar(class_id)
    names = student_names(class_id, view)
    suspicious_list(view, names)
    st.subheader("The class's confusion matrix")
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
    st.markdown("**The held-out digits, cell by cell** (their label against the model's "
                "answer):")
    a, b, c = st.columns(3)
    which = a.radio("Answer of", ["the new model", "the model before"], key="cur_ba_which",
                    horizontal=True)
    answers = pictures["after" if which == "the new model" else "before"].astype(np.int64)
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels, answers), 1)
    state = st.session_state
    if "cur_ba_true" not in state:
        state["cur_ba_true"], state["cur_ba_answer"] = busiest_cell(matrix)
    label = b.selectbox("Filed as", DIGITS, key="cur_ba_true")
    answer = c.selectbox("Read as", DIGITS, key="cur_ba_answer")
    in_cell = np.flatnonzero((labels == label) & (answers == answer))
    found = [known.get(pictures["images"][i].tobytes()) for i in in_cell]
    indices = np.array([i for i in found if i is not None], np.int64)
    gone = len(in_cell) - len(indices)
    if gone:
        st.caption(f"{plural(gone)} of this cell {'are' if gone > 1 else 'is'} no longer "
                   "in the class's drawings.")
    cell_view(view, indices, label, answer, "cur_ba")
