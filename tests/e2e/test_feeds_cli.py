"""`timeline feeds poll|status` and `timeline serve --once` as a curator runs them, against
feeds served by a real HTTP server on 127.0.0.1 (tests/feeds/http_server.py).

Every test writes its own config.toml with [[feeds]] pointing at the server, runs the
command line in-process with its real exit codes, and checks the log and the feeds'
health through the same commands (or a raw SQLite connection for the log's length).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli, write_config
from tests.feeds.http_server import ETAG, ROUTES, FeedServer, Handler, unused_port, wait_until

# The five reports of CATL's Debrecen plant: real-looking feeds, UTF-8, Atom and GB18030.
CLUSTER = ("catl-debrecen-wire", "catl-debrecen-autos", "catl-debrecen-markets",
           "catl-debrecen-zh-utf8", "catl-debrecen-zh-gb18030")


# -- helpers shared with the other e2e files of the feed pipeline ------------------------

@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A fresh loopback server per test; stopping it releases hanging handlers."""
    feed_server = FeedServer().start()
    try:
        yield feed_server
    finally:
        feed_server.stop()


@pytest.fixture
def bodies(server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """A route whose body the test changes between polls: /mutable/<name>.

    It answers 200 with whatever body the test put under <name>, and never sends or honours
    validators: the publisher who changes (or keeps) its feed as the test decides.
    """
    served: dict[str, bytes] = {}

    def mutable(handler: Handler, rest: list[str], query: dict[str, str]) -> None:
        body = served.get("/".join(rest))
        if body is None:
            handler._send(404, b"no such feed", {"Content-Type": "text/plain"})
            return
        handler._send(200, body, {"Content-Type": "application/rss+xml; charset=utf-8"})

    monkeypatch.setitem(ROUTES, "mutable", mutable)
    return served


def feeds_toml(feeds: dict[str, str], **sections: dict[str, object]) -> str:
    """[[feeds]] entries plus any other sections, e.g. fetch={"read_timeout": 1}."""
    text = ""
    for section, values in sections.items():
        text += f"\n[{section}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
    for name, url in feeds.items():
        text += f'\n[[feeds]]\nname = "{name}"\nurl = "{url}"\n'
    return text


def configure(cli: Cli, feeds: dict[str, str], **sections: dict[str, object]) -> None:
    """Rewrite the test's config.toml (same companies as the `app` fixture) with feeds."""
    write_config(cli.config.parent, feeds_toml(feeds, **sections))


def poll(cli: Cli, *names: str) -> dict[str, object]:
    """The JSON summary of a poll, whose exit status must say whether any feed failed."""
    result = cli("feeds", "poll", *names, "--format", "json")
    summary: dict[str, object] = json.loads(result.stdout)
    assert result.exit_code == (1 if summary["failed"] else 0), result.stderr
    return summary


def status(cli: Cli) -> dict[str, dict[str, object]]:
    result = cli("feeds", "status", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def records(db: Path, kind: str | None = None, stream_prefix: str = "") -> list[tuple[str, str, dict[str, object]]]:
    """(stream, kind, data) of the log, in order, optionally of one kind / stream prefix."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT stream, kind, data FROM records WHERE (? IS NULL OR kind = ?) AND stream LIKE ? "
            "ORDER BY position", (kind, kind, stream_prefix + "%"),
        ).fetchall()
    return [(stream, kind_, json.loads(data)) for stream, kind_, data in rows]


def items_of(db: Path, feed: str) -> list[dict[str, object]]:
    return [data for _, _, data in records(db, "feed.item_seen", f"feed-{feed}")]


def rss(*items: dict[str, str], title: str = "Battery Ticker") -> bytes:
    """A small RSS 2.0 document; each item: guid, link, title, description, pubDate."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
             f"<title>{title}</title><link>https://ticker.example/</link><description>news</description>"]
    for item in items:
        parts.append("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def cluster_feeds(server: FeedServer) -> dict[str, str]:
    return {name.removeprefix("catl-debrecen-"): server.url(f"file/cluster/{name}.xml") for name in CLUSTER}


def timed(action: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    value = action()
    return value, time.monotonic() - started


# -- concurrency and timeouts ----------------------------------------------------------

def test_a_poll_fetches_its_feeds_concurrently(cli: Cli, server: FeedServer) -> None:
    configure(cli, {f"slow{i}": server.url(f"slow?delay=0.5&feed={i}") for i in range(4)},
              fetch={"per_host": 4})
    summary, elapsed = timed(lambda: poll(cli))
    assert isinstance(summary, dict) and summary["fetched"] == 4 and summary["failed"] == 0
    # One after the other, four half-second answers take two seconds.
    assert elapsed < 1.6, f"four 0.5 s feeds took {elapsed:.2f} s: not fetched concurrently"
    assert server.state.max_in_flight >= 3


def test_a_hanging_feed_delays_nothing_beyond_its_own_timeout(cli: Cli, server: FeedServer) -> None:
    feeds = {**cluster_feeds(server), "hanging": server.url("hang")}
    configure(cli, feeds, fetch={"read_timeout": 1})
    summary, elapsed = timed(lambda: poll(cli))
    assert elapsed < 3, f"the round took {elapsed:.2f} s"
    assert isinstance(summary, dict)
    assert (summary["fetched"], summary["failed"]) == (5, 1)
    [hanging] = [f for f in summary["feeds"] if f["feed"] == "hanging"]  # type: ignore[union-attr]
    assert hanging["status"] == "failed" and "timed out after 1 s" in hanging["error"]
    for name in cluster_feeds(server):
        assert len(items_of(cli.db, name)) == 1, f"{name}'s item is not in the log"
    assert items_of(cli.db, "hanging") == []
    assert status(cli)["hanging"]["state"] == "failing"


# -- health ----------------------------------------------------------------------------

def test_status_shows_each_feeds_health_and_a_410_stops_the_feed(cli: Cli, server: FeedServer) -> None:
    configure(cli, {"good": server.url("feed"), "broken": server.url("status/500"),
                    "gone": server.url("status/410")})
    poll(cli)
    second = poll(cli)
    health = status(cli)
    assert health["good"]["state"] == "ok" and health["good"]["consecutive_failures"] == 0
    assert health["good"]["last_error"] is None and health["good"]["last_success_at"]
    assert health["broken"]["state"] == "failing"
    assert health["broken"]["consecutive_failures"] == 2  # each 500 counts
    assert health["broken"]["last_error"] == "HTTP 500 Internal Server Error"
    assert health["gone"]["state"] == "stopped" and "410 Gone" in str(health["gone"]["last_error"])
    # Stopped means stopped: the second poll of every feed did not ask the publisher again.
    assert sum(1 for r in server.requests if r.path == "/status/410") == 1
    [gone] = [f for f in second["feeds"] if f["feed"] == "gone"]  # type: ignore[union-attr]
    assert gone["status"] == "skipped" and second["skipped"] == 1

    text = cli("feeds", "status")
    assert text.exit_code == 0
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    assert " ok " in lines["good"]
    assert "failing" in lines["broken"] and "2 failures" in lines["broken"]
    assert "last error: HTTP 500 Internal Server Error" in lines["broken"]
    assert "STOPPED" in lines["gone"] and "gone for good" in lines["gone"]

    # Naming a stopped feed is a curator's restart: it is asked again (and stops again).
    poll(cli, "gone")
    assert sum(1 for r in server.requests if r.path == "/status/410") == 2
    assert status(cli)["gone"]["state"] == "stopped"


def test_a_poll_of_every_feed_leaves_alone_a_server_that_asked_to_wait(
        cli: Cli, server: FeedServer) -> None:
    configure(cli, {"good": server.url("feed"), "busy": server.url("status/429?retry-after=3600")})
    poll(cli)
    asked = sum(1 for r in server.requests if r.path.startswith("/status/429"))
    second = cli("feeds", "poll")
    assert second.exit_code == 0, second.stderr  # waiting is not failing
    assert sum(1 for r in server.requests if r.path.startswith("/status/429")) == asked
    [busy] = [line for line in second.stdout.splitlines() if line.startswith("busy")]
    assert "skipped" in busy and ("waiting after the server's last answer (HTTP 429 Too Many "
                                  "Requests; the server asked to wait 3600 s); next poll at") in busy
    assert "`timeline feeds poll busy` polls it now" in busy
    assert second.stdout.splitlines()[-1].startswith("0 fetched, 1 not modified, 0 failed, 1 skipped")

    # Naming it is the curator's decision to ask anyway.
    named = cli("feeds", "poll", "busy")
    assert named.exit_code == 1 and "HTTP 429" in named.stdout
    assert sum(1 for r in server.requests if r.path.startswith("/status/429")) == asked + 1


def test_every_feed_refused_at_once_is_an_outage_that_penalises_no_feed(cli: Cli) -> None:
    # Three publishers (distinct ports are distinct hosts), none of them listening.
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(unused_port())
    configure(cli, {f"feed{i}": f"http://127.0.0.1:{port}/feed.xml" for i, port in enumerate(sorted(ports))},
              fetch={"connect_timeout": 1, "read_timeout": 1})
    summary = poll(cli)
    assert summary["failed"] == 3
    for name, row in status(cli).items():
        assert row["consecutive_failures"] == 0, f"{name} was penalised for the network's outage"
        assert "outage" in str(row["last_error"])


def test_a_lone_refused_feed_is_counted_against_it(cli: Cli, server: FeedServer) -> None:
    configure(cli, {"good": server.url("feed"), "refused": f"http://127.0.0.1:{unused_port()}/feed.xml"},
              fetch={"connect_timeout": 1, "read_timeout": 1})
    poll(cli)
    health = status(cli)
    assert health["refused"]["consecutive_failures"] == 1 and health["refused"]["state"] == "failing"
    assert "refused" in str(health["refused"]["last_error"])
    assert health["good"]["state"] == "ok"


# -- identity: re-polls append nothing, odd publishers lose nothing --------------------

def test_an_unchanged_feed_answering_304_appends_no_record(cli: Cli, server: FeedServer) -> None:
    configure(cli, {"news": server.url("feed")})
    first = poll(cli)
    assert first["fetched"] == 1 and first["items"] == 3
    length = cli.records()
    second = poll(cli)
    assert cli.records() == length
    assert (second["fetched"], second["not_modified"], second["items"]) == (0, 1, 0)
    assert server.requests[-1].headers.get("if-none-match") == ETAG


def test_a_server_ignoring_validators_with_the_same_body_appends_no_record(cli: Cli, server: FeedServer) -> None:
    configure(cli, {"news": server.url("file/feed-en.xml")})
    poll(cli)
    length = cli.records()
    second = poll(cli)
    assert cli.records() == length
    assert (second["fetched"], second["items"], second["duplicates"]) == (1, 3, 3)
    assert (second["proposed"], second["accepted"]) == (0, 0)


ARTICLES = {
    "nv": {"link": "https://ticker.example/2024/11/northvolt-chapter-11",
           "title": "Northvolt files for Chapter 11 bankruptcy protection",
           "description": "Northvolt filed for Chapter 11 bankruptcy protection in the United States "
                          "on 21 November 2024.", "pubDate": "Fri, 22 Nov 2024 06:00:00 GMT"},
    "aesc": {"link": "https://ticker.example/2022/12/aesc-south-carolina",
             "title": "AESC to build a 30 GWh battery plant in South Carolina",
             "description": "Envision AESC will build a 30 GWh battery plant in Florence County, "
                            "South Carolina, investing $810 million, the company said on 13 December 2022.",
             "pubDate": "Tue, 13 Dec 2022 09:00:00 GMT"},
    "catl": {"link": "https://ticker.example/2022/08/catl-debrecen",
             "title": "CATL to build a 100 GWh battery plant in Hungary",
             "description": "CATL will build a 100 GWh battery plant in Debrecen, Hungary, investing "
                            "€7.3 billion, the company said on 12 August 2022.",
             "pubDate": "Fri, 12 Aug 2022 08:00:00 GMT"},
    "sunderland": {"link": "https://ticker.example/2021/07/envision-aesc-sunderland",
                   "title": "Envision AESC to build a 9 GWh gigafactory in Sunderland",
                   "description": "Envision AESC announced on 1 July 2021 that it will build a 9 GWh "
                                  "gigafactory in Sunderland, UK.",
                   "pubDate": "Thu, 01 Jul 2021 07:00:00 GMT"},
}


def test_a_publisher_changing_every_guid_neither_duplicates_nor_loses_items(
        cli: Cli, server: FeedServer, bodies: dict[str, bytes]) -> None:
    configure(cli, {"changer": server.url("mutable/changer")})

    def fetch(number: int, *names: str) -> dict[str, object]:
        bodies["changer"] = rss(*({"guid": f"{name}-session-{number}", **ARTICLES[name]} for name in names))
        return poll(cli)

    fetch(1, "nv", "aesc")
    assert len(items_of(cli.db, "changer")) == 2
    length = cli.records()
    second = fetch(2, "catl", "nv", "aesc")  # new guids for all, and one new article
    assert second["new_items"] == 1 and second["duplicates"] == 2
    assert [i["title"] for i in items_of(cli.db, "changer")][-1] == ARTICLES["catl"]["title"]
    grown = cli.records()
    assert grown > length
    fetch(3, "catl", "nv", "aesc")
    assert cli.records() == grown
    assert len(items_of(cli.db, "changer")) == 3
    events = json.loads(cli("events", "--format", "json").stdout)
    assert len(events) == len({(e["type"], e["date"]) for e in events}) == 3


def test_a_publisher_repeating_one_guid_for_different_items_loses_nothing(
        cli: Cli, server: FeedServer, bodies: dict[str, bytes]) -> None:
    configure(cli, {"repeater": server.url("mutable/repeater")})
    home = "https://ticker.example/"

    def fetch(*names: str) -> dict[str, object]:
        bodies["repeater"] = rss(*({"guid": home, **ARTICLES[name]} for name in names))
        return poll(cli)

    first = fetch("nv", "aesc", "catl")
    assert first["new_items"] == 3
    assert sorted(i["title"] for i in items_of(cli.db, "repeater")) == sorted(
        ARTICLES[n]["title"] for n in ("nv", "aesc", "catl"))
    # Next time only the latest article is in the feed, under the same guid again.
    later = fetch("sunderland")
    assert later["new_items"] == 1
    assert len(items_of(cli.db, "repeater")) == 4
    length = cli.records()
    again = fetch("sunderland")
    assert again["new_items"] == 0 and cli.records() == length
    types = sorted(e["type"] for e in json.loads(cli("events", "--format", "json").stdout))
    assert types == ["bankruptcy", "factory", "factory", "factory"]


# -- hostile feeds through the whole pipeline --------------------------------------------

def test_hostile_feeds_each_fail_alone_and_the_good_feeds_are_appended(cli: Cli, server: FeedServer) -> None:
    configure(cli, {
        "bomb": server.url("file/feed-xml-bomb.xml"),
        "malformed": server.url("file/feed-malformed.xml"),
        "oversized": server.url("big?size=3000000"),
        "good": server.url("file/cluster/catl-debrecen-wire.xml"),
        "also-good": server.url("feed"),
    }, fetch={"max_bytes": 1_000_000})
    result = cli("feeds", "poll")
    assert result.exit_code == 1, result.stderr  # the good feeds' news is kept all the same
    assert result.stderr.strip() == ("error: 3 of 5 feeds failed (see above; `timeline feeds "
                                     "status` says when each is tried again); the news of the "
                                     "others was kept")
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "failed" in lines["bomb"] and "failed" in lines["oversized"]
    assert " 1 item, " in lines["good"] and " 3 items, " in lines["also-good"]
    health = status(cli)
    assert "XML entities" in str(health["bomb"]["last_error"])
    assert 'an HTML page titled "502 Bad Gateway"' in str(health["malformed"]["last_error"])
    assert "larger than 1000000 bytes" in str(health["oversized"]["last_error"])
    for name in ("bomb", "malformed", "oversized"):
        assert health[name]["state"] == "failing" and items_of(cli.db, name) == []
    assert health["good"]["state"] == health["also-good"]["state"] == "ok"
    assert len(items_of(cli.db, "good")) == 1 and len(items_of(cli.db, "also-good")) == 3


# -- feedback ----------------------------------------------------------------------------

def test_poll_json_summary_counts_the_round_and_no_progress_bar_off_a_terminal(
        cli: Cli, server: FeedServer) -> None:
    configure(cli, {**cluster_feeds(server), "broken": server.url("status/503")})
    result = cli("feeds", "poll", "--format", "json")
    assert result.exit_code == 1  # one feed failed; the summary on stdout is whole all the same
    summary = json.loads(result.stdout)
    assert {"fetched", "not_modified", "failed", "items", "proposed", "accepted", "duplicates"} <= set(summary)
    assert (summary["fetched"], summary["not_modified"], summary["failed"]) == (5, 0, 1)
    assert summary["items"] == 5 and summary["duplicates"] == 0
    assert summary["proposed"] >= 5 and summary["accepted"] >= 1
    # tqdm draws "poll: 100%|████| 6/6 [...]" on stderr when it is a terminal; this is not one.
    for text in ("%|", "it/s", "item/s", "poll:"):
        assert text not in result.stderr
    again = cli("feeds", "poll")  # text this time; the files come without validators
    assert again.exit_code == 1 and "%|" not in again.stderr
    assert again.stdout.splitlines()[-1].startswith("5 fetched, 0 not modified, 1 failed")


# -- the service -------------------------------------------------------------------------

def test_serve_once_polls_every_feed_once_and_exits(cli: Cli, server: FeedServer) -> None:
    configure(cli, {"wire": server.url("file/cluster/catl-debrecen-wire.xml"), "news": server.url("feed")})
    result = cli("serve", "--once")
    assert result.exit_code == 0, result.stderr
    assert "2 fetched" in result.stdout
    paths = sorted(r.path for r in server.requests)
    assert paths == ["/feed", "/file/cluster/catl-debrecen-wire.xml"]
    assert len(items_of(cli.db, "wire")) == 1 and len(items_of(cli.db, "news")) == 3
    assert {row["state"] for row in status(cli).values()} == {"ok"}
    # Run again at once: nothing is due yet, so nobody is asked and nothing is appended.
    length = cli.records()
    again = cli("serve", "--once")
    assert again.exit_code == 0 and len(server.requests) == 2 and cli.records() == length


@pytest.mark.parametrize("address", ["www.example.org/feed", "127.0.0.1:8000/feed"])
def test_a_feed_address_written_without_its_scheme_fails_alone_and_says_how_to_write_it(
        cli: Cli, server: FeedServer, address: str) -> None:
    configure(cli, {"typo": address, "news": server.url("feed")})
    result = cli("feeds", "poll")
    assert result.exit_code == 1
    [typo] = [line for line in result.stdout.splitlines() if line.startswith("typo ")]
    assert "file not found" in typo and f"if the feed is on the web, write https://{address}" in typo
    assert len(items_of(cli.db, "news")) == 3  # the others go on
    assert cli("events").exit_code == 0  # and nothing else minds


def test_serve_polls_a_feed_at_its_interval_not_at_twice_it(cli: Cli, server: FeedServer) -> None:
    """The next poll is counted from the end of the last: the look for due feeds that
    comes a moment before it must not leave the feed to the look after."""
    write_config(cli.config.parent, f'\n[[feeds]]\nname = "news"\nurl = "{server.url("feed")}"\n'
                                    'interval = "2s"\n')
    service = subprocess.Popen([sys.executable, "-m", "timeline", "--config", str(cli.config),
                                "--db", str(cli.db), "serve"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: len(server.requests) >= 1, timeout=20)
        first = time.monotonic()
        time.sleep(6.5)
        polls = len(server.requests)  # at 0, 2, 4 and 6 s; every 4 s, it was 2
    finally:
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=20)
    assert service.returncode == 0, stderr
    assert polls >= 3, (polls, time.monotonic() - first, stderr)


def test_one_article_in_two_feeds_is_one_source_of_one_event(
        cli: Cli, server: FeedServer, bodies: dict[str, bytes]) -> None:
    """A publisher's main feed and its category feed carry the same item: the second
    sighting is a duplicate, not a second report."""
    bodies["one"] = rss({"guid": "nv-1", **ARTICLES["nv"]})
    bodies["tracked"] = rss({"guid": "nv-1-rss", **{**ARTICLES["nv"], "link": ARTICLES["nv"]["link"]
                                                     + "?utm_source=rss&utm_medium=feed"}})
    configure(cli, {"main": server.url("mutable/one"),
                    "batteries": server.url("mutable/one?category=batteries"),
                    "tracked": server.url("mutable/tracked")},
              review={"auto_accept": 0.0})
    summary = poll(cli)
    assert (summary["accepted"], summary["sources_added"], summary["duplicates"]) == (1, 0, 2)
    [event] = json.loads(cli("show", "northvolt", "--format", "json").stdout)
    assert [s["url"] for s in event["sources"]] == [ARTICLES["nv"]["link"]]


def test_each_feeds_line_counts_its_duplicates_as_the_total_does(
        cli: Cli, server: FeedServer, bodies: dict[str, bytes]) -> None:
    bodies["one"] = rss({"guid": "nv-1", **ARTICLES["nv"]})
    configure(cli, {"main": server.url("mutable/one"), "copy": server.url("mutable/one?c=2")},
              review={"auto_accept": 0.0})
    lines = cli("feeds", "poll").stdout.splitlines()
    [copy] = [line for line in lines if line.startswith("copy ")]
    assert copy.endswith("1 item, 1 new, 0 proposed, 0 accepted, 0 sources added, 1 duplicate")
    assert lines[-1].endswith("2 items, 1 proposed, 1 accepted, 1 duplicate.")
