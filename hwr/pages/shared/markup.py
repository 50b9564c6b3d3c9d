"""HTML the pages build: the stylesheet, enlarged pixel images, captioned figures, image
grids, and the confusion matrix's chart spec.

The HTML carries classes only (no style attributes): its look is in ``style.css``."""

from __future__ import annotations

import base64
import html
import json
import re
from functools import cache
from pathlib import Path

import numpy as np
import streamlit as st

from hwr.class_data.collection import png_bytes
from hwr.pages.shared.language import _, current, percent

GALLERY_MAX = 48  # images in one gallery
THUMBNAIL_SIZE = 84  # 3x the 28x28 image (style.css's --hwr-thumb)
STYLESHEET = Path(__file__).with_name("style.css")
STYLESHEET_MARK = "hwr-stylesheet"  # the element that carries it (style.css hides it)
SCROLL_MARK = "hwr-scroll"  # the element of bring_into_view (style.css hides it)


@cache
def stylesheet() -> str:
    """style.css as one <style> element beside an empty marker, read once per server
    process. The marker makes it more than style-only HTML (see use_stylesheet)."""
    return (f'<style>{STYLESHEET.read_text(encoding="utf-8")}</style>'
            f'<span class="{STYLESHEET_MARK}" hidden></span>')


def use_stylesheet() -> None:
    """The app's stylesheet, once per page run, at the top of each page function.

    It is an element of the page itself, first in the main area, hidden by its own CSS.
    Style-only HTML would go to Streamlit's event container, where a fragment run's
    first notice (a toast after "Is it right?", a removed student) takes its place:
    Streamlit numbers that container's elements anew for each run, fragment runs too, so
    the toast replaced the stylesheet and the page lost its looks until a reload. A
    fragment run sends nothing of the main area outside its fragment, so there the
    stylesheet stays."""
    st.html(stylesheet())


_SCROLLS = "hwr_scrolls"  # how many times this session's page was brought to a part


def bring_into_view(key: str) -> None:
    """Scroll the browser to the container with ``key`` (its top at the top of the
    screen), once, from the run that calls this.

    A click on a confusion matrix's cell changes the images under it, mostly below
    the screen: without this the reader sees nothing happen. A number of its own in
    each call makes the element new, so the browser runs its script again."""
    count = st.session_state.get(_SCROLLS, 0) + 1
    st.session_state[_SCROLLS] = count
    target = json.dumps(f".st-key-{key}")
    st.html(f'<span class="{SCROLL_MARK}" data-n="{count}" hidden></span><script>'
            f'setTimeout(() => document.querySelector({target})?.scrollIntoView('
            f'{{block: "start"}}), 50);</script>', unsafe_allow_javascript=True)


def pixel_image_html(image: np.ndarray, size: int, alt: str) -> str:
    """A small uint8 image as an inline <img>, enlarged to ``size`` px with sharp pixels
    (class ``hwr-pixels``; its size as attributes, which a gallery's CSS may set anew).

    Inline PNG data costs the browser no media request and Streamlit no element of its
    own."""
    uri = "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
    return (f'<img class="hwr-pixels" src="{uri}" alt="{html.escape(alt)}" width="{size}" '
            f'height="{size}">')


def figure_html(image: np.ndarray, caption: str, size: int) -> str:
    """An enlarged image over a small caption (HTML allowed in the caption)."""
    return (f'<figure class="hwr-thumb">'
            f'{pixel_image_html(image, size, re.sub("<[^>]+>", " ", caption))}'
            f'<figcaption>{caption}</figcaption></figure>')


@st.cache_data
def _confusion_spec(confusion: np.ndarray, normalize: bool) -> dict:
    from hwr.learning.plots import confusion_chart as chart  # matplotlib, Altair: only when shown

    return chart(confusion, normalize)


def confusion_words() -> dict:
    """The confusion matrix's words in the page's language (a cache key of its figures)."""
    # TRANSLATORS: the confusion matrix's tooltip: the drawing's (or test image's) digit
    words = {"true": _("true")}
    # TRANSLATORS: the confusion matrix's tooltip: the digit the model answered
    words["predicted"] = _("predicted")
    # TRANSLATORS: the confusion matrix's tooltip: how many images
    words["count"] = _("count")
    # TRANSLATORS: the confusion matrix's tooltip: the cell's number (a count, or a
    # fraction of the true digit's images)
    words["value"] = _("value")
    words.update({"true digit": _("true digit"), "predicted digit": _("predicted digit"),
                  # TRANSLATORS: the colour bar of the confusion matrix's picture
                  "errors": _("errors"),
                  "counts": _("MNIST test set (counts)"),
                  "fractions": _("MNIST test set (fraction of each true digit)"),
                  "lang": current()})
    return words


def confusion_chart(confusion: np.ndarray, normalize: bool) -> dict:
    """The clickable confusion matrix's spec (hwr.learning.plots, built once per matrix)
    with its titles, tooltips and percentages in the page's language; its fields keep
    their English names (a click's selection reads them)."""
    spec, words = _confusion_spec(confusion, normalize), confusion_words()
    layers = []
    for layer in spec.get("layer", []):
        encoding = dict(layer.get("encoding", {}))
        for channel, title in (("x", words["predicted digit"]), ("y", words["true digit"])):
            if channel in encoding:
                encoding[channel] = {**encoding[channel], "title": title}
        if "tooltip" in encoding:
            encoding["tooltip"] = [
                {**tip, "title": words.get(tip.get("field"), tip.get("field"))}
                if isinstance(tip, dict) else tip for tip in encoding["tooltip"]]
        layers.append({**layer, "encoding": encoding})
    spec = {**spec, "layer": layers}
    if normalize and "datasets" in spec:  # the cells' labels: "12.3%", "12,3 %"
        spec["datasets"] = {
            name: [{**row, "label": percent(row["value"], 1)}
                   if isinstance(row, dict) and "value" in row else row for row in rows]
            for name, rows in spec["datasets"].items()}
    return spec


def show_image_grid(figures: list[str]) -> None:
    """Figures in a grid as ONE HTML element with inline PNGs: dozens of st.image
    elements (one media request each) took the Evaluation page past its 2 s budget."""
    st.html(f'<div class="hwr-gallery">{"".join(figures)}</div>')
