"""Projections: company timelines, the event index and full-text search, each caught up
after every write with its checkpoint moved in the same transaction, and a rebuild from
scratch that gives exactly what incremental catch-up gave."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings

from timeline.commands import EventInput
from timeline.errors import InvalidField
from timeline.projections import CompaniesProjection, EventsProjection, ProjectionRunner
from timeline.records import NewRecord
from timeline.replay import LogView, Query

from tests.conftest import PROJECTION_QUERIES, projection_contents, search_index
from tests.integration.operations import apply, fresh_app, histories


def _add(app, title, date="2021", summary=None, quote=None, company="aesc"):
    fields = [("summary", summary)] if summary else []
    return app.timeline.add_event(EventInput(
        type="factory", companies=[(company, "operator")], date=date, title=title, fields=fields,
        sources=[{"url": "https://example.org/a", "published": "2021-01-01", "quote": quote}]))


def schema_of(conn) -> list[tuple[str, str, str]]:
    return sorted(conn.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master"))


def checkpoints(app) -> dict[str, int]:
    return dict(app.db.conn.execute("SELECT projection, position FROM checkpoints"))


def test_every_projection_is_caught_up_after_every_write(app):
    steps = [
        lambda: _add(app, "AESC plant"),
        lambda: app.timeline.correct_event(next(app.queries.events(Query()))["id"],
                                           [("title", "AESC Sunderland plant")], [], "typo"),
        lambda: app.timeline.add_alias("aesc", "AESC UK"),
        lambda: app.timeline.rename_company("catl", "CATL Group"),
        lambda: app.timeline.merge_companies("northvolt", "catl", "one group"),
        lambda: app.timeline.retract_event(next(app.queries.events(Query()))["id"], "dup"),
    ]
    for step in steps:
        step()
        head = app.store.head()
        assert set(checkpoints(app).values()) == {head}
    assert list(app.queries.events(Query())) == []
    assert app.queries.find_company("aesc uk") == "aesc"
    assert app.queries.company("catl")["name"] == "CATL Group"


def test_the_event_index_and_company_timelines_follow_corrections(app):
    event_id = _add(app, "Plant", company="aesc")
    app.timeline.correct_event(event_id, [], [("catl", "operator")], "wrong company")
    assert list(app.queries.timeline("aesc", Query())) == []
    assert [e["id"] for e in app.queries.timeline("catl", Query())] == [event_id]
    rows = app.db.conn.execute("SELECT company FROM company_events WHERE event = "
                               "(SELECT rowid FROM events WHERE id = ?)", (event_id,)).fetchall()
    assert rows == [("catl",)]


class Boom:
    name = "boom"

    def apply(self, conn, records):
        raise RuntimeError("projection failed half-way")


def test_rows_and_checkpoint_move_together_or_not_at_all(app):
    _add(app, "first")
    before_rows = projection_contents(app.db.conn)
    app.store.append([NewRecord("event-ev-x", "event.reported", schema=2, refs=("aesc",), data={
        "id": "ev-x", "type": "factory", "date": "2020", "title": "unseen",
        "companies": [{"company": "aesc", "role": "operator"}], "sources": []})])
    app.db.conn.execute("INSERT INTO checkpoints (projection, position, version) "
                        "SELECT 'boom', position, version FROM checkpoints WHERE projection = 'events'")
    runner = ProjectionRunner(app.db, app.store, [CompaniesProjection(), EventsProjection(), Boom()])
    with pytest.raises(RuntimeError):
        runner.catch_up()
    # the events projection applied its rows inside the failed transaction: all rolled back,
    # its checkpoint with them
    after = projection_contents(app.db.conn)
    assert {k: v for k, v in after.items() if k != "checkpoints"} == {
        k: v for k, v in before_rows.items() if k != "checkpoints"}
    assert checkpoints(app)["events"] == dict(
        (row[0], row[1]) for row in before_rows["checkpoints"])["events"]
    app.runner.catch_up()
    assert [e["title"] for e in app.queries.events(Query())] == ["unseen", "first"]


def stored_state(app, event_id):
    return app.db.conn.execute("SELECT state FROM events WHERE id = ?", (event_id,)).fetchone()[0]


def test_an_event_as_reported_stores_no_state_and_reads_back_from_its_record(app):
    event_id = _add(app, "AESC plant", summary="In Sunderland", quote="远景动力宣布")
    assert stored_state(app, event_id) is None
    assert app.queries.event_state(event_id) == LogView().apply_all(app.store.read()).events[event_id]
    app.timeline.correct_event(event_id, [("title", "AESC Sunderland plant")], [], "typo")
    expected = LogView().apply_all(app.store.read()).events[event_id]
    assert json.loads(stored_state(app, event_id)) == expected
    assert app.queries.event_state(event_id) == expected


def test_a_v1_report_never_corrected_reads_back_through_the_upcaster(app):
    v1 = {"id": "ev-v1", "type": "factory", "when": "2012-10", "title": "Old style report",
          "company_roles": {"aesc": "operator", "nissan": "partner"}, "sources": []}
    app.store.append([NewRecord("event-ev-v1", "event.reported", v1, schema=1,
                                refs=("aesc", "nissan"))])
    app.runner.catch_up()
    assert stored_state(app, "ev-v1") is None
    state = app.queries.event_state("ev-v1")
    assert state == LogView().apply_all(app.store.read()).events["ev-v1"]
    assert state["date"] == "2012-10"
    assert [c["company"] for c in state["companies"]] == ["aesc", "nissan"]
    assert [e["id"] for e in app.queries.timeline("nissan", Query())] == ["ev-v1"]


def test_company_rows_and_search_text_follow_sources_and_corrections(app):
    event_id = _add(app, "Gigafactory in Spain", quote="planta de baterías")
    rowid = app.db.conn.execute("SELECT rowid FROM events WHERE id = ?", (event_id,)).fetchone()[0]
    app.timeline.add_source(event_id, {"url": "https://example.org/b", "published": None,
                                       "quote": "远景动力宣布"})
    app.timeline.correct_event(event_id, [("status", "started")], [], "progress")
    app.timeline.correct_event(event_id, [], [("catl", "operator")], "wrong company")
    assert app.db.conn.execute("SELECT event, company FROM company_events").fetchall() == [
        (rowid, "catl")]
    assert [e["id"] for e in app.queries.search("远景")] == [event_id]
    incremental = search_index(app.db.conn)
    app.runner.rebuild()
    assert search_index(app.db.conn) == incremental


def search_settings(conn) -> dict[str, int]:
    return dict(conn.execute("SELECT k, v FROM events_fts_config WHERE k != 'version'"))


def test_a_rebuild_interrupted_before_its_end_is_finished_on_the_next_start(app, monkeypatch):
    _add(app, "远景 gigafactory", summary="big")
    incremental = projection_contents(app.db.conn)
    schema = schema_of(app.db.conn)

    def crash(self, conn):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(ProjectionRunner, "_finish_rebuild", crash)
        with pytest.raises(KeyboardInterrupt):
            app.runner.rebuild()
    assert schema_of(app.db.conn) != schema                  # indexes still missing
    assert search_settings(app.db.conn)["automerge"] == 0    # still filling the index
    app.runner.ensure_tables()
    assert schema_of(app.db.conn) == schema
    assert search_settings(app.db.conn) == {"automerge": 4, "crisismerge": 16}
    assert projection_contents(app.db.conn) == incremental
    assert [e["title"] for e in app.queries.search("远景")] == ["远景 gigafactory"]


def test_a_rebuild_interrupted_half_way_goes_on_as_a_rebuild_on_the_next_start(
        app, monkeypatch, caplog):
    """Records left after an interrupted rebuild's last commit are applied as a rebuild
    applies them (the deferred indexes built once, at the end), not one by one into every
    index; and the log says what is going on, since it takes a while on a large log."""
    import timeline.projections as projections

    for n in range(12):
        _add(app, f"Plant {n}", date=str(2000 + n))
    incremental = projection_contents(app.db.conn)
    schema = schema_of(app.db.conn)
    monkeypatch.setattr(projections, "REBUILD_BATCH", 2)
    monkeypatch.setattr(projections, "REBUILD_TRANSACTION", 4)
    real_apply = EventsProjection.apply
    calls = {"n": 0}

    def crash_on_the_fifth_batch(self, conn, records):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        real_apply(self, conn, records)

    with monkeypatch.context() as patch:
        patch.setattr(EventsProjection, "apply", crash_on_the_fifth_batch)
        with pytest.raises(KeyboardInterrupt):
            app.runner.rebuild()
    assert 0 < app.runner.checkpoint(app.db.conn, "events") < app.store.head()
    indexes_while_applying = []

    def watching(self, conn, records):
        indexes_while_applying.append(schema_of(conn) == schema)
        real_apply(self, conn, records)

    monkeypatch.setattr(EventsProjection, "apply", watching)
    with caplog.at_level("WARNING", logger="timeline.projections"):
        app.runner.ensure_tables()
    assert indexes_while_applying and not any(indexes_while_applying)
    assert "finishing a rebuild that was interrupted (at record" in caplog.text
    assert schema_of(app.db.conn) == schema
    assert projection_contents(app.db.conn) == incremental


def test_a_rebuild_leaves_the_connection_settings_as_it_found_them(app):
    names = ("secure_delete", "cache_size")
    before = [app.db.conn.execute(f"PRAGMA {name}").fetchone() for name in names]
    _add(app, "Plant")
    app.runner.rebuild()
    assert [app.db.conn.execute(f"PRAGMA {name}").fetchone() for name in names] == before


def test_search_finds_chinese_and_english_in_titles_summaries_and_quotes(app):
    in_title = _add(app, "远景动力宣布在英国建设新工厂")
    in_summary = _add(app, "AESC expands", summary="A second gigafactory in Sunderland")
    in_quote = _add(app, "Plant news", quote="远景科技集团表示……", company="envision")
    _add(app, "宁德时代扩产")
    ids = lambda text: sorted(e["id"] for e in app.queries.search(text))
    assert ids("远景") == sorted([in_title, in_quote])
    assert ids("gigafactory") == [in_summary]
    assert ids("GIGAFACTORIES") == [in_summary]           # stemmed, case-folded
    assert ids("新工厂") == [in_title]
    assert ids("sunderland gigafactory") == [in_summary]
    assert ids("nothing here") == []
    with pytest.raises(InvalidField, match="has no word to search for"):
        app.queries.search('"')


def test_search_follows_corrections_and_leaves_retracted_events_out(app):
    event_id = _add(app, "Gigafactory in Spain")
    app.timeline.correct_event(event_id, [("title", "Cell plant in Spain")], [], "wording")
    assert app.queries.search("gigafactory") == []
    assert [e["id"] for e in app.queries.search("cell plant")] == [event_id]
    app.timeline.retract_event(event_id, "never happened")
    assert app.queries.search("cell plant") == []
    assert [e["id"] for e in app.queries.search("cell plant", include_retracted=True)] == [event_id]


def test_rebuild_reproduces_the_projections_exactly(app):
    first = _add(app, "远景 gigafactory", summary="big")
    _add(app, "Other plant", date="2012-10")
    app.timeline.correct_event(first, [("date", "2013")], [], "date")
    app.timeline.merge_companies("envision", "aesc", "one group")
    app.timeline.retract_event(first, "dup")
    incremental = projection_contents(app.db.conn)
    schema = schema_of(app.db.conn)
    applied = app.runner.rebuild()
    assert applied == app.store.head()
    assert projection_contents(app.db.conn) == incremental
    assert schema_of(app.db.conn) == schema          # the same tables, indexes and triggers


def test_rebuild_replaces_damaged_projection_rows(app):
    _add(app, "Plant")
    good = projection_contents(app.db.conn)
    app.db.conn.execute("DELETE FROM company_events")
    app.db.conn.execute("UPDATE companies SET name = 'wrong'")
    app.runner.rebuild()
    assert projection_contents(app.db.conn) == good


# Windows with edges inside, at and just outside the periods of year, month and day dates.
WINDOWS = [  # about the DATES of `operations`
    {"date_from": date(2011, 9, 30), "date_to": date(2012, 1, 1)},
    {"date_from": date(2011, 10, 1)},
    {"date_to": date(2011, 8, 31)},
    {"date_from": date(2012, 12, 31), "date_to": date(2012, 12, 31)},
    {"date_from": date(2012, 10, 16), "date_to": date(2013, 1, 1)},
    {"as_of": date(2012, 10, 14)},
    {"as_of": date(2013, 6, 15), "date_from": date(2012, 10, 15)},
]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories)
def test_rebuild_equals_incremental_catch_up_for_any_history(history):
    with fresh_app() as app:
        apply(app, history)
        incremental = projection_contents(app.db.conn)
        # caught up after every write: the live answers are those of a full replay
        full = LogView().apply_all(app.store.read())
        assert list(app.queries.events(Query(include_retracted=True))) == full.select(
            Query(include_retracted=True))
        for company in ("aesc", "envision", "catl"):
            assert list(app.queries.timeline(company, Query())) == full.select(Query(company=company))
        for window in WINDOWS:  # the listing filters dates in SQL first: never one too few
            assert list(app.queries.events(Query(**window))) == full.select(Query(**window))
        tokens = search_index(app.db.conn)
        app.runner.rebuild()
        rebuilt = projection_contents(app.db.conn)
        for table in PROJECTION_QUERIES:
            assert rebuilt[table] == incremental[table], table
        assert search_index(app.db.conn) == tokens
