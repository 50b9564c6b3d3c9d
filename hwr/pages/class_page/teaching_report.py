"""What a class's fine-tune used and what it changed, in the page's language: which of
the class's drawings teaching uses (before it starts, and as a new model used them), the
store's moments as the page writes them, and a new model's before/after comparison
(accuracy per digit, the digits it now reads right, the held-out digits' cell view).
Apart from ``model_teaching.py`` (which model answers, the fine-tune's start, progress and
end, choosing a model) because it only describes a fine-tune's selection and report:
nothing here starts a fine-tune or changes which model answers."""

from __future__ import annotations

import html
from datetime import datetime

import numpy as np
import streamlit as st

from hwr.class_data.collection import ALL_SAMPLES
from hwr.class_data.curation import LeftOut
from hwr.class_data.model_store import ModelVersion
from hwr.learning.finetune import load_pictures
from hwr.pages.class_page.curation_cells import held_out_cells
from hwr.pages.shared.language import N_, _, date_time, ngettext, number, percent
from hwr.pages.shared.markup import (
    GALLERY_MAX,
    THUMBNAIL_SIZE,
    figure_html,
    show_image_grid,
)

# How a fine-tune chose its held-out digits (hwr.learning writes it in English).
SPLITS = {"by student": N_("by student"), "at random": N_("at random")}


def moment(iso: str) -> str:
    """An ISO 8601 moment (the store's, in UTC) as the page's language writes it, or ""."""
    try:
        return date_time(datetime.fromisoformat(iso).timestamp())
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def left_out_sentence(left_out: LeftOut) -> str:
    """How many of the class's drawings teaching uses, how many it leaves out and why,
    and the relabelled (LeftOut.sentence, translated)."""
    reasons = [
        ngettext("{count} left out by the teacher", "{count} left out by the teacher",
                 left_out.excluded).format(count=left_out.excluded)
        if left_out.excluded else "",
        ngettext("{count} hidden on the wall", "{count} hidden on the wall",
                 left_out.hidden).format(count=left_out.hidden) if left_out.hidden else "",
        ngettext("{count} of removed students", "{count} of removed students",
                 left_out.removed).format(count=left_out.removed) if left_out.removed else ""]
    text = ngettext("{used} of the class's {total} drawing",
                    "{used} of the class's {total} drawings",
                    left_out.total).format(used=left_out.total - left_out.count,
                                           total=left_out.total)
    if left_out.count:
        text = _("{drawings} (left out: {reasons})").format(
            drawings=text, reasons=", ".join(r for r in reasons if r))
    if left_out.relabelled:
        text = ngettext("{drawings}, {count} of them under your label",
                        "{drawings}, {count} of them under your label",
                        left_out.relabelled).format(drawings=text,
                                                    count=left_out.relabelled)
    return text


def points(change: float, decimals: int) -> str:
    """A change of accuracy in percentage points, signed ("+1.5 points"); one that
    rounds to zero unsigned ("0.0 points")."""
    if round(abs(change), decimals) == 0:
        return _("{change} points").format(change=number(0.0, decimals))
    signed = ("-" if change < 0 else "+") + number(abs(change), decimals)
    return _("{change} points").format(change=signed)


def change_metric(column, label: str, before: float, after: float, decimals: int) -> None:
    """An accuracy after a fine-tune and its change in points: green up, red down, and
    grey with no arrow when it rounds to no change."""
    change = (after - before) * 100
    still = round(abs(change), decimals) == 0
    column.metric(label, percent(after, 1), points(change, decimals),
                  delta_color="off" if still else "normal",
                  delta_arrow="off" if still else "auto")


def learned_from(version: ModelVersion) -> int:
    """How many class digits a model learned from: those it trained on, not the ones
    held back to check it (older versions without the figure: all of them)."""
    return int(version.report.get("trained_on", version.class_digits))


def show_before_after(version: ModelVersion) -> None:
    """Accuracy before and after, per digit, and the digits it now reads right."""
    held, mnist = version.report["held_out"], version.report["mnist"]
    a, b = st.columns(2)
    change_metric(a, _("Our held-out digits ({count}, never learned from)").format(
        count=held["count"]), held["before"], held["after"], 1)
    if mnist.get("on", "test") == "test":
        mnist_label = _("MNIST test digits ({count})").format(count=number(mnist["count"]))
    else:  # the replay file's check digits: no MNIST test set on this server
        mnist_label = _("MNIST digits it never learned from ({count})").format(
            count=number(mnist["count"]))
    change_metric(b, mnist_label, mnist["before"], mnist["after"], 2)
    split = version.report["split"]
    st.caption(ngettext("Learned from {trained} of the class's {total} digit; the others, "
                        "chosen {split}, only check it.",
                        "Learned from {trained} of the class's {total} digits; the others, "
                        "chosen {split}, only check it.",
                        version.class_digits).format(
                            trained=version.report["trained_on"], total=version.class_digits,
                            split=_(SPLITS[split]) if split in SPLITS else split))
    left_out = LeftOut.from_report(version.report)
    if left_out is not None:
        when = moment(left_out.as_of)
        st.caption(_("It used {drawings}, as they were when it started ({when}).").format(
            drawings=left_out_sentence(left_out), when=when) if when else
            _("It used {drawings}, as they were when it started.").format(
                drawings=left_out_sentence(left_out)))
    # TRANSLATORS: the table's columns: accuracy on the class's held-out digits and on
    # MNIST's test digits, before and after the fine-tune
    columns = (_("ours before"), _("ours after"), _("MNIST before"), _("MNIST after"))
    st.dataframe({
        _("digit"): list(range(10)),
        columns[0]: [held["per_digit_before"].get(str(d)) for d in range(10)],
        columns[1]: [held["per_digit_after"].get(str(d)) for d in range(10)],
        columns[2]: [mnist["per_digit_before"].get(str(d)) for d in range(10)],
        columns[3]: [mnist["per_digit_after"].get(str(d)) for d in range(10)],
    }, hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="percent") for c in columns})
    pictures = load_pictures(version.path)
    if pictures is not None:
        fixed = np.flatnonzero((pictures["before"] != pictures["labels"]) &
                               (pictures["after"] == pictures["labels"]))
        if len(fixed):
            st.markdown("**{}**".format(_("Misread before, read right now:")))
            show_image_grid([figure_html(pictures["images"][i], html.escape(
                _("a {digit}: was {before}, now {after}").format(
                    digit=pictures["labels"][i], before=pictures["before"][i],
                    after=pictures["after"][i]), quote=False),
                THUMBNAIL_SIZE) for i in fixed[:GALLERY_MAX]])
    held_out_cells(pictures, ALL_SAMPLES)  # the label check's cell view (teacher only)
