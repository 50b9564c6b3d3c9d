"""One object holds every knob of a training run; it is saved beside the model it made."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path


def knob(default, help: str, **kwargs):
    """A config field with its help text (``scripts/train.py --help`` shows it)."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default),
                     metadata={"help": help}, **kwargs)
    return field(default=default, metadata={"help": help}, **kwargs)


@dataclass
class AugmentConfig:
    """Random transforms applied to training batches only (never at inference).

    Flipping is off by default: a mirrored 2, 3, 5 or 7 is not that digit, so flips
    would teach the network wrong labels.
    """

    enabled: bool = knob(True, "augment the training batches at all")
    rotation_degrees: float = knob(10.0, "largest random rotation, degrees")
    shift_fraction: float = knob(0.1, "largest random shift, as a fraction of the side")
    shear: float = knob(0.15, "largest random shear")
    zoom_fraction: float = knob(0.1, "largest random zoom in or out")
    elastic_probability: float = knob(
        0.0, "share of images given Keras' RandomElasticTransform (off: the affine "
             "transform and stroke thickness already reach the target)")
    elastic_scale: float = knob(0.5, "strength of the elastic distortion")
    thickness_probability: float = knob(
        0.5, "share of images made thicker or thinner (browser strokes differ from "
             "MNIST's pen)")
    thicken: float = knob(1.0, "largest blend towards the image's 3x3 dilation")
    thin: float = knob(0.5, "largest blend towards the image's 3x3 erosion")
    flip: bool = knob(False, "mirror images left-right (wrong for 2, 3, 5, 7)")


@dataclass
class StyleConfig:
    """Ways of writing that MNIST lacks, and drawings that are not digits.

    Each style share is the fraction of that digit's training images that get the style,
    drawn on the fly in every batch (``hwr.learning.styles``; the two ones split the 1s). The
    validation split gets the same shares, drawn once. ``non_digits`` generated
    non-digit drawings (``hwr.learning.nondigits``) become an eleventh class, "not a digit";
    0 trains a ten-class model as before.
    """

    slashed_zero: float = knob(0.3, "share of the 0s given a slash")
    flagged_one: float = knob(0.2, "share of the 1s given a flag (the continental 1)")
    footed_one: float = knob(0.1, "share of the 1s given a flag and a foot")
    crossed_seven: float = knob(0.3, "share of the 7s given a crossbar")
    non_digits: int = knob(10_000, "generated non-digit drawings learned as an eleventh "
                                   "class (0: a ten-class model)")
    non_digit_validation: int = knob(1_000, "generated non-digit drawings added to the "
                                            "validation split")
    flag_degrees: tuple[float, float] = knob((15.0, 45.0), "range of a flagged 1's turn "
                                                           "off the stem, degrees")
    flag_length: tuple[float, float] = knob((0.15, 0.5), "range of the flag's length, as a "
                                                         "share of the height")
    letters: str = knob("truetype", "where the non-digit letters come from: 'hershey' "
                                    "(pen strokes from the Hershey-Fonts package's vector "
                                    "fonts, the same on every machine), 'hershey_capitals' "
                                    "(their capitals only) or 'truetype' (the "
                                    "machine's DejaVu fonts, required; what the shipped "
                                    "model's first stage learned)")

    def shares(self) -> dict[str, float]:
        return {"slashed_zero": self.slashed_zero, "flagged_one": self.flagged_one,
                "footed_one": self.footed_one, "crossed_seven": self.crossed_seven}

    def flag(self) -> dict:
        return {"degrees": tuple(self.flag_degrees), "length": tuple(self.flag_length)}


@dataclass
class PolishConfig:
    """A few epochs after training, at a small rate, with longer and flatter flags on 1s
    and pen-written non-digit letters.

    Why a second stage: the continental 1 drawn with a long flag was read as 7 by a model
    trained with flags to 45 degrees and 50% of the height; training with longer flags
    from the start read it, but read canvas-like 7s and 8s worse. Polishing the trained
    network with them reads it and keeps the rest (README, "Writing styles"). The polish
    draws its own non-digits when its ``letters`` differ from the first stage's.
    """

    epochs: int = knob(4, "epochs of polish after training (0: none); the last one is kept")
    learning_rate: float = knob(1e-4, "Adam learning rate, cosine decay to a fiftieth of it")
    flag_degrees: tuple[float, float] = knob((15.0, 50.0), "range of the flag's turn off "
                                                           "the stem, degrees")
    flag_length: tuple[float, float] = knob((0.15, 0.9), "range of the flag's length, "
                                                         "as a share of the height")
    one_stroke: float | None = knob(0.5, "share of the flagged 1s written in one stroke "
                                         "(the flag turning at the stem's tip); the rest "
                                         "land near it as a second stroke would (none: "
                                         "always at the tip, as before)")
    letters: str | None = knob("hershey_capitals", "where the polish's non-digit letters "
                                                   "come from (see --styles-letters; none: "
                                                   "the first stage's non-digits)")
    non_digits: int | None = knob(5_000, "generated non-digit drawings the polish learns "
                                         "from (none: as many as the first stage)")
    short_bar_sevens: int = knob(0, "training 1s the polish also learns as 7s with a short "
                                    "top bar (made_sevens): the 7 nearest the long-flag "
                                    "one")
    seed_offset: int = knob(1000, "added to --seed for the polish's shuffling, styles and "
                                  "augmentation")

    def flag(self) -> dict:
        return {"degrees": tuple(self.flag_degrees), "length": tuple(self.flag_length),
                "one_stroke": self.one_stroke}


@dataclass
class ModelConfig:
    """The CNN: three stages of conv-conv-strided conv with batch norm, then dropout."""

    filters: tuple[int, ...] = knob((32, 64), "filters of each conv stage")
    head_filters: int = knob(128, "features of the last convolution")
    dropout: float = knob(0.4, "dropout after each stage")


@dataclass
class FineTuneConfig:
    """Learning a class's own digits, from a trained model (the Class page's button and
    ``scripts/train.py --init-from``).

    A few hundred class digits must count against the model's 60,000: each epoch shows
    every class digit ``class_repeats`` times, beside a fresh sample of ``replay`` MNIST
    training digits (with the model's writing styles and non-digits) so that nothing it
    knew is forgotten; a small learning rate and few epochs keep it close to where it
    started. ``held_out`` of the class digits (whole students where the collection knows
    who wrote what) are never trained on: they measure before and after honestly.
    """

    epochs: int = knob(4, "passes over the class digits")
    learning_rate: float = knob(5e-4, "Adam learning rate, cosine decay to almost zero")
    batch_size: int = knob(64, "batch size")
    class_repeats: int = knob(4, "times each class digit is shown per epoch")
    replay: int = knob(3_000, "MNIST training digits replayed per epoch")
    non_digit_replay: int = knob(150, "generated non-digits replayed per epoch (models "
                                      "that know 'not a digit')")
    freeze_batch_norm: bool = knob(True, "keep the batch-norm statistics learned on MNIST")
    held_out: float = knob(0.25, "share of the class digits kept aside to measure")
    min_digits: int = knob(30, "fewest usable class digits to learn from")
    min_different: int = knob(3, "fewest different digits among them")
    max_mnist_drop: float = knob(0.003, "MNIST test accuracy a fine-tune may lose before "
                                        "its activation is warned about")


@dataclass
class TrainConfig:
    epochs: int = knob(40, "training epochs")
    batch_size: int = knob(128, "batch size")
    learning_rate: float = knob(2e-3, "peak Adam learning rate, after one warm-up epoch; "
                                      "cosine decay to almost zero")
    min_learning_rate_fraction: float = knob(0.005, "the decay's end, as a fraction of "
                                                    "the peak")
    validation_size: int = knob(5_000, "images carved from the training set for "
                                        "validation (the test set chooses nothing)")
    seed: int = knob(42, "random seed (weights, shuffling, augmentation, styles; and the "
                         "data unless --split-seed)")
    split_seed: int | None = knob(None, "seed of the data: the validation split, its styles "
                                        "and the generated non-digits (default: --seed), so "
                                        "that runs of other seeds share one validation split")
    limit: int | None = knob(None, "train on only this many images (smoke tests)")
    extra_data: list[str] = knob([], "more training digits: .npz files with x/y or "
                                     "directories of training IDX files")
    init_from: str | None = knob(None, "a model directory to fine-tune on the --extra-data "
                                       "digits (the Class page's fine-tune, see finetune)")
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    styles: StyleConfig = field(default_factory=StyleConfig)
    finetune: FineTuneConfig = field(default_factory=FineTuneConfig)
    polish: PolishConfig = field(default_factory=PolishConfig)

    @property
    def data_seed(self) -> int:
        return self.seed if self.split_seed is None else self.split_seed

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        model = ModelConfig(**{**d.pop("model", {})})
        model.filters = tuple(model.filters)
        augment = AugmentConfig(**d.pop("augment", {}))
        # A model card written before styles existed trained on plain MNIST.
        # ... and one written before the letters' source and the flags' ranges were
        # settings learned TrueType letters and the flags then fixed (the defaults).
        styles = StyleConfig(**{"letters": "truetype", **d.pop("styles")}) if "styles" in d \
            else StyleConfig(slashed_zero=0, flagged_one=0, footed_one=0, crossed_seven=0,
                             non_digits=0, non_digit_validation=0)
        styles.flag_degrees, styles.flag_length = (tuple(styles.flag_degrees),
                                                   tuple(styles.flag_length))
        finetune = FineTuneConfig(**d.pop("finetune", {}))
        # ... one written before the polish stage existed had none, and a polish recorded
        # before these settings drew every flag at the tip, with the first stage's letters.
        if "polish" in d:
            polish = PolishConfig(**{"one_stroke": None, "letters": None, "short_bar_sevens": 0,
                              **d.pop("polish")})
        else:
            polish = PolishConfig(epochs=0)
        polish.flag_degrees, polish.flag_length = (tuple(polish.flag_degrees),
                                                   tuple(polish.flag_length))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(model=model, augment=augment, styles=styles, finetune=finetune,
                   polish=polish, **{k: v for k, v in d.items() if k in known})

    def without_polish(self) -> "TrainConfig":
        """The same run's first stage: what a model to polish must have been trained with."""
        return dataclasses.replace(self, polish=PolishConfig(epochs=0))

    @classmethod
    def from_json(cls, path: str | Path) -> "TrainConfig":
        """Read the ``train`` section of a model directory's ``config.json``."""
        data = json.loads(Path(path).read_text())
        return cls.from_dict(data.get("train", data))
