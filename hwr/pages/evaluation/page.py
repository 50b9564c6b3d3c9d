"""The Evaluation page: how good the model really is, and where it errs.

Everything comes from the model directory (metrics, saved per-image test probabilities,
history), or from the results the app computed for the model (``results_dir``, never
written into the model's own directory), so a visit costs no predictions; only the test
images themselves are read, once per server process, for the galleries: MNIST's own
files when they can be read, else the model's gallery file (``hwr.learning.gallery``);
finding them and drawing the galleries is ``hwr.pages.evaluation.galleries``.
"""

from __future__ import annotations

import json
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
from hwr.learning.gallery import HESITANT, cell_order
from hwr.learning.plots import (
    confusion_matrix_figure,
    figure_png,
    normalize_rows,
)
from hwr.model_dir import METRICS_FILE, MODEL_FILE
from hwr.pages.evaluation.galleries import TestImages, show_gallery, test_images
from hwr.pages.evaluation.state import (
    CELL_CLICKED,
    CM_CHART,
    CM_NORMALIZE,
    CM_PRED,
    CM_TRUE,
    COMPUTE,
)
from hwr.pages.shared.language import _, ngettext, number
from hwr.pages.shared.markup import (
    bring_into_view,
    confusion_chart,
    confusion_words,
    use_stylesheet,
)
from hwr.pages.evaluation.model_card import (
    show_headline,
    show_model_card,
    show_per_class,
    show_styles,
    show_training_curves,
)
from hwr.pages.shared.model_loading import recognizer_or_stop
from hwr.pages.shared.teacher_session import is_teacher
from hwr.reading.recognizer import DigitRecognizer
from hwr.translation import percent_in

DIGITS = list(range(10))
CELL_AREA = "hwr-cm-cell"  # the chosen cell's digits and images


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
def confusion_png(confusion: np.ndarray, normalize: bool, words: dict | None = None) -> bytes:
    fig = confusion_matrix_figure(confusion, normalize)
    if words:  # the figure's words, and its percentages, in the page's language
        ax, bar = fig.axes[0], fig.axes[-1]
        ax.set_xlabel(words["predicted digit"])
        ax.set_ylabel(words["true digit"])
        ax.set_title(words["fractions" if normalize else "counts"])
        bar.set_ylabel(words["errors"])
        if normalize:
            fractions = normalize_rows(confusion)
            n = len(confusion)
            for k, text in enumerate(ax.texts[:n * n]):  # row by row, as the figure wrote
                text.set_text(percent_in(words["lang"], fractions[k // n, k % n], 1))
    return figure_png(fig)


def compute_predictions(rec: DigitRecognizer) -> None:
    """Measure the model on the test digits, the styles and non-digits, with progress."""
    try:
        images, labels = load_test_set(download=False)
    except (MnistFileError, OSError, ValueError) as e:
        st.error(_("The MNIST test set could not be read: {error}. Set HWR_DATA_DIR.")
                 .format(error=e))
        return
    bar = st.progress(0.0, text=_("Predicting the {count} test images...").format(
        count=number(10_000)))
    done = {"images": 0}
    from hwr.learning.styles import STYLES

    styled = sum(int((labels == digit).sum()) for digit, _restyle in STYLES.values())
    total = len(images) + styled + NON_DIGIT_TEST_COUNT  # digits, restyled, non-digits

    def score(batch: np.ndarray) -> np.ndarray:
        scores = rec.predict_scores(batch)
        done["images"] += len(batch)
        bar.progress(min(1.0, done["images"] / total), text=ngettext(
            "Predicted {n} image (test digits, writing styles, non-digits)",
            "Predicted {n} images (test digits, writing styles, non-digits)",
            done["images"]).format(n=number(done["images"])))
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
        st.warning(_("This model's test results have not been computed yet: the teacher "
                     "can compute them on this page."), icon=":material/warning:")
        return None
    st.warning(_("The saved test results cannot be used: {problem}. They can be computed "
                 "now (about a minute).").format(problem=problem), icon=":material/warning:")
    if st.button(_("Compute the test results"), key=COMPUTE, type="primary"):
        compute_predictions(rec)
    return None


def _select_cell() -> None:
    """Chart click -> the true/predicted selectboxes below it."""
    event = st.session_state.get(CM_CHART)
    points = (event or {}).get("selection", {}).get("cell", [])
    if points:
        st.session_state[CM_TRUE] = int(points[0]["true"])
        st.session_state[CM_PRED] = int(points[0]["predicted"])
        st.session_state[CELL_CLICKED] = True


def show_confusion(confusion: np.ndarray) -> None:
    normalize = st.toggle(_("Normalize per true digit"), key=CM_NORMALIZE)
    st.caption(_("Click a cell to see its test images. The diagonal (right answers) is grey "
                 "so the errors stand out."))
    st.vega_lite_chart(spec=confusion_chart(confusion, normalize),
                       key=CM_CHART, on_select=_select_cell, selection_mode="cell",
                       width="stretch")
    st.download_button(
        _("Download as PNG"),
        data=confusion_png(confusion, normalize, confusion_words()),
        file_name="confusion_matrix.png", mime="image/png", icon=":material/download:",
    )



def show_cell(labels: np.ndarray, probabilities: np.ndarray, images: TestImages) -> None:
    state = st.session_state
    state.setdefault(CM_TRUE, 4)
    state.setdefault(CM_PRED, 9)
    with st.container(key=CELL_AREA):
        a, b = st.columns(2)
        true_digit = a.selectbox(_("True digit"), DIGITS, key=CM_TRUE)
        pred_digit = b.selectbox(_("Predicted as"), DIGITS, key=CM_PRED)
        indices = cell_order(labels, probabilities, true_digit, pred_digit)  # most confident first
        st.markdown(ngettext(
            "**{n}** test image of the digit **{true}** predicted as **{predicted}**",
            "**{n}** test images of the digit **{true}** predicted as **{predicted}**",
            len(indices)).format(n=len(indices), true=true_digit, predicted=pred_digit))
        show_gallery(indices, labels, probabilities, images)
    if state.pop(CELL_CLICKED, False):  # a click on the chart: its images, on screen
        bring_into_view(CELL_AREA)


def show_errors(confusion: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                images: TestImages) -> None:
    pairs = most_confused_pairs(confusion)
    # TRANSLATORS: column headings: the true digit, the digit it was taken for, how often
    true, predicted, count = _("true"), _("predicted as"), _("count")
    st.table(pd.DataFrame(pairs, columns=[true, predicted, count]).set_index(true),
             width="content")
    st.markdown(_("**Most confident wrong predictions**"))
    show_gallery(confident_mistakes(labels, probabilities, 16), labels, probabilities, images)
    st.markdown(_("**Least confident right predictions**"))
    show_gallery(hesitant_successes(labels, probabilities, HESITANT), labels, probabilities,
                 images)


def evaluation_page() -> None:
    use_stylesheet()
    rec = recognizer_or_stop()
    st.title(_("How good is the model?"))
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
    st.header(_("Per digit"))
    show_per_class(metrics)
    st.header(_("Confusion matrix"))
    show_confusion(confusion)
    show_cell(labels, probabilities, images)
    st.header(_("Where it errs"))
    show_errors(confusion, labels, probabilities, images)
    st.header(_("Writing styles and drawings that are not digits"))
    show_styles(rec, saved, *images.examples(labels))
    st.header(_("Training curves"))
    show_training_curves(rec)
