#!/usr/bin/env python
"""The class teaches the model: how fast, how much better, what it forgets, and whether
the students' Draw pages keep answering meanwhile.

1. In this process, the fine-tune the Class page's button runs (``hwr.learning.finetune``, its
   defaults, one TensorFlow thread as in the app server) on --classes synthetic classes
   of --digits digits each (``tests/support/classes.py``: digits the shipped model never
   trained on, written on tablets lying askew; the replay leaves that split out, so no
   held-out class digit is ever shown upright): wall time, the held-out class digits'
   error before and after (whole students held out) and MNIST test accuracy after.
2. With --students N: an app server with one such class in its collection, N simulated
   students drawing a digit every ~3 s (``benchmarks/classroom_load.py``'s clients), and a
   teacher in Chromium who presses "Teach the model our handwriting" on the Class page
   after --lead seconds: the time from the press to the before/after result on the page,
   and the students' latency while the fine-tune runs.
3. With --prank N (instead of 1.): one student of each synthetic class files N of their
   digits under wrong labels (each a random other digit; a student the fine-tune learns
   from, not one its held-out split sets aside). The suspicious list
   (``hwr.class_data.curation``, from the shipped model's probabilities, as the app
   stored them when each digit was drawn) flags ``prank_flagged`` of the N and
   ``false_alarms`` of the right labels. Three fine-tunes, each measured on the same
   held-out digits of the class's students (--test digits at the same angles, never
   learned from): on the clean digits (the N pranked ones taken out), after leaving out
   every flagged digit (``error_curated``), after leaving out only the blocks (the
   flagged digits of a student with ``block_min`` or more: the list's first "Leave these
   out", ``error_curated_blocks``), and with the prank left in. With several
   classes, the JSON's top-level figures are the fewest flagged, the most false alarms and
   the mean errors; ``prank_classes`` holds each class's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.support.figures import print_summary, spread

PASSCODE = "finetune-benchmark"


def in_process(classes: int, digits: int, data_dir: str | None) -> dict:
    from hwr.server.model_loader import _one_thread_per_inference

    _one_thread_per_inference()  # as the app server runs it
    from hwr.learning.data import load_mnist
    from hwr.learning.finetune import fine_tune
    from hwr.reading.recognizer import DEFAULT_MODEL_DIR
    from tests.support.classes import replay_without_unseen, tilted_class

    mnist = load_mnist(data_dir)
    replay = replay_without_unseen(mnist)
    runs = []
    for seed in range(classes):
        started = time.perf_counter()
        report = fine_tune(DEFAULT_MODEL_DIR, tilted_class(mnist, digits, seed=seed),
                           replay).report
        held = report["held_out"]
        runs.append({
            "class": seed, "wall_s": round(time.perf_counter() - started, 1),
            "learn_s": report["learn_seconds"],
            "held_out_error_before": round(1 - held["before"], 4),
            "held_out_error_after": round(1 - held["after"], 4),
            "error_cut": round(1 - (1 - held["after"]) / max(1e-9, 1 - held["before"]), 3),
            "mnist_before": report["mnist"]["before"], "mnist_after": report["mnist"]["after"],
        })
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    wall = [r["wall_s"] for r in runs]
    return {"digits": digits, "classes": runs, "wall_s_max": max(wall),
            "wall_s_median": float(np.median(wall)),
            "error_cut_min": min(r["error_cut"] for r in runs),
            "mnist_after_min": min(r["mnist_after"] for r in runs)}


def digit_error(model, images: np.ndarray, labels: np.ndarray) -> float:
    from hwr.reading.outputs import split_scores

    scores = model.predict(images[..., np.newaxis], batch_size=512, verbose=0)
    return round(float((split_scores(scores)[0].argmax(axis=1) != labels).mean()), 4)


PRANK_RUNS = ("clean", "curated", "curated_blocks", "pranked")


def blocks(flags: np.ndarray, students, block_min: int) -> np.ndarray:
    """The flagged digits of students with ``block_min`` or more flagged."""
    writers = np.array(students)
    out = np.zeros(len(flags), bool)
    for student in np.unique(writers[flags]):
        mine = flags & (writers == student)
        if mine.sum() >= block_min:
            out |= mine
    return out


def prank_class(mnist, replay, seed: int, digits: int, pranked: int, test: int,
                runs: tuple[str, ...] = PRANK_RUNS) -> dict:
    """One synthetic class with one student's prank: flagged, false alarms, and the
    three fine-tunes' errors on the students' held-out digits."""
    from hwr.class_data.curation import CurationConfig, flagged
    from hwr.learning.config import TrainConfig
    from hwr.learning.finetune import ClassDigits, fine_tune, split_held_out
    from hwr.reading.outputs import split_scores
    from hwr.reading.recognizer import DEFAULT_MODEL_DIR, DigitRecognizer
    from tests.support.classes import prank, tilted_class_with_test

    config = TrainConfig()
    clean, held = tilted_class_with_test(mnist, digits, test, seed=seed)
    train_idx, _, _ = split_held_out(clean, config.finetune.held_out, config.seed)
    learners = sorted({clean.students[i] for i in train_idx})
    prankster = learners[np.random.default_rng(seed).integers(len(learners))]
    class_digits, wrong = prank(clean, prankster, pranked, seed=seed)
    # what the app stored when each was drawn: the shipped model's digit probabilities
    recognizer = DigitRecognizer.load(DEFAULT_MODEL_DIR)
    probabilities = split_scores(recognizer.predict_scores(class_digits.images))[0]
    flags = flagged(class_digits.labels, probabilities, class_digits.students)

    def subset(keep: np.ndarray) -> ClassDigits:
        return ClassDigits(class_digits.images[keep], class_digits.labels[keep],
                           tuple(s for s, k in zip(class_digits.students, keep) if k))

    in_blocks = blocks(flags, class_digits.students, CurationConfig().block_min)
    errors, mnist_after = {}, {}
    for name, keep in (("clean", ~wrong), ("curated", ~flags), ("curated_blocks", ~in_blocks),
                       ("pranked", np.ones(len(wrong), bool))):
        if name not in runs:
            continue
        digits_used = subset(keep)
        started = time.perf_counter()
        result = fine_tune(DEFAULT_MODEL_DIR, digits_used, replay, config)
        errors[name] = digit_error(result.model, held.images, held.labels)
        mnist_after[name] = result.report["mnist"]["after"]
        print(json.dumps({"class": seed, "fine_tune": name, "digits": len(digits_used),
                          "error": errors[name],
                          "wall_s": round(time.perf_counter() - started, 1)}),
              file=sys.stderr, flush=True)
    return {
        "class": seed, "prankster": prankster, "pranked": int(wrong.sum()),
        "prank_flagged": int((flags & wrong).sum()),
        "false_alarms": int((flags & ~wrong).sum()),
        "in_blocks": int(in_blocks.sum()),
        "false_alarms_in_blocks": int((in_blocks & ~wrong).sum()),
        "flagged_by_student": {s: int(sum(f for f, w in zip(flags, class_digits.students)
                                          if w == s)) for s in sorted(set(clean.students))},
        "held_out_digits": int(len(held)),
        "error_before": digit_error(recognizer.model, held.images, held.labels),
        **{f"error_{name}": e for name, e in errors.items()},
        **{f"mnist_after_{name}": a for name, a in mnist_after.items()},
    }


def with_prank(classes: int, digits: int, pranked: int, test: int,
               data_dir: str | None, runs: tuple[str, ...] = PRANK_RUNS) -> dict:
    from hwr.server.model_loader import _one_thread_per_inference

    _one_thread_per_inference()  # as the app server runs it
    from hwr.learning.data import load_mnist
    from tests.support.classes import replay_without_unseen

    mnist = load_mnist(data_dir)
    replay = replay_without_unseen(mnist)
    done = []
    for seed in range(classes):
        done.append(prank_class(mnist, replay, seed, digits, pranked, test, runs))
        print(json.dumps(done[-1]), file=sys.stderr, flush=True)
    mean = {name: round(float(np.mean([r[f"error_{name}"] for r in done])), 4)
            for name in ("before", *runs)}
    return {"digits": digits, "prank": pranked,
            "prank_flagged": min(r["prank_flagged"] for r in done),
            "false_alarms": max(r["false_alarms"] for r in done),
            **{f"error_{name}": e for name, e in mean.items()},
            "prank_classes": done}


async def teacher_presses(url: str, lead: float) -> dict:
    """Unlock on the Teach page, go to the Class page in the same session, press the
    button, and wait for the result."""
    from playwright.async_api import async_playwright

    from tests.support.browser import CHROMIUM_ARGS, chromium_or_exit, teacher_page

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_or_exit(),
                                           args=CHROMIUM_ARGS)
        page = await teacher_page(browser, url, PASSCODE)
        await page.get_by_role("link", name="Class").click()
        button = page.get_by_role("button", name="Teach the model our handwriting")
        await button.wait_for()
        await asyncio.sleep(lead)
        pressed = time.monotonic()
        await button.click()
        await page.get_by_text("Done in").wait_for(timeout=300_000)
        done = time.monotonic()
        await browser.close()
    return {"pressed": pressed, "done": done}


def with_students(students: int, seconds: float, lead: float, digits: int,
                  data_dir: str | None) -> dict:
    import os

    from hwr.class_data.collection import ClassCollection
    from hwr.learning.data import load_mnist
    from benchmarks.classroom_load import student, wait_for_model
    from tests.support.browser import streamlit_server
    from tests.support.classes import tilted_class

    state = Path(tempfile.mkdtemp(prefix="hwr-finetune-"))
    db_path = state / "class.sqlite3"
    db = ClassCollection(db_path)
    lesson = db.start_class("benchmark class")
    class_digits = tilted_class(load_mnist(data_dir), digits, seed=0)
    for image, label, writer in zip(class_digits.images, class_digits.labels,
                                    class_digits.students):
        db.add(image, int(label), np.eye(10)[0], class_id=lesson.id, student=writer)
    env = {"HWR_CLASS_DB": str(db_path), "HWR_TEACHER_PASSCODE": PASSCODE,
           "HWR_DATA_DIR": str(data_dir or os.environ.get("HWR_DATA_DIR", ""))}

    async def run(url: str) -> tuple[list, list, dict]:
        results, errors = [], []
        timed = []

        async def timed_student(i: int) -> None:
            await student(url, i, seconds, 3.0, 30.0, results, errors)

        async def stamp() -> None:  # when each answer arrived, to split by phase
            seen = 0
            while True:
                await asyncio.sleep(0.05)
                while seen < len(results):
                    timed.append((time.monotonic(), results[seen]))
                    seen += 1

        stamper = asyncio.create_task(stamp())
        teacher, *_ = await asyncio.gather(teacher_presses(url, lead),
                                           *[timed_student(i) for i in range(students)])
        await asyncio.sleep(0.2)
        stamper.cancel()
        return timed, errors, teacher

    with streamlit_server(env=env) as url:
        asyncio.run(wait_for_model(url))
        timed, errors, teacher = asyncio.run(run(url))
    during = [r for t, r in timed if teacher["pressed"] <= t <= teacher["done"]]
    answered = [r for _, r in timed if r[3] and r[1] is not None]
    ms = np.array([r[0] for r in during if r[3] and r[1] is not None]) * 1000
    return {
        "students": students, "class_digits": digits,
        "press_to_result_s": round(teacher["done"] - teacher["pressed"], 1),
        "drawings": len(timed), "answered": len(answered),
        "drawings_during_fine_tune": len(during),
        **spread(ms, "{}_ms_during"),
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digits", type=int, default=300, help="class digits per class")
    p.add_argument("--classes", type=int, default=3, help="classes fine-tuned in process")
    p.add_argument("--students", type=int, default=0,
                   help="simulated students drawing while the app fine-tunes (0: skip)")
    p.add_argument("--seconds", type=float, default=60, help="how long they draw")
    p.add_argument("--lead", type=float, default=10, help="seconds of drawing before the "
                   "teacher presses the button")
    p.add_argument("--data-dir", default=None, help="MNIST (default: $HWR_DATA_DIR)")
    p.add_argument("--prank", type=int, default=0, help="one student files this many "
                   "digits under wrong labels: the suspicious list and three fine-tunes "
                   "(clean, curated, pranked) per class, instead of the plain runs")
    p.add_argument("--prank-runs", default=",".join(PRANK_RUNS),
                   help="with --prank: which fine-tunes (of %(default)s)")
    p.add_argument("--test", type=int, default=600, help="with --prank: held-out digits of "
                   "the class's students the fine-tunes are measured on")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    runs = tuple(r for r in args.prank_runs.split(",") if r)
    if args.prank < 0 or args.test < 1 or not set(runs) <= set(PRANK_RUNS):
        p.error(f"--prank takes 0 or more digits, --test 1 or more, --prank-runs some of "
                f"{','.join(PRANK_RUNS)}")

    summary = {}
    if args.prank:
        summary = with_prank(max(1, args.classes), args.digits, args.prank, args.test,
                             args.data_dir, runs)
    elif args.classes:
        summary["in_process"] = in_process(args.classes, args.digits, args.data_dir)
    if args.students:
        summary["in_the_app"] = with_students(args.students, args.seconds, args.lead,
                                              args.digits, args.data_dir)
    print_summary(summary, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
