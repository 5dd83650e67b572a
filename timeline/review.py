"""The review queue: proposals waiting for a curator, as a projection of the log."""

from __future__ import annotations

from timeline.jsontext import dumps, loads
import sqlite3
from typing import Any

from timeline.clustering import cluster_key
from timeline.proposals import PROPOSAL_STREAM_PREFIX, fold_proposal
from timeline.records import Record


class ReviewProjection:
    name = "review"

    def apply(self, conn: sqlite3.Connection, records: list[Record]) -> None:
        for record in records:
            if not record.stream.startswith(PROPOSAL_STREAM_PREFIX):
                continue
            proposal_id = record.stream[len(PROPOSAL_STREAM_PREFIX):]
            # A proposal's first record opens its stream: no row can exist to look up.
            row = None if record.version == 1 else conn.execute(
                "SELECT state FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
            state = fold_proposal(loads(row[0]) if row else None, record)
            if state is None:
                continue
            conn.execute(
                "INSERT INTO proposals (id, status, confidence, made_at, cluster, state)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
                " state = excluded.state",
                (proposal_id, state["status"], state["confidence"], state["made_at"],
                 cluster_key(state["event"]), dumps(state)),
            )


class ReviewQueries:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def listing(self, status: str = "pending", limit: int = 100) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT state FROM proposals WHERE status = ? ORDER BY confidence DESC, made_at LIMIT ?",
            (status, limit),
        )
        return [loads(row[0]) for row in rows]

    def get(self, proposal_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT state FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
        return loads(row[0]) if row else None

    def pending_in_cluster(self, cluster: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT state FROM proposals WHERE cluster = ? AND status = 'pending'", (cluster,)
        )
        return [loads(row[0]) for row in rows]
