"""The class teaching the model, as a service: one fine-tune at a time per class
database, whatever app server the teacher is on (a lock in the database,
``hwr.class_data.locks``), run in a background job (``hwr.teaching.jobs``) that replays
the shipped MNIST digits (``hwr.learning.replay``) and stores a new model version at the
end (``hwr.class_data.model_store``); never activated here.

A page builds a ``Teaching`` from what it has (the class database's engine, the model
store) and shows its state: the job, its progress, a run on another server, one that
stopped there. Everything it says is a ``Message`` (``hwr.teaching.sentences``), said
in the page's language where shown.

This server's jobs are kept in ``_SLOTS``, a dict guarded by a lock, one ``Slot`` per
database: a job outlives the page run that started it, and its thread holds the
database lock until it ends, so the job must be found again by every later run, by any
teacher's session on this server, for as long as the process lives. A module-level dict
does that without Streamlit (a ``st.cache_resource`` would also forget a running job on
a cache clear); a test that plays two app servers in one process gives each its own
``Slot``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from sqlalchemy import Engine

from hwr.class_data import privacy
from hwr.class_data.locks import DatabaseLock, LockState, forget_outcome, last_outcome
from hwr.class_data.model_store import ModelStore
from hwr.learning.config import TrainConfig
from hwr.learning.data import Mnist
from hwr.learning.finetune import ClassDigits, FineTuneError, shortfall
from hwr.learning.replay import ReplayFileError, replay_mnist
from hwr.teaching.jobs import FineTuneJob
from hwr.translation import Message
from hwr.teaching.sentences import NO_REPLAY, not_ready, stopped_elsewhere

LOG = logging.getLogger(__name__)

# The Class page button's fine-tune: scripts/train.py's defaults. The page's checks (how
# many digits it needs, the MNIST drop it warns about) read the same settings.
BUTTON_CONFIG = TrainConfig()

LOCK = "fine-tune"  # the database lock's name: one fine-tune per class database


@dataclass
class Slot:
    """One class database's fine-tune on this server: its latest job (running, or
    finished and not yet dismissed), and the lock that makes a start one step."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    job: FineTuneJob | None = None


_SLOTS: dict[str, Slot] = {}  # a database's address (no password) -> its slot
_SLOTS_LOCK = threading.Lock()


def slot_for(engine: Engine) -> Slot:
    """This server's slot for the database ``engine`` reaches."""
    key = engine.url.render_as_string(hide_password=True)
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(key, Slot())


def replay_digits() -> Mnist:
    """The shipped replay file's MNIST training digits, always (never a download: a
    school server without internet or HWR_DATA_DIR teaches the model alike), measured on
    MNIST's test set where HWR_DATA_DIR has it, else on the file's check digits
    (hwr.learning.replay.replay_mnist). A missing or damaged file: NO_REPLAY for the
    teacher, the details in the server's log."""
    try:
        return replay_mnist()
    except ReplayFileError as e:
        LOG.warning("hwr: the class cannot teach the model: %s", e)
        raise FineTuneError(Message(NO_REPLAY)) from None


class Teaching:
    """The fine-tune of the class database ``engine`` reaches, as this server runs it,
    new versions going to ``store``; ``config`` is the fine-tune's (the button's)."""

    def __init__(self, engine: Engine, store: ModelStore, slot: Slot | None = None,
                 config: TrainConfig = BUTTON_CONFIG,
                 load_mnist: Callable[[], Mnist] = replay_digits):
        self.engine, self.store, self.config = engine, store, config
        self.slot = slot if slot is not None else slot_for(engine)
        self.load_mnist = load_mnist

    def lock(self) -> DatabaseLock:
        """The database lock of this database's fine-tune, as a new holder sees it."""
        return DatabaseLock(self.engine, LOCK)

    @property
    def job(self) -> FineTuneJob | None:
        """This server's latest fine-tune (running, or finished and not yet dismissed)."""
        return self.slot.job

    def not_ready(self, labels: np.ndarray) -> Message | None:
        """Why a class with these digits (their labels) cannot teach the model yet, or
        None: the rule the fine-tune applies (``hwr.learning.finetune.shortfall``)."""
        short = shortfall(labels, self.config.finetune)
        return None if short is None else not_ready(short)

    def start(self, load_digits: Callable[[], ClassDigits], class_name: str,
              class_id: int | None = None) -> FineTuneJob | None:
        """Start teaching the model the class's digits (``load_digits`` reads them, in
        the job's thread), unless a fine-tune runs already on this server or another
        (two presses, or two teachers on two servers, start one run): returns this
        server's job, or None when another server's runs. It starts from the active
        model if this class (``class_id``) taught it, else from the original
        (``privacy.may_start_from``): a class's model holds no other class's drawings."""
        with self.slot.lock:
            job = self.slot.job
            if job is not None and job.running:
                return job
            lock = self.lock()
            if not lock.acquire({"class_name": class_name, "stage": "starting"}):
                return None
            try:
                active = self.store.active()
                start = active if privacy.may_start_from(self.engine, active.id, class_id) \
                    else self.store.original
                self.slot.job = FineTuneJob(self.store, start, load_digits, self.load_mnist,
                                            class_name=class_name, config=self.config,
                                            class_id=class_id, lock=lock).start()
            except BaseException:
                lock.release()
                raise
            return self.slot.job

    def running_elsewhere(self) -> LockState | None:
        """A fine-tune another server runs on this database (its lock row, with its
        progress), unless this server's own job is the one running."""
        job = self.job
        if job is not None and job.running:
            return None
        return self.lock().current()

    def stopped_elsewhere(self) -> Message | None:
        """The last fine-tune whose server died mid-run (released by another server)."""
        outcome = last_outcome(self.engine, LOCK)
        return None if outcome is None else stopped_elsewhere(outcome)

    def forget_stopped_elsewhere(self) -> None:
        """A teacher has seen it."""
        forget_outcome(self.engine, LOCK)

    def dismiss(self) -> None:
        """A teacher has seen how this server's finished job ended."""
        with self.slot.lock:
            if self.slot.job is not None and not self.slot.job.running:
                self.slot.job = None
