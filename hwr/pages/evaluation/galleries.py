"""The test images the Evaluation page's galleries show, and the galleries themselves.

Apart from the page because it is its own problem: finding the images (MNIST's own files
when they can be read, else the model's gallery file, ``hwr.learning.gallery``, else only
their numbers, with the reason) and drawing them as captioned thumbnails. The page only
chooses which test images each gallery shows.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import streamlit as st

from hwr.learning.data import load_test_set
from hwr.learning.gallery import PER_CELL, Gallery, GalleryError, read_gallery
from hwr.model_dir import GALLERY_FILE
from hwr.pages.shared.language import _, ngettext, percent
from hwr.pages.shared.markup import GALLERY_MAX, THUMBNAIL_SIZE, figure_html, show_image_grid
from hwr.reading.recognizer import DigitRecognizer


@st.cache_data(show_spinner=False)  # the caller's spinner speaks the page's language
def mnist_test_images() -> np.ndarray | None:
    try:
        return load_test_set(download=False)[0]
    except Exception:  # noqa: BLE001 - no folder, or an unreadable one: galleries degrade
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
    with st.spinner(_("Reading the MNIST test images...")):
        images = mnist_test_images()
    if images is not None:
        return TestImages(mnist=images)
    path = rec.model_dir / GALLERY_FILE
    if not path.exists():
        return TestImages(problem=_(
            "The MNIST test images are not available here (set HWR_DATA_DIR), and this "
            "model has no gallery file ({file})").format(file=path.name))
    try:
        gallery = cached_gallery(str(path), path.stat().st_mtime)
    except GalleryError as e:  # read_gallery: a read error (its cause), or a damaged file
        if e.__cause__ is not None:
            return TestImages(problem=_(
                "The MNIST test images are not available here (set HWR_DATA_DIR), and its "
                "gallery file ({file}) cannot be read: {error}").format(
                file=path.name, error=e.__cause__))
        return TestImages(problem=_(
            "The MNIST test images are not available here (set HWR_DATA_DIR), and its "
            "gallery file ({file}) is damaged: not ascending test indices with 28x28 images "
            "and their digits").format(file=path.name))
    if not np.array_equal(gallery.labels, labels[gallery.indices]):
        return TestImages(problem=_(
            "The MNIST test images are not available here (set HWR_DATA_DIR), and its "
            "gallery file ({file}) does not match the test set's digits").format(
            file=GALLERY_FILE))
    return TestImages(gallery=gallery)


def thumbnail(index: int, labels: np.ndarray, probabilities: np.ndarray,
              images: np.ndarray | TestImages) -> str:
    """One test image captioned with its number, true digit and top two predictions."""
    first, second = np.argsort(probabilities[index])[::-1][:2]
    # TRANSLATORS: a test image's caption: its number in the test set and its true digit
    name = _("#{index} true {digit}").format(index=index, digit=labels[index])
    return figure_html(images[index], f"{html.escape(name)}<br>"
                       f"{first} {percent(probabilities[index][first])} · "
                       f"{second} {percent(probabilities[index][second])}", THUMBNAIL_SIZE)


def show_gallery(indices: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                 images: TestImages) -> None:
    if len(indices) == 0:
        st.write(_("No test images here."))
        return
    if images.problem:
        st.info(_("{problem}. Only their numbers can be listed: {numbers}").format(
            problem=images.problem, numbers=", ".join(map(str, indices[:GALLERY_MAX]))),
            icon=":material/info:")
        return
    shown = images.held(indices[:GALLERY_MAX])
    if len(shown):
        show_image_grid([thumbnail(i, labels, probabilities, images) for i in shown])
    if len(indices) > len(shown):
        caption = _("Showing {shown} of {total}.").format(shown=len(shown), total=len(indices))
        if images.mnist is None:
            caption += " " + ngettext(
                "Without the MNIST files here, the images come from the model's gallery, "
                "which holds every misread image and the first {n} of each cell.",
                "Without the MNIST files here, the images come from the model's gallery, "
                "which holds every misread image and the first {n} of each cell.",
                PER_CELL).format(n=PER_CELL)
        st.caption(caption)
