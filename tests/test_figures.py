"""The benchmarks' one way of reporting a spread of timings."""

from tests.support.figures import spread


def test_spread_of_timings():
    assert spread(range(1, 101), "{}_ms") == {"p50_ms": 50.5, "p95_ms": 95.0, "max_ms": 100.0}
    assert spread([0.1234], digits=2) == {"p50": 0.12, "p95": 0.12, "max": 0.12}


def test_no_timings_give_no_figures():
    assert spread([], "{}_s") == {"p50_s": None, "p95_s": None, "max_s": None}
