"""Intake: turning what extraction found into records, one atomic batch at a time.

A feed poll or a document import hands over the items it read and the drafts extracted
from them. Intake decides, for each draft, whether it is a duplicate (its item was seen
before), a new event, another source for an event already known, or a proposal for a
curator; then everything is appended in one transaction. All keys derive from the item's
identity, so running the same intake twice appends nothing the second time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from timeline import events as ev
from timeline import proposals as pr
from timeline.clustering import best_match, cluster_key
from timeline.errors import InputError, InvalidField
from timeline.jsontext import loads
from timeline.queries import events_naming
from timeline.records import NewRecord
from timeline.texts import TITLE_LIMIT
from timeline.upcasting import current_schema


@dataclass
class ItemSeen:
    """An item read from a feed or a document; `key` is its identity in the log."""

    key: str
    stream: str                      # "feed-<name>" or "import-<file>"
    data: dict[str, Any]


@dataclass
class Draft:
    """One happening found in one item."""

    item_key: str
    index: int
    event: dict[str, Any]            # type, date, date_note, status, title, companies, ...
    source: dict[str, Any]           # url, publisher, language, published, quote, confidence
    confidence: float
    exact: bool = True               # every company matched an alias exactly
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def proposal_id(self) -> str:
        digest = hashlib.sha256(f"{self.item_key}#{self.index}".encode()).hexdigest()
        return "pr-" + digest[:10]


@dataclass
class IntakeSummary:
    items: int = 0
    new_items: int = 0
    duplicates: int = 0
    proposed: int = 0
    accepted: int = 0
    sources_added: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: IntakeSummary) -> None:
        for name in ("items", "new_items", "duplicates", "proposed", "accepted", "sources_added"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def event_id_for(proposal_id: str) -> str:
    return "ev-" + hashlib.sha256(proposal_id.encode()).hexdigest()[:10]


def validate_draft(event: dict[str, Any]) -> dict[str, Any]:
    """Check a draft event as strictly as a curator's `add`; return its clean payload."""
    etype = ev.event_type(event["type"])
    if not event.get("companies"):
        raise InvalidField("company", "no registered company was found")
    for company in event["companies"]:
        ev.check_role(etype, company["role"])
    fields = ev.validate_typed_fields(etype, event.get("fields", {}))
    status = event.get("status", "announced")
    if status not in ev.STATUSES:
        raise InvalidField("status", f"{status!r} is not one of {', '.join(ev.STATUSES)}")
    return ev.reported_payload({
        "type": etype.name, "date": event["date"], "date_note": event.get("date_note"),
        "status": status, "title": _title(event["title"]),
        "summary": event.get("summary"), "companies": event["companies"],
        "amounts": event.get("amounts", []), "capacity_gwh": event.get("capacity_gwh"),
        "fields": fields, "location": event.get("location", {}), "tags": event.get("tags", []),
    })


def _title(text: str) -> str:
    """A draft's title within the limit `add` keeps to: extraction writes titles from what
    it found, and an article naming fifteen companies made one of 328 characters."""
    title = " ".join(text.split()) or "(untitled)"
    return title if len(title) <= TITLE_LIMIT else title[:TITLE_LIMIT - 1].rstrip() + "…"


# The meta entry naming what a record follows from: the key of the feed item a proposal
# was read in, the stream of the proposal an event was accepted from.
CAUSATION = "causation"


class Planner:
    """Plans the records of one batch against the live projections and itself."""

    def __init__(self, conn: Any, auto_accept: float, meta: dict[str, Any]) -> None:
        self.conn = conn
        self.auto_accept = auto_accept
        self.meta = meta
        self.records: list[NewRecord] = []
        self.batch_events: dict[str, dict[str, Any]] = {}
        self.proposed: dict[str, list[dict[str, Any]]] = {}  # this batch's, by cluster
        self.summary = IntakeSummary()

    def item(self, item: ItemSeen, known: bool) -> None:
        self.summary.items += 1
        if known:
            self.summary.duplicates += 1
            return
        self.summary.new_items += 1
        self.records.append(NewRecord(stream=item.stream, kind=pr.ITEM_SEEN, data=item.data,
                                      meta=self.meta, key=item.key))

    def draft(self, draft: Draft) -> None:
        try:
            event = validate_draft(draft.event)
        except InputError as exc:
            self.summary.errors.append(f"{draft.item_key}: {exc.message}")
            return
        if self._proposed_before(event, draft.source):
            self.summary.duplicates += 1
            return
        proposal_id = draft.proposal_id
        refs = tuple(c["company"] for c in event["companies"])
        self.records.append(NewRecord(
            stream=pr.stream_of(proposal_id), kind=pr.MADE,
            meta={**self.meta, CAUSATION: draft.item_key},  # the item it was read in
            key=f"proposal:{draft.item_key}#{draft.index}", refs=refs,
            data={"id": proposal_id, "item": draft.item_key, "event": event,
                  "source": draft.source, "confidence": round(draft.confidence, 3),
                  "exact": draft.exact, "suggestions": draft.suggestions},
        ))
        self.summary.proposed += 1
        if draft.exact and draft.confidence >= self.auto_accept:
            self.accept(proposal_id, event, draft.source, by="auto")

    def _proposed_before(self, event: dict[str, Any], source: dict[str, Any]) -> bool:
        """Whether this article already proposed this happening (one item in two feeds,
        in this batch or an earlier one, whatever the curator decided): once is enough,
        and a rejection must not have to be given once per feed."""
        url = source.get("url")
        if not url:
            return False
        cluster = cluster_key(event)
        rows = self.conn.execute("SELECT state FROM proposals WHERE cluster = ?", (cluster,))
        states = [*self.proposed.get(cluster, []), *(loads(row[0]) for row in rows)]
        self.proposed.setdefault(cluster, []).append({"event": event, "source": source})
        # The same article and the same happening: one article may report two plants.
        earlier = [state["event"] for state in states if same_article(state["source"].get("url"), url)]
        return best_match(event, earlier) is not None

    def accept(self, proposal_id: str, event: dict[str, Any], source: dict[str, Any],
               by: str, reason: str | None = None) -> str:
        """Accept: a new event, or one more source for the event it clusters with.

        The source keeps the figures it gave (`source["figures"]` when the caller knows
        them, e.g. before a curator's changes; else the event's), so that sources which
        disagree coexist and a curator's correction never rewrites what a source said.
        """
        figures = source["figures"] if "figures" in source else figures_of(event)
        source = {**source, "figures": figures}
        meta = {**self.meta, CAUSATION: pr.stream_of(proposal_id)}  # the event's, from it
        existing = best_match(event, [*events_naming(
            self.conn, event["type"], [c["company"] for c in event["companies"]]
        ), *self.batch_events.values()])
        if existing is not None:
            event_id = str(existing["id"])
            if _cites(existing, source):
                # The same article again (one item in two feeds, a feed's category page):
                # the event has it already, and one report is not two.
                self.summary.duplicates += 1
            else:
                self.records.append(NewRecord(
                    stream=ev.stream_of(event_id), kind=ev.SOURCE_ADDED, meta=meta,
                    data={"source": source},
                    key=f"source:{proposal_id}",
                ))
                self.summary.sources_added += 1
        else:
            event_id = event_id_for(proposal_id)
            payload = {**event, "id": event_id, "sources": [source]}
            self.records.append(NewRecord(
                stream=ev.stream_of(event_id), kind=ev.REPORTED, data=payload,
                schema=current_schema(ev.REPORTED), meta=meta, key=f"event:{proposal_id}",
                refs=tuple(c["company"] for c in event["companies"]),
            ))
            self.batch_events[event_id] = payload
            self.summary.accepted += 1
        self.records.append(NewRecord(
            stream=pr.stream_of(proposal_id), kind=pr.ACCEPTED, meta=self.meta,
            data={"event_id": event_id, "by": by, "reason": reason},
            key=f"accepted:{proposal_id}",
        ))
        return event_id


def _cites(event: dict[str, Any], source: dict[str, Any]) -> bool:
    """Whether the event has a source at the address of `source` (none without one)."""
    url = source.get("url")
    return bool(url) and any(same_article(known.get("url"), url) for known in event.get("sources", []))


# Query parameters that say how a reader came to an article, not which article it is.
_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref)$", re.I)


def article_address(url: str) -> str:
    """What an article's address says of the article: http or https, the host's case, a
    trailing slash, a fragment and tracking parameters (`?utm_source=rss`) do not count."""
    parts = urlsplit(url.strip())
    query = "&".join(sorted(pair for pair in parts.query.split("&")
                            if pair and not _TRACKING.match(pair.split("=", 1)[0])))
    return f"{parts.netloc.lower()}{parts.path.rstrip('/') or '/'}?{query}"


def same_article(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and article_address(str(a)) == article_address(str(b))


def figures_of(event: dict[str, Any]) -> dict[str, Any]:
    """The figures this source gave, kept with it so that disagreeing sources coexist."""
    figures: dict[str, Any] = {}
    if event.get("amounts"):
        figures["amounts"] = event["amounts"]
    capacity = event.get("capacity_gwh") or event.get("fields", {}).get("capacity_gwh")
    if capacity is not None:
        figures["capacity_gwh"] = capacity
    return figures
