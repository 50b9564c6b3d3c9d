"""The teaching service (hwr.teaching) without a page: one rule for enough digits, whose
reasons are one template said in every language, and a job that keeps what it says as a
Message, said in the language of whoever looks."""

from __future__ import annotations

import ast
import copy
import pickle
import threading

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hwr.class_data.collection import ClassCollection
from hwr.class_data.locks import SERVER_STOPPED, Outcome
from hwr.class_data.model_store import ModelStore
from hwr.learning.config import FineTuneConfig
from hwr.learning.finetune import (
    EITHER,
    Cancelled,
    ClassDigits,
    NotEnoughDigits,
    check_enough,
    shortfall,
)
from hwr.pages.shared.language import LANG
from hwr.teaching.jobs import FineTuneJob
from hwr.teaching.sentences import (
    ALL_CLASSES,
    CANCELLED,
    class_name,
    stopped_elsewhere,
)
from hwr.teaching.service import BUTTON_CONFIG, Slot, Teaching, slot_for
from hwr.translation import Message, gettext_in, ngettext_in, text_in
from tests.support.files import REPO
from tests.support.untranslated import find_all_in_package

TRANSLATED = ["de", "fr", "es"]


def digits(labels: list[int]) -> ClassDigits:
    """Class digits with these labels (plain, inked images)."""
    return ClassDigits(np.full((len(labels), 28, 28), 0.5, np.float32),
                       np.array(labels, np.int64))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_enough_digits_reasons_are_one_template_said_in_each_language(lang):
    config = FineTuneConfig()
    few = shortfall(np.array([1, 4, 7] * 3), config)
    alike = shortfall(np.array([1, 7] * 20), config)
    assert few.too_few and (few.count, few.kinds) == (9, (1, 4, 7))
    assert not alike.too_few and alike.kinds == (1, 7)

    said = few.message()
    assert said.text(lang) == ngettext_in(lang, said.template, said.plural, 9).format(
        n=9, needed=30)
    assert said.text(lang) != str(said) and "9" in said.text(lang)
    either = gettext_in(lang, EITHER).format(first="1", last="7")
    assert either in alike.message().text(lang) and either != "1 or 7"
    assert gettext_in(lang, alike.message().template).format(
        digits=either, needed=3) == alike.message().text(lang)
    # The command line's NotEnoughDigits says the same template in English.
    for labels, short in (([1, 4, 7] * 3, few), ([1, 7] * 20, alike)):
        with pytest.raises(NotEnoughDigits) as refused:
            check_enough(digits(labels), config)
        assert str(refused.value) == str(short.message())
        assert refused.value.message.template == short.message().template
        assert refused.value.shortfall == short


def test_the_class_page_and_the_fine_tune_apply_one_rule(tmp_path):
    """Where the page offers its button, the fine-tune's own check lets it run, and where
    the page says not yet, the fine-tune refuses: one function decides both."""
    service = Teaching(ClassCollection(tmp_path / "db.sqlite3").engine, None, slot=Slot())
    config = BUTTON_CONFIG.finetune
    for labels in ([1, 2, 3] * 10, [1, 2, 3] * 10 + [4], [1, 2] * 20, [1, 2, 3] * 9 + [4, 4],
                   [], [5] * 100):
        refused = service.not_ready(np.array(labels))
        try:
            check_enough(digits(labels), config)
            ran = True
        except NotEnoughDigits:
            ran = False
        assert ran == (refused is None), labels
    refused = service.not_ready(np.array([3, 3, 5]))
    assert str(refused) == ("To learn the class's handwriting the model needs at least 30 "
                            "digits, of at least 3 different kinds (now: 3 digits, 2 kinds). "
                            "Draw and save more on the Draw page.")
    assert "1 Sorte)" in service.not_ready(np.array([3])).text("de")


def a_cancelled_job(tmp_path) -> FineTuneJob:
    """A job cancelled while it reads the MNIST digits (nothing learned, nothing saved)."""
    store = ModelStore(ClassCollection(tmp_path / "db.sqlite3").engine, tmp_path / "cache")
    reading = threading.Event()

    def load_mnist():
        reading.set()
        assert job.cancel_event.wait(30)
        raise Cancelled

    job = FineTuneJob(store, store.original, lambda: digits([1, 2, 3] * 10), load_mnist,
                      class_name="7B")
    job.start()
    assert reading.wait(30)
    job.cancel()
    assert job.wait(30)
    assert job.cancelled and job.version is None and store.versions() == []
    return job


def test_a_cancelled_jobs_message_is_said_in_each_viewers_language(tmp_path):
    job = a_cancelled_job(tmp_path)
    assert job.message.template == CANCELLED
    assert str(job.message) == "The fine-tune was cancelled; nothing was saved."
    said = {lang: job.message.text(lang) for lang in ["en", *TRANSLATED]}
    assert said["en"] == CANCELLED and len(set(said.values())) == 4
    assert said["de"] == "Die Feinabstimmung wurde abgebrochen; nichts wurde gespeichert."

    def page(job):
        from hwr.pages.class_page.model_teaching import show_finished

        show_finished(job)

    for lang in ("de", "fr"):  # two teachers' pages look at the same job
        at = AppTest.from_function(page, kwargs={"job": job}, default_timeout=60)
        at.session_state[LANG] = lang
        at.run()
        assert not at.exception, at.exception
        assert [i.value for i in at.info] == [said[lang]]


def test_a_run_another_server_lost_is_said_in_the_readers_language():
    """hwr.class_data.locks records the reason in English; the page's sentence, the class
    name and the reason are each said in the reader's language."""
    outcome = Outcome("failed", "server-b", 1.0, 2.0, {"class_name": ALL_CLASSES},
                      SERVER_STOPPED)
    message = stopped_elsewhere(outcome)
    assert str(message) == ("The fine-tune of all classes's digits stopped: the server "
                            "running it stopped answering. Nothing was saved, and the model "
                            "answering is the same as before.")
    for lang in TRANSLATED:
        said = message.text(lang)
        assert gettext_in(lang, SERVER_STOPPED) in said
        assert gettext_in(lang, ALL_CLASSES) in said
    unknown = Outcome("failed", "b", 1.0, 2.0, {"class_name": "7B"}, "a reason of its own")
    said = stopped_elsewhere(unknown).text("de")
    assert "7B" in said and ": a reason of its own." in said and "Nothing" not in said
    assert class_name("Draw") == "Draw"  # a teacher's own words are never translated
    assert text_in("de", class_name(None)) == gettext_in("de", "a class")


def test_a_message_keeps_its_plural_and_its_values():
    message = Message.ngettext("{count} digit", "{count} digits", 1, count=1)
    for again in (pickle.loads(pickle.dumps(message)), copy.copy(message)):
        assert (again.plural, again.count, again.values) == ("{count} digits", 1, {"count": 1})
        assert again.text("de") == "1 Ziffer" and str(again) == "1 digit"
    nested = Message("{first} or {last}", first=Message("a class"), last=3)
    assert nested.text("fr") == gettext_in("fr", "{first} or {last}").format(
        first=gettext_in("fr", "a class"), last=3)


def test_one_slot_per_database_on_a_server(tmp_path):
    a = ClassCollection(tmp_path / "a.sqlite3")
    b = ClassCollection(tmp_path / "b.sqlite3")
    assert slot_for(a.engine) is slot_for(ClassCollection(tmp_path / "a.sqlite3").engine)
    assert slot_for(a.engine) is not slot_for(b.engine)
    assert Teaching(a.engine, None).slot is slot_for(a.engine)


def test_the_service_knows_no_page_and_no_streamlit():
    for path in sorted((REPO / "hwr" / "teaching").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith(("hwr.pages", "streamlit")), (path.name, name)


def test_no_word_the_service_says_bypasses_the_catalogs():
    found = find_all_in_package(REPO / "hwr" / "teaching", REPO, REPO / "hwr")
    assert not found, "\n".join(map(str, found))
