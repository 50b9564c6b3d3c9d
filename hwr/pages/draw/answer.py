"""The answer as the Draw page shows it: the digit (or "not a digit"), its confidence
and "not sure" note, the ten probability bars and the 28x28 picture the network saw, as
one markdown element per stroke (each element is a message to the browser)."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from hwr.class_data.collection import to_uint8
from hwr.pages.shared.language import N_, _, explained, ngettext, percent
from hwr.pages.shared.markup import figure_html
from hwr.pages.shared.teacher_session import PRESENTATION
from hwr.reading import outputs
from hwr.reading.outputs import is_unsure
from hwr.reading.recognizer import NumberRecognition, Recognition
from hwr.translation import Explained

INVITATION = N_("Draw a digit in the box: the prediction appears as soon as you lift the "
                "pen.")
NUMBER_INVITATION = N_("Write a few digits side by side, with a little space between them.")


def reading_error(error: Exception) -> str:
    """Why an image or a drawing was refused, for the user, in the page's language: an
    ``InvalidImageError``'s sentence translated; any other error's own words."""
    if isinstance(error, Explained):
        return explained(error.template, error.values)
    return str(error)


def live_region(inner: str, partial: bool = False, seq: int | None = None) -> str:
    """The answer (or the note in its place) inside a polite ARIA live region, so a
    screen reader says each new answer. A live answer, given while a stroke is drawn,
    marks the region busy: it is said once the pen is up. ``data-seq`` is the canvas's
    number of the drawing answered (for tests and the load client)."""
    number = "" if seq is None else f' data-seq="{int(seq)}"'
    return (f'<div class="hwr-live" aria-live="polite" aria-atomic="true" '
            f'aria-busy="{"true" if partial else "false"}"'
            f'{" data-partial" if partial else ""}{number}>{inner}</div>')


def show_note(text: str) -> None:
    """A note where the answer goes (invitation, warming up, nothing drawn).

    A markdown element like the answer itself, so the answer area holds one element of
    one kind whatever it shows, and no icon font is needed for it."""
    st.markdown(live_region(f'<div class="hwr-note">{html.escape(text)}</div>'),
                unsafe_allow_html=True)


def answer_html(text: str, caption: str) -> str:
    """The big answer and its caption; twice as large in presentation mode."""
    answer = f'<div class="hwr-answer">{text}</div><div class="hwr-caption">{caption}</div>'
    if st.session_state.get(PRESENTATION):
        return f'<div class="hwr-large">{answer}</div>'
    return answer


def show_answer(text: str, caption: str) -> None:
    st.markdown(answer_html(text, caption), unsafe_allow_html=True)


def runner_up(result: Recognition) -> tuple[int, float]:
    return outputs.runner_up(result.probabilities)


UNSURE_NOTE = N_("Not sure: it could also be a **{digit}** ({probability}). Try writing "
                 "it more clearly.")


def show_unsure_note(result: Recognition) -> None:
    if is_unsure(result.probabilities):
        digit, probability = runner_up(result)
        st.warning(_(UNSURE_NOTE).format(digit=digit, probability=percent(probability)),
                   icon=":material/help:")


def probabilities_html(probabilities: np.ndarray) -> str:
    """A bar for each of the ten digits, the winner highlighted.

    Plain HTML: it renders with the rerun itself, with no chart library to start in the
    browser, which keeps the stroke-to-answer time low. Each column is the percentage,
    the bar and the digit; the bar is an SVG whose rect is as tall as the probability
    (an attribute, not a style: style.css draws it) and is hidden from screen readers,
    which read the percentage."""
    top = int(np.argmax(probabilities))
    winner = ' class="hwr-top"'
    bars = "".join(
        f'<div{winner if d == top else ""}><small>{percent(p)}</small>'
        f'<svg class="hwr-bar" aria-hidden="true"><rect y="{100 - p * 100:.1f}%" '
        f'width="100%" height="{p * 100:.1f}%"/></svg><b>{d}</b></div>'
        for d, p in enumerate(probabilities.astype(float)))
    return f'<div class="hwr-probabilities">{bars}</div>'


def show_probabilities(probabilities: np.ndarray) -> None:
    st.markdown(probabilities_html(probabilities), unsafe_allow_html=True)


MODEL_INPUT_CAPTION = N_("What the network saw (28x28)")


def model_input_html(image: np.ndarray, width: int = 168,
                     caption: str | None = None) -> str:
    """The 28x28 input, enlarged with sharp pixels, inline (no extra media request).
    ``caption``: HTML (escaped already); by default what the network saw."""
    if caption is None:
        caption = html.escape(_(MODEL_INPUT_CAPTION))
    return f'<div class="hwr-model-input">{figure_html(to_uint8(image), caption, width)}</div>'


def show_model_input(image: np.ndarray, width: int, caption: str) -> None:
    st.markdown(model_input_html(image, width, caption), unsafe_allow_html=True)


NOT_A_DIGIT = N_("That does not look like a digit")
BEST_GUESS = N_("If it is one, the best guess is a {digit} ({confidence})")
CONFIDENCE = N_("confidence {confidence}")


def unsure_hint(fool: bool) -> str:
    """The "not sure" hint after the confidence, with ``{digit}`` and ``{probability}``
    to fill. In "Fool the network" an unsure answer is good news, not a reason to write
    more clearly."""
    if fool:
        # TRANSLATORS: "Fool the network": the model hesitates between two digits
        return _("not sure, maybe a {digit} ({probability}): nearly fooled")
    return _("not sure, maybe a {digit} ({probability}): try writing it more clearly")


def panel_words(fool: bool) -> dict[str, str]:
    """The answer panel's words, in the page's language, for the canvas that draws it
    from the answer channel's reply (``canvas.js``): the same sentences as here, with
    their ``{placeholders}`` left for the browser to fill."""
    return {"confidence": _(CONFIDENCE), "unsure": unsure_hint(fool),
            "not_a_digit": _(NOT_A_DIGIT), "best_guess": _(BEST_GUESS),
            "model_input": _(MODEL_INPUT_CAPTION)}


def not_a_digit_html(result: Recognition) -> str:
    """The plain "not a digit" answer, the best guess only small beneath it."""
    guess = _(BEST_GUESS).format(digit=result.digit, confidence=percent(result.confidence))
    return (f'<div class="hwr-answer hwr-not-a-digit">{html.escape(_(NOT_A_DIGIT))}</div>'
            f'<div class="hwr-caption">{html.escape(guess)}</div>')


def show_digit(result: Recognition, partial: bool = False, seq: int | None = None,
               fool: bool = False) -> None:
    """``partial``, ``seq``: a live answer, and the canvas's number of what it answers
    (see ``live_region``). ``fool``: in "Fool the network" an unsure answer is good news,
    not a reason to write more clearly."""
    if result.is_empty:
        show_note(explained(result.message) if result.message else _(INVITATION))
        return
    # One element for the answer, its bars and what the network saw (hidden on a phone):
    # each element is a message to the browser, and one more render of the page there.
    if result.not_a_digit:
        st.markdown(live_region(not_a_digit_html(result), partial, seq) +
                    model_input_html(result.model_input), unsafe_allow_html=True)
        return
    caption = _(CONFIDENCE).format(confidence=percent(result.confidence, 1))
    if is_unsure(result.probabilities):
        digit, probability = runner_up(result)
        caption += " · " + unsure_hint(fool).format(digit=digit,
                                                     probability=percent(probability))
    caption = html.escape(caption, quote=False)
    st.markdown(live_region(answer_html(str(result.digit), caption), partial, seq) +
                probabilities_html(result.probabilities) +
                model_input_html(result.model_input), unsafe_allow_html=True)


NO_DIGIT_MARK = N_("? marks a part that does not look like a digit")
PART_NO_DIGIT = N_("? not a digit (maybe {digit})")
EACH_DIGIT = N_("Probabilities of each digit")
DIGIT_N = N_("Digit {n}: **{digit}**")
DIGIT_N_NO_DIGIT = N_("Digit {n}: **{digit}** (does not look like a digit)")


def read_count(count: int) -> str:
    """"{count} digits, read left to right" in the form ``count`` asks for, in the page's
    language, ``{count}`` left to fill."""
    return ngettext("{count} digit, read left to right",
                    "{count} digits, read left to right", count)


def part_caption(part: Recognition) -> str:
    """A part's caption under its picture (HTML, escaped)."""
    if part.not_a_digit:
        return html.escape(_(PART_NO_DIGIT).format(digit=part.digit))
    return html.escape(f"{part.digit} ({percent(part.confidence)})")


def number_words() -> dict[str, str]:
    """The words of several digits' panel, for the canvas that draws it from the answer
    channel's reply (``canvas.js``), ``{placeholders}`` left to fill: the caption's two
    forms (the browser picks one with ``Intl.PluralRules``, which agrees with the
    catalogs' plural forms for en, de, fr and es), and the sentences ``show_number``
    shows."""
    return {"count_one": read_count(1), "count_other": read_count(2),
            "no_digit_mark": _(NO_DIGIT_MARK), "part_no_digit": _(PART_NO_DIGIT),
            "each_digit": _(EACH_DIGIT), "digit_n": _(DIGIT_N),
            "digit_n_no_digit": _(DIGIT_N_NO_DIGIT), "unsure_note": _(UNSURE_NOTE)}


def show_number(result: NumberRecognition, partial: bool = False,
                seq: int | None = None) -> None:
    if result.is_empty:
        st.info(_(NUMBER_INVITATION), icon=":material/draw:")
        return
    count = len(result.digits)
    caption = read_count(count).format(count=count)
    if any(part.not_a_digit for part in result.digits):
        caption += " · " + _(NO_DIGIT_MARK)
    caption = html.escape(caption, quote=False)
    st.markdown(live_region(answer_html(result.text, caption), partial, seq),
                unsafe_allow_html=True)
    columns = st.columns(min(len(result.digits), 8))
    for i, digit in enumerate(result.digits):
        with columns[i % len(columns)]:
            show_model_input(digit.model_input, width=84, caption=part_caption(digit))
    with st.expander(_(EACH_DIGIT)):
        for i, digit in enumerate(result.digits):
            words = DIGIT_N_NO_DIGIT if digit.not_a_digit else DIGIT_N
            st.write(_(words).format(n=i + 1, digit=digit.digit))
            show_unsure_note(digit)
            show_probabilities(digit.probabilities)
