"""`ProjectionRunner.rebuild()` of the whole log, against a full scan of it.

The log is the cached one of `bench.logdata` (1,000,000 records by default). The rebuild
runs as `timeline rebuild` does, through the app's composition root (`bootstrap`), so every
projection of the app is rebuilt: companies, events (with company timelines and the
full-text index), the review queue, the items seen. It runs in a fresh subprocess, whose
peak resident set (VmHWM, which includes the interpreter and its imports, ~45 MB) is the
memory figure. The rebuild writes its tables into the cached file itself; it never changes the
log, and every run starts by dropping them.

For information it also times the rebuild's writes alone: the event projection's final
rows (the events, their company rows, their full-text entries: nine tenths of what a
rebuild writes) read back from the rebuilt tables, prepared chunk by chunk outside the
clock and written into a fresh file with the rebuild's own tables and settings, then
merged and indexed as a rebuild ends. No code that writes those rows can take less, so
it shows how much of the rebuild is SQLite and how much is our Python. The other side is
timed too: the same rebuild with the event projection's writes skipped (its rows made and
dropped), which is our Python and the reads it makes. Were the writes free, or done
beside it on the other core, a rebuild could take no less.

The baseline is the full scan of `bench.replay`: every record selected and its payload
json-decoded, in a fresh subprocess too, run before and after the rebuild; the faster run
counts (which makes the ratio larger, not smaller).

On logs of up to 50,000 records (the quick mode) the benchmark also checks what it timed:
a copy of the log is caught up incrementally in batches of 97 records and every projection
table must come out identical, byte for byte, to the rebuild's, and the full-text index
token for token (term, row, column, offset).

    python -m bench.rebuild [--quick] [--records N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    FULL_RECORDS,
    QUICK_RECORDS,
    Result,
    arguments,
    out_dir,
    ratio_line,
    remove_db,
)
from bench.logdata import build

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 3.0
TARGET_RSS_MB = 300.0
CHECK_UP_TO = 50_000
CHECK_BATCH = 97
# Every projection table, in an order that makes the comparison exact.
CONTENTS = {
    "events": "SELECT rowid, id, type, date_sort, retracted, state FROM events ORDER BY rowid",
    "company_events": "SELECT company, event FROM company_events ORDER BY company, event",
    "companies": "SELECT id, name, country, merged_into, state FROM companies ORDER BY id",
    "company_aliases": "SELECT key, alias, company FROM company_aliases ORDER BY key",
    "events_fts": "SELECT rowid, title, summary, quotes FROM events_fts ORDER BY rowid",
    "proposals": "SELECT * FROM proposals ORDER BY id",
    "feed_items": "SELECT * FROM feed_items ORDER BY feed, fingerprint",
    "checkpoints": "SELECT projection, position, version FROM checkpoints ORDER BY projection",
    "indexes": "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
}


def _child(argv: list[str]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; it prints one JSON line."""
    done = subprocess.run([sys.executable, "-m", "bench.rebuild", *argv], check=True,
                          capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _peak_rss_mb() -> float:
    """This process's peak resident set, in MB.

    VmHWM, not `ru_maxrss`: Linux carries ru_maxrss across fork and exec, so a child
    started by a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_scan(path: Path) -> None:
    from bench.replay import scan

    seconds = scan(path)
    print(json.dumps({"seconds": seconds, "rss_mb": _peak_rss_mb()}))


def child_rebuild(path: Path) -> None:
    from timeline.bootstrap import bootstrap
    from timeline.config import Settings

    app = bootstrap(db=str(path), settings=Settings())  # the app's wiring, no config file
    try:
        app.db.migrate()  # as `timeline rebuild` opens the database (the log is left as is)
        start = time.perf_counter()
        applied = app.runner.rebuild()
        seconds = time.perf_counter() - start
        conn = app.db.conn
        counts = {
            "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
            "reported": conn.execute(
                "SELECT count(DISTINCT stream) FROM records WHERE kind = 'event.reported'"
            ).fetchone()[0],
            "fts": conn.execute("SELECT count(*) FROM events_fts").fetchone()[0],
            "companies": conn.execute("SELECT count(*) FROM companies").fetchone()[0],
        }
    finally:
        app.close()
    print(json.dumps({"seconds": seconds, "rss_mb": _peak_rss_mb(), "applied": applied,
                      "counts": counts}))


class _EventWritesSkipped:
    """A connection that runs every statement but the event projection's writes: what is
    left of a rebuild is our Python (and the reads it makes)."""

    SKIPPED = ("INTO events ", "INTO events_fts ", "INTO company_events ", "FROM company_events ")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> None:
        if any(table in sql for table in self.SKIPPED):
            for _ in rows:  # made, as the rebuild makes them, and dropped
                pass
            return
        self.conn.executemany(sql, rows)


def child_python(path: Path) -> None:
    from timeline.bootstrap import bootstrap
    from timeline.config import Settings
    from timeline.projections import EventsProjection

    class PythonOnly(EventsProjection):
        def apply(self, conn: Any, records: Any) -> None:
            super().apply(_EventWritesSkipped(conn), records)

    app = bootstrap(db=str(path), settings=Settings())
    try:
        app.db.migrate()
        app.runner.projections = [PythonOnly() if isinstance(p, EventsProjection) else p
                                  for p in app.runner.projections]
        start = time.perf_counter()
        app.runner.rebuild()
        seconds = time.perf_counter() - start
    finally:
        app.close()
    print(json.dumps({"seconds": seconds}))


def child_writes(path: Path) -> None:
    from timeline.projections import (
        EVENT_STATE_COLUMNS,
        EVENTS_WITH_RECORDS,
        REBUILD_BATCH,
        REBUILD_TRANSACTION,
        EventsProjection,
        ProjectionRunner,
        _indexed,
        _search_texts,
        event_state,
    )
    from timeline.storage.sqlite import SQLiteDatabase, SQLiteRecordStore

    source = sqlite3.connect(path)
    target = out_dir() / "rebuild-writes.db"
    remove_db(target)
    db = SQLiteDatabase(target)
    db.migrate()
    runner = ProjectionRunner(db, SQLiteRecordStore(db), [EventsProjection()])
    with db.transaction() as conn:
        runner._create(conn, runner.projections[0], rebuilding=True)  # as `rebuild` starts
    seconds, after, written = 0.0, 0, 0
    conn = db.begin()
    while events := source.execute(
        "SELECT rowid, id, type, date_sort, retracted, state FROM events WHERE rowid > ?"
        f" ORDER BY rowid LIMIT {REBUILD_BATCH}", (after,)).fetchall():
        first, last = events[0][0], events[-1][0]
        companies = source.execute(
            "SELECT event, company FROM company_events WHERE event BETWEEN ? AND ?"
            " ORDER BY event, company", (first, last)).fetchall()
        texts = [_indexed(row[0], _search_texts(event_state(row[1:])))
                 for row in source.execute(
                     f"SELECT e.rowid, {EVENT_STATE_COLUMNS} FROM {EVENTS_WITH_RECORDS}"
                     " WHERE e.rowid BETWEEN ? AND ? ORDER BY e.rowid", (first, last))]
        start = time.perf_counter()
        conn.executemany("INSERT INTO events (rowid, id, type, date_sort, retracted, state)"
                         " VALUES (?,?,?,?,?,?)", events)
        conn.executemany("INSERT INTO company_events (event, company) VALUES (?, ?)", companies)
        conn.executemany("INSERT INTO events_fts (rowid, title, summary, quotes)"
                         " VALUES (?, ?, ?, ?)", texts)
        written += len(events)
        if written % REBUILD_TRANSACTION < len(events):
            db.commit()
            conn = db.begin()
        seconds += time.perf_counter() - start
        after = last
    start = time.perf_counter()
    db.commit()
    with db.transaction() as conn:
        runner._finish_rebuild(conn)  # the full-text merge and the deferred indexes
    seconds += time.perf_counter() - start
    db.close()
    source.close()
    remove_db(target)
    print(json.dumps({"seconds": seconds, "events": written}))


def _contents(path: Path) -> dict[str, list[Any]]:
    conn = sqlite3.connect(path)
    try:
        contents = {name: conn.execute(sql).fetchall() for name, sql in CONTENTS.items()}
        contents["search index"] = [_search_index_digest(conn)]
        return contents
    finally:
        conn.close()


def _search_index_digest(conn: sqlite3.Connection) -> str:
    """A digest of every token of the full-text index with its row, column and offset: what
    the index holds, whatever the layout of its segments (which differs between a rebuild
    and a catch-up). FTS5 checks itself first."""
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
    conn.execute("CREATE VIRTUAL TABLE temp.fts_tokens USING fts5vocab(main, events_fts, instance)")
    digest = hashlib.sha256()
    for row in conn.execute("SELECT term, doc, col, offset FROM temp.fts_tokens"
                            " ORDER BY term, doc, col, offset"):
        digest.update(repr(row).encode("utf-8"))
    return digest.hexdigest()


def check_against_catch_up(path: Path) -> str:
    """The rebuilt tables equal those of an incremental catch-up in small batches."""
    from timeline.bootstrap import bootstrap
    from timeline.config import Settings
    from timeline.storage.schema import PROJECTION_DROPS

    copy = path.with_name(path.stem + "-incremental.db")
    remove_db(copy)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole database in the main file
    conn.close()
    shutil.copyfile(path, copy)
    app = bootstrap(db=str(copy), settings=Settings())
    try:
        with app.db.transaction() as conn:
            for tables in PROJECTION_DROPS.values():
                for table in tables:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
        app.runner.ensure_tables()  # creates them empty, checkpoints at 0
        app.runner.catch_up(batch=CHECK_BATCH)
    finally:
        app.close()
    rebuilt, incremental = _contents(path), _contents(copy)
    remove_db(copy)
    differ = [name for name in rebuilt if rebuilt[name] != incremental[name]]
    assert not differ, f"rebuild and incremental catch-up differ in: {', '.join(differ)}"
    return (f"  check: identical to an incremental catch-up in batches of {CHECK_BATCH} "
            f"({', '.join(f'{name} {len(rebuilt[name]):,}' for name in CONTENTS)} rows; "
            "the search index token for token)")


def run(records: int = FULL_RECORDS, quiet: bool = False) -> Result:
    path = build(records, quiet=quiet)
    first = _child(["--child-scan", str(path)])
    python = _child(["--child-python", str(path)])  # first: it leaves the events tables empty
    rebuilt = _child(["--child-rebuild", str(path)])
    writes = _child(["--child-writes", str(path)])
    second = _child(["--child-scan", str(path)])
    scan_s = min(first["seconds"], second["seconds"])
    counts = rebuilt["counts"]
    assert rebuilt["applied"] == records, rebuilt
    assert counts["events"] == counts["reported"] == counts["fts"], counts
    ratio = rebuilt["seconds"] / scan_s
    rss = rebuilt["rss_mb"]
    lines = [
        f"rebuild: log of {records:,} records -> {counts['events']:,} events, "
        f"{counts['companies']:,} companies",
        f"  full scan (SELECT every record, json.loads every payload) {scan_s:.2f} s, "
        f"peak RSS {max(first['rss_mb'], second['rss_mb']):.0f} MB",
        f"  ProjectionRunner.rebuild()  {rebuilt['seconds']:.2f} s "
        f"({records / rebuilt['seconds']:,.0f} records/s), peak RSS {rss:.0f} MB",
        f"  writes alone (the same events, company rows and full-text entries, from memory,"
        f" merged and indexed) {writes['seconds']:.2f} s = {writes['seconds'] / scan_s:.2f}x"
        " the scan",
        f"  our Python alone (the same rebuild, the events' writes skipped) {python['seconds']:.2f} s"
        f" = {python['seconds'] / scan_s:.2f}x the scan",
        ratio_line("rebuild.time", ratio, f"<= {TARGET_RATIO:g}x the scan", ratio <= TARGET_RATIO,
                   "rebuild time / scan time"),
        ratio_line("rebuild.rss_mb", rss, f"< {TARGET_RSS_MB:g} MB", rss < TARGET_RSS_MB,
                   "peak RSS of the rebuild process, MB"),
    ]
    if records <= CHECK_UP_TO:
        lines.append(check_against_catch_up(path))
    if not quiet:
        print("\n".join(lines), flush=True)
    return {
        "rebuild.time": {"ratio": ratio, "target": TARGET_RATIO, "ok": ratio <= TARGET_RATIO,
                         "rebuild_s": rebuilt["seconds"], "scan_s": scan_s,
                         "writes_s": writes["seconds"], "python_s": python["seconds"],
                         "records": records},
        "rebuild.rss_mb": {"ratio": rss, "target": TARGET_RSS_MB, "ok": rss < TARGET_RSS_MB,
                           "records": records},
    }


def main(argv: list[str] | None = None) -> Result | None:
    parser = arguments("python -m bench.rebuild", __doc__, f"a log of {QUICK_RECORDS:,} records")
    parser.add_argument("--records", type=int, help=f"records in the log (default {FULL_RECORDS:,})")
    parser.add_argument("--child-scan", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-rebuild", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-writes", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-python", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_scan:
        child_scan(args.child_scan)
        return None
    if args.child_rebuild:
        child_rebuild(args.child_rebuild)
        return None
    if args.child_writes:
        child_writes(args.child_writes)
        return None
    if args.child_python:
        child_python(args.child_python)
        return None
    return run(args.records or (QUICK_RECORDS if args.quick else FULL_RECORDS))


if __name__ == "__main__":
    main()
