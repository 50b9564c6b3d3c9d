"""One student's data, for the teacher (issue 40): when the class's data is deleted,
and, per student, their drawings, an export for an access request and the erasure.

A student is picked by their session (``StudentSummary.student``), never by the
nickname they typed: two students who typed the same one are two entries, and the
teacher sees whose drawings are whose before erasing. Erased is erased: every row of
the student (``hwr.class_data.privacy.erase_student``) and the model versions taught
with their drawings, with no undo. Shown on the Teach page (under the wall) and on the
Class page.
"""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from hwr.class_data.collection import ALL_SAMPLES, NO_CLASS, Lesson
from hwr.class_data.model_store import default_cache
from hwr.class_data.privacy import (
    StudentSummary,
    dismiss_model_fallback_note,
    erase_student,
    export_student,
    model_fallback_note,
    student_drawings,
    students_of,
)
from hwr.pages.shared.class_state import class_collection
from hwr.pages.shared.language import _, ngettext
from hwr.pages.shared.lesson import lesson_changed
from hwr.pages.shared.markup import (
    GALLERY_MAX,
    THUMBNAIL_SIZE,
    pixel_image_html,
    show_image_grid,
)
from hwr.pages.shared.model_loading import model_changed
from hwr.pages.shared.privacy_notice import deletion_line
from hwr.pages.shared.teacher_session import is_teacher, teacher_only

CHOICE = "hwr_student_choice"  # the picked student's session id (a widget's key)
OPEN = "hwr_students_data"  # the "Students' data" expander (a widget's key: open or not)
REFRESH = 5.0  # s: while open, the students' list is read anew this often
ASK_ERASE = "hwr_ask_erase"  # (class id, student): the "Erase ...?" dialog is open
ERASED_NOTE = "hwr_erased_note"  # (class id, what was erased): said once


def nickname_of(summary: StudentSummary) -> str:
    """The student's nickname(s) as typed, or a stand-in when they had none."""
    return ", ".join(summary.nicknames) or _("a student")


def shown_name(summary: StudentSummary, same_name: int = 0) -> str:
    """The nickname(s); a second student who typed "Ana" is "Ana (2)"."""
    return nickname_of(summary) + (f" ({same_name})" if same_name > 1 else "")


def student_label(summary: StudentSummary, same_name: int = 0) -> str:
    """"Ana · 12 drawings"; a second "Ana" is "Ana (2)"; a removed one says so."""
    name = shown_name(summary, same_name)
    # TRANSLATORS: a student in a list: their nickname and how many drawings they made
    label = ngettext("{name} · {n} drawing", "{name} · {n} drawings",
                     summary.drawings).format(name=name, n=summary.drawings)
    if summary.entries:
        # TRANSLATORS: added to a student's line: how many rounds they entered
        label += " · " + ngettext("{n} round entry", "{n} round entries",
                                  summary.entries).format(n=summary.entries)
    if summary.removed:
        # TRANSLATORS: added to a student's line: the teacher removed them from the class
        label += " · " + _("removed")
    return label


def numbered(students: list[StudentSummary]) -> dict[str, int]:
    """Each student's number among those with the same nickname(s) (1, 2, ...)."""
    seen: dict[str, int] = {}
    out = {}
    for summary in students:
        name = nickname_of(summary)
        seen[name] = seen.get(name, 0) + 1
        out[summary.student] = seen[name]
    return out


def labels(students: list[StudentSummary]) -> dict[str, str]:
    """Each student's label, by session: students with the same nickname numbered."""
    numbers = numbered(students)
    return {s.student: student_label(s, numbers[s.student]) for s in students}


def drawings_html(drawings: list[tuple[int, bytes]], name: str) -> list[str]:
    """The student's drawings as small images (the newest first, at most GALLERY_MAX)."""
    alt = _("a drawing by {name}").format(name=name)
    figures = []
    for _id, png in drawings[:GALLERY_MAX]:
        try:
            image = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
        except (OSError, ValueError):  # a damaged PNG: the others are still shown
            continue
        figures.append(f'<figure class="hwr-thumb">'
                       f'{pixel_image_html(image, THUMBNAIL_SIZE, alt)}</figure>')
    return figures


def show_drawings(class_id: int, summary: StudentSummary) -> None:
    drawings = student_drawings(class_collection().engine, class_id, summary.student)
    if not drawings:
        st.caption(_("No drawings of this student are kept."))
        return
    show_image_grid(drawings_html(drawings, nickname_of(summary)))
    if len(drawings) > GALLERY_MAX:
        st.caption(ngettext("and {n} more drawing", "and {n} more drawings",
                            len(drawings) - GALLERY_MAX).format(
                                n=len(drawings) - GALLERY_MAX))


def refreshed() -> None:
    """After an erasure: the active model may have changed (it falls back to the one it
    was taught from), and the wall, the rounds and the figures are read anew."""
    model_changed()
    lesson_changed()


@teacher_only(then=refreshed)
def erase(class_id: int, student: str) -> None:
    """The dialog's Yes: every row of the student in the class, and the models taught
    with their drawings, are deleted."""
    state = st.session_state
    state.pop(ASK_ERASE, None)
    done = erase_student(class_collection().engine, class_id, student,
                         cache_dir=default_cache())
    state.pop(CHOICE, None)
    state[ERASED_NOTE] = (class_id, done)


def forget_erase() -> None:
    st.session_state.pop(ASK_ERASE, None)


def confirm_erase(class_id: int, summary: StudentSummary, name: str) -> None:
    """Ask first, with the student's drawings in view: erased is erased."""

    def body() -> None:
        st.markdown(_("Their drawings, digits, round entries and nickname are deleted from "
                      "every table, and so is every model taught with their drawings. "
                      "**Erased is erased: there is no undo.**"))
        show_drawings(class_id, summary)
        with st.container(horizontal=True, gap="small"):
            if st.button(_("Yes, erase"), key="hwr_erase_yes", type="primary",
                         icon=":material/delete_forever:", on_click=erase,
                         args=(class_id, summary.student)):
                st.rerun()
            if st.button(_("Cancel"), key="hwr_erase_cancel", on_click=forget_erase):
                st.rerun()

    # TRANSLATORS: {name} is a student's nickname ("Ana", or "Ana (2)" for a second Ana)
    st.dialog(_("Erase {name}?").format(name=name), width="medium",
              on_dismiss=forget_erase)(body)()


def erased_note(class_id: int) -> None:
    said = st.session_state.pop(ERASED_NOTE, None)
    if not (isinstance(said, tuple) and len(said) == 2 and said[0] == class_id):
        return
    done = said[1]
    parts = [ngettext("{n} drawing", "{n} drawings", done.drawings).format(n=done.drawings),
             ngettext("{n} round entry", "{n} round entries", done.entries).format(
                 n=done.entries)]
    if done.model_versions:
        parts.append(ngettext("{n} model taught with them", "{n} models taught with them",
                              done.model_versions).format(n=done.model_versions))
    # TRANSLATORS: {what} is e.g. "12 drawings, 1 round entry"
    st.success(_("The student was erased: {what}.").format(what=", ".join(parts)),
               icon=":material/delete_forever:")


@teacher_only(then=model_changed)
def dismiss_note() -> None:
    dismiss_model_fallback_note(class_collection().engine)


def fallback_note() -> None:
    """Why the model that answers changed: the versions it came from were deleted with
    an erased student's (or an expired class's) data. Until the teacher has read it."""
    note = model_fallback_note(class_collection().engine)
    if note is None:
        return
    st.info(_(note), icon=":material/model_training:")
    st.button(_("Got it"), key="hwr_model_note_seen", on_click=dismiss_note)


def export_name(summary: StudentSummary) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in nickname_of(summary)).strip("-")
    return f"student-{safe[:40] or summary.student}.zip"


def ask_erase(class_id: int, student: str) -> None:
    """"Erase this student": the page asks first, in a dialog outside the list's
    fragment (which reruns itself)."""
    st.session_state[ASK_ERASE] = (class_id, student)


@st.fragment(run_every=REFRESH)
def student_data(class_id: int) -> None:
    """The students' list, and the chosen student's drawings, export and erasure: read
    anew every few seconds while open, so that a student who has just joined is there."""
    students = students_of(class_collection().engine, class_id)
    if not students:
        st.caption(_("No student's data is kept in this class."))
        return
    named = labels(students)
    by_id = {s.student: s for s in students}
    if st.session_state.get(CHOICE) not in by_id:
        st.session_state.pop(CHOICE, None)  # erased, or from another class
    chosen = st.selectbox(_("Student"), list(by_id), index=None, key=CHOICE,
                          format_func=named.get,
                          placeholder=_("Choose a student by nickname"))
    if chosen is None:
        st.caption(_("For a parent's request: see what is kept of one student, export it, "
                     "or erase it."))
        return
    summary = by_id[chosen]
    show_drawings(class_id, summary)
    actions = st.container(horizontal=True, gap="small")
    actions.download_button(_("Export this student's data (zip)"),
                      data=export_student(class_collection().engine, class_id, chosen),
                      file_name=export_name(summary), mime="application/zip",
                      key="hwr_export_student", on_click="ignore",
                      icon=":material/download:")
    if actions.button(_("Erase this student"), key="hwr_erase_student",
                icon=":material/person_remove:", on_click=ask_erase,
                args=(class_id, chosen)):
        st.rerun(scope="app")  # the dialog opens from the page, not from the fragment


def asked_erase(class_id: int) -> None:
    """The "Erase ...?" dialog, while it is open."""
    asked = st.session_state.get(ASK_ERASE)
    if not (isinstance(asked, tuple) and len(asked) == 2 and asked[0] == class_id):
        return
    students = students_of(class_collection().engine, class_id)
    summary = next((s for s in students if s.student == asked[1]), None)
    if summary is None:  # erased meanwhile (another tab)
        forget_erase()
        return
    confirm_erase(class_id, summary, shown_name(summary, numbered(students)[asked[1]]))


def the_class(class_id: int) -> Lesson | None:
    return next((c for c in class_collection().classes() if c.id == class_id), None)


def student_data_section(class_id: int | None) -> None:
    """For the teacher, on the Teach and Class pages: when the class's data is deleted,
    and its students' data (under an expander). Nothing for anyone else, nor for "all
    classes" or the digits collected outside a class."""
    if class_id in (ALL_SAMPLES, NO_CLASS) or not is_teacher():
        return
    lesson = the_class(class_id)
    if lesson is None:
        return
    st.caption(deletion_line(lesson))
    fallback_note()
    erased_note(class_id)
    section = st.expander(_("Students' data"), icon=":material/shield_person:", key=OPEN,
                          on_change="rerun")
    if section.open:  # read only when the teacher looks
        with section:
            student_data(class_id)
    asked_erase(class_id)
