"""The Class page's "Teach the model our handwriting", under AppTest: the teacher starts
a fine-tune, sees before and after, and chooses the model every student gets."""

import numpy as np
import pytest

from hwr.class_data.collection import ClassCollection
from hwr.learning.data import load_mnist
from tests.support.classes import tilted_class
from tests.support.apptest import page_app, texts


@pytest.fixture
def teacher_page(monkeypatch, mnist_dir):
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")
    monkeypatch.setenv("HWR_DATA_DIR", str(mnist_dir))

    def open_page():
        at = page_app("class").run()
        at.session_state["hwr_teacher"] = True
        return at.run()
    return open_page


def fill_class(class_db, digits) -> int:
    db = ClassCollection(class_db)
    lesson = db.start_class("7B")
    for image, label, student in zip(digits.images, digits.labels, digits.students):
        db.add(image, int(label), np.eye(10)[0], class_id=lesson.id, student=student)
    return lesson.id


def button(at, key):
    return next(b for b in at.button if b.key == key)


@pytest.mark.slow
def test_the_teacher_teaches_the_model_and_gives_it_to_everyone(teacher_page, class_db,
                                                                 mnist_dir, monkeypatch):
    from hwr.learning.config import FineTuneConfig
    from hwr.pages.class_page.teaching_service import fine_tune_job, start_fine_tune
    from hwr.teaching.service import BUTTON_CONFIG
    from hwr.pages.shared.model_loading import model_store

    # The page's flow, with a short fine-tune; what the button's own settings learn is
    # tests/test_finetune.py's (test_it_learns_the_class_and_keeps_mnist).
    monkeypatch.setattr(BUTTON_CONFIG, "finetune", FineTuneConfig(epochs=1, replay=300))
    fill_class(class_db, tilted_class(load_mnist(mnist_dir), count=120, students=6))
    at = teacher_page()
    assert "Answering every student now: **the original model" in texts(at)
    button(at, "teach_model").click().run()
    assert not at.exception, at.exception
    job = fine_tune_job()
    assert job is not None
    assert any(b.key == "cancel_teach" for b in at.button)  # running, with its cancel
    assert not any(b.key == "teach_model" for b in at.button)
    assert start_fine_tune(None, "7B") is job  # a second press (or teacher): one run
    assert job.wait(240) and job.message is None, job.message
    at.run()
    assert not at.exception, at.exception
    assert "the model has learned 7B's handwriting" in texts(at)
    labels = {m.label: m for m in at.metric}
    assert any(label.startswith("Our held-out digits") for label in labels)
    assert "MNIST test digits (10,000)" in labels
    assert model_store().active().is_original  # nothing changes until the teacher says
    button(at, "use_model").click().run()
    assert not at.exception, at.exception
    assert model_store().active() == job.version
    trained = job.version.report["trained_on"]  # the digits held back only check it
    assert trained < 120 and f"learned from {trained} of our digits" in texts(at)
    button(at, "restore_original").click().run()
    assert model_store().active().is_original


def test_too_few_digits_get_a_plain_message_and_no_button(teacher_page, class_db,
                                                          mnist_dir):
    fill_class(class_db, tilted_class(load_mnist(mnist_dir), count=12, students=3))
    at = teacher_page()
    assert "needs at least 30 digits" in texts(at)
    assert not any(b.key == "teach_model" for b in at.button)


def test_a_student_cannot_teach_the_model(monkeypatch, class_db, mnist_dir):
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "7B-secret")
    fill_class(class_db, tilted_class(load_mnist(mnist_dir), count=40, students=3))
    at = page_app("class").run()
    assert not at.exception
    assert not any(b.key in ("teach_model", "restore_original") for b in at.button)


def test_a_missing_replay_file_is_one_sentence_and_the_page_goes_on(
        teacher_page, class_db, mnist_dir, monkeypatch, tmp_path):
    from hwr.learning import replay
    from hwr.pages.class_page.teaching_service import fine_tune_job
    from hwr.teaching.sentences import NO_REPLAY

    monkeypatch.delenv("HWR_DATA_DIR")
    monkeypatch.setattr(replay, "REPLAY_PATH", tmp_path / "replay.npz")  # none there
    fill_class(class_db, tilted_class(load_mnist(mnist_dir), count=40, students=3))
    at = teacher_page()
    button(at, "teach_model").click().run()
    assert fine_tune_job().wait(60)
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [NO_REPLAY]
    assert "Errno" not in texts(at) and "http" not in texts(at)
    button(at, "dismiss_teach").click().run()
    assert not at.exception and any(b.key == "teach_model" for b in at.button)


def test_a_change_that_rounds_to_zero_has_no_arrow_and_no_colour():
    from streamlit.proto.Metric_pb2 import Metric
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from hwr.pages.class_page.teaching_report import change_metric

        for column, (before, after, decimals) in zip(st.columns(4), [
                (0.9, 0.9, 1), (0.9965, 0.99651, 2), (0.7, 0.9, 1), (0.9965, 0.9954, 2)]):
            change_metric(column, f"{before} {after}", before, after, decimals)

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    same, tiny, up, down = at.metric
    for still in (same, tiny):
        assert still.proto.direction == Metric.MetricDirection.NONE
        assert still.proto.color == Metric.MetricColor.GRAY
        assert not still.proto.delta.startswith(("+", "-"))
    assert same.proto.delta == "0.0 points" and tiny.proto.delta == "0.00 points"
    assert up.proto.delta == "+20.0 points" and up.proto.color == Metric.MetricColor.GREEN
    assert down.proto.delta == "-0.11 points" and down.proto.color == Metric.MetricColor.RED
