"""The Evaluation page: how good the model really is, and where it errs.

Everything comes from the model directory (metrics, saved per-image test probabilities,
history), or from the results the app computed for the model (``results_dir``, never
written into the model's own directory), so a visit costs no predictions; only the test
images themselves are read, once per server process, for the galleries: MNIST's own
files when they can be read, else the model's gallery file (``hwr.learning.gallery``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from hwr.class_data.model_store import results_dir
from hwr.learning.data import MnistFileError, load_test_set
from hwr.learning.evaluate import (
    NON_DIGIT_TEST_COUNT,
    StalePredictionsError,
    compute_metrics,
    confident_mistakes,
    evaluate_model,
    hesitant_successes,
    load_predictions,
    most_confused_pairs,
    write_results,
)
from hwr.learning.gallery import (
    HESITANT,
    PER_CELL,
    Gallery,
    GalleryError,
    cell_order,
    read_gallery,
)
from hwr.learning.plots import (
    confusion_matrix_figure,
    figure_png,
)
from hwr.model_dir import GALLERY_FILE, METRICS_FILE, MODEL_FILE
from hwr.pages.markup import (
    GALLERY_MAX,
    THUMBNAIL_SIZE,
    confusion_chart,
    figure_html,
    show_image_grid,
    use_stylesheet,
)
from hwr.pages.model_card import (
    show_headline,
    show_model_card,
    show_per_class,
    show_styles,
    show_training_curves,
)
from hwr.pages.model_loading import recognizer_or_stop
from hwr.pages.teacher_session import is_teacher
from hwr.reading.recognizer import DigitRecognizer

DIGITS = list(range(10))


@st.cache_data(show_spinner="Reading the MNIST test images...")
def mnist_test_images() -> np.ndarray | None:
    try:
        return load_test_set()[0]
    except Exception:  # noqa: BLE001 - a failed download raises anything; galleries degrade
        return None


@st.cache_data
def cached_gallery(path: str, mtime: float) -> Gallery:
    """The model's gallery file, re-read when it changes (raises GalleryError)."""
    return read_gallery(path)


@dataclass(frozen=True)
class TestImages:
    """The test images the galleries can show: all of MNIST's, else the model's gallery
    file's, else none (``problem`` says why)."""

    mnist: np.ndarray | None = None
    gallery: Gallery | None = None
    problem: str = ""

    def __getitem__(self, index: int) -> np.ndarray:
        return self.mnist[index] if self.mnist is not None else self.gallery.image(index)

    def held(self, indices: np.ndarray) -> np.ndarray:
        """Those of ``indices`` that can be shown, in their order."""
        if self.mnist is not None:
            return indices
        return self.gallery.held(indices) if self.gallery is not None else indices[:0]

    def examples(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(labels, images) for the writing-styles figure (the gallery holds its digits)."""
        if self.mnist is not None:
            return labels, self.mnist
        if self.gallery is not None:
            return self.gallery.labels, self.gallery.images
        return labels, None


def test_images(rec: DigitRecognizer, labels: np.ndarray) -> TestImages:
    images = mnist_test_images()
    if images is not None:
        return TestImages(mnist=images)
    path = rec.model_dir / GALLERY_FILE
    try:
        gallery = cached_gallery(str(path), path.stat().st_mtime if path.exists() else 0.0)
        if not np.array_equal(gallery.labels, labels[gallery.indices]):
            raise GalleryError(f"its gallery file ({GALLERY_FILE}) does not match the test "
                               "set's digits")
    except GalleryError as e:
        return TestImages(problem=f"The MNIST test images are not available here (set "
                                  f"HWR_DATA_DIR), and {e}")
    return TestImages(gallery=gallery)


@st.cache_data
def cached_predictions(results: str, model_file: str,
                       model_mtime: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """Saved predictions and figures, re-read when the model file changes (its mtime is
    in the cache key)."""
    labels, probabilities = load_predictions(results, model_file)
    try:
        saved = json.loads((Path(results) / METRICS_FILE).read_text())
    except (OSError, ValueError):
        saved = {}
    return labels, probabilities, saved


@st.cache_data
def cached_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    return compute_metrics(labels, probabilities)


@st.cache_data
def confusion_png(confusion: np.ndarray, normalize: bool) -> bytes:
    return figure_png(confusion_matrix_figure(confusion, normalize))


def compute_predictions(rec: DigitRecognizer) -> None:
    """Measure the model on the test digits, the styles and non-digits, with progress."""
    try:
        images, labels = load_test_set()
    except (MnistFileError, OSError, ValueError) as e:
        st.error(f"The MNIST test set could not be read: {e}. Set HWR_DATA_DIR.")
        return
    bar = st.progress(0.0, text="Predicting the 10,000 test images...")
    done = {"images": 0}
    from hwr.learning.styles import STYLES

    styled = sum(int((labels == digit).sum()) for digit, _ in STYLES.values())
    total = len(images) + styled + NON_DIGIT_TEST_COUNT  # digits, restyled, non-digits

    def score(batch: np.ndarray) -> np.ndarray:
        scores = rec.predict_scores(batch)
        done["images"] += len(batch)
        bar.progress(min(1.0, done["images"] / total),
                     text=f"Predicted {done['images']:,} images (test digits, writing "
                          "styles, non-digits)")
        return scores

    probabilities, measured = evaluate_model(score, images, labels)
    target = results_dir(rec.model_dir)  # never the model's own (maybe shipped) directory
    target.mkdir(parents=True, exist_ok=True)
    write_results(target, labels, probabilities, extra=measured,
                  model_file=rec.model_dir / MODEL_FILE)
    cached_predictions.clear()
    bar.empty()
    st.rerun()


def load_results(rec: DigitRecognizer) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """The test results saved with the model, else those the app computed for it."""
    model_file = rec.model_dir / MODEL_FILE
    problem = None
    for results in (rec.model_dir, results_dir(rec.model_dir)):
        try:
            return cached_predictions(str(results), str(model_file),
                                      model_file.stat().st_mtime)
        except StalePredictionsError as e:
            problem = problem or e
    if not is_teacher():  # the reason names server paths; the work is the teacher's
        st.warning("This model's test results have not been computed yet: the teacher "
                   "can compute them on this page.", icon=":material/warning:")
        return None
    st.warning(f"The saved test results cannot be used: {problem}. They can be computed "
               "now (about a minute).", icon=":material/warning:")
    if st.button("Compute the test results", key="compute", type="primary"):
        compute_predictions(rec)
    return None


def _select_cell() -> None:
    """Chart click -> the true/predicted selectboxes below it."""
    event = st.session_state.get("cm_chart")
    points = (event or {}).get("selection", {}).get("cell", [])
    if points:
        st.session_state.cm_true = int(points[0]["true"])
        st.session_state.cm_pred = int(points[0]["predicted"])


def show_confusion(confusion: np.ndarray) -> None:
    normalize = st.toggle("Normalize per true digit", key="cm_normalize")
    st.caption("Click a cell to see its test images. The diagonal (right answers) is grey "
               "so the errors stand out.")
    st.vega_lite_chart(spec=confusion_chart(confusion, normalize), key="cm_chart",
                       on_select=_select_cell, selection_mode="cell", width="stretch")
    st.download_button(
        "Download as PNG",
        data=confusion_png(confusion, normalize),
        file_name="confusion_matrix.png", mime="image/png", icon=":material/download:",
    )


def thumbnail(index: int, labels: np.ndarray, probabilities: np.ndarray,
              images: np.ndarray | TestImages) -> str:
    """One test image captioned with its number, true digit and top two predictions."""
    first, second = np.argsort(probabilities[index])[::-1][:2]
    return figure_html(images[index], f"#{index} true {labels[index]}<br>"
                       f"{first} {probabilities[index][first]:.0%} · "
                       f"{second} {probabilities[index][second]:.0%}", THUMBNAIL_SIZE)


def show_gallery(indices: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                 images: TestImages) -> None:
    if len(indices) == 0:
        st.write("No test images here.")
        return
    if images.problem:
        st.info(f"{images.problem}. Only their numbers can be listed: "
                f"{', '.join(map(str, indices[:GALLERY_MAX]))}", icon=":material/info:")
        return
    shown = images.held(indices[:GALLERY_MAX])
    if len(shown):
        show_image_grid([thumbnail(i, labels, probabilities, images) for i in shown])
    if len(indices) > len(shown):
        offline = "" if images.mnist is not None else (
            f" Without the MNIST files here, the images come from the model's gallery, "
            f"which holds every misread image and the first {PER_CELL} of each cell.")
        st.caption(f"Showing {len(shown)} of {len(indices)}.{offline}")


def show_cell(labels: np.ndarray, probabilities: np.ndarray, images: TestImages) -> None:
    state = st.session_state
    state.setdefault("cm_true", 4)
    state.setdefault("cm_pred", 9)
    a, b = st.columns(2)
    true_digit = a.selectbox("True digit", DIGITS, key="cm_true")
    pred_digit = b.selectbox("Predicted as", DIGITS, key="cm_pred")
    indices = cell_order(labels, probabilities, true_digit, pred_digit)  # most confident first
    st.markdown(f"**{len(indices)}** test images of a **{true_digit}** predicted as "
                f"**{pred_digit}**")
    show_gallery(indices, labels, probabilities, images)


def show_errors(confusion: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                images: TestImages) -> None:
    pairs = most_confused_pairs(confusion)
    st.table(pd.DataFrame(pairs, columns=["true", "predicted as", "count"]).set_index("true"),
             width="content")
    st.markdown("**Most confident wrong predictions**")
    show_gallery(confident_mistakes(labels, probabilities, 16), labels, probabilities, images)
    st.markdown("**Least confident right predictions**")
    show_gallery(hesitant_successes(labels, probabilities, HESITANT), labels, probabilities,
                 images)


def evaluation_page() -> None:
    use_stylesheet()
    rec = recognizer_or_stop()
    st.title("How good is the model?")
    results = load_results(rec)
    if results is None:
        show_model_card(rec, rec.metadata(METRICS_FILE))
        return
    labels, probabilities, saved = results
    metrics = cached_metrics(labels, probabilities)
    confusion = np.array(metrics["confusion_matrix"])
    show_headline(metrics)
    show_model_card(rec, saved)
    images = test_images(rec, labels)
    st.header("Per digit")
    show_per_class(metrics)
    st.header("Confusion matrix")
    show_confusion(confusion)
    show_cell(labels, probabilities, images)
    st.header("Where it errs")
    show_errors(confusion, labels, probabilities, images)
    st.header("Writing styles and drawings that are not digits")
    show_styles(rec, saved, *images.examples(labels))
    st.header("Training curves")
    show_training_curves(rec)
