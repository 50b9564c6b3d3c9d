"""The teaching service (``hwr.teaching``) as the Class page uses it: built from the
page's class database and model store, fed the class's curated digits, and its
sentences said in the page's language."""

from __future__ import annotations

from typing import Callable

from hwr.class_data.curation import curated_digits
from hwr.learning.finetune import ClassDigits
from hwr.pages.shared import class_state, model_loading
from hwr.pages.shared.language import current
from hwr.teaching.jobs import FineTuneJob
from hwr.translation import Message, text_in
from hwr.teaching.service import Teaching


def teaching() -> Teaching:
    """The fine-tune of the page's class database, on this server."""
    return Teaching(class_state.class_collection().engine, model_loading.model_store())


def fine_tune_job() -> FineTuneJob | None:
    """This server's latest fine-tune (running, or finished and not yet dismissed)."""
    return teaching().job


def class_digits(class_id: int | None) -> Callable[[], ClassDigits]:
    """What a fine-tune learns from: the class's digits as the teacher curated them,
    read once, at its start (curating goes on meanwhile)."""
    collection = class_state.class_collection()
    return lambda: curated_digits(collection, class_id)


def start_fine_tune(class_id: int | None, class_name: str) -> FineTuneJob | None:
    """Teach the model the class's digits (Teaching.start)."""
    return teaching().start(class_digits(class_id), class_name, class_id)


def say(message: Message | str) -> str:
    """One of the service's sentences in the page's language."""
    return text_in(current(), message)
