"""One company's bitemporal replay, against a full scan of the log.

The log is the cached one of `bench.logdata` (1,000,000 records by default). For a seeded
sample of companies, two replays go through `timeline.replay.Replayer.company`, which is
what `timeline show COMPANY --as-of D` and `--known-at T` run:

- as-of:    Query(as_of=2016-06-30), until = the head of the log (today's knowledge);
- known-at: Query(), until = the last position recorded at or before the `recorded_at`
            of the record in the middle of the log (`Replayer.bound`).

Each replay runs three times; its median counts, and the figure is the mean over the
companies. The company with the most records is timed too, and shown apart: a replay
costs in proportion to the company's history, not to the log. The baseline is a full scan: `SELECT position, stream, kind, data FROM records
ORDER BY position`, fetched in pages of 2,000, with `json.loads` of every payload, the
least any replay that does not use the indexes would have to do. It runs twice and the
faster run counts (which makes the ratio smaller, not larger).

    python -m bench.replay [--quick] [--records N] [--companies N]
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from timeline.replay import LogView, Query, Replayer
from timeline.storage.sqlite import SQLiteDatabase, SQLiteRecordStore

from bench.common import FULL_RECORDS, QUICK_RECORDS, Result, arguments, ratio_line
from bench.logdata import build

TARGET = 100.0
AS_OF = date(2016, 6, 30)
SCAN_SQL = "SELECT position, stream, kind, data FROM records ORDER BY position"


def scan(path: Path) -> float:
    """Seconds to read every record and decode its payload."""
    conn = sqlite3.connect(path)
    try:
        start = time.perf_counter()
        cursor = conn.execute(SCAN_SQL)
        loads = json.loads
        count = 0
        while rows := cursor.fetchmany(2000):
            for row in rows:
                loads(row[3])
                count += 1
        seconds = time.perf_counter() - start
    finally:
        conn.close()
    assert count > 0
    return seconds


def sample_companies(conn: sqlite3.Connection, count: int, seed: int = 7) -> list[str]:
    ids = [row[0] for row in conn.execute(
        "SELECT json_extract(data, '$.id') FROM records WHERE kind = 'company.registered' "
        "ORDER BY position")]
    return random.Random(seed).sample(ids, min(count, len(ids)))


def _median_seconds(run: Any, times: int = 3) -> tuple[float, Any]:
    durations = []
    result = None
    for _ in range(times):
        start = time.perf_counter()
        result = run()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def run(records: int = FULL_RECORDS, companies: int = 8, verify: bool | None = None,
        quiet: bool = False) -> Result:
    path = build(records, quiet=quiet)
    db = SQLiteDatabase(path)
    try:
        store = SQLiteRecordStore(db)
        replayer = Replayer(store)
        head = store.head()
        middle = db.conn.execute("SELECT recorded_at FROM records WHERE position = ?",
                                 (head // 2,)).fetchone()[0]
        until_known = replayer.bound(middle)
        chosen = sample_companies(db.conn, companies)
        largest = db.conn.execute(
            "SELECT ref, count(*) FROM record_refs GROUP BY ref ORDER BY 2 DESC LIMIT 1"
        ).fetchone()[0]
        scan_seconds = min(scan(path), scan(path))
        rows = []
        for company in [*chosen, largest]:
            as_of_s, as_of_view = _median_seconds(
                lambda: replayer.company(company, Query(as_of=AS_OF), head))
            known_s, known_view = _median_seconds(
                lambda: replayer.company(company, Query(), until_known))
            rows.append((company, len(as_of_view), as_of_s, len(known_view), known_s))
            if verify if verify is not None else records <= 50_000:
                _verify(store, company, head, until_known, as_of_view, known_view)
    finally:
        db.close()

    results: Result = {}
    lines = [
        f"replay: log of {head:,} records; full scan (SELECT every record, json.loads every "
        f"payload) {scan_seconds:.2f} s",
        f"  known-at moment {middle} = position {until_known:,}; as-of {AS_OF}",
        f"  {'company':<22} {'as-of events':>12} {'as-of ms':>9} {'known-at events':>16} {'known-at ms':>12}",
    ]
    rows, (biggest,) = rows[:-1], rows[-1:]
    for company, n_as_of, as_of_s, n_known, known_s in rows:
        lines.append(f"  {company:<22} {n_as_of:>12,} {as_of_s * 1000:>9.1f} {n_known:>16,} "
                     f"{known_s * 1000:>12.1f}")
    lines.append(f"  info: the largest company, {biggest[0]}, {biggest[1]:,} events as of "
                 f"{AS_OF}: {biggest[2] * 1000:.0f} ms ({scan_seconds / biggest[2]:.0f}x faster "
                 f"than the scan); {biggest[3]:,} known at the moment: {biggest[4] * 1000:.0f} ms "
                 f"({scan_seconds / biggest[4]:.0f}x); not in the means")
    for name, column in (("replay.as_of", 2), ("replay.known_at", 4)):
        mean = statistics.mean(row[column] for row in rows)
        ratio = scan_seconds / mean
        lines.append(f"  {name}: mean {mean * 1000:.1f} ms over {len(rows)} companies, "
                     f"scan {scan_seconds * 1000:.0f} ms")
        lines.append(ratio_line(name, ratio, f">= {TARGET:g}x faster than the scan",
                                ratio >= TARGET, "scan time / replay time"))
        results[name] = {"ratio": ratio, "target": TARGET, "ok": ratio >= TARGET,
                         "replay_ms": mean * 1000, "scan_ms": scan_seconds * 1000,
                         "records": head, "companies": len(rows)}
    if not quiet:
        print("\n".join(lines), flush=True)
    return results


def _verify(store: SQLiteRecordStore, company: str, head: int, until_known: int,
            as_of_view: list[dict[str, Any]], known_view: list[dict[str, Any]]) -> None:
    """The indexed replays equal the reference fold of the whole prefix (small logs only)."""
    full = LogView().apply_all(store.read(until=head))
    assert as_of_view == full.select(Query(company=company, as_of=AS_OF)), company
    prefix = LogView().apply_all(store.read(until=until_known))
    assert known_view == prefix.select(Query(company=company)), company


def main(argv: list[str] | None = None) -> Result:
    parser = arguments("python -m bench.replay", __doc__, f"a log of {QUICK_RECORDS:,} records")
    parser.add_argument("--records", type=int, help=f"records in the log (default {FULL_RECORDS:,})")
    parser.add_argument("--companies", type=int, help="companies sampled (default 8; 3 quick)")
    args = parser.parse_args(argv)
    records = args.records or (QUICK_RECORDS if args.quick else FULL_RECORDS)
    return run(records, args.companies or (3 if args.quick else 8))


if __name__ == "__main__":
    main()
