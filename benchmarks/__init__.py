"""Benchmarks: each prints its figures (run as `python -m benchmarks.NAME` from the checkout)."""
