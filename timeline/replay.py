"""Replay: the timeline as it stood on a date, as it was known at a moment.

Two clocks, two cuts. `as_of` cuts valid time: events whose date had come by D, with
everything known today. `until` cuts transaction time: only the log's first P records (P
being the last record at or before a moment), so later corrections and retractions do
not apply. Replays are folded from the log itself, never from the live projection tables;
`record_refs` lets a replay of one company read only the records about it.

`LogView` folds any sequence of records in memory and is the reference: the indexed
replay must give exactly what `LogView` gives for the same prefix of the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from timeline.companies import COMPANY_STREAM_PREFIX, MERGED, fold_company, follow_merges
from timeline.dates import parse_date
from timeline.events import EVENT_STREAM_PREFIX, fold_event
from timeline.records import Record
from timeline.storage import RecordStore
from timeline.upcasting import upcast


@dataclass
class Registry:
    """Company states at some point of the log: names and who absorbed whom."""

    companies: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, record: Record) -> None:
        company_id = record.stream[len(COMPANY_STREAM_PREFIX):]
        state = fold_company(self.companies.get(company_id), record)
        if state is not None:
            self.companies[company_id] = state

    def survivor(self, company_id: str) -> str:
        return follow_merges(company_id, self._merged_into)

    def _merged_into(self, company_id: str) -> str | None:
        state = self.companies.get(company_id)
        return state["merged_into"] if state else None

    def name(self, company_id: str) -> str:
        state = self.companies.get(self.survivor(company_id))
        return state["name"] if state else company_id


@dataclass
class Query:
    """What to select from a folded log."""

    company: str | None = None          # a company id, already resolved
    as_of: date | None = None
    types: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    include_retracted: bool = False


@dataclass
class LogView:
    """A log folded in memory; the reference replay."""

    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    registry: Registry = field(default_factory=Registry)

    def apply(self, record: Record) -> None:
        record = upcast(record)
        if record.stream.startswith(EVENT_STREAM_PREFIX):
            event_id = record.stream[len(EVENT_STREAM_PREFIX):]
            state = fold_event(self.events.get(event_id), record)
            if state is not None:
                self.events[event_id] = state
        elif record.stream.startswith(COMPANY_STREAM_PREFIX):
            self.registry.apply(record)

    def apply_all(self, records: Iterable[Record]) -> LogView:
        for record in records:
            self.apply(record)
        return self

    def select(self, query: Query) -> list[dict[str, Any]]:
        return select(self.events.values(), self.registry, query)


def select(states: Iterable[dict[str, Any]], registry: Registry, query: Query) -> list[dict[str, Any]]:
    """Filter folded states by the query and render them, oldest first."""
    chosen = []
    target = registry.survivor(query.company) if query.company else None
    for state in states:
        view = view_if_selected(state, registry, query, target)
        if view is not None:
            chosen.append(view)
    chosen.sort(key=_sort_key)
    return chosen


def view_if_selected(state: dict[str, Any], registry: Registry, query: Query,
                      target: str | None) -> dict[str, Any] | None:
    uncertain = _selected(state, registry, query, target)
    return None if uncertain is None else render(state, registry, uncertain)


def _selected(state: dict[str, Any], registry: Registry, query: Query,
              target: str | None) -> bool | None:
    """None when the query leaves the event out, else whether it is uncertain (its period
    straddles the as-of date)."""
    if state["retracted"] and not query.include_retracted:
        return None
    if query.types and state["type"] not in query.types:
        return None
    if target is not None and not any(
        registry.survivor(c["company"]) == target for c in state["companies"]
    ):
        return None
    when = parse_date(state["date"])
    if query.as_of is not None and when.start > query.as_of:
        return None
    if query.date_from is not None and when.end < query.date_from:
        return None
    if query.date_to is not None and when.start > query.date_to:
        return None
    return query.as_of is not None and when.end > query.as_of


# Events decoded at a time by a listing of many: a replay's second pass, a live listing.
PAGE = 500


def _sort_key(view: dict[str, Any]) -> tuple[str, str, str]:
    return (view["date"], view["recorded_at"], view["id"])


def render(state: dict[str, Any], registry: Registry, uncertain: bool = False) -> dict[str, Any]:
    """The JSON shape of DESIGN.md: common fields, then the type's own fields flattened."""
    fields = state["fields"]
    amounts = list(state["amounts"])
    for value in fields.values():
        if isinstance(value, dict) and "currency" in value and value not in amounts:
            amounts.append(value)
    capacity = fields.get("capacity_gwh", state.get("capacity_gwh"))
    when = parse_date(state["date"])
    view: dict[str, Any] = {
        "id": state["id"],
        "type": state["type"],
        "date": state["date"],
        "precision": when.precision,
        "date_note": state.get("date_note"),
        "status": state["status"],
        "title": state["title"],
        "summary": state.get("summary"),
        "companies": [
            {"id": registry.survivor(c["company"]), "name": registry.name(c["company"]),
             "role": c["role"], "reported_as": c["company"]}
            for c in state["companies"]
        ],
        "amounts": amounts,
        "location": state["location"],
        "sources": [{"url": None, "published": None, "quote": None, **source}
                    for source in state["sources"]],
        "tags": state["tags"],
        "retracted": state["retracted"],
        "uncertain": uncertain,
        "recorded_at": state["reported_at"],
        "updated_at": state["updated_at"],
        "corrections": state["corrections"],
    }
    if capacity is not None:
        view["capacity_gwh"] = capacity
    if state["retracted"]:
        view["retraction_reason"] = state.get("retraction_reason")
    for name, value in fields.items():
        view.setdefault(name, value)
    return view


# -- replays read from the log through its indexes ---------------------------------------

class Replayer:
    """Bitemporal replays computed from the log with the help of its indexes."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def bound(self, known_at: str | None) -> int:
        """The last position known at `known_at` (a canonical UTC timestamp), or the head."""
        return self.store.position_at(known_at) if known_at else self.store.head()

    def registry(self, company_ids: Iterable[str], until: int) -> Registry:
        """Company states for these ids and for every company they merged into."""
        registry = Registry()
        wanted = set(company_ids)
        loaded: set[str] = set()
        while wanted - loaded:
            batch = wanted - loaded
            loaded |= batch
            for record in self.store.read_streams(
                (COMPANY_STREAM_PREFIX + c for c in batch), until
            ):
                registry.apply(upcast(record))
            wanted |= {s["merged_into"] for s in registry.companies.values() if s["merged_into"]}
        return registry

    def merge_group(self, company_id: str, until: int) -> tuple[str, set[str]]:
        """The survivor of `company_id` at `until`, and every id it absorbed by then."""
        survivor = self.registry([company_id], until).survivor(company_id)
        group = {survivor}
        frontier = [survivor]
        while frontier:
            found = []
            for record in self.store.read_refs(frontier, until):
                if record.kind == MERGED and record.data["into"] in group:
                    absorbed = record.stream[len(COMPANY_STREAM_PREFIX):]
                    if absorbed not in group:
                        group.add(absorbed)
                        found.append(absorbed)
            frontier = found
        return survivor, group

    def company(self, company_id: str, query: Query, until: int) -> list[dict[str, Any]]:
        """One company's timeline: reads only the streams that ever named it."""
        survivor, group = self.merge_group(company_id, until)
        streams = self.store.streams_referencing(group, EVENT_STREAM_PREFIX, until)
        states: dict[str, dict[str, Any]] = {}
        for record in self.store.read_streams(streams, until):
            record = upcast(record)
            state = fold_event(states.get(record.stream), record)
            if state is not None:
                states[record.stream] = state
        mentioned = {c["company"] for s in states.values() for c in s["companies"]}
        registry = self.registry(mentioned | group, until)
        return select(states.values(), registry, Query(**{**query.__dict__, "company": survivor}))

    def all_events(self, query: Query, until: int) -> Iterator[dict[str, Any]]:
        """Every event the query selects, oldest first, one at a time.

        Two passes, so that memory holds the order and not the events: the first folds
        every event's stream and keeps, of those selected, only where each goes; the
        second folds them again, a page of streams at a time, in that order."""
        registry = Registry()
        for stream in self.store.streams_with_prefix(COMPANY_STREAM_PREFIX, until):
            for record in stream:
                registry.apply(upcast(record))
        order = sorted(((state["date"], state["reported_at"], state["id"])
                        for state in _fold_streams(self.store, until)
                        if _selected(state, registry, query, None) is not None))
        for first in range(0, len(order), PAGE):
            page = order[first:first + PAGE]
            states: dict[str, dict[str, Any]] = {}
            for record in self.store.read_streams((EVENT_STREAM_PREFIX + key[2] for key in page),
                                                  until):
                state = fold_event(states.get(record.stream), upcast(record))
                if state is not None:
                    states[record.stream] = state
            for key in page:
                view = view_if_selected(states[EVENT_STREAM_PREFIX + key[2]], registry, query, None)
                assert view is not None  # the same fold as the first pass
                yield view


def _fold_streams(store: RecordStore, until: int) -> Iterator[dict[str, Any]]:
    for records in store.streams_with_prefix(EVENT_STREAM_PREFIX, until):
        state: dict[str, Any] | None = None
        for record in records:
            state = fold_event(state, upcast(record))
        if state is not None:
            yield state
