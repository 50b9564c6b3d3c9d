import keras
import numpy as np
import pytest
import tensorflow as tf

from hwr.learning.augment import make_augment_fn, random_affine, random_stroke_thickness
from hwr.learning.config import AugmentConfig, ModelConfig, TrainConfig
from hwr.learning.model import build_model
from tests.support.files import synthetic_digits


def test_model_maps_images_to_class_probabilities():
    model = build_model(ModelConfig())
    out = model(np.random.rand(3, 28, 28, 1).astype("float32"), training=False).numpy()
    assert out.shape == (3, 11)  # ten digits and "not a digit"
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    ten = build_model(ModelConfig(), classes=10)
    assert ten(np.zeros((1, 28, 28, 1), "float32"), training=False).shape == (1, 10)
    assert 200_000 < model.count_params() < 500_000  # small enough for instant inference


def test_model_has_no_augmentation_layers():
    """Augmentation lives in the data pipeline: inference must be deterministic."""
    model = build_model()
    names = [layer.__class__.__name__ for layer in model.layers]
    assert not any(n.startswith("Random") for n in names)
    x = np.random.rand(2, 28, 28, 1).astype("float32")
    np.testing.assert_array_equal(model(x, training=False), model(x, training=False))


def test_config_round_trips_through_json(tmp_path):
    config = TrainConfig(epochs=3, limit=50)
    config.augment.flip = True
    config.styles.slashed_zero = 0.5
    path = tmp_path / "config.json"
    import json

    path.write_text(json.dumps({"train": config.to_dict()}))
    assert TrainConfig.from_json(path) == config


@pytest.fixture
def batch():
    images, labels = synthetic_digits(64)
    return tf.constant(images[..., None] / 255.0, tf.float32), tf.constant(labels)


def test_augmentation_keeps_shape_range_and_labels(batch):
    keras.utils.set_random_seed(0)
    images, labels = batch
    out, out_labels = make_augment_fn(AugmentConfig(), seed=0)(images, labels)
    assert out.shape == images.shape and out.dtype == tf.float32
    assert float(tf.reduce_min(out)) >= 0.0 and float(tf.reduce_max(out)) <= 1.0
    np.testing.assert_array_equal(out_labels, labels)
    assert not np.allclose(out.numpy(), images.numpy())  # it did change the images


def test_affine_with_zero_ranges_is_identity(batch):
    images, _ = batch
    still = AugmentConfig(rotation_degrees=0, shift_fraction=0, shear=0, zoom_fraction=0)
    np.testing.assert_allclose(random_affine(images, still), images, atol=1e-5)


def test_stroke_thickness_changes_ink_amount_both_ways(batch):
    images, _ = batch
    thicker = random_stroke_thickness(
        images, AugmentConfig(thickness_probability=1.0, thicken=1.0, thin=-0.5))
    thinner = random_stroke_thickness(
        images, AugmentConfig(thickness_probability=1.0, thicken=-0.5, thin=1.0))
    assert float(tf.reduce_sum(thicker)) > float(tf.reduce_sum(images)) > float(
        tf.reduce_sum(thinner))


def test_flip_is_off_by_default():
    assert AugmentConfig().flip is False


def test_a_model_card_from_before_styles_reads_as_plain_mnist():
    """The shipped model's config.json of an earlier version has no styles section."""
    config = TrainConfig.from_dict({"epochs": 40, "augment": {}, "model": {}})
    assert config.styles.non_digits == 0
    assert not any(config.styles.shares().values())
