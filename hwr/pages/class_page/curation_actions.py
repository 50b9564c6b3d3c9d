"""The teacher's label changes on the Class page (relabel, leave out, undo), each done
only for the teacher's session and recorded under this session's random teacher id, and
the bar that tells the last change and offers its undo."""

from __future__ import annotations

import re
from typing import NamedTuple

import streamlit as st

from hwr.class_data import curation as rules
from hwr.class_data.collection import ALL_SAMPLES
from hwr.class_data.curation import Outcome
from hwr.pages.class_page.state import NOTE, TEACHER_SESSION, UNDO
from hwr.pages.shared.class_state import class_collection
from hwr.pages.shared.language import N_, _, date_time, ngettext
from hwr.pages.shared.teacher_session import teacher_only

# A student's name where the nickname is missing. A change's scope is recorded in the
# class database in English (``recorded``) and shown in the page's language (``shown``).
UNKNOWN_STUDENTS = N_("unknown students")
SOMEONE = N_("a student")
# TRANSLATORS: a student without a nickname, numbered: "student 3".
NUMBERED = N_("student {number}")
ONE_DRAWING = "one drawing"  # a change's recorded scope
_NUMBERED = re.compile(r"student (\d+)")
_CELL = re.compile(r"cell (\d+) read as (\d+)")


class Name(NamedTuple):
    """A student's name as the page shows it and as a change's scope records it."""
    shown: str
    recorded: str


def generic_name(message: str, number: int | None = None) -> Name:
    """``UNKNOWN_STUDENTS``, ``SOMEONE`` or (with ``number``) ``NUMBERED`` as a Name."""
    if number is None:
        return Name(_(message), message)
    return Name(_(message).format(number=number), message.format(number=number))


def name_text(name: str) -> str:
    """A name recorded in a scope, in the page's language (a nickname stays as it is)."""
    if name in (UNKNOWN_STUDENTS, SOMEONE):
        return _(name)
    numbered = _NUMBERED.fullmatch(name)
    if numbered:
        return _(NUMBERED).format(number=numbered[1])
    return name


def scope_text(scope: str) -> str:
    """A change's scope as recorded (English: "cell 1 read as 7", "student Pranky"), in
    the page's language; one this page did not write stays as it is."""
    if scope == ONE_DRAWING:
        # TRANSLATORS: a change's scope: a single drawing changed on its own.
        return _("one drawing")
    if scope == "each":
        # TRANSLATORS: a change's scope: drawings each filed under its own digit.
        return _("each")
    cell = _CELL.fullmatch(scope)
    if cell:
        # TRANSLATORS: a change's scope: the drawings filed as {label} that the model
        # read as {answer}.
        return _("cell {label} read as {answer}").format(label=cell[1], answer=cell[2])
    if scope.startswith("suspicious, "):
        # TRANSLATORS: a change's scope: a student's drawings in the suspicious list.
        return _("suspicious, {name}").format(name=name_text(scope[len("suspicious, "):]))
    if scope.startswith("student "):
        # TRANSLATORS: a change's scope: all of one student's drawings.
        return _("student {name}").format(name=name_text(scope[len("student "):]))
    return scope


def teacher_session_id() -> str:
    """A random id for this teacher's browser session (recorded with each change)."""
    if TEACHER_SESSION not in st.session_state:
        st.session_state[TEACHER_SESSION] = rules.new_id()
    return st.session_state[TEACHER_SESSION]


def _note(outcome: Outcome, done: str) -> None:
    """Tell the teacher what happened, once: what was done as a notice (seen wherever
    the teacher is on the page), and what needs a second look (drawings deleted
    meanwhile, those someone changed since) also kept above the label check until the
    next run. A sentence is shown in one place only, never as a notice and a box."""
    attention = []
    if outcome.missing:
        attention.append(ngettext(
            "{n} drawing was deleted meanwhile: nothing to change there",
            "{n} drawings were deleted meanwhile: nothing to change there",
            outcome.missing).format(n=outcome.missing))
    if outcome.kept:
        attention.append(ngettext(
            "{n} changed since by another teacher (or by you) stayed as they are",
            "{n} changed since by another teacher (or by you) stayed as they are",
            outcome.kept).format(n=outcome.kept))
    if attention:
        st.session_state[NOTE] = "; ".join(attention)
    if outcome.changed or outcome.unchanged:
        st.toast(done, icon=":material/fact_check:")
    elif not attention:
        st.toast(_("Nothing to change."), icon=":material/fact_check:")


def plural(n: int) -> str:
    """"1 drawing", "5 drawings" in the page's language."""
    return ngettext("{n} drawing", "{n} drawings", n).format(n=n)


@teacher_only
def relabel(ids: list[int], label: int, scope: str) -> None:
    outcome = rules.relabel(class_collection(), ids, label, teacher_session_id(), scope)
    n = outcome.changed + outcome.unchanged
    _note(outcome, ngettext("Filed {n} drawing under {digit}.",
                            "Filed {n} drawings under {digit}.", n).format(
        n=n, digit=label))


@teacher_only
def relabel_from_widget(sample_id: int, key: str) -> None:
    label = st.session_state.get(key)
    if label is None:
        return
    outcome = rules.relabel(class_collection(), [sample_id], label, teacher_session_id(),
                            ONE_DRAWING)
    _note(outcome, _("Filed the drawing under {digit}.").format(digit=label))


@teacher_only
def relabel_as_read(labels: dict[int, int], scope: str) -> None:
    outcome = rules.relabel_each(class_collection(), labels, teacher_session_id(), scope)
    n = outcome.changed + outcome.unchanged
    _note(outcome, ngettext("Filed {n} drawing under what the model reads.",
                            "Filed {n} drawings under what the model reads.",
                            n).format(n=n))


@teacher_only
def exclude(ids: list[int], excluded: bool, scope: str) -> None:
    outcome = rules.exclude(class_collection(), ids, teacher_session_id(), scope, excluded)
    n = outcome.changed + outcome.unchanged
    if excluded:
        done = ngettext("Left out {n} drawing.", "Left out {n} drawings.", n)
    else:
        done = ngettext("Took {n} drawing back in.", "Took {n} drawings back in.", n)
    _note(outcome, done.format(n=n))


@teacher_only
def undo(batch: str | None = None) -> None:
    outcome = rules.undo(class_collection(), teacher_session_id(), batch)
    if outcome.batch is None:
        st.session_state[NOTE] = _("Nothing to undo.")
        return
    n = outcome.changed + outcome.unchanged
    _note(outcome, ngettext("Undone: {n} drawing as before.",
                            "Undone: {n} drawings as before.", n).format(n=n))


def _when(at: float) -> str:
    return date_time(at)


def _describe(action: rules.Action) -> str:
    n = action.drawings
    if action.action == rules.RELABEL and action.new_label is not None:
        text = ngettext("relabelled {n} drawing as {digit}",
                        "relabelled {n} drawings as {digit}", n).format(
            n=n, digit=action.new_label)
    elif action.action == rules.RELABEL:
        text = ngettext("relabelled {n} drawing", "relabelled {n} drawings", n).format(n=n)
    elif action.action == rules.EXCLUDE:
        text = ngettext("left out {n} drawing", "left out {n} drawings", n).format(n=n)
    elif action.action == rules.INCLUDE:
        text = ngettext("took back {n} drawing", "took back {n} drawings", n).format(n=n)
    elif action.action == rules.UNDO:
        text = ngettext("undid a change of {n} drawing", "undid a change of {n} drawings",
                        n).format(n=n)
    else:
        text = action.action  # an action this page does not know: its code name
    if action.scope and action.action != rules.UNDO and not action.scope.startswith("as "):
        text += f" ({scope_text(action.scope)})"
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
        a.markdown(_("Your last change: {change}, {when}.").format(
            change=_describe(last), when=_when(last.at)))
        # TRANSLATORS: a button: undo the teacher's last change to the labels.
        b.button(_("Undo"), key=UNDO, on_click=undo, args=(last.batch,),
                 icon=":material/undo:")
    changes = rules.history(collection, class_id, limit=30)
    if changes:
        n = len(changes)
        with st.expander(ngettext("Changes ({n} latest)", "Changes ({n} latest)",
                                  n).format(n=n)):
            me = teacher_session_id()
            # TRANSLATORS: who made a change: "you" (this teacher) or another session.
            you, another, yes = _("you"), _("another teacher session"), _("yes")
            # TRANSLATORS: a column of the table of label changes: when each was made.
            when = _("when")
            # TRANSLATORS: a column of the table of label changes: who made it.
            teacher = _("teacher")
            # TRANSLATORS: a column of the table of label changes: what it did (a noun).
            change = _("change")
            # TRANSLATORS: a column of the table of label changes: whether it was undone.
            undone = _("undone")
            st.dataframe([{
                when: _when(c.at), teacher: you if c.teacher == me else another,
                change: _describe(c), undone: yes if c.undone else ""} for c in changes],
                hide_index=True)
