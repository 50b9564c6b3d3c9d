"""Inside the network: the Draw page's optional look at what the model saw (Grad-CAM,
saliency and each layer's feature maps).

Apart from hwr.pages.draw.page because it is its own concern, shown only on demand behind
a toggle, and its TensorFlow work (hwr.reading.explain) is imported only when the
toggle is on; the drawing area calls show_inside last, after the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from hwr.pages.shared.language import _, ngettext
from hwr.pages.draw.state import INSIDE, LAST_INSIDE
from hwr.reading.recognizer import DigitRecognizer, Recognition
from hwr.sizes import IMAGE_SIZE

if TYPE_CHECKING:
    from hwr.reading.explain import Words


MAPS_KEY = "hwr-inside-maps"  # the feature maps' container: .st-key-hwr-inside-maps


def inside_toggle() -> bool:
    """The "Inside the network" switch."""
    return st.toggle(_("Inside the network"), key=INSIDE,
                     help=_("What each layer saw, and which pixels drove the answer"))


def show_inside(rec: DigitRecognizer, result: Recognition, fresh: bool = True) -> None:
    """Activations and Grad-CAM, computed only while the toggle is on. ``fresh``
    False (a live answer outside presentation mode): the last explanation is shown
    again rather than computed for the drawing under way."""
    if not inside_toggle():
        return
    # TensorFlow work: only on demand
    from hwr.reading.explain import explain, overlay

    last = st.session_state.get(LAST_INSIDE)
    if last is not None and (last[0] == result.model_input.tobytes() or not fresh):
        explanation, model_input = last[1], last[2]
    else:
        explanation, model_input = explain(rec.model, result.model_input), result.model_input
        st.session_state[LAST_INSIDE] = (model_input.tobytes(), explanation, model_input)
    a, b = st.columns(2)
    a.image(overlay(model_input, explanation.grad_cam),
            caption=_("Grad-CAM: where the evidence for {digit} lies").format(
                digit=explanation.target),
            alt=_("Grad-CAM heat map over the drawing, for the answer {digit}").format(
                digit=explanation.target))
    b.image(overlay(model_input, explanation.saliency),
            caption=_("Saliency: pixels that change the answer most"),
            alt=_("Saliency map over the drawing"))
    show_maps(explanation.activations)


def show_maps_at_rest(rec: DigitRecognizer) -> None:
    """Presentation mode, "Inside the network" open, nothing drawn: the maps of an empty
    drawing, for the first stroke's live pictures to take the place of."""
    from hwr.reading.explain import feature_maps

    show_maps(feature_maps(rec.model, np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)))


def show_maps(activations: list[tuple[Words, np.ndarray]]) -> None:
    """Each layer's feature maps with what the layer does. In presentation mode the
    canvas puts the answer channel's pictures of the drawing under way in these images
    while a stroke is drawn (canvas.js, ``showMaps``)."""
    from hwr.reading.explain import maps_picture

    with st.container(key=MAPS_KEY):
        for n, (words, maps) in enumerate(activations, start=1):
            st.image(maps_picture(maps),
                     caption=feature_maps_caption(layer_words(words), maps.shape),
                     alt=_("The feature maps of layer {layer}").format(layer=n))


def layer_words(words: Words) -> str:
    """What a layer does (``explain.describe``), in the page's language."""
    return _(words.template).format(**words.values)


def feature_maps_caption(layer: str, shape: tuple[int, ...]) -> str:
    """What a layer does and its maps: "Layer 1: 32 small pattern detectors, [...]
    (32 maps of 26x26)"."""
    height, width, count = shape[0], shape[1], shape[2]
    if count > 32:
        # TRANSLATORS: {layer} is what the layer does, a sentence ("Layer 1: 32 small
        # pattern detectors, [...]")
        text = ngettext("{layer} ({count} map of {height}x{width}, the first 32 shown)",
                        "{layer} ({count} maps of {height}x{width}, the first 32 shown)",
                        count)
    else:
        # TRANSLATORS: {layer} is what the layer does, a sentence ("Layer 1: 32 small
        # pattern detectors, [...]")
        text = ngettext("{layer} ({count} map of {height}x{width})",
                        "{layer} ({count} maps of {height}x{width})", count)
    return text.format(layer=layer, count=count, height=height, width=width)
