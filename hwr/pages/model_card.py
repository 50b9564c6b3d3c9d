"""What the Evaluation page tells about the model itself: the headline figures, the
model card (architecture, training recipe, data checksums), the per-digit table, the
writing styles and non-digits, and the training curves."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from hwr.learning.gallery import ATTRIBUTION, STYLE_EXAMPLES
from hwr.learning.plots import example_rows_figure, figure_png
from hwr.model_dir import CONFIG_FILE, HISTORY_FILE
from hwr.reading.recognizer import DigitRecognizer

CURVE_WIDTH = 300


def show_headline(metrics: dict) -> None:
    a, b, c = st.columns(3)
    a.metric("Test accuracy", f"{metrics['test_accuracy']:.2%}")
    b.metric("Errors", f"{metrics['test_errors']} of {metrics['test_count']:,}")
    c.metric("Test loss", f"{metrics['test_loss']:.4f}")


def first_stage_epochs(saved: dict, train: dict) -> int | str:
    run, polish = saved.get("epochs_run"), train.get("polish", {}).get("epochs", 0)
    return run - polish if isinstance(run, int) else "?"


def polish_note(polish: dict) -> str:
    """The second training stage, as the model card lists it (none before it existed)."""
    if not polish.get("epochs"):
        return ""
    degrees, length = polish["flag_degrees"], polish["flag_length"]
    return (f", then {polish['epochs']} epochs of polish at {polish['learning_rate']:g} with "
            f"the ones' flags drawn {degrees[0]:g}-{degrees[1]:g} degrees off the stem and "
            f"{length[0]:.0%}-{length[1]:.0%} of the height"
            + (f", {polish['one_stroke']:.0%} of them in one stroke (an inverted V)"
               if polish.get("one_stroke") else ""))


def letters_note(data: dict) -> str:
    """Where the non-digit letters came from, per stage: the fonts are part of the
    recipe (a model trained on other fonts is another model)."""
    parts = []
    for key, stage in (("non_digit_letters", "training"),
                       ("polish_non_digit_letters", "polish")):
        record = data.get(key)
        if not record:
            continue
        fonts = ", ".join(record.get("train_fonts", [])) or "?"
        package = f" ({record['package']})" if record.get("package") else ""
        held_out = (f"; held out for testing: {', '.join(record['test_fonts'])}"
                    if record.get("test_fonts") else "")
        parts.append(f"{stage}: {record.get('source', '?')}{package}, fonts {fonts}{held_out}")
    return ". ".join(parts)


def show_model_card(rec: DigitRecognizer, saved: dict) -> None:
    config = rec.metadata(CONFIG_FILE)
    train = config.get("train", {})
    with st.expander("Model card"):
        layers = [f"{layer.__class__.__name__}" for layer in rec.model.layers]
        st.markdown(
            f"- **Architecture**: {len(layers)} layers ({', '.join(dict.fromkeys(layers))}), "
            f"{rec.model.count_params():,} parameters\n"
            f"- **Training**: {first_stage_epochs(saved, train)} epochs (best at epoch "
            f"{saved.get('best_epoch', '?')}){polish_note(train.get('polish', {}))}, batch "
            f"{train.get('batch_size', '?')}, {saved.get('train_seconds', 0) / 60:.0f} min, "
            f"seed {train.get('seed', '?')}\n"
            f"- **Validation accuracy**: {saved.get('val_accuracy', 0):.2%} on "
            f"{config.get('data', {}).get('validation_count', '?')} held-out training images\n"
            f"- **Created**: {config.get('created', '?')}, with "
            + ", ".join(f"{k} {v}" for k, v in config.get("versions", {}).items())
        )
        st.markdown("**Augmentation**: " + ", ".join(
            f"`{k}` {v}" for k, v in train.get("augment", {}).items()))
        styles = train.get("styles", {})
        shares = {k: v for k, v in styles.items() if isinstance(v, float) and v > 0}
        st.markdown(
            "**Writing styles** (share of that digit's training images): "
            + (", ".join(f"{k.replace('_', ' ')} {v:.0%}" for k, v in shares.items())
               or "none")
            + ". **Not a digit**: " + (
                f"{styles['non_digits']:,} generated drawings (letters, shapes) as an "
                "eleventh class" if styles.get("non_digits") else "not learned"))
        letters = letters_note(config.get("data", {}))
        if letters:
            st.markdown(f"**Letters among the non-digits**: {letters}")
        st.markdown("**Data checksums (sha256)**\n" + "".join(
            f"\n- {name}: `{digest}`"
            for name, digest in config.get("data", {}).get("sha256", {}).items()))
        st.markdown(f"**Test images**: {ATTRIBUTION}")


def show_per_class(metrics: dict) -> None:
    table = pd.DataFrame(metrics["per_class"]).T
    table.index.name = "digit"
    st.table(
        table.style.format({"precision": "{:.2%}", "recall": "{:.2%}", "f1": "{:.2%}",
                            "support": "{:.0f}"}).background_gradient(
            # The colour map's middle only, under dark text: AA contrast (4.5:1) in
            # every cell (its dark ends took light text to 2:1).
            subset=["f1"], cmap="RdYlGn", vmin=0.98, vmax=1.0, low=0.35, high=0.35,
            text_color_threshold=0),
    )


@st.cache_data
def training_curves_chart(history: dict) -> dict:
    """Loss (log scale) and accuracy side by side in one Vega-Lite spec: one view for the
    browser to start instead of two."""
    df = pd.DataFrame([
        {"epoch": epoch + 1, "metric": metric, "split": split, "value": values[epoch]}
        for metric in ("loss", "accuracy")
        for split, values in (("training", history[metric]),
                              ("validation", history[f"val_{metric}"]))
        for epoch in range(len(values))
    ])

    def panel(metric: str, scale: alt.Scale) -> alt.Chart:
        return alt.Chart(df[df.metric == metric], title=metric).mark_line(point=True).encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=None, scale=scale),
            color=alt.Color("split:N", title=None,
                            scale=alt.Scale(range=["#7a8a99", "#e4572e"])),
            tooltip=["epoch", "split", alt.Tooltip("value:Q", format=".4f")],
        ).properties(width=CURVE_WIDTH, height=220)

    return alt.hconcat(panel("loss", alt.Scale(type="log")),
                       panel("accuracy", alt.Scale(zero=False))).to_dict()


@st.cache_data
def examples_png(images: np.ndarray, labels: np.ndarray) -> bytes:
    from hwr.learning import nondigits, styles

    rows = styles.examples(images, labels, STYLE_EXAMPLES)  # per style
    rows.update(nondigits.examples(10))
    return figure_png(example_rows_figure(rows))


def show_styles(rec: DigitRecognizer, saved: dict, labels: np.ndarray,
                images: np.ndarray | None) -> None:
    """Accuracy on each writing style MNIST lacks, and on drawings that are no digit."""
    if "styles" not in saved:
        st.info("This model's writing styles have not been measured: run "
                "`python scripts/evaluate.py`.", icon=":material/info:")
        return
    flags = saved["not_a_digit"]
    table = pd.DataFrame([{
        "style": name.replace("_", " "),
        "read right": style["accuracy"],
        "images": style["count"],
        "misread as": ", ".join(f"{d} ({n})" for d, n in style["read_as"].items()) or "-",
        "called not a digit": style["flagged_not_a_digit"],
    } for name, style in saved["styles"].items()]).set_index("style")
    st.table(table.style.format({"read right": "{:.2%}", "called not a digit": "{:.2%}"}))
    a, b, c, d = st.columns(4)
    if rec.knows_non_digits:
        a.metric("Non-digits called 'not a digit'", f"{flags['non_digits']['flagged']:.1%}",
                 help=f"{flags['non_digits']['count']:,} held-out drawings: letters in "
                      "fonts never trained on, shapes from other seeds")
        b.metric("Test digits called 'not a digit'", f"{flags['mnist_flagged']:.2%}")
    c.metric("8s read as 0", f"{flags['eights_read_as_zero']:.2%}")
    d.metric("0s read as 8", f"{flags['zeros_read_as_eight']:.2%}")
    if images is not None:
        st.image(examples_png(images, labels),
                 caption="Examples: MNIST test digits restyled (never trained on), and "
                         "held-out non-digit drawings as the model sees them",
                 alt="A grid of small 28x28 pictures: restyled test digits and drawings "
                     "that are not digits")


def show_training_curves(rec: DigitRecognizer) -> None:
    history = rec.metadata(HISTORY_FILE)
    if not all(history.get(k) for k in ("loss", "val_loss", "accuracy", "val_accuracy")):
        st.info("This model directory has no training history.")
        return
    with st.container(key="curves"):
        st.vega_lite_chart(spec=training_curves_chart(history))
