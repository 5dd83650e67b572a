"""The fetcher against a real HTTP server on 127.0.0.1: timeouts, caps, validators,
redirects, limits, and the words of its errors."""

from __future__ import annotations

import asyncio
import email.utils
import os
import threading
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from http_server import ETAG, LAST_MODIFIED, FeedServer, unused_port

from feeds.fetch import FeedRequest, FetchResult, fetch_all, fetch_many, parse_retry_after
from timeline.config import FetchSettings


def one(url: str, settings: FetchSettings, **validators: str) -> FetchResult:
    return fetch_many([FeedRequest(name="f", url=url, **validators)], settings)[0]


# -- the good path ---------------------------------------------------------------------


def test_a_feed_is_fetched_with_its_validators_and_parsing_headers(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/feed"), fast)
    assert result.ok and result.status == 200 and not result.not_modified
    assert result.content is not None and result.content.startswith(b"<?xml")
    assert result.etag == ETAG and result.last_modified == LAST_MODIFIED
    assert result.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert result.feed == "f" and result.final_url == result.url


def test_requests_carry_the_configured_user_agent(feed_server: FeedServer) -> None:
    one(feed_server.url("/feed"), FetchSettings(user_agent="timeline-test/9"))
    assert feed_server.requests[0].headers["user-agent"] == "timeline-test/9"


def test_second_poll_sends_etag_and_gets_304(feed_server: FeedServer, fast: FetchSettings) -> None:
    first = one(feed_server.url("/feed"), fast)
    assert first.etag is not None and first.last_modified is not None
    second = one(feed_server.url("/feed"), fast, etag=first.etag, last_modified=first.last_modified)
    sent = feed_server.requests[1].headers
    assert sent["if-none-match"] == ETAG and sent["if-modified-since"] == LAST_MODIFIED
    assert second.ok and second.not_modified and second.status == 304 and second.content is None
    assert second.etag == ETAG and second.last_modified == LAST_MODIFIED  # kept for next time


def test_last_modified_alone_also_gets_304(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/feed"), fast, last_modified=LAST_MODIFIED)
    assert result.not_modified and result.last_modified == LAST_MODIFIED


def test_gzip_body_is_decoded(feed_server: FeedServer, fast: FetchSettings, data_dir: Path) -> None:
    result = one(feed_server.url("/gzip"), fast)
    assert result.ok and result.content == (data_dir / "feed-en.xml").read_bytes()
    assert "gzip" in feed_server.requests[0].headers["accept-encoding"]


def test_a_redirect_chain_is_followed_to_its_end(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/redirect/3"), fast)
    assert result.ok and result.status == 200
    assert result.final_url == feed_server.url("/feed")
    assert [r.path for r in feed_server.requests] == ["/redirect/3", "/redirect/2", "/redirect/1", "/feed"]


# -- what servers get wrong ----------------------------------------------------------------


def test_404_is_an_error_naming_the_status(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/status/404"), fast)
    assert result.error == "HTTP 404 Not Found" and result.error_kind == "http" and result.status == 404
    assert result.content is None and not result.network_error


def test_500_and_410_are_http_errors(feed_server: FeedServer, fast: FetchSettings) -> None:
    errors = fetch_many([FeedRequest("a", feed_server.url("/status/500")),
                         FeedRequest("b", feed_server.url("/status/410"))], fast)
    assert [r.error for r in errors] == ["HTTP 500 Internal Server Error", "HTTP 410 Gone"]
    assert [r.status for r in errors] == [500, 410]


def test_429_reports_retry_after_in_seconds(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/status/429?retry-after=120"), fast)
    assert result.error == "HTTP 429 Too Many Requests" and result.retry_after == 120.0


def test_503_reports_retry_after_given_as_an_http_date(feed_server: FeedServer, fast: FetchSettings) -> None:
    later = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=600), usegmt=True)
    result = one(feed_server.url(f"/status/503?retry-after={later}"), fast)
    assert result.status == 503 and result.retry_after is not None
    assert 590 <= result.retry_after <= 600


def test_retry_after_values() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:02:00 GMT", now) == 120.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_endless_redirect_loop_is_too_many_redirects(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/loop"), fast)
    assert result.error is not None and result.error.startswith("too many redirects")
    assert "loop" in result.error and result.error_kind == "redirect"


def test_a_chain_longer_than_allowed_is_too_many_redirects(feed_server: FeedServer) -> None:
    result = one(feed_server.url("/redirect/4"), FetchSettings(max_redirects=2))
    assert result.error == f"too many redirects: more than 2 starting at {feed_server.url('/redirect/4')}"
    assert len(feed_server.requests) == 3


def test_connection_refused_names_the_address(fast: FetchSettings) -> None:
    port = unused_port()
    result = one(f"http://127.0.0.1:{port}/feed.xml", fast)
    assert result.error == f"could not connect to 127.0.0.1:{port}: connection refused"
    assert result.network_error and result.status is None


def test_a_server_hanging_up_is_a_network_error(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/reset"), fast)
    assert result.network_error and result.error is not None
    assert result.error.startswith(f"the connection to 127.0.0.1:{feed_server.port} broke")


# -- time --------------------------------------------------------------------------------


def test_a_hanging_server_is_cut_at_the_read_timeout(feed_server: FeedServer, fast: FetchSettings) -> None:
    started = time.monotonic()
    result = one(feed_server.url("/hang"), fast)
    assert time.monotonic() - started < 2.0
    assert result.error == f"timed out after 1 s waiting for 127.0.0.1:{feed_server.port} to answer"
    assert result.network_error


def test_a_trickling_server_is_cut_at_its_deadline(feed_server: FeedServer, fast: FetchSettings) -> None:
    # One byte every 50 ms never trips a per-read timeout; only the overall deadline can.
    started = time.monotonic()
    result = one(feed_server.url("/trickle"), fast)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.0
    assert result.error is not None and result.error.startswith("timed out after 1 s")
    assert "but not the whole response" in result.error


def test_hanging_feed_delays_nothing_beyond_its_timeout(feed_server: FeedServer) -> None:
    settings = FetchSettings(read_timeout=1.0)
    feeds = [FeedRequest("hang", feed_server.url("/hang"))]
    feeds += [FeedRequest(f"good{i}", feed_server.url(f"/slow?delay=0.05&n={i}")) for i in range(5)]
    started = time.monotonic()
    results = fetch_many(feeds, settings)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert results[0].network_error
    assert all(r.ok and r.content for r in results[1:])
    assert [r.feed for r in results] == [f.name for f in feeds]  # input order
    assert max(r.elapsed for r in results[1:]) < 1.0  # none waited for the hanging one


# -- size ------------------------------------------------------------------------------


def test_an_announced_oversized_body_is_refused_without_reading_it(feed_server: FeedServer) -> None:
    result = one(feed_server.url("/big?size=3000000"), FetchSettings(max_bytes=1_000_000))
    assert result.error == "body larger than 1000000 bytes (the server announced 3000000)"
    assert result.error_kind == "too_large" and result.content is None


def test_an_unannounced_oversized_body_is_cut_while_streaming(feed_server: FeedServer) -> None:
    tracemalloc.start()
    try:
        result = one(feed_server.url("/big?size=50000000&chunked=1"), FetchSettings(max_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.error == "body larger than 1000000 bytes"
    assert peak < 8_000_000  # never the 50 MB


def test_gzip_bomb_is_refused_in_bounded_memory(feed_server: FeedServer) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = one(feed_server.url("/bomb"), FetchSettings(max_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.error == "body larger than 1000000 bytes once decompressed"
    assert peak < 8_000_000  # the bomb inflates to 32 MB
    assert time.monotonic() - started < 2.0


def test_a_corrupt_gzip_body_is_a_content_error(feed_server: FeedServer, fast: FetchSettings) -> None:
    result = one(feed_server.url("/badgzip"), fast)
    assert result.error_kind == "content" and result.error is not None
    assert result.error.startswith("the body is not valid gzip data")


# -- limits ------------------------------------------------------------------------------


def test_per_host_limit_holds(feed_server: FeedServer) -> None:
    settings = FetchSettings(per_host=2, concurrency=16)
    feeds = [FeedRequest(f"f{i}", feed_server.url(f"/slow?delay=0.1&n={i}")) for i in range(6)]
    results = fetch_many(feeds, settings)
    assert all(r.ok for r in results)
    assert feed_server.state.max_in_flight == 2


def test_global_limit_holds(feed_server: FeedServer) -> None:
    settings = FetchSettings(per_host=10, concurrency=3)
    feeds = [FeedRequest(f"f{i}", feed_server.url(f"/slow?delay=0.1&n={i}")) for i in range(9)]
    results = fetch_many(feeds, settings)
    assert all(r.ok for r in results)
    assert feed_server.state.max_in_flight == 3


def test_many_feeds_are_fetched_concurrently(feed_server: FeedServer) -> None:
    settings = FetchSettings(per_host=8, concurrency=8)
    feeds = [FeedRequest(f"f{i}", feed_server.url(f"/slow?delay=0.2&n={i}")) for i in range(16)]
    started = time.monotonic()
    results = fetch_many(feeds, settings)
    assert all(r.ok for r in results)
    assert time.monotonic() - started < 1.5  # 16 x 0.2 s would be 3.2 s one by one


def test_fetch_all_runs_inside_an_existing_event_loop(feed_server: FeedServer, fast: FetchSettings) -> None:
    async def main() -> list[FetchResult]:
        return await fetch_all([FeedRequest("a", feed_server.url("/feed"))], fast)

    assert asyncio.run(main())[0].ok


# -- local files -----------------------------------------------------------------------


def test_a_local_path_and_a_file_url_are_read(data_dir: Path, fast: FetchSettings) -> None:
    path = data_dir / "feed-en.xml"
    by_path, by_url = fetch_many([FeedRequest("p", str(path)), FeedRequest("u", path.as_uri())], fast)
    assert by_path.ok and by_path.content == path.read_bytes()
    assert by_url.ok and by_url.content == path.read_bytes()


def test_an_unchanged_local_file_is_not_modified(data_dir: Path, fast: FetchSettings) -> None:
    path = str(data_dir / "feed-en.xml")
    first = one(path, fast)
    assert first.last_modified is not None
    second = one(path, fast, last_modified=first.last_modified)
    assert second.not_modified and second.content is None


def test_a_local_file_has_the_same_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2000)
    result = one(str(big), FetchSettings(max_bytes=1000))
    assert result.error == f"body larger than 1000 bytes ({big} has 2000)"


def test_a_missing_local_file_is_named(tmp_path: Path, fast: FetchSettings) -> None:
    missing = tmp_path / "nope.xml"
    result = one(str(missing), fast)
    assert result.error == f"file not found: {missing}" and result.error_kind == "file"
    assert not result.network_error


def test_a_device_is_not_a_feed_file(fast: FetchSettings) -> None:
    if not os.path.exists("/dev/zero"):
        return
    result = one("/dev/zero", fast)
    assert result.error == "/dev/zero is not a regular file"


def test_a_fifo_is_refused_at_once_rather_than_waited_on(tmp_path: Path, fast: FetchSettings) -> None:
    """Opening a named pipe for reading blocks until someone writes to it, past every
    timeout; the fetch must not wait for that."""
    fifo = tmp_path / "feed.xml"
    os.mkfifo(fifo)
    outcome: list[FetchResult] = []
    worker = threading.Thread(target=lambda: outcome.append(one(str(fifo), fast)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # let the blocked open go before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("the fetch waited on the FIFO")
    assert outcome[0].error == f"{fifo} is not a regular file"


def test_unsupported_schemes_are_refused(fast: FetchSettings) -> None:
    result = one("ftp://127.0.0.1/feed.xml", fast)
    assert result.error_kind == "url" and result.error is not None and "use http(s)" in result.error
    broken = one("http://[127.0.0.1/feed", fast)
    assert broken.error_kind == "url" and broken.error is not None and "not a valid address" in broken.error
