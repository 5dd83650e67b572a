"""What every benchmark shares: its command line, where files go, how figures are printed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

OUT = Path(os.environ.get("TIMELINE_BENCH_OUT", Path(__file__).resolve().parent / "out"))

FULL_RECORDS = 1_000_000
QUICK_RECORDS = 20_000


def arguments(prog: str, doc: str | None, quick: str) -> argparse.ArgumentParser:
    """The command line every benchmark starts from: its docstring as help, and `--quick`
    (what the quick run does, in `quick`)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=quick)
    return parser


def out_dir() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def ratio_line(name: str, ratio: float, target: str, ok: bool, what: str) -> str:
    """The one line every benchmark prints per figure, and that the smoke test looks for."""
    verdict = "ok" if ok else "MISSED"
    return f"RATIO {name} = {ratio:.3g} ({what}; target {target}: {verdict})"


def human(n: float) -> str:
    return f"{n:,.0f}"


Result = dict[str, Any]
