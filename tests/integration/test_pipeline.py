"""The feed pipeline (`feeds.pipeline.FeedPipeline`) on a real SQLite file, with feeds read
from local files of tests/data/feeds/: what a poll appends, atomically, feed by feed.

The fault injected below goes into our own intake code (`timeline.intake.Planner`), never
into storage: the point is that a feed whose intake breaks half-way leaves nothing behind,
while the other feeds of the same poll are appended.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feeds.importer import Importer
from feeds.pipeline import FeedPipeline, make_extractor
from tests.conftest import PROJECTION_QUERIES, Clock, write_config
from timeline.bootstrap import App, bootstrap
from timeline.intake import Draft, Planner

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
DOCUMENTS = Path(__file__).resolve().parent.parent / "data" / "documents"
CLUSTER = {name.removeprefix("catl-debrecen-"): FEEDS / "cluster" / f"{name}.xml" for name in (
    "catl-debrecen-wire", "catl-debrecen-autos", "catl-debrecen-markets",
    "catl-debrecen-zh-utf8", "catl-debrecen-zh-gb18030")}

MakeApp = Callable[..., App]


def feeds_toml(feeds: dict[str, Path | str], auto_accept: float | None = None) -> str:
    text = f"\n[review]\nauto_accept = {auto_accept}\n" if auto_accept is not None else ""
    for name, url in feeds.items():
        text += f'\n[[feeds]]\nname = "{name}"\nurl = "{url}"\n'
    return text


@pytest.fixture
def make_app(tmp_path: Path, clock: Clock) -> Iterator[MakeApp]:
    """An initialised timeline whose config.toml lists `feeds` (and the usual companies)."""
    opened: list[App] = []

    def make(feeds: dict[str, Path | str], auto_accept: float | None = None) -> App:
        config = write_config(tmp_path, feeds_toml(feeds, auto_accept))
        app = bootstrap(str(config), str(tmp_path / "timeline.db"), clock=clock)
        opened.append(app)
        app.init()
        return app

    yield make
    for app in opened:
        app.close()


def log(app: App) -> list[tuple[str, str, dict[str, object]]]:
    rows = app.db.conn.execute("SELECT stream, kind, data FROM records ORDER BY position").fetchall()
    return [(stream, kind, json.loads(data)) for stream, kind, data in rows]


def of_feed(app: App, feed: str) -> list[tuple[str, str, dict[str, object]]]:
    """The records a feed's poll appended: its items, and proposals quoting it."""
    found = []
    for stream, kind, data in log(app):
        source = data.get("source")
        publisher = source.get("publisher") if isinstance(source, dict) else None
        if stream == f"feed-{feed}" or publisher == feed:
            found.append((stream, kind, data))
    return found


def test_a_feed_whose_intake_fails_half_way_appends_nothing_and_the_others_go_on(
        make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app({"first": FEEDS / "feed-en.xml", "second": CLUSTER["wire"]})
    original = Planner.draft
    seen: list[str] = []

    def faulty(self: Planner, draft: Draft) -> None:
        if draft.source["publisher"] == "first":
            seen.append(draft.item_key)
            if len(seen) == 2:
                raise RuntimeError("injected fault in the second draft")
        original(self, draft)

    monkeypatch.setattr(Planner, "draft", faulty)
    summary = FeedPipeline(app).poll()
    outcome = {o.feed: o for o in summary.feeds}
    assert len(seen) == 2, "the fault was not reached"
    assert outcome["first"].status == "failed"
    assert "injected fault in the second draft" in str(outcome["first"].error)
    assert "nothing of it was appended" in str(outcome["first"].error)
    assert outcome["second"].status == "ok" and outcome["second"].summary.new_items == 1
    assert of_feed(app, "first") == []
    kinds = [kind for _, kind, _ in of_feed(app, "second")]
    assert kinds[0] == "feed.item_seen" and "proposal.made" in kinds
    health = {s.name: s for s in FeedPipeline(app).health.status()}
    assert health["first"].consecutive_failures == 1 and health["second"].state == "ok"
    assert "injected fault" in str(health["first"].last_error)

    # Fixed, the next poll reads the feed again in full (no validator was kept for it).
    monkeypatch.setattr(Planner, "draft", original)
    again = FeedPipeline(app).poll()
    outcome = {o.feed: o for o in again.feeds}
    assert outcome["first"].status == "ok" and outcome["first"].summary.new_items == 3
    assert outcome["second"].status == "not_modified"
    assert len([1 for _, kind, _ in of_feed(app, "first") if kind == "feed.item_seen"]) == 3


def test_the_records_of_one_feed_are_one_batch(make_app: MakeApp) -> None:
    app = make_app({"en": FEEDS / "feed-en.xml", "wire": CLUSTER["wire"]})
    head = app.store.head()
    FeedPipeline(app).poll()
    rows = app.db.conn.execute("SELECT stream, data, meta, recorded_at FROM records "
                               "WHERE position > ? ORDER BY position", (head,)).fetchall()
    batches: dict[str, set[tuple[str, str]]] = {}
    for stream, data, meta, recorded_at in rows:
        source = json.loads(data).get("source") or {}
        feed = stream.removeprefix("feed-") if stream.startswith("feed-") else source.get("publisher")
        if feed is None:  # an event.reported or proposal.accepted: its proposal's batch
            continue
        batches.setdefault(feed, set()).add((json.loads(meta)["correlation"], recorded_at))
    assert set(batches) == {"en", "wire"}
    assert all(len(marks) == 1 for marks in batches.values()), batches
    assert batches["en"] != batches["wire"]


def test_each_derived_record_names_its_cause(make_app: MakeApp) -> None:
    """A proposal follows from the item it was read in, an event from the proposal it was
    accepted from (meta `causation`); a curator's own act follows from nothing recorded."""
    app = make_app({"wire": CLUSTER["wire"]}, auto_accept=0.0)
    FeedPipeline(app).poll()
    rows = app.db.conn.execute("SELECT stream, kind, meta, key FROM records WHERE kind IN "
                               "('feed.item_seen', 'proposal.made', 'event.reported')").fetchall()
    [(_, _, item_meta, item_key)] = [r for r in rows if r[1] == "feed.item_seen"]
    made = {stream: json.loads(meta) for stream, kind, meta, _ in rows if kind == "proposal.made"}
    events = [json.loads(meta) for _, kind, meta, _ in rows if kind == "event.reported"]
    assert made and all(meta["causation"] == item_key for meta in made.values())
    assert events and all(meta["causation"] in made for meta in events)
    assert "causation" not in json.loads(item_meta)


def test_progress_is_reported_once_per_feed(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app({"en": FEEDS / "feed-en.xml", "missing": tmp_path / "nowhere.xml",
                    "bomb": FEEDS / "feed-xml-bomb.xml"})
    ticks: list[int] = []
    summary = FeedPipeline(app).poll(progress=ticks.append)
    assert ticks == [1, 1, 1]
    assert (summary.fetched, summary.failed) == (1, 2)
    errors = {o.feed: o.error for o in summary.feeds}
    assert "file not found" in str(errors["missing"]) and "XML entities" in str(errors["bomb"])


def _projections(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    queries = {**PROJECTION_QUERIES,
               "proposals": "SELECT id, status, confidence, made_at, cluster, state FROM proposals ORDER BY id",
               "feed_items": "SELECT feed, fingerprint, key FROM feed_items ORDER BY feed, fingerprint"}
    return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}


def test_rebuild_gives_the_projections_that_polls_imports_and_decisions_built(make_app: MakeApp) -> None:
    app = make_app({"en": FEEDS / "feed-en.xml", "zh": FEEDS / "feed-zh-gb18030.xml",
                    **{name: path for name, path in CLUSTER.items() if name != "wire"}}, auto_accept=0.8)
    FeedPipeline(app).poll()
    Importer(app, lambda pending: make_extractor(app, pending)).import_file(DOCUMENTS / "company-note-aesc.md")
    waiting = app.review.listing()
    assert len(waiting) >= 2
    app.timeline.accept_proposal(waiting[0]["id"], reason="checked")
    app.timeline.reject_proposal(waiting[-1]["id"], reason="not news")
    incremental = _projections(app.db.conn)
    assert incremental["proposals"] and incremental["feed_items"]
    app.runner.rebuild()
    assert _projections(app.db.conn) == incremental
