#!/usr/bin/env python
"""Evaluate a model directory on the MNIST test set, its writing styles and non-digits.

(Re)writes its metrics.json, test_predictions.npz (the per-image probabilities the
Evaluation page shows) and gallery.npz (the test images it shows without MNIST's files) and prints the accuracy, the accuracy on each writing style drawn
onto the MNIST test digits (hwr.learning.styles), how often 8 and 0 are confused, and how often
"not a digit" is said of held-out non-digit drawings and of MNIST test digits.
"""

from __future__ import annotations

import argparse
import sys

from hwr.reading.recognizer import DEFAULT_MODEL_DIR


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model_dir", nargs="?", default=str(DEFAULT_MODEL_DIR),
                   help="model directory (default: the shipped model)")
    p.add_argument("--data-dir", default=None,
                   help="directory with the MNIST IDX files; default: $HWR_DATA_DIR, "
                        "else download")
    args = p.parse_args(argv)

    from hwr import DigitRecognizer, ModelLoadError
    from hwr.learning.data import MnistFileError, load_test_set
    from hwr.learning.evaluate import evaluate_model, write_results
    from hwr.learning.nondigits import NonDigitDataError

    try:
        rec = DigitRecognizer.load(args.model_dir)
        images, labels = load_test_set(args.data_dir)
    except (ModelLoadError, MnistFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        probabilities, measured = evaluate_model(rec.predict_scores, images, labels)
    except NonDigitDataError as e:  # the held-out pen letters' fonts
        print(f"error: {e}", file=sys.stderr)
        return 1
    metrics = write_results(rec.model_dir, labels, probabilities, extra=measured)
    print(report(metrics, rec.knows_non_digits))
    print(f"wrote {rec.model_dir}/metrics.json")
    from hwr.learning.gallery import write_gallery  # the Evaluation page's images offline

    print(f"wrote {write_gallery(rec.model_dir, images, labels, probabilities)}")
    return 0


def report(metrics: dict, knows_non_digits: bool) -> str:
    """The figures as a short table, as the README shows them."""
    flags = metrics["not_a_digit"]
    non_digits = flags["non_digits"]
    lines = [
        f"MNIST test accuracy          {metrics['test_accuracy']:.2%} "
        f"({metrics['test_errors']} errors of {metrics['test_count']}), "
        f"loss {metrics['test_loss']:.4f}",
        f"MNIST test 8s read as 0      {flags['eights_read_as_zero']:.2%}",
        f"MNIST test 0s read as 8      {flags['zeros_read_as_eight']:.2%}",
    ]
    drawn = {f"drawn {name}": style for name, style in metrics.get("drawn_styles", {}).items()}
    for name, style in {**metrics["styles"], **drawn}.items():
        read_as = ", ".join(f"{n} as {d}" for d, n in style["read_as"].items()) or "none"
        lines.append(f"style {name:<22} {style['accuracy']:.2%} of {style['count']} "
                     f"(misread: {read_as}; 'not a digit': "
                     f"{style['flagged_not_a_digit']:.2%})")
    if not knows_non_digits:
        lines.append("this model has no 'not a digit' class")
    else:
        lines.append(f"non-digits flagged           {non_digits['flagged']:.2%} of "
                     f"{non_digits['count']} held-out drawings")
        worst = sorted(non_digits["by_kind"].items(), key=lambda kv: kv[1])[:4]
        lines.append("  least flagged: " + ", ".join(f"{k} {v:.0%}" for k, v in worst))
        letters = flags.get("pen_letters")
        if letters:
            lines.append(f"pen letters flagged          {letters['flagged']:.2%} of "
                         f"{letters['count']} held-out ({', '.join(letters['fonts'])})")
            lines.append("  by letter: " + ", ".join(
                f"{c} {v:.0%}" for c, v in letters["by_letter"].items()))
        lines.append(f"MNIST test digits flagged    {flags['mnist_flagged']:.2%}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
