"""Static matplotlib figures (for downloads and reports)."""

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
