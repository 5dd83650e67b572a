"""Typed events: every type's roles and fields, and the pure fold of an event's records."""

from __future__ import annotations

import copy

import pytest
from pydantic import BaseModel

from timeline import events as ev
from timeline.errors import InvalidField, UnknownType
from timeline.records import Record

# DESIGN.md "Event types": type -> (roles, typed fields)
DESIGNED = {
    "acquisition": ({"acquirer", "target", "seller"}, {"stake_pct", "price"}),
    "investment": ({"investor", "investee", "lead"}, {"round", "amount"}),
    "partnership": ({"partner"}, {"scope"}),
    "supply_deal": ({"supplier", "customer"}, {"product", "volume_gwh", "value", "term"}),
    "factory": ({"operator", "partner"},
                {"capacity_gwh", "investment", "jobs", "product", "phase"}),
    "factory_closure": ({"operator"}, {"capacity_gwh", "jobs_cut"}),
    "bankruptcy": ({"company", "creditor"}, {"procedure", "debt"}),
    "policy": ({"jurisdiction", "authority"}, {"instrument", "amount", "effective_date"}),
    "recall": ({"company", "customer"}, {"product", "units", "cost"}),
    "ipo": ({"company"}, {"exchange", "ticker", "raised"}),
    "leadership_change": ({"company"}, {"person", "from_title", "to_title"}),
    "founding": ({"company"}, {"former_name", "new_name"}),
    "rebrand": ({"company"}, {"former_name", "new_name"}),
}


@pytest.mark.parametrize("name", sorted(DESIGNED))
def test_every_designed_type_has_a_pydantic_model_with_its_roles_and_fields(name):
    etype = ev.event_type(name)
    roles, fields = DESIGNED[name]
    assert set(etype.roles) == roles
    assert issubclass(etype.fields, BaseModel)
    assert set(etype.fields.model_fields) == fields


def test_there_are_no_undesigned_types():
    assert set(ev.EVENT_TYPES) == set(DESIGNED)


def test_an_unknown_type_names_the_known_ones():
    with pytest.raises(UnknownType) as caught:
        ev.event_type("merger")
    assert "type: unknown event type 'merger'" in caught.value.message
    assert "acquisition" in caught.value.message


def test_status_is_one_of_the_six_designed_values():
    assert set(ev.STATUSES) == {"rumored", "announced", "approved", "started", "completed",
                                "cancelled"}


def test_a_role_the_type_does_not_have_is_refused_naming_the_company_field():
    factory = ev.event_type("factory")
    assert ev.check_role(factory, "partner") == "partner"
    with pytest.raises(InvalidField) as caught:
        ev.check_role(factory, "acquirer")
    assert caught.value.field == "company"
    assert "'acquirer' is not a role of factory" in caught.value.message


@pytest.mark.parametrize(
    ("type_", "name", "text", "value"),
    [
        ("acquisition", "stake_pct", "51", 51.0),
        ("acquisition", "price", "3.5亿英镑", {"value": 350_000_000.0, "currency": "GBP",
                                              "approximate": False}),
        ("factory", "capacity_gwh", "8000 MWh", 8.0),
        ("factory", "jobs", "1,200", 1200),
        ("factory", "phase", "Under construction", "under_construction"),
        ("partnership", "scope", "joint venture", "joint_venture"),
        ("policy", "effective_date", "2023-1", "2023-01"),
        ("bankruptcy", "procedure", " Chapter 11 ", "Chapter 11"),
    ],
)
def test_field_values_given_as_text_become_typed_values(type_, name, text, value):
    assert ev.parse_typed_value(ev.event_type(type_), name, text) == value


@pytest.mark.parametrize(
    ("type_", "name", "text", "fault"),
    [
        ("acquisition", "stake_pct", "half", "not a number"),
        ("acquisition", "price", "a lot", "not an amount of money"),
        ("factory", "capacity_gwh", "-3", "negative"),
        ("factory", "jobs", "1.5", "whole number"),
        ("factory", "phase", "dreaming", "not one of"),
        ("policy", "effective_date", "2023-13", "month 13"),
        ("acquisition", "capacity", "3", "has no field 'capacity'"),
    ],
)
def test_a_bad_field_value_is_refused_naming_the_field(type_, name, text, fault):
    with pytest.raises(InvalidField) as caught:
        ev.parse_typed_value(ev.event_type(type_), name, text)
    assert caught.value.field == name
    assert fault in caught.value.message


def test_the_typed_fields_are_validated_as_a_whole():
    acquisition = ev.event_type("acquisition")
    assert ev.validate_typed_fields(acquisition, {"stake_pct": 80}) == {"stake_pct": 80.0}
    with pytest.raises(InvalidField) as caught:
        ev.validate_typed_fields(acquisition, {"stake_pct": 150})
    assert caught.value.field == "stake_pct"
    with pytest.raises(InvalidField) as caught:
        ev.validate_typed_fields(acquisition, {"jobs": 3})
    assert caught.value.field == "jobs"
    assert "not a field" in caught.value.message


# -- the fold ---------------------------------------------------------------------------

def _record(version: int, kind: str, data: dict, at: str = "2024-01-01T00:00:00.000000Z") -> Record:
    return Record(position=version, stream="event-ev-1", version=version, kind=kind, schema=2,
                  data=data, meta={}, recorded_at=at, key=None, hash="x")


REPORT = {
    "id": "ev-1", "type": "factory", "date": "2012", "date_note": None, "title": "Plant",
    "companies": [{"company": "aesc", "role": "operator"}], "sources": [],
    "status": "announced", "fields": {"capacity_gwh": 8.0, "jobs": 100},
}


def test_the_fold_of_an_events_records_gives_its_current_state():
    history = [
        _record(1, ev.REPORTED, REPORT, "2024-01-01T00:00:00.000000Z"),
        _record(2, ev.CORRECTED, {"changes": {"title": "Sunderland plant",
                                              "fields": {"capacity_gwh": 9.0, "jobs": None}},
                                  "reason": "filing"}, "2024-01-02T00:00:00.000000Z"),
        _record(3, ev.SOURCE_ADDED, {"source": {"url": "https://e.org/a", "published": None,
                                                "quote": "9 GWh"}}, "2024-01-03T00:00:00.000000Z"),
        _record(4, ev.RETRACTED, {"reason": "duplicate"}, "2024-01-04T00:00:00.000000Z"),
    ]
    state = None
    states = []
    for record in history:
        state = ev.fold_event(state, record)
        states.append(state)
    first, corrected, sourced, retracted = states
    assert first["title"] == "Plant" and first["fields"] == {"capacity_gwh": 8.0, "jobs": 100}
    assert first["retracted"] is False and first["version"] == 1
    assert corrected["title"] == "Sunderland plant"
    assert corrected["fields"] == {"capacity_gwh": 9.0}          # jobs cleared
    assert corrected["corrections"] == [{"reason": "filing", "at": "2024-01-02T00:00:00.000000Z",
                                         "changes": ["fields", "title"]}]
    assert [s["url"] for s in sourced["sources"]] == ["https://e.org/a"]
    assert retracted["retracted"] is True and retracted["retraction_reason"] == "duplicate"
    assert retracted["reported_at"] == "2024-01-01T00:00:00.000000Z"
    assert retracted["updated_at"] == "2024-01-04T00:00:00.000000Z"
    assert retracted["version"] == 4


def test_the_fold_never_modifies_the_state_or_the_record_it_is_given():
    report = _record(1, ev.REPORTED, copy.deepcopy(REPORT))
    state = ev.fold_event(None, report)
    before = copy.deepcopy(state)
    data_before = copy.deepcopy(report.data)
    for record in (
        _record(2, ev.CORRECTED, {"changes": {"fields": {"jobs": 5}, "location": {"city": "X"}},
                                  "reason": "r"}),
        _record(3, ev.SOURCE_ADDED, {"source": {"url": "u"}}),
        _record(4, ev.RETRACTED, {"reason": "r"}),
    ):
        ev.fold_event(state, record)
    assert state == before
    assert report.data == data_before


def test_a_record_about_an_event_never_reported_folds_to_nothing():
    assert ev.fold_event(None, _record(2, ev.CORRECTED, {"changes": {"title": "x"}})) is None


def test_quotes_of_all_sources_are_searchable_together():
    state = ev.fold_event(None, _record(1, ev.REPORTED, {**REPORT, "sources": [
        {"url": "a", "quote": "first"}, {"url": "b", "quote": None}, {"url": "c", "quote": "third"}]}))
    assert ev.quotes_of(state) == "first\n\nthird"
