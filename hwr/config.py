"""One object holds every knob of a training run; it is saved beside the model it made."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class AugmentConfig:
    """Random transforms applied to training batches only (never at inference).

    Flipping is off by default: a mirrored 2, 3, 5 or 7 is not that digit, so flips
    would teach the network wrong labels.
    """

    enabled: bool = True
    rotation_degrees: float = 10.0
    shift_fraction: float = 0.1
    shear: float = 0.15
    zoom_fraction: float = 0.1
    # Keras' RandomElasticTransform (elastic distortion took early CNNs to 99.6%); off by
    # default: it resamples the image a second time, and the affine transform plus stroke
    # thickness already reach the target.
    elastic_probability: float = 0.0
    elastic_scale: float = 0.5
    # Browser strokes are thicker or thinner than MNIST's pen: blend each image towards
    # its dilation (up to ``thicken``) or erosion (up to ``thin``).
    thickness_probability: float = 0.5
    thicken: float = 1.0
    thin: float = 0.5
    flip: bool = False


@dataclass
class ModelConfig:
    """The CNN: three stages of conv-conv-strided conv with batch norm, then dropout."""

    filters: tuple[int, ...] = (32, 64)
    head_filters: int = 128
    dropout: float = 0.4


@dataclass
class TrainConfig:
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 2e-3  # peak, after one warm-up epoch; cosine decay to ~0
    min_learning_rate_fraction: float = 0.005
    validation_size: int = 5_000  # carved from the training set; the test set chooses nothing
    seed: int = 42
    limit: int | None = None  # train on a subset (smoke tests)
    extra_data: list[str] = field(default_factory=list)  # .npz/IDX dirs added to training
    init_from: str | None = None  # a model directory to fine-tune instead of starting anew
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        model = ModelConfig(**{**d.pop("model", {})})
        model.filters = tuple(model.filters)
        augment = AugmentConfig(**d.pop("augment", {}))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(model=model, augment=augment, **{k: v for k, v in d.items() if k in known})

    @classmethod
    def from_json(cls, path: str | Path) -> "TrainConfig":
        """Read the ``train`` section of a model directory's ``config.json``."""
        data = json.loads(Path(path).read_text())
        return cls.from_dict(data.get("train", data))
