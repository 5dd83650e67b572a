"""Projections: tables derived from the log, kept caught up, rebuilt at will.

Each projection owns a few tables and a checkpoint (the last position it has applied).
Rows and checkpoint move in the same transaction, so a crash leaves a projection exactly
at some position of the log. Catch-up and `rebuild` run the very same code over batches
of records; a rebuild only starts from empty tables and uses larger batches, which is why
the two agree (a property test holds them to it).

A rebuild replays the whole log (a million records and more), so it also builds the
secondary indexes once at the end rather than row by row, except those a projection reads
while it applies records (`Projection.indexes_used`). Indexes only speed lookups up; an
interrupted rebuild leaves them missing and `ensure_tables` creates them on the next start.
"""

from __future__ import annotations

import gc
from timeline.jsontext import dumps, loads
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from timeline.companies import (
    COMPANY_STREAM_PREFIX,
    fold_company,
    lookup_key,
    names_of,
)
from timeline.events import EVENT_STREAM_PREFIX, REPORTED, fold_event, quotes_of
from timeline.records import Record
from timeline.search import index_text
from timeline.storage.schema import PROJECTION_DROPS, PROJECTION_TABLES, PROJECTION_VERSION
from timeline.storage.sqlite import SQLiteDatabase, SQLiteRecordStore, _statements
from timeline.upcasting import upcast

CATCH_UP_BATCH = 2000
REBUILD_BATCH = 5000
# Records per transaction in a rebuild: each commit writes every index page its batches
# touched, and the indexes on event and company ids are touched all over.
REBUILD_TRANSACTION = 100000

Progress = Callable[[int], None]


class Projection(Protocol):
    name: str

    def apply(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        """Apply a batch of records (any kinds; ignore what is not yours)."""
        ...

    # Optionally, `indexes_used`: the names of the projection's indexes that `apply` reads
    # through; a rebuild creates them up front, and every other index at the end.


_dumps = dumps


class CompaniesProjection:
    """The company registry: current states and every alias key, for lookups."""

    name = "companies"

    def apply(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        for record in records:
            if not record.stream.startswith(COMPANY_STREAM_PREFIX):
                continue
            company_id = record.stream[len(COMPANY_STREAM_PREFIX):]
            row = conn.execute("SELECT state FROM companies WHERE id = ?", (company_id,)).fetchone()
            state = fold_company(loads(row[0]) if row else None, upcast(record))
            if state is None:
                continue
            conn.execute(
                "INSERT INTO companies (id, name, country, merged_into, state) VALUES (?,?,?,?,?)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country,"
                " merged_into = excluded.merged_into, state = excluded.state",
                (company_id, state["name"], state["country"], state["merged_into"], _dumps(state)),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO company_aliases (key, alias, company) VALUES (?, ?, ?)",
                [(lookup_key(name), name, company_id) for name in names_of(state)],
            )


class EventsProjection:
    """The event index, company timelines and the full-text index.

    A batch folds its records against a working set of the states it touched, loading a
    state from the table only when a record refers to an event of an earlier batch, and
    writes each touched event once.
    """

    name = "events"

    def apply(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        touched: dict[str, dict[str, Any]] = {}
        before: dict[str, dict[str, Any]] = {}   # states as the table holds them
        rowids: dict[str, int] = {}
        fresh: set[str] = set()
        for record in records:
            if not record.stream.startswith(EVENT_STREAM_PREFIX):
                continue
            event_id = record.stream[len(EVENT_STREAM_PREFIX):]
            record = upcast(record)
            state = touched.get(event_id)
            if state is None and record.kind != REPORTED:
                row = conn.execute(
                    "SELECT rowid, state FROM events WHERE id = ?", (event_id,)
                ).fetchone()
                if row is None:
                    continue
                rowids[event_id], state = row[0], loads(row[1])
                before[event_id] = state
            if record.kind == REPORTED:
                rowids[event_id] = record.position
                fresh.add(event_id)
            new = fold_event(state, record)
            if new is not None:
                touched[event_id] = new
        if touched:
            self._write(conn, touched, before, rowids, fresh)

    @staticmethod
    def _write(conn: sqlite3.Connection, touched: dict[str, dict[str, Any]],
               before: dict[str, dict[str, Any]], rowids: dict[str, int], fresh: set[str]) -> None:
        old = [(rowids[e],) for e in touched if e not in fresh]
        if old:
            # The rows to remove are known from the state the table held: deleting by
            # primary key needs no second index on company_events.
            conn.executemany("DELETE FROM events_fts WHERE rowid = ?", old)
            conn.executemany(
                "DELETE FROM company_events WHERE company = ? AND event = ?",
                [(c["company"], e) for e, s in before.items() for c in s["companies"]],
            )
        conn.executemany(
            "INSERT INTO events (rowid, id, type, date_sort, retracted, state) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (id) DO UPDATE SET type = excluded.type, date_sort = excluded.date_sort,"
            " retracted = excluded.retracted, state = excluded.state",
            [(rowids[e], e, s["type"], s["date"], int(s["retracted"]), _dumps(s))
             for e, s in touched.items()],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO company_events (company, event) VALUES (?, ?)",
            [(c["company"], e) for e, s in touched.items() for c in s["companies"]],
        )
        conn.executemany(
            "INSERT INTO events_fts (rowid, title, summary, quotes) VALUES (?, ?, ?, ?)",
            [(rowids[e], index_text(s["title"]), index_text(s.get("summary") or ""),
              index_text(quotes_of(s)))
             for e, s in touched.items()],
        )


class ProjectionRunner:
    """Keeps every projection caught up with the log, and rebuilds them on demand."""

    def __init__(self, db: SQLiteDatabase, store: SQLiteRecordStore,
                 projections: Iterable[Projection]) -> None:
        self.db = db
        self.store = store
        self.projections = list(projections)

    def ensure_tables(self) -> bool:
        """Create missing projection tables, and the indexes an interrupted rebuild left
        out; rebuild all if their version changed."""
        row = self.db.conn.execute(
            "SELECT min(version) FROM checkpoints"
        ).fetchone()
        stale = row[0] is not None and row[0] != PROJECTION_VERSION
        missing = [p for p in self.projections if not self.db.table_exists(_first_table(p.name))]
        if stale:
            self.rebuild()
            return True
        if missing:
            with self.db.transaction() as conn:
                for projection in missing:
                    self._create(conn, projection)
        if self._missing_indexes():  # a rebuild was interrupted before it built them
            self._create_missing_indexes()
        return bool(missing)

    def _create(self, conn: sqlite3.Connection, projection: Projection,
                defer_indexes: bool = False) -> None:
        """Create the projection's tables empty; with `defer_indexes`, without the indexes
        it does not read while applying records (`_create_missing_indexes` adds them)."""
        for table in PROJECTION_DROPS[projection.name]:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        used = set(getattr(projection, "indexes_used", ()))
        for statement in _statements(PROJECTION_TABLES[projection.name]):
            index = _index_name(statement)
            if not (defer_indexes and index is not None and index not in used):
                conn.execute(statement)
        conn.execute(
            "INSERT INTO checkpoints (projection, position, version) VALUES (?, 0, ?)"
            " ON CONFLICT (projection) DO UPDATE SET position = 0, version = excluded.version",
            (projection.name, PROJECTION_VERSION),
        )

    def _missing_indexes(self) -> list[str]:
        """Statements of the indexes that the existing projection tables lack."""
        present = {row[0] for row in self.db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('index', 'table')")}
        return [
            statement
            for projection in self.projections if _first_table(projection.name) in present
            for statement in _statements(PROJECTION_TABLES[projection.name])
            if (index := _index_name(statement)) is not None and index not in present
        ]

    def _create_missing_indexes(self) -> None:
        # Looked up again under the write lock: another process may have just made them.
        with self.db.transaction() as conn:
            for statement in self._missing_indexes():
                conn.execute(statement)

    def checkpoint(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute(
            "SELECT position FROM checkpoints WHERE projection = ?", (name,)
        ).fetchone()
        return int(row[0]) if row else 0

    def catch_up(self, batch: int = CATCH_UP_BATCH, progress: Progress | None = None) -> int:
        """Apply every record not yet applied; returns how many records were applied."""
        with _gc_paused():
            return self._catch_up(batch, batch, progress)

    def _catch_up(self, batch: int, per_transaction: int, progress: Progress | None) -> int:
        """Apply `batch` records at a time, committing after `per_transaction` of them."""
        applied = 0
        while True:
            in_transaction = 0
            with self.db.transaction() as conn:
                while in_transaction < per_transaction:
                    start = min(self.checkpoint(conn, p.name) for p in self.projections)
                    records = list(self.store.read(after=start, until=start + batch))
                    if not records:
                        break
                    for projection in self.projections:
                        done = self.checkpoint(conn, projection.name)
                        todo = [r for r in records if r.position > done]
                        if todo:
                            projection.apply(conn, todo)
                            conn.execute(
                                "UPDATE checkpoints SET position = ? WHERE projection = ?",
                                (todo[-1].position, projection.name),
                            )
                    in_transaction += len(records)
                    if progress is not None:
                        progress(len(records))
            applied += in_transaction
            if in_transaction < per_transaction:
                return applied

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop every projection and replay the whole log into it; build the secondary
        indexes at the end, in one pass each, instead of row by row."""
        with self.db.transaction() as conn:
            for projection in self.projections:
                self._create(conn, projection, defer_indexes=True)
        with _gc_paused():
            applied = self._catch_up(REBUILD_BATCH, REBUILD_TRANSACTION, progress)
            self._create_missing_indexes()
        return applied


def _first_table(projection: str) -> str:
    return PROJECTION_DROPS[projection][0]


_CREATE_INDEX = re.compile(r"CREATE\s+INDEX\s+(\w+)\s", re.IGNORECASE)


def _index_name(statement: str) -> str | None:
    """The name a `CREATE INDEX` statement creates (unique indexes are never deferred)."""
    match = _CREATE_INDEX.match(statement)
    return match.group(1) if match else None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while folding: records and states hold no cycles, and
    the collector would otherwise walk every live batch over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
