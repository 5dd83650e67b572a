"""Run every benchmark and print a summary of their ratios.

    python -m bench                      full size: a log of 1,000,000 records (built once,
                                         cached in bench/out/, ~1.5 GB with its projections)
    python -m bench --quick              a log of 20,000 records and tiny append runs
    python -m bench --records 200000     any other size (also TIMELINE_BENCH_RECORDS)
    python -m bench --only append,replay

`make bench` runs the full size. Each benchmark also runs alone: `python -m bench.append`,
`python -m bench.replay`, `python -m bench.rebuild`, `python -m bench.pipeline` and
`python -m bench.poll` (the feed benchmarks; each takes --quick and sizes).
Nothing here fails on a slow machine: the exit status is 0 whether targets are met or not,
and a summary line per figure says which.
"""

from __future__ import annotations

import os
import time

from bench import append, pipeline, poll, rebuild, replay
from bench.common import FULL_RECORDS, QUICK_RECORDS, Result, arguments

NAMES = ("append", "replay", "rebuild", "pipeline", "poll")


def main(argv: list[str] | None = None) -> Result:
    parser = arguments("python -m bench", __doc__,
                       f"small sizes ({QUICK_RECORDS:,} records), for the smoke test")
    parser.add_argument("--records", type=int, default=None,
                        help=f"records in the replay/rebuild log (default {FULL_RECORDS:,}, "
                             "or TIMELINE_BENCH_RECORDS)")
    parser.add_argument("--only", default=",".join(NAMES),
                        help="comma-separated subset of: " + ", ".join(NAMES))
    args = parser.parse_args(argv)
    env = os.environ.get("TIMELINE_BENCH_RECORDS")
    records = args.records or (int(env) if env else None) or (
        QUICK_RECORDS if args.quick else FULL_RECORDS)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(NAMES)
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(NAMES)}")

    results: Result = {}
    started = time.perf_counter()
    for name in chosen:
        print(f"== {name}", flush=True)
        if name == "append":
            results.update(append.run(single=200 if args.quick else 5000,
                                      batches=2 if args.quick else 50,
                                      rounds=1 if args.quick else append.ROUNDS))
        elif name == "replay":
            results.update(replay.run(records, companies=3 if args.quick else 8))
        elif name == "rebuild":
            results.update(rebuild.run(records))
        elif name == "pipeline":
            results.update(pipeline.run(feeds=4, items=5, rounds=1, poll_rounds=1) if args.quick
                           else pipeline.run())
        elif name == "poll":
            results.update(poll.run(feeds=12, items=2, rounds=1) if args.quick else poll.run())
        print(flush=True)

    print(f"== summary ({time.perf_counter() - started:.0f} s, log of {records:,} records)")
    if records < FULL_RECORDS:
        print(f"  (the replay targets are meant for the full {FULL_RECORDS:,}-record log: a "
              "replay costs what the company's history costs, a scan what the log costs)")
    print(f"  {'figure':<18} {'value':>10}  {'target':<30} verdict")
    for name, figure in results.items():
        target = figure["target"]
        if name == "rebuild.rss_mb":
            target_text = f"< {target:g} MB"
        elif name == "rebuild.time":
            target_text = f"<= {target:g}x the scan"
        elif name.startswith("replay"):
            target_text = f">= {target:g}x faster than the scan"
        elif name.startswith("pipeline"):
            target_text = f"<= {target:g}x bare feedparser"
        elif name.startswith("poll"):
            target_text = "none (for information)"
        else:
            target_text = f">= {target:g}x raw sqlite3"
        verdict = "-" if target is None else "ok" if figure["ok"] else "MISSED"
        print(f"  {name:<18} {figure['ratio']:>10.3g}  {target_text:<30} {verdict}")
    return results


if __name__ == "__main__":
    main()
