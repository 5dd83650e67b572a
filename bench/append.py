"""Appending to the log through `SQLiteRecordStore.append`, against raw sqlite3 inserts.

(a) single records, one transaction each; (b) batches of 1000 in one transaction. The
baseline inserts the very rows our store wrote (same column values, read back from our
file) with raw sqlite3, on a connection with the store's settings (WAL,
synchronous=NORMAL, the same page cache):
`BEGIN IMMEDIATE; INSERT; COMMIT` per row for (a), `BEGIN IMMEDIATE; executemany(1000
rows); COMMIT` for (b), into a table of the same columns with the uniqueness DESIGN.md
requires of any log (position primary key, `UNIQUE(stream, version)`, a unique key) and
nothing else: what a hand-written event store would have to pay at the least. The ratio
(the target) is ours against that.

Two more figures are printed for information, to show where the time goes:
  plain  the same rows into a table with no index but the primary key: what SQLite costs
         without any of the log's guarantees (the extra unique indexes alone halve the rate
         of single-row transactions: each commit writes one more page per index);
  floor  the same rows with raw SQL into the log's own table, triggers and all (the
         gapless/ordered trigger, the append-only triggers): the least any code can spend
         with this schema. The rest is our Python (canonical JSON, hash chain, version and
         key checks). The index of what records are about (`record_refs`) is not part of
         an append: it is caught up afterwards with the projections.

Every variant writes a fresh file; the four alternate for several rounds and the best
round of each counts, so a busy machine disturbs the ratio as little as it can.

    python -m bench.append [--quick] [--single N] [--batches N] [--rounds N]
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from timeline.dates import format_timestamp
from timeline.records import NewRecord
from timeline.storage.sqlite import CACHE_KIB, SQLiteDatabase, SQLiteRecordStore

from bench.common import Result, arguments, human, out_dir, ratio_line, remove_db
from bench.logdata import Generator

BATCH = 1000
TARGET_SINGLE = 0.5
TARGET_BATCH = 0.5
# Rounds of each variant; the best counts. On a shared two-core machine one round can run a
# third slower than the next, and seven rounds give both sides a quiet one.
ROUNDS = 7
COLUMNS = "position, stream, version, kind, schema, data, meta, recorded_at, key, hash"
INSERT = f"INSERT INTO records ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
TABLE = """CREATE TABLE records (
    position INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL,
    kind TEXT NOT NULL, schema INTEGER NOT NULL, data TEXT NOT NULL, meta TEXT NOT NULL,
    recorded_at TEXT NOT NULL, key TEXT {unique}, hash TEXT NOT NULL{constraints})"""
LOG_TABLE = TABLE.format(unique="UNIQUE", constraints=", UNIQUE (stream, version)")
PLAIN_TABLE = TABLE.format(unique="", constraints="")

Rows = list[tuple[Any, ...]]


def make_records(count: int) -> list[NewRecord]:
    """The first `count` records of a realistic log (mostly `event.reported`)."""
    records: list[NewRecord] = []
    generator = Generator(count + 1000)
    for _, batch in generator.batches(datetime(2024, 1, 1, tzinfo=timezone.utc), timedelta(days=30)):
        records.extend(batch)
        if len(records) >= count:
            break
    return records[:count]


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> str:
        self.now += timedelta(milliseconds=1)
        return format_timestamp(self.now)


def _fresh(name: str) -> Path:
    path = out_dir() / name
    remove_db(path)
    return path


def ours(records: list[NewRecord], batch: int) -> tuple[float, Rows]:
    """Seconds to append `records` through the store; the rows it wrote."""
    path = _fresh("append-ours.db")
    db = SQLiteDatabase(path)
    try:
        db.migrate()
        store = SQLiteRecordStore(db, clock=_Clock())
        start = time.perf_counter()
        if batch == 1:
            for record in records:
                store.append([record])
        else:
            for first in range(0, len(records), batch):
                store.append(records[first : first + batch])
        seconds = time.perf_counter() - start
        rows = db.conn.execute(f"SELECT {COLUMNS} FROM records ORDER BY position").fetchall()
    finally:
        db.close()
    remove_db(path)
    assert len(rows) == len(records), "every record must have been written"
    return seconds, rows


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA cache_size={CACHE_KIB}")  # the store's own settings, for fairness
    return conn


def _insert(conn: sqlite3.Connection, rows: Rows, batch: int) -> float:
    """Seconds to insert `rows` with raw SQL, `batch` rows per transaction."""
    start = time.perf_counter()
    if batch == 1:
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, row)
            conn.execute("COMMIT")
    else:
        for first in range(0, len(rows), batch):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(INSERT, rows[first : first + batch])
            conn.execute("COMMIT")
    return time.perf_counter() - start


def raw(rows: Rows, batch: int, table: str = LOG_TABLE) -> float:
    """Seconds to insert the same rows with raw sqlite3 into `table`."""
    path = _fresh("append-raw.db")
    conn = _connect(path)
    try:
        conn.execute(table)
        return _insert(conn, rows, batch)
    finally:
        conn.close()
        remove_db(path)


def schema_floor(rows: Rows, batch: int) -> float:
    """Seconds to insert the same rows with raw SQL into the log's own table."""
    path = _fresh("append-floor.db")
    db = SQLiteDatabase(path)  # the same connection settings as the store's
    db.migrate()
    try:
        return _insert(db.conn, rows, batch)
    finally:
        db.close()
        remove_db(path)


def measure(records: list[NewRecord], batch: int, rounds: int) -> dict[str, float]:
    best = {"ours": float("inf"), "raw": float("inf"), "plain": float("inf"),
            "floor": float("inf")}
    for _ in range(rounds):
        seconds, rows = ours(records, batch)
        best["ours"] = min(best["ours"], seconds)
        best["raw"] = min(best["raw"], raw(rows, batch))
        best["plain"] = min(best["plain"], raw(rows, batch, PLAIN_TABLE))
        best["floor"] = min(best["floor"], schema_floor(rows, batch))
    return {name: len(records) / seconds for name, seconds in best.items()}


def run(single: int = 5000, batches: int = 50, rounds: int = ROUNDS, quiet: bool = False) -> Result:
    results: Result = {}
    cases = [("append.single", single, 1, TARGET_SINGLE, "one record per transaction"),
             ("append.batch", batches * BATCH, BATCH, TARGET_BATCH, f"batches of {BATCH}")]
    for name, count, batch, target, what in cases:
        records = make_records(count)
        rate = measure(records, batch, rounds)
        ratio = rate["ours"] / rate["raw"]
        lines = [
            f"{name}: {human(count)} records, {what}, best of {rounds} rounds",
            f"  ours   SQLiteRecordStore.append       {human(rate['ours']):>9} records/s",
            f"  raw    sqlite3, the log's uniqueness  {human(rate['raw']):>9} records/s",
            f"  plain  sqlite3, no unique index       {human(rate['plain']):>9} records/s "
            f"(ours = {rate['ours'] / rate['plain']:.2f}x this)",
            f"  floor  raw SQL into the log's table   {human(rate['floor']):>9} records/s "
            f"(= {rate['floor'] / rate['raw']:.2f}x raw; ours = {rate['ours'] / rate['floor']:.2f}x this)",
            ratio_line(name, ratio, f">= {target}x raw", ratio >= target, "ours / raw records per second"),
        ]
        if not quiet:
            print("\n".join(lines), flush=True)
        results[name] = {"ratio": ratio, "target": target, "ok": ratio >= target,
                         "ours_per_s": rate["ours"], "raw_per_s": rate["raw"],
                         "plain_per_s": rate["plain"], "floor_per_s": rate["floor"], "records": count}
    return results


def main(argv: list[str] | None = None) -> Result:
    parser = arguments("python -m bench.append", __doc__, "tiny sizes, for the smoke test")
    parser.add_argument("--single", type=int, help="records appended one by one (default 5000)")
    parser.add_argument("--batches", type=int, help="batches of 1000 (default 50)")
    parser.add_argument("--rounds", type=int, help=f"rounds; the best counts (default {ROUNDS})")
    args = parser.parse_args(argv)
    single = args.single or (200 if args.quick else 5000)
    batches = args.batches or (2 if args.quick else 50)
    rounds = args.rounds or (1 if args.quick else ROUNDS)
    return run(single, batches, rounds)


if __name__ == "__main__":
    main()
