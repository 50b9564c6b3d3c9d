"""What the teaching service tells the teacher, each sentence once: marked for the
catalogs (``N_``), kept as a ``Message`` and said in the language of whoever reads it.
The enough-digits rule's own sentences are the rule's (``hwr.learning.finetune``:
``Shortfall.message``), said alike."""

from __future__ import annotations

from hwr.class_data.locks import SERVER_STOPPED, Outcome
from hwr.learning.finetune import Shortfall
from hwr.translation import N_, Message

# How a run on this server ends without a new model (FineTuneJob.message).
CANCELLED = N_("The fine-tune was cancelled; nothing was saved.")
LOCK_LOST = N_("This server could not reach the class database for too long, so another "
               "server took the fine-tune for stopped; this one stopped too, nothing was "
               "saved.")
FAILED = N_("The fine-tune failed ({error}); nothing was saved.")
ERASED_MEANWHILE = N_("A student whose drawings the model was learning from was erased "
                      "meanwhile, so the new model was discarded. Teach the model again.")
NO_REPLAY = N_("The model cannot learn here because the MNIST digits it practises on, "
               "which come with the app, are missing or damaged: reinstall the app to "
               "restore them.")

# A run another server had to release (its lock's Outcome): hwr.class_data.locks
# records why in English, SERVER_STOPPED's words, which are said in the reader's
# language; a reason it words otherwise is shown as it is.
STOPPED_ELSEWHERE = N_("The fine-tune of {name}'s digits stopped: {reason}. Nothing was "
                       "saved, and the model answering is the same as before.")

# The class names a fine-tune records that are not a teacher's own words: kept in
# English where they are stored (a model version's, a lock's), said where shown.
ALL_CLASSES = N_("all classes")
OUTSIDE_A_CLASS = N_("collected outside a class")
A_CLASS = N_("a class")  # a run whose class is not known


def class_name(name: str | None) -> Message | str:
    """A class's name as a fine-tune recorded it, to show: the teacher's own words as
    typed, "all classes" and "collected outside a class" said in the reader's
    language, "a class" if none."""
    if not name:
        return Message(A_CLASS)
    return Message(name) if name in (ALL_CLASSES, OUTSIDE_A_CLASS) else name


def not_ready(short: Shortfall) -> Message:
    """Why the Class page offers no button yet (the drawings it has, before a run)."""
    return Message(
        N_("To learn the class's handwriting the model needs at least {min_digits} digits, "
           "of at least {min_different} different kinds (now: {digits}, {kinds}). Draw and "
           "save more on the Draw page."),
        min_digits=short.min_digits, min_different=short.min_different,
        digits=Message.ngettext("{count} digit", "{count} digits", short.count,
                                count=short.count),
        kinds=Message.ngettext("{count} kind", "{count} kinds", len(short.kinds),
                               count=len(short.kinds)))


def stopped_elsewhere(outcome: Outcome) -> Message:
    """A run whose server stopped answering, as another server found it."""
    reason = Message(SERVER_STOPPED) if outcome.reason == SERVER_STOPPED else outcome.reason
    return Message(STOPPED_ELSEWHERE, name=class_name(outcome.info.get("class_name")),
                   reason=reason)
