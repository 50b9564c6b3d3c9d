"""A model that averages networks trained from different seeds: trained, loaded, explained
and fine-tuned like a single one."""

import json

import numpy as np
import pytest

from hwr import DigitRecognizer
from hwr.learning.config import FineTuneConfig, TrainConfig
from hwr.learning.data import load_mnist
from hwr.learning.finetune import fine_tune, write_version
from hwr.learning.model import networks
from hwr.learning.train import network_seeds, train
from tests.conftest import write_mnist_dir
from tests.support.classes import tilted_class


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    root = tmp_path_factory.mktemp("ensemble")
    data = write_mnist_dir(root / "mnist")
    out = root / "model"
    metrics = train(TrainConfig(epochs=1, limit=300, batch_size=32, seed=3,
                                ensemble_seeds=[5]), out, data_dir=data, verbose=0)
    return out, data, metrics


def test_each_seed_trains_its_own_network_and_the_model_averages_them(ensemble):
    out, _, metrics = ensemble
    rec = DigitRecognizer.load(out)
    inner = networks(rec.model)
    assert rec.network_count == len(inner) == 2
    images = np.random.default_rng(0).random((6, 28, 28, 1)).astype(np.float32)
    each = [network(images, training=False).numpy() for network in inner]
    assert not np.allclose(each[0], each[1], atol=1e-3)  # different seeds, different nets
    np.testing.assert_allclose(rec.predict_scores(images[..., 0]), np.mean(each, axis=0),
                               rtol=1e-4, atol=1e-6)
    assert [n["seed"] for n in metrics["networks"]] == [3, 5]
    assert 0 <= metrics["val_accuracy"] <= 1
    assert metrics["parameters"] == sum(n.count_params() for n in inner)
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 1 and len(history["other_networks"]) == 1
    card = json.loads((out / "config.json").read_text())
    assert card["train"]["ensemble_seeds"] == [5]


def test_a_seed_given_twice_is_refused():
    with pytest.raises(ValueError, match="own seed"):
        network_seeds(TrainConfig(seed=4, ensemble_seeds=[4]))
    assert network_seeds(TrainConfig(seed=4, ensemble_seeds=[9, 2])) == [4, 9, 2]


def test_inside_the_network_shows_the_first_network(ensemble):
    from hwr.reading.explain import explain

    out, _, _ = ensemble
    model = DigitRecognizer.load(out).model
    image = np.random.default_rng(1).random((28, 28)).astype(np.float32)
    of_ensemble = explain(model, image, target=3)
    of_first = explain(networks(model)[0], image, target=3)
    assert len(of_ensemble.activations) == len(of_first.activations) > 0
    for (_, a), (_, b) in zip(of_ensemble.activations, of_first.activations):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_class_model_learns_from_the_first_network(ensemble, tmp_path):
    out, data, _ = ensemble
    mnist = load_mnist(data)
    config = TrainConfig()
    config.finetune = FineTuneConfig(epochs=1, replay=100, min_digits=10)
    tuned = fine_tune(out, tilted_class(mnist, count=40, students=4, seed=2), mnist, config)
    assert len(networks(tuned.model)) == 1
    write_version(tuned, out, tmp_path)
    card = json.loads((tmp_path / "config.json").read_text())
    assert card["train"]["ensemble_seeds"] == [] and card["train"]["seed"] == 3
    assert DigitRecognizer.load(tmp_path).network_count == 1
