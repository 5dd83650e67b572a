"""The storage interface: everything the domain asks of a database, and nothing more.

The domain talks to a `RecordStore` for the log and to a `Database` for transactions on
projection tables. `SQLiteRecordStore` is the embedded default; a PostgreSQL sibling
(`PostgresRecordStore`) implements the same protocol and runs the same contract tests.

A use case that decides what to append from what the projections say (clustering a
report with the events already known, accepting a proposal) holds one transaction of the
`Database` for both: it reads the projections through the transaction's connection and
appends with `RecordStore.append_in`, so that no other writer slips in between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from timeline.records import AppendResult, NewRecord, Record


class Database(Protocol):
    """The database that holds the log and the projections."""

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection that projection queries read through."""
        ...

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction, taken at once (other writers wait), committed at the end of
        the block or rolled back if it raises."""
        ...


class RecordStore(Protocol):
    """The append-only log."""

    def append(
        self, records: Sequence[NewRecord], expected: Mapping[str, int] | None = None
    ) -> AppendResult:
        """Append all of `records` in one transaction, or none of them.

        `expected` maps a stream to the version it must be at before the batch; a stale
        one raises `ConcurrencyError`. A record whose key is already in the log is
        skipped and reported in `AppendResult.skipped_keys`.
        """
        ...

    def append_in(
        self, conn: sqlite3.Connection, records: Sequence[NewRecord],
        expected: Mapping[str, int] | None = None,
    ) -> AppendResult:
        """`append` inside a `Database.transaction()` the caller holds: the records commit
        or roll back with the rest of that transaction."""
        ...

    def has_key_in(self, conn: sqlite3.Connection, key: str) -> bool:
        """Whether a record of the log carries `key`, inside the caller's transaction."""
        ...

    def read(
        self, after: int = 0, until: int | None = None, kinds: Iterable[str] | None = None
    ) -> Iterator[Record]:
        """Records with `after < position <= until`, oldest first, streamed in pages."""
        ...

    def read_streams(self, streams: Iterable[str], until: int | None = None) -> Iterator[Record]:
        """All records of the given streams up to `until`, in position order."""
        ...

    def read_refs(self, refs: Iterable[str], until: int | None = None) -> Iterator[Record]:
        """Records that name any of `refs`, up to `until`, in position order."""
        ...

    def streams_referencing(self, refs: Iterable[str], prefix: str,
                            until: int | None = None) -> set[str]:
        """Names of the streams starting with `prefix` that have a record naming any ref."""
        ...

    def streams_with_prefix(self, prefix: str, until: int | None = None) -> Iterator[list[Record]]:
        """Each stream whose name starts with `prefix`, one list of records at a time."""
        ...

    def stream_version(self, stream: str) -> int: ...

    def head(self) -> int:
        """The position of the last record (0 for an empty log)."""
        ...

    def position_at(self, recorded_at: str) -> int:
        """The last position recorded at or before the given canonical UTC timestamp."""
        ...

    def get_by_key(self, key: str) -> Record | None: ...

    def verify(self) -> tuple[int, int | None, str | None]:
        """Walk the hash chain: (records checked, first bad position, why)."""
        ...
