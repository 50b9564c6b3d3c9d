#!/usr/bin/env python
"""Evaluate a model directory on the MNIST test set.

(Re)writes its metrics.json and test_predictions.npz (the per-image probabilities the
Evaluation page shows) and prints the accuracy.
"""

from __future__ import annotations

import argparse
import sys

from hwr.recognizer import DEFAULT_MODEL_DIR


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model_dir", nargs="?", default=str(DEFAULT_MODEL_DIR),
                   help="model directory (default: the shipped model)")
    p.add_argument("--data-dir", default=None,
                   help="directory with the MNIST IDX files; default: $HWR_DATA_DIR, "
                        "else download")
    args = p.parse_args(argv)

    from hwr import DigitRecognizer, ModelLoadError
    from hwr.data import MnistFileError, load_test_set
    from hwr.evaluate import write_results

    try:
        rec = DigitRecognizer.load(args.model_dir)
        images, labels = load_test_set(args.data_dir)
    except (ModelLoadError, MnistFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    probabilities = rec.predict_proba(images.astype("float32") / 255.0)
    metrics = write_results(rec.model_dir, labels, probabilities)
    print(f"Test accuracy {metrics['test_accuracy']:.4%} ({metrics['test_errors']} errors "
          f"of {metrics['test_count']}), loss {metrics['test_loss']:.4f}; "
          f"wrote {rec.model_dir}/metrics.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
