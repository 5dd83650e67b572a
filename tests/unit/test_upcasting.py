"""Old payloads are read as new ones by pure step functions; stored records never change."""

from __future__ import annotations

import copy

from timeline.records import Record
from timeline.upcasting import current_schema, reported_v1_to_v2, upcast

V1 = {
    "id": "ev-old", "type": "acquisition", "when": "2018-08", "title": "Envision buys AESC",
    "company_roles": {"envision": "acquirer", "aesc": "target"},
    "fields": {"stake_pct": 80.0},
}


def _record(kind: str, schema: int, data: dict) -> Record:
    return Record(position=1, stream="event-ev-old", version=1, kind=kind, schema=schema,
                  data=data, meta={}, recorded_at="2020-01-01T00:00:00.000000Z", key=None,
                  hash="h")


def test_a_v1_report_reads_as_v2_with_companies_in_order_and_a_date():
    upgraded = reported_v1_to_v2(V1)
    assert upgraded["companies"] == [{"company": "envision", "role": "acquirer"},
                                     {"company": "aesc", "role": "target"}]
    assert upgraded["date"] == "2018-08"
    assert "company_roles" not in upgraded and "when" not in upgraded
    assert upgraded["fields"] == {"stake_pct": 80.0}


def test_upcasting_returns_a_new_record_and_leaves_the_stored_one_alone():
    stored = _record("event.reported", 1, copy.deepcopy(V1))
    current = upcast(stored)
    assert current.schema == current_schema("event.reported") == 2
    assert current.data["date"] == "2018-08"
    assert stored.schema == 1 and stored.data == V1
    assert current.position == stored.position and current.hash == stored.hash


def test_a_current_payload_is_not_touched():
    data = {"id": "ev-new", "date": "2020", "companies": []}
    record = _record("event.reported", 2, data)
    assert upcast(record) is record


def test_kinds_without_upcasters_are_at_schema_one():
    record = _record("event.retracted", 1, {"reason": "x"})
    assert current_schema("event.retracted") == 1
    assert upcast(record) is record
