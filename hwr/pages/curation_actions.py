"""The teacher's label changes on the Class page (relabel, leave out, undo), each done
only for the teacher's session and recorded under this session's random teacher id, and
the bar that tells the last change and offers its undo."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from hwr.class_data import curation as rules
from hwr.class_data.collection import ALL_SAMPLES
from hwr.class_data.curation import Outcome
from hwr.pages.class_state import class_collection
from hwr.pages.teacher_session import teacher_only

TEACHER_SESSION = "hwr_teacher_session"  # this browser session's random teacher id
NOTE = "hwr_curation_note"  # what the last action did, shown once


def teacher_session_id() -> str:
    """A random id for this teacher's browser session (recorded with each change)."""
    if TEACHER_SESSION not in st.session_state:
        st.session_state[TEACHER_SESSION] = rules.new_id()
    return st.session_state[TEACHER_SESSION]


def _note(outcome: Outcome, done: str) -> None:
    """Tell the teacher what happened (deleted drawings, those someone changed since)."""
    parts = [done] if outcome.changed or outcome.unchanged else []
    if outcome.missing:
        parts.append(f"{outcome.missing} drawing{'s were' if outcome.missing > 1 else ' was'}"
                     " deleted meanwhile: nothing to change there")
    if outcome.kept:
        parts.append(f"{outcome.kept} changed since by another teacher (or by you) "
                     "stayed as they are")
    text = "; ".join(parts) or "Nothing to change."
    st.session_state[NOTE] = text
    st.toast(text, icon=":material/fact_check:")


def plural(n: int, word: str = "drawing") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@teacher_only
def relabel(ids: list[int], label: int, scope: str) -> None:
    outcome = rules.relabel(class_collection(), ids, label, teacher_session_id(), scope)
    _note(outcome, f"Filed {plural(outcome.changed + outcome.unchanged)} under {label}.")


@teacher_only
def relabel_from_widget(sample_id: int, key: str) -> None:
    label = st.session_state.get(key)
    if label is None:
        return
    outcome = rules.relabel(class_collection(), [sample_id], label, teacher_session_id(),
                            "one drawing")
    _note(outcome, f"Filed the drawing under {label}.")


@teacher_only
def relabel_as_read(labels: dict[int, int], scope: str) -> None:
    outcome = rules.relabel_each(class_collection(), labels, teacher_session_id(), scope)
    _note(outcome, f"Filed {plural(outcome.changed + outcome.unchanged)} under what the "
                   "model reads.")


@teacher_only
def exclude(ids: list[int], excluded: bool, scope: str) -> None:
    outcome = rules.exclude(class_collection(), ids, teacher_session_id(), scope, excluded)
    n = plural(outcome.changed + outcome.unchanged)
    _note(outcome, f"Left out {n}." if excluded else f"Took {n} back in.")


@teacher_only
def undo(batch: str | None = None) -> None:
    outcome = rules.undo(class_collection(), teacher_session_id(), batch)
    if outcome.batch is None:
        st.session_state[NOTE] = "Nothing to undo."
        return
    _note(outcome, f"Undone: {plural(outcome.changed + outcome.unchanged)} as before.")


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%H:%M:%S UTC")


def _describe(action: rules.Action) -> str:
    n = plural(action.drawings)
    if action.action == rules.RELABEL:
        text = f"relabelled {n}" + (f" as {action.new_label}"
                                    if action.new_label is not None else "")
    else:
        text = {rules.EXCLUDE: f"left out {n}", rules.INCLUDE: f"took back {n}",
                rules.UNDO: f"undid a change of {n}"}.get(action.action, action.action)
    if action.scope and action.action != rules.UNDO and not action.scope.startswith("as "):
        text += f" ({action.scope})"
    return text


def undo_bar(class_id: int | None) -> None:
    """This session's last change, to undo (again and again, back through its changes);
    every teacher's changes in an expander."""
    collection = class_collection()
    mine = [a for a in rules.history(collection, ALL_SAMPLES, teacher_session_id(), 50)
            if a.action != rules.UNDO and not a.undone]
    if mine:
        last = mine[0]
        a, b = st.columns([3, 1], vertical_alignment="center")
        a.markdown(f"Your last change: {_describe(last)}, {_when(last.at)}.")
        b.button("Undo", key="cur_undo", on_click=undo, args=(last.batch,),
                 icon=":material/undo:")
    changes = rules.history(collection, class_id, limit=30)
    if changes:
        with st.expander(f"Changes ({len(changes)} latest)"):
            me = teacher_session_id()
            st.dataframe([{
                "when": _when(c.at), "teacher": "you" if c.teacher == me else
                "another teacher session", "change": _describe(c),
                "undone": "yes" if c.undone else ""} for c in changes], hide_index=True)
