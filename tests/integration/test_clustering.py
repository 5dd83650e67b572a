"""Clustering through the whole pipeline: the same happening, reported by several feeds in
English and Chinese (tests/data/feeds/cluster/: CATL's 100 GWh plant in Debrecen, from a
wire, a car site, an Atom briefing, a UTF-8 and a GB18030 Chinese site), is one event with
several sources, each keeping the figures it gave.
"""

from __future__ import annotations

from typing import Any

import pytest

from feeds.importer import Importer
from feeds.pipeline import FeedPipeline, make_extractor
from tests.integration.test_pipeline import CLUSTER, DOCUMENTS, FEEDS, MakeApp, log, make_app  # noqa: F401
from timeline.bootstrap import App
from timeline.clustering import best_match, places_agree
from timeline.commands import EventInput
from timeline.intake import Draft, ItemSeen


def factories_of(app: App, company: str) -> list[dict[str, Any]]:
    rows = app.db.conn.execute("SELECT id FROM events WHERE type = 'factory' AND rowid IN "
                               "(SELECT event FROM company_events WHERE company = ?)", (company,))
    return [app.queries.event_state(row[0]) for row in rows]


def debrecen(app: App) -> dict[str, Any]:
    found = [e for e in factories_of(app, "catl") if e["location"].get("city") == "Debrecen"]
    assert len(found) == 1, [(e["id"], e["title"], e["location"]) for e in factories_of(app, "catl")]
    return found[0]


def by_publisher(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["publisher"]: s for s in event["sources"]}


def test_five_reports_in_one_poll_are_one_event_with_five_sources(make_app: MakeApp) -> None:
    app = make_app(CLUSTER)
    summary = FeedPipeline(app).poll()
    assert summary.fetched == 5 and summary.failed == 0
    event = debrecen(app)
    assert sorted(by_publisher(event)) == sorted(CLUSTER)
    assert (event["capacity_gwh"], event["location"]["country"], event["date"]) == (100.0, "HU", "2022-08-12")
    kinds = [kind for stream, kind, _ in log(app) if stream == f"event-{event['id']}"]
    assert kinds == ["event.reported"] + ["event.source_added"] * 4
    assert summary.sources_added >= 4


def test_reports_polled_one_by_one_in_any_order_are_one_event(make_app: MakeApp) -> None:
    app = make_app(CLUSTER)
    pipeline = FeedPipeline(app)
    for name in reversed(list(CLUSTER)):  # the GB18030 site first, the wire last
        assert pipeline.poll([name]).fetched == 1
    event = debrecen(app)
    assert len(event["sources"]) == 5
    assert event["sources"][0]["publisher"] == "zh-gb18030"


def test_differing_figures_are_kept_per_source_and_not_overwritten(make_app: MakeApp) -> None:
    app = make_app(CLUSTER)
    FeedPipeline(app).poll()
    event = debrecen(app)
    sources = by_publisher(event)
    money = {name: {(a["value"], a["currency"]) for a in s["figures"]["amounts"]} for name, s in sources.items()}
    assert (7_340_000_000.0, "EUR") in money["wire"]
    assert money["autos"] == {(7_300_000_000.0, "EUR")}
    assert money["markets"] == {(7_600_000_000.0, "USD")}
    assert money["zh-utf8"] == {(7_340_000_000.0, "EUR")}
    assert money["zh-gb18030"] == {(56_000_000_000.0, "CNY")}
    assert sources["zh-gb18030"]["figures"]["amounts"][0]["approximate"] is True  # 约560亿元
    assert {s["figures"]["capacity_gwh"] for s in sources.values()} == {100.0}  # 100吉瓦时 too
    # The event keeps what its first report said; later reports did not overwrite it.
    first = event["sources"][0]
    assert event["amounts"] == first["figures"]["amounts"]
    assert {(a["value"], a["currency"]) for a in event["amounts"]} == money[first["publisher"]]
    # Every source keeps its own quote and language.
    assert {s["language"] for s in sources.values()} == {"en", "zh"}
    assert "100吉瓦时" in sources["zh-gb18030"]["quote"]


def test_another_plant_of_the_same_company_in_the_same_year_is_another_event(make_app: MakeApp) -> None:
    # The car site also says "Its first European plant, in Arnstadt, Germany, began producing
    # cells in late 2022": a factory of CATL in 2022 too, but not the Debrecen one.
    app = make_app(CLUSTER, auto_accept=0.8)
    FeedPipeline(app).poll()
    [arnstadt] = [p for p in app.review.listing() if p["event"]["location"].get("city") == "Arnstadt"]
    event_id = app.timeline.accept_proposal(arnstadt["id"])
    assert event_id != debrecen(app)["id"]
    assert len(debrecen(app)["sources"]) == 5
    [plant] = [e for e in factories_of(app, "catl") if e["id"] == event_id]
    assert plant["location"]["country"] == "DE" and len(plant["sources"]) == 1


def test_two_plants_whose_figures_are_far_apart_are_two_events_though_one_names_no_place(
        make_app: MakeApp) -> None:
    app = make_app({"ticker": FEEDS / "cluster" / "catl-two-plants.xml"}, auto_accept=0.5)
    summary = FeedPipeline(app).poll()
    assert (summary.accepted, summary.sources_added) == (2, 0)
    plants = sorted((e["capacity_gwh"], e["date"]) for e in factories_of(app, "catl"))
    assert plants == [(8.0, "2022-08-30"), (100.0, "2022-08-12")]


@pytest.mark.parametrize("figures", [
    ({"capacity_gwh": 40.0}, {"capacity_gwh": 100.0}),    # its first phase, then the whole
    ({"amounts": [{"value": 8e8, "currency": "EUR"}]}, {"amounts": [{"value": 7.3e9, "currency": "EUR"}]}),
])
def test_one_plant_named_in_its_city_is_one_event_whatever_figures_its_reports_give(
        figures: tuple[dict[str, Any], dict[str, Any]]) -> None:
    city = {"location": {"country": "HU", "city": "Debrecen"}}
    first, second = (_event(**city, **given) for given in figures)
    assert best_match(second, [first]) is not None


def test_a_report_accepted_from_the_queue_joins_the_event_a_curator_added(make_app: MakeApp) -> None:
    app = make_app({"news": FEEDS / "feed-en.xml"}, auto_accept=0.99)
    event_id = app.timeline.add_event(EventInput(
        type="factory", companies=[("catl", "operator")], date="2022-08", title="CATL plant in Debrecen",
        fields=[("capacity_gwh", "100"), ("country", "HU"), ("city", "Debrecen")]))
    summary = FeedPipeline(app).poll()
    assert summary.accepted == summary.sources_added == 0
    # "宁德时代宣布在匈牙利德布勒森建设100GWh电池工厂。" waits below 0.99 ...
    [proposal] = [p for p in app.review.listing() if p["event"]["companies"][0]["company"] == "catl"]
    # ... and joins the curator's event when accepted: one more source, no second event.
    assert app.timeline.accept_proposal(proposal["id"]) == event_id
    assert [e["id"] for e in factories_of(app, "catl")] == [event_id]
    kinds = [kind for stream, kind, _ in log(app) if stream == f"event-{event_id}"]
    assert kinds == ["event.reported", "event.source_added"]
    [source] = debrecen(app)["sources"]
    assert source["url"] == "http://en.news.example/2022/08/catl-hungary"
    assert source["figures"] == {"capacity_gwh": 100.0}


def test_the_same_article_imported_and_polled_is_one_event_with_two_sources(make_app: MakeApp) -> None:
    app = make_app({"yicai": FEEDS / "feed-zh-gb18030.xml"})
    for company, alias in [("envision", "远景"), ("nissan", "日产汽车")]:
        app.timeline.add_alias(company, alias)
    Importer(app, lambda pending: make_extractor(app, pending)).import_file(DOCUMENTS / "news-zh-aesc-sequoia.md")
    FeedPipeline(app).poll()
    rows = app.db.conn.execute("SELECT id FROM events WHERE type = 'acquisition'").fetchall()
    [acquisition] = [app.queries.event_state(row[0]) for row in rows]
    assert acquisition["date"] == "2018-08"
    assert [s["publisher"] for s in acquisition["sources"]] == ["import:news-zh-aesc-sequoia.md", "yicai"]
    assert acquisition["sources"][1]["url"] == "http://news.example/2019/01/aesc-sequoia"


# -- the rule itself -------------------------------------------------------------------

def _event(**extra: Any) -> dict[str, Any]:
    return {"id": "ev-1", "type": "factory", "date": "2022-08-12",
            "companies": [{"company": "catl", "role": "operator"}], "location": {}, **extra}


@pytest.mark.parametrize("mine, theirs, same", [
    ({}, {"country": "HU", "city": "Debrecen"}, True),
    ({"country": "HU"}, {"country": "HU", "city": "Debrecen"}, True),
    ({"country": "hu", "city": "debrecen"}, {"country": "HU", "city": "Debrecen"}, True),
    ({"country": "DE", "city": "Arnstadt"}, {"country": "HU", "city": "Debrecen"}, False),
    ({"country": "DE"}, {"country": "HU"}, False),
    ({"country": "HU", "city": "Szeged"}, {"country": "HU", "city": "Debrecen"}, False),
])
def test_places_that_differ_split_and_missing_places_do_not(
        mine: dict[str, str], theirs: dict[str, str], same: bool) -> None:
    assert places_agree(_event(location=mine), _event(location=theirs)) is same
    found = best_match(_event(location=mine), [_event(location=theirs)])
    assert (found is not None) is same


@pytest.mark.parametrize("change, same", [
    ({}, True),
    ({"date": "2022-09-20"}, True),                      # within the window
    ({"date": "2023-03-01"}, False),                     # months later: another happening
    ({"date": "2022"}, True),                            # a year overlaps the day
    ({"type": "factory_closure"}, False),
    ({"companies": [{"company": "byd", "role": "operator"}]}, False),
    ({"companies": [{"company": "catl", "role": "operator"},
                    {"company": "mercedes", "role": "partner"}]}, True),  # one names more
    ({"retracted": True}, False),
    ({"capacity_gwh": 120.0}, True),                     # figures differ: still the same
    ({"capacity_gwh": 40.0}, True),                      # a first phase of the plant
    ({"capacity_gwh": 8.0}, False),                      # a third or less: another plant
    ({"capacity_gwh": 8.0, "location": {"city": "Debrecen"}}, False),  # one names no city
    ({"amounts": [{"value": 8e8, "currency": "EUR"}]}, True),  # the state aid it gets
    ({"amounts": [{"value": 1.2e9, "currency": "USD"}]}, True),
])
def test_what_makes_two_reports_one_happening(change: dict[str, Any], same: bool) -> None:
    """A report of CATL's 100 GWh plant, €7.34bn, that names no place, against another."""
    known = _event(**{"capacity_gwh": 100.0, **change})
    draft = _event(capacity_gwh=100.0, amounts=[{"value": 7.34e9, "currency": "EUR"}])
    assert (best_match(draft, [known]) is not None) is same


def _report(n: int, capacity: float) -> tuple[ItemSeen, Draft]:
    key = f"item:test:{n}"
    event = {"type": "factory", "date": "2022-08-12", "title": f"CATL plant report {n}",
             "companies": [{"company": "catl", "role": "operator"}], "capacity_gwh": capacity,
             "fields": {"capacity_gwh": capacity}, "location": {"country": "HU", "city": "Debrecen"}}
    source = {"url": f"https://news.example/{n}", "publisher": f"site-{n}", "quote": f"report {n}"}
    return (ItemSeen(key=key, stream="feed-test", data={"feed": "test"}),
            Draft(item_key=key, index=0, event=event, source=source, confidence=0.5))


def test_accepting_one_waiting_report_accepts_the_others_of_the_same_happening_as_sources(
        make_app: MakeApp) -> None:
    app = make_app({})
    reports = [_report(n, capacity) for n, capacity in enumerate([100.0, 100.0, 90.0])]
    app.timeline.intake([r[0] for r in reports], [r[1] for r in reports], auto_accept=0.8)
    waiting = app.review.listing("pending")
    assert len(waiting) == 3

    app.timeline.accept_proposal(waiting[0]["id"])

    event = debrecen(app)
    assert sorted(s["publisher"] for s in event["sources"]) == ["site-0", "site-1", "site-2"]
    assert sorted(s["figures"]["capacity_gwh"] for s in event["sources"]) == [90.0, 100.0, 100.0]
    assert app.review.listing("pending") == []
    assert len(app.review.listing("accepted")) == 3
