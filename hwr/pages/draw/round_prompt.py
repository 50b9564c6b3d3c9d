"""A round on the students' Draw page: the prompt, the timer and Done, the note once a
drawing is entered or the round has ended, and the polls that find a round (every 2 s
while a class runs, every 10 s otherwise)."""

from __future__ import annotations

import html
import time
from dataclasses import replace

import streamlit as st

from hwr.class_data.rounds import DIGIT, FOOL, RANDOM, AlreadySubmitted, Round, RoundOver
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.wall import NicknameTaken, StudentRemoved
from hwr.pages.shared.class_state import (
    class_changed,
    class_collection,
    running_class,
    storage_failed,
    student_id,
)
from hwr.pages.shared.language import N_, _
from hwr.pages.draw.state import (
    CHANNEL_OPEN,
    CLASS_EVENT,
    COUNTDOWN,
    DONE,
    LAST_RESULT,
    MEANT,
    POLLS,
    ROUND_LOOKED,
    ROUND_NOTE,
    SHOWN,
)
from hwr.pages.shared.lesson import (
    ENTERED,
    IDLE_POLL,
    REMOVED,
    REMOVED_NOTE,
    ROUND,
    ROUND_POLL,
    flush_incomplete,
    in_round,
    lesson_changed,
    note_incomplete,
    round_now,
)
from hwr.pages.components.canvas import ONE_DIGIT, SAVED_DRAWING, canvas_key
from hwr.pages.components.wall import countdown
from hwr.pages.draw.sharing import current_nickname

NO_DIGIT_MEANT = N_("Say which digit you meant (0 to 9).")  # hwr.class_data.rounds's words

def prompt_text(found: Round, prompt: int | None) -> str:
    """The round's prompt, in the page's language."""
    if found.kind == DIGIT:
        # TRANSLATORS: a round's prompt to the whole class; {digit} is a digit ("7")
        return _("Everyone draw a {digit}").format(digit=prompt)
    if found.kind == RANDOM:
        # TRANSLATORS: a round's prompt to one student; {digit} is a digit ("7")
        return _("Draw a {digit}").format(digit=prompt)
    return _("Fool the network: draw a digit it misreads, then tap the digit you meant")


def submit_drawing(round_id: int, meant_key: str | None = None) -> None:
    """Done (or, fooling the network, the digit meant): the drawing on the canvas is
    this student's entry in the round."""
    state = st.session_state
    meant = state.get(meant_key) if meant_key else None
    if meant_key and meant is None:
        return
    drawing = state.get(SAVED_DRAWING, {}).get(canvas_key(ONE_DIGIT))
    last = state.get(LAST_RESULT)
    if drawing is None or drawing.is_empty or last is None or last[0][2] != drawing.id or \
            last[0][1] != ONE_DIGIT or last[2].is_empty:
        state[ROUND_NOTE] = _("Draw your digit first, then tap Done.")
        if meant_key:
            state[meant_key] = None
        return
    result = last[2]
    try:
        entry = class_collection().submit(
            round_id, student_id(), drawing.id, current_nickname(), result.digit,
            result.not_a_digit, result.confidence, result.model_input, meant=meant)
    except StorageUnavailable as e:
        storage_failed(e)
        note_incomplete(round_id)
        state[ROUND_NOTE] = _("Not recorded: class data is unavailable right now. "
                                    "Your drawing is still answered.")
        return
    except RoundOver:
        state[ROUND_NOTE] = _("Time's up: the round has ended.")
        return
    except AlreadySubmitted:
        state[ROUND_NOTE] = _("Your drawing for this round is in already.")
        return
    except StudentRemoved:
        state[REMOVED] = running_class().id if running_class() else None
        return
    except NicknameTaken:
        state[ROUND_NOTE] = _("That nickname is not available in this class: "
                                    "choose another.")
        return
    except ValueError as e:  # the one a student can cause: no digit meant
        said = str(e)
        state[ROUND_NOTE] = _(NO_DIGIT_MEANT) if said == NO_DIGIT_MEANT else said
        return
    state.setdefault(ENTERED, {})[round_id] = entry
    state.pop(ROUND_NOTE, None)


def _read_as(entry, fool: bool = False) -> str:
    """How the model read a round entry, in the page's language; in "Fool the network"
    (``fool``: the entry's prompt is the digit meant) whether it was fooled."""
    if fool:
        if entry.correct:
            return _("the model read it as a {answer}: not fooled").format(
                answer=entry.answer)
        if entry.not_a_digit:
            return _("the model read it as no digit, not a {prompt}: fooled").format(
                prompt=entry.prompt)
        return _("the model read it as a {answer}, not a {prompt}: fooled").format(
            answer=entry.answer, prompt=entry.prompt)
    if entry.correct:
        if entry.not_a_digit:
            return _("the model read it as no digit: right")
        return _("the model read it as a {answer}: right").format(answer=entry.answer)
    if entry.not_a_digit:
        return _("the model read it as no digit, not a {prompt}").format(prompt=entry.prompt)
    return _("the model read it as a {answer}, not a {prompt}").format(
        answer=entry.answer, prompt=entry.prompt)


def entered_note(entry, fool: bool = False) -> None:
    # TRANSLATORS: {result} is "the model read it as a 7: right" (or not a 7)
    st.success(_("Your drawing is in: {result}.").format(result=_read_as(entry, fool)),
               icon=":material/check_circle:")


def ended_note(state, class_id: int) -> None:
    """A round this page showed has ended: the student's own result."""
    last = state.get(ROUND)
    if not isinstance(last, Round) or last.class_id != class_id:
        return
    entry = state.get(ENTERED, {}).get(last.id)
    if entry is None and not state.get(ROUND_LOOKED) == last.id:
        state[ROUND_LOOKED] = last.id  # one look in the database per round
        try:
            entry = class_collection().entry_of(last.id, student_id())
        except StorageUnavailable as e:
            storage_failed(e)
        if entry is not None:
            state.setdefault(ENTERED, {})[last.id] = entry
    if entry is not None:
        # TRANSLATORS: {result} is "the model read it as a 7: right" (or not a 7)
        st.info(_("Round over: {result}.").format(
            result=_read_as(entry, last.kind == FOOL)), icon=":material/flag:")
    else:
        st.info(_("Round over."), icon=":material/flag:")


def database_away() -> bool:
    try:
        class_collection()  # raises while the database is known not to answer
        return False
    except StorageUnavailable:
        return True


def round_prompt() -> None:
    """The Draw page's round (prompt, timer, Done): looked for every ROUND_POLL seconds
    while a class runs; with none, every IDLE_POLL seconds whether one has started (then
    the page runs anew, with the round's poll). Each poll is a small script run (about
    5 ms of the server's CPU), so a page without a class asks less often.

    A page whose canvas has its answer channel open does not poll: the channel tells it
    when the class or its round changes (``hwr.server.class_events``, ``follow_class``).
    One fragment either way, only its clock differs (a fragment's id is its function's
    and its place's): the page's elements keep their places, and the canvas is never
    remounted under a pen when polling stops."""
    state = st.session_state
    polls = state[POLLS] = not state.get(CHANNEL_OPEN, False)
    if running_class() is None and not isinstance(state.get(ROUND), Round):
        st.fragment(_class_look, run_every=IDLE_POLL if polls else None)()
    else:
        st.fragment(_round_part, run_every=ROUND_POLL if polls else None)()


def _class_look() -> None:
    if running_class() is not None:
        st.rerun(scope="app")




def page_shows() -> None:
    """The drawing area records the class and the round it was drawn for (its note on
    the class wall, "Is it right?" or the round's entry): the round's poll runs the
    whole page anew when either changes (``_follow``)."""
    lesson = running_class()
    found = st.session_state.get(ROUND)
    st.session_state[SHOWN] = (lesson.id if lesson else None,
                               found.id if in_round() else None)


def _follow(class_id: int | None, found: Round | None) -> None:
    """The class ended, or a round started or ended, since the drawing area was drawn:
    the whole page runs anew (a poll's own run redraws only the poll), so what it says
    of the class follows without a reload. Once per change: the page's run records the
    new state."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    shown = st.session_state.get(SHOWN)
    now = (class_id, found.id if found is not None and found.running and not found.due()
           else None)
    ctx = get_script_run_ctx()
    if shown is not None and shown != now and ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="app")


def _over(last: Round) -> Round:
    """The round this page saw, as ended (the teacher ended it, or the class)."""
    return last if last.ended is not None else replace(last, ended=time.time())


def follow_class() -> None:
    """In the drawing area's run: the channel said the class changed (the page reads it
    afresh, and runs anew if what it shows changed: ``_follow``), or it opened or went
    down since the page last ran (the page runs anew, to stop or start polling)."""
    state = st.session_state
    if POLLS in state and state[POLLS] == bool(state.get(CHANNEL_OPEN)):
        st.rerun(scope="app")
    if not state.pop(CLASS_EVENT, False):
        return
    class_changed()  # this server's copies may be a second old: the channel's is not
    lesson_changed()
    lesson = running_class()
    try:
        found = round_now(lesson.id) if lesson is not None else None
        if lesson is not None and state.get(REMOVED) != lesson.id and removed_now(lesson.id):
            state[REMOVED] = lesson.id  # the page says so, and posts nothing more
            st.rerun(scope="app")
    except StorageUnavailable:
        return  # the round's part says so at the page's next run
    _follow(lesson.id if lesson is not None else None, found)


def removed_now(class_id: int) -> bool:
    """Whether the teacher removed this student from the class (the channel said a
    student was removed: this page learns whether it is this one)."""
    try:
        class_collection().moderation.check_student(class_id, student_id())
    except StudentRemoved:
        return True
    return False


def _round_part() -> None:
    """The round's part of the Draw page; while the database is away the round last seen
    goes on here (drawing and answers need no database) and its results are marked
    incomplete."""
    state = st.session_state
    last = state.get(ROUND) if isinstance(state.get(ROUND), Round) else None
    lesson = running_class()  # None while the database is away, too
    away, found = False, None
    if lesson is not None:
        if state.get(REMOVED) == lesson.id:
            st.info(_(REMOVED_NOTE), icon=":material/block:")
            return
        try:
            found = round_now(lesson.id)
            flush_incomplete()
        except StorageUnavailable as e:
            storage_failed(e)
            away = True
    elif last is not None and database_away():
        away = True
    else:
        state.pop(ROUND, None)
        _follow(None, None)  # the class has ended
        return
    if away:
        found = last if last is not None and last.running and not last.due() else None
        if found is not None:
            note_incomplete(found.id)
    else:
        _follow(lesson.id, found)
    if found is None:
        if last is not None:
            state[ROUND] = _over(last)
            ended_note(state, last.class_id)
        return
    state[ROUND] = found
    prompt = found.prompt_for(student_id())
    left = found.seconds_left()
    with st.container(key="hwr-round", horizontal=True, vertical_alignment="center",
                      gap="small"):
        st.html(f'<div class="hwr-prompt" data-round="{found.id}" '
                f'data-digit="{"" if prompt is None else prompt}">'
                f'{html.escape(prompt_text(found, prompt))}</div>')
        if left is not None:
            countdown(f"{COUNTDOWN}{found.id}", found.id, left)
        entry = state.get(ENTERED, {}).get(found.id)
        if found.kind != FOOL and entry is None:
            # TRANSLATORS: the button a student taps to hand in the drawing for a round
            st.button(_("Done"), key=f"{DONE}{found.id}", type="primary",
                      on_click=submit_drawing, args=(found.id,), icon=":material/check:",
                      help=_("Your drawing on the canvas is your entry (when the time is "
                             "up, it counts anyway)"))
    if away:
        st.caption(_("Class data is unavailable right now: keep drawing; this round's "
                     "results will say they are incomplete."))
    if found.kind == FOOL:  # its entry is under the canvas (fool_entry)
        return
    if entry is not None:
        entered_note(entry)
        return
    note = state.get(ROUND_NOTE)
    if note:
        st.caption(note)




def fool_entry(found: Round) -> None:
    """Under the canvas in "Fool the network", where "Is it right?" is otherwise: the
    digit meant (the student's entry), or once it is in, what the network made of it."""
    state = st.session_state
    entry = state.get(ENTERED, {}).get(found.id)
    if entry is not None:
        entered_note(entry, fool=True)
        return
    key = f"{MEANT}{found.id}"
    st.pills(_("Tap the digit you meant (it is your entry)"), range(10), key=key,
             on_change=submit_drawing, args=(found.id, key))
    note = state.get(ROUND_NOTE)
    if note:
        st.caption(note)
