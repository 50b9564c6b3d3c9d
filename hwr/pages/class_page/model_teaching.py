"""The Class page's "Teach the model our handwriting": which model answers, the
fine-tune's start, its progress (on this server or another), and choosing which model
answers. The fine-tune itself is the teaching service's (``hwr.teaching``: this page
shows its state, and says its sentences in the page's language); what a finished
fine-tune reports (its before/after comparison, the drawings it used) is in
``teaching_report.py``."""

from __future__ import annotations

import streamlit as st

from hwr.class_data.collection import Samples
from hwr.class_data.model_store import ModelVersion
from hwr.pages.class_page import state
from hwr.pages.class_page.teaching_service import (
    fine_tune_job,
    say,
    start_fine_tune,
    teaching,
)
from hwr.pages.shared.class_state import (
    class_collection,
)
from hwr.teaching.jobs import FineTuneJob
from hwr.teaching.service import BUTTON_CONFIG
from hwr.teaching.sentences import class_name
from hwr.pages.shared.language import N_, _, ngettext, number
from hwr.pages.shared.model_loading import (
    activate_model,
    answering_model,
    model_store,
    restore_original_model,
)
from hwr.class_data.curation import LeftOut, changes_since
from hwr.pages.class_page.teaching_report import (
    learned_from,
    left_out_sentence,
    moment,
    show_before_after,
)

# A running fine-tune's stages (hwr.learning's Progress.stage), in the page's language.
STAGES = {"preparing": N_("Getting the digits ready..."),
          "measuring": N_("Checking the new model..."),
          "saving": N_("Saving the new model...")}


def shown_class(name: str | None) -> str:
    """A class's name as the page shows it (hwr.teaching.sentences.class_name): the
    teacher's own words as typed, "all classes" and "collected outside a class" in the
    page's language, "a class" if none."""
    return say(class_name(name))


def model_label(version: ModelVersion) -> str:
    """Which model answers, in a student's words (ModelVersion.label, translated)."""
    if version.is_original:
        return _("the original model (trained on MNIST)")
    n, when = learned_from(version), moment(version.created)
    if not when:
        return ngettext("our class's model, learned from {count} of our digits",
                        "our class's model, learned from {count} of our digits",
                        n).format(count=n)
    return ngettext("our class's model, learned from {count} of our digits, {when}",
                    "our class's model, learned from {count} of our digits, {when}",
                    n).format(count=n, when=when)


def seconds_left(text: str, seconds: float | None) -> str:
    """A progress text, with the seconds left when known."""
    if seconds is None:
        return text
    return _("{progress}, about {seconds} s left").format(progress=text,
                                                           seconds=number(seconds))


def show_active_model() -> None:
    """Which model answers every student now, and the one click back to the original."""
    _loader, version, note = answering_model()
    if note:
        st.warning(note, icon=":material/warning:")
    st.markdown(_("Answering every student now: **{model}**.").format(
        model=model_label(version)))
    if not version.is_original and st.button(_("Back to the original model"),
                                              key=state.RESTORE_ORIGINAL,
                                              icon=":material/undo:"):
        restore_original_model()
        st.toast(_("The original model answers again."))
        st.rerun()


def start_teaching(class_id: int | None, what: str, samples: Samples,
                   left_out: LeftOut | None = None) -> None:
    if left_out is not None and left_out.count:
        st.caption(_("Teaching uses {drawings}.").format(drawings=left_out_sentence(left_out)))
    refused = teaching().not_ready(samples.labels)
    if refused is not None:
        st.info(say(refused), icon=":material/school:")
        return
    count = len(samples)
    st.markdown(ngettext("The model learns from {name}'s {count} digit in about half a "
                         "minute, keeping a quarter of them aside to check itself on. "
                         "Students can go on drawing meanwhile.",
                         "The model learns from {name}'s {count} digits in about half a "
                         "minute, keeping a quarter of them aside to check itself on. "
                         "Students can go on drawing meanwhile.",
                         count).format(name=shown_class(what), count=count))
    if st.button(_("Teach the model our handwriting"), key=state.TEACH, type="primary",
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
    if progress.stage in STAGES:
        text = _(STAGES[progress.stage])
    else:
        text = seconds_left(_("Learning: pass {epoch} of {epochs}").format(
            epoch=progress.epoch, epochs=progress.epochs), progress.seconds_left)
    st.progress(progress.fraction, text=text)
    # TRANSLATORS: a button that stops the running fine-tune
    if st.button(_("Cancel"), key=state.CANCEL_TEACH, icon=":material/cancel:"):
        job.cancel()


@st.fragment(run_every=1.0)
def show_other_progress() -> None:
    """A fine-tune that another app server runs on this class (its lock in the
    database, with its progress): a second press anywhere shows it, starts nothing."""
    other = teaching().running_elsewhere()
    if other is None:
        st.rerun()
    info = other.info
    epoch, epochs = info.get("epoch") or 0, info.get("epochs") or 0
    name = shown_class(info.get("class_name"))
    if epochs:
        text = _("The model is learning {name}'s handwriting on another server: pass "
                 "{epoch} of {epochs}").format(name=name, epoch=epoch, epochs=epochs)
    else:
        text = _("The model is learning {name}'s handwriting on another server: getting "
                 "ready...").format(name=name)
    text = seconds_left(text, info.get("seconds_left"))
    st.progress(float(info.get("fraction") or 0.0), text=text)
    st.caption(_("The new model appears under Earlier class models when it is done."))


def show_failed_elsewhere() -> None:
    """A fine-tune whose server died mid-run: the teacher learns it stopped."""
    service = teaching()
    stopped = service.stopped_elsewhere()
    if stopped is None:
        return
    st.warning(say(stopped), icon=":material/warning:")
    if st.button(_("OK"), key=state.DISMISS_FAILED):
        service.forget_stopped_elsewhere()
        st.rerun()


def choose_new_model(version: ModelVersion) -> None:
    mnist = version.report["mnist"]
    drop = mnist["before"] - mnist["after"]
    risky = drop > BUTTON_CONFIG.finetune.max_mnist_drop
    if risky and mnist.get("on", "test") == "test":
        st.warning(_("This model reads the MNIST test digits {points} points worse than the "
                     "one it started from: it may read other handwriting worse.").format(
                         points=number(drop * 100, 2)),
                   icon=":material/warning:")
    elif risky:  # measured on the replay file's check digits
        st.warning(_("This model reads MNIST digits it never learned from {points} points "
                     "worse than the one it started from: it may read other handwriting "
                     "worse.").format(points=number(drop * 100, 2)),
                   icon=":material/warning:")
    sure = st.checkbox(_("Use it anyway"), key=state.RISKY_OK) if risky else True
    use, keep = st.columns(2)
    if use.button(_("Use this model for everyone"), key=state.USE_MODEL, type="primary",
                  disabled=not sure, icon=":material/check:"):
        refused = activate_model(version.id)
        if refused:
            st.error(refused)
            return
        teaching().dismiss()
        st.toast(_("Every student's next drawing is read by the class's model."))
        st.rerun()
    if keep.button(_("Keep the old one"), key=state.KEEP_MODEL, icon=":material/close:"):
        teaching().dismiss()
        st.rerun()


def show_finished(job: FineTuneJob) -> None:
    if job.version is None:
        said = say(job.message) if job.message is not None else ""
        (st.info if job.cancelled else st.error)(said or _("The fine-tune stopped."),
                                                 icon=":material/info:")
        if st.button(_("OK"), key=state.DISMISS_TEACH):
            teaching().dismiss()
            st.rerun()
        return
    st.success(_("Done in {seconds} s: the model has learned {name}'s handwriting.").format(
        seconds=number(job.seconds), name=shown_class(job.version.class_name)),
        icon=":material/check_circle:")
    left_out = LeftOut.from_report(job.selection)
    since = changes_since(class_collection(), left_out.last_change) if left_out else 0
    if since:
        st.info(ngettext("{count} drawing's label changed while it ran: this model learned "
                         "it as it was when it started. Teach it again to use the change.",
                         "{count} drawings' labels changed while it ran: this model learned "
                         "them as they were when it started. Teach it again to use the "
                         "changes.", since).format(count=since),
                icon=":material/info:")
    show_before_after(job.version)
    choose_new_model(job.version)


def choose_earlier_model() -> None:
    """Any model a class taught before (on any server) can answer again."""
    _loader, active, _note = answering_model()
    versions = [v for v in model_store().versions() if v.id != active.id]
    if not versions:
        return
    with st.expander(_("Earlier class models ({count})").format(count=len(versions))):
        chosen = st.selectbox(
            _("Model"), versions, key=state.EARLIER_MODEL,
            # TRANSLATORS: an earlier model in a list: the class that taught it, then the
            # model in a student's words (how many digits, when)
            format_func=lambda v: _("{name}: {model}").format(name=shown_class(v.class_name),
                                                              model=model_label(v)))
        if st.button(_("Use this model"), key=state.USE_EARLIER, icon=":material/history:"):
            refused = activate_model(chosen.id)
            if refused:
                st.error(refused)
                return
            st.toast(_("Every student's next drawing is read by that model."))
            st.rerun()


def teach_the_model(class_id: int | None, what: str, samples: Samples,
                    left_out: LeftOut | None = None) -> None:
    st.header(_("Teach the model our handwriting"))
    show_active_model()
    choose_earlier_model()
    job = fine_tune_job()
    if job is None and teaching().running_elsewhere() is not None:
        show_other_progress()
    elif job is None:
        show_failed_elsewhere()
        start_teaching(class_id, what, samples, left_out)
    elif job.running:
        show_progress()
    else:
        show_finished(job)
