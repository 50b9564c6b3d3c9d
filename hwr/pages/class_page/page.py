"""The Class page: how well the model reads the class's own handwriting.

Everyone sees the running class's digits (or all of them between classes); only the
teacher can look at another class, export, or delete.
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from hwr.class_data.collection import (
    ALL_SAMPLES,
    NO_CLASS,
    Samples,
    export_idx_zip,
    export_npz,
    to_uint8,
)
from hwr.class_data.curation import LeftOut, curated_samples
from hwr.class_data.storage import StorageUnavailable
from hwr.learning.evaluate import confusion
from hwr.pages.shared.class_state import (
    class_collection,
    running_class,
    storage_failed,
)
from hwr.pages.class_page import state
from hwr.pages.class_page.model_teaching import (
    choose_earlier_model,
    show_active_model,
    shown_class,
    teach_the_model,
)
from hwr.pages.class_page.curation import curation_section
from hwr.pages.class_page.teaching_service import fine_tune_job, teaching
from hwr.pages.shared.language import _, ngettext, percent
from hwr.pages.shared.markup import (
    GALLERY_MAX,
    THUMBNAIL_SIZE,
    confusion_chart,
    figure_html,
    show_image_grid,
    use_stylesheet,
)
from hwr.pages.teach.round_panels import rounds_section
from hwr.pages.shared.student_data import student_data_section
from hwr.pages.shared.teacher_session import is_teacher, show_unavailable
from hwr.teaching.sentences import ALL_CLASSES, OUTSIDE_A_CLASS


def show_summary(samples: Samples) -> None:
    a, b, c = st.columns(3)
    a.metric(_("Digits collected"), len(samples))
    b.metric(_("Model accuracy on them"), percent(samples.accuracy, 1))
    # TRANSLATORS: how many of the collected digits the model read wrong
    c.metric(_("Misread"), int((samples.labels != samples.predicted).sum()))


def show_class_confusion(samples: Samples) -> None:
    normalize = st.toggle(_("Normalize per true digit"), key=state.NORMALIZE)
    st.vega_lite_chart(spec=confusion_chart(confusion(samples.labels, samples.predicted),
                                             normalize), width="stretch",
                       key=state.CONFUSION)


def show_misread(samples: Samples) -> None:
    wrong = np.flatnonzero(samples.labels != samples.predicted)
    if len(wrong) == 0:
        st.success(_("The model read every collected digit right."))
        return
    show_image_grid([
        figure_html(to_uint8(samples.images[i]), html.escape(
            _("a {digit} read as {predicted} ({confidence})").format(
                digit=samples.labels[i], predicted=samples.predicted[i],
                confidence=percent(samples.probabilities[i].max())), quote=False),
            THUMBNAIL_SIZE)
        for i in wrong[::-1][:GALLERY_MAX]  # newest first
    ])


def show_export(samples: Samples) -> None:
    st.markdown(_("The same fine-tune as the button above, from a command line: "
                  "{command}").format(
        command="`python scripts/train.py --init-from hwr/models/default --extra-data "
                "class_digits.npz --out runs/class`"))
    a, b = st.columns(2)
    a.download_button(_("Download .npz"), export_npz(samples), file_name="class_digits.npz",
                      mime="application/octet-stream", icon=":material/download:")
    b.download_button(_("Download IDX files (zip)"), export_idx_zip(samples),
                      file_name="class_digits.zip", mime="application/zip",
                      icon=":material/download:")


def delete_all(count: int, class_id: int | None, what: str) -> None:
    sure = st.checkbox(ngettext("Yes, delete {name}'s {count} collected digit for good",
                                "Yes, delete {name}'s {count} collected digits for good",
                                count).format(name=shown_class(what), count=count),
                       key=state.CONFIRM_DELETE)
    if st.button(_("Delete them"), key=state.DELETE_ALL, type="primary", disabled=not sure,
                 icon=":material/delete_forever:"):
        deleted = class_collection().delete_all(class_id)
        st.session_state.pop(state.CONFIRM_DELETE, None)
        st.toast(ngettext("Deleted {count} digit", "Deleted {count} digits",
                          deleted).format(count=deleted))
        st.rerun()


def choose_class() -> tuple[int | None, str]:
    """Which digits to show: the teacher may pick any class; everyone else sees the
    running class's, or all of them between classes. The name stays in English for
    "all classes" and "collected outside a class" (a fine-tune stores it); shown_class
    translates it where shown."""
    lesson = running_class()
    if not is_teacher():
        return (lesson.id, lesson.name) if lesson else (ALL_SAMPLES, ALL_CLASSES)
    options = [(c.id, c.name) for c in class_collection().classes()]
    options += [(NO_CLASS, OUTSIDE_A_CLASS), (ALL_SAMPLES, ALL_CLASSES)]
    default = next((i for i, (cid, _name) in enumerate(options)
                    if lesson is not None and cid == lesson.id), len(options) - 1)
    return st.selectbox(_("Digits of"), options, index=default,
                        format_func=lambda o: shown_class(o[1]), key=state.CLASS_CHOICE)


def class_page() -> None:
    use_stylesheet()
    st.title(_("Our class's digits"))
    try:
        class_digits()
    except StorageUnavailable as e:
        storage_failed(e)
        show_unavailable(e)


def class_digits() -> None:
    class_id, what = choose_class()
    rounds_section(class_id)  # the class's rounds, and their CSV (hwr.pages.teach.round_panels)
    student_data_section(class_id)  # teacher only: when its data goes; one student's
    samples, left_out = curated_samples(class_collection(), class_id)  # as teaching uses them
    if len(samples) == 0:
        st.info(_("No digits collected yet: on the Draw page, confirm or correct a "
                  "prediction to add the drawing here."), icon=":material/school:")
        if is_teacher():
            curation_section(class_id)  # drawings all left out: to take them back
            st.header(_("Teach the model our handwriting"))
            show_active_model()
            choose_earlier_model()
        return
    show_summary(samples)
    st.header(_("Confusion matrix"))
    show_class_confusion(samples)
    st.header(_("Misread digits"))
    show_misread(samples)
    if not is_teacher():
        return
    job = fine_tune_job()
    curation_section(class_id, running=(job is not None and job.running) or
                     teaching().running_elsewhere() is not None,
                     running_left_out=LeftOut.from_report(job.selection) if job else None)
    teach_the_model(class_id, what, samples, left_out)
    # TRANSLATORS: a heading: downloading the class's digits as files
    st.header(_("Export"))
    show_export(samples)
    with st.expander(_("Delete these digits")):
        delete_all(len(samples), class_id, what)
    st.caption(_("Stored in {where} (only the teacher sees this).").format(
        where=class_collection().where))
