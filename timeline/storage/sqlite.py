"""The embedded default: the log and its projections in one SQLite file.

WAL lets readers go on while one writer appends; every write starts with
`BEGIN IMMEDIATE` so that two writers queue at the start of a transaction instead of
deadlocking half-way, and a bounded retry absorbs the moments another process holds the
write lock. sqlite3 errors are translated into `StorageError`s here, at the boundary.
"""

from __future__ import annotations

import functools
import gc
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from timeline.dates import format_timestamp, utc_now
from timeline.errors import (
    AppendOnlyViolation,
    ConcurrencyError,
    DatabaseBusy,
    DatabaseUnusable,
    SchemaTooNew,
    StorageError,
)
from timeline.jsontext import canonical_bytes, loads
from timeline.records import (
    GENESIS_HASH,
    AppendResult,
    NewRecord,
    Record,
    chain_hash,
)
from timeline.storage.schema import LOG_GUARDS, LOG_MIGRATIONS, LOG_VERSION

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # not on Windows: there one rebuild is not told from another's
    fcntl = None

# SQLite waits up to BUSY_TIMEOUT_MS per attempt; with the backoff between attempts a
# writer gives up after about half a minute of another process holding the lock.
BUSY_ATTEMPTS = 20
BUSY_TIMEOUT_MS = 1500
PAGE = 2000
# The page cache, in KiB (negative, as SQLite wants it): enough for the key and stream
# indexes of a log of a few million records, which every append looks up at random.
CACHE_KIB = -65536
_IN_CHUNK = 500  # values per `IN (...)` list, well under SQLite's variable limit

Clock = Callable[[], str]


def _in_lists(values: list[str]) -> Iterator[tuple[list[str], str]]:
    """`values` in chunks of `_IN_CHUNK`, each with the `?, ?, ...` of its `IN (...)`."""
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def _upto(until: int | None) -> int:
    """The last position a read up to `until` takes (None: the whole log)."""
    return until if until is not None else 2**62

_EMPTY_LOG = (0, GENESIS_HASH, "")
_STATE_OF_ONE = """
    SELECT (SELECT max(version) FROM records WHERE stream = ?1),
           (SELECT 1 FROM records WHERE key = ?2),
           last.position, last.hash, last.recorded_at
    FROM (SELECT 1) LEFT JOIN (
        SELECT position, hash, recorded_at FROM records ORDER BY position DESC LIMIT 1
    ) AS last"""

_COLUMNS = "position, stream, version, kind, schema, data, meta, recorded_at, key, hash"


def _read_columns(table: str = "") -> str:
    """The columns of a record as reads select them: the payloads as their UTF-8 bytes,
    which SQLite hands over without building a str that orjson would encode back."""
    prefix = f"{table}." if table else ""
    return ", ".join(f"CAST({prefix}{name} AS BLOB)" if name in ("data", "meta")
                     else f"{prefix}{name}" for name in _COLUMNS.split(", "))


_READ = _read_columns()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection for the length of a batch: records, rows and states
    hold no cycles, and the collector would otherwise walk every live object of the batch
    (and every payload the caller still holds) over and over while it is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _default_clock() -> str:
    return format_timestamp(utc_now())


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class SQLiteDatabase:
    """One SQLite file: connection settings, transactions with retry, migrations."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        """Open the file; with `create=False` only a timeline database that exists is
        accepted, and a file that is not one is left exactly as it was found."""
        self.path = Path(path)
        in_memory = str(path) == ":memory:"
        if not create and not in_memory and not self.path.exists():
            raise DatabaseUnusable(str(path), "does not exist; create it with `timeline init`")
        if create and not in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=5.0,
                                        check_same_thread=False)
        except sqlite3.Error as exc:
            raise DatabaseUnusable(str(path), f"cannot be opened ({exc})") from exc
        try:
            version = self.log_version()  # the first read of the file; it writes nothing
        except sqlite3.OperationalError as exc:  # a WAL file needs its -shm beside it
            self.conn.close()
            raise DatabaseUnusable(str(path), f"cannot be read here ({exc}); check the "
                                   "permissions of the file and its folder") from exc
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise DatabaseUnusable(str(path), f"is not a timeline database ({exc})") from exc
        if version == 0 and not create:
            self.conn.close()
            raise DatabaseUnusable(str(path), "is not a timeline database; create one with "
                                   "`timeline init`")
        try:  # a second process creating the same file may hold it for a moment
            self._when_free("PRAGMA journal_mode=WAL")
        except StorageError:
            self.conn.close()
            raise
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(f"PRAGMA cache_size={CACHE_KIB}")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def rebuild_lock(self, waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """Held by the process that rebuilds the projections, for the whole rebuild.

        A rebuild commits as it goes and builds its indexes last, so between its
        transactions its tables look like those of a rebuild that was interrupted. Another
        process asks this lock before it takes over such a rebuild: free, the rebuild was
        interrupted (the system releases the lock of a process that died); held, it waits
        (`waiting` says so first) and finds the rebuild done. A lock on a file beside the
        database, as SQLite's own are; none where the system has no `flock`, or for a
        database in memory."""
        if fcntl is None or str(self.path) == ":memory:":
            yield
            return
        handle: IO[bytes]
        try:
            handle = open(f"{self.path}-rebuild", "a+b")
        except OSError:
            try:  # made by another user: a lock is taken on a file open for reading too
                handle = open(f"{self.path}-rebuild", "rb")
            except OSError:  # none, in a folder this process cannot write: it rebuilds nothing
                yield
                return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    waiting()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: `BEGIN IMMEDIATE`, commit on success, roll back on error."""
        conn = self.begin()
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            self.rollback()
            raise self.refusal(exc) from exc
        except sqlite3.IntegrityError as exc:
            # Every write checks what the log's constraints check first; one they refuse
            # all the same was made possible by something outside timeline.
            self.rollback()
            raise StorageError(f"the database refused the write: {exc}; nothing of it was "
                               "written (`timeline verify` checks the log)") from exc
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def refusal(self, exc: sqlite3.OperationalError) -> StorageError:
        """What a write the file refused means for the person at the keyboard."""
        if "readonly" in str(exc):
            return StorageError(f"{str(self.path)!r} cannot be written here (the file or its "
                                f"folder is read-only): {exc}; reading it still works")
        return StorageError(f"the database refused the write: {exc}")

    def damage(self) -> str | None:
        """SQLite's first complaint about the file's structure (`quick_check`), or None."""
        try:
            row = self.conn.execute("PRAGMA quick_check(1)").fetchone()
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return None if row is None or row[0] == "ok" else str(row[0])

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees one state of the file, whatever
        other processes commit meanwhile (WAL keeps it for the reader)."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def begin(self) -> sqlite3.Connection:
        """`BEGIN IMMEDIATE`, retried while another process holds the write lock.

        Taking the write lock up front means a transaction never fails half-way for lack
        of it."""
        self._when_free("BEGIN IMMEDIATE")
        return self.conn

    def _when_free(self, statement: str) -> None:
        """Run `statement`, retried with jittered backoff a bounded number of times while
        another process holds the file, then `DatabaseBusy`."""
        for attempt in range(BUSY_ATTEMPTS):
            try:
                self.conn.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == BUSY_ATTEMPTS - 1:
                    raise DatabaseBusy() if _is_busy(exc) else StorageError(str(exc)) from exc
                time.sleep(min(0.2, 0.005 * 2 ** min(attempt, 6)) * random.uniform(0.5, 1.5))

    def commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.rollback()
            raise StorageError(f"commit failed: {exc}") from exc

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def log_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> bool:
        """Bring the log tables to `LOG_VERSION`; True when anything changed."""
        current = self.log_version()
        if current > LOG_VERSION:
            raise SchemaTooNew(current, LOG_VERSION)
        if current == LOG_VERSION:
            return False
        with self.transaction() as conn:
            current = self.log_version()  # again under the write lock: another process
            if current == LOG_VERSION:     # may have migrated meanwhile
                return False
            if current == 0 and (other := self._other_tables()):
                raise DatabaseUnusable(str(self.path), f"holds tables of something else "
                                       f"({', '.join(other[:3])}); give timeline a file of its own")
            for step in LOG_MIGRATIONS[current:]:
                for statement in _statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {LOG_VERSION}")
        return True

    def _other_tables(self) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    def table_exists(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (name,)
        ).fetchone()
        return row is not None


def _words(sql: str) -> str:
    return " ".join(sql.rstrip(";").split())


@functools.cache
def _guard_sql() -> dict[str, str]:
    """Each guard trigger's CREATE statement, as the latest migration that made it wrote it
    (worked out once, when `verify` first asks: not at every command's start)."""
    found: dict[str, str] = {}
    for step in LOG_MIGRATIONS:
        for statement in _statements(step):
            for name in LOG_GUARDS:
                if statement.startswith(f"CREATE TRIGGER {name} "):
                    found[name] = statement
    return found


def _statements(script: str) -> Iterator[str]:
    """Split a DDL script on statement boundaries, keeping trigger bodies whole."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


def run_script(conn: sqlite3.Connection, script: str) -> None:
    for statement in _statements(script):
        conn.execute(statement)


# The payloads are bound as the UTF-8 bytes they were encoded to, and SQLite takes them as
# text as they are: no round trip through a Python str for every record.
_INSERT = (f"INSERT INTO records ({_COLUMNS}) "
           "VALUES (?,?,?,?,?,CAST(? AS TEXT),CAST(? AS TEXT),?,?,?)")


def _encode(new: NewRecord, position: int, version: int, prev_hash: str,
            recorded_at: str) -> tuple[tuple[Any, ...], Record]:
    """The row to insert and the record it stores: canonical text, chained hash."""
    meta = {**new.meta, REFS: list(dict.fromkeys(new.refs))} if new.refs else new.meta
    data = canonical_bytes(new.data)
    meta_bytes = canonical_bytes(meta)
    digest = chain_hash(prev_hash, position, new.stream, version, new.kind, new.schema,
                        data, meta_bytes, recorded_at, new.key)
    return ((position, new.stream, version, new.kind, new.schema, data, meta_bytes,
             recorded_at, new.key, digest),
            Record(position, new.stream, version, new.kind, new.schema, new.data, meta,
                   recorded_at, new.key, digest))


def _rows(records: Sequence[NewRecord], last: tuple[int, str, str], versions: dict[str, int],
          recorded_at: str, known_keys: set[str]
          ) -> tuple[list[tuple[Any, ...]], list[Record], list[str]]:
    """The rows of a batch after the `last` record, skipping keys already known or
    repeated inside the batch; the records they store; the keys skipped."""
    position, prev_hash, _ = last
    seen = set(known_keys)
    rows: list[tuple[Any, ...]] = []
    written: list[Record] = []
    skipped: list[str] = []
    for new in records:
        key = new.key
        if key is not None:
            if key in seen:
                skipped.append(key)
                continue
            seen.add(key)
        position += 1
        version = versions[new.stream] = versions[new.stream] + 1
        row, record = _encode(new, position, version, prev_hash, recorded_at)
        prev_hash = record.hash
        rows.append(row)
        written.append(record)
    return rows, written, skipped


# The meta entry in which a record names what it is about (`NewRecord.refs`).
REFS = "refs"


def _refs_of(meta: str) -> list[str]:
    """The refs a record's stored meta names (most records name none: skip the decoding)."""
    if '"refs"' not in meta:
        return []
    refs = loads(meta).get(REFS)
    return [ref for ref in refs if isinstance(ref, str)] if isinstance(refs, list) else []


def _row_to_record(row: tuple[Any, ...]) -> Record:
    try:
        return Record(row[0], row[1], row[2], row[3], row[4], loads(row[5]), loads(row[6]),
                      row[7], row[8], row[9])
    except ValueError:  # only a write outside timeline stores text that is not JSON
        raise StorageError(f"record {row[0]} cannot be read: its data is not JSON; something "
                           "outside timeline wrote it (`timeline verify` checks the log)") from None


class SQLiteRecordStore:
    """The log in SQLite; see `timeline.storage.RecordStore` for the contract."""

    def __init__(self, db: SQLiteDatabase, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or _default_clock

    # -- writing -----------------------------------------------------------------------

    def append(
        self, records: Sequence[NewRecord], expected: Mapping[str, int] | None = None
    ) -> AppendResult:
        # A batch is first tried as if none of its keys were in the log: the database's
        # trigger refuses a key taken, and only then is it tried again with its keys looked
        # up. Looking up every key first costs about 1 µs per record of a batch (a thirtieth
        # of its append), for keys that are nearly always new; a re-run pays one refused
        # insert instead.
        if len(records) > 1 and any(r.key is not None for r in records):
            result = self._append(records, expected, keys_unknown=True)
            if result is not None:
                return result
        result = self._append(records, expected, keys_unknown=False)
        assert result is not None
        return result

    def _append(self, records: Sequence[NewRecord], expected: Mapping[str, int] | None,
                keys_unknown: bool) -> AppendResult | None:
        """One attempt in its own transaction; None when the log refused a batch whose
        keys were not looked up (nothing was written)."""
        # `begin`/`commit` by hand rather than `transaction()`: most appends are one
        # record, and the context manager would be a tenth of their Python.
        conn = self.db.begin()
        try:
            result = self.append_in(conn, records, expected, keys_unknown=keys_unknown)
        except sqlite3.IntegrityError as exc:
            self.db.rollback()
            if keys_unknown:
                return None
            raise self._translate(exc) from exc
        except sqlite3.OperationalError as exc:
            self.db.rollback()
            raise self.db.refusal(exc) from exc
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()
        return result

    def append_in(
        self,
        conn: sqlite3.Connection,
        records: Sequence[NewRecord],
        expected: Mapping[str, int] | None = None,
        keys_unknown: bool = False,
    ) -> AppendResult:
        """Append inside a transaction the caller already holds (see `append`).

        With `keys_unknown` the batch's keys are not looked up: a key already in the log
        makes the insert fail (sqlite3.IntegrityError), and the caller must roll back.
        """
        if len(records) == 1 and (not expected or expected.keys() <= {records[0].stream}):
            return self._append_one(conn, records[0], expected)
        row = conn.execute(
            "SELECT position, hash, recorded_at FROM records ORDER BY position DESC LIMIT 1"
        ).fetchone()
        last = row or _EMPTY_LOG
        versions = self._versions(conn, {r.stream for r in records} | set(expected or {}))
        for stream, want in (expected or {}).items():
            if versions[stream] != want:
                raise ConcurrencyError(stream, want, versions[stream])
        # Transaction time never runs backwards, so "known at T" is a prefix of the log.
        recorded_at = max(self.clock(), last[2])
        known = (set() if keys_unknown else
                 self._existing_keys(conn, {r.key for r in records if r.key is not None}))
        with gc_paused():
            rows, written, skipped = _rows(records, last, versions, recorded_at, known)
            conn.executemany(_INSERT, rows)
        return AppendResult(tuple(written), tuple(skipped))

    def _append_one(self, conn: sqlite3.Connection, new: NewRecord,
                    expected: Mapping[str, int] | None) -> AppendResult:
        """One record: the last record, the stream's version and the key in one query."""
        version, found, *last = conn.execute(_STATE_OF_ONE, (new.stream, new.key)).fetchone()
        version = version or 0
        if expected and expected[new.stream] != version:
            raise ConcurrencyError(new.stream, expected[new.stream], version)
        if found and new.key is not None:
            return AppendResult((), (new.key,))
        position, prev_hash, last_time = last if last[0] is not None else _EMPTY_LOG
        row, record = _encode(new, position + 1, version + 1, prev_hash,
                              max(self.clock(), last_time))
        conn.execute(_INSERT, row)
        return AppendResult((record,), ())

    # -- the index of what records are about -------------------------------------------

    def index_refs(self) -> int:
        """Bring `record_refs` up to the head of the log; returns the records indexed."""
        with self.db.transaction() as conn:
            return self.index_refs_in(conn)

    def index_refs_in(self, conn: sqlite3.Connection) -> int:
        """`index_refs` inside a transaction the caller holds (a projection catch-up)."""
        done = self._indexed(conn)
        indexed = 0
        while rows := conn.execute(
            "SELECT position, meta FROM records WHERE position > ? ORDER BY position LIMIT ?",
            (done, PAGE * 5),
        ).fetchall():
            conn.executemany(
                "INSERT INTO record_refs (ref, position) VALUES (?, ?)",
                [(ref, position) for position, meta in rows for ref in _refs_of(meta)],
            )
            done = rows[-1][0]
            indexed += len(rows)
        if indexed:
            conn.execute("UPDATE log_indexes SET position = ? WHERE name = 'refs'", (done,))
        return indexed

    def refs_indexed(self) -> int:
        """The position up to which `record_refs` holds what records are about."""
        return self._indexed(self.db.conn)

    @staticmethod
    def _indexed(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT position FROM log_indexes WHERE name = 'refs'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _version(conn: sqlite3.Connection, stream: str) -> int:
        row = conn.execute(
            "SELECT max(version) FROM records WHERE stream = ?", (stream,)
        ).fetchone()
        return int(row[0] or 0)

    def has_key_in(self, conn: sqlite3.Connection, key: str) -> bool:
        """Whether a record with this key exists (inside the caller's transaction)."""
        return self._has_key(conn, key)

    @staticmethod
    def _has_key(conn: sqlite3.Connection, key: str) -> bool:
        return conn.execute("SELECT 1 FROM records WHERE key = ?", (key,)).fetchone() is not None

    @staticmethod
    def _versions(conn: sqlite3.Connection, streams: Iterable[str]) -> dict[str, int]:
        """The current version of each stream (0 for a new one)."""
        names = list(streams)
        versions = dict.fromkeys(names, 0)
        for chunk, marks in _in_lists(names):
            versions.update(conn.execute(
                f"SELECT stream, max(version) FROM records WHERE stream IN ({marks})"
                " GROUP BY stream",
                chunk,
            ).fetchall())
        return versions

    @staticmethod
    def _existing_keys(conn: sqlite3.Connection, keys: Iterable[str]) -> set[str]:
        """Those of `keys` that some record of the log already carries."""
        found: set[str] = set()
        for chunk, marks in _in_lists(list(keys)):
            found.update(row[0] for row in conn.execute(
                f"SELECT key FROM records WHERE key IN ({marks})", chunk
            ))
        return found

    @staticmethod
    def _translate(exc: sqlite3.IntegrityError) -> StorageError:
        text = str(exc)
        if "append-only" in text:
            return AppendOnlyViolation(text)
        if "UNIQUE constraint failed: records.stream" in text:
            return StorageError(
                "another writer appended to the same stream at the same moment; "
                "nothing was written, try again"
            )
        return StorageError(f"the log refused the records: {text}")

    # -- reading -----------------------------------------------------------------------

    def _paged(self, sql: str, params: Sequence[Any]) -> Iterator[Record]:
        cursor = self.db.conn.execute(sql, params)
        while rows := cursor.fetchmany(PAGE):
            for row in rows:
                yield _row_to_record(row)

    def read(
        self, after: int = 0, until: int | None = None, kinds: Iterable[str] | None = None
    ) -> Iterator[Record]:
        limit = _upto(until)
        sql = f"SELECT {_READ} FROM records WHERE position > ? AND position <= ?"
        params: list[Any] = [after, limit]
        if kinds is not None:
            wanted = list(kinds)
            sql += f" AND kind IN ({','.join('?' * len(wanted))})"
            params += wanted
        # Page by position so a long read holds no read transaction open for minutes; a
        # page is fetched whole, as rows, and decoded one record at a time as it is read.
        while True:
            rows = self.db.conn.execute(sql + f" ORDER BY position LIMIT {PAGE * 10}",
                                        params).fetchall()
            for row in rows:
                yield _row_to_record(row)
            if len(rows) < PAGE * 10:
                return
            params[0] = rows[-1][0]

    def read_streams(self, streams: Iterable[str], until: int | None = None) -> Iterator[Record]:
        names = sorted(set(streams))
        limit = _upto(until)
        found: list[Record] = []
        for chunk, marks in _in_lists(names):
            found.extend(self._paged(
                f"SELECT {_READ} FROM records WHERE stream IN ({marks})"
                " AND position <= ?",
                [*chunk, limit],
            ))
        found.sort(key=lambda record: record.position)
        return iter(found)

    def read_refs(self, refs: Iterable[str], until: int | None = None) -> Iterator[Record]:
        names = sorted(set(refs))
        indexed, limit = self._index_bounds(until)
        marks = ",".join("?" * len(names))
        yield from self._paged(
            f"SELECT {_read_columns('r')} FROM records r "
            f"WHERE r.position IN (SELECT position FROM record_refs WHERE ref IN ({marks}) "
            "AND position <= ?) ORDER BY r.position",
            [*names, indexed],
        )
        yield from self._tail(names, indexed, limit)

    def streams_referencing(self, refs: Iterable[str], prefix: str,
                            until: int | None = None) -> set[str]:
        names = sorted(set(refs))
        indexed, limit = self._index_bounds(until)
        marks = ",".join("?" * len(names))
        rows = self.db.conn.execute(
            f"SELECT DISTINCT r.stream FROM record_refs f JOIN records r "
            f"ON r.position = f.position WHERE f.ref IN ({marks}) AND f.position <= ? "
            "AND r.stream >= ? AND r.stream < ?",
            [*names, indexed, prefix, prefix + "\uffff"],
        )
        streams = {row[0] for row in rows}
        streams.update(r.stream for r in self._tail(names, indexed, limit)
                       if r.stream.startswith(prefix))
        return streams

    def _index_bounds(self, until: int | None) -> tuple[int, int]:
        """How far `record_refs` may answer for a read up to `until`, and `until` itself.

        The index only ever grows, so the bound read here stays true for the whole read."""
        limit = _upto(until)
        return min(limit, self._indexed(self.db.conn)), limit

    def _tail(self, refs: list[str], after: int, until: int) -> Iterator[Record]:
        """Records after the index that name any of `refs`: read from the log itself.

        Projections catch the index up after every write, so this is a handful of records,
        unless the log was appended to by a process that never caught up."""
        wanted = set(refs)
        for record in self.read(after=after, until=until):
            named = record.meta.get(REFS)
            if isinstance(named, list) and wanted.intersection(named):
                yield record

    def streams_with_prefix(self, prefix: str, until: int | None = None) -> Iterator[list[Record]]:
        limit = _upto(until)
        current: list[Record] = []
        for record in self._paged(
            f"SELECT {_READ} FROM records WHERE stream >= ? AND stream < ? "
            "AND position <= ? ORDER BY stream, version",
            [prefix, prefix + "\uffff", limit],
        ):
            if current and current[0].stream != record.stream:
                yield current
                current = []
            current.append(record)
        if current:
            yield current

    def stream_version(self, stream: str) -> int:
        return self._version(self.db.conn, stream)

    def head(self) -> int:
        row = self.db.conn.execute("SELECT coalesce(max(position), 0) FROM records").fetchone()
        return int(row[0])

    def position_at(self, recorded_at: str) -> int:
        """Binary search on position: recorded_at never decreases along the log (a trigger
        enforces it), so twenty lookups by primary key answer for a million records."""
        low, high = 0, self.head()
        while low < high:
            middle = (low + high + 1) // 2
            row = self.db.conn.execute(
                "SELECT recorded_at FROM records WHERE position = ?", (middle,)
            ).fetchone()
            if row[0] <= recorded_at:
                low = middle
            else:
                high = middle - 1
        return low

    def get_by_key(self, key: str) -> Record | None:
        row = self.db.conn.execute(
            f"SELECT {_READ} FROM records WHERE key = ?", (key,)
        ).fetchone()
        return _row_to_record(row) if row else None

    def count(self) -> int:
        return int(self.db.conn.execute("SELECT count(*) FROM records").fetchone()[0])

    def position_of_hash(self, digest: str) -> int | None:
        """The position of the record with this hash, if the log holds one (a scan: it
        serves `verify --head`, which reads the whole log anyway)."""
        row = self.db.conn.execute("SELECT position FROM records WHERE hash = ?", (digest,)).fetchone()
        return int(row[0]) if row else None

    def hash_at(self, position: int) -> str | None:
        row = self.db.conn.execute("SELECT hash FROM records WHERE position = ?", (position,)).fetchone()
        return str(row[0]) if row else None

    def missing_guards(self) -> list[str]:
        """The triggers that keep the log append-only and that are not in the file as the
        schema wrote them (only something outside timeline drops or rewrites one, and a
        trigger of the same name that refuses nothing stops no rewrite)."""
        present = dict(self.db.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records'"))
        return [name for name in LOG_GUARDS
                if _words(present.get(name) or "") != _words(_guard_sql()[name])]

    def verify(self) -> tuple[int, int | None, str | None]:
        """Recompute every hash from the stored bytes; name the first position that fails."""
        prev_hash = GENESIS_HASH
        expected_position = 0
        checked = 0
        cursor = self.db.conn.execute(f"SELECT {_READ} FROM records ORDER BY position")
        while rows := cursor.fetchmany(PAGE):
            for row in rows:
                position, stream, version, kind, schema, data, meta, recorded_at, key, digest = row
                expected_position += 1
                if position != expected_position:
                    return checked, expected_position, f"position {expected_position} is missing"
                want = chain_hash(prev_hash, position, stream, version, kind, schema, data,
                                  meta, recorded_at, key)
                if want != digest:
                    return checked, position, "its content does not match its hash"
                prev_hash = digest
                checked += 1
        return checked, None, None
