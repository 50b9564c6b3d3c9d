"""The Evaluation page under Streamlit's AppTest, from the shipped model's files."""

import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from hwr.evaluate import PREDICTIONS_FILE, cell_indices, load_predictions
from hwr.recognizer import DEFAULT_MODEL_DIR


def evaluation_app() -> AppTest:
    """A script that runs only the Evaluation page (AppTest cannot click the navigation)."""
    return AppTest.from_string(
        "from hwr.pages.evaluation import evaluation_page\nevaluation_page()\n",
        default_timeout=120,
    )


@pytest.fixture(autouse=True)
def data_dir(mnist_dir, monkeypatch):
    monkeypatch.setenv("HWR_DATA_DIR", str(mnist_dir))


def test_page_renders_from_shipped_files():
    at = evaluation_app().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["Test accuracy", "Errors", "Test loss"]
    saved_accuracy = (load_predictions(DEFAULT_MODEL_DIR)[1].argmax(1)
                      == load_predictions(DEFAULT_MODEL_DIR)[0]).mean()
    assert at.metric[0].value == f"{saved_accuracy:.2%}"
    assert len(at.dataframe) >= 2  # per-class table and confused pairs


def test_selecting_a_cell_lists_exactly_its_images():
    labels, probs = load_predictions(DEFAULT_MODEL_DIR)
    predicted = probs.argmax(axis=1)
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (labels, predicted), 1)
    np.fill_diagonal(confusion, 0)
    true_digit, pred_digit = np.unravel_index(confusion.argmax(), confusion.shape)
    expected = set(cell_indices(labels, predicted, true_digit, pred_digit).tolist())

    at = evaluation_app().run()
    at.selectbox(key="cm_true").set_value(int(true_digit))
    at.selectbox(key="cm_pred").set_value(int(pred_digit)).run()
    assert not at.exception
    assert any(f"**{len(expected)}** test images of a **{true_digit}**" in m.value
               for m in at.markdown)
    # Captions read "#index true T: P p%, ...": every image shown as this pair is in the
    # cell, and every image of the cell is shown.
    captions = [img.caption for el in at.get("image") for img in el.proto.imgs]
    shown = set()
    for caption in captions:
        index, _, true, top = caption.replace(":", "").split()[:4]
        if int(true) == true_digit and int(top) == pred_digit:
            shown.add(int(index[1:]))
    assert shown == expected


def test_stale_predictions_offer_to_compute(tmp_path, monkeypatch):
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    (model / PREDICTIONS_FILE).unlink()
    monkeypatch.setenv("HWR_MODEL_DIR", str(model))
    at = evaluation_app().run()
    assert not at.exception
    assert any("cannot be used" in w.value for w in at.warning)
    at.button(key="compute").click().run()
    assert not at.exception
    assert (model / PREDICTIONS_FILE).exists()
    assert load_predictions(model)[1].shape == (10_000, 10)
