"""The lesson's shared part: what every page reads of the running class (its round, its
settings), results the database could not take, and the teacher's actions.

Every teacher action goes through ``teacher_only``: it is done only for a session that
``is_teacher()`` (a student's session that sends the teacher's widget messages, forged,
gets nothing done). The state lives in the class database (``hwr.class_data``), so a
teacher on one app server moderates what was posted through another; each wall reads it
anew every second. The Teach page's panels are in ``hwr.pages.teach``, the Draw page's
round in ``hwr.pages.draw.round_prompt``.
"""

from __future__ import annotations

import threading

import streamlit as st

from hwr.class_data.moderation import ClassSettings
from hwr.class_data.rounds import (
    DEFAULT_SECONDS,
    DIGIT,
    FOOL,
    RANDOM,
    Round,
    RoundError,
)
from hwr.class_data.storage import StorageUnavailable
from hwr.pages.shared.class_state import (
    class_changed,
    class_collection,
    collection_at,
    database_url,
    storage_failed,
)
from hwr.pages.shared.language import N_, _, explained, ngettext
from hwr.pages.shared.teacher_session import teacher_only
from hwr.pages.components.wall import APPROVE, HIDE, REMOVE, parse_action

ROUND_POLL = 2.0  # s: how often a student's page looks for a round (and its end)
IDLE_POLL = 10.0  # s: how often a page with no class running looks for one
WALL_REFRESH = 1.0  # s: the Teach page's live part reruns itself this often
ROUND = "hwr_round"  # the round this session last saw running (a Round)
ENTERED = "hwr_round_entered"  # {round id: what the model read} of this session's entries
REMOVED = "hwr_removed_from"  # the class id this session was removed from
LAST_ACTION = "hwr_last_action"  # the teacher's last hide or clear, to undo
PENDING_REMOVE = "hwr_pending_remove"  # (class id, row, nickname): a Remove to confirm
ASK_REMOVE = "hwr_ask_remove"  # set with PENDING_REMOVE: the Teach page asks, once
# The Teach page's round form (its widgets' keys), read by start_round
ROUND_KIND, ROUND_DIGIT = "round_kind", "round_digit"
ROUND_TIMER, ROUND_SECONDS = "round_timer", "round_seconds"
ROUND_REFUSED = "hwr_round_refused"  # why the last Start was refused (template, values)
# Shown with _(REMOVED_NOTE), KIND_NAMES with _(KIND_NAMES[kind]).
REMOVED_NOTE = N_("The teacher has removed you from this class: your drawings are still "
                  "answered here, but no longer shared with the class.")
KIND_NAMES = {DIGIT: N_("Everyone draws one digit"), RANDOM: N_("A digit each"),
              FOOL: N_("Fool the network")}


def kind_name(kind: str) -> str:
    """A round kind's name in the page's language."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else str(kind)


def round_title(found: Round) -> str:
    """``Round.title`` in the page's language ("Everyone draw a 7", "A digit each")."""
    if found.kind == DIGIT:
        return _("Everyone draw a {digit}").format(digit=found.digit)
    return kind_name(found.kind) if found.kind in KIND_NAMES else found.title


# --- what every page reads --------------------------------------------------------

@st.cache_data(ttl=1.0, show_spinner=False)
def _round_now(url: str, class_id: int) -> Round | None:
    return collection_at(url).current_round(class_id)


@st.cache_data(ttl=1.0, show_spinner=False)
def _settings(url: str, class_id: int) -> ClassSettings:
    return collection_at(url).settings(class_id)


def round_now(class_id: int) -> Round | None:
    """The class's running round (read at most once a second per server); raises
    StorageUnavailable."""
    class_collection()  # raises while the database is known to be away
    return _round_now(database_url(), class_id)


def class_settings(class_id: int) -> ClassSettings:
    """The class's settings (once a second per server); the defaults while the database
    is away."""
    try:
        class_collection()
        return _settings(database_url(), class_id)
    except StorageUnavailable as e:
        storage_failed(e)
        return ClassSettings()


def lesson_changed() -> None:
    """The teacher changed a round or a setting: this server's pages see it at once."""
    _round_now.clear()
    _settings.clear()


# --- results the database could not take ------------------------------------------

_INCOMPLETE: set[int] = set()  # rounds with an entry or a drawing this server lost
_INCOMPLETE_LOCK = threading.Lock()


def note_incomplete(round_id: int) -> None:
    with _INCOMPLETE_LOCK:
        _INCOMPLETE.add(int(round_id))


def flush_incomplete() -> None:
    """Once the database answers again: the rounds that lost something say so."""
    with _INCOMPLETE_LOCK:
        pending = sorted(_INCOMPLETE)
    for round_id in pending:
        try:
            class_collection().mark_incomplete(round_id)
        except StorageUnavailable:
            return
        with _INCOMPLETE_LOCK:
            _INCOMPLETE.discard(round_id)


def lost_during_round() -> None:
    """A drawing or an entry did not reach the database while a round ran."""
    found = st.session_state.get(ROUND)
    if isinstance(found, Round):
        note_incomplete(found.id)


# --- the teacher's actions --------------------------------------------------------

@teacher_only(then=lesson_changed)
def wall_action(class_id: int, action: dict, allowed: tuple[str, ...]) -> None:
    """A tap on a wall item's button: hide, remove its student, or approve."""
    parsed = parse_action(action, allowed)
    if parsed is None:
        return
    op, row = parsed
    db = class_collection()
    if op == HIDE and db.hide_drawing(class_id, row):
        st.session_state[LAST_ACTION] = (HIDE, class_id, row)
    elif op == APPROVE:
        db.approve_drawing(class_id, row)
    elif op == REMOVE:  # asked first (the Teach page's dialog), then remove_student
        nickname = db.nickname_of(class_id, row)
        if nickname is not None:
            st.session_state[PENDING_REMOVE] = (class_id, row, nickname)
            st.session_state[ASK_REMOVE] = True


@teacher_only(then=lesson_changed)
def remove_student(class_id: int, row: int) -> None:
    """The dialog's Yes: the drawing's student leaves the class, with their drawings."""
    st.session_state.pop(PENDING_REMOVE, None)
    db = class_collection()
    student = db.student_of(class_id, row)
    if student is None:
        return
    hidden = db.remove_student(class_id, student)
    st.toast(ngettext("Removed from the class, with {n} drawing.",
                      "Removed from the class, with {n} drawings.",
                      hidden).format(n=hidden),
             icon=":material/person_remove:")


def forget_removal() -> None:
    """The dialog's Cancel (or its close): nobody is removed."""
    st.session_state.pop(PENDING_REMOVE, None)


@teacher_only
def end_class(class_id: int) -> bool:
    """End the class ``class_id`` if it is the one that runs: a second tap on Yes, or
    a teacher in another tab who ended it first, ends nothing (and no other class)."""
    db = class_collection()
    running = db.current_class()
    if running is None or running.id != class_id:
        class_changed()
        return False
    db.end_class()
    class_changed()
    return True


@teacher_only(then=lesson_changed)
def undo_last(class_id: int) -> None:
    last = st.session_state.pop(LAST_ACTION, None)
    if last is None or last[1] != class_id:
        return
    if last[0] == HIDE:
        class_collection().unhide_drawing(class_id, last[2])
    else:
        class_collection().undo_clear(class_id)


@teacher_only(then=lesson_changed)
def show_again(class_id: int, row: int) -> None:
    class_collection().unhide_drawing(class_id, row)


@teacher_only(then=lesson_changed)
def let_back_in(class_id: int, student: str) -> None:
    class_collection().readmit_student(class_id, student)


@teacher_only(then=lesson_changed)
def clear_wall(class_id: int) -> None:
    if class_collection().clear_wall(class_id):
        st.session_state[LAST_ACTION] = ("clear", class_id, None)


@teacher_only(then=lesson_changed)
def set_frozen(class_id: int, frozen: bool) -> None:
    class_collection().set_frozen(class_id, frozen)


@teacher_only(then=lesson_changed)
def set_approve_first(class_id: int, on: bool) -> None:
    class_collection().set_approve_first(class_id, on)


@teacher_only(then=lesson_changed)
def set_generated_names(class_id: int, on: bool) -> None:
    class_collection().set_generated_names(class_id, on)


@teacher_only(then=lesson_changed)
def start_round(class_id: int) -> None:
    """The round form's Start: its kind, digit and timer from the form's widgets."""
    state = st.session_state
    kind = state.get(ROUND_KIND, DIGIT)
    digit = state.get(ROUND_DIGIT, 7)
    seconds = state.get(ROUND_SECONDS, DEFAULT_SECONDS) if state.get(
        ROUND_TIMER, True) else None
    try:
        class_collection().start_round(class_id, kind, digit, seconds)
        state.pop(ROUND_REFUSED, None)
    except RoundError as e:  # said in the page's language (refusal_text)
        state[ROUND_REFUSED] = (e.template, e.values)


def refusal_text(refused: object) -> str:
    """The sentence for a round ``start_round`` refused, in the page's language."""
    if isinstance(refused, tuple) and len(refused) == 2:
        return explained(*refused)
    return _("The round could not start as asked.")


@teacher_only(then=lesson_changed)
def end_round(round_id: int) -> None:
    if not class_collection().end_round(round_id):
        st.toast(_("The round had ended already."), icon=":material/timer_off:")


@teacher_only(then=lesson_changed)
def close_results(class_id: int, round_id: int) -> None:
    """The round's results leave every wall, the projector's too."""
    class_collection().close_results(class_id, round_id)

def in_round() -> bool:
    """This session sees a round running (the Draw page's "Is it right?" waits: the
    round labels the drawing)."""
    found = st.session_state.get(ROUND)
    return isinstance(found, Round) and found.running and not found.due()


def fooling() -> Round | None:
    """The "Fool the network" round this session sees running, if any."""
    found = st.session_state.get(ROUND)
    return found if in_round() and found.kind == FOOL else None
