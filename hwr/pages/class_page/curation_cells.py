"""The label check's drawings, cell by cell: each drawing as a tile with its label and
Leave out / Take back, a confusion cell's drawings with the bulk buttons, the class's
confusion matrix whose cells open them, and a fine-tune's held-out digits in the same
cell view. Apart from ``curation.py`` (the section, the suspicious list, a whole student)
because the Class page's before/after opens these cells too, without the rest.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from hwr.class_data import curation as rules
from hwr.class_data.collection import to_uint8
from hwr.class_data.curation import Curation
from hwr.pages.class_page import state
from hwr.pages.shared.class_state import class_collection
from hwr.pages.class_page.curation_actions import (
    ONE_DRAWING,
    exclude,
    relabel,
    relabel_from_widget,
)
from hwr.pages.shared.language import N_, _, ngettext, percent
from hwr.pages.shared.markup import (
    GALLERY_MAX,
    THUMBNAIL_SIZE,
    bring_into_view,
    confusion_chart,
    figure_html,
)
from hwr.pages.shared.teacher_session import is_teacher

DIGITS = list(range(10))
PER_ROW = 6  # drawings per row in a cell
NEW_MODEL, MODEL_BEFORE = N_("the new model"), N_("the model before")



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
                key = state.drawing_label(prefix, sample_id, label)
                st.selectbox(_("Label"), DIGITS, index=label, key=key,
                             on_change=relabel_from_widget, args=(sample_id, key))
                out = bool(view.excluded[i])
                st.button(_("Take back") if out else _("Leave out"),
                          key=state.drawing_out(prefix, sample_id, out),
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
    new = a.selectbox(_("File them all under"), DIGITS, index=answer,
                      key=state.cell_as(prefix))
    b.button(ngettext("Relabel these {n}", "Relabel these {n}", n).format(n=n),
             key=state.cell_button(prefix, "relabel"), on_click=relabel,
             args=(ids, new, scope),
             icon=":material/edit:")
    if view.excluded[indices].all():
        c.button(ngettext("Take these {n} back", "Take these {n} back", n).format(n=n),
                 key=state.cell_button(prefix, "include"), on_click=exclude,
                 args=(ids, False, scope),
                 icon=":material/undo:")
    else:
        c.button(ngettext("Leave these {n} out", "Leave these {n} out", n).format(n=n),
                 key=state.cell_button(prefix, "exclude"), on_click=exclude,
                 args=(ids, True, scope),
                 icon=":material/block:")
    drawing_controls(view, indices, prefix)


def _pick_cell() -> None:
    """Chart click -> the label/answer selectboxes under it."""
    event = st.session_state.get(state.CELL_CHART)
    points = (event or {}).get("selection", {}).get("cell", [])
    if points:
        st.session_state[state.CELL_TRUE] = int(points[0]["true"])
        st.session_state[state.CELL_ANSWER] = int(points[0]["predicted"])
        st.session_state[state.CELL_CLICKED] = True


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
    session = st.session_state
    if state.CELL_TRUE not in session or state.CELL_ANSWER not in session:
        session[state.CELL_TRUE], session[state.CELL_ANSWER] = busiest_cell(matrix)
    st.caption(_("Label (what the drawing is filed under) against the model's answer "
                 "when it was drawn; drawings left out are not counted. Click a cell to "
                 "open its drawings."))
    st.vega_lite_chart(spec=confusion_chart(matrix, False),
                       key=state.CELL_CHART, on_select=_pick_cell, selection_mode="cell",
                       width="stretch")
    with st.container(key=state.CELL_AREA):
        a, b = st.columns(2)
        label = a.selectbox(_("Filed as"), DIGITS, key=state.CELL_TRUE)
        answer = b.selectbox(_("Read by the model as"), DIGITS, key=state.CELL_ANSWER)
        cell_view(view, view.cell(label, answer), label, answer, state.CELL)
    if session.pop(state.CELL_CLICKED, False):  # a chart click: its drawings, on screen
        bring_into_view(state.CELL_AREA)


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
    which = a.radio(_("Answer of"), [NEW_MODEL, MODEL_BEFORE], key=state.HELD_OUT_WHICH,
                    horizontal=True, format_func=_)
    answers = pictures["after" if which == NEW_MODEL else "before"].astype(np.int64)
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels, answers), 1)
    session = st.session_state
    if state.HELD_OUT_TRUE not in session:
        session[state.HELD_OUT_TRUE], session[state.HELD_OUT_ANSWER] = busiest_cell(matrix)
    label = b.selectbox(_("Filed as"), DIGITS, key=state.HELD_OUT_TRUE)
    answer = c.selectbox(_("Read as"), DIGITS, key=state.HELD_OUT_ANSWER)
    in_cell = np.flatnonzero((labels == label) & (answers == answer))
    found = [known.get(pictures["images"][i].tobytes()) for i in in_cell]
    indices = np.array([i for i in found if i is not None], np.int64)
    gone = len(in_cell) - len(indices)
    if gone:
        st.caption(ngettext("{n} drawing of this cell is no longer in the class's "
                            "drawings.",
                            "{n} drawings of this cell are no longer in the class's "
                            "drawings.", gone).format(n=gone))
    cell_view(view, indices, label, answer, state.HELD_OUT)
