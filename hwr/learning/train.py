"""Training: data, model, fit, evaluate, and an atomic model directory.

Everything is written into a temporary sibling directory first and only renamed over
``out_dir`` when the run has finished and been evaluated, so a crashed, failed or
interrupted run never replaces a good model. Ctrl-C keeps the best checkpoint so far in
``<out_dir>.interrupted``.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from hwr.learning.augment import make_augment_fn
from hwr.learning.config import StyleConfig, TrainConfig
from hwr.learning.data import (
    TRAIN_COUNT,
    Mnist,
    load_extra,
    load_mnist,
    to_model_input,
)
from hwr.learning.evaluate import (
    NON_DIGIT_TEST_COUNT,
    evaluate_model,
    write_results,
)
from hwr.learning.model import build_model
from hwr.model_dir import CONFIG_FILE, HISTORY_FILE, METRICS_FILE, MODEL_FILE, replace_dir
from hwr.learning.nondigits import letter_fonts, letters_record
from hwr.learning.nondigits import training_set as non_digit_set
from hwr.learning.styles import apply_styles, made_sevens
from hwr.reading.outputs import NOT_A_DIGIT, NUM_CLASSES

CHECKPOINT_FILE = "best.keras"


def split_train_validation(mnist: Mnist, config: TrainConfig):
    """A seeded validation split carved from the training set (the test set chooses nothing)."""
    order = np.random.default_rng(config.data_seed).permutation(len(mnist.x_train))
    if config.limit:
        order = order[: config.limit]
    n_val = min(config.validation_size, max(1, len(order) // 10))
    val, train = order[:n_val], order[n_val:]
    return (mnist.x_train[train], mnist.y_train[train]), (mnist.x_train[val], mnist.y_train[val])


def output_count(config: TrainConfig) -> int:
    return NUM_CLASSES + 1 if config.styles.non_digits > 0 else NUM_CLASSES


def add_non_digits(images: np.ndarray, labels: np.ndarray, count: int,
                   seed: int, letters: str = "hershey") -> tuple[np.ndarray, np.ndarray]:
    """Append ``count`` generated non-digit drawings (their letters from ``letters``, a
    ``nondigits.LETTER_SOURCES``), labelled NOT_A_DIGIT."""
    if count <= 0:
        return images, labels
    extra = non_digit_set(count, seed, letters)
    return (np.concatenate([images, extra]),
            np.concatenate([labels, np.full(count, NOT_A_DIGIT, labels.dtype)]))


def style_validation(images: np.ndarray, labels: np.ndarray, styles: StyleConfig,
                     seed: int) -> np.ndarray:
    """The validation digits with the training shares of styles, drawn once (seeded)."""
    styled = apply_styles(images.astype(np.float32) / 255.0, labels, styles.shares(),
                          np.random.default_rng([seed, 1]), styles.flag())
    return np.round(styled * 255).astype(np.uint8)


def make_style_fn(styles: StyleConfig, flag: dict | None = None):
    """A ``Dataset.map`` function over ((images, labels), seed) batches that draws the
    writing styles onto a share of each digit (numpy, so it runs as a numpy_function);
    ``flag`` draws the ones' flags other than by default (the polish stage)."""
    shares = styles.shares()

    def draw(images: np.ndarray, onehot: np.ndarray, seed: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(int(seed) & 0x7FFFFFFF)
        return apply_styles(images, onehot.argmax(axis=1), shares, rng, flag)

    def style(batch, seed):
        images, labels = batch
        styled = tf.numpy_function(draw, [images, labels, seed], tf.float32, stateful=False)
        styled.set_shape(images.shape)
        return styled, labels

    return style


def make_dataset(images: np.ndarray, labels: np.ndarray, config: TrainConfig,
                 training: bool, classes: int = NUM_CLASSES + 1,
                 flag: dict | None = None) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices(
        (to_model_input(images), keras.utils.to_categorical(labels, classes))
    )
    if training:
        ds = ds.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True)
        ds = ds.batch(config.batch_size, drop_remainder=len(images) >= config.batch_size)
        if any(share > 0 for share in config.styles.shares().values()):
            seeds = tf.data.Dataset.random(seed=config.seed)
            ds = tf.data.Dataset.zip((ds, seeds)).map(
                make_style_fn(config.styles, flag or config.styles.flag()),
                num_parallel_calls=tf.data.AUTOTUNE)
        if config.augment.enabled:
            ds = ds.map(make_augment_fn(config.augment, config.seed),
                        num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.batch(1024)
    return ds.prefetch(tf.data.AUTOTUNE)


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int):
    """One epoch of linear warm-up to the peak rate, then cosine decay to almost zero."""
    total = max(2, config.epochs * steps_per_epoch)
    warmup = min(steps_per_epoch, total // 2)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 20,
        warmup_target=config.learning_rate,
        warmup_steps=warmup,
        decay_steps=total - warmup,
        alpha=config.min_learning_rate_fraction,
    )


def polish(model, x_train: np.ndarray, y_train: np.ndarray, val_ds: tf.data.Dataset,
           config: TrainConfig, classes: int, verbose: int = 2,
           callbacks: list | None = None) -> dict[str, list[float]]:
    """The second stage (``config.polish``): a few epochs at a small learning rate with
    longer flags, from the trained weights, in place; returns its history."""
    settings = config.polish
    staged = dataclasses.replace(config, seed=config.seed + settings.seed_offset)
    keras.utils.set_random_seed(staged.seed)
    train_ds = make_dataset(x_train, y_train, staged, training=True, classes=classes,
                            flag=settings.flag())
    steps = int(train_ds.cardinality())
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(
            settings.learning_rate, max(1, settings.epochs * steps), alpha=0.02)),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    print(f"Polishing for {settings.epochs} epochs at {settings.learning_rate:g}, flags "
          f"{settings.flag_degrees} degrees, {settings.flag_length} of the height", flush=True)
    history = model.fit(train_ds, validation_data=val_ds, epochs=settings.epochs,
                        verbose=verbose, shuffle=False, callbacks=callbacks or [])
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


class NotAFirstStage(ValueError):
    """--polish-from names a model that this config's polish cannot start from."""


def first_stage(polish_from: Path, config: TrainConfig, classes: int):
    """A model directory trained with this config's first stage, to polish instead of
    training again: (its network, its history, its training seconds)."""
    missing = [name for name in (CONFIG_FILE, MODEL_FILE, HISTORY_FILE, METRICS_FILE)
               if not (polish_from / name).is_file()]
    if missing:
        raise NotAFirstStage(f"{polish_from} is not a model directory (no "
                             f"{', '.join(missing)})")
    recorded = TrainConfig.from_json(polish_from / CONFIG_FILE)
    if recorded.without_polish() != config.without_polish():
        raise NotAFirstStage(f"{polish_from} was not trained with this config's first "
                             "stage (its config.json differs beyond the polish settings)")
    if recorded.polish.epochs:
        raise NotAFirstStage(f"{polish_from} is already polished")
    model = build_model(config.model, classes)
    model.set_weights(keras.saving.load_model(polish_from / MODEL_FILE,
                                              safe_mode=True).get_weights())
    history = json.loads((polish_from / HISTORY_FILE).read_text())
    seconds = json.loads((polish_from / METRICS_FILE).read_text())["train_seconds"]
    return model, history, seconds


def first_stage_record(polish_from: Path) -> dict:
    """What the model card says about the network it polished."""
    card = json.loads((polish_from / CONFIG_FILE).read_text())
    metrics = json.loads((polish_from / METRICS_FILE).read_text())
    return {"path": str(polish_from.resolve()), "command": card.get("command"),
            "created": card.get("created"), "model_sha256": metrics.get("model_sha256"),
            "train_seconds": metrics.get("train_seconds"),
            "best_epoch": metrics.get("best_epoch")}


def library_versions() -> dict[str, str]:
    import sklearn

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


@dataclasses.dataclass
class TrainingData:
    """MNIST split for a run: training digits (with any extra ones) and validation digits
    (restyled at the training shares when the model knows non-digits); the generated
    non-digits are added per stage (``with_non_digits``), since the polish may draw its
    letters from another source than the first stage."""

    mnist: Mnist
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classes: int

    def with_non_digits(self, config: TrainConfig, letters: str, count: int | None = None):
        """((x_train, y_train), (x_val, y_val)) with the non-digits of ``letters`` added
        (``count`` of them for training; default the config's)."""
        if self.classes <= NUM_CLASSES:
            return (self.x_train, self.y_train), (self.x_val, self.y_val)
        share = min(1.0, config.limit / TRAIN_COUNT) if config.limit else 1.0  # smoke runs
        count = config.styles.non_digits if count is None else count
        train = add_non_digits(self.x_train, self.y_train, round(count * share),
                               config.data_seed, letters)
        val = add_non_digits(self.x_val, self.y_val,
                             round(config.styles.non_digit_validation * share),
                             config.data_seed + 1, letters)
        return train, val


def polish_letters(config: TrainConfig) -> str:
    """Where the polish's non-digit letters come from."""
    return config.polish.letters or config.styles.letters


def polish_non_digits(config: TrainConfig) -> int:
    """How many non-digits the polish learns from."""
    return config.styles.non_digits if config.polish.non_digits is None \
        else config.polish.non_digits


def check_non_digit_sources(config: TrainConfig, polish_from) -> None:
    """Stop before anything runs when the data a stage's non-digits draw from, or the
    held-out pen letters the evaluation draws, is missing or broken
    (``NonDigitDataError`` names it), never training on fewer shapes."""
    if output_count(config) <= NUM_CLASSES:
        return
    if polish_from is None:
        letter_fonts(config.styles.letters)
    if config.polish.epochs:
        letter_fonts(polish_letters(config))
    letter_fonts("hershey", "test")


def load_data(config: TrainConfig, data_dir) -> TrainingData:
    """MNIST, the seeded validation split, the extra digits, the styled validation."""
    mnist = load_mnist(data_dir)
    (x_train, y_train), (x_val, y_val) = split_train_validation(mnist, config)
    for path in config.extra_data:  # e.g. a class's own digits, for fine-tuning
        x_extra, y_extra = load_extra(path)
        x_train, y_train = np.concatenate([x_train, x_extra]), np.concatenate([y_train, y_extra])
        print(f"Added {len(x_extra)} training images from {path}", flush=True)
    classes = output_count(config)
    if classes > NUM_CLASSES:
        x_val = style_validation(x_val, y_val, config.styles, config.data_seed)
    return TrainingData(mnist, x_train, y_train, x_val, y_val, classes)


def fit(data: TrainingData, config: TrainConfig, checkpoint: Path, verbose: int,
        callbacks: list | None):
    """The first stage: train from scratch, keep the best epoch by validation accuracy;
    returns (that network, uncompiled, and the history)."""
    (x_train, y_train), (x_val, y_val) = data.with_non_digits(config, config.styles.letters)
    classes = data.classes
    train_ds = make_dataset(x_train, y_train, config, training=True, classes=classes)
    val_ds = make_dataset(x_val, y_val, config, training=False, classes=classes)
    model = build_model(config.model, classes)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate_schedule(config,
                                                               int(train_ds.cardinality()))),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    print(f"Training on {len(x_train)} images, validating on {len(x_val)}, "
          f"{model.count_params():,} parameters, {config.epochs} epochs", flush=True)
    history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        verbose=verbose,
        shuffle=False,  # the dataset reshuffles itself each epoch
        callbacks=[keras.callbacks.ModelCheckpoint(
            checkpoint, monitor="val_accuracy", save_best_only=True), *(callbacks or [])],
    )
    best = build_model(config.model, classes)  # uncompiled: no optimizer state
    best.set_weights(keras.saving.load_model(checkpoint, safe_mode=True).get_weights())
    checkpoint.unlink()
    return best, {k: [float(v) for v in vals] for k, vals in history.history.items()}


def polish_stage(best, hist: dict, data: TrainingData, config: TrainConfig, verbose: int,
                 callbacks: list | None):
    """The second stage on the network (its own non-digits, ``polish_letters``); returns
    (the polished network, uncompiled, and the whole history)."""
    (x_train, y_train), (x_val, y_val) = data.with_non_digits(
        config, polish_letters(config), polish_non_digits(config))
    if config.polish.short_bar_sevens:
        sevens, seven_labels = made_sevens(data.x_train, data.y_train,
                                           config.polish.short_bar_sevens,
                                           config.data_seed + config.polish.seed_offset)
        x_train = np.concatenate([x_train, sevens])
        y_train = np.concatenate([y_train, seven_labels.astype(y_train.dtype)])
        print(f"The polish adds {len(sevens)} training 1s made into short-bar 7s", flush=True)
    val_ds = make_dataset(x_val, y_val, config, training=False, classes=data.classes)
    polished = polish(best, x_train, y_train, val_ds, config, data.classes, verbose,
                      callbacks)
    network = build_model(config.model, data.classes)  # no optimizer state shipped
    network.set_weights(best.get_weights())
    return network, {k: hist[k] + polished[k] for k in hist}


def non_digit_counts(config: TrainConfig, data: TrainingData) -> dict:
    """How many non-digits each stage learned from, and where their letters came from."""
    if data.classes <= NUM_CLASSES:
        return {"non_digit_train_count": 0, "non_digit_validation_count": 0}
    share = min(1.0, config.limit / TRAIN_COUNT) if config.limit else 1.0
    counts = {"non_digit_train_count": round(config.styles.non_digits * share),
              "non_digit_validation_count": round(config.styles.non_digit_validation * share),
              "non_digit_letters": letters_record(config.styles.letters)}
    if config.polish.epochs and polish_letters(config) != config.styles.letters:
        counts["polish_non_digit_letters"] = letters_record(polish_letters(config))
        counts["polish_non_digit_train_count"] = round(polish_non_digits(config) * share)
    return counts


def write_card(work: Path, best, hist: dict, config: TrainConfig, data: TrainingData,
               polish_from) -> None:
    """The model, its history and its card (config.json) into the work directory."""
    best.save(work / MODEL_FILE)
    (work / HISTORY_FILE).write_text(json.dumps(hist, indent=1))
    (work / CONFIG_FILE).write_text(json.dumps({
        "train": config.to_dict(),
        "command": " ".join(sys.argv),
        **({"polished": first_stage_record(Path(polish_from))} if polish_from else {}),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "data": {"source": data.mnist.source, "sha256": data.mnist.checksums,
                 "train_count": len(data.x_train), "validation_count": len(data.x_val),
                 **non_digit_counts(config, data)},
    }, indent=1))


def evaluation(work: Path, best, hist: dict, config: TrainConfig, data: TrainingData,
               train_seconds: float, best_epoch: int) -> dict:
    """The test set and the held-out styles and non-digits, into metrics.json."""
    def score(images: np.ndarray) -> np.ndarray:
        return best.predict(images[..., np.newaxis], batch_size=1024, verbose=0)

    small = bool(config.limit)  # smoke runs measure a few
    probabilities, measured = evaluate_model(score, data.mnist.x_test, data.mnist.y_test,
                                             200 if small else NON_DIGIT_TEST_COUNT,
                                             small=small)
    return write_results(work, data.mnist.y_test, probabilities, extra={
        "train_seconds": round(train_seconds, 1),
        "epochs_run": len(hist["loss"]),
        "best_epoch": best_epoch,  # of the first stage; the polish's last is kept
        "polish_epochs": config.polish.epochs,
        "val_accuracy": (hist["val_accuracy"][-1] if config.polish.epochs
                         else max(hist["val_accuracy"])),  # the kept network's
        "parameters": int(best.count_params()),
        **measured,
    })


def train(config: TrainConfig, out_dir: str | Path, data_dir: str | Path | None = None,
          verbose: int = 2, callbacks: list | None = None,
          polish_from: str | Path | None = None) -> dict:
    """Train from scratch (then polish, ``config.polish``), evaluate on the test set and
    write a complete model directory; returns metrics. (Fine-tuning a trained model on a
    class's digits is ``hwr.learning.finetune``.)

    ``callbacks`` are extra Keras callbacks (progress reporting, early stopping).
    ``polish_from``: a model directory trained with this config's first stage; only the
    polish runs, from its network. Raises ``NonDigitDataError`` before anything runs
    when the non-digits' data is missing or broken."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    check_non_digit_sources(config, polish_from)
    keras.utils.set_random_seed(config.seed)
    data = load_data(config, data_dir)

    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    checkpoint = work / CHECKPOINT_FILE
    started = time.time()
    try:
        if polish_from is not None:
            best, hist, first_seconds = first_stage(Path(polish_from), config, data.classes)
            print(f"Polishing {polish_from} (its training took {first_seconds:.0f} s)",
                  flush=True)
        else:
            best, hist = fit(data, config, checkpoint, verbose, callbacks)
            first_seconds = 0.0
        best_epoch = int(np.argmax(hist["val_accuracy"])) + 1
        if config.polish.epochs:
            best, hist = polish_stage(best, hist, data, config, verbose, callbacks)
    except KeyboardInterrupt:
        kept = out_dir.with_name(f"{out_dir.name}.interrupted")
        if checkpoint.exists():
            if kept.exists():
                shutil.rmtree(kept)
            work.rename(kept)
            print(f"\nInterrupted: best checkpoint so far kept in {kept / CHECKPOINT_FILE}; "
                  f"{out_dir} is untouched.", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
        raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    train_seconds = first_seconds + time.time() - started

    try:
        write_card(work, best, hist, config, data, polish_from)
        metrics = evaluation(work, best, hist, config, data, train_seconds, best_epoch)
        replace_dir(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return metrics
