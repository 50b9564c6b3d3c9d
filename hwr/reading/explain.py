"""Looking inside the network: layer activations and Grad-CAM for one image.

These run only when a user opens "Inside the network"; drawing stays on the fast path.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from hwr.sizes import IMAGE_SIZE
from hwr.translation import N_


@dataclass(frozen=True)
class Explanation:
    # (what the layer does, in words for a student, and its (H, W, C) maps)
    activations: list[tuple[Words, np.ndarray]]
    grad_cam: np.ndarray  # (28, 28) in [0, 1]: where the evidence for the class lies
    saliency: np.ndarray  # (28, 28) in [0, 1]: |d probability / d pixel|
    target: int


def _conv_outputs(model: keras.Model) -> list[tuple[keras.layers.Conv2D, keras.layers.Layer]]:
    """Each convolution, with the activation after it (what the next layer sees)."""
    layers = model.layers
    picked = []
    for i, layer in enumerate(layers):
        if isinstance(layer, keras.layers.Conv2D):
            follow = layers[i + 1:i + 3]
            act = next((f for f in follow if isinstance(f, keras.layers.Activation)), layer)
            picked.append((layer, act))
    return picked


class Words(str):
    """A sentence for a student, in any language: the English sentence itself (a
    ``str``), with its ``template`` marked for the catalogs (``N_``) and the ``values``
    that fill it in. A page shows ``_(words.template).format(**words.values)``."""

    template: str
    values: dict

    def __new__(cls, template: str, **values):
        words = super().__new__(cls, template.format(**values))
        words.template, words.values = template, values
        return words

    def __reduce__(self):  # pickle and copy with the template and its values
        return _words, (self.template, self.values)


def _words(template: str, values: dict) -> Words:
    return Words(template, **values)


def describe(n: int, conv: keras.layers.Conv2D, height: int, width: int) -> Words:
    """What a convolution does, in words for a student (the Keras names stay in the
    model card)."""
    k, filters = conv.kernel_size[0], conv.filters
    if n == 1:
        # TRANSLATORS: what the network's first layer does; {k}x{k} is a patch of pixels
        # ("3x3"), {filters} a number of detectors (32)
        return Words(N_("Layer {n}: {filters} small pattern detectors, each looking at "
                        "{k}x{k} pixels of the drawing: edges and bits of strokes."),
                     n=n, filters=filters, k=k)
    if height == 1 and width == 1:
        # TRANSLATORS: what the network's last convolution does
        return Words(N_("Layer {n}: {filters} detectors that each see the whole digit at "
                        "once: the answer is weighed from these."), n=n, filters=filters)
    if conv.strides[0] > 1:
        # TRANSLATORS: {k}x{k} is a patch ("3x3"); {height}x{width} the picture's new
        # size in pixels ("12x12")
        return Words(N_("Layer {n}: {filters} detectors over {k}x{k} patches of the layer "
                        "before, shrinking the picture to {height}x{width}: each now sees "
                        "a larger part of the digit."),
                     n=n, filters=filters, k=k, height=height, width=width)
    # TRANSLATORS: {k}x{k} is a patch of the layer before ("3x3")
    return Words(N_("Layer {n}: {filters} detectors combining {k}x{k} patches of the layer "
                    "before into larger shapes: curves, corners, loops."),
                 n=n, filters=filters, k=k)


@functools.lru_cache(maxsize=4)
def _probe(model: keras.Model) -> tuple[list[Words], keras.Model]:
    """A model returning every conv activation and the output, and what each layer does;
    built once per model.

    The layers are re-applied to a fresh Input, since a loaded Sequential model has no
    symbolic outputs of its own until it is called."""
    picked = _conv_outputs(model)
    activations = [act for _, act in picked]
    x = inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))
    outputs = []
    for layer in model.layers:
        x = layer(x)
        if layer in activations:
            outputs.append(x)
    words = [describe(n, conv, out.shape[1], out.shape[2])
             for n, ((conv, _), out) in enumerate(zip(picked, outputs), start=1)]
    return words, keras.Model(inputs, outputs + [x])


def explain(model: keras.Model, image: np.ndarray, target: int | None = None) -> Explanation:
    """Activations of every conv layer, Grad-CAM and a gradient saliency map."""
    names, probe = _probe(model)
    x = tf.constant(np.asarray(image, np.float32).reshape(1, IMAGE_SIZE, IMAGE_SIZE, 1))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        *maps, probs = probe(x, training=False)
        target = int(tf.argmax(probs[0])) if target is None else int(target)
        score = probs[:, target]
    # Grad-CAM on the last map with spatial extent: weights = mean gradient per channel.
    spatial = [i for i, m in enumerate(maps) if m.shape[1] >= 4]
    cam_map = maps[spatial[-1]]
    grads = tape.gradient(score, cam_map)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * cam_map, axis=-1))[0].numpy()
    saliency = tf.abs(tape.gradient(score, x))[0, ..., 0].numpy()
    del tape
    return Explanation(
        activations=[(name, m[0].numpy()) for name, m in zip(names, maps)],
        grad_cam=_normalize(_upsample(cam)),
        saliency=_normalize(saliency),
        target=target,
    )


def feature_maps(model: keras.Model, image: np.ndarray) -> list[tuple[Words, np.ndarray]]:
    """Each conv layer's (H, W, C) activations for one image, as ``explain``'s, forward
    only: what the answer channel sends while a stroke is drawn in presentation mode (no
    gradient, a few ms), the Grad-CAM and saliency waiting for the pen-up's ``explain``."""
    names, _ = _probe(model)
    *maps, _ = _forward(model)(
        tf.constant(np.asarray(image, np.float32).reshape(1, IMAGE_SIZE, IMAGE_SIZE, 1)))
    return [(name, m[0].numpy()) for name, m in zip(names, maps)]


@functools.lru_cache(maxsize=4)
def _forward(model: keras.Model):
    """The probe as one compiled graph: 1.5 ms a drawing here against 14 ms called
    eagerly (benchmarks/inside_maps.py), for a reply sent several times a second."""
    _, probe = _probe(model)
    return tf.function(lambda x: probe(x, training=False))


def maps_picture(maps: np.ndarray, width: int = 360) -> Image.Image:
    """One layer's feature maps as the page shows them: the grid (``feature_grid``)
    enlarged by a whole factor, pixels kept square, to about ``width`` pixels."""
    grid = feature_grid(maps)
    scale = max(1, width // grid.shape[1])
    picture = Image.fromarray((grid * 255).astype(np.uint8))
    return picture.resize((grid.shape[1] * scale, grid.shape[0] * scale),
                          Image.Resampling.NEAREST)


def _upsample(cam: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(cam.astype(np.float32)).resize(
        (IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR))


def _normalize(values: np.ndarray) -> np.ndarray:
    values = np.nan_to_num(values.astype(np.float32))
    peak = float(values.max())
    return values / peak if peak > 0 else np.zeros_like(values)


def feature_grid(maps: np.ndarray, columns: int = 8, max_maps: int = 32) -> np.ndarray:
    """(H, W, C) feature maps -> one 2-D image of tiles in [0, 1], for display."""
    maps = maps[..., :max_maps]
    h, w, c = maps.shape
    rows = int(np.ceil(c / columns))
    grid = np.zeros((rows * (h + 1) - 1, columns * (w + 1) - 1), np.float32)
    for k in range(c):
        tile = maps[..., k]
        peak = tile.max()
        tile = tile / peak if peak > 0 else tile
        r, col = divmod(k, columns)
        grid[r * (h + 1):r * (h + 1) + h, col * (w + 1):col * (w + 1) + w] = tile
    return np.clip(grid, 0.0, 1.0)


def overlay(image: np.ndarray, heat: np.ndarray, size: int = 168) -> np.ndarray:
    """The model input in grey with a heat map in red on top, enlarged: RGB uint8."""
    base = np.clip(image, 0, 1) * 0.6
    rgb = np.stack([np.maximum(base, heat), base * (1 - heat), base * (1 - heat)], axis=-1)
    picture = Image.fromarray((rgb * 255).astype(np.uint8))
    return np.asarray(picture.resize((size, size), Image.Resampling.NEAREST))
