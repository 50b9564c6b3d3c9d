"""The Draw page: draw (or upload) a digit and see what the network thinks it is."""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from hwr.collection import to_uint8
from hwr.pages.common import (
    class_collection,
    figure_html,
    presentation_mode,
    recognizer_or_stop,
)
from hwr.preprocess import MAX_UPLOAD_BYTES, InvalidImageError, load_upload
from hwr.recognizer import DigitRecognizer, NumberRecognition, Recognition

CANVAS_SIZE = 280
PRESENTATION_CANVAS = 440
NUMBER_CANVAS_WIDTH = 700
DEFAULT_STROKE = 18
UNSURE_CONFIDENCE = 0.6  # below this top probability the answer is flagged
UNSURE_MARGIN = 0.25  # ... and also when the runner-up is this close
ONE_DIGIT, NUMBER = "One digit", "Several digits"
CANVAS_STATE_PREFIXES = ("saved-canvas-", "initial-canvas-", "image-canvas-")
LEFT_PAGE = "draw_page_left"  # set by the app when another page runs
INVITATION = "Draw a digit in the box: the prediction appears as soon as you lift the pen."


def draw_canvas(mode: str, large: bool = False) -> np.ndarray | None:
    """The canvas; returns its RGBA image. A new key clears it (the Clear button)."""
    from streamlit_drawable_canvas import st_canvas  # only importable under Streamlit

    state = st.session_state
    state.setdefault("canvas_version", 0)
    stroke = st.slider("Stroke width", 6, 40, DEFAULT_STROKE, key="stroke_width")
    size = PRESENTATION_CANVAS if large else CANVAS_SIZE
    kind = ("number" if mode == NUMBER else "digit") + ("-large" if large else "")
    key = f"canvas-{kind}-{state.canvas_version}"
    saved, frozen = f"saved-{key}", f"initial-{key}"
    # Coming back from another page, the canvas is mounted anew: start it from the saved
    # drawing. Otherwise keep passing the same value: feeding every new drawing back in
    # would make the canvas redraw and resend it, a rerun loop.
    if frozen not in state or state.pop(LEFT_PAGE, False):
        state[frozen] = state.get(saved)
    result = st_canvas(
        stroke_width=stroke,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=NUMBER_CANVAS_WIDTH if mode == NUMBER else size,
        height=size if mode == ONE_DIGIT else 220,
        drawing_mode="freedraw",
        initial_drawing=state[frozen],
        return_image_data=True,
        key=key,
    )
    if result.json_data is not None:
        state[saved] = result.json_data
    image = result.image_data
    if image is not None:
        state[f"image-{key}"] = image
    elif state[frozen] is not None:  # restored: the canvas sends no image until touched
        image = state.get(f"image-{key}")
    if st.button("Clear", key="clear", icon=":material/delete:"):
        clear_canvas()
    return image


def clear_canvas() -> None:
    state = st.session_state
    for key in [k for k in state if str(k).startswith(CANVAS_STATE_PREFIXES)]:
        del state[key]
    state.canvas_version += 1
    st.rerun()


def show_answer(text: str, caption: str) -> None:
    size = "14rem" if st.session_state.get("presentation") else "7rem"
    st.markdown(
        f'<div class="hwr-answer" style="font-size:{size};font-weight:700;line-height:1;'
        f'text-align:center">{text}</div>',
        unsafe_allow_html=True,
    )
    st.caption(caption)


def is_unsure(probabilities: np.ndarray) -> bool:
    top, second = np.sort(probabilities)[::-1][:2]
    return bool(top < UNSURE_CONFIDENCE or top - second < UNSURE_MARGIN)


def show_unsure_note(result: Recognition) -> None:
    if is_unsure(result.probabilities):
        order = np.argsort(result.probabilities)[::-1]
        st.warning(
            f"Not sure: it could also be a **{order[1]}** "
            f"({result.probabilities[order[1]]:.0%}). Try writing it more clearly.",
            icon=":material/help:",
        )


def show_probabilities(probabilities: np.ndarray) -> None:
    """A bar for each of the ten digits, the winner highlighted.

    Plain HTML in one markdown element: it renders with the rerun itself, with no chart
    library to start in the browser, which keeps the stroke-to-answer time low."""
    top = int(np.argmax(probabilities))
    bars = "".join(
        f'<div style="flex:1;display:flex;flex-direction:column;align-items:center">'
        f'<div style="font-size:0.7rem;color:#666">{p:.0%}</div>'
        f'<div style="width:70%;height:120px;display:flex;align-items:flex-end;'
        f'background:#f3f3f3"><div style="width:100%;height:{p * 100:.1f}%;'
        f'background:{"#e4572e" if d == top else "#7a8a99"}"></div></div>'
        f'<div style="font-weight:{700 if d == top else 400}">{d}</div></div>'
        for d, p in enumerate(probabilities.astype(float)))
    st.markdown(f'<div class="hwr-probabilities" style="display:flex;gap:2px">{bars}</div>',
                unsafe_allow_html=True)


def show_model_input(image: np.ndarray, width: int = 168,
                     caption: str = "What the network saw (28x28)") -> None:
    """The 28x28 input, enlarged with sharp pixels, inline (no extra media request)."""
    st.markdown(figure_html(to_uint8(image), caption, width), unsafe_allow_html=True)


def show_digit(result: Recognition) -> None:
    if result.is_empty:
        st.info(result.message or INVITATION, icon=":material/draw:")
        return
    show_answer(str(result.digit), f"confidence {result.confidence:.1%}")
    show_unsure_note(result)
    show_probabilities(result.probabilities)
    show_model_input(result.model_input)


def confirm_sample(result: Recognition, drawing) -> None:
    """One click files the drawing under its right label in the class collection."""
    st.markdown("**Is it right?** Saving adds the drawing to the class's digits.")
    yes, label, save = st.columns([2, 1, 1], vertical_alignment="bottom")
    chosen = None
    if yes.button(f"Yes, it is a {result.digit}", key="confirm_yes", icon=":material/check:"):
        chosen = result.digit
    correct = label.selectbox("No, it is a", range(10), index=None, key="confirm_label",
                              placeholder="digit")
    if save.button("Save", key="confirm_save", disabled=correct is None):
        chosen = correct
    if chosen is not None:
        picture = drawing if isinstance(drawing, Image.Image) else np.asarray(drawing)
        class_collection().add(result.model_input, chosen, result.probabilities, picture)
        st.toast(f"Saved as a {chosen}: {class_collection().count()} class digits so far",
                 icon=":material/save:")
        st.session_state.pop("confirm_label", None)
        clear_canvas()


def show_inside(rec: DigitRecognizer, result: Recognition) -> None:
    """Activations and Grad-CAM, computed only while the toggle is on."""
    if not st.toggle("Inside the network", key="inside",
                     help="What each layer saw, and which pixels drove the answer"):
        return
    from hwr.explain import explain, feature_grid, overlay  # TensorFlow work: only on demand

    explanation = explain(rec.model, result.model_input)
    a, b = st.columns(2)
    a.image(overlay(result.model_input, explanation.grad_cam),
            caption=f"Grad-CAM: where the evidence for {explanation.target} lies")
    b.image(overlay(result.model_input, explanation.saliency),
            caption="Saliency: pixels that change the answer most")
    for name, maps in explanation.activations:
        grid = feature_grid(maps)
        scale = max(1, 360 // grid.shape[1])
        picture = Image.fromarray((grid * 255).astype(np.uint8))
        st.image(picture.resize((grid.shape[1] * scale, grid.shape[0] * scale),
                                Image.Resampling.NEAREST),
                 caption=f"{name}: {maps.shape[2]} feature maps of {maps.shape[0]}x"
                         f"{maps.shape[1]} (first 32 shown)")


def show_number(result: NumberRecognition) -> None:
    if result.is_empty:
        st.info("Write a few digits side by side, with a little space between them.",
                icon=":material/draw:")
        return
    show_answer(result.text, f"{len(result.digits)} digits, read left to right")
    columns = st.columns(min(len(result.digits), 8))
    for i, digit in enumerate(result.digits):
        with columns[i % len(columns)]:
            show_model_input(digit.model_input, width=84,
                             caption=f"{digit.digit} ({digit.confidence:.0%})")
    with st.expander("Probabilities of each digit"):
        for i, digit in enumerate(result.digits):
            st.write(f"Digit {i + 1}: **{digit.digit}**")
            show_unsure_note(digit)
            show_probabilities(digit.probabilities)


def show_result_safely(rec: DigitRecognizer, image, mode: str) -> Recognition | None:
    """Recognize and show; an unusable image gets its message instead of a traceback.

    Returns the single-digit result, for confirming and explaining it."""
    try:
        if mode == NUMBER:
            show_number(rec.recognize_number(image))
            return None
        result = rec.recognize(image)
        show_digit(result)
        return None if result.is_empty else result
    except InvalidImageError as e:
        st.error(str(e), icon=":material/error:")
        return None


def upload_image() -> Image.Image | None:
    upload = st.file_uploader(
        f"A photo or scan of handwriting (PNG or JPEG, up to {MAX_UPLOAD_BYTES // 2**20} MB)",
        type=["png", "jpg", "jpeg"],
        key="upload",
    )
    if upload is None:
        return None
    try:
        image = load_upload(upload.getvalue())
    except InvalidImageError as e:
        st.error(f"Could not use **{upload.name}**: {e}", icon=":material/error:")
        return None
    preview = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L") else image.copy()
    preview.thumbnail((480, 480))  # never send a 40-megapixel photo back to the browser
    st.image(preview, caption=upload.name, width=240)
    return image


def draw_page() -> None:
    rec = recognizer_or_stop()
    large = presentation_mode()
    st.title("Draw a digit")
    mode = st.segmented_control("What to read", [ONE_DIGIT, NUMBER], default=ONE_DIGIT,
                                key="mode") or ONE_DIGIT
    draw_tab, upload_tab = st.tabs(["Draw", "Upload"])
    with draw_tab:
        # One digit: canvas and answer side by side; a number needs the full width.
        left, right = st.columns([3, 2]) if mode == ONE_DIGIT else (st.container(),) * 2
        with left:
            image = draw_canvas(mode, large)
        with right:
            result = None
            if image is None:
                st.info(INVITATION, icon=":material/draw:")
            else:
                result = show_result_safely(rec, image, mode)
        if result is not None:
            confirm_sample(result, image)
            show_inside(rec, result)
    with upload_tab:
        uploaded = upload_image()
        if uploaded is not None:
            show_result_safely(rec, uploaded, mode)
