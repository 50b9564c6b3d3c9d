"""What a drawing does for the class: it goes on the running class's wall, and a tap
under "Is it right?" files it, labelled, in the class collection (the data the class
teaches the model with). A student the teacher removed from the class shares nothing
more: their session sees a plain note instead. "Delete my drawings" takes back all this
session gave the class (``delete_mine``)."""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from hwr.class_data.collection import NO_CLASS, Lesson
from hwr.class_data.model_store import default_cache
from hwr.class_data.privacy import delete_my_drawings
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.teacher import (
    NICKNAME_MAX,
    clean_nickname,
    generated_nickname,
    is_generated_nickname,
)
from hwr.class_data.wall import ClassFullError, NicknameTaken, StudentRemoved
from hwr.pages.components.canvas import (
    NUMBER,
    ONE_DIGIT,
    SAVED_DRAWING,
    canvas_key,
    clear_canvas,
)
from hwr.pages.shared.class_state import (
    class_collection,
    post_limiter,
    running_class,
    storage_failed,
    student_id,
)
from hwr.pages.shared.language import N_, _, current, ngettext
from hwr.pages.shared.lesson import (
    ENTERED,
    REMOVED,
    REMOVED_NOTE,
    class_settings,
    in_round,
    lesson_changed,
    lost_during_round,
)
from hwr.pages.shared.model_loading import model_changed
from hwr.pages.draw.state import (
    CONFIRM,
    ERASED,
    FILED,
    GENERATED,
    NICKNAME,
    NICKNAME_HERE,
    ROUND_LOOKED,
    ROUND_NOTE,
    WALL_DRAWING,
    WALL_POSTED,
)
from hwr.reading.drawing import Drawing
from hwr.reading.recognizer import Recognition

MARKDOWN_SIGN = re.compile(r"[\\`*_{}\[\]()#+\-.!|~<>$:]")  # a nickname in a label: as typed
CONFIRM_ASK = N_("**Is it right?** Tap the right digit to save the drawing for the class")
CONFIRM_IF_DIGIT = N_("If it is a digit, tap it to save the drawing")
TAKEN_NOTE = N_("Your nickname is not available in this class: choose another in the "
                "sidebar.")


def refused(lesson: Lesson, error: Exception) -> None:
    """The class refused this session's post: remember why (a removed student), and say
    it plainly."""
    if isinstance(error, StudentRemoved):
        st.session_state[REMOVED] = lesson.id
        st.info(_(REMOVED_NOTE), icon=":material/block:")
    else:
        st.warning(_(TAKEN_NOTE), icon=":material/badge:")


def class_note(lesson: Lesson | None) -> None:
    """Under the canvas: where the drawings go (or why they no longer go anywhere)."""
    state = st.session_state
    if lesson is not None:
        if state.get(REMOVED) == lesson.id:
            st.caption(_(REMOVED_NOTE))
        elif class_settings(lesson.id).approve_first:
            st.caption(_("Your drawings appear on the class wall once the teacher approves "
                         "them."))
        else:
            st.caption(_("Your drawings appear on the class wall."))
    elif state.get(WALL_DRAWING):  # this page drew for a class that ended
        st.caption(_("The class has ended: your drawings are still answered here, but no "
                     "longer shown on a wall."))


def file_sample(result: Recognition, picture, mode: str, drawing_id: int | None,
                label: int | None, key: str | None = None) -> None:
    """Save the drawing under the digit the student tapped (in the running class, and on
    its wall), then clear the canvas for the next one. ``key``: the row tapped, if it is
    Streamlit's (it is unticked where the drawing was not saved: tap again); the
    canvas's own row (``canvas.js``) has none.

    Once per drawing: tapping its row again (or the browser sending the tapped digit
    again as the canvas clears) must not save the drawing twice."""
    state = st.session_state
    if label is None or (drawing_id is not None and state.get(FILED) == drawing_id):
        return
    if not post_limiter().allow():
        st.toast(_("That was quick: wait a second, then save again."),
                 icon=":material/timer:")
        if key:
            state[key] = None  # tap again to save
        return
    lesson = running_class()
    try:
        collection = class_collection()
        collection.add(result.model_input, label, result.probabilities, picture,
                       class_id=lesson.id if lesson else None, student=student_id(),
                       drawing_id=drawing_id if lesson else None)
    except (StudentRemoved, NicknameTaken) as e:
        refused(lesson, e)
        if key:
            state[key] = None
        return
    except StorageUnavailable as e:  # nothing was written: the drawing stays to retry
        storage_failed(e)
        st.toast(_("Not saved: class data is unavailable right now. Try again in a "
                   "moment."), icon=":material/cloud_off:")
        if key:
            state[key] = None
        return
    state[FILED] = drawing_id
    try:
        if lesson is not None and drawing_id is not None:
            collection.label_drawing(lesson.id, student_id(), drawing_id, label)
        count = collection.count(lesson.id if lesson else NO_CLASS)
    except StorageUnavailable as e:  # saved; only the wall's label and the count wait
        storage_failed(e)
        count = None
    st.toast(saved_message(label, count, lesson is not None), icon=":material/save:")
    clear_canvas(mode)


def saved_message(label: int, count: int | None, in_class: bool) -> str:
    """What a save says: the class's digits while a class runs; with none, the digits
    saved while no class ran (``collection.count(NO_CLASS)``: every device's on this
    server's database, none of a class's), never "class digits"."""
    if count is None:
        return (_("Saved as a {digit}: ? class digits so far") if in_class else
                _("Saved as a {digit}")).format(digit=label)
    if in_class:
        return ngettext("Saved as a {digit}: {count} class digit so far",
                        "Saved as a {digit}: {count} class digits so far",
                        count).format(digit=label, count=count)
    # TRANSLATORS: no class runs; {count} digits saved (by anyone) while no class ran
    return ngettext("Saved as a {digit} (no class is running): {count} digit saved "
                    "outside a class so far",
                    "Saved as a {digit} (no class is running): {count} digits saved "
                    "outside a class so far", count).format(digit=label, count=count)


def generated_only() -> bool:
    """The running class takes generated nicknames only (the teacher's setting)."""
    lesson = running_class()
    return lesson is not None and class_settings(lesson.id).generated_names


def nickname() -> str:
    """The student's nickname: a generated one by default ("Quick Otter"), or one they
    type (unless the class takes generated nicknames only). Kept in the page's address
    (``?name=``) so a phone that sleeps and reconnects keeps it."""
    state = st.session_state
    generated = state.setdefault(GENERATED, generated_nickname(current()))
    only_generated = generated_only()
    if NICKNAME not in state:
        state.nickname = clean_nickname(st.query_params.get("name", "")) or generated
    if only_generated and not is_generated_nickname(state.nickname):
        state.nickname = generated
    name = clean_nickname(st.sidebar.text_input(
        _("Your nickname"), key=NICKNAME, max_chars=NICKNAME_MAX, disabled=only_generated,
        help=_("The class takes generated nicknames only") if only_generated else
        _("Shown beside your drawings on the class wall; type your own if you like")))
    if name != st.query_params.get("name", ""):
        if name:
            st.query_params["name"] = name
        else:
            st.query_params.pop("name", None)
    return name or generated


def _take_nickname() -> None:
    """The page's own nickname box (``nickname_line``) changes the sidebar's, and the
    page's address with it."""
    state = st.session_state
    name = clean_nickname(state.get(NICKNAME_HERE) or "")
    state.nickname = name
    if name:
        st.query_params["name"] = name
    else:
        st.query_params.pop("name", None)


def nickname_line(name: str) -> None:
    """While a class runs: the student's nickname on the page itself, not only in the
    sidebar (collapsed on a phone), and a tap opens a box to change it (unless the class
    takes generated nicknames only: then it is only said)."""
    lesson = running_class()
    if lesson is None or st.session_state.get(REMOVED) == lesson.id:
        return
    shown = MARKDOWN_SIGN.sub(r"\\\g<0>", name)  # as typed, in a markdown label
    if generated_only():
        # TRANSLATORS: the student's nickname on the class wall ("Quick Otter")
        st.caption(_("You are {name}").format(name=shown))
        return
    # TRANSLATORS: a button: the student's nickname ("Quick Otter"); a tap changes it
    with st.popover(_("You are {name} · change").format(name=shown),
                    icon=":material/badge:", type="tertiary", key="hwr-nickname-line"):
        st.session_state[NICKNAME_HERE] = name
        st.text_input(_("Your nickname"), key=NICKNAME_HERE, max_chars=NICKNAME_MAX,
                      on_change=_take_nickname,
                      help=_("Shown beside your drawings on the class wall; type your "
                             "own if you like"))


def current_nickname() -> str:
    """What the wall shows beside this session's drawings: the nickname box, else the
    page's address, else the generated one. A stroke's fragment run does not run the
    box, so where Streamlit has dropped the box's state (it drops widget state it takes
    for stale) the address still names the student."""
    state = st.session_state
    chosen = state[NICKNAME] if NICKNAME in state else st.query_params.get("name", "")
    return clean_nickname(chosen) or state.setdefault(GENERATED, generated_nickname(current()))


def erased(lesson: Lesson | None, drawing_id: int | None) -> bool:
    """The student deleted this drawing with "Delete my drawings" (it may still be on
    the canvas until the browser clears it): it goes to the class no more."""
    taken_back = st.session_state.get(ERASED)
    return (lesson is not None and drawing_id is not None and isinstance(taken_back, tuple)
            and taken_back[0] == lesson.id and drawing_id <= taken_back[1])


def delete_mine(lesson: Lesson) -> int | None:
    """Delete my drawings: everything this session gave the class ``lesson`` (wall,
    digits, round entries; the models taught with them) is deleted; the number of
    drawings, None when the database did not answer. The canvas clears, and this
    session forgets what it had filed and entered, mid-round too (a new entry is
    taken)."""
    try:
        done = delete_my_drawings(class_collection().engine, lesson.id, student_id(),
                                  cache_dir=default_cache())
    except StorageUnavailable as e:
        storage_failed(e)
        return None
    finally:
        model_changed()  # a model taught with them may be gone
        lesson_changed()
    state = st.session_state
    on_canvas = state.get(SAVED_DRAWING, {}).get(canvas_key(ONE_DIGIT))
    state[ERASED] = (lesson.id, on_canvas.id if on_canvas is not None else -1)
    for key in (FILED, WALL_DRAWING, ENTERED, ROUND_LOOKED, ROUND_NOTE):
        state.pop(key, None)
    clear_canvas(ONE_DIGIT)
    clear_canvas(NUMBER)
    return max(done.drawings, done.samples)  # a filed drawing is on the wall too


def post_to_wall(lesson: Lesson, drawing: Drawing, result: Recognition) -> None:
    """The drawing goes on the running class's wall (updated at each stroke).

    Only what changed: a page run that brings nothing new (a round starting, a language
    switch) posts nothing again, so a student the teacher erased stays erased until they
    draw anew, and a drawing they deleted is never posted again."""
    if st.session_state.get(REMOVED) == lesson.id:  # refused before: ask no more
        return
    if erased(lesson, drawing.id):
        return
    name = current_nickname()
    posted = (lesson.id, drawing.id, drawing.seq, len(drawing.strokes),
              sum(points.size for _brush, points in drawing.strokes), name, result.digit,
              result.not_a_digit)
    if st.session_state.get(WALL_POSTED) == posted:
        return
    new = st.session_state.get(WALL_DRAWING) != (lesson.id, drawing.id)
    if new and not post_limiter().allow():
        st.caption(_("Your drawings come faster than the class wall takes them: this one "
                     "is not on the wall."))
        return
    try:
        class_collection().post_drawing(
            lesson.id, student_id(), drawing.id, name, result.digit,
            result.not_a_digit, result.confidence, result.model_input)
    except (StudentRemoved, NicknameTaken) as e:
        refused(lesson, e)
        return
    except ClassFullError:
        st.caption(_("The class wall is full: your drawing is answered here but not shown "
                     "there."))
        return
    except StorageUnavailable as e:
        storage_failed(e)
        lost_during_round()
        st.caption(_("Class data is unavailable right now: your drawing is answered here "
                     "but not shown on the wall."))
        return
    st.session_state[WALL_DRAWING] = (lesson.id, drawing.id)
    st.session_state[WALL_POSTED] = posted


def may_confirm(lesson: Lesson | None, drawing_id: int | None) -> bool:
    """Whether "Is it right?" may file this drawing: not while a round runs (the round
    labels the drawing), nor for a removed student, nor a drawing the student deleted."""
    return not (in_round() or (lesson is not None
                               and st.session_state.get(REMOVED) == lesson.id)
                or erased(lesson, drawing_id))


def confirm_words() -> dict[str, str]:
    """"Is it right?"'s words, for the row the canvas draws itself (``canvas.js``)."""
    return {"confirm": _(CONFIRM_ASK), "confirm_no_digit": _(CONFIRM_IF_DIGIT)}


def _tapped(result: Recognition, picture, mode: str, drawing_id: int | None,
            key: str) -> None:
    file_sample(result, picture, mode, drawing_id, st.session_state.get(key), key)


def confirm_sample(result: Recognition, picture: np.ndarray, mode: str,
                   drawing_id: int | None = None) -> None:
    """One tap files the drawing under its right digit in the class collection: the
    answer's own digit (ticked) or the right one.

    One widget, not buttons, a picker and their columns: the drawing area is resent at
    every stroke, and each element is a message and a render in the browser."""
    if not may_confirm(running_class(), drawing_id):
        return
    answer = None if result.not_a_digit else result.digit  # no digit to confirm
    key = f"{CONFIRM}_{drawing_id}"  # a new drawing, a new row: nothing tapped yet
    st.pills(_(CONFIRM_ASK) if answer is not None else _(CONFIRM_IF_DIGIT),
             range(10), key=key, on_change=_tapped,
             args=(result, picture, mode, drawing_id, key),
             format_func=lambda d: f":material/check: {d}" if d == answer else str(d))
