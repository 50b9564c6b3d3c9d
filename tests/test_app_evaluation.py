"""The Evaluation page under Streamlit's AppTest, from the shipped model's files."""

import base64
import io
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from hwr.class_data.model_store import results_dir
from hwr.learning.evaluate import cell_indices, load_predictions
from hwr.model_dir import PREDICTIONS_FILE
from hwr.pages.evaluation.galleries import thumbnail
from hwr.pages.evaluation.model_card import training_curves_chart
from hwr.reading.recognizer import DEFAULT_MODEL_DIR


def evaluation_app() -> AppTest:
    """A script that runs only the Evaluation page (AppTest cannot click the navigation)."""
    return AppTest.from_string(
        "from hwr.pages.evaluation.page import evaluation_page\nevaluation_page()\n",
        default_timeout=120,
    )


@pytest.fixture(autouse=True)
def data_dir(mnist_dir, monkeypatch):
    monkeypatch.setenv("HWR_DATA_DIR", str(mnist_dir))


def test_page_renders_from_shipped_files():
    at = evaluation_app().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["Test accuracy", "Errors", "Test loss"]
    saved_accuracy = (load_predictions(DEFAULT_MODEL_DIR)[1].argmax(1)
                      == load_predictions(DEFAULT_MODEL_DIR)[0]).mean()
    assert at.metric[0].value == f"{saved_accuracy:.2%}"
    assert len(at.table) == 3  # per-class table, confused pairs, writing styles
    assert len(at.table[0].value) == 10
    assert any("rotation_degrees" in m.value for m in at.markdown)  # the model card
    # the shipped model's two stages, from its config.json
    assert any("40 epochs (best at epoch" in m.value and "then 4 epochs of polish" in m.value
               for m in at.markdown)
    # which fonts the non-digit letters came from, per stage (issue 32: no silent fonts)
    letters = [m.value for m in at.markdown if "Letters among the non-digits" in m.value]
    assert len(letters) == 1 and "DejaVuSans.ttf" in letters[0]
    assert "Hershey-Fonts 2.1.0" in letters[0] and "futural" in letters[0]


def test_the_card_lists_the_polishs_short_bar_sevens_when_it_had_any():
    from hwr.pages.evaluation.model_card import polish_note

    polish = {"epochs": 4, "learning_rate": 1e-4, "flag_degrees": [15, 50],
              "flag_length": [0.15, 0.9], "one_stroke": 0.5}
    assert "short top bar" not in polish_note(polish)
    assert polish_note({**polish, "short_bar_sevens": 1500}).endswith(
        ", and 1,500 training 1s made into 7s with a short top bar")


def thumbnails(at: AppTest) -> list[tuple[int, int, int]]:
    """(index, true digit, top prediction) of every gallery image on the page."""
    pattern = re.compile(r"#(\d+) true (\d)<br>(\d) ")
    return [tuple(map(int, m)) for el in at.get("html") for m in pattern.findall(el.value)]


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
    assert any(f"**{len(expected)}** test images of the digit **{true_digit}**" in m.value
               for m in at.markdown)
    # Every image shown as this pair is in the cell, and every image of the cell is shown.
    shown = {index for index, true, top in thumbnails(at)
             if (true, top) == (true_digit, pred_digit)}
    assert shown == expected


def test_thumbnail_shows_the_test_image_and_its_top_two():
    images = np.zeros((3, 28, 28), np.uint8)
    images[2, 5:20, 10:14] = 255
    probabilities = np.full((3, 10), 0.01)
    probabilities[2, [7, 1]] = [0.62, 0.30]
    html = thumbnail(2, np.array([0, 0, 1]), probabilities, images)
    assert "#2 true 1<br>7 62% · 1 30%" in html
    encoded = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))
    np.testing.assert_array_equal(shown, images[2])


def test_training_curves_plot_the_saved_history():
    history = {"loss": [0.9, 0.2, 0.1], "val_loss": [0.5, 0.15, 0.12],
               "accuracy": [0.7, 0.95, 0.97], "val_accuracy": [0.9, 0.96, 0.965]}
    spec = training_curves_chart(history)
    rows = [row for dataset in spec["datasets"].values() for row in dataset]
    plotted = {(r["metric"], r["split"], r["epoch"]): r["value"] for r in rows}
    assert plotted[("loss", "validation", 2)] == 0.15
    assert plotted[("accuracy", "training", 3)] == 0.97
    assert len(plotted) == 12


@pytest.mark.slow
def test_stale_predictions_offer_to_compute(tmp_path, monkeypatch, tiny_mnist):
    """The teacher computes them into the server's cache (on a test set of 100 learnable
    fake digits: the same steps as on MNIST's 10,000, in 16 s against 28 s here)."""
    monkeypatch.setenv("HWR_DATA_DIR", str(tiny_mnist))
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    (model / PREDICTIONS_FILE).unlink()
    monkeypatch.setenv("HWR_MODEL_DIR", str(model))
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "x")
    at = evaluation_app().run()  # a student: told, no button, no path
    assert not at.exception
    assert not [b for b in at.button if b.key == "compute"]
    assert not any(str(model) in w.value for w in at.warning)
    at.session_state["hwr_teacher"] = True  # the teacher's session
    at.run()
    assert any("cannot be used" in w.value for w in at.warning)
    before = sorted(p.name for p in model.iterdir())
    at.button(key="compute").click().run()
    assert not at.exception
    assert sorted(p.name for p in model.iterdir()) == before  # the model's folder: read only
    results = results_dir(model)  # the server's cache
    assert load_predictions(results, model / "model.keras")[1].shape == (100, 10)
    metrics = json.loads((results / "metrics.json").read_text())
    assert set(metrics["styles"]) >= {"slashed_zero", "crossed_seven"}
    assert "non_digits" in metrics["not_a_digit"]
    assert any(m.label == "Test accuracy" for m in at.metric)  # the page reads them


def test_writing_styles_and_non_digits_are_reported_with_examples():
    at = evaluation_app().run()
    assert not at.exception
    styles = [t for t in at.table if "read right" in str(t.value.columns.tolist())]
    assert len(styles) == 1
    assert set(styles[0].value.index) == {"slashed zero", "flagged one", "footed one",
                                          "crossed seven", "long flag one", "short bar seven"}
    labels = {m.label for m in at.metric}
    assert {"8s read as 0", "0s read as 8", "Non-digits called 'not a digit'"} <= labels
    assert any("restyled" in (img.caption or "") for el in at.get("image")
               for img in el.proto.imgs)


@pytest.fixture
def no_mnist(tmp_path, monkeypatch):
    """A server that cannot read MNIST: the page's galleries fall back on the gallery file."""
    from hwr.pages.evaluation.galleries import cached_gallery, mnist_test_images

    empty = tmp_path / "no-mnist"
    empty.mkdir()
    monkeypatch.setenv("HWR_DATA_DIR", str(empty))
    mnist_test_images.clear()
    cached_gallery.clear()
    yield
    mnist_test_images.clear()
    cached_gallery.clear()


def test_without_mnist_the_galleries_show_the_gallery_files_images(no_mnist):
    from hwr.learning.gallery import read_gallery
    from hwr.model_dir import GALLERY_FILE

    at = evaluation_app().run()
    assert not at.exception
    assert not at.info  # no "not available" message
    gallery = read_gallery(DEFAULT_MODEL_DIR / GALLERY_FILE)
    shown = thumbnails(at)
    galleries = [el.value for el in at.get("html") if 'class="hwr-gallery"' in el.value]
    assert len(galleries) == 3  # the chosen cell, confident mistakes, hesitant successes
    assert all("<img" in g for g in galleries)
    assert shown and {index for index, _, _ in shown} <= set(gallery.indices.tolist())
    labels = load_predictions(DEFAULT_MODEL_DIR)[0]
    assert all(labels[index] == true for index, true, _ in shown)
    assert any("restyled" in (img.caption or "") for el in at.get("image")
               for img in el.proto.imgs)  # the styles figure: its digits are in the file
    assert any("CC BY-SA 3.0" in m.value for m in at.markdown)  # the model card


def test_a_diagonal_cell_shows_the_galleries_first_images_and_says_so(no_mnist):
    at = evaluation_app().run()
    at.selectbox(key="cm_true").set_value(7)
    at.selectbox(key="cm_pred").set_value(7).run()
    assert not at.exception
    from hwr.learning.gallery import PER_CELL, cell_order

    cell = next(el.value for el in at.get("html") if 'class="hwr-gallery"' in el.value)
    shown = list(dict.fromkeys(int(i) for i in re.findall(r"#(\d+) true", cell)))  # alt, caption
    labels, probabilities = load_predictions(DEFAULT_MODEL_DIR)
    order = cell_order(labels, probabilities, 7, 7).tolist()
    # the cell's first images as the page orders them, then any other of the cell's images
    # the gallery holds (a least confident right answer, a styles example), in that order
    assert shown[:PER_CELL] == order[:PER_CELL]
    assert shown == sorted(shown, key=order.index)
    assert any("model's gallery" in c.value for c in at.caption)


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_a_missing_or_damaged_gallery_file_is_said_and_the_page_works(no_mnist, tmp_path,
                                                                       monkeypatch, damage):
    from hwr.model_dir import GALLERY_FILE

    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    if damage == "missing":
        (model / GALLERY_FILE).unlink()
    else:
        (model / GALLERY_FILE).write_bytes(b"not a gallery")
    monkeypatch.setenv("HWR_MODEL_DIR", str(model))
    at = evaluation_app().run()
    assert not at.exception
    said = "no gallery file" if damage == "missing" else "cannot be read"
    notes = [i.value for i in at.info if said in i.value]
    assert len(notes) == 3  # each gallery says so, and lists the images' numbers
    assert not any('class="hwr-gallery"' in el.value for el in at.get("html"))
    assert at.metric[0].label == "Test accuracy" and len(at.table) == 3  # the rest works


def test_without_a_data_folder_the_page_downloads_nothing(tmp_path, monkeypatch):
    """No HWR_DATA_DIR: the galleries show the gallery file's images and "Compute" says
    to set it; the page never asks an outside server for MNIST (docs/privacy.md)."""
    import hwr.learning.data
    from hwr.pages.evaluation.galleries import mnist_test_images

    downloads = []

    def no_download():
        downloads.append(1)
        raise OSError("no network")

    monkeypatch.setattr(hwr.learning.data, "_download", no_download)
    monkeypatch.delenv("HWR_DATA_DIR")
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    (model / PREDICTIONS_FILE).unlink()  # stale: the teacher is offered "Compute"
    monkeypatch.setenv("HWR_MODEL_DIR", str(model))
    monkeypatch.setenv("HWR_TEACHER_PASSCODE", "x")
    mnist_test_images.clear()
    at = evaluation_app()
    at.session_state["hwr_teacher"] = True  # the teacher's session
    at.run()
    assert not at.exception
    at.button(key="compute").click().run()
    assert not at.exception
    assert any("Set HWR_DATA_DIR" in e.value for e in at.error)
    assert downloads == []
    mnist_test_images.clear()
