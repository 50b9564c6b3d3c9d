"""HTML the pages build: enlarged pixel images, captioned figures, image grids, and the
confusion matrix's chart spec."""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import streamlit as st

from hwr.class_data.collection import png_bytes

GALLERY_MAX = 48  # images in one gallery
THUMBNAIL_SIZE = 84  # 3x the 28x28 image


def pixel_image_html(image: np.ndarray, size: int, alt: str) -> str:
    """A small uint8 image as an inline <img>, enlarged to ``size`` px with sharp pixels.

    Inline PNG data costs the browser no media request and Streamlit no element of its
    own. ``object-fit: fill`` because Streamlit's styles would otherwise draw a 28x28
    image at its natural size inside the enlarged box."""
    uri = "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
    return (f'<img src="{uri}" alt="{html.escape(alt)}" style="width:{size}px;'
            f'height:{size}px;object-fit:fill;image-rendering:pixelated">')


def figure_html(image: np.ndarray, caption: str, size: int) -> str:
    """An enlarged image over a small caption (HTML allowed in the caption)."""
    return (f'<figure class="hwr-thumb" style="margin:0;text-align:center">'
            f'{pixel_image_html(image, size, re.sub("<[^>]+>", " ", caption))}'
            f'<figcaption style="font-size:0.7rem;color:#666;line-height:1.3">{caption}'
            f'</figcaption></figure>')


@st.cache_data
def confusion_chart(confusion: np.ndarray, normalize: bool) -> dict:
    """The clickable confusion matrix's spec (hwr.learning.plots), built once per matrix."""
    from hwr.learning.plots import confusion_chart as chart  # matplotlib, Altair: only when shown

    return chart(confusion, normalize)


def show_image_grid(figures: list[str], size: int) -> None:
    """Figures in a grid as ONE HTML element with inline PNGs: dozens of st.image
    elements (one media request each) took the Evaluation page past its 2 s budget."""
    st.html(f'<div class="hwr-gallery" style="display:grid;gap:10px 6px;'
            f'grid-template-columns:repeat(auto-fill,minmax({size + 16}px,1fr))">'
            f'{"".join(figures)}</div>')
