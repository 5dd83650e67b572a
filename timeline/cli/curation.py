"""Commands that write: init, add, correct, retract, companies."""

from __future__ import annotations

import click

from timeline.bootstrap import bootstrap
from timeline.cli import Context, cli, pass_context
from timeline.cli.output import dumps, format_option, record_id
from timeline.commands import (
    EventInput,
    parse_company_option,
    parse_field_option,
    parse_source_option,
)
from timeline.companies import COMPANY_STREAM_PREFIX, CompanySpec
from timeline.errors import InvalidField, validation_message
from timeline.events import EVENT_TYPES

_TYPES_HELP = ", ".join(EVENT_TYPES)


@cli.command()
@pass_context
def init(ctx: Context) -> None:
    """Create or upgrade the database and register config.toml's companies.

    Safe to run again: a second run appends nothing.

    \b
    Example:
      timeline --config config.toml init
    """
    # Its own app rather than `ctx.app`: opening that one initialises a new database
    # already, and this command would then report "0 records appended" on a first run.
    app = bootstrap(ctx.config, ctx.db)
    try:
        appended = app.init()
        click.echo(f"Database {app.db.path} ready: {app.store.head()} records, "
                   f"{len(app.queries.companies())} companies ({appended} appended).")
        for note in app.timeline.differences_from(app.settings.companies):
            click.echo(f"note: {note}", err=True)
    finally:
        app.close()


@cli.command()
@click.argument("type_", metavar="TYPE")
@click.option("--company", "companies", multiple=True, metavar="ID[:ROLE]",
              help="A company by id or alias, with its role (repeatable).")
@click.option("--date", "date_", required=True, metavar="YYYY[-MM[-DD]]",
              help="When it happened, to the precision known; as people write it too "
                   "(2015年底, late 2015, Sept 2011, 2024+), the qualifier kept as a note.")
@click.option("--title", required=True, help="One line saying what happened.")
@click.option("--source", "sources", multiple=True, metavar="URL", help="Where it was read (repeatable).")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="Any other field: summary, status, country, region, city, tags, amount, "
                   "capacity_gwh, or the type's own (e.g. stake_pct=51, price='3.5亿英镑').")
@pass_context
def add(ctx: Context, type_: str, companies: tuple[str, ...], date_: str, title: str,
        sources: tuple[str, ...], fields: tuple[str, ...]) -> None:
    """Add an event; prints its new id last.

    TYPE is one of: {types}.

    \b
    Example:
      timeline add acquisition --company envision:acquirer --company aesc:target \\
          --company nissan:seller --date 2018-08 --title "Envision buys AESC from Nissan" \\
          --field stake_pct=80 --source https://example.org/aesc
    """
    draft = EventInput(
        type=type_, companies=[parse_company_option(c) for c in companies], date=date_,
        title=title, fields=[parse_field_option(f) for f in fields],
        sources=[parse_source_option(url) for url in sources],
    )
    event_id = ctx.app.timeline.add_event(draft)
    click.echo(f"Added {type_} {event_id}")


add.help = (add.help or "").replace("{types}", _TYPES_HELP)


@cli.command()
@click.argument("event_id", callback=record_id)
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE", help="A corrected field (repeatable).")
@click.option("--company", "companies", multiple=True, metavar="ID[:ROLE]",
              help="Replace the companies with these (repeatable).")
@click.option("--reason", required=True, help="Why: kept in the log beside the correction.")
@pass_context
def correct(ctx: Context, event_id: str, fields: tuple[str, ...], companies: tuple[str, ...],
            reason: str) -> None:
    """Correct an event. The original stays in the log; replays known-at an earlier
    moment still show it.

    \b
    Example:
      timeline correct ev-1a2b3c4d5e --field stake_pct=100 --reason "Filing says 100%"
    """
    ctx.app.timeline.correct_event(
        event_id, [parse_field_option(f) for f in fields],
        [parse_company_option(c) for c in companies], reason,
    )
    click.echo(f"Corrected {event_id}")


@cli.command()
@click.argument("event_id", callback=record_id)
@click.option("--reason", required=True, help="Why the event is withdrawn.")
@pass_context
def retract(ctx: Context, event_id: str, reason: str) -> None:
    """Retract an event: it leaves timelines, but stays in the log.

    \b
    Example:
      timeline retract ev-1a2b3c4d5e --reason "Duplicate of ev-0f9e8d7c6b"
    """
    ctx.app.timeline.retract_event(event_id, reason)
    click.echo(f"Retracted {event_id}")


@cli.group(invoke_without_command=True)
@click.pass_context
def companies(click_ctx: click.Context) -> None:
    """Register, alias, rename, merge and list companies (default: list).

    \b
    Examples:
      timeline companies
      timeline companies add catl --name CATL --alias 宁德时代 --country CN
      timeline companies merge aesc-uk aesc --reason "Duplicate registration"
    """
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(list_companies)


@companies.command("list")
@format_option()
@click.option("--all", "include_merged", is_flag=True, help="Include companies merged into others.")
@pass_context
def list_companies(ctx: Context, fmt: str = "text", include_merged: bool = False) -> None:
    """List companies with their aliases.

    \b
    Example:
      timeline companies list --format json
    """
    found = ctx.app.queries.companies(include_merged=include_merged)
    if fmt == "json":
        click.echo(dumps(found))
        return
    if not found:
        click.echo("No companies. Add one with `timeline companies add ID --name NAME`.")
    for company in found:
        merged = f" -> merged into {company['merged_into']}" if company["merged_into"] else ""
        aliases = ", ".join(company["aliases"])
        click.echo(f"{company['id']:<16} {company['name']} [{company['country'] or '--'}]"
                   f"{merged}{'  aka ' + aliases if aliases else ''}")


@companies.command("add")
@click.argument("company_id", metavar="ID")
@click.option("--name", required=True, help="Display name.")
@click.option("--alias", "aliases", multiple=True, help="Another name, in any language (repeatable).")
@click.option("--country", help="ISO 3166 two-letter code, e.g. CN.")
@pass_context
def add_company(ctx: Context, company_id: str, name: str, aliases: tuple[str, ...],
                country: str | None) -> None:
    """Register a company.

    \b
    Example:
      timeline companies add catl --name CATL --alias 宁德时代 --alias "Contemporary Amperex" --country CN
    """
    from pydantic import ValidationError

    try:
        spec = CompanySpec(id=company_id, name=name, aliases=list(aliases),
                           country=country)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidField(".".join(str(p) for p in first["loc"]), validation_message(first)) from None
    result = ctx.app.timeline.register_company(spec)
    if result.written:
        click.echo(f"Registered {company_id}")
    else:
        click.echo(f"{company_id} was already registered; nothing changed. "
                   f"Add names with `timeline companies alias {company_id} NAME`.")


@companies.command("alias")
@click.argument("company")
@click.argument("alias")
@pass_context
def alias_company(ctx: Context, company: str, alias: str) -> None:
    """Give COMPANY another name ALIAS.

    \b
    Example:
      timeline companies alias aesc 远景AESC
    """
    result = ctx.app.timeline.add_alias(company, alias)
    click.echo(f"Added alias {alias!r}" if result.written
               else f"{alias!r} already names {company}; nothing changed")


@companies.command("rename")
@click.argument("company")
@click.argument("name")
@pass_context
def rename_company(ctx: Context, company: str, name: str) -> None:
    """Rename COMPANY; its former name remains an alias.

    \b
    Example:
      timeline companies rename aesc "AESC Group"
    """
    ctx.app.timeline.rename_company(company, name)
    click.echo(f"Renamed {company} to {name!r}")


@companies.command("merge")
@click.argument("absorbed")
@click.argument("into")
@click.option("--reason", required=True, help="Why, kept in the log: a merge is never undone.")
@pass_context
def merge_company(ctx: Context, absorbed: str, into: str, reason: str) -> None:
    """Merge ABSORBED into INTO: INTO's timeline then shows both histories.

    A merge is never undone, so ABSORBED must not have been merged already; if INTO
    was, ABSORBED joins the company INTO was merged into.

    \b
    Example:
      timeline companies merge aesc-uk aesc --reason "Duplicate registration"
    """
    result = ctx.app.timeline.merge_companies(absorbed, into, reason)
    merge = result.written[0]
    survivor = merge.data["into"]
    named = ctx.app.queries.find_company(into)
    click.echo(f"Merged {merge.stream.removeprefix(COMPANY_STREAM_PREFIX)} into {survivor}"
               + (f" ({named} was merged into {survivor} before)" if named != survivor else ""))
