"""The Class page's "Teach the model our handwriting": which model answers, the
fine-tune's start, its progress (on this server or another), the before/after
comparison of a new model and choosing which model answers."""

from __future__ import annotations

import numpy as np
import streamlit as st

from hwr.class_data.collection import (
    ALL_SAMPLES,
    Samples,
)
from hwr.class_data.model_store import ModelVersion
from hwr.learning.config import FineTuneConfig
from hwr.learning.finetune import load_pictures
from hwr.pages.class_state import (
    class_collection,
)
from hwr.pages.fine_tune_jobs import (
    FineTuneJob,
    dismiss_fine_tune,
    failed_elsewhere,
    fine_tune_job,
    forget_failed_elsewhere,
    other_fine_tune,
    start_fine_tune,
)
from hwr.pages.markup import (
    GALLERY_MAX,
    THUMBNAIL_SIZE,
    figure_html,
    show_image_grid,
)
from hwr.pages.model_loading import (
    activate_model,
    answering_model,
    model_store,
    restore_original_model,
)
from hwr.class_data.curation import LeftOut, changes_since
from hwr.pages.curation import held_out_cells

FINE_TUNE = FineTuneConfig()  # the button's settings: scripts/train.py's defaults


def show_active_model() -> None:
    """Which model answers every student now, and the one click back to the original."""
    _, version, note = answering_model()
    if note:
        st.warning(note, icon=":material/warning:")
    st.markdown(f"Answering every student now: **{version.label}**.")
    if not version.is_original and st.button("Back to the original model",
                                              key="restore_original",
                                              icon=":material/undo:"):
        restore_original_model()
        st.toast("The original model answers again.")
        st.rerun()


def start_teaching(class_id: int | None, what: str, samples: Samples,
                   left_out: LeftOut | None = None) -> None:
    if left_out is not None and left_out.count:
        st.caption(f"Teaching uses {left_out.sentence()}.")
    different = len(np.unique(samples.labels))
    if len(samples) < FINE_TUNE.min_digits or different < FINE_TUNE.min_different:
        st.info(f"To learn the class's handwriting the model needs at least "
                f"{FINE_TUNE.min_digits} digits, of at least {FINE_TUNE.min_different} "
                f"different kinds (now: {len(samples)} digits, {different} kinds). Draw and "
                "save more on the Draw page.", icon=":material/school:")
        return
    st.markdown(f"The model learns from {what}'s {len(samples)} digits in about half a "
                "minute, keeping a quarter of them aside to check itself on. Students can "
                "go on drawing meanwhile.")
    if st.button("Teach the model our handwriting", key="teach_model", type="primary",
                 icon=":material/model_training:"):
        start_fine_tune(class_id, what)
        st.rerun()


@st.fragment(run_every=1.0)
def show_progress() -> None:
    """The running fine-tune's progress bar; the page reruns once it is done."""
    job = fine_tune_job()
    if job is None or not job.running:
        st.rerun()
    progress = job.progress
    left = progress.seconds_left
    text = {"preparing": "Getting the digits ready...",
            "measuring": "Checking the new model...",
            "saving": "Saving the new model..."}.get(
        progress.stage, f"Learning: pass {progress.epoch} of {progress.epochs}" +
        (f", about {left:.0f} s left" if left is not None else ""))
    st.progress(progress.fraction, text=text)
    if st.button("Cancel", key="cancel_teach", icon=":material/cancel:"):
        job.cancel()


@st.fragment(run_every=1.0)
def show_other_progress() -> None:
    """A fine-tune that another app server runs on this class (its lock in the
    database, with its progress): a second press anywhere shows it, starts nothing."""
    other = other_fine_tune()
    if other is None:
        st.rerun()
    info = other.info
    epoch, epochs = info.get("epoch") or 0, info.get("epochs") or 0
    text = f"The model is learning {info.get('class_name') or 'a class'}'s handwriting"
    text += f" on another server: pass {epoch} of {epochs}" if epochs else \
        " on another server: getting ready..."
    if info.get("seconds_left") is not None:
        text += f", about {info['seconds_left']:.0f} s left"
    st.progress(float(info.get("fraction") or 0.0), text=text)
    st.caption("The new model appears under Earlier class models when it is done.")


def show_failed_elsewhere() -> None:
    """A fine-tune whose server died mid-run: the teacher learns it stopped."""
    failed = failed_elsewhere()
    if failed is None:
        return
    st.warning(f"The fine-tune of {failed.info.get('class_name') or 'a class'}'s digits "
               f"stopped: {failed.reason}. Nothing was saved, and the model answering is "
               "the same as before.", icon=":material/warning:")
    if st.button("OK", key="dismiss_failed_teach"):
        forget_failed_elsewhere()
        st.rerun()


def percent(value: float) -> str:
    return f"{value:.1%}"


def show_before_after(version: ModelVersion) -> None:
    """Accuracy before and after, per digit, and the digits it now reads right."""
    held, mnist = version.report["held_out"], version.report["mnist"]
    a, b = st.columns(2)
    a.metric(f"Our held-out digits ({held['count']}, never learned from)",
             percent(held["after"]), f"{(held['after'] - held['before']) * 100:+.1f} points")
    b.metric("MNIST test digits (10,000)", percent(mnist["after"]),
             f"{(mnist['after'] - mnist['before']) * 100:+.2f} points")
    st.caption(f"Learned from {version.report['trained_on']} of the class's "
               f"{version.class_digits} digits; the others, chosen "
               f"{version.report['split']}, only check it.")
    left_out = LeftOut.from_report(version.report)
    if left_out is not None:
        st.caption(f"It used {left_out.sentence()}, as they were when it started "
                   f"({left_out.as_of[11:19]} UTC).")
    st.dataframe({
        "digit": list(range(10)),
        "ours before": [held["per_digit_before"].get(str(d)) for d in range(10)],
        "ours after": [held["per_digit_after"].get(str(d)) for d in range(10)],
        "MNIST before": [mnist["per_digit_before"].get(str(d)) for d in range(10)],
        "MNIST after": [mnist["per_digit_after"].get(str(d)) for d in range(10)],
    }, hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="percent")
        for c in ("ours before", "ours after", "MNIST before", "MNIST after")})
    pictures = load_pictures(version.path)
    if pictures is not None:
        fixed = np.flatnonzero((pictures["before"] != pictures["labels"]) &
                               (pictures["after"] == pictures["labels"]))
        if len(fixed):
            st.markdown("**Misread before, read right now:**")
            show_image_grid([figure_html(pictures["images"][i],
                                         f"a {pictures['labels'][i]}: was "
                                         f"{pictures['before'][i]}, now {pictures['after'][i]}",
                                         THUMBNAIL_SIZE) for i in fixed[:GALLERY_MAX]])
    held_out_cells(pictures, ALL_SAMPLES)  # the label check's cell view (teacher only)


def choose_new_model(version: ModelVersion) -> None:
    mnist = version.report["mnist"]
    drop = mnist["before"] - mnist["after"]
    risky = drop > FINE_TUNE.max_mnist_drop
    if risky:
        st.warning(f"This model reads the MNIST test digits {drop * 100:.2f} points worse "
                   "than the one it started from: it may read other handwriting worse.",
                   icon=":material/warning:")
    sure = st.checkbox("Use it anyway", key="risky_ok") if risky else True
    use, keep = st.columns(2)
    if use.button("Use this model for everyone", key="use_model", type="primary",
                  disabled=not sure, icon=":material/check:"):
        refused = activate_model(version.id)
        if refused:
            st.error(refused)
            return
        dismiss_fine_tune()
        st.toast("Every student's next drawing is read by the class's model.")
        st.rerun()
    if keep.button("Keep the old one", key="keep_model", icon=":material/close:"):
        dismiss_fine_tune()
        st.rerun()


def show_finished(job: FineTuneJob) -> None:
    if job.version is None:
        (st.info if job.cancelled else st.error)(job.error or "The fine-tune stopped.",
                                                 icon=":material/info:")
        if st.button("OK", key="dismiss_teach"):
            dismiss_fine_tune()
            st.rerun()
        return
    st.success(f"Done in {job.seconds:.0f} s: the model has learned "
               f"{job.version.class_name}'s handwriting.", icon=":material/check_circle:")
    left_out = LeftOut.from_report(job.selection)
    since = changes_since(class_collection(), left_out.last_change) if left_out else 0
    if since:
        st.info(f"{since} drawings' labels changed while it ran: this model learned them "
                "as they were when it started. Teach it again to use the changes.",
                icon=":material/info:")
    show_before_after(job.version)
    choose_new_model(job.version)


def choose_earlier_model() -> None:
    """Any model a class taught before (on any server) can answer again."""
    _, active, _ = answering_model()
    versions = [v for v in model_store().versions() if v.id != active.id]
    if not versions:
        return
    with st.expander(f"Earlier class models ({len(versions)})"):
        chosen = st.selectbox(
            "Model", versions, key="earlier_model",
            format_func=lambda v: f"{v.class_name or 'a class'}: {v.label}, "
                                  f"{v.created[:10]}")
        if st.button("Use this model", key="use_earlier", icon=":material/history:"):
            refused = activate_model(chosen.id)
            if refused:
                st.error(refused)
                return
            st.toast("Every student's next drawing is read by that model.")
            st.rerun()


def teach_the_model(class_id: int | None, what: str, samples: Samples,
                    left_out: LeftOut | None = None) -> None:
    st.header("Teach the model our handwriting")
    show_active_model()
    choose_earlier_model()
    job = fine_tune_job()
    if job is None and other_fine_tune() is not None:
        show_other_progress()
    elif job is None:
        show_failed_elsewhere()
        start_teaching(class_id, what, samples, left_out)
    elif job.running:
        show_progress()
    else:
        show_finished(job)
