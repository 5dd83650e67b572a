"""Feed health in a real SQLite file: scheduling, backoff, 410, Retry-After, outages."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from http_server import FeedServer, unused_port

from feeds.fetch import FeedRequest, FetchResult, fetch_many
from feeds.health import PollOutcome, SQLiteFeedHealth, UnknownFeed, is_global_outage
from timeline.config import FetchSettings
from timeline.dates import format_timestamp

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SETTINGS = FetchSettings(backoff_base=60, backoff_max=3600)


def at(seconds: float = 0) -> datetime:
    return NOW + timedelta(seconds=seconds)


def stamp(seconds: float = 0) -> str:
    return format_timestamp(at(seconds))


def seconds_until_next_poll(health: SQLiteFeedHealth, name: str) -> float:
    status = {s.name: s for s in health.status()}[name]
    assert status.next_poll_at is not None
    moment = datetime.strptime(status.next_poll_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return (moment - NOW).total_seconds()


def ok(name: str, url: str = "http://a.example/feed", **fields: object) -> FetchResult:
    return FetchResult(feed=name, url=url, final_url=url, status=200, content=b"<rss/>", **fields)  # type: ignore[arg-type]


def refused(name: str, host: str) -> FetchResult:
    url = f"http://{host}/feed"
    return FetchResult(feed=name, url=url, final_url=url, error=f"could not connect to {host}: connection refused",
                       error_kind="network")


@pytest.fixture
def health(health_db: sqlite3.Connection) -> SQLiteFeedHealth:
    h = SQLiteFeedHealth(health_db, SETTINGS, clock=lambda: NOW, rng=random.Random(7))
    h.register([("a", "http://a.example/feed"), ("b", "http://b.example/feed")], now=NOW)
    return h


def test_new_feeds_are_due_at_once(health: SQLiteFeedHealth) -> None:
    assert [f.name for f in health.due(now=NOW)] == ["a", "b"]
    assert {s.state for s in health.status()} == {"new"}


def test_success_keeps_validators_and_schedules_the_next_interval(health: SQLiteFeedHealth) -> None:
    health.record_success("a", ok("a", etag='"v1"', last_modified="Wed, 02 Jan 2019 12:00:00 GMT"),
                          items=3, interval=1800, now=NOW)
    assert "a" not in [f.name for f in health.due(now=at(1799))]
    [due] = [f for f in health.due(now=at(1800)) if f.name == "a"]
    assert due == FeedRequest("a", "http://a.example/feed", '"v1"', "Wed, 02 Jan 2019 12:00:00 GMT")
    status = health.status()[0]
    assert status.state == "ok" and status.items_total == 3 and status.last_success_at == stamp()
    assert status.last_status == 200 and status.last_error is None


def test_failures_back_off_exponentially_with_jitter_up_to_a_ceiling(health: SQLiteFeedHealth) -> None:
    delays = []
    for _ in range(10):
        health.record_failure("a", "HTTP 500 Internal Server Error", 500, now=NOW)
        delays.append(seconds_until_next_poll(health, "a"))
    for n, delay in enumerate(delays[:6]):
        full = 60 * 2 ** n
        assert full / 2 <= delay <= full  # jittered within [50 %, 100 %] of 60, 120, 240, ...
    assert all(1800 <= d <= 3600 for d in delays[6:])  # the ceiling
    status = health.status()[0]
    assert status.consecutive_failures == 10 and status.state == "failing"
    assert status.last_error == "HTTP 500 Internal Server Error"


def test_success_after_failures_resets_the_count(health: SQLiteFeedHealth) -> None:
    health.record_failure("a", "HTTP 500 Internal Server Error", 500, now=NOW)
    health.record_not_modified("a", now=NOW)
    status = health.status()[0]
    assert status.consecutive_failures == 0 and status.last_error is None and status.last_status == 304


def test_retry_after_sets_the_next_poll_at_least_that_far(health: SQLiteFeedHealth) -> None:
    health.record_failure("a", "HTTP 429 Too Many Requests", 429, retry_after=1000, now=NOW)
    assert seconds_until_next_poll(health, "a") == pytest.approx(1000)
    health.record_failure("b", "HTTP 503 Service Unavailable", 503, retry_after=10 ** 9, now=NOW)
    assert seconds_until_next_poll(health, "b") == pytest.approx(3600)  # never past the ceiling


def test_feeds_whose_server_asked_to_wait_are_waiting_until_their_time(
        health: SQLiteFeedHealth) -> None:
    health.register([("c", "http://c.example/feed"), ("d", "http://d.example/feed")], now=NOW)
    health.record_failure("a", "HTTP 429 Too Many Requests", 429, now=NOW)  # 429 says so itself
    health.record_failure("b", "HTTP 503 Service Unavailable", 503, retry_after=1000, now=NOW)
    health.record_failure("c", "HTTP 503 Service Unavailable", 503, now=NOW)  # a plain failure
    health.record_failure("d", "HTTP 500 Internal Server Error", 500, retry_after=1000, now=NOW)
    assert set(health.waiting(now=NOW)) == {"a", "b", "d"}
    [b] = [s for s in health.status() if s.name == "b"]
    assert b.last_error == "HTTP 503 Service Unavailable; the server asked to wait 1000 s"
    assert set(health.waiting(now=NOW + timedelta(seconds=3601))) == set()


def test_410_stops_the_feed(feed_server: FeedServer, health_db: sqlite3.Connection) -> None:
    health = SQLiteFeedHealth(health_db, SETTINGS, clock=lambda: NOW)
    health.register([("gone", feed_server.url("/status/410"))], now=NOW)
    results = fetch_many(health.due(now=NOW), SETTINGS)
    report = health.settle_round(results, now=NOW)
    assert report.stopped == ("gone",) and not report.outage
    status = health.status()[0]
    assert status.stopped and status.state == "stopped" and status.next_poll_at is None
    assert status.last_error is not None and status.last_error.startswith("HTTP 410 Gone: the publisher says")
    assert health.due(now=at(10 ** 8)) == []  # never again...
    health.restart("gone", now=at(100))  # ...until a curator says so
    assert [f.name for f in health.due(now=at(100))] == ["gone"]
    assert not health.status()[0].stopped


def test_restarting_an_unknown_feed_says_so(health: SQLiteFeedHealth) -> None:
    with pytest.raises(UnknownFeed, match="no feed named 'nope'"):
        health.restart("nope")


def test_global_outage_penalises_no_feed(health: SQLiteFeedHealth) -> None:
    health.record_failure("a", "HTTP 500 Internal Server Error", 500, now=NOW)
    report = health.settle_round([refused("a", "a.example:80"), refused("b", "b.example:80")], now=NOW)
    assert report.outage and report.failed == ("a", "b")
    by_name = {s.name: s for s in health.status()}
    assert by_name["a"].consecutive_failures == 1 and by_name["b"].consecutive_failures == 0
    assert by_name["b"].last_error is not None and "network outage" in by_name["b"].last_error
    assert 30 <= seconds_until_next_poll(health, "b") <= 60  # a plain retry at backoff_base


def test_a_real_outage_round_against_closed_ports(health_db: sqlite3.Connection) -> None:
    health = SQLiteFeedHealth(health_db, SETTINGS, clock=lambda: NOW)
    health.register([(f"f{n}", f"http://127.0.0.1:{unused_port()}/feed") for n in range(3)], now=NOW)
    report = health.settle_round(fetch_many(health.due(now=NOW), SETTINGS), now=NOW)
    assert report.outage
    assert all(s.consecutive_failures == 0 for s in health.status())


def test_one_host_down_is_not_a_global_outage(health: SQLiteFeedHealth) -> None:
    results = [refused("a", "a.example:80"), refused("b", "a.example:80")]
    assert not is_global_outage(results)
    report = health.settle_round(results, now=NOW)
    assert not report.outage
    assert all(s.consecutive_failures == 1 for s in health.status())


def test_a_round_with_one_success_is_not_an_outage(health: SQLiteFeedHealth) -> None:
    report = health.settle_round([refused("a", "a.example:80"), ok("b", "http://b.example/feed")], now=NOW)
    assert not report.outage and report.succeeded == ("b",) and report.failed == ("a",)
    assert {s.name: s.consecutive_failures for s in health.status()} == {"a": 1, "b": 0}


def test_local_files_read_fine_do_not_hide_an_outage(health: SQLiteFeedHealth, tmp_path: Path) -> None:
    local = FetchResult(feed="local", url=str(tmp_path / "f.xml"), final_url=str(tmp_path / "f.xml"),
                        status=200, content=b"<rss/>")
    report = health.settle_round([refused("a", "a.example:80"), refused("b", "b.example:80"), local], now=NOW)
    assert report.outage and report.succeeded == ("local",)
    assert {s.name: s.consecutive_failures for s in health.status()} == {"a": 0, "b": 0, "local": 0}


def test_http_errors_everywhere_are_not_an_outage(health: SQLiteFeedHealth) -> None:
    results = [FetchResult(feed=n, url=f"http://{n}.example/", final_url=f"http://{n}.example/", status=500,
                           error="HTTP 500 Internal Server Error", error_kind="http") for n in "ab"]
    assert not health.settle_round(results, now=NOW).outage


def test_a_parse_failure_counts_as_a_failure(health: SQLiteFeedHealth) -> None:
    report = health.settle_round([PollOutcome(ok("a"), error="not a readable feed: malformed XML"),
                                  PollOutcome(ok("b", "http://b.example/feed", etag='"x"'), items=2,
                                              interval=600)], now=NOW)
    assert report.failed == ("a",) and report.succeeded == ("b",)
    by_name = {s.name: s for s in health.status()}
    assert by_name["a"].last_error == "not a readable feed: malformed XML"
    assert by_name["b"].items_total == 2 and seconds_until_next_poll(health, "b") == 600
    assert [f.etag for f in health.due(now=at(600)) if f.name == "b"] == ['"x"']


def test_a_poll_round_trip_with_a_real_server(feed_server: FeedServer, health_db: sqlite3.Connection) -> None:
    health = SQLiteFeedHealth(health_db, SETTINGS, clock=lambda: NOW)
    health.register([("feed", feed_server.url("/feed"))], now=NOW)
    health.settle_round(fetch_many(health.due(now=NOW), SETTINGS), now=NOW)
    [again] = health.due(now=at(1800))
    result = fetch_many([again], SETTINGS)[0]
    assert result.not_modified  # the stored ETag went out with the second poll
    health.settle_round([result], now=at(1800))
    assert health.status()[0].last_status == 304


def test_due_can_be_narrowed_to_some_feeds(health: SQLiteFeedHealth) -> None:
    assert [f.name for f in health.due(now=NOW, names=["b", "zz"])] == ["b"]


def test_changing_a_feeds_url_drops_its_validators(health: SQLiteFeedHealth) -> None:
    health.record_success("a", ok("a", etag='"v1"'), items=0, now=NOW)
    assert health.validators("a", "http://a.example/feed") == ('"v1"', None)
    assert health.validators("a", "http://elsewhere.example/") == (None, None)
    health.register([("a", "http://a.example/moved")], now=NOW)
    [due] = [f for f in health.due(now=NOW) if f.name == "a"]
    assert due.url == "http://a.example/moved" and due.etag is None


def test_writes_join_the_callers_transaction(health: SQLiteFeedHealth, health_db: sqlite3.Connection) -> None:
    health_db.execute("BEGIN IMMEDIATE")
    health.record_failure("a", "boom", now=NOW)
    health_db.execute("ROLLBACK")  # the caller's transaction decides
    assert health.status()[0].consecutive_failures == 0


def test_recording_an_unknown_feed_says_so(health: SQLiteFeedHealth) -> None:
    with pytest.raises(UnknownFeed):
        health.record_failure("nope", "boom", now=NOW)
