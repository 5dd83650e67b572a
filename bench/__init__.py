"""Benchmarks: each prints figures as ratios against a baseline measured in the same run.

`python -m bench` runs them all (see `bench/__main__.py`); each module also runs alone,
e.g. `python -m bench.append --quick`. They are not timed tests: nothing here fails on
a slow machine, and only `tests/test_bench.py` (a smoke test in quick mode) runs in CI.
"""
