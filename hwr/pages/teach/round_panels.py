"""A class's rounds as the pages show them: on the Teach page the round's form, the
running round's status and the latest results (for the projector too, large and
without controls); on the Class page the class's rounds, with their CSV."""

from __future__ import annotations

import html
import time

import streamlit as st

from hwr.class_data.collection import ALL_SAMPLES, NO_CLASS, Lesson
from hwr.class_data.rounds import (
    DEFAULT_SECONDS,
    GRACE,
    MAX_SECONDS,
    MIN_SECONDS,
    Round,
    RoundResults,
    results_csv,
)
from hwr.pages.shared.class_state import class_collection
from hwr.pages.shared.language import _, date_time, percent
from hwr.pages.shared.lesson import (
    KIND_NAMES,
    ROUND_DIGIT,
    ROUND_KIND,
    ROUND_REFUSED,
    ROUND_SECONDS,
    ROUND_TIMER,
    WALL_REFRESH,
    close_results,
    end_round,
    kind_name,
    refusal_text,
    round_title,
    start_round,
)
from hwr.pages.shared.markup import figure_html
from hwr.pages.shared.teacher_session import is_teacher


def round_form(lesson: Lesson) -> None:
    # Only the Start button starts a round: Enter in the seconds box does not.
    with st.form("round_form", border=True, enter_to_submit=False):
        st.markdown(_("**A round**: everyone draws to a prompt; the results go on the "
                      "wall."))
        # TRANSLATORS: what the students are asked to draw in a round.
        st.radio(_("Prompt"), list(KIND_NAMES), format_func=kind_name, key=ROUND_KIND,
                 horizontal=True)
        a, b, c = st.columns(3)
        a.selectbox(_("Digit (everyone draws one digit)"), range(10), index=7,
                    key=ROUND_DIGIT)
        b.checkbox(_("Timer"), value=True, key=ROUND_TIMER)
        c.number_input(_("Seconds ({low} to {high})").format(low=MIN_SECONDS,
                                                             high=MAX_SECONDS),
                       value=DEFAULT_SECONDS, step=1, key=ROUND_SECONDS)
        st.form_submit_button(_("Start the round"), type="primary", on_click=start_round,
                              args=(lesson.id,), icon=":material/timer:")
    refused = st.session_state.get(ROUND_REFUSED)
    if refused:
        st.error(refusal_text(refused), icon=":material/timer_off:")


def round_status(found: Round, entered: int, controls: bool = True) -> None:
    left = found.seconds_left()
    if left is None:
        timer = ""
    else:
        seconds = html.escape(_("{seconds} s").format(seconds=f"{left:.0f}"))
        # TRANSLATORS: the time a round has left, e.g. "12 s left".
        timer = " &middot; " + html.escape(_("{time} left")).replace(
            "{time}", f"<b>{seconds}</b>")
    on = html.escape(_("Round on:"))
    # TRANSLATORS: how many students have handed in a drawing in the round so far.
    handed_in = html.escape(_("{n} in").format(n=entered))
    large = "" if controls else " hwr-large"  # the projector's
    st.html(f'<div class="hwr-round-status{large}" data-round="{found.id}">{on} '
            f'<b>{html.escape(round_title(found))}</b>{timer} &middot; {handed_in}</div>')
    if not controls:
        return
    st.button(_("End the round"), key="end_round", on_click=end_round, args=(found.id,),
              icon=":material/stop_circle:")


def _entry_row(e) -> str:
    answer = "?" if e.not_a_digit else str(e.answer)
    verdict = (f'<td class="hwr-right">&#10003; {html.escape(_("right"))}</td>' if e.correct
               else f'<td class="hwr-wrong">&#10007; {html.escape(_("wrong"))}</td>')
    name = html.escape(e.nickname)
    return (f'<tr class="hwr-round-row" data-student="{name}"><td>{name}</td>'
            f'<td>{e.prompt}</td><td>{answer}</td>{verdict}'
            f'<td>{html.escape(percent(e.confidence))}</td></tr>')


def results_html(results: RoundResults, large: bool = False) -> str:
    """A round's results for the projector: how many the model read right, a row per
    student, the hardest drawings and the ones that fooled it (escaped nicknames)."""
    found, entries = results.round, results.entries
    parts = [f'<div class="hwr-round-results{" hwr-large" if large else ""}" '
             f'data-round="{found.id}" data-right="{results.right}" '
             f'data-entries="{len(entries)}">',
             f'<div class="hwr-round-score">{score_html(results)}</div>']
    if found.incomplete:
        incomplete = _("These results are incomplete: class data was unavailable for a "
                       "while during the round.")
        parts.append(f'<p class="hwr-incomplete">{html.escape(incomplete)}</p>')
    if entries:
        heads = "".join(f"<th>{html.escape(h)}</th>" for h in (
            _("Student"), _("Asked for"), _("Read as"), _("Right?"), _("Confidence")))
        parts.append(f'<table class="hwr-round-table"><thead><tr>{heads}'
                     f'</tr></thead><tbody>{"".join(map(_entry_row, entries))}</tbody>'
                     '</table>')
    for title, chosen, cls in ((_("Hardest: read right, but only just"), results.hardest,
                                "hwr-round-hardest"),
                               (_("They fooled the model"), results.fooled[:12],
                                "hwr-round-fooled")):
        if chosen:
            figures = "".join(figure_html(
                e.image, html.escape(_("{name}: a {digit} read as {answer} ({confidence})")
                                     .format(name=e.nickname, digit=e.prompt,
                                             answer="?" if e.not_a_digit else e.answer,
                                             confidence=percent(e.confidence))), 84)
                for e in chosen)
            parts.append(f'<div class="{cls}"><h4>{html.escape(title)}</h4>'
                         f'<div class="hwr-gallery">{figures}</div></div>')
    parts.append("</div>")
    return "".join(parts)


def score_html(results: RoundResults) -> str:
    """"<title>: the model read <b>3 of 4</b> right" (escaped; the count in bold)."""
    n = len(results.entries)
    # TRANSLATORS: {title} is the round's prompt, {count} e.g. "3 of 4" (drawings).
    sentence = html.escape(_("{title}: the model read {count} right"))
    count = html.escape(_("{right} of {n}").format(right=results.right, n=n))
    return sentence.replace("{title}", html.escape(round_title(results.round))).replace(
        "{count}", f"<b>{count}</b>", 1)


def round_panel(lesson: Lesson, projector: bool = False) -> None:
    """The round that runs (with End), else the latest round's results until the
    teacher closes them (on every wall), and the form for the next. ``projector``: large,
    and without any control."""
    db = class_collection()
    found = db.current_round(lesson.id)
    if found is not None and found.deadline is not None:
        wait = found.deadline + GRACE - time.time()
        if 0 < wait <= WALL_REFRESH:  # the timer runs out before the next refresh: the
            time.sleep(wait + 0.01)  # results go up on time, not up to a second late
            found = db.current_round(lesson.id)  # due now: ended here (or elsewhere)
    if found is not None:
        round_status(found, db.entry_count(found.id), controls=not projector)
        return
    latest = next(iter(db.rounds(lesson.id)), None)
    if latest is not None and db.results_closed(lesson.id) != latest.id:
        st.html(results_html(db.round_results(latest.id, approved_only=projector),
                             projector))
        if projector:
            return
        a, b = st.columns(2)
        a.button(_("Close the results"), key="close_results", on_click=close_results,
                 args=(lesson.id, latest.id), icon=":material/close:")
        # The file made now, not when tapped: this panel reruns every second, and a file
        # made at the tap was dropped by the next rerun before a busy browser fetched it
        # (the download "canceled", seen in CI). Made now, the same rounds give the same
        # file at each rerun, and it stays.
        b.download_button(_("Download the rounds (CSV)"), key="rounds_csv",
                          data=rounds_csv(lesson.id), file_name=csv_name(lesson.name),
                          mime="text/csv", icon=":material/download:")
    if not projector:
        round_form(lesson)


def rounds_csv(class_id: int) -> str:
    return results_csv(class_collection().class_results(class_id))


def csv_name(name: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in name).strip("-")[:40] or "class"
    return f"rounds-{safe}.csv"


def rounds_section(class_id: int | None) -> None:
    """The class's rounds, and (for the teacher) their results as CSV."""
    if class_id in (ALL_SAMPLES, NO_CLASS):
        return
    results = class_collection().class_results(class_id)
    if not results:
        return
    # The table's words are the page's language; the CSV's columns stay English.
    with st.expander(_("Rounds: {n}").format(n=len(results))):
        st.dataframe([{
            # TRANSLATORS: a column: the round's number in the class.
            _("round"): n + 1,
            _("started"): date_time(r.round.started),
            _("prompt"): round_title(r.round),
            _("timer"): _("{seconds} s").format(seconds=r.round.seconds)
            if r.round.seconds else "-",
            _("drawings"): len(r.entries), _("read right"): r.right,
            _("note"): _("incomplete") if r.round.incomplete else
                    (_("running") if r.round.running else ""),
        } for n, r in enumerate(results)], hide_index=True)
        if is_teacher():
            st.download_button(_("Download the rounds (CSV)"), results_csv(results),
                               file_name="rounds.csv", mime="text/csv",
                               key="class_rounds_csv", icon=":material/download:")
