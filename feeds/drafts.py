"""From extraction's candidates to intake's drafts: the seam between feeds and the core."""

from __future__ import annotations

from typing import Any

from feeds.types import Candidate, FeedItem
from timeline.intake import Draft


def _target_date(candidate: Candidate, item: FeedItem) -> tuple[str, str | None]:
    """A target ("by 2030") is dated when it was announced, never at the target itself."""
    if candidate.date_is_target and item.published:
        return item.published[:10], None
    return str(candidate.date), candidate.date.note


def draft_from(candidate: Candidate, item: FeedItem, item_key: str, index: int) -> Draft:
    date, note = _target_date(candidate, item)
    tags = [f"target:{candidate.date}"] if candidate.date_is_target else []
    fields: dict[str, Any] = dict(candidate.fields)
    if candidate.date_is_target and candidate.type == "policy":
        fields.setdefault("effective_date", str(candidate.date))
    event = {
        "type": candidate.type, "date": date, "date_note": note,
        "status": "announced" if candidate.date_is_target else candidate.status,
        "title": candidate.title,
        "companies": [{"company": m.company, "role": m.role} for m in candidate.companies if m.exact],
        "amounts": [a.model_dump() for a in candidate.amounts],
        "capacity_gwh": candidate.capacity_gwh, "fields": fields,
        "location": dict(candidate.location), "tags": tags,
    }
    source = {
        "url": item.link, "publisher": item.feed, "language": candidate.language or item.language,
        "published": item.published, "quote": candidate.quote,
        "confidence": round(candidate.confidence, 3),
    }
    return Draft(
        item_key=item_key, index=index, event=event, source=source,
        confidence=candidate.confidence,
        exact=all(m.exact for m in candidate.companies),
        suggestions=[m.model_dump() for m in candidate.suggestions],
    )
