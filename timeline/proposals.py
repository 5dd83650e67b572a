"""Proposals: events that extraction found and no curator has accepted yet.

A proposal carries the draft event and the source it came from. Accepting one appends,
in the same transaction, the decision and either a new event or a new source for the
event it clusters with; rejecting one appends the decision, and the item's idempotency
key guarantees it is never proposed again. Decisions are records like everything else.
"""

from __future__ import annotations

from typing import Any

from timeline.records import Record

PROPOSAL_STREAM_PREFIX = "proposal-"
MADE = "proposal.made"
ACCEPTED = "proposal.accepted"
REJECTED = "proposal.rejected"
PROPOSAL_KINDS = (MADE, ACCEPTED, REJECTED)

FEED_STREAM_PREFIX = "feed-"
ITEM_SEEN = "feed.item_seen"


def stream_of(proposal_id: str) -> str:
    return PROPOSAL_STREAM_PREFIX + proposal_id


def fold_proposal(state: dict[str, Any] | None, record: Record) -> dict[str, Any] | None:
    """One step of a proposal's life: made, then accepted or rejected."""
    kind, data = record.kind, record.data
    if kind == MADE:
        return {**data, "status": "pending", "decided_at": None, "event_id": None,
                "decided_by": None, "reason": None, "made_at": record.recorded_at}
    if state is None:
        return None
    state = dict(state)
    if kind == ACCEPTED:
        state.update(status="accepted", event_id=data["event_id"], decided_by=data.get("by"),
                     decided_at=record.recorded_at, reason=data.get("reason"))
    elif kind == REJECTED:
        state.update(status="rejected", decided_by=data.get("by"),
                     decided_at=record.recorded_at, reason=data.get("reason"))
    return state
