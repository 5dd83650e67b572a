"""Old payloads read as new ones, one version step at a time.

Stored records are never rewritten. When a payload's shape changes, its kind's schema
number goes up and a pure function here turns version n into n+1; readers apply the chain
until the payload is current. Each step is small enough to be obviously right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from timeline.records import Record

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def reported_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 wrote roles as a mapping and the date under `when`; v2 lists companies in order."""
    upgraded = {k: v for k, v in data.items() if k not in ("company_roles", "when")}
    upgraded["companies"] = [
        {"company": company, "role": role} for company, role in data["company_roles"].items()
    ]
    upgraded["date"] = data["when"]
    return upgraded


# kind -> [upcaster from schema 1 to 2, from 2 to 3, ...]
UPCASTERS: dict[str, list[Upcaster]] = {
    "event.reported": [reported_v1_to_v2],
}


def current_schema(kind: str) -> int:
    return len(UPCASTERS.get(kind, [])) + 1


def upcast(record: Record) -> Record:
    """The record with its payload at the current schema of its kind."""
    steps = UPCASTERS.get(record.kind)
    if not steps or record.schema > len(steps):
        return record
    return record._replace(data=upcast_data(record.kind, record.schema, record.data),
                           schema=len(steps) + 1)


def upcast_data(kind: str, schema: int, data: dict[str, Any]) -> dict[str, Any]:
    """A payload of `kind` written at `schema`, at the current schema: for readers that
    hold a payload without its record (a projection row that points into the log)."""
    steps = UPCASTERS.get(kind, [])
    for step in steps[schema - 1 :]:
        data = step(data)
    return data
