"""Projections: tables derived from the log, kept caught up, rebuilt at will.

Each projection owns a few tables and a checkpoint (the last position it has applied).
Rows and checkpoint move in the same transaction, so a crash leaves a projection exactly
at some position of the log. Catch-up and `rebuild` run the very same code over batches
of records; a rebuild only starts from empty tables and uses larger batches, which is why
the two agree (a property test holds them to it).

A rebuild replays the whole log (a million records and more), so it also builds the
secondary indexes once at the end rather than row by row, except those a projection reads
while it applies records (`Projection.indexes_used`), and lets a projection prepare its
empty tables for the bulk and tidy them after it (`start_rebuild`, `finish_rebuild`: the
full-text index is merged once at the end). An interrupted rebuild leaves the indexes
missing, and `ensure_tables` goes on with it on the next start.

What a rebuild costs is mostly what it writes, so the event projection writes little: no
state for an event as it was reported (it is read back from the log), every table in
rowid order, and company and full-text rows only when they change.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from timeline.companies import (
    COMPANY_STREAM_PREFIX,
    fold_company,
    lookup_key,
    names_of,
)
from timeline.events import (
    EVENT_STREAM_PREFIX,
    REPORTED,
    company_ids,
    fold_event,
    new_state,
    quotes_of,
)
from timeline.jsontext import dumps, loads
from timeline.errors import StorageError
from timeline.records import Record
from timeline.search import index_text
from timeline.storage.schema import PROJECTION_DROPS, PROJECTION_TABLES, PROJECTION_VERSION
from timeline.storage.sqlite import (
    SQLiteDatabase,
    SQLiteRecordStore,
    _statements,
    gc_paused,
)
from timeline.upcasting import upcast, upcast_data

log = logging.getLogger(__name__)

CATCH_UP_BATCH = 2000
REBUILD_BATCH = 5000
# Records per transaction in a rebuild: each commit copies what it wrote through the WAL,
# and between two of them other writers get the lock (a rebuild takes about a minute).
REBUILD_TRANSACTION = 100000
# Connection settings for the length of a rebuild. SQLite as Debian builds it zeroes every
# page it frees, so dropping the old tables would write them out in full; FAST still erases
# what it can without extra writes. (The page cache is the connection's own, 64 MB.)
REBUILD_PRAGMAS: dict[str, int | str] = {"secure_delete": "FAST"}

Progress = Callable[[int], None]


class Projection(Protocol):
    name: str

    def apply(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        """Apply a batch of records (any kinds; ignore what is not yours)."""
        ...

    # Optionally, `indexes_used`: the names of the projection's indexes that `apply` reads
    # through; a rebuild creates them up front, and every other index at the end.
    # Optionally, `start_rebuild(conn)` and `finish_rebuild(conn)`: run on the empty
    # tables before a rebuild fills them, and after (with the deferred indexes, in one
    # transaction; again by `ensure_tables` if a rebuild was interrupted before it).


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
                (company_id, state["name"], state["country"], state["merged_into"], dumps(state)),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO company_aliases (key, alias, company) VALUES (?, ?, ?)",
                [(lookup_key(name), name, company_id) for name in names_of(state)],
            )


# How an event row reads back. An event that nothing changed since it was reported (most
# of them: a rebuild writes a million) stores no state: its state is `new_state` of the
# reported record, whose position is the row's rowid, and is rebuilt from the log on read.
EVENT_STATE_COLUMNS = "e.state, r.schema, r.data, r.recorded_at"
EVENTS_WITH_RECORDS = "events e JOIN records r ON r.position = e.rowid"


def event_state(row: Sequence[Any]) -> dict[str, Any]:
    """An event's state from the `EVENT_STATE_COLUMNS` of its row."""
    stored, schema, data, recorded_at = row[0], row[1], row[2], row[3]
    if stored is not None:
        state: dict[str, Any] = loads(stored)
        return state
    return new_state(upcast_data(REPORTED, schema, loads(data)), recorded_at, 1)


# FTS5's own merge settings, which catch-up keeps. While a rebuild fills the index, it
# merges only when a level holds this many segments: a million events write about 400,
# and FTS5 refuses more than 2,000 in all.
FTS5_MERGE_DEFAULTS = {"automerge": 4, "crisismerge": 16}
FTS5_REBUILD_CRISISMERGE = 1000


def _configure_search_index(conn: sqlite3.Connection, **settings: int) -> None:
    for name, value in settings.items():
        conn.execute("INSERT INTO events_fts (events_fts, rank) VALUES (?, ?)", (name, value))


def _is_first_report(record: Record) -> bool:
    """The record that opens its event's stream: no row of the event can exist yet."""
    return record.kind == REPORTED and record.version == 1


def _search_texts(state: dict[str, Any]) -> tuple[str, str, str]:
    """What the full-text index holds of an event, before `index_text`."""
    return state["title"], state.get("summary") or "", quotes_of(state)


def _indexed(rowid: int, texts: tuple[str, str, str]) -> tuple[int, str, str, str]:
    """A row of the full-text index: what `index_text` makes of an event's texts."""
    title, summary, quotes = texts
    return rowid, index_text(title), index_text(summary), index_text(quotes)


@dataclass
class _Event:
    """An event a batch touched: its row, its state as the tables hold it (None for an
    event new to them) and its state after the batch."""

    rowid: int
    before: dict[str, Any] | None = None
    state: dict[str, Any] | None = None


def _by_rowid(item: tuple[str, _Event]) -> int:
    return item[1].rowid


class EventsProjection:
    """The event index, company timelines and the full-text index.

    A batch folds its records against a working set of the events it touched, loading an
    event from the tables only when a record refers to one of an earlier batch, and then
    writes each touched event once: its row, and its company and full-text rows only when
    they changed. A rebuild is this same code over larger batches.
    """

    name = "events"

    @staticmethod
    def start_rebuild(conn: sqlite3.Connection) -> None:
        """A rebuild fills the full-text index without merging its segments on the way
        (each merge rewrites what the ones before wrote: a third of the index's cost on a
        million events), and merges them all once at its end."""
        _configure_search_index(conn, automerge=0, crisismerge=FTS5_REBUILD_CRISISMERGE)

    @staticmethod
    def finish_rebuild(conn: sqlite3.Connection) -> None:
        """One merge of the whole full-text index; catch-up merges as FTS5 does by default."""
        _configure_search_index(conn, **FTS5_MERGE_DEFAULTS)
        conn.execute("INSERT INTO events_fts (events_fts) VALUES ('optimize')")

    def apply(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        touched: dict[str, _Event] = {}
        for record in records:
            if record.stream.startswith(EVENT_STREAM_PREFIX):
                self._fold(conn, touched, upcast(record))
        if touched:
            self._write(conn, touched)

    @staticmethod
    def _fold(conn: sqlite3.Connection, touched: dict[str, _Event], record: Record) -> None:
        event_id = record.stream[len(EVENT_STREAM_PREFIX):]
        event = touched.get(event_id)
        if event is None:
            event = (_Event(record.position) if _is_first_report(record)
                     else EventsProjection._load(conn, record))
        state = fold_event(event.state, record)
        if state is not None:
            event.state = state
            touched[event_id] = event

    @staticmethod
    def _load(conn: sqlite3.Connection, record: Record) -> _Event:
        """The event `record` is about, as the tables hold it; one they do not hold yet
        would get its row at the record's position (if the record reports it).

        An event's row is where its stream's first `event.reported` record stands, so the
        log's own index on streams finds it: the index on event ids, which the reads need
        and this would not, is built once at the end of a rebuild instead of row by row."""
        row = conn.execute(
            f"SELECT e.rowid, {EVENT_STATE_COLUMNS} FROM {EVENTS_WITH_RECORDS} WHERE e.rowid = "
            "(SELECT position FROM records WHERE stream = ? AND kind = ? ORDER BY version LIMIT 1)",
            (record.stream, REPORTED),
        ).fetchone()
        if row is None:
            return _Event(record.position)
        state = event_state(row[1:])
        return _Event(row[0], before=state, state=state)

    @staticmethod
    def _write(conn: sqlite3.Connection, touched: dict[str, _Event]) -> None:
        rows: list[tuple[Any, ...]] = []
        stale: list[tuple[int]] = []  # events whose company rows change
        companies: list[tuple[int, str]] = []
        texts: list[tuple[int, str, str, str]] = []
        old_texts: list[tuple[int, str, str, str]] = []  # what the index holds of them
        # In rowid order: every table is then written front to back, and the full-text
        # index keeps its pending terms in memory (a lower rowid makes FTS5 flush them).
        for event_id, event in sorted(touched.items(), key=_by_rowid):
            state, before, rowid = event.state, event.before, event.rowid
            assert state is not None  # only folded events are kept
            # Version 1 is the reported record itself: the state is that record's.
            stored = None if state["version"] == 1 else dumps(state)
            rows.append((rowid, event_id, state["type"], state["date"], int(state["retracted"]),
                         stored))
            names = company_ids(state)
            if before is None or company_ids(before) != names:
                if before is not None:
                    stale.append((rowid,))
                companies.extend((rowid, company) for company in names)
            searched = _search_texts(state)
            if before is None:
                texts.append(_indexed(rowid, searched))
            elif (held := _search_texts(before)) != searched:
                old_texts.append(_indexed(rowid, held))
                texts.append(_indexed(rowid, searched))
        conn.executemany("DELETE FROM company_events WHERE event = ?", stale)
        conn.executemany(
            "INSERT INTO events (rowid, id, type, date_sort, retracted, state) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (rowid) DO UPDATE SET type = excluded.type,"
            " date_sort = excluded.date_sort, retracted = excluded.retracted, state = excluded.state",
            rows,
        )
        conn.executemany("INSERT OR IGNORE INTO company_events (event, company) VALUES (?, ?)",
                         companies)
        # The index is contentless: it deletes an event's old texts when given them back,
        # exactly as they were indexed, and then takes the new ones.
        conn.executemany(
            "INSERT INTO events_fts (events_fts, rowid, title, summary, quotes)"
            " VALUES ('delete', ?, ?, ?, ?)",
            old_texts,
        )
        conn.executemany(
            "INSERT INTO events_fts (rowid, title, summary, quotes) VALUES (?, ?, ?, ?)", texts
        )


class ProjectionRunner:
    """Keeps every projection caught up with the log, and rebuilds them on demand."""

    def __init__(self, db: SQLiteDatabase, store: SQLiteRecordStore,
                 projections: Iterable[Projection]) -> None:
        self.db = db
        self.store = store
        self.projections = list(projections)

    def ensure_tables(self) -> bool:
        """Create missing projection tables, and finish a rebuild that was interrupted
        before its end (its indexes are missing); rebuild all if their version changed."""
        row = self.db.conn.execute(
            "SELECT min(version) FROM checkpoints"
        ).fetchone()
        stale = row[0] is not None and row[0] != PROJECTION_VERSION
        missing = [p for p in self.projections if not self.db.table_exists(_first_table(p.name))]
        if stale:
            log.warning("the projections were built by another version of timeline; "
                        "rebuilding them from the log's %d records, once", self.store.head())
            self.rebuild()
            return True
        if missing:
            with self.db.transaction() as conn:
                for projection in missing:
                    self._create(conn, projection)
        if self._missing_indexes():
            self._resume_rebuild()
        return bool(missing)

    def _resume_rebuild(self) -> None:
        """Go on with an interrupted rebuild from its last commit, as a rebuild goes (large
        transactions, the deferred indexes built at the end). Finishing it at once and
        catching up the rest as new records would maintain every index row by row, in
        small transactions: several times slower on a large log.

        A rebuild that another process is running looks the same: this one waits for it
        instead (`SQLiteDatabase.rebuild_lock`), and finds it done."""
        with self.db.rebuild_lock(waiting=lambda: log.warning(
                "another process is rebuilding the projections; waiting for it to finish")):
            if not self._missing_indexes():
                return
            log.warning("finishing a rebuild that was interrupted (at record %d of %d)",
                        min(self.checkpoint(self.db.conn, p.name) for p in self.projections),
                        self.store.head())
            with gc_paused(), _rebuild_settings(self.db.conn):
                self._catch_up(REBUILD_BATCH, REBUILD_TRANSACTION, None)
                with self.db.transaction() as conn:
                    self._finish_rebuild(conn)

    def _create(self, conn: sqlite3.Connection, projection: Projection,
                rebuilding: bool = False) -> None:
        """Create the projection's tables empty; for a rebuild, without the indexes it
        does not read while applying records, and started (`_finish_rebuild` ends it)."""
        for table in PROJECTION_DROPS[projection.name]:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        used = set(getattr(projection, "indexes_used", ()))
        for statement in _statements(PROJECTION_TABLES[projection.name]):
            index = _index_name(statement)
            if not (rebuilding and index is not None and index not in used):
                conn.execute(statement)
        start = getattr(projection, "start_rebuild", None)
        if rebuilding and start is not None:
            start(conn)
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
            for projection in self.projections
            if projection.name in PROJECTION_TABLES and _first_table(projection.name) in present
            for statement in _statements(PROJECTION_TABLES[projection.name])
            if (index := _index_name(statement)) is not None and index not in present
        ]

    def _finish_rebuild(self, conn: sqlite3.Connection) -> None:
        """What a rebuild leaves to its end, in the caller's transaction: each projection's
        `finish_rebuild`, then the deferred indexes, whose absence marks an unfinished
        rebuild."""
        for projection in self.projections:
            finish = getattr(projection, "finish_rebuild", None)
            if finish is not None:
                finish(conn)
        for statement in self._missing_indexes():
            conn.execute(statement)

    def checkpoint(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute(
            "SELECT position FROM checkpoints WHERE projection = ?", (name,)
        ).fetchone()
        return int(row[0]) if row else 0

    def catch_up(self, batch: int = CATCH_UP_BATCH, progress: Progress | None = None) -> int:
        """Apply every record not yet applied; returns how many records were applied.

        Looks first, without a write lock: a caught-up reader (on a read-only file too)
        writes nothing."""
        if not self.behind():
            return 0
        if self._missing_indexes():  # a rebuild, running or interrupted: not row by row
            head = self.store.head()
            self._resume_rebuild()
            return head
        with gc_paused():
            return self._catch_up(batch, batch, progress)

    def furthest(self) -> int:
        """The furthest position any projection has applied (0 before any)."""
        row = self.db.conn.execute("SELECT max(position) FROM checkpoints").fetchone()
        return int(row[0] or 0)

    def behind(self) -> bool:
        """Whether a record of the log waits for a projection or for the log's index."""
        head = self.store.head()
        low = self.db.conn.execute("SELECT min(position) FROM checkpoints").fetchone()[0]
        return low is None or low < head or self.store.refs_indexed() < head

    def _catch_up(self, batch: int, per_transaction: int, progress: Progress | None) -> int:
        """Apply `batch` records at a time, committing after `per_transaction` of them."""
        applied = 0
        while True:
            in_transaction = 0
            with self.db.transaction() as conn:
                # The log's own index of what records are about moves with the projections.
                self.store.index_refs_in(conn)
                while in_transaction < per_transaction:
                    start = min(self.checkpoint(conn, p.name) for p in self.projections)
                    records = list(self.store.read(after=start, until=start + batch))
                    if not records:
                        break
                    for projection in self.projections:
                        done = self.checkpoint(conn, projection.name)
                        # Usually every projection stands at the same position.
                        todo = (records if done < records[0].position
                                else [r for r in records if r.position > done])
                        if todo:
                            _apply(projection, conn, todo)
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
        with self.db.rebuild_lock(waiting=lambda: log.warning(
                "another process is rebuilding the projections; waiting to rebuild them again")):
            with gc_paused(), _rebuild_settings(self.db.conn):
                with self.db.transaction() as conn:
                    for projection in self.projections:
                        self._create(conn, projection, rebuilding=True)
                applied = self._catch_up(REBUILD_BATCH, REBUILD_TRANSACTION, progress)
                with self.db.transaction() as conn:
                    self._finish_rebuild(conn)
        return applied


def _apply(projection: Projection, conn: sqlite3.Connection, records: list[Record]) -> None:
    """`projection.apply`, a record it cannot read named as the log's problem: every record
    was validated when appended, so one of the wrong shape was written by something else."""
    try:
        projection.apply(conn, records)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise StorageError(
            f"the {projection.name} projection cannot read records {records[0].position} to "
            f"{records[-1].position} ({type(exc).__name__}: {exc}): one of them was written "
            "outside timeline, or by a newer version of it (`timeline verify` checks the log)"
        ) from exc


def _first_table(projection: str) -> str:
    return PROJECTION_DROPS[projection][0]


_CREATE_INDEX = re.compile(r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(\w+)\s", re.IGNORECASE)


def _index_name(statement: str) -> str | None:
    """The name a `CREATE [UNIQUE] INDEX` statement creates (constraints declared inside a
    table are built with it, never deferred)."""
    match = _CREATE_INDEX.match(statement)
    return match.group(1) if match else None


@contextmanager
def _rebuild_settings(conn: sqlite3.Connection) -> Iterator[None]:
    """Connection settings for the length of a rebuild, restored after it (see
    `REBUILD_PRAGMAS`); none of them touches durability or the log."""
    before = {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in REBUILD_PRAGMAS}
    for name, value in REBUILD_PRAGMAS.items():
        conn.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        for name, value in before.items():
            conn.execute(f"PRAGMA {name} = {value}")

