"""What the Evaluation page tells about the model itself: the headline figures, the
model card (architecture, training recipe, data checksums), the per-digit table, the
writing styles and non-digits, and the training curves."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from hwr.learning.gallery import ATTRIBUTION, STYLE_EXAMPLES
from hwr.learning.plots import example_rows_figure, figure_png
from hwr.model_dir import CONFIG_FILE, HISTORY_FILE
from hwr.pages.shared.language import N_, _, ngettext, number, percent
from hwr.reading.recognizer import DigitRecognizer

CURVE_WIDTH = 300
# The writing styles and the rows of the examples figure, by their English names (the
# metrics' and the figure's keys, spaces for underscores).
SHOWN_NAMES = {
    "slashed zero": N_("slashed zero"),
    "flagged one": N_("flagged one"),
    "footed one": N_("footed one"),
    "crossed seven": N_("crossed seven"),
    "long flag one": N_("long flag one"),
    "short bar seven": N_("short bar seven"),
    "not digits: letters": N_("not digits: letters"),
    "not digits: shapes": N_("not digits: shapes"),
}


def style_name(key: str) -> str:
    """A writing style's (or an examples row's) name in the page's language."""
    name = key.replace("_", " ")
    return _(SHOWN_NAMES[name]) if name in SHOWN_NAMES else name


def show_headline(metrics: dict) -> None:
    a, b, c = st.columns(3)
    a.metric(_("Test accuracy"), percent(metrics["test_accuracy"], 2))
    # TRANSLATORS: the test images the model misread, e.g. "87 of 10,000"
    b.metric(_("Errors"), _("{errors} of {count}").format(
        errors=number(metrics["test_errors"]), count=number(metrics["test_count"])))
    c.metric(_("Test loss"), number(metrics["test_loss"], 4))


def first_stage_epochs(saved: dict, train: dict) -> int | str:
    run, polish = saved.get("epochs_run"), train.get("polish", {}).get("epochs", 0)
    return run - polish if isinstance(run, int) else "?"


def epochs_text(epochs: int | str) -> str:
    """ "40 epochs" ("? epochs" when the card does not say)."""
    if isinstance(epochs, int):
        return ngettext("{n} epoch", "{n} epochs", epochs).format(n=epochs)
    return _("{n} epochs").format(n=epochs)


def polish_note(polish: dict) -> str:
    """The second training stage, as the model card lists it (none before it existed)."""
    if not polish.get("epochs"):
        return ""
    degrees, length = polish["flag_degrees"], polish["flag_length"]
    note = ngettext(
        ", then {n} epoch of polish at {rate} with the ones' flags drawn {low}-{high} "
        "degrees off the stem and {short}-{long} of the height",
        ", then {n} epochs of polish at {rate} with the ones' flags drawn {low}-{high} "
        "degrees off the stem and {short}-{long} of the height", polish["epochs"]).format(
        n=polish["epochs"], rate=f"{polish['learning_rate']:g}", low=f"{degrees[0]:g}",
        high=f"{degrees[1]:g}", short=percent(length[0]), long=percent(length[1]))
    if polish.get("one_stroke"):
        note += _(", {share} of them in one stroke (an inverted V)").format(
            share=percent(polish["one_stroke"]))
    if polish.get("short_bar_sevens"):
        note += _(", and {n} training 1s made into 7s with a short top bar").format(
            n=number(polish["short_bar_sevens"]))
    return note


def letters_note(data: dict) -> str:
    """Where the non-digit letters came from, per stage: the fonts are part of the
    recipe (a model trained on other fonts is another model)."""
    parts = []
    # TRANSLATORS: the model's first training stage (a noun)
    first = _("training")
    # TRANSLATORS: the model's second, short training stage (a noun; not the language)
    second = _("polish")
    for key, stage in (("non_digit_letters", first), ("polish_non_digit_letters", second)):
        record = data.get(key)
        if not record:
            continue
        fonts = ", ".join(record.get("train_fonts", [])) or "?"
        package = f" ({record['package']})" if record.get("package") else ""
        held_out = (_("; held out for testing: {fonts}").format(
            fonts=", ".join(record["test_fonts"])) if record.get("test_fonts") else "")
        parts.append(_("{stage}: {source}{package}, fonts {fonts}{held_out}").format(
            stage=stage, source=record.get("source", "?"), package=package, fonts=fonts,
            held_out=held_out))
    return ". ".join(parts)


def show_model_card(rec: DigitRecognizer, saved: dict) -> None:
    config = rec.metadata(CONFIG_FILE)
    train = config.get("train", {})
    with st.expander(_("Model card")):
        layers = [f"{layer.__class__.__name__}" for layer in rec.model.layers]
        parameters = rec.model.count_params()
        architecture = _("**Architecture**: {layers} ({kinds}), {parameters}").format(
            layers=ngettext("{n} layer", "{n} layers", len(layers)).format(n=len(layers)),
            kinds=", ".join(dict.fromkeys(layers)),
            parameters=ngettext("{n} parameter", "{n} parameters", parameters).format(
                n=number(parameters)))
        training = _("**Training**: {epochs} (best at epoch {best}){polish}, batch {batch}, "
                     "{minutes} min, seed {seed}").format(
            epochs=epochs_text(first_stage_epochs(saved, train)),
            best=saved.get("best_epoch", "?"), polish=polish_note(train.get("polish", {})),
            batch=train.get("batch_size", "?"),
            minutes=number(saved.get("train_seconds", 0) / 60), seed=train.get("seed", "?"))
        validation = _("**Validation accuracy**: {accuracy} on {count} held-out training "
                       "images").format(
            accuracy=percent(saved.get("val_accuracy", 0), 2),
            count=config.get("data", {}).get("validation_count", "?"))
        created = _("**Created**: {date}, with {versions}").format(
            date=config.get("created", "?"),
            versions=", ".join(f"{k} {v}" for k, v in config.get("versions", {}).items()))
        st.markdown("".join(f"- {line}\n" for line in (architecture, training, validation))
                    + f"- {created}")
        st.markdown(_("**Augmentation**: {settings}").format(settings=", ".join(
            f"`{k}` {v}" for k, v in train.get("augment", {}).items())))
        styles = train.get("styles", {})
        shares = {k: v for k, v in styles.items() if isinstance(v, float) and v > 0}
        non_digits = styles.get("non_digits")
        st.markdown(
            _("**Writing styles** (share of that digit's training images): {shares}. "
              "**Not a digit**: {non_digits}").format(
                shares=(", ".join(f"{style_name(k)} {percent(v)}" for k, v in shares.items())
                        # TRANSLATORS: no writing styles were trained
                        or _("none")),
                non_digits=ngettext(
                    "{n} generated drawing (letters, shapes) as an eleventh class",
                    "{n} generated drawings (letters, shapes) as an eleventh class",
                    non_digits).format(n=number(non_digits))
                if non_digits else _("not learned")))
        letters = letters_note(config.get("data", {}))
        if letters:
            st.markdown(_("**Letters among the non-digits**: {letters}").format(letters=letters))
        st.markdown(_("**Data checksums (sha256)**") + "\n" + "".join(
            f"\n- {name}: `{digest}`"
            for name, digest in config.get("data", {}).get("sha256", {}).items()))
        # ATTRIBUTION's sentence is in the catalog where hwr.learning.gallery marks it
        st.markdown(_("**Test images**: {attribution}").format(attribution=_(ATTRIBUTION)))


def show_per_class(metrics: dict) -> None:
    table = pd.DataFrame(metrics["per_class"]).T
    shown = {"precision": _("precision"), "recall": _("recall"),
             # TRANSLATORS: the F1 score (a column heading)
             "f1": _("f1"), "support": _("support")}
    table = table.rename(columns=shown)
    table.index.name = _("digit")
    as_percent = lambda v: percent(v, 2)  # noqa: E731
    st.table(
        table.style.format({shown["precision"]: as_percent, shown["recall"]: as_percent,
                            shown["f1"]: as_percent, shown["support"]: "{:.0f}"})
        .background_gradient(
            # The colour map's middle only, under dark text: AA contrast (4.5:1) in
            # every cell (its dark ends took light text to 2:1).
            subset=[shown["f1"]], cmap="RdYlGn", vmin=0.98, vmax=1.0, low=0.35, high=0.35,
            text_color_threshold=0),
    )


def curve_words() -> dict:
    """The training curves' words in the page's language (the chart's cache key)."""
    words = {"loss": _("loss"), "accuracy": _("accuracy"), "epoch": _("epoch"),
             "value": _("value")}
    # TRANSLATORS: a tooltip's title: which data a curve is on (training or validation)
    words["split"] = _("split")
    # TRANSLATORS: a training curve's name: the data the model learned from
    words["training"] = _("training")
    # TRANSLATORS: a training curve's name: the held-out data the model was checked on
    words["validation"] = _("validation")
    return words


def _named(field: str, names: dict[str, str]) -> str:
    """A Vega expression giving a field's English value's name in the page's language."""
    expr = field
    for value, name in names.items():
        expr = (f"{field} === {json.dumps(value)} ? {json.dumps(name, ensure_ascii=False)} "
                f": ({expr})")
    return expr


@st.cache_data
def training_curves_chart(history: dict, words: dict | None = None) -> dict:
    """Loss (log scale) and accuracy side by side in one Vega-Lite spec: one view for the
    browser to start instead of two. The data keep their English names ("training",
    "validation"); ``words`` (curve_words(), English by default) name them on screen."""
    words = words or {k: k for k in ("loss", "accuracy", "epoch", "split", "value",
                                     "training", "validation")}
    splits = {k: words[k] for k in ("training", "validation")}
    df = pd.DataFrame([
        {"epoch": epoch + 1, "metric": metric, "split": split, "value": values[epoch]}
        for metric in ("loss", "accuracy")
        for split, values in (("training", history[metric]),
                              ("validation", history[f"val_{metric}"]))
        for epoch in range(len(values))
    ])

    def panel(metric: str, scale: alt.Scale) -> alt.Chart:
        return alt.Chart(df[df.metric == metric], title=words[metric]).mark_line(
            point=True).transform_calculate(
            split_shown=_named("datum.split", splits),
        ).encode(
            x=alt.X("epoch:Q", title=words["epoch"], axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=None, scale=scale),
            color=alt.Color("split:N", title=None,
                            scale=alt.Scale(range=["#7a8a99", "#e4572e"]),
                            legend=alt.Legend(labelExpr=_named("datum.label", splits))),
            tooltip=[alt.Tooltip("epoch:Q", title=words["epoch"]),
                     alt.Tooltip("split_shown:N", title=words["split"]),
                     alt.Tooltip("value:Q", title=words["value"], format=".4f")],
        ).properties(width=CURVE_WIDTH, height=220)

    return alt.hconcat(panel("loss", alt.Scale(type="log")),
                       panel("accuracy", alt.Scale(zero=False))).to_dict()


@st.cache_data
def examples_png(images: np.ndarray, labels: np.ndarray, names: dict | None = None) -> bytes:
    """The writing styles' and non-digits' examples, each row named (``names``: the
    rows' English names -> the page's words; the figure's cache key)."""
    from hwr.learning import nondigits, styles

    rows = styles.examples(images, labels, STYLE_EXAMPLES)  # per style
    rows.update(nondigits.examples(10))
    names = names or {}
    return figure_png(example_rows_figure({names.get(k, k): v for k, v in rows.items()}))


def show_styles(rec: DigitRecognizer, saved: dict, labels: np.ndarray,
                images: np.ndarray | None) -> None:
    """Accuracy on each writing style MNIST lacks, and on drawings that are no digit."""
    if "styles" not in saved:
        st.info(_("This model's writing styles have not been measured: run {command}.")
                .format(command="`python scripts/evaluate.py`"), icon=":material/info:")
        return
    flags = saved["not_a_digit"]
    # TRANSLATORS: column headings of the writing styles table
    style, right, count = _("style"), _("read right"), _("images")
    misread, flagged = _("misread as"), _("called not a digit")
    table = pd.DataFrame([{
        style: style_name(name),
        right: result["accuracy"],
        count: result["count"],
        misread: ", ".join(f"{d} ({n})" for d, n in result["read_as"].items()) or "-",
        flagged: result["flagged_not_a_digit"],
    } for name, result in saved["styles"].items()]).set_index(style)
    as_percent = lambda v: percent(v, 2)  # noqa: E731
    st.table(table.style.format({right: as_percent, flagged: as_percent}))
    a, b, c, d = st.columns(4)
    if rec.knows_non_digits:
        held_out = flags["non_digits"]["count"]
        a.metric(_("Non-digits called 'not a digit'"), percent(flags["non_digits"]["flagged"], 1),
                 help=ngettext("{n} held-out drawing: letters in fonts never trained on, "
                               "shapes from other seeds",
                               "{n} held-out drawings: letters in fonts never trained on, "
                               "shapes from other seeds", held_out).format(n=number(held_out)))
        b.metric(_("Test digits called 'not a digit'"), percent(flags["mnist_flagged"], 2))
    c.metric(_("8s read as 0"), percent(flags["eights_read_as_zero"], 2))
    d.metric(_("0s read as 8"), percent(flags["zeros_read_as_eight"], 2))
    if images is not None:
        st.image(examples_png(images, labels, {k: style_name(k) for k in SHOWN_NAMES}),
                 caption=_("Examples: MNIST test digits restyled (never trained on), and "
                           "held-out non-digit drawings as the model sees them"),
                 alt=_("A grid of small 28x28 pictures: restyled test digits and drawings "
                       "that are not digits"))


def show_training_curves(rec: DigitRecognizer) -> None:
    history = rec.metadata(HISTORY_FILE)
    if not all(history.get(k) for k in ("loss", "val_loss", "accuracy", "val_accuracy")):
        st.info(_("This model directory has no training history."))
        return
    with st.container(key="curves"):
        st.vega_lite_chart(spec=training_curves_chart(history, curve_words()))
