"""Training-time augmentation, applied to batches inside the ``tf.data`` pipeline.

It never becomes part of the saved model, so inference sees exactly the preprocessed
drawing. Besides MNIST's classic rotation/shift/shear/zoom and elastic distortion, it
varies stroke thickness: a browser brush scaled into MNIST's 20x20 box leaves strokes
thicker or thinner than the pen strokes MNIST was written with.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import layers

from hwr.learning.config import AugmentConfig


def random_stroke_thickness(images: tf.Tensor, config: AugmentConfig) -> tf.Tensor:
    """Blend each image towards its 3x3 dilation (thicker) or erosion (thinner).

    A per-image blend weight gives a continuum of widths instead of whole-pixel jumps.
    Its randomness follows TensorFlow's global seed (set by training).
    """
    batch = tf.shape(images)[0]
    amount = tf.random.uniform((batch, 1, 1, 1), -config.thin, config.thicken)
    apply = tf.random.uniform((batch, 1, 1, 1)) < config.thickness_probability
    amount = tf.where(apply, amount, 0.0)
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    target = tf.where(amount > 0, dilated, eroded)
    return images + tf.abs(amount) * (target - images)


def random_affine(images: tf.Tensor, config: AugmentConfig) -> tf.Tensor:
    """Rotation, shear, zoom and shift composed into one transform per image.

    Chaining Keras' ``RandomRotation``, ``RandomShear``, ``RandomZoom`` and
    ``RandomTranslation`` resamples a 28x28 image four times and visibly blurs its thin
    strokes; composing the same random transforms and resampling once keeps them sharp.
    """
    batch = tf.shape(images)[0]
    size = tf.cast(tf.shape(images)[1], tf.float32)
    centre = (size - 1.0) / 2.0

    def uniform(limit: float) -> tf.Tensor:
        return tf.random.uniform((batch,), -limit, limit)

    angle = uniform(config.rotation_degrees * math.pi / 180.0)
    shear_x, shear_y = uniform(config.shear), uniform(config.shear)
    scale = 1.0 / (1.0 + uniform(config.zoom_fraction))  # output -> input coordinates
    shift_x = uniform(config.shift_fraction) * size
    shift_y = uniform(config.shift_fraction) * size
    cos, sin = tf.cos(angle), tf.sin(angle)
    # A = rotation @ shear @ zoom, mapping output offsets from the centre to input offsets.
    a00 = (cos - sin * shear_y) * scale
    a01 = (cos * shear_x - sin) * scale
    a10 = (sin + cos * shear_y) * scale
    a11 = (sin * shear_x + cos) * scale
    a02 = centre + shift_x - a00 * centre - a01 * centre
    a12 = centre + shift_y - a10 * centre - a11 * centre
    zeros = tf.zeros_like(angle)
    transforms = tf.stack([a00, a01, a02, a10, a11, a12, zeros, zeros], axis=1)
    return keras.ops.image.affine_transform(
        images, transforms, interpolation="bilinear", fill_mode="constant"
    )


def build_extra_layers(config: AugmentConfig, seed: int) -> keras.Sequential | None:
    """Optional Keras preprocessing layers on top of the affine transform."""
    stack = []
    if config.elastic_probability > 0:
        stack.append(
            layers.RandomElasticTransform(
                factor=(config.elastic_probability, config.elastic_probability),
                scale=config.elastic_scale,
                fill_mode="constant",
                value_range=(0.0, 1.0),
                seed=seed,
            )
        )
    if config.flip:  # off by default: a mirrored 2, 3, 5 or 7 is not that digit
        stack.append(layers.RandomFlip("horizontal", seed=seed + 1))
    return keras.Sequential(stack, name="augment") if stack else None


def make_augment_fn(config: AugmentConfig, seed: int):
    """A function for ``Dataset.map`` over (images, labels) batches."""
    extra = build_extra_layers(config, seed)

    def augment(images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        images = random_affine(images, config)
        if extra is not None:
            images = extra(images, training=True)
        if config.thickness_probability > 0:
            images = random_stroke_thickness(images, config)
        return tf.clip_by_value(images, 0.0, 1.0), labels

    return augment
