"""The Draw page: draw (or upload) a digit and see what the network thinks it is."""

from __future__ import annotations

import html
import time

import numpy as np
import streamlit as st
from PIL import Image

from hwr.class_data.collection import ClassFullError, Lesson, to_uint8
from hwr.class_data.model_store import ModelVersion
from hwr.class_data.storage import StorageUnavailable
from hwr.class_data.teacher import NICKNAME_MAX, clean_nickname
from hwr.pages.canvas import draw_canvas
from hwr.pages.common import (
    answering_model,
    class_collection,
    figure_html,
    first_page_shown,
    model_loader,
    post_limiter,
    presentation_mode,
    recognizer_or_stop,
    running_class,
    stop_with_load_error,
    storage_failed,
    student_id,
)
from hwr.reading.drawing import Drawing, rasterize
from hwr.reading.preprocess import MAX_UPLOAD_BYTES, InvalidImageError, load_upload
from hwr.reading.recognizer import DigitRecognizer, NumberRecognition, Recognition

CANVAS_SIZE = 280  # the drawing's own pixels; on screen it fills its column
CANVAS_CSS_WIDTH = 420  # the largest it is shown on a laptop
PRESENTATION_CSS_WIDTH = 640
NUMBER_CANVAS = (700, 220)
DEFAULT_STROKE = 18
UNSURE_CONFIDENCE = 0.6  # below this top probability the answer is flagged
UNSURE_MARGIN = 0.25  # ... and also when the runner-up is this close
MIN_INTERVAL = 0.1  # s between two recognitions of one session: a flood waits its turn
WARM_UP_POLL = 0.5  # s between checks whether the model has loaded
ONE_DIGIT, NUMBER = "One digit", "Several digits"
SAVED_DRAWING = "hwr_drawing"  # the last drawing of each canvas, to restore it
CLEAR_REQUEST = "hwr_clear"  # the drawing id the page asks the canvas to clear
LAST_RESULT = "hwr_last_result"  # (signature, image, result) of the last drawing read
LAST_RUN = "hwr_last_recognition"  # time.monotonic() of the last recognition
CONFIRM = "hwr_confirm"  # key prefix of the digits tapped to save a drawing as
FILED = "hwr_filed"  # the id of the last drawing saved to the class collection
PAGE_SENT = "hwr_page_sent"  # this session's page has gone out to its browser once
INVITATION = "Draw a digit in the box: the prediction appears as soon as you lift the pen."
WARMING_UP = "Warming up the model: your drawing is answered in a moment."
PAGE_CSS = """<style>
@media (max-width: 640px) {
  /* Phones: the answer above the canvas, both on one screen while drawing. */
  .st-key-hwr-draw-row [data-testid="stHorizontalBlock"] { flex-direction: column-reverse; }
  .st-key-hwr-draw-row [data-testid="stColumn"] { width: 100% !important; flex: 1 1 100%; }
  .st-key-hwr-draw-row .hwr-answer { font-size: 3.5rem !important; }
  .st-key-hwr-draw-row .hwr-probabilities .hwr-bar { height: 48px !important; }
  .st-key-hwr-draw-row .hwr-model-input, .st-key-hwr-draw-title { display: none; }
  /* The same height whatever it shows, so the canvas below never moves under a finger. */
  .st-key-hwr-answer-area { height: 190px !important; min-height: 190px; overflow: hidden; }
  [data-testid="stMainBlockContainer"] { padding: 3rem 0.5rem 1rem; }
}
</style>"""


def canvas_key(mode: str) -> str:
    return "canvas-number" if mode == NUMBER else "canvas-digit"


def read_canvas(mode: str, large: bool, brush: int) -> Drawing | None:
    """Show the canvas and return its drawing (None until something was drawn)."""
    state = st.session_state
    key = canvas_key(mode)
    saved = state.setdefault(SAVED_DRAWING, {})
    width, height = NUMBER_CANVAS if mode == NUMBER else (CANVAS_SIZE, CANVAS_SIZE)
    css_width = NUMBER_CANVAS[0] if mode == NUMBER else (
        PRESENTATION_CSS_WIDTH if large else CANVAS_CSS_WIDTH)
    # A canvas shown anew (back from another page) starts from its last drawing.
    initial = saved.get(key) if key not in state else None
    drawing = draw_canvas(key, width, height, brush, css_width, initial=initial,
                          clear_id=state.get(CLEAR_REQUEST, {}).get(key))
    if drawing is not None:
        saved[key] = drawing
    return saved.get(key)


def clear_canvas(mode: str) -> None:
    """Ask the browser to clear the drawing on the canvas (from a widget callback, so
    the run that follows sends the request)."""
    key = canvas_key(mode)
    drawing = st.session_state.get(SAVED_DRAWING, {}).get(key)
    if drawing is not None:
        st.session_state.setdefault(CLEAR_REQUEST, {})[key] = drawing.id


def show_note(text: str) -> None:
    """A note where the answer goes (invitation, warming up, nothing drawn).

    A markdown element like the answer itself, so the answer area holds one element of
    one kind whatever it shows, and no icon font is needed for it."""
    st.markdown(f'<div class="hwr-note" style="padding:0.75rem 1rem;border-radius:0.5rem;'
                f'background:rgba(28,131,225,0.1);color:rgb(0,66,128)">{html.escape(text)}'
                f'</div>', unsafe_allow_html=True)


def answer_html(text: str, caption: str) -> str:
    size = "14rem" if st.session_state.get("presentation") else "7rem"
    return (f'<div class="hwr-answer" style="font-size:{size};font-weight:700;line-height:1;'
            f'text-align:center">{text}</div><div class="hwr-caption" style="font-size:'
            f'0.875rem;color:rgba(49,51,63,0.6);margin:0.25rem 0 0.75rem">{caption}</div>')


def show_answer(text: str, caption: str) -> None:
    st.markdown(answer_html(text, caption), unsafe_allow_html=True)


def is_unsure(probabilities: np.ndarray) -> bool:
    top, second = np.sort(probabilities)[::-1][:2]
    return bool(top < UNSURE_CONFIDENCE or top - second < UNSURE_MARGIN)


def runner_up(result: Recognition) -> tuple[int, float]:
    order = np.argsort(result.probabilities)[::-1]
    return int(order[1]), float(result.probabilities[order[1]])


def show_unsure_note(result: Recognition) -> None:
    if is_unsure(result.probabilities):
        digit, probability = runner_up(result)
        st.warning(f"Not sure: it could also be a **{digit}** ({probability:.0%}). "
                   "Try writing it more clearly.", icon=":material/help:")


def probabilities_html(probabilities: np.ndarray) -> str:
    """A bar for each of the ten digits, the winner highlighted.

    Plain HTML: it renders with the rerun itself, with no chart library to start in the
    browser, which keeps the stroke-to-answer time low."""
    top = int(np.argmax(probabilities))
    bars = "".join(
        f'<div style="flex:1;display:flex;flex-direction:column;align-items:center">'
        f'<div style="font-size:0.7rem;color:#666">{p:.0%}</div>'
        f'<div class="hwr-bar" style="width:70%;height:120px;display:flex;align-items:flex-end;'
        f'background:#f3f3f3"><div style="width:100%;height:{p * 100:.1f}%;'
        f'background:{"#e4572e" if d == top else "#7a8a99"}"></div></div>'
        f'<div style="font-weight:{700 if d == top else 400}">{d}</div></div>'
        for d, p in enumerate(probabilities.astype(float)))
    return f'<div class="hwr-probabilities" style="display:flex;gap:2px">{bars}</div>'


def show_probabilities(probabilities: np.ndarray) -> None:
    st.markdown(probabilities_html(probabilities), unsafe_allow_html=True)


MODEL_INPUT_CAPTION = "What the network saw (28x28)"


def model_input_html(image: np.ndarray, width: int = 168,
                     caption: str = MODEL_INPUT_CAPTION) -> str:
    """The 28x28 input, enlarged with sharp pixels, inline (no extra media request)."""
    return (f'<div class="hwr-model-input" style="margin-top:0.75rem">'
            f'{figure_html(to_uint8(image), caption, width)}</div>')


def show_model_input(image: np.ndarray, width: int, caption: str) -> None:
    st.markdown(model_input_html(image, width, caption), unsafe_allow_html=True)


NOT_A_DIGIT = "That does not look like a digit"


def not_a_digit_html(result: Recognition) -> str:
    """The plain "not a digit" answer, the best guess only small beneath it."""
    return (f'<div class="hwr-answer hwr-not-a-digit" style="font-size:2rem;font-weight:700;'
            f'line-height:1.2;text-align:center;padding:1.5rem 0 0.5rem">{NOT_A_DIGIT}</div>'
            f'<div class="hwr-caption" style="font-size:0.875rem;color:rgba(49,51,63,0.6);'
            f'text-align:center;margin:0 0 0.75rem">If it is one, the best guess is a '
            f'{result.digit} ({result.confidence:.0%})</div>')


def show_digit(result: Recognition) -> None:
    if result.is_empty:
        show_note(result.message or INVITATION)
        return
    # One element for the answer, its bars and what the network saw (hidden on a phone):
    # each element is a message to the browser, and one more render of the page there.
    if result.not_a_digit:
        st.markdown(not_a_digit_html(result) + model_input_html(result.model_input),
                    unsafe_allow_html=True)
        return
    caption = f"confidence {result.confidence:.1%}"
    if is_unsure(result.probabilities):
        caption += " · not sure, maybe a {} ({:.0%}): try writing it more clearly".format(
            *runner_up(result))
    st.markdown(answer_html(str(result.digit), caption) +
                probabilities_html(result.probabilities) +
                model_input_html(result.model_input), unsafe_allow_html=True)


def file_sample(result: Recognition, picture, mode: str, drawing_id: int | None,
                key: str) -> None:
    """Save the drawing under the digit the student tapped (in the running class, and on
    its wall), then clear the canvas for the next one.

    Once per drawing: tapping its row again (or the browser sending the tapped digit
    again as the canvas clears) must not save the drawing twice."""
    state = st.session_state
    label = state.get(key)
    if label is None or (drawing_id is not None and state.get(FILED) == drawing_id):
        return
    if not post_limiter().allow():
        st.toast("That was quick: wait a second, then save again.", icon=":material/timer:")
        state[key] = None  # tap again to save
        return
    lesson = running_class()
    try:
        collection = class_collection()
        collection.add(result.model_input, label, result.probabilities, picture,
                       class_id=lesson.id if lesson else None, student=student_id())
    except StorageUnavailable as e:  # nothing was written: the drawing stays to retry
        storage_failed(e)
        st.toast("Not saved: class data is unavailable right now. Try again in a moment.",
                 icon=":material/cloud_off:")
        state[key] = None
        return
    state[FILED] = drawing_id
    try:
        if lesson is not None and drawing_id is not None:
            collection.label_drawing(lesson.id, student_id(), drawing_id, label)
        count = collection.count(lesson.id) if lesson else collection.count()
    except StorageUnavailable as e:  # saved; only the wall's label and the count wait
        storage_failed(e)
        count = "?"
    st.toast(f"Saved as a {label}: {count} class digits so far", icon=":material/save:")
    clear_canvas(mode)


def nickname() -> str:
    """The student's optional nickname, kept in the page's address (``?name=``) so a
    phone that sleeps and reconnects keeps it."""
    if "nickname" not in st.session_state:
        st.session_state.nickname = clean_nickname(st.query_params.get("name", ""))
    name = clean_nickname(st.sidebar.text_input(
        "Your nickname (optional)", key="nickname", max_chars=NICKNAME_MAX,
        help="Shown beside your drawings on the class wall"))
    if name != st.query_params.get("name", ""):
        if name:
            st.query_params["name"] = name
        else:
            st.query_params.pop("name", None)
    return name


def post_to_wall(lesson: Lesson, drawing: Drawing, result: Recognition) -> None:
    """The drawing goes on the running class's wall (updated at each stroke)."""
    new = st.session_state.get("wall_drawing") != (lesson.id, drawing.id)
    if new and not post_limiter().allow():
        st.caption("Your drawings come faster than the class wall takes them: this one is "
                   "not on the wall.")
        return
    try:
        class_collection().post_drawing(
            lesson.id, student_id(), drawing.id,
            clean_nickname(st.session_state.get("nickname", "")), result.digit,
            result.not_a_digit, result.confidence, result.model_input)
    except ClassFullError:
        st.caption("The class wall is full: your drawing is answered here but not shown "
                   "there.")
        return
    except StorageUnavailable as e:
        storage_failed(e)
        st.caption("Class data is unavailable right now: your drawing is answered here "
                   "but not shown on the wall.")
        return
    st.session_state.wall_drawing = (lesson.id, drawing.id)


def confirm_sample(result: Recognition, picture: np.ndarray, mode: str,
                   drawing_id: int | None = None) -> None:
    """One tap files the drawing under its right digit in the class collection: the
    answer's own digit (ticked) or the right one.

    One widget, not buttons, a picker and their columns: the drawing area is resent at
    every stroke, and each element is a message and a render in the browser."""
    answer = None if result.not_a_digit else result.digit  # no digit to confirm
    key = f"{CONFIRM}_{drawing_id}"  # a new drawing, a new row: nothing tapped yet
    st.pills("**Is it right?** Tap the right digit to save the drawing for the class"
             if answer is not None else "If it is a digit, tap it to save the drawing",
             range(10), key=key, on_change=file_sample,
             args=(result, picture, mode, drawing_id, key),
             format_func=lambda d: f":material/check: {d}" if d == answer else str(d))


def show_inside(rec: DigitRecognizer, result: Recognition) -> None:
    """Activations and Grad-CAM, computed only while the toggle is on."""
    if not st.toggle("Inside the network", key="inside",
                     help="What each layer saw, and which pixels drove the answer"):
        return
    # TensorFlow work: only on demand
    from hwr.reading.explain import explain, feature_grid, overlay

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
                 caption=f"{name} ({maps.shape[2]} maps of {maps.shape[0]}x{maps.shape[1]}"
                         f"{', the first 32 shown' if maps.shape[2] > 32 else ''})")


def part_caption(part: Recognition) -> str:
    if part.not_a_digit:
        return f"? not a digit (maybe {part.digit})"
    return f"{part.digit} ({part.confidence:.0%})"


def show_number(result: NumberRecognition) -> None:
    if result.is_empty:
        st.info("Write a few digits side by side, with a little space between them.",
                icon=":material/draw:")
        return
    caption = f"{len(result.digits)} digits, read left to right"
    if any(part.not_a_digit for part in result.digits):
        caption += " · ? marks a part that does not look like a digit"
    show_answer(result.text, caption)
    columns = st.columns(min(len(result.digits), 8))
    for i, digit in enumerate(result.digits):
        with columns[i % len(columns)]:
            show_model_input(digit.model_input, width=84, caption=part_caption(digit))
    with st.expander("Probabilities of each digit"):
        for i, digit in enumerate(result.digits):
            st.write(f"Digit {i + 1}: **{digit.digit}**" + (
                " (does not look like a digit)" if digit.not_a_digit else ""))
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


def pace() -> None:
    """Per-session debounce: at most one recognition every MIN_INTERVAL seconds.

    A student scribbling non-stop (or a client flooding the server) waits in its own
    script thread, which holds no lock, while the other sessions go on."""
    state = st.session_state
    wait = state.get(LAST_RUN, 0.0) + MIN_INTERVAL - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    state[LAST_RUN] = time.monotonic()


def recognize_drawing(rec: DigitRecognizer, drawing: Drawing, mode: str):
    """The drawing's image and recognition, computed once per drawing (reruns for the
    other widgets of the drawing area reuse them)."""
    state = st.session_state
    signature = (str(rec.model_dir), mode, drawing.id,  # a new model answers anew
                 tuple((b, p.tobytes()) for b, p in drawing.strokes))
    last = state.get(LAST_RESULT)
    if last is not None and last[0] == signature:
        return last[1], last[2]
    pace()
    image = rasterize(drawing)
    result = rec.recognize_number(image) if mode == NUMBER else rec.recognize(image)
    state[LAST_RESULT] = (signature, image, result)
    return image, result


def show_drawing_answer(drawing: Drawing | None, mode: str, loader):
    """The answer for the drawing on the canvas; (image, single-digit result) if any."""
    if drawing is None or drawing.is_empty:
        show_note(INVITATION if mode == ONE_DIGIT else
                  "Write a few digits side by side, with a little space between them.")
        return None
    if not loader.ready:
        show_note(WARMING_UP)
        return None
    if loader.error is not None:
        stop_with_load_error(loader.error)
    image, result = recognize_drawing(loader.recognizer, drawing, mode)
    if mode == NUMBER:
        show_number(result)
        return None
    show_digit(result)
    return None if result.is_empty else (image, result)


def show_answering_model(version: ModelVersion, note: str) -> None:
    """Which model answers, once the class has taught one (or why the original does)."""
    if note:
        st.caption(note)
    elif not version.is_original:
        st.caption(f"Answered by {version.label}.")


def page_on_screen() -> None:
    """Let the model load once this session's page is on screen.

    Any run after a session's first (the warm-up poll, a stroke) comes from a browser
    showing the page. TensorFlow's import holds the interpreter for seconds; started
    while the browser still fetches and starts the canvas, it delayed the first canvas
    (see the README's start-up figures). A server nobody visits loads it anyway, after
    ``LOAD_DELAY``."""
    if st.session_state.get(PAGE_SENT):
        first_page_shown()


@st.fragment
def drawing_area(mode: str, large: bool, brush: int) -> None:
    """Canvas and answer: a stroke reruns only this, never the whole page."""
    page_on_screen()
    loader, version, note = answering_model()  # once per stroke
    with st.container(key="hwr-draw-row"):
        left, right = st.columns([3, 2]) if mode == ONE_DIGIT else (st.container(),) * 2
        with left:
            try:
                drawing = read_canvas(mode, large, brush)
            except InvalidImageError as e:
                st.warning(f"That drawing could not be read: {e}", icon=":material/error:")
                drawing = None
        # One digit: on a phone this area sits above the canvas, at a fixed height.
        area = "hwr-answer-area" if mode == ONE_DIGIT else "hwr-number-answer"
        with right, st.container(key=area):
            answered = show_drawing_answer(drawing, mode, loader)
    lesson = running_class()
    if lesson is not None:
        st.caption("Your drawings appear on the class wall.")
    elif st.session_state.get("wall_drawing"):  # this page drew for a class that ended
        st.caption("The class has ended: your drawings are still answered here, but no "
                   "longer shown on a wall.")
    show_answering_model(version, note)
    if answered is not None:
        image, result = answered
        if lesson is not None:
            post_to_wall(lesson, drawing, result)
        confirm_sample(result, image, mode, drawing.id)
        show_inside(loader.recognizer, result)


@st.fragment(run_every=WARM_UP_POLL)
def wait_for_model() -> None:
    """Shown only while the model loads: once it is there, answer what was drawn."""
    page_on_screen()
    if model_loader().ready:
        st.rerun()


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
    st.html(PAGE_CSS)
    large = presentation_mode()
    brush = st.sidebar.slider("Stroke width", 6, 40, DEFAULT_STROKE, key="stroke_width")
    nickname()
    with st.container(key="hwr-draw-title"):
        st.title("Draw a digit")
    mode = st.segmented_control("What to read", [ONE_DIGIT, NUMBER], default=ONE_DIGIT,
                                key="mode", label_visibility="collapsed") or ONE_DIGIT
    draw_tab, upload_tab = st.tabs(["Draw", "Upload"])
    with draw_tab:
        drawing_area(mode, large, brush)
    with upload_tab:
        uploaded = upload_image()
        if uploaded is not None:
            show_result_safely(recognizer_or_stop(), uploaded, mode)
    loader = model_loader()
    if not loader.ready:
        wait_for_model()
    elif loader.error is not None:
        stop_with_load_error(loader.error)
    st.session_state[PAGE_SENT] = True
