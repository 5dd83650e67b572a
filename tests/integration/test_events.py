"""Curating events through the command layer: validated before anything is written, typed
fields stored in their normal form, every record carrying its schema version."""

from __future__ import annotations

import pytest

from timeline.commands import EventInput
from timeline.errors import (
    ConcurrencyError,
    EventRetracted,
    InputError,
    InvalidField,
    UnknownCompany,
    UnknownEvent,
    UnknownType,
)
from timeline.records import NewRecord
from timeline.replay import Query
from timeline.upcasting import current_schema

from tests.conftest import record_count


def draft(**overrides):
    values = dict(type="acquisition",
                  companies=[("远景集团", "acquirer"), ("ＡＥＳＣ", "target"), ("日产", "seller")],
                  date="2018-08", title="Envision buys AESC",
                  fields=[("stake_pct", "80"), ("price", "£320m"), ("country", "gb"),
                          ("status", "completed"), ("capacity_gwh", "7.5")],
                  sources=[{"url": "https://example.org/aesc", "published": "2018-08-08",
                            "quote": "Envision will acquire 80%"}])
    values.update(overrides)
    return EventInput(**values)


def test_an_added_event_is_one_reported_record_at_the_current_schema(app):
    before = app.store.head()
    event_id = app.timeline.add_event(draft())
    records = list(app.store.read(after=before))
    assert len(records) == 1
    record = records[0]
    assert (record.kind, record.stream, record.version) == ("event.reported", f"event-{event_id}", 1)
    assert record.schema == current_schema("event.reported") == 2
    assert record.meta["actor"] == "cli" and record.meta["correlation"]
    data = record.data
    assert data["companies"] == [{"company": "envision", "role": "acquirer"},
                                 {"company": "aesc", "role": "target"},
                                 {"company": "nissan", "role": "seller"}]
    assert data["fields"] == {"stake_pct": 80.0,
                              "price": {"value": 320_000_000.0, "currency": "GBP",
                                        "approximate": False}}
    assert data["location"] == {"country": "GB"}
    assert data["capacity_gwh"] == 7.5
    assert (data["date"], data["status"]) == ("2018-08", "completed")


def test_a_reported_event_leaves_out_what_it_does_not_say_and_reads_it_back_as_unset(app):
    event_id = app.timeline.add_event(draft(fields=[]))
    data = list(app.store.read())[-1].data
    assert None not in data.values()
    assert "date_note" not in data and "summary" not in data
    state = app.queries.event_state(event_id)
    assert state is not None
    assert (state["summary"], state["date_note"], state["capacity_gwh"]) == (None, None, None)


def test_every_record_carries_a_schema_version(app):
    event_id = app.timeline.add_event(draft())
    app.timeline.correct_event(event_id, [("stake_pct", "100")], [], "filing")
    app.timeline.retract_event(event_id, "dup")
    for record in app.store.read():
        assert record.schema == current_schema(record.kind)


def test_the_rendered_event_has_the_designed_json_shape(app):
    event_id = app.timeline.add_event(draft())
    [event] = list(app.queries.timeline("aesc", Query()))
    for key in ("id", "type", "date", "precision", "status", "title", "companies", "amounts",
                "capacity_gwh", "location", "sources", "retracted", "uncertain"):
        assert key in event, key
    assert event["id"] == event_id and event["precision"] == "month"
    assert event["companies"][1] == {"id": "aesc", "name": "Envision AESC", "role": "target",
                                     "reported_as": "aesc"}
    assert {"value": 320_000_000.0, "currency": "GBP"}.items() <= event["amounts"][0].items()
    assert event["stake_pct"] == 80.0
    assert event["sources"] == [{"url": "https://example.org/aesc", "published": "2018-08-08",
                                 "quote": "Envision will acquire 80%"}]


@pytest.mark.parametrize(("overrides", "error", "field"), [
    (dict(type="merger"), UnknownType, "type"),
    (dict(companies=[("nobody", "acquirer")]), UnknownCompany, "company"),
    (dict(companies=[("aesc", "operator")]), InvalidField, "company"),
    (dict(companies=[]), InvalidField, "company"),
    (dict(date="2012-13"), InvalidField, "date"),
    (dict(title="  "), InvalidField, "title"),
    (dict(fields=[("stake_pct", "180")]), InvalidField, "stake_pct"),
    (dict(fields=[("price", "lots")]), InvalidField, "price"),
    (dict(fields=[("capacity_gwh", "-1")]), InvalidField, "capacity_gwh"),
    (dict(fields=[("amount", "twelve")]), InvalidField, "amount"),
    (dict(fields=[("jobs", "12")]), InvalidField, "jobs"),
    (dict(fields=[("status", "imagined")]), InvalidField, "status"),
    (dict(fields=[("country", "Britain")]), InvalidField, "country"),
])
def test_a_bad_draft_is_refused_naming_the_field_and_nothing_is_written(app, db_path, overrides, error, field):
    before = record_count(db_path)
    with pytest.raises(error) as caught:
        app.timeline.add_event(draft(**overrides))
    assert caught.value.message.startswith(f"{field}:")
    assert record_count(db_path) == before


def test_correcting_or_retracting_an_unknown_event_is_refused(app, db_path):
    before = record_count(db_path)
    with pytest.raises(UnknownEvent, match="ev-missing"):
        app.timeline.correct_event("ev-missing", [("title", "x")], [], "r")
    with pytest.raises(UnknownEvent, match="ev-missing"):
        app.timeline.retract_event("ev-missing", "r")
    assert record_count(db_path) == before


def test_a_retracted_event_cannot_be_retracted_or_corrected_again(app, db_path):
    event_id = app.timeline.add_event(draft())
    app.timeline.retract_event(event_id, "duplicate")
    before = record_count(db_path)
    with pytest.raises(EventRetracted, match="already retracted"):
        app.timeline.retract_event(event_id, "again")
    with pytest.raises(EventRetracted):
        app.timeline.correct_event(event_id, [("title", "x")], [], "r")
    assert record_count(db_path) == before


def test_a_correction_needs_a_reason_and_a_change(app, db_path):
    event_id = app.timeline.add_event(draft())
    before = record_count(db_path)
    with pytest.raises(InvalidField, match="^reason:"):
        app.timeline.correct_event(event_id, [("title", "x")], [], "  ")
    with pytest.raises(InvalidField, match="nothing to correct"):
        app.timeline.correct_event(event_id, [], [], "why")
    with pytest.raises(InvalidField, match="^reason:"):
        app.timeline.retract_event(event_id, "")
    assert record_count(db_path) == before


def test_a_correction_against_a_stale_version_is_refused_and_writes_nothing(app, db_path):
    """Two curators load the same event; the second append carries a stale version."""
    event_id = app.timeline.add_event(draft())
    stale = app.timeline.load_event(event_id)["version"]
    app.timeline.correct_event(event_id, [("stake_pct", "90")], [], "first curator")
    before = record_count(db_path)
    with pytest.raises(ConcurrencyError, match="reload and try again"):
        app.timeline.append([NewRecord(f"event-{event_id}", "event.corrected",
                                       {"changes": {"title": "second"}, "reason": "late"},
                                       )], expected={f"event-{event_id}": stale})
    assert record_count(db_path) == before
    assert app.timeline.load_event(event_id)["fields"]["stake_pct"] == 90.0


def test_adding_with_an_idempotency_key_twice_adds_one_event(app, db_path):
    first = app.timeline.add_event(draft(), key="import:aesc-2018")
    before = record_count(db_path)
    second = app.timeline.add_event(draft(title="Same article again"), key="import:aesc-2018")
    assert second == first
    assert record_count(db_path) == before
    assert [e["title"] for e in app.queries.events(Query())] == ["Envision buys AESC"]


def test_every_refusal_is_an_input_error(app):
    for call in (lambda: app.timeline.add_event(draft(type="nope")),
                 lambda: app.timeline.retract_event("ev-x", "r"),
                 lambda: app.timeline.company_id("nobody")):
        with pytest.raises(InputError):
            call()
