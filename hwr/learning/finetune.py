"""Fine-tuning: a trained model learns a class's own handwriting in seconds.

The class's digits are few (a few hundred against MNIST's 60,000), so each epoch shows
every one of them several times beside a fresh replay of MNIST training digits (with the
writing styles and non-digits the model already knows, so it forgets nothing), with a
small learning rate for a few epochs, augmentation on. A share of the class's digits,
whole students where the collection knows who wrote what, is held out and never trained
on: it measures the model before and after honestly. What it forgot of MNIST is measured
too, never used to choose anything.

The replayed digits are ``mnist.x_train``: the app and the command line pass the
shipped replay file's 3,000 training digits (``hwr.learning.replay.replay_mnist``),
always, whether or not ``$HWR_DATA_DIR`` is set, so a class's model does not depend on a
server setting and nothing is ever downloaded. ``mnist.x_test`` is what the forgetting is
measured on: MNIST's test set where ``$HWR_DATA_DIR`` has it, else the file's check
digits (``mnist.measured_on``, recorded as the report's ``mnist["on"]``).

``fine_tune`` is the algorithm; the Class page runs it in a background job
(``hwr/teaching/jobs.py``) and ``scripts/train.py --init-from`` from the command
line, with the same defaults.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from hwr.learning.config import FineTuneConfig, StyleConfig, TrainConfig
from hwr.learning.data import Mnist
from hwr.learning.evaluate import CLASSES, StalePredictionsError, load_predictions
from hwr.model_dir import CONFIG_FILE, METRICS_FILE, MODEL_FILE, replace_dir
from hwr.reading.outputs import NOT_A_DIGIT, NUM_CLASSES, split_scores
from hwr.sizes import IMAGE_SIZE
from hwr.translation import Message
from hwr.translation import N_

INK_MIN = 0.02  # mean ink below this: an empty drawing, not a digit to learn
PICTURES_FILE = "held_out.npz"  # the held-out class digits, read before and after


class FineTuneError(RuntimeError):
    """Why a fine-tune cannot run, in a sentence for the teacher: ``message``, said in
    the teacher's language where it is shown (``hwr.translation.Message``); ``str()`` is
    its English. A plain string is kept as it is (the command line's own words)."""

    def __init__(self, message: Message | str):
        self.message = message if isinstance(message, Message) else Message(message)
        super().__init__(str(self.message))


class Cancelled(RuntimeError):
    """The teacher cancelled the fine-tune (``hwr.teaching`` tells them so)."""


@dataclass(frozen=True)
class ClassDigits:
    """A class's confirmed digits: float images in [0, 1] and who wrote each (or None)."""

    images: np.ndarray  # (N, 28, 28)
    labels: np.ndarray  # (N,)
    students: tuple = ()  # one per image where known, else empty

    def __len__(self) -> int:
        return len(self.labels)


def usable(digits: ClassDigits) -> tuple[ClassDigits, int]:
    """The digits a model can learn from, and how many were skipped (a label outside
    0-9, an image of the wrong size, not finite, or empty)."""
    images = np.asarray(digits.images)
    labels = np.asarray(digits.labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or \
            len(images) != len(labels):
        return ClassDigits(np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.float32),
                           np.zeros(0, np.int64)), len(labels)
    images = images.astype(np.float32)
    finite = np.isfinite(images).all(axis=(1, 2))
    images = np.where(finite[:, None, None], images, 0.0)
    ok = finite & np.isin(labels, CLASSES) & (np.clip(images, 0, 1).mean(axis=(1, 2)) >= INK_MIN)
    students = tuple(s for s, keep in zip(digits.students, ok) if keep) \
        if len(digits.students) == len(labels) else ()
    return (ClassDigits(np.clip(images[ok], 0, 1), labels[ok].astype(np.int64), students),
            int((~ok).sum()))


# TRANSLATORS: digits the class drew, e.g. "1 or 7"
EITHER = N_("{first} or {last}")
ALL_THE_SAME = N_("The class's digits are all {digits}: the model needs at least {needed} "
                  "different digits, or it would learn that every drawing is one of these.")


@dataclass(frozen=True)
class Shortfall:
    """Why a class's digits are not enough to learn from (``shortfall``'s answer): fewer
    than ``min_digits`` of them, or fewer than ``min_different`` different ones."""

    count: int  # the digits
    kinds: tuple[int, ...]  # the different digits among them, smallest first
    min_digits: int
    min_different: int

    @property
    def too_few(self) -> bool:
        """Too few digits (else too few different ones)."""
        return self.count < self.min_digits

    def message(self) -> Message:
        """Why, as the fine-tune tells the teacher (and the command line, in English)."""
        if self.too_few:
            return Message.ngettext(
                "The class has {n} usable digit: the model needs at least {needed} to "
                "learn from (and some to check itself on). Draw and save more on the Draw "
                "page.",
                "The class has {n} usable digits: the model needs at least {needed} to "
                "learn from (and some to check itself on). Draw and save more on the Draw "
                "page.",
                self.count, n=self.count, needed=self.min_digits)
        digits: Message | str = ""
        for digit in map(str, self.kinds):
            digits = Message(EITHER, first=digits, last=digit) if digits else digit
        return Message(ALL_THE_SAME, digits=digits, needed=self.min_different)


def shortfall(labels: np.ndarray, config: FineTuneConfig) -> Shortfall | None:
    """The rule for enough digits, its one owner: None when a class's digits (their
    ``labels``) are enough to learn from, else why not. The Class page asks it before
    it offers its button, the fine-tune again on the digits it can use."""
    labels = np.asarray(labels)
    kinds = tuple(int(d) for d in np.unique(labels))
    if len(labels) < config.min_digits or len(kinds) < config.min_different:
        return Shortfall(len(labels), kinds, config.min_digits, config.min_different)
    return None


class NotEnoughDigits(FineTuneError):
    """Too few class digits, or too few different ones, to learn from (``shortfall``)."""

    def __init__(self, short: Shortfall):
        super().__init__(short.message())
        self.shortfall = short


def check_enough(digits: ClassDigits, config: FineTuneConfig) -> None:
    """Raises NotEnoughDigits (its sentence: ``Shortfall.message``) unless ``digits``
    are enough to learn from."""
    short = shortfall(digits.labels, config)
    if short is not None:
        raise NotEnoughDigits(short)


def split_held_out(digits: ClassDigits, share: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(train indices, held-out indices, how): whole students held out where the
    collection knows two or more writers, else digits at random."""
    rng = np.random.default_rng(seed)
    n = len(digits)
    target = max(1, round(n * share))
    known = [s for s in digits.students if s]
    if len(digits.students) == n and len(set(known)) >= 2 and len(known) == n:
        students = np.array(digits.students)
        order = rng.permutation(np.unique(students))
        held = np.zeros(n, bool)
        for student in order:
            if held.sum() >= target:
                break
            if (held | (students == student)).sum() < n:  # keep someone to learn from
                held |= students == student
        if held.any():
            return np.flatnonzero(~held), np.flatnonzero(held), "by student"
    order = rng.permutation(n)
    return np.sort(order[target:]), np.sort(order[:target]), "at random"


def per_digit_accuracy(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {str(d): float((predicted[labels == d] == d).mean())
            for d in CLASSES if (labels == d).any()}


def accuracy_report(labels: np.ndarray, before: np.ndarray, after: np.ndarray) -> dict:
    return {"before": float((before == labels).mean()), "after": float((after == labels).mean()),
            "per_digit_before": per_digit_accuracy(labels, before),
            "per_digit_after": per_digit_accuracy(labels, after), "count": int(len(labels))}


@dataclass
class Progress:
    """Where a running fine-tune is (read by the page while the thread writes it)."""

    stage: str = "starting"
    epoch: int = 0
    epochs: int = 0
    step: int = 0
    steps: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def fraction(self) -> float:
        if not self.epochs or not self.steps:
            return 0.0
        return min(1.0, ((self.epoch - 1) * self.steps + self.step) / (self.epochs * self.steps))

    @property
    def seconds_left(self) -> float | None:
        done = self.fraction
        if done <= 0.02:
            return None
        return (time.monotonic() - self.started) * (1 - done) / done


@dataclass(frozen=True)
class FineTuned:
    """A fine-tuned model and what it did: ``report`` (JSON-able) holds the figures."""

    model: object  # keras.Model
    report: dict
    test_probabilities: np.ndarray  # the new model on the MNIST test set, for its card
    test_labels: np.ndarray
    held_out: dict[str, np.ndarray]  # images, labels, before, after


def _replay(mnist: Mnist, count: int, styles: StyleConfig, non_digits: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A fresh sample of MNIST training digits, styled as the model learned them, and
    generated non-digits: what keeps the model from forgetting."""
    from hwr.learning.nondigits import training_set
    from hwr.learning.styles import apply_styles

    pick = rng.choice(len(mnist.x_train), size=min(count, len(mnist.x_train)), replace=False)
    images = apply_styles(mnist.x_train[pick].astype(np.float32) / 255.0,
                          mnist.y_train[pick], styles.shares(), rng)
    labels = mnist.y_train[pick].astype(np.int64)
    if non_digits > 0:
        extra = training_set(non_digits, int(rng.integers(1 << 30))).astype(np.float32) / 255
        images = np.concatenate([images, extra])
        labels = np.concatenate([labels, np.full(non_digits, NOT_A_DIGIT)])
    return images, labels


def _predict(model, images: np.ndarray) -> np.ndarray:
    if len(images) == 0:
        return np.zeros((0, NUM_CLASSES), np.float32)
    scores = model(images[..., np.newaxis].astype(np.float32), training=False).numpy() \
        if len(images) <= 256 else model.predict(images[..., np.newaxis], batch_size=1024,
                                                 verbose=0)
    return split_scores(scores)[0]


def _mnist_before(start_dir: Path, model, mnist: Mnist) -> np.ndarray:
    """The starting model's MNIST test predictions: saved with it, or computed."""
    try:
        labels, probabilities = load_predictions(start_dir)
        if np.array_equal(labels, mnist.y_test):
            return probabilities.argmax(axis=1)
    except StalePredictionsError:
        pass
    return _predict(model, mnist.x_test.astype(np.float32) / 255.0).argmax(axis=1)


def _start_model(start_dir: Path, freeze_batch_norm: bool):
    """The start model (only read) and a trainable copy of it."""
    import keras

    start = keras.saving.load_model(start_dir / MODEL_FILE, compile=False, safe_mode=True)
    model = keras.models.clone_model(start)
    model.set_weights(start.get_weights())
    if freeze_batch_norm:  # the few class digits must not move MNIST's statistics
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    return start, model


def _epoch_data(class_x: np.ndarray, class_y: np.ndarray, mnist: Mnist, config: TrainConfig,
                classes: int, rng: np.random.Generator):
    """One epoch: the class's digits (repeated) beside a fresh replay, shuffled, batched
    and augmented as in training."""
    import keras
    import tensorflow as tf

    from hwr.learning.augment import make_augment_fn

    ft = config.finetune
    replay_x, replay_y = _replay(mnist, ft.replay, config.styles, _non_digit_replay(ft, classes),
                                 rng)
    x = np.concatenate([class_x, replay_x])
    y = np.concatenate([class_y, replay_y])
    order = rng.permutation(len(x))
    ds = tf.data.Dataset.from_tensor_slices(
        (x[order][..., np.newaxis], keras.utils.to_categorical(y[order], classes)))
    ds = ds.batch(ft.batch_size)
    if config.augment.enabled:
        ds = ds.map(make_augment_fn(config.augment, int(rng.integers(1 << 30))))
    return ds.prefetch(2)


def _non_digit_replay(ft: FineTuneConfig, classes: int) -> int:
    """Generated non-digits in each epoch's replay: only for a model that knows them."""
    return ft.non_digit_replay if classes > NUM_CLASSES else 0


def _compile(model, ft: FineTuneConfig, steps: int) -> None:
    """A small learning rate, decayed over the whole fine-tune."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(
        ft.learning_rate, decay_steps=max(1, ft.epochs * steps), alpha=0.05)),
        loss="categorical_crossentropy")


def _learn(model, epochs: int, next_epoch: Callable[[], object], state: Progress,
           report_progress: Callable[[Progress], None],
           cancel: threading.Event | None) -> float:
    """The epochs, a batch at a time (so that Cancel answers within a batch); returns
    the seconds spent."""
    started = time.monotonic()
    for epoch in range(1, epochs + 1):
        state.epoch, state.step = epoch, 0
        for x, y in next_epoch():
            if cancel is not None and cancel.is_set():
                raise Cancelled
            model.train_on_batch(x, y)
            state.step += 1
            report_progress(state)
    return time.monotonic() - started


def fine_tune(start_dir: str | Path, digits: ClassDigits, mnist: Mnist,
              config: TrainConfig | None = None,
              progress: Callable[[Progress], None] | None = None,
              cancel: threading.Event | None = None) -> FineTuned:
    """Teach the model in ``start_dir`` the class's ``digits``; the start model is only
    read. Raises NotEnoughDigits (before any training) or Cancelled."""
    config = config or TrainConfig()
    ft = config.finetune
    state = Progress(stage="preparing", epochs=ft.epochs)
    report_progress = progress or (lambda _: None)
    report_progress(state)

    # The data: usable digits, whole students held out, the rest repeated.
    digits, skipped = usable(digits)
    check_enough(digits, ft)
    train_idx, held_idx, split = split_held_out(digits, ft.held_out, config.seed)
    rng = np.random.default_rng(config.seed)
    held_images, held_labels = digits.images[held_idx], digits.labels[held_idx]
    class_x = np.repeat(digits.images[train_idx], ft.class_repeats, axis=0)
    class_y = np.repeat(digits.labels[train_idx], ft.class_repeats)

    # The model: a copy of the start model, measured on the held-out digits first.
    start, model = _start_model(Path(start_dir), ft.freeze_batch_norm)
    classes = int(start.output_shape[-1])
    held_before = _predict(start, held_images).argmax(axis=1)

    # Learning.
    replayed = min(ft.replay, len(mnist.x_train))  # each epoch's replay (_replay)
    steps = -(-(len(class_x) + replayed + _non_digit_replay(ft, classes)) // ft.batch_size)
    _compile(model, ft, steps)
    state.stage, state.steps = "learning", steps
    learn_seconds = _learn(
        model, ft.epochs, lambda: _epoch_data(class_x, class_y, mnist, config, classes, rng),
        state, report_progress, cancel)

    # Measuring: the held-out class digits and MNIST's test set, before and after.
    state.stage = "measuring"
    report_progress(state)
    held_after = _predict(model, held_images).argmax(axis=1)
    test_probabilities = _predict(model, mnist.x_test.astype(np.float32) / 255.0)
    mnist_before = _mnist_before(Path(start_dir), start, mnist)
    report = {
        "class_digits": len(digits), "skipped": skipped, "trained_on": int(len(train_idx)),
        "split": split, "held_out": accuracy_report(held_labels, held_before, held_after),
        "mnist": {**accuracy_report(mnist.y_test, mnist_before,
                                    test_probabilities.argmax(axis=1)),
                  "on": mnist.measured_on},
        "learn_seconds": round(learn_seconds, 1),
        "config": dataclasses.asdict(ft),
    }
    held_out = {"images": np.round(held_images * 255).astype(np.uint8),
                "labels": held_labels.astype(np.uint8), "before": held_before.astype(np.uint8),
                "after": held_after.astype(np.uint8)}
    return FineTuned(model, report, test_probabilities, mnist.y_test, held_out)


def write_version(fine_tuned: FineTuned, start_dir: str | Path, directory: Path) -> None:
    """Fill a model store directory: the model (no optimizer state), its card (the
    start model's config plus the fine-tune's), its MNIST test results and the held-out
    class digits for the before/after pictures."""
    import json

    import keras

    from hwr.learning.evaluate import write_results

    clean = keras.models.clone_model(fine_tuned.model)
    clean.set_weights(fine_tuned.model.get_weights())
    clean.save(directory / MODEL_FILE)
    try:
        card = json.loads((Path(start_dir) / CONFIG_FILE).read_text())
    except (OSError, ValueError):
        card = {}
    card["finetune"] = fine_tuned.report["config"]
    card["finetuned_from"] = str(start_dir)
    (directory / CONFIG_FILE).write_text(json.dumps(card, indent=1))
    extra = {"finetune": {k: v for k, v in fine_tuned.report.items() if k != "config"}}
    if fine_tuned.report["mnist"].get("on", "test") == "test":
        write_results(directory, fine_tuned.test_labels, fine_tuned.test_probabilities,
                      extra=extra)
    else:  # measured on the replay file's check digits: no test results to show
        (directory / METRICS_FILE).write_text(json.dumps(extra, indent=1))
    np.savez_compressed(directory / PICTURES_FILE, **fine_tuned.held_out)


def load_pictures(directory: str | Path) -> dict[str, np.ndarray] | None:
    """The held-out class digits of a version, read before and after; None if absent."""
    try:
        with np.load(Path(directory) / PICTURES_FILE, allow_pickle=False) as data:
            return {k: data[k] for k in ("images", "labels", "before", "after")}
    except (OSError, ValueError, KeyError):
        return None


def fine_tune_files(config: TrainConfig, out_dir: str | Path,
                    data_dir: str | Path | None = None) -> dict:
    """The command-line form of the Class page's button: fine-tune ``config.init_from``
    on the digits of ``config.extra_data`` (.npz exports or IDX folders; who wrote them
    is unknown, so the held-out share is drawn at random) and write a complete model
    directory to ``out_dir``, replaced only once finished. It replays the shipped
    replay file and measures on MNIST's test set in ``data_dir`` (or ``$HWR_DATA_DIR``)
    if readable, else on the file's check digits: no download. Returns the report."""
    import shutil
    import tempfile

    from hwr.learning.data import load_extra
    from hwr.learning.replay import ReplayFileError, replay_mnist

    if not config.init_from or not config.extra_data:
        raise FineTuneError("A fine-tune needs --init-from MODEL_DIR and --extra-data FILE.")
    parts = [load_extra(path) for path in config.extra_data]
    digits = ClassDigits(np.concatenate([p[0] for p in parts]).astype(np.float32) / 255.0,
                         np.concatenate([p[1] for p in parts]).astype(np.int64))
    check_enough(usable(digits)[0], config.finetune)  # at once, before MNIST and TensorFlow
    try:
        mnist = replay_mnist(data_dir=data_dir)
    except ReplayFileError as e:
        raise FineTuneError(f"The MNIST digits a fine-tune replays cannot be used: {e}.") \
            from None
    result = fine_tune(config.init_from, digits, mnist, config, progress=_print_progress)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        write_version(result, config.init_from, work)
        replace_dir(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return result.report


def _print_progress(progress: Progress) -> None:
    if progress.stage == "learning" and progress.step == progress.steps:
        print(f"pass {progress.epoch} of {progress.epochs} done", flush=True)
