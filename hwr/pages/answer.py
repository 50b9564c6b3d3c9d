"""The answer as the Draw page shows it: the digit (or "not a digit"), its confidence
and "not sure" note, the ten probability bars and the 28x28 picture the network saw, as
one markdown element per stroke (each element is a message to the browser)."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from hwr.class_data.collection import to_uint8
from hwr.pages.markup import figure_html
from hwr.reading.recognizer import NumberRecognition, Recognition

UNSURE_CONFIDENCE = 0.6  # below this top probability the answer is flagged
UNSURE_MARGIN = 0.25  # ... and also when the runner-up is this close
INVITATION = "Draw a digit in the box: the prediction appears as soon as you lift the pen."


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
