#!/usr/bin/env python
"""What the feature maps cost the answer channel (issue 41, "live inside the network").

With "Inside the network" open in presentation mode, a live answer over the channel
carries the drawing's feature maps, pictured as the page pictures them
(``hwr.server.answer_channel.recognize`` with ``maps``). This times, on the shipped model
and the same test digits, in one run and one thread (as one of the channel's pool):

- a live answer alone (rasterize, recognize, the reply);
- the same with the maps (a forward pass of the probe, each layer's picture, PNG);
- the pen-up's ``explain`` (Grad-CAM and saliency too), what Streamlit's run computes;

and prints the ms each (median, p95), the maps' bytes per reply, and what the server's
budget for them (``channel_rules.INSIDE_PER_SECOND``) costs it at most, in cores.

    python -m benchmarks.inside_maps [--repeats 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from hwr.settings import model_dir
from hwr.reading.drawing import parse_drawing, rasterize
from hwr.reading.explain import explain
from hwr.reading.recognizer import DigitRecognizer
from hwr.server import answer_channel, channel_rules
from tests.support.strokes import DIGITS, PLACEMENTS, as_drawing, place


class Loaded:
    """The channel's view of a loaded model (``ModelLoader``'s three fields)."""

    def __init__(self, recognizer):
        self.recognizer, self.ready, self.error = recognizer, True, None


def timed(work, repeats: int) -> list[float]:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        work(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def figures(times: list[float]) -> dict:
    times = sorted(times)
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    model = Loaded(DigitRecognizer.load(model_dir()))
    drawings = [parse_drawing({**as_drawing(place(strokes, *PLACEMENTS[0]), drawing_id=1)
                               .to_payload(), "seq": 1, "partial": True})
                for digit in range(10) for strokes in DIGITS[digit][:1]]
    recognize = lambda i, maps: answer_channel.recognize(  # noqa: E731
        lambda: model, answer_channel.Asked(drawings[i % len(drawings)], maps), "benchmark")
    recognize(0, True)  # the probe built, TensorFlow warm
    explain(model.recognizer.model, model.recognizer.recognize(rasterize(drawings[0]))
            .model_input)
    alone = timed(lambda i: recognize(i, False), args.repeats)
    with_maps = timed(lambda i: recognize(i, True), args.repeats)
    inputs = [model.recognizer.recognize(rasterize(d)).model_input for d in drawings]
    pen_up = timed(lambda i: explain(model.recognizer.model, inputs[i % len(inputs)]),
                   args.repeats)
    sizes = [len(json.dumps(recognize(i, True)["maps"])) for i in range(len(drawings))]
    maps_ms = statistics.median(with_maps) - statistics.median(alone)
    print(json.dumps({
        "live_answer": figures(alone),
        "live_answer_with_maps": figures(with_maps),
        "maps_alone_median_ms": round(maps_ms, 2),
        "explain_at_pen_up": figures(pen_up),
        "maps_bytes_per_reply": round(statistics.median(sizes)),
        "budget_per_second": channel_rules.INSIDE_PER_SECOND,
        "budget_cores_at_most": round(channel_rules.INSIDE_PER_SECOND * maps_ms / 1000, 3),
    }, indent=2))


if __name__ == "__main__":
    main()
