"""The Draw page under Streamlit's AppTest, with a drawing injected into the canvas."""

import re
import sys
import types

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hwr.synth import canvas_like, canvas_number
from tests.conftest import REPO

APP = str(REPO / "streamlit_app.py")


class FakeCanvasResult:
    def __init__(self, image):
        self.image_data = image
        self.json_data = None if image is None else {"objects": []}


@pytest.fixture
def canvas(monkeypatch):
    """Replace the canvas component; set `.drawing` to what the user 'drew'."""
    fake = types.ModuleType("streamlit_drawable_canvas")
    fake.drawing = None
    fake.calls = []

    def st_canvas(**kwargs):
        fake.calls.append(kwargs)
        return FakeCanvasResult(fake.drawing)

    fake.st_canvas = st_canvas
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    return fake


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def answer(at: AppTest) -> str | None:
    for md in at.markdown:
        match = re.search(r'class="hwr-answer"[^>]*>([0-9]+)<', md.value)
        if match:
            return match.group(1)
    return None


def test_empty_canvas_invites_to_draw(canvas):
    canvas.drawing = np.zeros((280, 280, 4), np.uint8)
    at = run_app()
    assert answer(at) is None
    assert any("Draw a digit" in i.value or "Nothing drawn" in i.value for i in at.info)


def test_drawing_shows_the_right_digit(canvas, mnist_test):
    images, labels = mnist_test
    index = int(np.flatnonzero(labels == 7)[0])
    canvas.drawing = canvas_like(images[index], np.random.default_rng(0))
    at = run_app()
    assert answer(at) == "7"
    assert any("confidence" in c.value for c in at.caption)
    assert canvas.calls[-1]["return_image_data"] is True


def test_several_digits_mode_reads_the_number(canvas, mnist_test):
    images, labels = mnist_test
    picks = [int(np.flatnonzero(labels == d)[0]) for d in (2, 0, 6)]
    canvas.drawing = canvas_number([images[i] for i in picks], np.random.default_rng(2))
    at = run_app()
    at.segmented_control(key="mode").set_value("Several digits").run()
    assert not at.exception
    assert answer(at) == "206"


def test_clear_button_gives_a_new_canvas(canvas):
    canvas.drawing = np.zeros((280, 280, 4), np.uint8)
    at = run_app()
    first_key = canvas.calls[-1]["key"]
    at.button(key="clear").click().run()
    assert canvas.calls[-1]["key"] != first_key


def test_missing_model_shows_how_to_restore(canvas, monkeypatch, tmp_path):
    monkeypatch.setenv("HWR_MODEL_DIR", str(tmp_path / "gone"))
    at = run_app()
    assert any("could not be loaded" in e.value and "train.py" in e.value for e in at.error)


def drawn_seven(canvas, mnist_test):
    images, labels = mnist_test
    canvas.drawing = canvas_like(images[int(np.flatnonzero(labels == 7)[0])],
                                 np.random.default_rng(0))


def test_inside_the_network_is_computed_only_when_opened(canvas, mnist_test, monkeypatch):
    import hwr.explain

    calls = []
    real = hwr.explain.explain
    monkeypatch.setattr(hwr.explain, "explain", lambda *a, **k: calls.append(1) or real(*a, **k))
    drawn_seven(canvas, mnist_test)
    at = run_app()
    assert answer(at) == "7" and calls == []
    at.toggle(key="inside").set_value(True).run()
    assert not at.exception and len(calls) == 1
    assert any("Grad-CAM" in (img.caption or "") for el in at.get("image")
               for img in el.proto.imgs)


def test_confirming_saves_to_the_class_collection(canvas, mnist_test, class_db):
    from hwr.collection import ClassCollection

    drawn_seven(canvas, mnist_test)
    at = run_app()
    at.button(key="confirm_yes").click().run()
    assert not at.exception
    assert at.button(key="confirm_save").disabled  # until a digit is chosen
    at.selectbox(key="confirm_label").set_value(1).run()
    at.button(key="confirm_save").click().run()
    samples = ClassCollection(class_db).samples()
    assert samples.labels.tolist() == [7, 1] and samples.predicted.tolist() == [7, 7]


def test_class_page_shows_accuracy_of_collected_digits(class_db):
    from hwr.collection import ClassCollection

    db = ClassCollection(class_db)
    db.add(np.zeros((28, 28)), 3, np.eye(10)[3])
    db.add(np.zeros((28, 28)), 5, np.eye(10)[3])
    at = AppTest.from_string("from hwr.pages.classroom import class_page\nclass_page()\n",
                             default_timeout=60).run()
    assert not at.exception
    assert at.metric[0].value == "2" and at.metric[1].value == "50.0%"
    misread = [el.value for el in at.get("html") if "hwr-thumb" in el.value]
    assert len(misread) == 1 and misread[0].count("<figure") == 1
    assert "a 5 read as 3 (100%)" in misread[0]
    assert at.button(key="delete_all").disabled  # not without the confirmation
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete_all").click().run()
    assert db.count() == 0


def test_presentation_mode_enlarges_canvas_and_answer(canvas, mnist_test):
    drawn_seven(canvas, mnist_test)
    at = run_app()
    at.sidebar.toggle(key="presentation").set_value(True).run()
    assert canvas.calls[-1]["width"] > 400
    assert any("14rem" in md.value for md in at.markdown)
