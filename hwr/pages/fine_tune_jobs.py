"""The class teaching the model, as the Class page runs it: one fine-tune at a time per
database in this server, in a background thread, with progress, cancel and a new version
in the model store at the end (hwr.learning.finetune holds the algorithm)."""

from __future__ import annotations

import threading
import time
from typing import Callable

import streamlit as st

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
from hwr.pages import class_state, model_loading


class FineTuneJob:
    """One fine-tune in a background thread: progress to show, a cancel button, and at
    the end a new version in the model store (never activated here) or an error.

    ``load_digits`` and ``load_mnist`` run inside the thread, so pressing the button
    returns at once."""

    def __init__(self, store, start, load_digits: Callable[[], ClassDigits],
                 load_mnist: Callable[[], Mnist], class_name: str = "",
                 config: TrainConfig | None = None):
        self.store, self.start_version = store, start
        self.load_digits, self.load_mnist = load_digits, load_mnist
        self.class_name, self.config = class_name, config or TrainConfig()
        self.progress = Progress()
        self.cancel_event = threading.Event()
        self.version = None  # the new ModelVersion once done
        self.error: str | None = None
        self.cancelled = False
        self.seconds: float | None = None
        self._thread = threading.Thread(target=self._run, name="hwr-fine-tune", daemon=True)

    def start(self) -> "FineTuneJob":
        self._thread.start()
        return self

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
            usable_digits, _ = usable(digits)
            check_enough(usable_digits, self.config.finetune)  # before MNIST loads
            mnist = self.load_mnist()
            result = fine_tune(self.start_version.path, digits, mnist, self.config,
                               progress=self._update, cancel=self.cancel_event)
            if self.cancel_event.is_set():
                raise Cancelled("The fine-tune was cancelled; nothing was saved.")
            self.progress.stage = "saving"
            self.version = self.store.add(
                lambda d: write_version(result, self.start_version.path, d),
                parent=self.start_version.id, class_digits=result.report["class_digits"],
                class_name=self.class_name,
                report={k: v for k, v in result.report.items() if k != "config"})
        except Cancelled as e:
            self.cancelled, self.error = True, str(e)
        except FineTuneError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - told to the teacher; nothing was saved
            self.error = f"The fine-tune failed ({type(e).__name__}: {e}); nothing was saved."
        finally:
            self.seconds = time.monotonic() - started
            self.progress.stage = "done"

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


def _mnist_for_replay():
    from hwr.learning.data import load_mnist

    try:
        return load_mnist()
    except Exception as e:  # noqa: BLE001 - a missing folder or a failed download
        raise FineTuneError(
            "The MNIST training digits, which remind the model of what it knows, could not "
            f"be read ({e}): set HWR_DATA_DIR to a folder with the MNIST IDX files, or let "
            "the server download them once") from None


def start_fine_tune(class_id: int | None, class_name: str) -> FineTuneJob:
    """Start teaching the model the class's digits, unless a fine-tune runs already
    (two presses, or two teachers, start one run)."""
    slot = _fine_tune_slot()
    with slot["lock"]:
        job = slot["job"]
        if job is not None and job.running:
            return job

        def class_digits() -> ClassDigits:
            samples = class_state.class_collection().samples(class_id)
            return ClassDigits(samples.images, samples.labels, samples.students)

        store = model_loading.model_store()
        slot["job"] = FineTuneJob(store, store.active(), class_digits, _mnist_for_replay,
                                  class_name=class_name).start()
        return slot["job"]


def dismiss_fine_tune() -> None:
    slot = _fine_tune_slot()
    with slot["lock"]:
        if slot["job"] is not None and not slot["job"].running:
            slot["job"] = None
