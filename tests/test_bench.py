"""The benchmarks still run (a smoke test in quick mode, tiny sizes; not a timed test).

Nothing is asserted about speed: only that every benchmark runs to the end against the
real code, prints its ratio lines, and that the replay it times equals the reference fold
(the replay benchmark checks that itself on small logs).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIGURES = ("append.single", "append.batch", "replay.as_of", "replay.known_at",
           "rebuild.time", "rebuild.rss_mb")


def test_every_benchmark_runs_and_prints_its_ratios(tmp_path: Path) -> None:
    env = {**os.environ, "TIMELINE_BENCH_OUT": str(tmp_path / "out")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--records", "3000"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for figure in FIGURES:
        assert re.search(rf"^RATIO {re.escape(figure)} = [0-9.e+-]+ \(", done.stdout, re.M), (
            figure, done.stdout)
    assert "== summary" in done.stdout
    # every file the benchmarks wrote stayed in the output folder
    assert list((tmp_path / "out").glob("log-3000-*.db"))
