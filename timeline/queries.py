"""The read side: answers from the live projection tables.

Today's timelines, lookups and searches come from here, fast. Anything "as of" or
"known at" is a replay (`timeline.replay`) and never reads these tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from timeline.companies import follow_merges, lookup_key
from timeline.errors import InvalidField, UnknownCompany
from timeline.jsontext import loads
from timeline.projections import EVENT_STATE_COLUMNS, EVENTS_WITH_RECORDS, event_state
from timeline.replay import PAGE, Query, Registry, select, view_if_selected
from timeline.search import match_query


class LiveQueries:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- companies --------------------------------------------------------------------

    def find_company(self, text: str) -> str | None:
        """The id of the company answering to `text` (an id or any alias), before merges."""
        row = self.conn.execute(
            "SELECT company FROM company_aliases WHERE key = ?", (lookup_key(text),)
        ).fetchone()
        return str(row[0]) if row else None

    def resolve_company(self, text: str) -> str:
        """Like `find_company`, following merges to today's survivor; unknown is an error."""
        found = self.find_company(text)
        if found is None:
            raise UnknownCompany(text)
        return self.survivor(found)

    def survivor(self, company_id: str) -> str:
        """Today's survivor of `company_id`, one row per merge: a command resolving one
        company needs no registry of them all (an import resolves two per row)."""
        return follow_merges(company_id, self._merged_into)

    def _merged_into(self, company_id: str) -> str | None:
        row = self.conn.execute("SELECT merged_into FROM companies WHERE id = ?",
                                (company_id,)).fetchone()
        return row[0] if row else None

    def registry(self) -> Registry:
        rows = self.conn.execute("SELECT id, state FROM companies")
        return Registry({row[0]: loads(row[1]) for row in rows})

    def companies(self, include_merged: bool = False) -> list[dict[str, Any]]:
        """Every company, with the ids merged into it (`absorbed`): a merge is a record of
        the absorbed company's stream, so its survivor learns of it here."""
        rows = self.conn.execute("SELECT state FROM companies ORDER BY id")
        states = [loads(row[0]) for row in rows]
        absorbed: dict[str, list[str]] = {}
        for state in states:
            if state["merged_into"]:
                absorbed.setdefault(state["merged_into"], []).append(state["id"])
        for state in states:
            state["absorbed"] = absorbed.get(state["id"], [])
        return [s for s in states if include_merged or not s["merged_into"]]

    def company(self, company_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT state FROM companies WHERE id = ?", (company_id,)).fetchone()
        return loads(row[0]) if row else None

    # -- events -----------------------------------------------------------------------

    def event_state(self, event_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            f"SELECT {EVENT_STATE_COLUMNS} FROM {EVENTS_WITH_RECORDS} WHERE e.id = ?", (event_id,)
        ).fetchone()
        return event_state(row) if row else None

    def timeline(self, company_id: str, query: Query) -> Iterator[dict[str, Any]]:
        """Today's timeline of a company and of every company merged into it."""
        registry = self.registry()
        survivor = registry.survivor(company_id)
        group = [c for c in registry.companies if registry.survivor(c) == survivor] or [survivor]
        marks = ",".join("?" * len(group))
        return self._selected(
            f"e.rowid IN (SELECT event FROM company_events WHERE company IN ({marks}))", group,
            registry, Query(**{**query.__dict__, "company": survivor}))

    def events(self, query: Query) -> Iterator[dict[str, Any]]:
        """Every event the query selects, oldest first."""
        if query.company:
            return self.timeline(query.company, query)
        return self._selected("1 = 1", [], self.registry(), query)

    def _selected(self, where: str, params: list[Any], registry: Registry,
                  query: Query) -> Iterator[dict[str, Any]]:
        """The events `where` and the query select, oldest first, one at a time: the
        database sorts their rows (spilling to disk if it must) and filters their types and
        dates, and only the events selected are decoded, a page at a time."""
        sql = f"SELECT e.rowid FROM {EVENTS_WITH_RECORDS} WHERE {where}"
        params = list(params)
        if query.types:
            sql += f" AND e.type IN ({','.join('?' * len(query.types))})"
            params += list(query.types)
        if not query.include_retracted:
            sql += " AND e.retracted = 0"
        # A date's text sorts before every day of its period, and with a mark after it
        # ('~' sorts after '-' and digits) after them: so the period starts on or before
        # a day when its text does, and ends on or after it when the marked text does.
        latest = min((d for d in (query.as_of, query.date_to) if d is not None), default=None)
        if latest is not None:
            sql += " AND e.date_sort <= ?"
            params.append(latest.isoformat())
        if query.date_from is not None:
            sql += " AND e.date_sort || '~' >= ?"
            params.append(query.date_from.isoformat())
        rows = self.conn.execute(sql + " ORDER BY e.date_sort, r.recorded_at, e.id", params)
        target = query.company
        while page := [row[0] for row in rows.fetchmany(PAGE)]:
            marks = ",".join("?" * len(page))
            states = {row[0]: event_state(row[1:]) for row in self.conn.execute(
                f"SELECT e.rowid, {EVENT_STATE_COLUMNS} FROM {EVENTS_WITH_RECORDS} "
                f"WHERE e.rowid IN ({marks})", page)}
            for rowid in page:
                view = view_if_selected(states[rowid], registry, query, target)
                if view is not None:
                    yield view

    def search(self, text: str, limit: int = 50, include_retracted: bool = False) -> list[dict[str, Any]]:
        expression = match_query(text)
        if expression is None:
            raise InvalidField("query", f"{text!r} has no word to search for")
        rows = self.conn.execute(
            f"SELECT {EVENT_STATE_COLUMNS} FROM events_fts f JOIN events e ON e.rowid = f.rowid "
            "JOIN records r ON r.position = e.rowid "
            "WHERE events_fts MATCH ? AND (? OR e.retracted = 0) ORDER BY f.rank LIMIT ?",
            (expression, include_retracted, limit),
        )
        registry = self.registry()
        query = Query(include_retracted=include_retracted)
        found = []
        for row in rows:
            found.extend(select([event_state(row)], registry, query))
        return found


def events_naming(conn: sqlite3.Connection, type_: str, companies: list[str]) -> list[dict[str, Any]]:
    """Live events of a type that name any of the companies: candidates for clustering."""
    if not companies:
        return []
    marks = ",".join("?" * len(companies))
    rows = conn.execute(
        f"SELECT {EVENT_STATE_COLUMNS} FROM {EVENTS_WITH_RECORDS} WHERE e.type = ? "
        f"AND e.retracted = 0 AND e.rowid IN "
        f"(SELECT event FROM company_events WHERE company IN ({marks}))",
        [type_, *companies],
    )
    return [event_state(row) for row in rows]
