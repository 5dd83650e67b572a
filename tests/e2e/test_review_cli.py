"""`timeline review list|accept|reject` as a curator works the queue the feeds filled.

Proposals below `[review] auto_accept` wait; accepting one may set fields and roles first
and creates the event; rejecting one is final, even when the publisher later hands the same
article out under a new guid. Every decision is a record of the log.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli
from tests.e2e.test_feeds_cli import (  # noqa: F401  (fixtures)
    ARTICLES,
    bodies,
    configure,
    poll,
    records,
    rss,
    server,
)
from tests.feeds.http_server import FeedServer


def pending(cli: Cli, status: str = "pending") -> list[dict[str, object]]:
    result = cli("review", "list", "--status", status, "--format", "json")
    assert result.exit_code == 0, result.stderr
    listing: list[dict[str, object]] = json.loads(result.stdout)
    return listing


def events(cli: Cli) -> list[dict[str, object]]:
    result = cli("events", "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def kinds_after(cli: Cli, length: int) -> list[str]:
    return [kind for _, kind, _ in records(cli.db)][length:]


def the_proposal(cli: Cli, etype: str, company: str) -> dict[str, object]:
    [found] = [p for p in pending(cli) if p["event"]["type"] == etype  # type: ignore[index]
               and p["event"]["companies"][0]["company"] == company]  # type: ignore[index]
    return found


@pytest.fixture
def queue(cli: Cli, server: FeedServer) -> Cli:
    """Three proposals from feed-en.xml waiting, because nothing reaches auto_accept 0.99."""
    configure(cli, {"news": server.url("feed")}, review={"auto_accept": 0.99})
    summary = poll(cli)
    assert (summary["proposed"], summary["accepted"]) == (3, 0)
    return cli


def test_proposals_below_auto_accept_wait_in_the_queue(queue: Cli) -> None:
    cli = queue
    assert events(cli) == []
    listing = pending(cli)
    assert len(listing) == 3
    assert {p["event"]["type"] for p in listing} == {"bankruptcy", "factory"}  # type: ignore[index]
    for proposal in listing:
        assert str(proposal["id"]).startswith("pr-") and proposal["status"] == "pending"
        assert 0 < float(proposal["confidence"]) < 0.99  # type: ignore[arg-type]
        assert proposal["source"]["url"].startswith("http://en.news.example/")  # type: ignore[index]
        assert proposal["source"]["quote"]  # type: ignore[index]
    confidences = [p["confidence"] for p in listing]
    assert confidences == sorted(confidences, reverse=True)  # most confident first
    text = cli("review", "list")
    assert text.exit_code == 0
    for proposal in listing:
        assert str(proposal["id"]) in text.stdout
    assert "Northvolt (company)" in text.stdout


def test_auto_accept_zero_accepts_every_exact_proposal(cli: Cli, server: FeedServer) -> None:
    configure(cli, {"news": server.url("feed")}, review={"auto_accept": 0.0})
    summary = poll(cli)
    assert summary["accepted"] == 3
    assert pending(cli) == [] and len(pending(cli, "accepted")) == 3
    assert cli("review", "list").stdout.strip() == "No pending proposals."
    assert len(events(cli)) == 3


def test_accept_sets_fields_and_roles_first_and_creates_the_event(queue: Cli) -> None:
    cli = queue
    proposal = the_proposal(cli, "factory", "aesc")
    length = cli.records()
    result = cli("review", "accept", str(proposal["id"]), "--company", "aesc:operator",
                 "--company", "Envision:partner", "--field", "capacity_gwh=40 GWh",
                 "--field", "jobs=1600", "--field", "status=approved", "--reason", "checked the filing")
    assert result.exit_code == 0, result.stderr
    event_id = result.last_word
    assert result.stdout.startswith(f"Accepted {proposal['id']} as ev-")
    # The decision and the event, in one batch of records.
    assert kinds_after(cli, length) == ["event.reported", "proposal.accepted"]
    [event] = [e for e in events(cli) if e["id"] == event_id]
    assert [(c["id"], c["role"]) for c in event["companies"]] == [  # type: ignore[attr-defined]
        ("aesc", "operator"), ("envision", "partner")]
    assert event["capacity_gwh"] == 40 and event["jobs"] == 1600 and event["status"] == "approved"
    assert event["date"] == "2022-12-13"
    # The source still says what it said: 30 GWh, whatever the curator set.
    [source] = event["sources"]  # type: ignore[misc]
    assert source["figures"]["capacity_gwh"] == 30  # type: ignore[index]
    decided = pending(cli, "accepted")
    assert [(p["id"], p["event_id"], p["reason"]) for p in decided] == [
        (proposal["id"], event_id, "checked the filing")]
    assert len(pending(cli)) == 2

    # A decision is taken once.
    length = cli.records()
    again = cli("review", "accept", str(proposal["id"]))
    assert again.exit_code == 2 and "already accepted" in again.stderr
    assert cli.records() == length


def test_reject_is_a_record_and_the_item_is_never_proposed_again(
        cli: Cli, server: FeedServer, bodies: dict[str, bytes]) -> None:
    configure(cli, {"ticker": server.url("mutable/ticker")}, review={"auto_accept": 0.99})
    bodies["ticker"] = rss({"guid": "sess-1-nv", **ARTICLES["nv"]})
    poll(cli)
    [proposal] = pending(cli)
    length = cli.records()
    result = cli("review", "reject", str(proposal["id"]), "--reason", "not news: a rumour")
    assert result.exit_code == 0, result.stderr
    assert kinds_after(cli, length) == ["proposal.rejected"]
    assert pending(cli) == []
    [rejected] = pending(cli, "rejected")
    assert rejected["id"] == proposal["id"] and rejected["reason"] == "not news: a rumour"

    # The publisher hands the same article out again under a new guid, with a new one.
    length = cli.records()
    bodies["ticker"] = rss({"guid": "sess-2-nv", **ARTICLES["nv"]},
                           {"guid": "sess-2-aesc", **ARTICLES["aesc"]})
    summary = poll(cli)
    assert summary["new_items"] == 1 and summary["duplicates"] == 1
    [fresh] = pending(cli)
    assert fresh["event"]["type"] == "factory"  # type: ignore[index]
    assert kinds_after(cli, length) == ["feed.item_seen", "proposal.made"]
    assert len(pending(cli, "rejected")) == 1 and events(cli) == []

    rejecting_twice = cli("review", "reject", str(proposal["id"]))
    assert rejecting_twice.exit_code == 2 and "already rejected" in rejecting_twice.stderr


def test_a_curator_who_changes_their_mind_accepts_a_rejected_proposal(queue: Cli) -> None:
    cli = queue
    proposal = the_proposal(cli, "factory", "aesc")
    assert cli("review", "reject", str(proposal["id"]), "--reason", "looked like a rumour").exit_code == 0
    length = cli.records()
    accepted = cli("review", "accept", str(proposal["id"]), "--reason", "confirmed by the filing")
    assert accepted.exit_code == 0, accepted.stderr
    event_id = accepted.stdout.split()[-1]
    assert kinds_after(cli, length) == ["event.reported", "proposal.accepted"]
    [event] = events(cli)
    assert event["id"] == event_id
    [decided] = pending(cli, "accepted")
    assert decided["id"] == proposal["id"] and decided["reason"] == "confirmed by the filing"
    assert pending(cli, "rejected") == []
    # Both decisions stay in the log, in order.
    log = [kind for _, kind, _ in records(cli.db, stream_prefix=f"proposal-{proposal['id']}")]
    assert log == ["proposal.made", "proposal.rejected", "proposal.accepted"]

    # Accepting is final: the event is corrected or retracted from now on.
    length = cli.records()
    rejecting = cli("review", "reject", str(proposal["id"]))
    assert rejecting.exit_code == 2
    assert f"already accepted as {event_id}; correct or retract that event instead" in rejecting.stderr
    assert cli.records() == length


@pytest.mark.parametrize("args, words", [
    (["accept", "pr-0000000000"], "no proposal has the id 'pr-0000000000'"),
    (["reject", "pr-0000000000"], "no proposal has the id"),
    (["accept", "{factory}", "--company", "aesc:acquirer"], "'acquirer' is not a role of factory"),
    (["accept", "{factory}", "--company", "nobody:operator"], "nobody"),
    (["accept", "{factory}", "--field", "stake_pct=51"], "stake_pct"),
    (["accept", "{factory}", "--field", "capacity_gwh=-3"], "negative"),
    (["accept", "{factory}", "--type", "merger"], "merger"),
    (["accept", "{factory}", "--type", "investment", "--company", "aesc:investee"],
     "title: the draft's title 'Envision AESC factory (30 GWh)' was written for a factory"),
    (["accept", "{factory}", "--type", "partnership", "--company", "aesc:partner"],
     "a partnership needs 2 or more companies as partner (only aesc)"),
])
def test_bad_review_input_exits_2_names_the_problem_and_writes_nothing(
        queue: Cli, args: list[str], words: str) -> None:
    cli = queue
    factory = str(the_proposal(cli, "factory", "aesc")["id"])
    length = cli.records()
    result = cli("review", *[a.replace("{factory}", factory) for a in args])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert words in result.stderr
    assert cli.records() == length
    assert len(pending(cli)) == 3


def test_accepting_as_another_type_drops_the_fields_that_type_does_not_have(queue: Cli) -> None:
    cli = queue
    [bankruptcy] = [p for p in pending(cli) if p["event"]["type"] == "bankruptcy"]  # type: ignore[index]
    assert bankruptcy["event"]["fields"].get("procedure")  # type: ignore[index]
    result = cli("review", "accept", str(bankruptcy["id"]), "--type", "factory_closure",
                 "--company", "northvolt:operator", "--field", "jobs_cut=300",
                 "--field", "title=Northvolt closes Skellefteå lines")
    assert result.exit_code == 0, result.stderr
    [event] = [e for e in events(cli) if e["id"] == result.last_word]
    assert event["type"] == "factory_closure" and event["jobs_cut"] == 300
    assert event["title"] == "Northvolt closes Skellefteå lines"
    assert "procedure" not in event


def test_one_article_in_two_feeds_is_proposed_once_and_rejected_once(
        cli: Cli, server: FeedServer, bodies: dict[str, bytes]) -> None:
    bodies["one"] = rss({"guid": "nv-1", **ARTICLES["nv"]})
    configure(cli, {"main": server.url("mutable/one"), "batteries": server.url("mutable/one?c=b")},
              review={"auto_accept": 0.99})
    summary = poll(cli)
    assert (summary["proposed"], summary["duplicates"]) == (1, 1)
    [proposal] = pending(cli)
    assert cli("review", "reject", str(proposal["id"]), "--reason", "a rumour").exit_code == 0
    assert pending(cli) == []
