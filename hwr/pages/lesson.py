"""The lesson on the pages: the teacher's moderation and rounds on the Teach page, a
round's prompt, timer and Done on the students' Draw page, and the rounds on the Class
page.

Every teacher action goes through ``teacher_only``: it is done only for a session that
``is_teacher()`` (a student's session that sends the teacher's widget messages, forged,
gets nothing done). The state lives in the class database (``hwr.class_data``), so a
teacher on one app server moderates what was posted through another; each wall reads it
anew every second.
"""

from __future__ import annotations

import functools
import html
import threading
import time
from datetime import datetime, timezone

import streamlit as st

from hwr.class_data.collection import ALL_SAMPLES, NO_CLASS, Lesson, WallDrawing
from hwr.class_data.moderation import ClassSettings, NicknameTaken, StudentRemoved
from hwr.class_data.rounds import (
    DEFAULT_SECONDS,
    DIGIT,
    FOOL,
    GRACE,
    MAX_SECONDS,
    MIN_SECONDS,
    RANDOM,
    AlreadySubmitted,
    Round,
    RoundError,
    RoundOver,
    RoundResults,
    results_csv,
)
from hwr.class_data.storage import StorageUnavailable
from hwr.pages.class_state import (
    class_collection,
    collection_at,
    database_url,
    running_class,
    storage_failed,
    student_id,
)
from hwr.pages.markup import figure_html, pixel_image_html
from hwr.pages.teacher_session import is_teacher, teacher_only
from hwr.pages.wall import APPROVE, HIDE, REMOVE, countdown, parse_action, wall

ROUND_POLL = 2.0  # s: how often a student's page looks for a round (and its end)
IDLE_POLL = 10.0  # s: how often a page with no class running looks for one
WALL_REFRESH = 1.0  # s: the Teach page's live part reruns itself this often
ROUND = "hwr_round"  # the round this session last saw running (a Round)
ENTERED = "hwr_round_entered"  # {round id: what the model read} of this session's entries
REMOVED = "hwr_removed_from"  # the class id this session was removed from
LAST_ACTION = "hwr_last_action"  # the teacher's last hide or clear, to undo
RESULTS_CLOSED = "hwr_results_closed"  # the round whose results the teacher closed
REMOVED_NOTE = ("The teacher has removed you from this class: your drawings are still "
                "answered here, but no longer shared with the class.")
KIND_NAMES = {DIGIT: "Everyone draws one digit", RANDOM: "A digit each",
              FOOL: "Fool the network"}


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
    elif op == REMOVE:
        student = db.student_of(class_id, row)
        if student is not None:
            hidden = db.remove_student(class_id, student)
            st.toast(f"Removed from the class, with {hidden} drawings.",
                     icon=":material/person_remove:")


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
    kind = state.get("round_kind", DIGIT)
    seconds = state.get("round_seconds", DEFAULT_SECONDS) if state.get(
        "round_timer", True) else None
    try:
        class_collection().start_round(class_id, kind, state.get("round_digit", 7), seconds)
        state.pop("hwr_round_refused", None)
    except RoundError as e:
        state["hwr_round_refused"] = str(e)


@teacher_only(then=lesson_changed)
def end_round(round_id: int) -> None:
    if not class_collection().end_round(round_id):
        st.toast("The round had ended already.", icon=":material/timer_off:")


@teacher_only(then=lesson_changed)
def close_results(round_id: int) -> None:
    st.session_state[RESULTS_CLOSED] = round_id


# --- the Teach page ---------------------------------------------------------------

def moderation_settings(lesson: Lesson) -> None:
    """The class's settings: approve first, generated nicknames only (any server's
    pages follow them within a second)."""
    settings = class_collection().settings(lesson.id)
    a, b = st.columns(2)
    # Unkeyed: a setting changed elsewhere (another teacher, another server) shows as a
    # new toggle with the database's value.
    a.toggle("Approve drawings first", value=settings.approve_first,
             on_change=set_approve_first, args=(lesson.id, not settings.approve_first),
             help="New drawings wait in a queue only you see, until you approve or hide "
                  "them")
    b.toggle("Generated nicknames only", value=settings.generated_names,
             on_change=set_generated_names, args=(lesson.id, not settings.generated_names),
             help='Students get a name like "Quick Otter" and cannot type their own')


def round_form(lesson: Lesson) -> None:
    with st.form("round_form", border=True):
        st.markdown("**A round**: everyone draws to a prompt; the results go on the wall.")
        st.radio("Prompt", list(KIND_NAMES), format_func=KIND_NAMES.get, key="round_kind",
                 horizontal=True)
        a, b, c = st.columns(3)
        a.selectbox("Digit (everyone draws one digit)", range(10), index=7,
                    key="round_digit")
        b.checkbox("Timer", value=True, key="round_timer")
        c.number_input(f"Seconds ({MIN_SECONDS} to {MAX_SECONDS})", value=DEFAULT_SECONDS,
                       step=1, key="round_seconds")
        st.form_submit_button("Start the round", type="primary", on_click=start_round,
                              args=(lesson.id,), icon=":material/timer:")
    refused = st.session_state.get("hwr_round_refused")
    if refused:
        st.error(refused, icon=":material/timer_off:")


def round_status(found: Round, entered: int) -> None:
    left = found.seconds_left()
    timer = "" if left is None else f" &middot; <b>{left:.0f} s</b> left"
    st.html(f'<div class="hwr-round-status" data-round="{found.id}">Round on: '
            f'<b>{html.escape(found.title)}</b>{timer} &middot; {entered} in</div>')
    st.button("End the round", key="end_round", on_click=end_round, args=(found.id,),
              icon=":material/stop_circle:")


def _entry_row(e) -> str:
    answer = "?" if e.not_a_digit else str(e.answer)
    verdict = ('<td class="hwr-right">&#10003; right</td>' if e.correct else
               '<td class="hwr-wrong">&#10007; wrong</td>')
    name = html.escape(e.nickname)
    return (f'<tr class="hwr-round-row" data-student="{name}"><td>{name}</td>'
            f'<td>{e.prompt}</td><td>{answer}</td>{verdict}<td>{e.confidence:.0%}</td></tr>')


def results_html(results: RoundResults, large: bool = False) -> str:
    """A round's results for the projector: how many the model read right, a row per
    student, the hardest drawings and the ones that fooled it (escaped nicknames)."""
    found, entries = results.round, results.entries
    parts = [f'<div class="hwr-round-results{" hwr-large" if large else ""}" '
             f'data-round="{found.id}" data-right="{results.right}" '
             f'data-entries="{len(entries)}">',
             f'<div class="hwr-round-score">{html.escape(found.title)}: the model read '
             f'<b>{results.right} of {len(entries)}</b> right</div>']
    if found.incomplete:
        parts.append('<p class="hwr-incomplete">These results are incomplete: class data '
                     'was unavailable for a while during the round.</p>')
    if entries:
        parts.append('<table class="hwr-round-table"><thead><tr><th>Student</th>'
                     '<th>Asked for</th><th>Read as</th><th>Right?</th><th>Confidence</th>'
                     f'</tr></thead><tbody>{"".join(map(_entry_row, entries))}</tbody>'
                     '</table>')
    for title, chosen, cls in (("Hardest: read right, but only just", results.hardest,
                                "hwr-round-hardest"),
                               ("They fooled the model", results.fooled[:12],
                                "hwr-round-fooled")):
        if chosen:
            figures = "".join(figure_html(
                e.image, f"{html.escape(e.nickname)}: a {e.prompt} read as "
                         f"{'?' if e.not_a_digit else e.answer} ({e.confidence:.0%})", 84)
                for e in chosen)
            parts.append(f'<div class="{cls}"><h4>{title}</h4>'
                         f'<div class="hwr-gallery">{figures}</div></div>')
    parts.append("</div>")
    return "".join(parts)


def round_panel(lesson: Lesson, large: bool) -> None:
    db = class_collection()
    found = db.current_round(lesson.id)
    if found is not None and found.deadline is not None:
        wait = found.deadline + GRACE - time.time()
        if 0 < wait <= WALL_REFRESH:  # the timer runs out before the next refresh: the
            time.sleep(wait + 0.01)  # results go up on time, not up to a second late
            found = db.current_round(lesson.id)  # due now: ended here (or elsewhere)
    if found is not None:
        round_status(found, db.entry_count(found.id))
        return
    latest = next(iter(db.rounds(lesson.id)), None)
    if latest is not None and st.session_state.get(RESULTS_CLOSED) != latest.id:
        st.html(results_html(db.round_results(latest.id), large))
        a, b = st.columns(2)
        a.button("Close the results", key="close_results", on_click=close_results,
                 args=(latest.id,), icon=":material/close:")
        b.download_button("Download the rounds (CSV)", key="rounds_csv",
                          data=functools.partial(rounds_csv, lesson.id),
                          file_name=csv_name(lesson.name), mime="text/csv",
                          icon=":material/download:")
    round_form(lesson)


def rounds_csv(class_id: int) -> str:
    return results_csv(class_collection().class_results(class_id))


def csv_name(name: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in name).strip("-")[:40] or "class"
    return f"rounds-{safe}.csv"


def moderation_panel(lesson: Lesson, settings: ClassSettings, large: bool) -> None:
    """The queue, the wall with each item's Hide and Remove, and what was taken down."""
    db = class_collection()
    waiting = db.waiting(lesson.id)
    if waiting or settings.approve_first:
        st.subheader(f"Waiting for your approval: {len(waiting)}")
        if waiting:
            wall("hwr_queue", waiting, large, (APPROVE, HIDE),
                 functools.partial(wall_action, lesson.id, allowed=(APPROVE, HIDE)))
    a, b, c = st.columns(3)
    if settings.frozen:
        a.button("Unfreeze the wall", key="unfreeze_wall", on_click=set_frozen,
                 args=(lesson.id, False), icon=":material/play_arrow:")
    else:
        a.button("Freeze the wall", key="freeze_wall", on_click=set_frozen,
                 args=(lesson.id, True), icon=":material/pause:")
    b.button("Clear the wall", key="clear_wall", on_click=clear_wall, args=(lesson.id,),
             icon=":material/layers_clear:", help="Hide every drawing on it so far")
    last = st.session_state.get(LAST_ACTION)
    if last is not None and last[1] == lesson.id:
        c.button("Undo the hide" if last[0] == HIDE else "Undo the clear", key="undo_last",
                 on_click=undo_last, args=(lesson.id,), icon=":material/undo:")
    if settings.frozen:
        st.caption("Frozen: new drawings wait until you unfreeze the wall.")
    drawings = db.wall(lesson.id, WALL_SIZE)
    if drawings:
        wall("hwr_wall", drawings, large, (HIDE, REMOVE),
             functools.partial(wall_action, lesson.id, allowed=(HIDE, REMOVE)))
    else:
        st.info("No drawings yet: they appear here as students draw.", icon=":material/draw:")
    taken_down(lesson, db.hidden(lesson.id), [s for s in db.students(lesson.id) if s.removed])


def taken_down(lesson: Lesson, hidden: list[WallDrawing], removed: list) -> None:
    if not hidden and not removed:
        return
    with st.expander(f"Taken down: {len(hidden)} drawings, {len(removed)} students"):
        for d in hidden:
            a, b = st.columns([1, 3], vertical_alignment="center")
            a.html(f'<span class="hwr-hidden-item">{pixel_image_html(d.image, 48, "hidden")}'
                   f' {html.escape(d.nickname)}</span>')
            b.button("Show again", key=f"show_again_{d.id}", on_click=show_again,
                     args=(lesson.id, d.id))
        for s in removed:
            st.button(f"Let {s.nickname or 'them'} back in", key=f"let_back_{s.student}",
                      on_click=let_back_in, args=(lesson.id, s.student))


WALL_SIZE = 48  # drawings shown, newest first


# --- the Draw page ----------------------------------------------------------------

def prompt_text(found: Round, prompt: int | None) -> str:
    if found.kind == DIGIT:
        return f"Everyone draw a {prompt}"
    if found.kind == RANDOM:
        return f"Draw a {prompt}"
    return "Fool the network: draw a digit it misreads, then tap the digit you meant"


def submit_drawing(round_id: int, meant_key: str | None = None) -> None:
    """Done (or, fooling the network, the digit meant): the drawing on the canvas is
    this student's entry in the round."""
    from hwr.pages.canvas import ONE_DIGIT, SAVED_DRAWING, canvas_key
    from hwr.pages.draw import LAST_RESULT
    from hwr.pages.sharing import current_nickname

    state = st.session_state
    meant = state.get(meant_key) if meant_key else None
    if meant_key and meant is None:
        return
    drawing = state.get(SAVED_DRAWING, {}).get(canvas_key(ONE_DIGIT))
    last = state.get(LAST_RESULT)
    if drawing is None or drawing.is_empty or last is None or last[0][2] != drawing.id or \
            last[0][1] != ONE_DIGIT or last[2].is_empty:
        state["hwr_round_note"] = "Draw your digit first, then tap Done."
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
        state["hwr_round_note"] = ("Not recorded: class data is unavailable right now. "
                                   "Your drawing is still answered.")
        return
    except RoundOver:
        state["hwr_round_note"] = "Time's up: the round has ended."
        return
    except AlreadySubmitted:
        state["hwr_round_note"] = "Your drawing for this round is in already."
        return
    except StudentRemoved:
        state[REMOVED] = running_class().id if running_class() else None
        return
    except NicknameTaken:
        state["hwr_round_note"] = ("That nickname is not available in this class: "
                                   "choose another.")
        return
    except ValueError as e:
        state["hwr_round_note"] = str(e)
        return
    state.setdefault(ENTERED, {})[round_id] = entry
    state.pop("hwr_round_note", None)


def _read_as(entry) -> str:
    answer = "no digit" if entry.not_a_digit else f"a {entry.answer}"
    if entry.correct:
        return f"the model read it as {answer}: right"
    return f"the model read it as {answer}, not a {entry.prompt}"


def entered_note(entry) -> None:
    st.success(f"Your drawing is in: {_read_as(entry)}.", icon=":material/check_circle:")


def ended_note(state, class_id: int) -> None:
    """A round this page showed has ended: the student's own result."""
    last = state.get(ROUND)
    if not isinstance(last, Round) or last.class_id != class_id:
        return
    entry = state.get(ENTERED, {}).get(last.id)
    if entry is None and not state.get("hwr_round_looked") == last.id:
        state["hwr_round_looked"] = last.id  # one look in the database per round
        try:
            entry = class_collection().entry_of(last.id, student_id())
        except StorageUnavailable as e:
            storage_failed(e)
        if entry is not None:
            state.setdefault(ENTERED, {})[last.id] = entry
    if entry is not None:
        st.info(f"Round over: {_read_as(entry)}.", icon=":material/flag:")
    else:
        st.info("Round over.", icon=":material/flag:")


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
    5 ms of the server's CPU), so a page without a class asks less often."""
    if running_class() is None and not isinstance(st.session_state.get(ROUND), Round):
        _class_poll()
    else:
        _round_poll()


@st.fragment(run_every=IDLE_POLL)
def _class_poll() -> None:
    if running_class() is not None:
        st.rerun(scope="app")


@st.fragment(run_every=ROUND_POLL)
def _round_poll() -> None:
    """The round's part of the Draw page; while the database is away the round last seen
    goes on here (drawing and answers need no database) and its results are marked
    incomplete."""
    state = st.session_state
    last = state.get(ROUND) if isinstance(state.get(ROUND), Round) else None
    lesson = running_class()  # None while the database is away, too
    away, found = False, None
    if lesson is not None:
        if state.get(REMOVED) == lesson.id:
            st.info(REMOVED_NOTE, icon=":material/block:")
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
        return
    if away:
        found = last if last is not None and last.running and not last.due() else None
        if found is not None:
            note_incomplete(found.id)
    if found is None:
        if last is not None:
            ended_note(state, last.class_id)
        return
    state[ROUND] = found
    prompt = found.prompt_for(student_id())
    st.html(f'<div class="hwr-prompt" data-round="{found.id}" '
            f'data-digit="{"" if prompt is None else prompt}">'
            f'{html.escape(prompt_text(found, prompt))}</div>')
    left = found.seconds_left()
    if left is not None:
        countdown(f"hwr_countdown_{found.id}", found.id, left)
    if away:
        st.caption("Class data is unavailable right now: keep drawing; this round's "
                   "results will say they are incomplete.")
    entry = state.get(ENTERED, {}).get(found.id)
    if entry is not None:
        entered_note(entry)
        return
    if found.kind == FOOL:
        key = f"hwr_meant_{found.id}"
        st.pills("Tap the digit you meant (it is your entry)", range(10), key=key,
                 on_change=submit_drawing, args=(found.id, key))
    else:
        st.button("Done", key=f"hwr_done_{found.id}", type="primary",
                  on_click=submit_drawing, args=(found.id,), icon=":material/check:",
                  help="Your drawing on the canvas is your entry (when the time is up, "
                       "it counts anyway)")
    note = state.get("hwr_round_note")
    if note:
        st.caption(note)


def in_round() -> bool:
    """This session sees a round running (the Draw page's "Is it right?" waits: the
    round labels the drawing)."""
    found = st.session_state.get(ROUND)
    return isinstance(found, Round) and found.running and not found.due()


# --- the Class page ---------------------------------------------------------------

def rounds_section(class_id: int | None) -> None:
    """The class's rounds, and (for the teacher) their results as CSV."""
    if class_id in (ALL_SAMPLES, NO_CLASS):
        return
    results = class_collection().class_results(class_id)
    if not results:
        return
    with st.expander(f"Rounds: {len(results)}"):
        st.dataframe([{
            "round": n + 1,
            "started (UTC)": datetime.fromtimestamp(r.round.started, timezone.utc)
            .strftime("%H:%M"),
            "prompt": r.round.title,
            "timer": f"{r.round.seconds} s" if r.round.seconds else "-",
            "drawings": len(r.entries), "read right": r.right,
            "note": "incomplete" if r.round.incomplete else
                    ("running" if r.round.running else ""),
        } for n, r in enumerate(results)], hide_index=True)
        if is_teacher():
            st.download_button("Download the rounds (CSV)", results_csv(results),
                               file_name="rounds.csv", mime="text/csv",
                               key="class_rounds_csv", icon=":material/download:")
