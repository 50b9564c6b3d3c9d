"""The public API: a loaded model that turns images into digits.

``DigitRecognizer`` wraps the Keras model in one compiled TensorFlow function with a
fixed input signature, traced once at load time: a single drawing then costs about a
millisecond instead of the ~60 ms of per-call overhead of ``model.predict``. The
function holds no Python state, so one instance is shared safely by all sessions.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwr.model_dir import MODEL_FILE, read_card
from hwr.reading.outputs import NUM_CLASSES, flagged, split_scores
from hwr.reading.preprocess import InvalidImageError, Preprocessed, preprocess, preprocess_number
from hwr.sizes import IMAGE_SIZE
from hwr.translation import N_

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "default"
BATCH = 1024  # large inputs are predicted in chunks of this many images
RESTORE_HINT = (
    "Restore the shipped model with `git checkout -- hwr/models/default`, or train one "
    "with `python scripts/train.py --data-dir ../shared/mnist --out hwr/models/default`."
)


class ModelLoadError(RuntimeError):
    """The model directory is missing, damaged or holds an incompatible model."""


@dataclass(frozen=True)
class Recognition:
    """What the model made of one drawing."""

    is_empty: bool
    model_input: np.ndarray  # the (28, 28) image the model saw
    # each digit's probability, given that the drawing is a digit (they sum to 1)
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros(NUM_CLASSES, np.float32))
    message: str = ""  # why it is empty, for the user: an N_-marked sentence
    not_a_digit: bool = False  # something was drawn, but it looks like no digit
    not_a_digit_probability: float = 0.0

    @property
    def digit(self) -> int | None:
        return None if self.is_empty else int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return 0.0 if self.is_empty else float(np.max(self.probabilities))


@dataclass(frozen=True)
class NumberRecognition:
    """Several digits read left to right."""

    digits: list[Recognition]

    @property
    def text(self) -> str:
        """The digits read, with "?" for a part that looks like no digit."""
        return "".join("?" if d.not_a_digit else str(d.digit) for d in self.digits)

    @property
    def is_empty(self) -> bool:
        return not self.digits


def check_model_dir(model_dir: Path) -> Path:
    path = model_dir / MODEL_FILE
    if not model_dir.is_dir():
        raise ModelLoadError(f"Model directory {model_dir} does not exist. {RESTORE_HINT}")
    if not path.is_file():
        raise ModelLoadError(f"{path} is missing. {RESTORE_HINT}")
    if not zipfile.is_zipfile(path):
        raise ModelLoadError(f"{path} is damaged (not a valid .keras archive). {RESTORE_HINT}")
    return path


class DigitRecognizer:
    """A trained hwr model, ready to predict."""

    def __init__(self, model, model_dir: Path):
        import tensorflow as tf

        self.model = model
        self.model_dir = model_dir
        spec = tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE, 1), tf.float32)
        self._infer = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        self._infer(tf.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 1)))  # trace now, not on stage

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> "DigitRecognizer":
        """Load a model directory (default: the shipped model), in Keras' safe mode."""
        model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        path = check_model_dir(model_dir)
        import keras  # imported here so `import hwr` stays light

        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as e:  # Keras raises many types for damaged archives
            raise ModelLoadError(f"{path} could not be loaded ({e}). {RESTORE_HINT}") from e
        if tuple(model.input_shape[1:]) != (IMAGE_SIZE, IMAGE_SIZE, 1) or \
                tuple(model.output_shape[1:]) not in ((NUM_CLASSES,), (NUM_CLASSES + 1,)):
            raise ModelLoadError(
                f"{path} takes {model.input_shape} and returns {model.output_shape}; hwr "
                f"needs (None, 28, 28, 1) -> (None, 10) or, with 'not a digit', "
                f"(None, 11). {RESTORE_HINT}"
            )
        return cls(model, model_dir)

    def metadata(self, name: str) -> dict:
        """A JSON file of the model directory (config.json, metrics.json, ...), or {}."""
        return read_card(self.model_dir, name)

    @property
    def knows_non_digits(self) -> bool:
        """Whether the model has the eleventh class, "not a digit"."""
        return int(self.model.output_shape[-1]) > NUM_CLASSES

    def predict_scores(self, x) -> np.ndarray:
        """The model's raw softmax: (28, 28) -> (10,) or (11,), or (N, 28, 28) -> (N, ...).

        Images are MNIST-style floats in [0, 1]."""
        try:
            with np.errstate(over="ignore"):  # overflow gives inf, refused below
                array = np.asarray(x, dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise InvalidImageError(N_("Expected numeric images ({detail})."),
                                    detail=str(e)) from None
        single = array.shape == (IMAGE_SIZE, IMAGE_SIZE)
        if single:
            array = array[np.newaxis]
        if array.ndim == 4 and array.shape[-1] == 1:
            array = array[..., 0]
        if array.ndim != 3 or array.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise InvalidImageError(
                N_("Expected (28, 28) or (N, 28, 28) images, got shape {shape}."),
                shape=np.shape(x))
        if not np.isfinite(array).all():
            raise InvalidImageError(N_("The images contain NaN or infinite values."))
        array = np.clip(array, 0.0, 1.0)[..., np.newaxis]
        if len(array) == 0:
            return np.zeros((0, int(self.model.output_shape[-1])), np.float32)
        chunks = [self._infer(array[i:i + BATCH]).numpy() for i in range(0, len(array), BATCH)]
        probs = np.concatenate(chunks)
        return probs[0] if single else probs

    def predict_proba(self, x) -> np.ndarray:
        """(28, 28) -> (10,), or (N, 28, 28) -> (N, 10): each digit's probability, given
        that the image is a digit."""
        return split_scores(self.predict_scores(x))[0]

    def predict(self, x) -> np.ndarray | int:
        """The most probable digit for each image (an int for a single image)."""
        probs = self.predict_proba(x)
        return int(np.argmax(probs)) if probs.ndim == 1 else probs.argmax(axis=1)

    def _recognition(self, prepared: Preprocessed) -> Recognition:
        if prepared.is_empty:
            return Recognition(True, prepared.image, message=prepared.message)
        return self._answer(prepared.image, self.predict_scores(prepared.image))

    @staticmethod
    def _answer(image: np.ndarray, scores: np.ndarray) -> Recognition:
        digits, not_digit = split_scores(scores)
        return Recognition(False, image, digits, not_a_digit=bool(flagged(not_digit)),
                           not_a_digit_probability=float(not_digit))

    def recognize(self, drawing) -> Recognition:
        """Any drawing, photo or array -> the digit, its probabilities and the model input."""
        return self._recognition(preprocess(drawing))

    def recognize_number(self, drawing) -> NumberRecognition:
        """Separated digits side by side, read left to right."""
        images = preprocess_number(drawing)
        if not images:
            return NumberRecognition([])
        scores = self.predict_scores(np.stack(images))
        return NumberRecognition([self._answer(im, s) for im, s in zip(images, scores)])
