"""Items seen: every feed entry and imported document the log has read.

The projection answers one question fast — "have we seen this content before?" — so
that a publisher who changes every guid on each fetch does not make old news look new.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from timeline.proposals import ITEM_SEEN
from timeline.records import Record


class ItemsProjection:
    name = "items"

    def apply(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        rows = [
            (record.data.get("feed") or record.stream, fingerprint, record.key)
            for record in records if record.kind == ITEM_SEEN
            for fingerprint in record.data.get("fingerprints") or [record.data.get("fingerprint")]
            if fingerprint
        ]
        conn.executemany(
            "INSERT OR IGNORE INTO feed_items (feed, fingerprint, key) VALUES (?, ?, ?)", rows
        )


class SQLiteSeenItems:
    """The lookup identity needs: which of these fingerprints a feed has delivered before."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def known(self, feed: str, fingerprints: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(fingerprints))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.conn.execute(
                f"SELECT fingerprint FROM feed_items WHERE feed = ? AND fingerprint IN "
                f"({','.join('?' * len(chunk))})",
                [feed, *chunk],
            )
            found.update(row[0] for row in rows)
        return found
