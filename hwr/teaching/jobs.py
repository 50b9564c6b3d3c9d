"""The class teaching the model, as the Class page runs it: one fine-tune at a time per
database, whatever app server the teacher is on (a lock in the database,
``hwr.class_data.locks``), in a background thread, with progress, cancel and a new
version in the model store at the end (hwr.learning.finetune holds the algorithm).

The running job beats the lock every ``HEARTBEAT_SECONDS`` with its progress, which the
Class page on another server shows; a server that dies mid-run stops beating, and the
lock is released after ``$HWR_LOCK_STALE_SECONDS`` with the run recorded as failed (the
job never activates a model, so the active one is unchanged)."""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Callable

import numpy as np
from sqlalchemy import Engine

import streamlit as st

from hwr.learning.config import TrainConfig
from hwr.learning.data import Mnist
from hwr.learning.finetune import (
    Cancelled,
    ClassDigits,
    FineTuneError,
    NotEnoughDigits,
    Progress,
    check_enough,
    fine_tune,
    usable,
    write_version,
)
from hwr.class_data.locks import (
    HEARTBEAT_SECONDS,
    DatabaseLock,
    LockState,
    Outcome,
    forget_outcome,
    last_outcome,
)
from hwr.class_data.curation import curated_digits
from hwr.pages.shared import class_state
from hwr.pages.shared import model_loading
from hwr.pages.shared.language import N_, current
from hwr.translation import ENGLISH, gettext_in, ngettext_in

LOG = logging.getLogger(__name__)

# The Class page button's fine-tune: scripts/train.py's defaults. The page's checks (how
# many digits it needs, the MNIST drop it warns about) read the same settings.
BUTTON_CONFIG = TrainConfig()

LOCK = "fine-tune"  # the database lock's name: one fine-tune per class database
# What the job tells the teacher: written in its thread, in the language of the teacher
# who started it (the thread has no page to ask).
LOCK_LOST = N_("This server could not reach the class database for too long, so another "
               "server took the fine-tune for stopped; this one stopped too, nothing was "
               "saved.")
CANCELLED = N_("The fine-tune was cancelled; nothing was saved.")
FAILED = N_("The fine-tune failed ({error}); nothing was saved.")
# TRANSLATORS: digits the class drew, e.g. "1 or 7"
EITHER = N_("{first} or {last}")
ALL_THE_SAME = N_("The class's digits are all {digits}: the model needs at least {needed} "
                  "different digits, or it would learn that every drawing is one of these.")
NO_REPLAY = N_("The model cannot learn here because the MNIST digits it practises on, "
               "which come with the app, are missing or damaged: reinstall the app to "
               "restore them.")


class FineTuneJob:
    """One fine-tune in a background thread: progress to show, a cancel button, and at
    the end a new version in the model store (never activated here) or an error.

    ``load_digits`` and ``load_mnist`` run inside the thread, so pressing the button
    returns at once. ``lock``, held already: beaten with the progress while the job runs,
    released at its end; a lock lost (another server thought this one dead) cancels it.
    ``lang``: the language of the job's own messages (``error``)."""

    def __init__(self, store, start, load_digits: Callable[[], ClassDigits],
                 load_mnist: Callable[[], Mnist], class_name: str = "",
                 config: TrainConfig | None = None, lock: DatabaseLock | None = None,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS, lang: str = ENGLISH):
        self.lang = lang
        self.lock, self.heartbeat_seconds = lock, heartbeat_seconds
        self.lock_lost = False
        self.store, self.start_version = store, start
        self.load_digits, self.load_mnist = load_digits, load_mnist
        self.class_name, self.config = class_name, config or TrainConfig()
        self.progress = Progress()
        self.selection: dict = {}  # what the digits left out, as of the run's start
        self.cancel_event = threading.Event()
        self.version = None  # the new ModelVersion once done
        self.error: str | None = None
        self.cancelled = False
        self.seconds: float | None = None
        self._thread = threading.Thread(target=self._run, name="hwr-fine-tune", daemon=True)

    def start(self) -> "FineTuneJob":
        self._thread.start()
        if self.lock is not None:
            threading.Thread(target=self._beat, name="hwr-fine-tune-lock",
                             daemon=True).start()
        return self

    def lock_info(self) -> dict:
        """What another server shows of this run (the lock row's info)."""
        p = self.progress
        return {"class_name": self.class_name, "stage": p.stage, "epoch": p.epoch,
                "epochs": p.epochs, "fraction": round(p.fraction, 4),
                "seconds_left": None if p.seconds_left is None else round(p.seconds_left, 1)}

    def _beat(self) -> None:
        """Heartbeats while the job runs; the lock released when it ends."""
        try:
            while True:
                self._thread.join(self.heartbeat_seconds)
                if not self._thread.is_alive():
                    break
                try:
                    alive = self.lock.heartbeat(self.lock_info())
                except Exception:  # noqa: BLE001 - the database away for a moment
                    continue
                if not alive:
                    self.lock_lost = True
                    self.cancel_event.set()
                    return
        finally:
            if not self.lock_lost:
                try:
                    self.lock.release()
                except Exception:  # noqa: BLE001 - it goes stale and is released then
                    pass

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def cancel(self) -> None:
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        started = time.monotonic()
        try:
            digits = self.load_digits()
            self.selection = getattr(digits, "report", None) or {}  # curation's LeftOut
            usable_digits, _left_out = usable(digits)
            try:
                check_enough(usable_digits, self.config.finetune)  # before MNIST loads
            except NotEnoughDigits:
                raise NotEnoughDigits(self.not_enough(usable_digits)) from None
            mnist = self.load_mnist()
            result = fine_tune(self.start_version.path, digits, mnist, self.config,
                               progress=self._update, cancel=self.cancel_event)
            if self.lock_lost:
                raise FineTuneError(self.say(LOCK_LOST))
            if self.cancel_event.is_set():
                raise Cancelled(self.say(CANCELLED))
            self.progress.stage = "saving"
            self.version = self.store.add(
                lambda d: write_version(result, self.start_version.path, d),
                parent=self.start_version.id, class_digits=result.report["class_digits"],
                class_name=self.class_name,
                report={**{k: v for k, v in result.report.items() if k != "config"},
                        **self.selection})
        except Cancelled:
            self.cancelled, self.error = True, self.say(CANCELLED)
        except FineTuneError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - told to the teacher; nothing was saved
            self.error = self.say(FAILED).format(error=f"{type(e).__name__}: {e}")
        finally:
            if self.lock_lost and self.version is None:
                self.cancelled, self.error = False, self.say(LOCK_LOST)
            self.seconds = time.monotonic() - started
            self.progress.stage = "done"

    def say(self, message: str) -> str:
        """One of the job's messages in its language."""
        return gettext_in(self.lang, message)

    def not_enough(self, digits: ClassDigits) -> str:
        """check_enough's refusal in the job's language (the same conditions)."""
        ngettext = functools.partial(ngettext_in, self.lang)
        config = self.config.finetune
        if len(digits) < config.min_digits:
            return ngettext(
                "The class has {n} usable digit: the model needs at least {needed} to learn "
                "from (and some to check itself on). Draw and save more on the Draw page.",
                "The class has {n} usable digits: the model needs at least {needed} to learn "
                "from (and some to check itself on). Draw and save more on the Draw page.",
                len(digits)).format(n=len(digits), needed=config.min_digits)
        digits_named = ""
        for digit in map(str, np.unique(digits.labels)):
            digits_named = self.say(EITHER).format(first=digits_named, last=digit) \
                if digits_named else digit
        return self.say(ALL_THE_SAME).format(digits=digits_named,
                                             needed=config.min_different)

    def _update(self, progress: Progress) -> None:
        self.progress = progress


@st.cache_resource
def _fine_tune_slots(url: str) -> dict:
    return {"lock": threading.Lock(), "job": None}


def _fine_tune_slot() -> dict:
    """One fine-tune at a time per database, in this server."""
    return _fine_tune_slots(class_state.database_url())


def fine_tune_job() -> FineTuneJob | None:
    """This server's latest fine-tune (running, or finished and not yet dismissed)."""
    return _fine_tune_slot()["job"]


def _mnist_for_replay(lang: str = ENGLISH) -> Mnist:
    """The shipped replay file's MNIST training digits, always (never a download: a
    school server without internet or HWR_DATA_DIR teaches the model alike), measured on
    MNIST's test set where HWR_DATA_DIR has it, else on the file's check digits
    (hwr.learning.replay.replay_mnist). A missing or damaged file: NO_REPLAY for the
    teacher, the details in the server's log."""
    from hwr.learning.replay import ReplayFileError, replay_mnist

    try:
        return replay_mnist()
    except ReplayFileError as e:
        LOG.warning("hwr: the class cannot teach the model: %s", e)
        raise FineTuneError(gettext_in(lang, NO_REPLAY)) from None


def _lock(engine: Engine) -> DatabaseLock:
    return DatabaseLock(engine, LOCK)


def start_fine_tune(class_id: int | None, class_name: str) -> FineTuneJob | None:
    """Start teaching the model the class's digits, unless a fine-tune runs already on
    this server or another (two presses, or two teachers on two servers, start one
    run): returns this server's job, or None when another server's runs."""
    slot = _fine_tune_slot()
    with slot["lock"]:
        job = slot["job"]
        if job is not None and job.running:
            return job

        collection = class_state.class_collection()
        lock = _lock(collection.engine)
        if not lock.acquire({"class_name": class_name, "stage": "starting"}):
            return None

        def class_digits() -> ClassDigits:  # read once, at the start: curating goes on
            return curated_digits(collection, class_id)

        try:
            store = model_loading.model_store()
            lang = current()  # the teacher's: the job's messages are for them
            slot["job"] = FineTuneJob(store, store.active(), class_digits,
                                      functools.partial(_mnist_for_replay, lang),
                                      class_name=class_name, config=BUTTON_CONFIG,
                                      lock=lock, lang=lang).start()
        except BaseException:
            lock.release()
            raise
        return slot["job"]


def other_fine_tune() -> LockState | None:
    """A fine-tune another server runs on this class database (its lock row, with its
    progress), unless this server's own job is the one running."""
    job = fine_tune_job()
    if job is not None and job.running:
        return None
    return _lock(class_state.class_collection().engine).current()


def failed_elsewhere() -> Outcome | None:
    """The last fine-tune whose server died mid-run (released by another server)."""
    return last_outcome(class_state.class_collection().engine, LOCK)


def forget_failed_elsewhere() -> None:
    forget_outcome(class_state.class_collection().engine, LOCK)


def dismiss_fine_tune() -> None:
    slot = _fine_tune_slot()
    with slot["lock"]:
        if slot["job"] is not None and not slot["job"].running:
            slot["job"] = None
