"""The CNN, defined once from a :class:`ModelConfig`.

The design is the one the best single MNIST CNNs share: pairs of 3x3 convolutions with
batch normalization, a learned 5x5 strided convolution instead of max pooling, dropout
after each stage. About 330k parameters: one image costs well under a millisecond.
"""

from __future__ import annotations

import keras
from keras import layers

from hwr.learning.config import ModelConfig
from hwr.reading.outputs import NUM_CLASSES
from hwr.sizes import IMAGE_SIZE

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


def _conv_bn(filters: int, kernel: int, strides: int = 1, padding: str = "valid") -> list:
    return [
        layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
    ]


def build_model(config: ModelConfig | None = None, classes: int = NUM_CLASSES + 1) -> keras.Model:
    """A Sequential CNN: 28x28x1 floats in [0, 1] -> softmax over the 10 digits and, as
    an eleventh class, "not a digit" (``classes=10`` leaves it out)."""
    config = config or ModelConfig()
    stack: list = [keras.Input(shape=INPUT_SHAPE)]
    for filters in config.filters:
        stack += _conv_bn(filters, 3)
        stack += _conv_bn(filters, 3)
        stack += _conv_bn(filters, 5, strides=2, padding="same")
        stack.append(layers.Dropout(config.dropout))
    stack += _conv_bn(config.head_filters, 4)  # 4x4 -> 1x1: a dense layer over the map
    stack += [
        layers.Flatten(),
        layers.Dropout(config.dropout),
        layers.Dense(classes, activation="softmax"),
    ]
    return keras.Sequential(stack, name="hwr_cnn")
