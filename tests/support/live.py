"""Live answers in a real browser: what the page showed, and a steady slow stroke.

Shared by ``tests/e2e/test_live.py`` and ``benchmarks/live_answers.py``."""

from __future__ import annotations

import time

import numpy as np

from tests.support.browser import canvas_selector

# Every answer shown, and the pen's last touch down and lift, as the page saw them.
ANSWER_LOG = """(() => {
  const log = window.__hwrAnswers = [];
  const pen = window.__hwrPen = { down: null, up: null };
  addEventListener("pointerdown", () => { pen.down = performance.now(); }, true);
  addEventListener("pointerup", () => { pen.up = performance.now(); }, true);
  let last = null;
  const check = () => {
    // The canvas's panel (the answer channel's reply) while it is there, else Python's.
    const region = document.querySelector(".hwr-channel-answer .hwr-ch-live")
      || document.querySelector(".hwr-live");
    const answer = region && region.querySelector(".hwr-answer, .hwr-ch-digit");
    const entry = {
      seq: region && region.dataset.seq ? Number(region.dataset.seq) : null,
      text: answer ? answer.innerText.trim() : null,
      partial: Boolean(region && region.hasAttribute("data-partial")),
    };
    const key = JSON.stringify(entry);
    if (key !== last) {
      last = key;
      log.push({ ...entry, t: performance.now() });
    }
  };
  addEventListener("DOMContentLoaded", () => new MutationObserver(check).observe(
    document.body, { childList: true, subtree: true, characterData: true, attributes: true }));
})();"""


def slow_stroke(page, stroke, seconds: float, points: int = 40,
                key: str = "canvas-digit") -> None:
    """One stroke drawn steadily over ``seconds``, with real mouse events."""
    canvas = page.locator(canvas_selector(key))
    box = canvas.bounding_box()
    scale = box["width"] / canvas.evaluate("c => c.width / (window.devicePixelRatio || 1)")
    xy = np.array(stroke, float)
    along = np.r_[0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
    steps = np.linspace(0, along[-1], points)
    dense = np.c_[np.interp(steps, along, xy[:, 0]), np.interp(steps, along, xy[:, 1])]
    page.mouse.move(box["x"] + dense[0, 0] * scale, box["y"] + dense[0, 1] * scale)
    page.mouse.down()
    start = time.monotonic()
    for i, (x, y) in enumerate(dense[1:], 1):
        time.sleep(max(0.0, start + seconds * i / (points - 1) - time.monotonic()))
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
    page.mouse.up()


def answers(page) -> tuple[list[dict], dict]:
    return page.evaluate("window.__hwrAnswers"), page.evaluate("window.__hwrPen")


def live_figures(shown: list[dict], pen: dict, sent: list) -> dict:
    """One stroke's live answers: how many the page showed while the pen was down, and
    each one's delay (ms) after the last point it shows was drawn (``sent``: the
    canvas's log, [seq, partial, time of its last point])."""
    at = {seq: t for seq, partial, t in sent if partial}
    live: dict[int, float] = {}  # each live answer, when it was first shown
    for a in shown:
        if a["partial"] and a["seq"] in at and a["t"] > pen["down"]:
            live.setdefault(a["seq"], a["t"])
    during = [s for s, t in live.items() if t < pen["up"]]
    after_up = [a["t"] for a in shown if not a["partial"] and a["t"] > pen["up"]]
    return {"updates": len(during), "delays_ms": [live[s] - at[s] for s in live],
            "pen_up_ms": (after_up[0] - pen["up"]) if after_up else None}
