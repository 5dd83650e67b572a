"""The feed benchmarks still run (a smoke test in quick mode, tiny sizes; not a timed test).

`bench.pipeline` and `bench.poll` are run as a user runs them, each in a process of its
own with its own loopback feed server; nothing is asserted about speed, only that each
runs to the end against the real code and prints its ratio lines, and that it wrote only
into the output folder it was given.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("module", "figures"), [
    ("bench.pipeline", ("pipeline.items",)),
    ("bench.poll", ("poll.first", "poll.not_modified")),
])
def test_the_feed_benchmark_runs_and_prints_its_ratios(tmp_path: Path, module: str,
                                                        figures: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "TIMELINE_BENCH_OUT": str(out)}
    done = subprocess.run([sys.executable, "-m", module, "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    for figure in figures:
        assert re.search(rf"^RATIO {re.escape(figure)} = [0-9.e+-]+ \(", done.stdout, re.M), (
            figure, done.stdout)
    # the served feeds and the databases stayed in the output folder, and the databases
    # were removed once measured
    assert out.is_dir()
    assert not list(out.glob("*.db"))
