"""One fine-tune in a background thread: its progress, its cancel, the database lock it
beats while it runs, and a new version in the model store at the end
(``hwr.learning.finetune`` holds the algorithm; ``hwr.teaching.service`` starts one per
database).

The running job beats the lock every ``HEARTBEAT_SECONDS`` with its progress, which the
Class page on another server shows; a server that dies mid-run stops beating, and the
lock is released after ``$HWR_LOCK_STALE_SECONDS`` with the run recorded as failed (the
job never activates a model, so the active one is unchanged).

A run that ends without a new model says why in ``message``: a ``Message``, said in the
language of whoever looks (the thread has no page, and no language, of its own)."""

from __future__ import annotations

import threading
import time
from typing import Callable

from hwr.class_data import privacy
from hwr.class_data.locks import HEARTBEAT_SECONDS, DatabaseLock
from hwr.class_data.model_store import ModelStore, ModelVersion
from hwr.learning.config import TrainConfig
from hwr.learning.data import Mnist
from hwr.learning.finetune import (
    Cancelled,
    ClassDigits,
    FineTuneError,
    Progress,
    check_enough,
    fine_tune,
    usable,
    write_version,
)
from hwr.translation import Message
from hwr.teaching.sentences import CANCELLED, ERASED_MEANWHILE, FAILED, LOCK_LOST


class FineTuneJob:
    """One fine-tune in a background thread: progress to show, a cancel button, and at
    the end a new version in the model store (never activated here) or why not
    (``message``).

    ``load_digits`` and ``load_mnist`` run inside the thread, so pressing the button
    returns at once. ``lock``, held already: beaten with the progress while the job runs,
    released at its end; a lock lost (another server thought this one dead) cancels it."""

    def __init__(self, store: ModelStore, start: ModelVersion,
                 load_digits: Callable[[], ClassDigits], load_mnist: Callable[[], Mnist],
                 class_name: str = "", config: TrainConfig | None = None,
                 class_id: int | None = None,
                 lock: DatabaseLock | None = None,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS):
        self.lock, self.heartbeat_seconds = lock, heartbeat_seconds
        self.lock_lost = False
        self.store, self.start_version = store, start
        self.load_digits, self.load_mnist = load_digits, load_mnist
        self.class_name, self.config = class_name, config or TrainConfig()
        self.class_id = class_id  # whose digits: recorded with the version (privacy)
        self.progress = Progress()
        self.selection: dict = {}  # what the digits left out, as of the run's start
        self.cancel_event = threading.Event()
        self.version = None  # the new ModelVersion once done
        self.message: Message | None = None  # why it ended without a new version
        self.cancelled = False  # ... because the teacher cancelled it
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
            read_at = time.time()  # a student erased after this is caught by record_taught
            digits = self.load_digits()
            self.selection = getattr(digits, "report", None) or {}  # curation's LeftOut
            usable_digits, _left_out = usable(digits)
            check_enough(usable_digits, self.config.finetune)  # before MNIST loads
            mnist = self.load_mnist()
            result = fine_tune(self.start_version.path, digits, mnist, self.config,
                               progress=self._update, cancel=self.cancel_event)
            if self.lock_lost:
                raise FineTuneError(Message(LOCK_LOST))
            if self.cancel_event.is_set():
                raise Cancelled
            self.progress.stage = "saving"
            self.version = self.store.add(
                lambda d: write_version(result, self.start_version.path, d),
                parent=self.start_version.id, class_digits=result.report["class_digits"],
                class_name=self.class_name,
                report={**{k: v for k, v in result.report.items() if k != "config"},
                        **self.selection})
            if not privacy.record_taught(self.store.engine, self.version.id, self.class_id,
                                         digits.students or None, read_at):
                self.version = None  # deleted: a student it learned from was erased
                raise FineTuneError(Message(ERASED_MEANWHILE))
        except Cancelled:
            self.cancelled, self.message = True, Message(CANCELLED)
        except FineTuneError as e:
            self.message = e.message
        except Exception as e:  # noqa: BLE001 - told to the teacher; nothing was saved
            self.message = Message(FAILED, error=f"{type(e).__name__}: {e}")
        finally:
            if self.lock_lost and self.version is None:
                self.cancelled, self.message = False, Message(LOCK_LOST)
            self.seconds = time.monotonic() - started
            self.progress.stage = "done"

    def _update(self, progress: Progress) -> None:
        self.progress = progress
