"""The Draw page: draw (or upload) a digit and see what the network thinks it is."""

from __future__ import annotations

import time

import streamlit as st
from PIL import Image
from streamlit.runtime.scriptrunner import get_script_run_ctx

from hwr.class_data.model_store import ModelVersion
from hwr.pages.draw.answer import (
    INVITATION,
    NUMBER_INVITATION,
    number_words,
    panel_words,
    reading_error,
    show_digit,
    show_note,
    show_number,
)
from hwr.pages.components.canvas import (
    CLEAR_REQUEST,
    NUMBER,
    ONE_DIGIT,
    SAVED_DRAWING,
    canvas_key,
    channel_open,
    draw_canvas,
    tapped,
)
from hwr.pages.draw.inside_network import inside_toggle, show_inside, show_maps_at_rest
from hwr.pages.shared.language import N_, _, current, ngettext
from hwr.pages.draw.state import (
    CHANNEL_OPEN,
    CLASS_EVENT,
    INSIDE,
    LAST_RESULT,
    LAST_RUN,
    MODE,
    PAGE_SENT,
    SHOWN,
    STROKE_WIDTH,
    UPLOAD,
)
from hwr.pages.draw.live import answer_partial, live_on, live_toggle, say_answer
from hwr.pages.shared.markup import use_stylesheet
from hwr.pages.draw.round_prompt import follow_class, fool_entry, page_shows, round_prompt
from hwr.pages.draw.sharing import (
    class_note,
    confirm_sample,
    confirm_words,
    delete_mine,
    file_sample,
    may_confirm,
    nickname,
    nickname_line,
    post_to_wall,
)
from hwr.pages.shared.class_state import running_class
from hwr.pages.shared.lesson import fooling, in_round
from hwr.pages.shared.privacy_notice import privacy_line
from hwr.pages.shared.model_loading import (
    answering_model,
    model_loader,
    recognizer_or_stop,
    stop_with_load_error,
)
from hwr.pages.shared.teacher_session import presentation_mode
from hwr.reading.drawing import Drawing, rasterize
from hwr.reading.preprocess import MAX_UPLOAD_BYTES, InvalidImageError, load_upload
from hwr.reading.recognizer import DigitRecognizer, Recognition
from hwr.server import answer_channel, channel_rules
from hwr.server.model_loader import first_page_shown
from hwr.sizes import CANVAS_SIZE

CANVAS_CSS_WIDTH = 420  # the largest it is shown on a laptop
PRESENTATION_CSS_WIDTH = 640
NUMBER_CANVAS = (700, 220)
DEFAULT_STROKE = 18
MIN_INTERVAL = 0.1  # s between two recognitions of one session: a flood waits its turn
WARM_UP_POLL = 0.5  # s between checks whether the model has loaded
WARMING_UP = N_("Warming up the model: your drawing is answered in a moment.")


def channel_for(mode: str, fool: bool, quiet: bool, maps: bool = False) -> dict | None:
    """Where the canvas asks for its answers (pen-up and live) without a script run, with
    a token of this session and the words of the answer panel and of "Is it right?"
    (``hwr.server.answer_channel``); None outside a script run. Several digits
    (``number``: read as a number) are always quiet: nothing hangs on them but their
    answer (no "Is it right?", no wall, no round). ``quiet``: nothing on the page hangs
    on a finished drawing (see ``is_quiet``); ``maps``: the replies carry the drawing's
    feature maps ("Inside the network" open in presentation mode), so that they follow
    the pen."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    channel = {"path": answer_channel.PATH, "token": channel_rules.sign(ctx.session_id),
               "lang": current(), "quiet": quiet, "report_now": in_round(), "maps": maps,
               "shows": list(st.session_state.get(SHOWN, (None, None)))}
    if mode == NUMBER:
        return {**channel, "quiet": True, "maps": False, "number": True,
                "words": {**number_words(), "invitation": _(NUMBER_INVITATION)}}
    return {**channel, "words": {**panel_words(fool), **confirm_words(),
                                 "invitation": _(INVITATION)}}


def is_quiet(lesson) -> bool:
    """Whether a finished drawing changes nothing of the page's state, so that the canvas
    need not send it to Streamlit: no class runs (no wall, no round) and "Inside the
    network" is closed. "Is it right?" is then the canvas's own row, whose tap sends the
    drawing (``file_tapped``); "Say the answer" on makes the canvas send each one."""
    return lesson is None and not st.session_state.get(INSIDE)


def file_tapped(key: str, mode: str) -> None:
    """Before a run: the canvas's own "Is it right?" row was tapped, for a drawing no run
    has seen (a quiet pen-up): file it under that digit now, so that the run clears it
    from the canvas and says so, as a tap on Streamlit's row does."""
    tap = tapped(key)
    if tap is None:
        return
    loader = answering_model()[0]
    if not loader.ready or loader.error is not None:
        return
    drawing, digit = tap
    if drawing.is_empty or not may_confirm(running_class(), drawing.id):
        return
    st.session_state.setdefault(SAVED_DRAWING, {})[key] = drawing  # the one to clear
    image = rasterize(drawing)
    result = channel_answer(loader.recognizer, drawing) or loader.recognizer.recognize(image)
    if not result.is_empty:
        file_sample(result, image, mode, drawing.id, digit)


def read_canvas(mode: str, large: bool, brush: int, fool: bool = False,
                quiet: bool = False) -> Drawing | None:
    """Show the canvas and return its drawing (None until something was drawn).
    ``fool``: a "Fool the network" round runs (the answer panel's hint says so);
    ``quiet``: see ``is_quiet``."""
    state = st.session_state
    key = canvas_key(mode)
    saved = state.setdefault(SAVED_DRAWING, {})
    width, height = NUMBER_CANVAS if mode == NUMBER else (CANVAS_SIZE, CANVAS_SIZE)
    css_width = NUMBER_CANVAS[0] if mode == NUMBER else (
        PRESENTATION_CSS_WIDTH if large else CANVAS_CSS_WIDTH)
    # A canvas shown anew (back from another page) starts from its last drawing.
    initial = saved.get(key) if key not in state else None
    live = live_on(large)
    drawing = draw_canvas(key, width, height, brush, css_width, initial=initial,
                          clear_id=state.get(CLEAR_REQUEST, {}).get(key), live=live,
                          mode=mode, channel=channel_for(mode, fool, quiet,
                                                         large and bool(state.get(INSIDE))),
                          on_change=lambda: file_tapped(key, mode),
                          on_event=lambda: state.__setitem__(CLASS_EVENT, True),
                          on_channel=lambda: state.__setitem__(CHANNEL_OPEN,
                                                               channel_open(key)))
    if drawing is not None and drawing.partial:
        return drawing  # a stroke still being drawn: the pen-up's drawing is kept
    if drawing is not None:
        saved[key] = drawing
    return saved.get(key)


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
        st.error(reading_error(e), icon=":material/error:")
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


def channel_answer(rec: DigitRecognizer, drawing: Drawing, mode: str = ONE_DIGIT):
    """The answer channel's recognition of this session's drawing by this model (a
    ``NumberRecognition`` for several digits), if the canvas asked it (the pen-up's
    drawing, reported to Streamlit after the channel answered it): the same drawing is
    not recognized twice."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or drawing.partial:
        return None
    return answer_channel.answered(ctx.session_id, rec.model_dir, drawing, mode == NUMBER)


def recognize_drawing(rec: DigitRecognizer, drawing: Drawing, mode: str):
    """The drawing's image and recognition, computed once per drawing (reruns for the
    other widgets of the drawing area reuse them)."""
    state = st.session_state
    signature = (str(rec.model_dir), mode, drawing.id,  # a new model answers anew
                 tuple((b, p.tobytes()) for b, p in drawing.strokes))
    last = state.get(LAST_RESULT)
    if last is not None and last[0] == signature:
        return last[1], last[2]
    if drawing.partial:  # live: thinned when the session or the server is busy
        same_drawing = last is not None and last[0][:3] == signature[:3]
        if not answer_partial(first_of_drawing=not same_drawing) and same_drawing:
            return last[1], last[2]  # its last answer stays until the next one
    else:
        pace()
    image = rasterize(drawing)
    result = channel_answer(rec, drawing, mode) or (
        rec.recognize_number(image) if mode == NUMBER else rec.recognize(image))
    state[LAST_RESULT] = (signature, image, result)
    return image, result


def show_drawing_answer(drawing: Drawing | None, mode: str, loader, fool: bool = False):
    """The answer for the drawing on the canvas; (image, result) if there is one (a
    ``NumberRecognition`` for several digits; an empty result when nothing is there).
    ``fool``: a "Fool the network" round runs (its hint is not to write more clearly)."""
    if drawing is None or drawing.is_empty:
        show_note(_(INVITATION if mode == ONE_DIGIT else NUMBER_INVITATION))
        return None
    if not loader.ready:
        show_note(_(WARMING_UP))
        return None
    if loader.error is not None:
        stop_with_load_error(loader.error)
    image, result = recognize_drawing(loader.recognizer, drawing, mode)
    if mode == NUMBER:
        show_number(result, drawing.partial, drawing.seq)
    else:
        show_digit(result, drawing.partial, drawing.seq, fool=fool)
    return image, result


def show_answering_model(version: ModelVersion, note: str) -> None:
    """Which model answers, once the class has taught one (or why the original does)."""
    if note:
        st.caption(note)
    elif not version.is_original:  # the digits it trained on (as the Class page says)
        learned = version.report.get("trained_on", version.class_digits)
        # TRANSLATORS: {count} class digits; {time} when the model was made ("14:03")
        st.caption(ngettext(
            "Answered by our class's model, learned from {count} of our digits, {time}.",
            "Answered by our class's model, learned from {count} of our digits, {time}.",
            learned).format(count=learned, time=version.time))


def page_on_screen() -> None:
    """Let the model load once this session's page is on screen.

    Any run after a session's first (the warm-up poll, a stroke) comes from a browser
    showing the page. TensorFlow's import holds the interpreter for seconds; started
    while the browser still fetches and starts the canvas, it delayed the first canvas
    (docs/benchmarks.md, "A fast first page"). A server nobody visits loads it anyway, after
    ``LOAD_DELAY``."""
    if st.session_state.get(PAGE_SENT):
        first_page_shown()


@st.fragment
def drawing_area(mode: str, large: bool, brush: int) -> None:
    """Canvas and answer: a stroke reruns only this, never the whole page."""
    page_on_screen()
    follow_class()  # the channel said the class changed, or polling should start or stop
    page_shows()  # the class and round it is drawn for: the round's poll follows them
    loader, version, note = answering_model()  # once per stroke
    fool = fooling()  # a "Fool the network" round runs
    lesson = running_class()
    quiet = is_quiet(lesson)
    with st.container(key="hwr-draw-row"):
        left, right = st.columns([3, 2]) if mode == ONE_DIGIT else (st.container(),) * 2
        with left:
            try:
                drawing = read_canvas(mode, large, brush, fool is not None, quiet)
            except InvalidImageError as e:
                st.warning(_("That drawing could not be read: {reason}").format(
                    reason=reading_error(e)), icon=":material/error:")
                drawing = None
            # Right under the canvas, so that on a phone the digits to tap are on
            # screen with the answer (above the canvas there): "Is it right?", or in
            # "Fool the network" the digit meant.
            taps = st.container(key="hwr-taps")
        # One digit: on a phone this area sits above the canvas, at a fixed height.
        area = "hwr-answer-area" if mode == ONE_DIGIT else "hwr-number-answer"
        with right, st.container(key=area):
            answered = show_drawing_answer(drawing, mode, loader, fool is not None)
    partial = drawing is not None and drawing.partial
    with st.container(key="hwr-live-row", horizontal=True, gap="large"):
        live_toggle(large)
        say_answer(None if answered is None else answered[1],
                   None if drawing is None else drawing.id, partial)
    if answered is not None and (mode == NUMBER or answered[1].is_empty):
        answered = None  # "Is it right?" and the network's inside: one digit only
    if fool is not None:
        with taps:
            fool_entry(fool)
    class_note(lesson)  # where the drawings go (or why not: a removed student)
    show_answering_model(version, note)
    if answered is not None:
        image, result = answered
        if lesson is not None and not partial:  # the wall gets pen-up drawings
            post_to_wall(lesson, drawing, result)
        with taps:
            confirm_sample(result, image, mode, drawing.id)
        show_inside(loader.recognizer, result, fresh=not partial or large)
    elif mode == ONE_DIGIT and (quiet or st.session_state.get(INSIDE)):
        # answered in the browser (quiet): the switch is there too; in presentation mode
        # the maps of an empty drawing, for the first stroke's to follow the pen
        if inside_toggle() and large and loader.ready and loader.error is None:
            show_maps_at_rest(loader.recognizer)


@st.fragment(run_every=WARM_UP_POLL)
def wait_for_model() -> None:
    """Shown only while the model loads: once it is there, answer what was drawn."""
    page_on_screen()
    if model_loader().ready:
        st.rerun()


def upload_image() -> Image.Image | None:
    upload = st.file_uploader(
        _("A photo or scan of handwriting (PNG or JPEG, up to {size} MB)").format(
            size=MAX_UPLOAD_BYTES // 2**20),
        type=["png", "jpg", "jpeg"],
        key=UPLOAD,
    )
    if upload is None:
        return None
    try:
        image = load_upload(upload.getvalue())
    except InvalidImageError as e:
        st.error(_("Could not use **{file}**: {reason}").format(
            file=upload.name, reason=reading_error(e)), icon=":material/error:")
        return None
    preview = image.convert("RGBA") if image.mode not in ("RGB", "RGBA", "L") else image.copy()
    preview.thumbnail((480, 480))  # never send a 40-megapixel photo back to the browser
    st.image(preview, caption=upload.name, width=240)
    return image


def privacy(large: bool) -> None:
    """Under the drawing area, for a student in a running class: what the class keeps,
    "Delete my drawings" and the whole notice. Not on a projector (presentation mode):
    the class sees the teacher's screen, not a student's choices."""
    lesson = running_class()
    if lesson is None or large:
        return
    privacy_line(lesson, lambda: delete_mine(lesson))


def draw_page() -> None:
    use_stylesheet()  # the phone layout too: style.css
    large = presentation_mode()
    brush = st.sidebar.slider(_("Stroke width"), 6, 40, DEFAULT_STROKE, key=STROKE_WIDTH)
    name = nickname()
    with st.container(key="hwr-draw-title"):
        st.title(_("Draw a digit"))
    with st.container(key="hwr-mode-row", horizontal=True, vertical_alignment="center",
                      gap="small"):
        mode = st.segmented_control(_("What to read"), [ONE_DIGIT, NUMBER],
                                    default=ONE_DIGIT, key=MODE,
                                    label_visibility="collapsed", format_func=_) or ONE_DIGIT
        nickname_line(name)  # in a class: "You are Quick Otter · change"
    # TRANSLATORS: the tabs: draw on the canvas, or upload a photo
    draw_tab, upload_tab = st.tabs([_("Draw"), _("Upload")])
    with draw_tab:
        round_prompt()  # a round's prompt, timer and Done (hwr.pages.draw.round_prompt)
        drawing_area(mode, large, brush)
        privacy(large)
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
