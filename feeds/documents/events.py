"""One event of a JSON or CSV file, validated as strictly as `timeline add`.

Both formats give a row as a mapping of names to values: CSV gives text (an empty cell
means "not given"), JSON gives text, numbers, lists and objects. Both accept the JSON
shape `timeline events --format json` prints, so an export can be edited and imported
back: `companies` as `[{"id", "name", "role"}]`, the type's own fields flattened at the top,
`location`, `sources`, and the keys an export derives from the log (`precision`,
`recorded_at`, `corrections`, ...), which are checked or ignored, never stored.

Validation uses the vocabulary of `timeline.events` (types, roles, statuses, typed fields),
`timeline.dates.parse_date` and `timeline.quantities`. Company ids are kept as written:
only the importer, which holds the registry, can resolve them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from feeds.documents.models import CompanyRole, EventRow, EventSource
from feeds.documents.source import iso_utc
from timeline import events as ev
from timeline.commands import clean_text
from timeline.companies import country_code
from timeline.dates import PartialDate, parse_date, parse_datetime
from timeline.errors import InvalidField, validation_message
from timeline.loose_dates import parse_loose_date
from timeline.quantities import Amount, parse_capacity, parse_money
from timeline.texts import list_items

# Keys of the common fields; typed fields of the row's type come on top.
COMMON_KEYS = frozenset({
    "id", "type", "date", "date_note", "precision", "status", "title", "summary",
    "companies", "amounts", "amount", "capacity_gwh", "location", "country", "region", "city",
    "sources", "source_url", "source_published", "quote", "publisher", "tags", "retracted",
    "retraction_reason", "fields",
})
# What an export derives from the log: accepted so that an export imports back, not stored.
DERIVED_KEYS = frozenset({
    "uncertain", "recorded_at", "updated_at", "reported_at", "corrections", "version",
})
TYPED_KEYS = frozenset(name for t in ev.EVENT_TYPES.values() for name in t.fields.model_fields)
_TRUE = {"true", "yes", "y", "1", "retracted"}
_FALSE = {"false", "no", "n", "0", ""}


def build_event(raw: dict[str, Any], line: int, index: int) -> EventRow:
    """Validate one row; raise `InvalidField`/`UnknownType` naming the field at fault."""
    values = _own_fields_spread({k: v for k, v in raw.items() if not _absent(v)})
    etype = ev.event_type(_required_text(values, "type").lower())
    date = _date(values)
    amounts, fields = _amounts_and_fields(etype, values)
    return EventRow(
        line=line,
        index=index,
        id=_id(values.get("id")),
        type=etype.name,
        date=date,
        status=_status(values.get("status")),
        title=clean_text("title", _required_text(values, "title")),
        summary=_summary(values),
        companies=_companies(etype, values.get("companies")),
        amounts=amounts,
        capacity_gwh=_capacity(values.get("capacity_gwh")),
        location=_location(values),
        fields=fields,
        sources=_sources(values),
        tags=_strings(values.get("tags"), "tags"),
        retracted=_flag(values.get("retracted"), "retracted"),
        retraction_reason=_text(values, "retraction_reason"),
    )


def _own_fields_spread(values: dict[str, Any]) -> dict[str, Any]:
    """`fields` (as `events --format csv` writes them, `stake_pct=80;price=320000000 GBP`,
    or an object) spread among the row's keys, as a JSON export gives them."""
    own = values.pop("fields", None)
    if own is None:
        return values
    if isinstance(own, str):
        pairs = [item.partition("=") for item in list_items(own)]
        if bad := next((name for name, sep, _ in pairs if not sep or not name.strip()), None):
            raise InvalidField("fields", f"{bad!r} is not NAME=VALUE; write stake_pct=80;price=320000000 GBP")
        own = {name.strip(): value.strip() for name, _, value in pairs}
    if not isinstance(own, dict):
        raise InvalidField("fields", f"must be NAME=VALUE pairs or an object, not {_kind(own)}")
    if twice := sorted(set(own) & set(values)):
        raise InvalidField(twice[0], "is given in its own column and in fields; give it once")
    return {**values, **own}


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


# -- scalars --------------------------------------------------------------------------

def _text(values: dict[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidField(key, f"must be text, not {_kind(value)}")
    return str(value).strip()


def _summary(values: dict[str, Any]) -> str | None:
    """A summary, its paragraphs kept and within its limit, as `add` takes it."""
    text = _text(values, "summary")
    return clean_text("summary", text) if text else None


def _required_text(values: dict[str, Any], key: str) -> str:
    text = _text(values, key)
    if not text:
        raise InvalidField(key, "is missing; every event needs one")
    return text


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), repr(value))


# An event id as the commands take it: `correct ID` lower-cases what it is given.
_EVENT_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def _id(value: Any) -> str | None:
    if value is None:
        return None
    text = _text({"id": value}, "id")
    if text and re.search(r"\s", text):
        raise InvalidField("id", f"{text!r} contains spaces; an event id is one word")
    if text and not _EVENT_ID.fullmatch(text.lower()):
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise InvalidField("id", f"{shown!r} is not an event id: letters, digits, '-', '_' and "
                                 "'.', starting with a letter or digit, at most 64 (e.g. ev-0a1b2c3d4e)")
    return text.lower() if text else text


def _date(values: dict[str, Any]) -> PartialDate:
    raw = values.get("date")
    if raw is None:
        raise InvalidField("date", "is missing; write YYYY, YYYY-MM or YYYY-MM-DD")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise InvalidField("date", f"must be text such as 2011-09, not {_kind(raw)}")
    date = _strict_date(str(raw))
    precision = _text(values, "precision")
    if precision and precision.lower() != date.precision:
        raise InvalidField("precision", f"{precision!r} does not match the date {date}, "
                                        f"which is known to the {date.precision}")
    note = _text(values, "date_note")
    return date.model_copy(update={"note": note}) if note else date


def _strict_date(text: str) -> PartialDate:
    """`YYYY[-MM[-DD]]` as everywhere in files and on the command line; for a date written
    as people write it (2015年底, Sept 2011) the error says how to write it here."""
    try:
        return parse_date(text)
    except InvalidField as strict:
        try:
            loose = parse_loose_date(text)
        except InvalidField:
            raise strict from None
        hint = f" and date_note {loose.note!r}" if loose.note else ""
        raise InvalidField("date", f"{text!r} is not written YYYY[-MM[-DD]]; write {loose}{hint}") from None


def _status(value: Any) -> ev.Status:
    if value is None:
        return "announced"
    text = _text({"status": value}, "status") or ""
    for status in ev.STATUSES:
        if status == text.lower():
            return status  # type: ignore[return-value]  # a member of the Literal
    raise InvalidField("status", f"{text!r} is not a status; use one of {', '.join(ev.STATUSES)}")


def _flag(value: Any, key: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise InvalidField(key, f"{value!r} is not true or false")


def _number(value: Any, key: str, parse: Callable[[str, str], float]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidField(key, f"must be a number, not {_kind(value)}")
    if isinstance(value, str):
        return parse(value, key)
    if isinstance(value, int) and abs(value) > 10**300:
        raise InvalidField(key, "is too large to be a number of this kind")
    if not math.isfinite(value):
        raise InvalidField(key, f"{value} is not a finite number")
    if value < 0:
        raise InvalidField(key, f"{value:g} is negative; it must be at least 0")
    return float(value)


def _capacity(value: Any) -> float | None:
    return None if value is None else _number(value, "capacity_gwh", parse_capacity)


def _strings(value: Any, key: str) -> list[str]:
    """A list of text, or text separated by ';' (CSV cells) — never a mapping."""
    if value is None:
        return []
    items = list_items(value) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InvalidField(key, f"must be a list of text or text separated by ';', not {_kind(value)}")
    return [i.strip() for i in items if i.strip()]


# -- companies ------------------------------------------------------------------------

def _companies(etype: ev.EventType, value: Any) -> list[CompanyRole]:
    """`aesc:target;envision:acquirer`, or a list of such, or of {id|company, role, name}."""
    if value is None:
        return []
    items = list_items(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InvalidField("companies", f"must be a list, not {_kind(value)}")
    found: dict[tuple[str, str], CompanyRole] = {}
    for item in items:
        company = _company(etype, item)
        if company is not None:
            found.setdefault((company.company, company.role), company)
    return list(found.values())


def _company(etype: ev.EventType, item: Any) -> CompanyRole | None:
    if isinstance(item, str):
        return _company_text(etype, item) if item.strip() else None
    if isinstance(item, dict):
        return _company_object(etype, item)
    raise InvalidField("companies", f"{item!r} is not a company; write id:role")


# The note an export adds after a company that has since absorbed the one the event named
# (`envision:target (aesc)`): the row names the company the event named, as JSON's
# `reported_as` does. In the timeline it came from, that is the survivor again; in another,
# where nothing was merged, the event keeps its meaning (Envision bought AESC, not itself).
_MERGED_NOTE = re.compile(r"^(?P<row>.*?)\s*[(（](?P<named>[^()（）:]+)[)）]$")


def _company_text(etype: ev.EventType, item: str) -> CompanyRole:
    """`aesc:target`; `aesc` alone takes the type's first role (as `timeline add` does)."""
    text = item.strip().replace("：", ":")
    named = None
    if note := _MERGED_NOTE.match(text):
        text, named = note["row"], note["named"].strip()
    company, _, role = text.rpartition(":") if ":" in text else (text, "", "")
    return _role(etype, named or company.strip(), role.strip(), None)


def _company_object(etype: ev.EventType, item: dict[str, Any]) -> CompanyRole:
    """`{"id": "aesc", "name": "Envision AESC", "role": "target"}` (or `company` for `id`);
    `reported_as`, the company the event named before it was merged, comes first."""
    company = item.get("reported_as") or item.get("id") or item.get("company")
    role = item.get("role") or ""
    name = item.get("name")
    if not isinstance(company, str) or not company.strip():
        raise InvalidField("companies", f"{item!r} has no company id ('id' or 'company')")
    if not isinstance(role, str) or not isinstance(name, (str, type(None))):
        raise InvalidField("companies", f"{item!r}: role and name must be text")
    if company != (item.get("id") or item.get("company")):
        name = None  # the survivor's name, not the named company's
    return _role(etype, company.strip(), role.strip(), name)


def _role(etype: ev.EventType, company: str, role: str, name: str | None) -> CompanyRole:
    if not company:
        raise InvalidField("companies", f"a company id is missing before ':{role}'")
    role = ev.check_role(etype, role.lower()) if role else etype.default_role
    return CompanyRole(company=company, role=role, name=name)


# -- money and typed fields -----------------------------------------------------------

def _amounts_and_fields(etype: ev.EventType, values: dict[str, Any]) -> tuple[list[Amount], dict[str, Any]]:
    """The common `amounts` and the type's own fields, in their JSON form.

    `amount` is a typed field of investment and policy events and a common one otherwise.
    An amount equal to a typed money field (an export lists `price` in `amounts` too) is
    carried by the field alone: the JSON view adds it back, so an export imports back equal.
    """
    typed = {k: v for k, v in values.items() if k not in COMMON_KEYS and k not in DERIVED_KEYS}
    amounts = _money_list(values.get("amounts"), "amounts")
    if "amount" in values:
        if "amount" in etype.fields.model_fields:
            typed["amount"] = values["amount"]
        else:
            amounts += _money_list(values["amount"], "amount")
    fields = _typed_fields(etype, typed)
    carried = [v for v in fields.values() if isinstance(v, dict) and "currency" in v]
    return [a for a in amounts if a.model_dump(mode="json") not in carried], fields


def _money_list(value: Any, key: str) -> list[Amount]:
    if value is None:
        return []
    items = list_items(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        items = [items]
    return [_money(item, key) for item in items if not _absent(item)]


def _money(item: Any, key: str) -> Amount:
    if isinstance(item, str):
        return parse_money(item, key)
    if isinstance(item, dict):
        try:
            return Amount.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join([key, *(str(p) for p in first["loc"])])
            raise InvalidField(where, validation_message(first)) from None
    raise InvalidField(key, f"{item!r} is not an amount; write '350000000 GBP' or "
                            "{\"value\": 350000000, \"currency\": \"GBP\"}")


def _typed_fields(etype: ev.EventType, typed: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in typed.items():
        if name.endswith("_pct") and isinstance(value, str):
            value = value.strip().removesuffix("%")   # "80%" is how a sheet shows 80
        if name not in etype.fields.model_fields or isinstance(value, str):
            value = ev.parse_typed_value(etype, name, str(value))  # names the field if unknown
        fields[name] = _date_object(etype, name, value)
    return ev.validate_typed_fields(etype, fields)


def _date_object(etype: ev.EventType, name: str, value: Any) -> Any:
    """A date field (policy's effective_date) in the form its model validates: the
    `PartialDate` object. `parse_typed_value` gives text, which the model refuses."""
    annotation = str(etype.fields.model_fields[name].annotation)
    if "PartialDate" in annotation and isinstance(value, str):
        return parse_date(value, name).model_dump(exclude_none=True)
    return value


# -- where and whence -----------------------------------------------------------------

def _location(values: dict[str, Any]) -> dict[str, str]:
    nested = values.get("location") or {}
    if not isinstance(nested, dict):
        raise InvalidField("location", f"must be an object with country, region, city, not {_kind(nested)}")
    unknown = set(nested) - {"country", "region", "city"}
    if unknown:
        raise InvalidField("location", f"has unknown keys {', '.join(sorted(unknown))}; "
                                       "use country, region, city")
    merged = {**nested, **{k: values[k] for k in ("country", "region", "city") if k in values}}
    location = {k: t for k in ("country", "region", "city") if (t := _text(merged, k))}
    if "country" in location:
        try:
            location["country"] = country_code(location["country"])
        except ValueError as exc:
            raise InvalidField("country", str(exc)) from None
    return location


_FLAT_SOURCE = {"url": "source_url", "published": "source_published", "quote": "quote",
                "publisher": "publisher"}
_LISTED_SOURCE = {key: f"sources.{key}" for key in ("url", "published", "quote", "publisher",
                                                     "language")}


def _sources(values: dict[str, Any]) -> list[EventSource]:
    """`sources` as exported, plus one source from the flat CSV columns when given."""
    listed = values.get("sources") or []
    if isinstance(listed, str):  # a CSV export: URLs separated by ';'
        listed = list_items(listed)
    sources = [_source(item, _LISTED_SOURCE) for item in (listed if isinstance(listed, list) else [listed])]
    flat = {key: values[column] for key, column in _FLAT_SOURCE.items() if column in values}
    if flat:
        sources.append(_source(flat, _FLAT_SOURCE))
    return sources


def _source(item: Any, names: dict[str, str]) -> EventSource:
    """One source; `names` says what to call each key in an error (CSV column or JSON key)."""
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, dict):
        raise InvalidField("sources", f"{item!r} is not a source; give a URL or an object with url")
    source = {k: v for k, v in item.items() if not _absent(v)}
    if not source.get("url") and not source.get("quote"):
        raise InvalidField("sources", f"{item!r} says nothing of where the event was read; give "
                                      "its url or its quote")
    for key, name in names.items():
        if key in source:
            source[key] = _text({name: source[key]}, name)
    if "url" in source:
        ev.check_source_url(source["url"], names["url"])
    if "published" in source:
        source["published"] = _published(source["published"], names["published"])
    if unknown := sorted(set(source) - set(EventSource.model_fields)):
        raise InvalidField("sources", f"a source has no {', '.join(map(repr, unknown))}; a source "
                           f"holds {', '.join(EventSource.model_fields)}")
    try:
        return EventSource.model_validate(source)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["sources", *(str(part) for part in first["loc"])])
        raise InvalidField(where, validation_message(first)) from None


def _published(text: str, field: str) -> str:
    """ISO UTC; a bare day is its midnight in UTC (not its end, as `--known-at` reads it)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = parse_date(text, field)
        return f"{day}T00:00:00Z"
    return iso_utc(parse_datetime(text, field))
