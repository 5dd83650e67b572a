"""Commands that bring news in: feeds, import, review, and the service (serve).

This module is part of the composition root: it is where `timeline` meets `feeds`.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from tqdm import tqdm

from timeline.cli import Context, cli, pass_context
from timeline.clustering import cluster_key
from timeline.cli.output import POSITIVE, counted, dumps, format_option, record_id
from timeline.commands import parse_company_option, parse_field_option
from timeline.config import parse_interval
from timeline.errors import DocumentError, InputError
from timeline.intake import IntakeSummary

if TYPE_CHECKING:
    from feeds.pipeline import PollSummary

PROGRESS_MIN = 5
POLL_TICK_SECONDS = 60


def _bar(total: int, desc: str) -> tqdm:
    """A progress bar on stderr, only for a terminal and only for more than a few items."""
    return tqdm(total=total, desc=desc, unit="item", file=sys.stderr,
                disable=total < PROGRESS_MIN or not sys.stderr.isatty())


@cli.group()
def feeds() -> None:
    """Poll the feeds of config.toml and see their health.

    \b
    Examples:
      timeline feeds poll
      timeline feeds status
    """


@feeds.command("poll")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@format_option()
@pass_context
def poll(ctx: Context, names: tuple[str, ...], fmt: str) -> None:
    """Fetch feeds now (all, or the NAMEs given) and turn their news into proposals.

    A feed that fails is reported and retried later with backoff; the others go on,
    and the exit status is 1 so that cron and scripts see it (the news of the others is
    kept). Skipped unless named: a feed stopped after "410 Gone" (naming it restarts it),
    and one whose server answered 429 or sent Retry-After, until the time it asked for.

    \b
    Examples:
      timeline feeds poll
      timeline feeds poll sample-zh --format json
    """
    from feeds.pipeline import FeedPipeline

    pipeline = FeedPipeline(ctx.app)
    selected = pipeline.feeds(list(names))
    with _bar(len(selected), "poll") as bar:
        summary = pipeline.poll(list(names), progress=bar.update)
    if fmt == "json":
        click.echo(dumps(summary.to_json()))
    else:
        _print_poll(summary)
    if summary.failed:
        click.echo(f"error: {summary.failed} of {counted(len(summary.feeds), 'feed')} failed "
                   "(see above; `timeline feeds status` says when each is tried again); "
                   "the news of the others was kept", err=True)
        raise click.exceptions.Exit(1)


def _print_poll(summary: PollSummary) -> None:
    for outcome in summary.feeds:
        line = f"{outcome.feed:<20} {outcome.status:<13}"
        if outcome.error:
            line += f" {outcome.error}"
        else:
            s = outcome.summary
            line += (f" {counted(s.items, 'item')}, {s.new_items} new, {s.proposed} proposed, "
                     f"{s.accepted} accepted, {counted(s.sources_added, 'source')} added, "
                     f"{counted(s.duplicates, 'duplicate')}")
        click.echo(line)
        for warning in outcome.warnings + outcome.summary.errors:
            click.echo(f"{'':<20} warning: {warning}")
    click.echo(f"{summary.fetched} fetched, {summary.not_modified} not modified, "
               f"{summary.failed} failed" + (f", {summary.skipped} skipped" if summary.skipped else "")
               + f"; {counted(summary.items, 'item')}, {summary.proposed} proposed, "
               f"{summary.accepted} accepted, {counted(summary.duplicates, 'duplicate')}.")


@feeds.command("status")
@format_option()
@pass_context
def status(ctx: Context, fmt: str) -> None:
    """Each feed's health: last success, failures in a row, next poll, last error.

    \b
    Example:
      timeline feeds status
    """
    from feeds.health import SQLiteFeedHealth

    health = SQLiteFeedHealth(ctx.app.db.conn)
    states = {s.name: s for s in health.status()}
    rows: list[dict[str, Any]] = []
    for feed in ctx.app.settings.feeds:
        state = states.get(feed.name)
        rows.append({"name": feed.name, "url": feed.url, "interval": feed.interval,
                     **({**asdict(state), "state": state.state} if state else {"never_polled": True})})
    if fmt == "json":
        click.echo(dumps(rows))
        return
    if not rows:
        click.echo("No feeds configured. Add [[feeds]] to config.toml.")
    for row in rows:
        if row.get("never_polled"):
            click.echo(f"{row['name']:<20} never polled  {row['url']}")
            continue
        health_word = row["state"].upper() if row["state"] == "stopped" else row["state"]
        click.echo(f"{row['name']:<20} {health_word:<8} last success {row.get('last_success_at') or '-'}, "
                   f"{row.get('consecutive_failures', 0)} failures, next poll {row.get('next_poll_at') or '-'}"
                   + (f", last error: {row['last_error']}" if row.get("last_error") else ""))


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option()
@pass_context
def import_files(ctx: Context, files: tuple[Path, ...], fmt: str) -> None:
    """Import documents: .md .html .txt articles, Markdown company notes, .json/.csv events.

    Each file is imported whole or not at all; importing a file again appends nothing.
    A bad file is reported (exit 2) and the other files are still imported.

    \b
    Examples:
      timeline import notes/company-note-aesc.md articles/*.md
      timeline import events.csv --format json
    """
    from feeds.importer import Importer
    from feeds.pipeline import make_extractor

    app = ctx.app
    importer = Importer(app, lambda pending: make_extractor(app, pending))
    total = IntakeSummary()
    failures: list[str] = []
    per_file: list[dict[str, Any]] = []
    with _bar(len(files), "import") as bar:
        for path in files:
            try:
                result = importer.import_file(path)
            except (DocumentError, InputError) as exc:
                failures.append(exc.message)
                per_file.append({"file": str(path), "status": "failed", "error": exc.message})
            else:
                total.add(result)
                per_file.append({"file": str(path), "status": "imported" if result.new_items else "unchanged",
                                 "items": result.items, "new_items": result.new_items,
                                 "proposed": result.proposed, "accepted": result.accepted,
                                 "sources_added": result.sources_added,
                                 "duplicates": result.duplicates, "errors": result.errors})
            bar.update(1)
    if fmt == "json":
        # The same summary as `feeds poll`: a file read is "fetched", one that brought
        # nothing new is "not modified".
        click.echo(dumps({
            "fetched": sum(1 for e in per_file if e["status"] == "imported"),
            "not_modified": sum(1 for e in per_file if e["status"] == "unchanged"),
            "failed": len(failures), "items": total.items, "new_items": total.new_items,
            "proposed": total.proposed, "accepted": total.accepted,
            "sources_added": total.sources_added, "duplicates": total.duplicates,
            "files": per_file,
        }))
    else:
        for entry in per_file:
            if "error" in entry:
                continue
            click.echo(f"{entry['file']}: {counted(entry['items'], 'item')}, "
                       f"{entry['proposed']} proposed, {entry['accepted']} accepted, "
                       f"{counted(entry['sources_added'], 'source')} added, "
                       f"{counted(entry['duplicates'], 'duplicate')}")
            for warning in entry["errors"]:
                click.echo(f"  warning: {warning}")
    for failure in failures:
        click.echo(f"error: {failure}", err=True)
    if failures:
        raise click.exceptions.Exit(2)


@cli.group(invoke_without_command=True)
@click.pass_context
def review(click_ctx: click.Context) -> None:
    """The review queue: proposals below [review] auto_accept (default: list).

    \b
    Examples:
      timeline review
      timeline review accept pr-0a1b2c3d4e --field stake_pct=51
    """
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(review_list)


@review.command("list")
@click.option("--status", type=click.Choice(["pending", "accepted", "rejected"]), default="pending",
              show_default=True, help="Which proposals to list.")
@click.option("--limit", default=100, show_default=True, type=POSITIVE, metavar="N",
              help="At most this many.")
@format_option()
@pass_context
def review_list(ctx: Context, status: str = "pending", limit: int = 100, fmt: str = "text") -> None:
    """List proposals, most confident first.

    \b
    Example:
      timeline review list --format json
    """
    proposals = ctx.app.review.listing(status, limit)
    if fmt == "json":
        click.echo(dumps(proposals))
        return
    if not proposals:
        click.echo(f"No {status} proposals.")
    registry = ctx.app.queries.registry()
    reports = Counter(cluster_key(p["event"]) for p in proposals)
    for p in proposals:
        event = p["event"]
        names = ", ".join(f"{registry.name(c['company'])} ({c['role']})" for c in event["companies"])
        hints = ", ".join(s["alias"] + "?" for s in p.get("suggestions", []))
        more = reports[cluster_key(p["event"])] - 1
        click.echo(f"{p['id']}  {p['confidence']:.2f}  {event['date']:<10} {event['type']:<15} "
                   f"{event['title']}{_similar(more)}\n"
                   f"{'':<14}{names}{'  suggestions: ' + hints if hints else ''}\n"
                   f"{'':<14}“{(p['source'].get('quote') or '')[:160]}” {p['source'].get('url') or ''}")


def _similar(more: int) -> str:
    if not more:
        return ""
    return f"  (+{more} similar report{'s' if more > 1 else ''})"


@review.command("accept")
@click.argument("proposal_id", metavar="ID", callback=record_id)
@click.option("--type", "type_", metavar="TYPE",
              help="Accept as this type instead: fields the type does not have are dropped, "
                   "and the draft's title, written for its type, must be replaced with "
                   "--field title=...")
@click.option("--company", "companies", multiple=True, metavar="ID[:ROLE]",
              help="Replace the companies and roles first (repeatable).")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE", help="Set a field first (repeatable).")
@click.option("--reason", help="A note kept with the decision.")
@pass_context
def review_accept(ctx: Context, proposal_id: str, type_: str | None, companies: tuple[str, ...],
                  fields: tuple[str, ...], reason: str | None) -> None:
    """Accept a proposal, optionally fixing its type, companies, roles or fields first.

    A proposal rejected earlier can still be accepted; both decisions stay in the log.

    \b
    Example:
      timeline review accept pr-0a1b2c3d4e --company envision:acquirer --field stake_pct=80
    """
    event_id = ctx.app.timeline.accept_proposal(
        proposal_id, [parse_field_option(f) for f in fields],
        [parse_company_option(c) for c in companies], type_, reason)
    click.echo(f"Accepted {proposal_id} as {event_id}")


@review.command("reject")
@click.argument("proposal_id", metavar="ID", callback=record_id)
@click.option("--reason", help="Why, kept with the decision.")
@pass_context
def review_reject(ctx: Context, proposal_id: str, reason: str | None) -> None:
    """Reject a proposal; the same item is never proposed again.

    Changed your mind? `timeline review accept ID` still takes it.

    \b
    Example:
      timeline review reject pr-0a1b2c3d4e --reason "Not about batteries"
    """
    ctx.app.timeline.reject_proposal(proposal_id, reason)
    click.echo(f"Rejected {proposal_id}")


def poll_tick(intervals: list[int]) -> int:
    """Seconds between two looks for due feeds: a third of the shortest interval, at most
    a minute, at least a second."""
    return max(1, min([POLL_TICK_SECONDS, *(interval // 3 for interval in intervals)]))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for the web UI (later).")
@click.option("--port", default=8080, show_default=True, help="Port for the web UI (later).")
@click.option("--once", is_flag=True, help="Run every job once and exit (for checks and cron).")
@pass_context
def serve(ctx: Context, host: str, port: int, once: bool) -> None:
    """Run the service: poll each feed at its interval and keep projections caught up.

    Stop it with Ctrl-C; it finishes the job in hand first.

    \b
    Example:
      timeline serve
    """
    from feeds.pipeline import FeedPipeline
    from timeline.bootstrap import open_app
    from timeline.service import Job, Service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "httpx"):  # a line per job added and per request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    app = ctx.app

    def poll_due() -> str:
        # One connection per job thread: sqlite3 connections are not shared across threads.
        worker = open_app(ctx.config, ctx.db, actor="poller")
        try:
            summary = FeedPipeline(worker).poll(due_only=True, due_within=tick / 2)
        finally:
            worker.close()
        return (f"{summary.fetched} fetched, {summary.not_modified} not modified, "
                f"{summary.failed} failed, {summary.proposed} proposed, {summary.accepted} accepted")

    # One job looks for the feeds that are due, every minute or three times in the
    # shortest feed interval if that is shorter: each feed's own interval and its backoff
    # after failures both live in its health row (next_poll_at). A feed due before the
    # next look is polled now: a feed's next poll is counted from the end of its last
    # one, and waiting for the look after would stretch a 30 s interval to 40 s.
    tick = poll_tick([parse_interval(f.interval) for f in app.settings.feeds])
    jobs = [Job("feeds", tick, poll_due)] if app.settings.feeds else []
    if once:
        for job in jobs:
            click.echo(f"{job.name}: {job.run()}")
        return
    click.echo(f"timeline serving {len(app.settings.feeds)} feeds from {app.db.path}; Ctrl-C stops.")
    Service(jobs).run_forever()
