"""A model directory's layout: the files every hwr model folder holds (the shipped one,
a training run's, a class's version), named once, and reading its JSON card files."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

MODEL_FILE = "model.keras"  # the network (Keras' archive)
CONFIG_FILE = "config.json"  # every knob of the run, library versions, data checksums
HISTORY_FILE = "history.json"  # per-epoch loss and accuracy
METRICS_FILE = "metrics.json"  # test figures, styles, non-digits, confusion matrix
PREDICTIONS_FILE = "test_predictions.npz"  # per-image test probabilities
GALLERY_FILE = "gallery.npz"  # the MNIST test images the Evaluation page shows offline
REPLAY_FILE = "replay.npz"  # MNIST training digits a fine-tune replays (hwr.learning.replay)
CARD_FILES = (CONFIG_FILE, MODEL_FILE, HISTORY_FILE, METRICS_FILE)  # a complete run


def file_sha256(path: str | Path) -> str:
    """A file's SHA-256 (a model file's identity: its saved results name it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_card(model_dir: str | Path, name: str) -> dict:
    """One JSON file of a model directory (config.json, metrics.json, ...), or {} when
    it is missing or unreadable: a card is shown as far as it goes."""
    try:
        return json.loads((Path(model_dir) / name).read_text())
    except (OSError, ValueError):
        return {}


def replace_dir(src: Path, dest: Path) -> None:
    """Move a finished model directory ``src`` to ``dest``; an existing ``dest`` is removed
    only after the move (a training run's and a fine-tune's output)."""
    old = None
    if dest.exists():
        old = dest.with_name(f"{dest.name}.old-{int(time.time())}")
        dest.rename(old)
    src.rename(dest)
    if old is not None:
        shutil.rmtree(old)
