"""What a class keeps of a student, said where it matters (issue 40).

On the Draw page, for a student in a running class: one plain line (what is kept, for
how long, what never is), "Delete my drawings" (the Draw page's own action, asked
first) and "What is kept", which opens the whole notice in a dialog. On the Teach and
Class pages: when the class's data is deleted (``deletion_line``).

The dates come from ``hwr.class_data.privacy.deletion_time`` and the school's
``HWR_RETENTION_DAYS`` (``hwr.settings.retention_days``); the words are for children
and their parents: plain, short, in the page's language.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import streamlit as st
from babel.dates import format_date

from hwr import settings
from hwr.class_data.collection import Lesson
from hwr.class_data.privacy import deletion_time
from hwr.pages.shared.language import _, current, ngettext
from hwr.translation import babel_locale

SHOW_NOTICE = "hwr_show_notice"  # the class whose "What is kept" dialog is open
ASK_DELETE = "hwr_ask_delete_mine"  # the class whose "Delete my drawings?" is open
DELETED_NOTE = "hwr_deleted_note"  # (class id, drawings deleted or None): said once
NEVER = object()  # retention(): the school keeps a class's data until it is deleted


def retention() -> int | object:
    """Days a class's data is kept after it ends, or NEVER. A setting hwr cannot use
    (the server does not start with one) is said in the log, and nothing is deleted:
    NEVER, which is then what happens."""
    try:
        days = settings.retention_days()
    except settings.SettingError as e:
        print(f"hwr: {e}", flush=True)
        return NEVER
    return NEVER if days is None else int(days)


def day(timestamp: float) -> str:
    """A day as the page's language writes it: "30 November 2026", "30. November 2026"."""
    return format_date(datetime.fromtimestamp(timestamp).date(), format="long",
                       locale=babel_locale(current()))


def kept_line(lesson: Lesson) -> str:
    """The Draw page's line: what the class keeps of the student, and until when."""
    days = retention()
    if days is NEVER:
        return _("This class keeps your nickname, your drawings and your answers until "
                 "the teacher deletes them. No name, address, IP address or tracking.")
    when = deletion_time(lesson.ended, days)
    if lesson.ended is not None and when is not None:
        return _("This class keeps your nickname, your drawings and your answers until "
                 "{date}. No name, address, IP address or tracking.").format(
                     date=day(when))
    if days == 0:
        return _("This class keeps your nickname, your drawings and your answers until "
                 "the class ends. No name, address, IP address or tracking.")
    return ngettext("This class keeps your nickname, your drawings and your answers for "
                    "{days} day after the class ends. No name, address, IP address or "
                    "tracking.",
                    "This class keeps your nickname, your drawings and your answers for "
                    "{days} days after the class ends. No name, address, IP address or "
                    "tracking.", days).format(days=days)


def deletion_line(lesson: Lesson) -> str:
    """The Teach and Class pages' line: when this class's data is deleted."""
    days = retention()
    if days is NEVER:
        return _("This class's data is kept until you delete it: the server is set to "
                 "keep classes for ever (HWR_RETENTION_DAYS=never).")
    when = deletion_time(lesson.ended, days)
    if lesson.ended is None or when is None:
        if days == 0:
            return _("This class's data is deleted when the class ends.")
        return ngettext("This class's data is deleted {days} day after the class ends.",
                        "This class's data is deleted {days} days after the class ends.",
                        days).format(days=days)
    if when <= time.time():
        return _("This class's data is due for deletion: it goes at the next hourly "
                 "clean-up.")
    return ngettext("This class's data is deleted on {date} ({days} day after it ended).",
                    "This class's data is deleted on {date} ({days} days after it ended).",
                    days).format(date=day(when), days=days)


def kept_for(lesson: Lesson) -> str:
    """The notice's "for how long", in a sentence."""
    days = retention()
    if days is NEVER:
        return _("Everything is kept until the teacher deletes it.")
    if days == 0:
        return _("Everything is deleted when the class ends.")
    when = deletion_time(lesson.ended, days)
    if lesson.ended is not None and when is not None:
        return _("Everything is deleted on {date}.").format(date=day(when))
    return ngettext("Everything is deleted {days} day after the class ends.",
                    "Everything is deleted {days} days after the class ends.",
                    days).format(days=days)


def notice(lesson: Lesson) -> None:
    """The whole notice: what is kept and why, for how long, what never is, the models,
    and who to ask."""
    st.markdown("#### " + _("What is kept"))
    st.markdown("\n".join("- " + line for line in (
        _("Your nickname: the name you chose or were given for the class wall."),
        _("Your drawings, and the digit you said each one is."),
        _("Your answers in the class's rounds."),
        _("A random code for this browser, so that your drawings stay yours. It is not "
          "your name."))))
    st.markdown("#### " + _("Why"))
    st.markdown(_("So that the class sees its drawings on the wall, plays rounds, and "
                  "teaches the app to read the class's handwriting."))
    st.markdown("#### " + _("What is never kept"))
    st.markdown(_("No real name, no e-mail or home address, no IP address, no tracking "
                  "and no advertising. The app asks no other company's server for "
                  "anything, and Streamlit's usage statistics are turned off."))
    st.markdown("#### " + _("For how long"))
    st.markdown(kept_for(lesson))
    st.markdown("#### " + _("The class's models"))
    st.markdown(_("The class can teach the app with its drawings: this makes a new model "
                  "(the part of the app that reads digits). When a student is erased, "
                  "every model taught with their drawings is deleted too."))
    st.markdown("#### " + _("Your choices"))
    st.markdown(_("\"Delete my drawings\" deletes everything you drew in this class, at "
                  "once. To see what is kept about you, or to have it erased, ask your "
                  "teacher: a parent can ask the teacher or the school too."))


def forget_notice() -> None:
    st.session_state.pop(SHOW_NOTICE, None)


def show_notice(lesson: Lesson) -> None:
    def body() -> None:
        notice(lesson)
        if st.button(_("Close"), key="hwr_notice_close"):
            forget_notice()
            st.rerun()

    st.dialog(_("What this class keeps"), width="medium", on_dismiss=forget_notice)(body)()


def forget_delete() -> None:
    st.session_state.pop(ASK_DELETE, None)


def confirm_delete(lesson: Lesson, delete: Callable[[], int | None]) -> None:
    """Ask before deleting: the Yes calls ``delete`` (the number of drawings deleted,
    None when nothing could be), and the page says what was done."""

    def yes() -> None:
        forget_delete()
        st.session_state[DELETED_NOTE] = (lesson.id, delete())

    def body() -> None:
        st.markdown(_("Your drawings, the digits you gave them and your round answers in "
                      "this class are deleted for good, from the wall too. This cannot be "
                      "undone."))
        with st.container(horizontal=True, gap="small"):
            if st.button(_("Yes, delete"), key="hwr_delete_mine_yes", type="primary",
                         icon=":material/delete_forever:", on_click=yes):
                st.rerun()
            if st.button(_("Cancel"), key="hwr_delete_mine_cancel", on_click=forget_delete):
                st.rerun()

    st.dialog(_("Delete my drawings?"), on_dismiss=forget_delete)(body)()


def deleted_note(lesson: Lesson) -> None:
    """What the last "Yes, delete" did, said once."""
    said = st.session_state.pop(DELETED_NOTE, None)
    if not (isinstance(said, tuple) and len(said) == 2 and said[0] == lesson.id):
        return
    count = said[1]
    if count is None:
        st.warning(_("Not deleted: class data is unavailable right now. Try again in a "
                     "moment."), icon=":material/cloud_off:")
    elif count == 0:
        st.success(_("You had no drawings in this class: there was nothing to delete."),
                   icon=":material/check_circle:")
    else:
        st.success(ngettext("Your {n} drawing was deleted.", "Your {n} drawings were "
                            "deleted.", count).format(n=count),
                   icon=":material/check_circle:")


def privacy_line(lesson: Lesson, delete: Callable[[], int | None]) -> None:
    """The Draw page's line for a student in ``lesson`` (a running class), with "Delete
    my drawings" (``delete`` does it, once the student said yes) and "What is kept"."""
    state = st.session_state
    deleted_note(lesson)
    with st.container(key="hwr-privacy"):
        st.caption(kept_line(lesson))
        with st.container(key="hwr-privacy-actions", horizontal=True, gap="small"):
            if st.button(_("Delete my drawings"), key="hwr_delete_mine", type="tertiary",
                         icon=":material/delete:"):
                state[ASK_DELETE] = lesson.id
            if st.button(_("What is kept"), key="hwr_what_is_kept", type="tertiary",
                         icon=":material/info:"):
                state[SHOW_NOTICE] = lesson.id
    if state.get(ASK_DELETE) == lesson.id:
        confirm_delete(lesson, delete)
    elif state.get(SHOW_NOTICE) == lesson.id:
        show_notice(lesson)
