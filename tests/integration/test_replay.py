"""Replay (DESIGN.md "Time"): as of a valid-time date, as known at a transaction time, or
both; computed from the log and equal to a full in-memory replay of the same prefix."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timeline.commands import EventInput
from timeline.dates import as_of_bound
from timeline.records import NewRecord
from timeline.replay import LogView, Query

from tests.conftest import COMPANY_IDS
from tests.integration.operations import DATES, apply, fresh_app, histories


def _add(app, title, when, company="aesc"):
    return app.timeline.add_event(EventInput(
        type="factory", companies=[(company, "operator")], date=when, title=title))


@pytest.fixture
def history(app, clock):
    """Four events learned in January 2024; a correction in March, a retraction in April."""
    clock.set("2024-01-10T00:00:00Z")
    ids = {
        "day": _add(app, "Day", "2012-10-15"),
        "month": _add(app, "Month", "2012-10"),
        "year": _add(app, "Year", "2012"),
        "later": _add(app, "Later", "2013-03-01"),
    }
    clock.set("2024-03-01T00:00:00Z")
    app.timeline.correct_event(ids["day"], [("title", "Day corrected")], [], "typo")
    app.timeline.correct_event(ids["later"], [("date", "2012-06")], [], "it was earlier")
    clock.set("2024-04-01T00:00:00Z")
    app.timeline.retract_event(ids["month"], "duplicate")
    return ids


def replay(app, as_of=None, known_at=None, company="aesc", include_retracted=False):
    query = Query(as_of=as_of_bound(as_of) if as_of else None, include_retracted=include_retracted)
    until = app.replayer.bound(known_at)
    if company is None:
        return list(app.replayer.all_events(query, until))
    return app.replayer.company(company, query, until)


def summary(events):
    return [(e["title"], e["uncertain"]) for e in events]


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2011", []),
    ("2012-06-01", [("Year", True), ("Later", True)]),
    ("2012-09-30", [("Year", True), ("Later", False)]),
    ("2012-10-14", [("Year", True), ("Later", False)]),
    ("2012-10-15", [("Year", True), ("Later", False), ("Day corrected", False)]),
    ("2012-10", [("Year", True), ("Later", False), ("Day corrected", False)]),
    ("2012", [("Year", False), ("Later", False), ("Day corrected", False)]),
])
def test_as_of_includes_events_whose_period_has_started_and_flags_those_not_yet_over(
        app, history, as_of, expected):
    assert summary(replay(app, as_of=as_of)) == expected
    assert summary(replay(app, as_of=as_of, company=None)) == expected


def test_month_precision_events_are_uncertain_until_their_month_ends(app, history):
    # the retracted month event, shown on request, shows the month rule
    got = {e["title"]: e["uncertain"] for e in replay(app, as_of="2012-10-14", include_retracted=True)}
    assert got["Month"] is True
    got = {e["title"]: e["uncertain"] for e in replay(app, as_of="2012-10-31", include_retracted=True)}
    assert got["Month"] is False
    assert "Month" not in {e["title"] for e in replay(app, as_of="2012-09-30", include_retracted=True)}


def test_as_of_applies_todays_corrections_and_retractions(app, history):
    titles = [e["title"] for e in replay(app, as_of="2013")]
    assert titles == ["Year", "Later", "Day corrected"]      # Later moved to 2012-06; Month gone


def test_known_at_before_a_correction_shows_the_original(app, history):
    events = replay(app, known_at="2024-02-01T00:00:00.000000Z")
    assert [e["title"] for e in events] == ["Year", "Month", "Day", "Later"]
    assert [e["date"] for e in events] == ["2012", "2012-10", "2012-10-15", "2013-03-01"]
    assert all(e["corrections"] == [] for e in events)


def test_known_at_before_a_retraction_still_shows_the_event(app, history):
    events = replay(app, known_at="2024-03-15T00:00:00.000000Z")
    assert [e["title"] for e in events] == ["Year", "Later", "Month", "Day corrected"]
    assert all(e["retracted"] is False for e in events)
    now = replay(app)
    assert [e["title"] for e in now] == ["Year", "Later", "Day corrected"]
    shown = replay(app, include_retracted=True)
    assert [(e["title"], e["retracted"]) for e in shown if e["retracted"]] == [("Month", True)]
    assert shown[[e["title"] for e in shown].index("Month")]["retraction_reason"] == "duplicate"


def test_known_at_before_anything_was_recorded_is_empty(app, history):
    assert replay(app, known_at="2023-12-31T23:59:59.000000Z") == []


def test_as_of_and_known_at_together_give_the_bitemporal_view(app, history):
    events = replay(app, as_of="2012-10-14", known_at="2024-02-01T00:00:00.000000Z")
    assert summary(events) == [("Year", True), ("Month", True)]
    events = replay(app, as_of="2012-10-14", known_at="2024-03-15T00:00:00.000000Z")
    assert summary(events) == [("Year", True), ("Later", False), ("Month", True)]


def test_a_replay_reads_the_log_not_the_projection_tables(app, history):
    expected = replay(app, known_at="2024-03-15T00:00:00.000000Z")
    app.db.conn.execute("DELETE FROM events")
    app.db.conn.execute("DELETE FROM companies")
    assert replay(app, known_at="2024-03-15T00:00:00.000000Z") == expected


def test_v1_payloads_are_read_through_the_upcaster_everywhere(app):
    v1 = {"id": "ev-v1", "type": "factory", "when": "2012-10", "title": "Old style report",
          "company_roles": {"aesc": "operator", "nissan": "partner"}, "sources": [],
          "fields": {"capacity_gwh": 3.5}}
    app.store.append([NewRecord("event-ev-v1", "event.reported", v1, schema=1,
                                refs=("aesc", "nissan"))])
    app.runner.catch_up()
    app.timeline.correct_event("ev-v1", [("title", "Old style report, corrected")], [], "typo")

    stored = next(r for r in app.store.read() if r.stream == "event-ev-v1")
    assert stored.schema == 1 and stored.data == v1           # never rewritten

    expected_companies = [{"id": "aesc", "name": "Envision AESC", "role": "operator",
                           "reported_as": "aesc"},
                          {"id": "nissan", "name": "Nissan", "role": "partner",
                           "reported_as": "nissan"}]
    head = app.store.head()
    views = {
        "projection": list(app.queries.timeline("nissan", Query())),
        "events": list(app.queries.events(Query())),
        "replay": app.replayer.company("aesc", Query(), head),
        "replay-all": list(app.replayer.all_events(Query(as_of=date(2012, 10, 20)), head)),
        "log-view": LogView().apply_all(app.store.read()).select(Query()),
    }
    for where, events in views.items():
        assert len(events) == 1, where
        event = events[0]
        assert event["date"] == "2012-10" and event["precision"] == "month", where
        assert event["companies"] == expected_companies, where
        assert event["title"] == "Old style report, corrected", where
        assert event["capacity_gwh"] == 3.5, where
    assert views["replay-all"][0]["uncertain"] is True


@st.composite
def replay_cases(draw):
    history = draw(histories)
    cuts = draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=3))
    as_of = draw(st.one_of(st.none(), st.sampled_from(DATES)))
    include_retracted = draw(st.booleans())
    return history, cuts, as_of, include_retracted


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=replay_cases())
def test_a_replay_at_any_position_equals_a_full_replay_of_that_prefix(case):
    history, cuts, as_of, include_retracted = case
    with fresh_app() as app:
        apply(app, history)
        head = app.store.head()
        positions = sorted({c % (head + 1) for c in cuts} | {head})
        for until in positions:
            reference = LogView().apply_all(app.store.read(until=until))
            query = Query(as_of=as_of_bound(as_of) if as_of else None,
                          include_retracted=include_retracted)
            assert list(app.replayer.all_events(query, until)) == reference.select(query), until
            for company in COMPANY_IDS:
                expected = reference.select(Query(**{**query.__dict__, "company": company}))
                assert app.replayer.company(company, query, until) == expected, (until, company)
