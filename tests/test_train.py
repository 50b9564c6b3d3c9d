"""The training script end to end, on tiny data the tests write themselves."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hwr import DigitRecognizer
from hwr.learning.data import MnistFileError
from tests.support.files import REPO, load_script, write_mnist_dir

EXPECTED_FILES = {"model.keras", "config.json", "history.json", "metrics.json",
                  "test_predictions.npz"}


@pytest.fixture(scope="module")
def train_script():
    return load_script("train")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, train_script):
    root = tmp_path_factory.mktemp("train")
    data = write_mnist_dir(root / "mnist")
    out = root / "model"
    code = train_script.main(["--epochs", "2", "--limit", "300", "--batch-size", "32",
                              "--data-dir", str(data), "--out", str(out), "--seed", "3",
                              "--polish-epochs", "1"])
    assert code == 0
    return out, data


def test_help_documents_every_flag():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "train.py"), "--help"],
                            capture_output=True, text=True, check=True)
    for flag in ("--epochs", "--batch-size", "--data-dir", "--out", "--seed", "--no-augment",
                 "--limit", "--config"):
        assert flag in result.stdout


@pytest.mark.slow
def test_training_writes_a_complete_model_directory(trained):
    out, _ = trained
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["epochs"] == 2 and config["train"]["limit"] == 300
    assert config["train"]["seed"] == 3
    assert {"tensorflow", "keras", "numpy"} <= set(config["versions"])
    assert len(config["data"]["sha256"]) == 4
    assert config["data"]["train_count"] + config["data"]["validation_count"] == 300
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == len(history["val_accuracy"]) == 3  # 2 + 1 of polish
    assert config["train"]["polish"]["epochs"] == 1
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["polish_epochs"] == 1 and metrics["epochs_run"] == 3
    assert metrics["val_accuracy"] == history["val_accuracy"][-1]  # the polished network's
    assert metrics["test_count"] == 100 and len(metrics["confusion_matrix"]) == 10
    assert sum(map(sum, metrics["confusion_matrix"])) == 100
    assert set(metrics["per_class"]) == {str(d) for d in range(10)}
    assert metrics["parameters"] > 0 and metrics["train_seconds"] > 0
    assert not list(out.parent.glob(".model.*"))  # no temporary directory left behind


@pytest.mark.slow
def test_trained_model_loads_and_predicts(trained):
    out, _ = trained
    rec = DigitRecognizer.load(out)
    probs = rec.predict_proba(np.zeros((5, 28, 28), np.float32))
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert rec.predict_scores(np.zeros((5, 28, 28), np.float32)).shape == (5, 11)
    assert rec.knows_non_digits
    assert rec.model_dir == out


@pytest.mark.slow
def test_training_records_styles_and_measures_them(trained):
    out, _ = trained
    config = json.loads((out / "config.json").read_text())
    styles = config["train"]["styles"]
    assert styles["slashed_zero"] > 0 and styles["non_digits"] > 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["styles"]) == {"slashed_zero", "flagged_one", "footed_one",
                                      "crossed_seven", "long_flag_one", "short_bar_seven"}
    assert set(metrics["drawn_styles"]) == {"long_flag_one", "short_bar_seven"}
    for style in [*metrics["styles"].values(), *metrics["drawn_styles"].values()]:
        assert 0 <= style["accuracy"] <= 1 and style["count"] > 0
    flags = metrics["not_a_digit"]
    assert flags["non_digits"]["count"] == 200 and 0 <= flags["non_digits"]["flagged"] <= 1
    assert 0 <= flags["mnist_flagged"] <= 1
    letters = flags["pen_letters"]
    assert set(letters["by_letter"]) == set("ACEFHKMNPRUVWXY") and letters["count"] == 30


@pytest.mark.slow
def test_the_model_card_lists_the_fonts_and_the_flag_ranges(trained):
    """Where every non-digit letter came from, and how long each stage drew the flags."""
    from hwr.learning.nondigits import HERSHEY_TEST_FONTS, HERSHEY_TRAIN_FONTS

    out, _ = trained
    card = json.loads((out / "config.json").read_text())
    data, train = card["data"], card["train"]
    assert data["non_digit_letters"]["source"] == train["styles"]["letters"] == "truetype"
    assert data["non_digit_letters"]["train_fonts"]  # the DejaVu files, by name
    polish = data["polish_non_digit_letters"]
    assert polish["source"] == train["polish"]["letters"] == "hershey_capitals"
    assert polish["letters"] == "ACEFHKMNPRUVWXY"
    assert polish["train_fonts"] == list(HERSHEY_TRAIN_FONTS)
    assert polish["test_fonts"] == list(HERSHEY_TEST_FONTS)
    assert polish["package"].startswith("Hershey-Fonts ")
    assert train["styles"]["flag_length"] == [0.15, 0.5]
    assert train["polish"]["flag_length"] == [0.15, 0.9]
    assert train["polish"]["one_stroke"] == 0.5


def test_training_data_do_not_depend_on_the_machines_truetype_fonts(monkeypatch, tmp_path):
    """The polish's non-digits (Hershey letters) are the same with the machine's TrueType
    fonts and without any; the TrueType letters refuse to train without theirs."""
    from hwr.learning import nondigits
    from hwr.learning.config import TrainConfig
    from hwr.learning.train import TrainingData, check_non_digit_sources, polish_letters

    config = TrainConfig(limit=600)
    digits = np.zeros((4, 28, 28), np.uint8)
    data = TrainingData(None, digits, np.arange(4), digits, np.arange(4), 11)
    with_fonts = data.with_non_digits(config, polish_letters(config))
    monkeypatch.setattr(nondigits, "FONT_DIRS", (str(tmp_path),))
    nondigits.find_fonts.cache_clear()
    try:
        without = data.with_non_digits(config, polish_letters(config))
        for a, b in zip(with_fonts, without):
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        check_non_digit_sources(config, polish_from="a first stage")  # the polish alone
        with pytest.raises(nondigits.NonDigitDataError, match="DejaVu"):
            check_non_digit_sources(config, polish_from=None)
    finally:
        nondigits.find_fonts.cache_clear()


def test_missing_hershey_data_stops_training_before_it_starts(train_script, tmp_path,
                                                              monkeypatch, capsys):
    from hwr.learning import nondigits

    data = write_mnist_dir(tmp_path / "mnist")
    monkeypatch.setitem(sys.modules, "HersheyFonts", None)  # not installed
    nondigits.hershey_glyphs.cache_clear()
    monkeypatch.setattr("hwr.learning.train.load_mnist",
                        lambda *a: pytest.fail("training started"))
    try:
        code = train_script.main(["--epochs", "1", "--limit", "200", "--data-dir", str(data),
                                  "--out", str(tmp_path / "model")])
    finally:
        nondigits.hershey_glyphs.cache_clear()
    assert code == 2
    assert "Hershey-Fonts package is not installed" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


@pytest.mark.slow
def test_polish_from_a_trained_first_stage(trained, train_script, tmp_path, capsys):
    """--polish-from polishes a model trained with the same config (and records which),
    and refuses a model of another config or one already polished."""
    _, data = trained
    common = ["--epochs", "1", "--limit", "200", "--batch-size", "32", "--data-dir",
              str(data), "--seed", "5"]
    first = tmp_path / "first"
    assert train_script.main([*common, "--polish-epochs", "0", "--out", str(first)]) == 0
    polished = tmp_path / "polished"
    assert train_script.main([*common, "--polish-epochs", "1", "--polish-from", str(first),
                              "--polish-short-bar-sevens", "12",
                              "--out", str(polished)]) == 0, capsys.readouterr().err
    assert "adds 12 training 1s made into short-bar 7s" in capsys.readouterr().out
    card = json.loads((polished / "config.json").read_text())
    assert card["train"]["polish"]["short_bar_sevens"] == 12
    first_metrics = json.loads((first / "metrics.json").read_text())
    assert card["polished"]["model_sha256"] == first_metrics["model_sha256"]
    assert card["train"]["polish"]["epochs"] == 1
    history = json.loads((polished / "history.json").read_text())
    assert len(history["loss"]) == 2  # the first stage's epoch, then the polish's
    assert json.loads((polished / "metrics.json").read_text())["model_sha256"] != \
        first_metrics["model_sha256"]

    refused = tmp_path / "refused"
    assert train_script.main([*common[:-1], "6", "--polish-from", str(first), "--out",
                              str(refused)]) == 2  # another seed
    assert train_script.main([*common, "--polish-from", str(polished), "--out",
                              str(refused)]) == 2  # polished already
    assert train_script.main([*common, "--polish-from", str(tmp_path / "nowhere"), "--out",
                              str(refused)]) == 2  # no model there
    assert not refused.exists()
    assert not list(tmp_path.glob(".refused.*"))  # no temporary directory left behind


def test_a_model_card_from_before_the_polish_stage_reads_as_unpolished(tmp_path):
    from hwr.learning.config import TrainConfig

    recorded = TrainConfig().to_dict()
    del recorded["polish"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"train": recorded}))
    assert TrainConfig.from_json(path).polish.epochs == 0
    path.write_text(json.dumps({"train": TrainConfig().to_dict()}))
    assert TrainConfig.from_json(path) == TrainConfig()  # tuples survive JSON's lists
    older = TrainConfig().to_dict()
    del older["polish"]["short_bar_sevens"]  # a polish recorded before that setting
    path.write_text(json.dumps({"train": older}))
    assert TrainConfig.from_json(path).polish.short_bar_sevens == 0


@pytest.mark.slow
def test_config_reproduces_recorded_run(trained, train_script):
    out, _ = trained
    args = train_script.parse_args(["--config", str(out / "config.json"), "--epochs", "7"])
    config = train_script.config_from_args(args, ["--config", "x", "--epochs", "7"])
    assert config.epochs == 7  # explicit flag wins
    assert config.limit == 300 and config.seed == 3 and config.batch_size == 32


@pytest.mark.slow
def test_failed_run_leaves_existing_model_untouched(trained, train_script, tmp_path):
    out, data = trained
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (data / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(MnistFileError):
        train_script.main(["--epochs", "1", "--limit", "100", "--data-dir", str(data),
                           "--out", str(out)])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.slow
def test_ctrl_c_keeps_best_checkpoint_and_the_old_model(trained, tmp_path):
    import keras

    from hwr.learning.config import TrainConfig
    from hwr.learning.train import train

    out, _ = trained
    data = write_mnist_dir(tmp_path / "mnist")
    before = (out / "model.keras").read_bytes()

    class CtrlC(keras.callbacks.Callback):  # Ctrl-C as Keras sees it, after an epoch
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(epochs=3, limit=200, batch_size=32), out, data_dir=data, verbose=0,
              callbacks=[CtrlC()])
    assert (out / "model.keras").read_bytes() == before
    kept = out.with_name(f"{out.name}.interrupted") / "best.keras"
    assert kept.exists()
    assert keras.saving.load_model(kept).output_shape == (None, 11)  # digits + not a digit


def config_leaves(cls, prefix=""):
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            yield from config_leaves(hints[f.name], f"{prefix}{f.name}-")
        else:
            yield f"--{prefix}{f.name}".replace("_", "-")


def test_every_config_field_has_a_flag_with_help():
    from hwr.learning.config import TrainConfig

    result = subprocess.run([sys.executable, str(REPO / "scripts" / "train.py"), "--help"],
                            capture_output=True, text=True, check=True)
    flags = list(config_leaves(TrainConfig))
    assert len(flags) > 25
    for flag in flags:
        assert flag in result.stdout, flag
    assert "(default: 0.3)" in result.stdout and "share of the 0s given a slash" in \
        result.stdout


def test_nested_flags_set_the_config_and_override_a_recorded_one(train_script, tmp_path):
    import json

    from hwr.learning.config import TrainConfig

    recorded = TrainConfig(epochs=7)
    recorded.styles.slashed_zero = 0.9
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"train": recorded.to_dict()}))
    argv = ["--config", str(path), "--styles-crossed-seven", "0.5", "--model-filters", "16",
            "32", "--no-augment-flip", "--augment-thin", "0.25", "--extra-data", "a.npz",
            "--extra-data", "b"]
    config = train_script.config_from_args(train_script.parse_args(argv))
    assert config.epochs == 7 and config.styles.slashed_zero == 0.9  # kept from the file
    assert config.styles.crossed_seven == 0.5 and config.model.filters == (16, 32)
    assert config.augment.thin == 0.25 and config.augment.flip is False
    assert [Path(p).name for p in config.extra_data] == ["a.npz", "b"]
    assert all(Path(p).is_absolute() for p in config.extra_data)
    assert not train_script.config_from_args(train_script.parse_args(["--no-augment"])
                                             ).augment.enabled
    ranged = train_script.config_from_args(train_script.parse_args(
        ["--polish-flag-degrees", "10", "60"]))
    assert ranged.polish.flag_degrees == (10.0, 60.0)
    with pytest.raises(SystemExit):  # a range is two numbers
        train_script.parse_args(["--polish-flag-length", "0.1", "0.2", "0.3"])


def test_split_seed_keeps_the_validation_split_across_seeds():
    from hwr.learning.config import TrainConfig
    from hwr.learning.data import Mnist
    from hwr.learning.train import split_train_validation

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (500, 28, 28), dtype=np.uint8)
    mnist = Mnist(images, np.arange(500) % 10, images[:10], np.arange(10), "test", {})

    def validation(**seeds):
        _, (x_val, _) = split_train_validation(mnist, TrainConfig(validation_size=50, **seeds))
        return x_val

    assert np.array_equal(validation(seed=7, split_seed=42), validation(seed=3, split_seed=42))
    assert np.array_equal(validation(seed=7, split_seed=42),
                          validation(seed=42, split_seed=None))
    assert not np.array_equal(validation(seed=7, split_seed=None),
                              validation(seed=42, split_seed=None))


def test_the_defaults_are_the_shipped_models_config():
    """`scripts/train.py` with no flags trains the shipped model again (its README claim)."""
    from hwr.learning.config import TrainConfig
    from hwr.reading.recognizer import DEFAULT_MODEL_DIR

    assert TrainConfig.from_json(DEFAULT_MODEL_DIR / "config.json") == TrainConfig()


@pytest.mark.slow
def test_models_compare_on_the_same_validation_images(trained, tmp_path, capsys):
    """scripts/compare_models.py: one row per model, the same figures for the same
    weights, and models validated on different splits refused with a sentence."""
    model, _ = trained
    data = write_mnist_dir(tmp_path / "mnist")  # another test breaks the shared one
    compare = load_script("compare_models")

    def copy(name: str, split_seed=None) -> Path:
        out = tmp_path / name
        out.mkdir()
        for path in model.iterdir():
            (out / path.name).write_bytes(path.read_bytes())
        if split_seed is not None:
            config = json.loads((out / "config.json").read_text())
            config["train"]["split_seed"] = split_seed
            (out / "config.json").write_text(json.dumps(config))
        return out

    same, other = copy("same"), copy("other", split_seed=12345)
    figures = tmp_path / "figures.json"
    assert compare.main([str(model), str(same), "--data-dir", str(data),
                         "--renderings", "1", "--json", str(figures)]) == 0
    result = json.loads(figures.read_text())
    sizes, rows = result["sizes"], result["errors"]
    assert rows[str(model)] == rows[str(same)]  # the same weights, the same images
    assert sizes["plain digits"] == sizes["styled digits"] == \
        sizes["canvas-like renderings"] > 0
    assert all(0 <= count <= sizes[name] for name, count in rows[str(model)].items())

    capsys.readouterr()
    assert compare.main([str(model), str(other), "--data-dir", str(data)]) == 1
    assert "different splits" in capsys.readouterr().err
