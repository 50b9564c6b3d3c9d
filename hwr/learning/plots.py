"""Figures: static matplotlib ones (downloads, reports, pictures of examples) and the
confusion matrix as a Vega-Lite spec for the pages."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on servers

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DIAGONAL_COLOR = "#e8e8e8"  # right answers: present, but not what the eye should catch


def normalize_rows(confusion: np.ndarray) -> np.ndarray:
    """Each true class's row as fractions of that class (recall on the diagonal)."""
    confusion = np.asarray(confusion, dtype=float)
    totals = confusion.sum(axis=1, keepdims=True)
    return np.divide(confusion, totals, out=np.zeros_like(confusion), where=totals > 0)


def off_diagonal(values: np.ndarray) -> np.ndarray:
    """The errors only: a float copy with the diagonal (the right answers) set to 0."""
    errors = np.array(values, dtype=float)
    np.fill_diagonal(errors, 0)
    return errors


def strong_errors(values: np.ndarray) -> np.ndarray:
    """Errors dark enough in the heat maps to need white text: over 60% of the largest."""
    errors = off_diagonal(values)
    return errors > 0.6 * errors.max()


def error_colors(values: np.ndarray) -> list[list[str]]:
    """A fill colour per confusion cell: reds by error size, white where there is no
    error and grey on the diagonal, so the eye goes to the mistakes only."""
    values = np.asarray(values, dtype=float)
    top = off_diagonal(values).max() or 1.0
    return [[DIAGONAL_COLOR if i == j else "#ffffff" if v == 0
             else matplotlib.colors.to_hex(plt.get_cmap("Reds")(0.2 + 0.8 * v / top))
             for j, v in enumerate(row)] for i, row in enumerate(values)]


def confusion_matrix_figure(confusion: np.ndarray, normalize: bool = False,
                            title: str = "MNIST test set") -> plt.Figure:
    """A heat map of the errors: the diagonal is greyed so the mistakes stand out."""
    values = normalize_rows(confusion) if normalize else np.asarray(confusion, dtype=float)
    errors = values.copy()
    np.fill_diagonal(errors, np.nan)
    strong = strong_errors(values)
    fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=120)
    image = ax.imshow(errors, cmap="Reds")
    n = len(values)
    for i in range(n):
        ax.add_patch(plt.Rectangle((i - 0.5, i - 0.5), 1, 1, color=DIAGONAL_COLOR))
        for j in range(n):
            text = f"{values[i, j]:.1%}" if normalize else f"{int(values[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5 if normalize else 7.5,
                    color="white" if strong[i, j] else ("#666" if i == j else "black"))
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title + (" (fraction of each true digit)" if normalize else " (counts)"))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="errors")
    fig.tight_layout()
    return fig


def figure_png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def example_rows_figure(rows: dict[str, np.ndarray], title: str = "") -> plt.Figure:
    """Rows of 28x28 images, each row named on its left (the writing styles, non-digits)."""
    per_row = max(len(images) for images in rows.values())
    fig, axes = plt.subplots(len(rows), per_row, figsize=(0.75 * per_row + 1.6, 0.8 * len(rows)),
                             dpi=110, squeeze=False)
    for ax_row, (name, images) in zip(axes, rows.items()):
        for i, ax in enumerate(ax_row):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if i < len(images):
                ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=255)
        ax_row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(pad=0.3)
    return fig


def confusion_chart(confusion: np.ndarray, normalize: bool) -> dict:
    """The heat map as a Vega-Lite spec (click a cell to select it), built and validated
    once per matrix: Altair's schema validation costs ~40 ms a chart, on every rerun if
    left to st.altair_chart."""
    import altair as alt
    import pandas as pd

    values = normalize_rows(confusion) if normalize else np.asarray(confusion, dtype=float)
    fills = error_colors(values)
    strong = strong_errors(values)
    df = pd.DataFrame([
        {"true": t, "predicted": p, "count": int(confusion[t][p]), "value": values[t][p],
         "fill": fills[t][p],
         "ink": ("#888" if t == p else "#c4c4c4" if confusion[t][p] == 0
                 else "white" if strong[t][p] else "black"),
         "label": f"{values[t][p]:.1%}" if normalize else str(int(confusion[t][p]))}
        for t in range(len(values)) for p in range(len(values))
    ])
    pick = alt.selection_point(name="cell", fields=["true", "predicted"], on="click")
    base = alt.Chart(df).encode(
        x=alt.X("predicted:O", title="predicted digit", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("true:O", title="true digit"),
    )
    cells = base.mark_rect(stroke="#e6e6e6").encode(
        color=alt.Color("fill:N", scale=None),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
        tooltip=["true", "predicted", "count", alt.Tooltip("value:Q", format=".3")],
    ).add_params(pick)
    text = base.mark_text(fontSize=11).encode(text="label:N",
                                              color=alt.Color("ink:N", scale=None))
    return (cells + text).properties(height=420).to_dict()
