"""The Class page: how well the model reads the class's own handwriting."""

from __future__ import annotations

import numpy as np
import streamlit as st

from hwr.collection import Samples, export_idx_zip, export_npz, to_uint8
from hwr.pages.common import class_collection, figure_html, show_image_grid
from hwr.pages.evaluation import GALLERY_MAX, THUMBNAIL_SIZE, confusion_chart


def show_summary(samples: Samples) -> None:
    a, b, c = st.columns(3)
    a.metric("Digits collected", len(samples))
    b.metric("Model accuracy on them", f"{samples.accuracy:.1%}")
    c.metric("Misread", int((samples.labels != samples.predicted).sum()))


def show_class_confusion(samples: Samples) -> None:
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (samples.labels, samples.predicted), 1)
    normalize = st.toggle("Normalize per true digit", key="class_normalize")
    st.vega_lite_chart(spec=confusion_chart(confusion, normalize), width="stretch",
                       key="class_cm")


def show_misread(samples: Samples) -> None:
    wrong = np.flatnonzero(samples.labels != samples.predicted)
    if len(wrong) == 0:
        st.success("The model read every collected digit right.")
        return
    show_image_grid([
        figure_html(to_uint8(samples.images[i]),
                    f"a {samples.labels[i]} read as {samples.predicted[i]} "
                    f"({samples.probabilities[i].max():.0%})", THUMBNAIL_SIZE)
        for i in wrong[::-1][:GALLERY_MAX]  # newest first
    ], THUMBNAIL_SIZE)


def show_export(samples: Samples) -> None:
    st.markdown("Fine-tune on these digits: `python scripts/train.py --init-from "
                "hwr/models/default --extra-data class_digits.npz --epochs 3 "
                "--learning-rate 2e-4 --out runs/class`")
    a, b = st.columns(2)
    a.download_button("Download .npz", export_npz(samples), file_name="class_digits.npz",
                      mime="application/octet-stream", icon=":material/download:")
    b.download_button("Download IDX files (zip)", export_idx_zip(samples),
                      file_name="class_digits.zip", mime="application/zip",
                      icon=":material/download:")


def delete_all(count: int) -> None:
    sure = st.checkbox(f"Yes, delete all {count} collected digits for good",
                       key="confirm_delete")
    if st.button("Delete all", key="delete_all", type="primary", disabled=not sure,
                 icon=":material/delete_forever:"):
        deleted = class_collection().delete_all()
        st.session_state.pop("confirm_delete", None)
        st.toast(f"Deleted {deleted} digits")
        st.rerun()


def class_page() -> None:
    st.title("Our class's digits")
    collection = class_collection()
    samples = collection.samples()
    if len(samples) == 0:
        st.info("No digits collected yet: on the Draw page, confirm or correct a prediction "
                "to add the drawing here.", icon=":material/school:")
        st.caption(f"Stored in {collection.path}")
        return
    show_summary(samples)
    st.header("Confusion matrix")
    show_class_confusion(samples)
    st.header("Misread digits")
    show_misread(samples)
    st.header("Export")
    show_export(samples)
    with st.expander("Delete the collection"):
        delete_all(len(samples))
    st.caption(f"Stored in {collection.path}")
