"""Commands that read: show, events, search, log, verify, rebuild."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from tqdm import tqdm

from timeline import companies as co
from timeline import events as ev
from timeline import proposals as pr
from timeline.bootstrap import App
from timeline.cli import Context, cli, pass_context
from timeline.cli.output import (EVENT_FORMATS, POSITIVE, emit_events, format_option, given,
                                  head_hash)
from timeline.dates import as_of_bound, format_timestamp, parse_date, parse_datetime
from timeline.errors import ChainBroken, InvalidField, StorageError
from timeline.events import event_type
from timeline.replay import Query

_REPLAY_HELP = """
\b
--as-of D      the world as it stood on D: events dated on or before D, with
               today's knowledge (month/year dates straddling D are 'uncertain').
--known-at T   what this log knew at T: records up to T only; later corrections
               and retractions are not applied.
"""


def _with_replay_help(command: click.Command) -> None:
    """Put the explanation of the two replay options where the help says `{replay}`,
    indented as the docstring around it is (click dedents the whole text at once)."""
    block = "\n" + textwrap.indent(_REPLAY_HELP.strip("\n"), "    ") + "\n"  # paragraphs
    command.help = (command.help or "").replace("    {replay}", block)


def replay_options(function: Any) -> Any:
    function = click.option("--include-retracted", is_flag=True, help="Show retracted events too.")(function)
    function = click.option("--known-at", metavar="DATETIME", callback=given,
                            help="Only what the log knew at this ISO 8601 moment (UTC if no offset; "
                                 "a bare date means its end).")(function)
    function = click.option("--as-of", metavar="DATE", callback=given, help="Only events dated on or before YYYY[-MM[-DD]] (a year or month "
                                 "means its end).")(function)
    return function


@contextmanager
def _reading(app: App) -> Iterator[App]:
    """The app with its projections caught up with the log, and every query of the
    command reading one snapshot of the file: none sees what another did not, and none
    sees a rebuild's tables half filled (catching up waits for a rebuild that another
    process runs, and finishes one that was interrupted). Cheap, and lock-free, when
    nothing is behind."""
    while True:
        app.runner.catch_up()
        with app.db.snapshot():
            if not app.runner.behind():
                yield app
                return


def _until(app: App, known_at: str | None) -> int:
    """The last position of the log known at `--known-at` (the head without one)."""
    return app.replayer.bound(format_timestamp(parse_datetime(known_at)) if known_at else None)


def _survivor(app: App, company_id: str, known_at: str | None) -> str:
    """The company whose timeline `show` prints for `company_id`: itself, or the one it
    had been merged into by `known_at` (today when not given)."""
    if known_at is None:
        return app.queries.survivor(company_id)
    return app.replayer.merge_group(company_id, _until(app, known_at))[0]


def _events(app: App, query: Query, as_of: str | None, known_at: str | None,
            company: str | None) -> Iterable[dict[str, Any]]:
    if as_of:
        query.as_of = as_of_bound(as_of)
    if known_at is None:  # today's knowledge: the projections are the replay of the log
        if company:
            return app.queries.timeline(company, query)
        return app.queries.events(query)
    until = _until(app, known_at)
    if company:
        return app.replayer.company(company, query, until)
    return app.replayer.all_events(query, until)


@cli.command()
@click.argument("company")
@replay_options
@format_option(EVENT_FORMATS)
@pass_context
def show(ctx: Context, company: str, as_of: str | None, known_at: str | None,
         include_retracted: bool, fmt: str) -> None:
    """A company's timeline, oldest first: today, as of a date, or as known at a moment.

    COMPANY is an id or any alias (远景动力, ＡＥＳＣ, aesc ...).
    {replay}
    \b
    Examples:
      timeline show aesc
      timeline show 远景动力 --as-of 2018-12 --format json
      timeline show aesc --known-at 2026-11-01T09:00:00+01:00
    """
    with _reading(ctx.app) as app:
        company_id = app.queries.find_company(company)
        if company_id is None:
            app.queries.resolve_company(company)  # raises UnknownCompany
        assert company_id is not None
        query = Query(include_retracted=include_retracted)
        survivor = _survivor(app, company_id, known_at)
        if survivor != company_id:
            click.echo(f"note: {company_id} was merged into {survivor}; this is {survivor}'s "
                       f"timeline, with {company_id}'s history in it", err=True)
        emit_events(_events(app, query, as_of, known_at, company_id), fmt,
                    empty=f"No events for {company}.")


_with_replay_help(show)


@cli.command("events")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only this type (repeatable).")
@click.option("--company", metavar="ID", callback=given,
              help="Only events naming this company (id or alias).")
@click.option("--from", "date_from", metavar="DATE", callback=given,
              help="Only events dated on or after this date.")
@click.option("--to", "date_to", metavar="DATE", callback=given,
              help="Only events dated on or before this date.")
@replay_options
@format_option(EVENT_FORMATS)
@pass_context
def list_events(ctx: Context, types: tuple[str, ...], company: str | None, date_from: str | None,
                date_to: str | None, as_of: str | None, known_at: str | None,
                include_retracted: bool, fmt: str) -> None:
    """Events of every company, filtered, oldest first.
    {replay}
    \b
    Examples:
      timeline events --type bankruptcy --from 2020
      timeline events --company catl --format csv > catl.csv
    """
    for name in types:
        event_type(name)
    query = Query(
        types=types,
        date_from=parse_date(date_from, "from").start if date_from else None,
        date_to=parse_date(date_to, "to").end if date_to else None,
        include_retracted=include_retracted,
    )
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise InvalidField("to", f"{date_to} ends before --from {date_from} begins")
    with _reading(ctx.app) as app:
        company_id = None
        if company:
            company_id = app.queries.find_company(company)
            if company_id is None:
                app.queries.resolve_company(company)
        emit_events(_events(app, query, as_of, known_at, company_id), fmt)


_with_replay_help(list_events)


@cli.command()
@click.argument("query")
@click.option("--limit", default=50, show_default=True, type=POSITIVE, metavar="N",
              help="At most this many results.")
@format_option(EVENT_FORMATS)
@pass_context
def search(ctx: Context, query: str, limit: int, fmt: str) -> None:
    """Full-text search of titles, summaries and quotes, in Chinese and English.

    An event matches when it has every word of QUERY (English words match their other
    forms: gigafactory finds gigafactories). Chinese needs no spaces. OR, NOT, quotes and
    other punctuation are ordinary text, not operators.

    \b
    Examples:
      timeline search 远景
      timeline search gigafactory --format json
    """
    with _reading(ctx.app) as app:
        # One more, to know whether there are more (SQLite's largest integer has none).
        found = app.queries.search(query, limit=min(limit, POSITIVE.largest - 1) + 1)
    emit_events(found[:limit], fmt, empty=f"Nothing matches {query!r}.")
    if len(found) > limit:
        click.echo(f"note: the best {limit} shown; more events match (--limit N shows more)",
                   err=True)


# Every kind of record this version of timeline writes.
RECORD_KINDS = (co.REGISTERED, co.ALIASED, co.RENAMED, co.MERGED, ev.REPORTED, ev.CORRECTED,
                ev.SOURCE_ADDED, ev.RETRACTED, pr.MADE, pr.ACCEPTED, pr.REJECTED, pr.ITEM_SEEN)


def _stream_of(name: str) -> str:
    """A stream as `log` prints it, or an event's or a proposal's id as everything else
    prints it (ev-0a1b2c3d4e is the stream event-ev-0a1b2c3d4e)."""
    if name.startswith("ev-"):
        return ev.stream_of(name)
    if name.startswith("pr-"):
        return pr.stream_of(name)
    return name


@cli.command("log")
@click.option("--from", "start", default=1, show_default=True, metavar="POSITION",
              type=POSITIVE, help="First position to print.")
@click.option("--limit", type=POSITIVE, metavar="N", help="At most this many records.")
@click.option("--stream", "streams", multiple=True, metavar="STREAM",
              help="Only the records of this stream, e.g. event-ev-0a1b2c3d4e or an event's or a "
                   "proposal's id, ev-0a1b2c3d4e (repeatable).")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Only records of this kind, e.g. event.corrected (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text",
              show_default=True, help="Output format.")
@pass_context
def show_log(ctx: Context, start: int, limit: int | None, streams: tuple[str, ...],
             kinds: tuple[str, ...], fmt: str) -> None:
    """The raw records of the log, oldest first, streamed.

    \b
    Examples:
      timeline log --from 1 --format jsonl | head
      timeline log --stream event-ev-0a1b2c3d4e     # one event's whole history
      timeline log --kind company.merged
    """
    if unknown := sorted(set(kinds) - set(RECORD_KINDS)):
        raise InvalidField("kind", f"{unknown[0]!r} is no kind of record; the kinds are "
                                   f"{', '.join(RECORD_KINDS)}")
    store = ctx.app.store
    streams = tuple(_stream_of(name) for name in streams)
    records = (store.read_streams(streams) if streams
               else store.read(after=start - 1, kinds=kinds or None))
    printed = 0
    for record in records:
        if record.position < start or (kinds and record.kind not in kinds):
            continue
        if limit is not None and printed >= limit:
            break
        if fmt == "jsonl":
            sys.stdout.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(f"{record.position:>7}  {record.recorded_at}  {record.kind:<20} "
                             f"{record.stream}@{record.version}\n")
        printed += 1


@cli.command()
@click.option("--head", "kept", metavar="HASH", callback=head_hash,
              help="A head hash printed by an earlier verify (all 64 digits): the chain must "
                   "still pass through it.")
@pass_context
def verify(ctx: Context, kept: str | None) -> None:
    """Walk the hash chain; exit 1 naming the first record that does not follow.

    The chain proves each record against the one before it, so a rewrite would have to
    re-hash everything after it; a head hash kept outside the database shows that too.
    verify prints the head; `--head HASH` checks that the chain still passes through one.

    \b
    Example:
      timeline verify
      timeline verify --head 2ee42c5efa00e48fa4183a21ff188d8f9a6f8a29cf3c113043b6c86998937143
    """
    ctx.catch_up = False  # the log alone: a record the projections cannot read is its finding
    if (damage := ctx.app.db.damage()) is not None:
        raise StorageError(f"the database file is damaged ({damage}); restore it from a backup")
    checked, bad, why = ctx.app.store.verify()
    if bad is not None:
        # An error, not click's Exit: `main` runs click with standalone_mode=False, where
        # an Exit becomes a return value and the process would exit 0 on a broken chain.
        raise ChainBroken(bad, f"{why} ({checked} records before it are intact)")
    if missing := ctx.app.store.missing_guards():
        raise StorageError(f"the triggers that keep the log append-only are gone or changed "
                           f"({', '.join(missing)}): something outside timeline altered the "
                           "database, and nothing stopped it from rewriting records; compare "
                           "with a head kept elsewhere (--head)")
    if (seen := ctx.app.runner.furthest()) > checked:
        raise StorageError(f"the log ends at position {checked}, but the projections had read up "
                           f"to {seen}: records were removed from its end")
    if kept is not None and ctx.app.store.position_of_hash(kept) is None:
        raise StorageError(f"the chain no longer passes through the head {kept}: records up "
                           "to it were rewritten and re-hashed, or it is another log's head")
    click.echo(f"OK: {checked} records, hash chain intact.")
    if checked:  # the stored hash as it is: the record itself need not be readable
        click.echo(f"Head: position {checked}, hash {ctx.app.store.hash_at(checked)}")


@cli.command()
@pass_context
def rebuild(ctx: Context) -> None:
    """Drop every projection and replay it from the log.

    \b
    Example:
      timeline rebuild
    """
    ctx.catch_up = False  # everything is replayed anyway, whatever the projections hold
    app = ctx.app
    total = app.store.head()
    with tqdm(total=total, unit="rec", disable=not sys.stderr.isatty(), desc="rebuild") as bar:
        applied = app.runner.rebuild(progress=bar.update)
    click.echo(f"Rebuilt projections from {applied} records.")
