"""Industry events: their types, roles and typed fields, and how records fold into them.

An event is never stored in place. It is what the records of its stream say once folded
in order: `event.reported` gives its first state, `event.corrected` changes fields,
`event.source_added` adds evidence, `event.retracted` withdraws it. The fold works on plain
dicts because a rebuild folds a million records; the pydantic models below validate what
enters the log, which is where validation belongs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from timeline.dates import PartialDate, parse_date
from timeline.errors import InvalidField, UnknownType, validation_message
from timeline.quantities import Amount, parse_capacity, parse_money, parse_number
from timeline.records import Record

Status = Literal["rumored", "announced", "approved", "started", "completed", "cancelled"]
STATUSES: tuple[str, ...] = get_args(Status)

Pct = Annotated[float, Field(ge=0, le=100)]
Gwh = Annotated[float, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]


def _date_text(value: Any) -> str:
    """A date field's JSON form is its text (`2024-01`), whatever form it arrived in."""
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, dict):
        return str(PartialDate(**value))
    try:
        return str(parse_date(str(value)))
    except InvalidField as exc:
        raise ValueError(exc.problem) from None


DateText = Annotated[str, BeforeValidator(_date_text)]


class TypedFields(BaseModel):
    """The fields a type adds to the common ones; all optional, as news is partial."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class AcquisitionFields(TypedFields):
    stake_pct: Pct | None = None
    price: Amount | None = None


class InvestmentFields(TypedFields):
    round: str | None = None
    amount: Amount | None = None


class PartnershipFields(TypedFields):
    scope: Literal["joint_venture", "rnd", "strategic", "supply", "licensing"] | None = None


class SupplyDealFields(TypedFields):
    product: str | None = None
    volume_gwh: Gwh | None = None
    value: Amount | None = None
    term: str | None = None


class FactoryFields(TypedFields):
    capacity_gwh: Gwh | None = None
    investment: Amount | None = None
    jobs: Count | None = None
    product: str | None = None
    phase: Literal["announced", "under_construction", "operating", "expanded"] | None = None


class FactoryClosureFields(TypedFields):
    capacity_gwh: Gwh | None = None
    jobs_cut: Count | None = None


class BankruptcyFields(TypedFields):
    procedure: str | None = None
    debt: Amount | None = None


class PolicyFields(TypedFields):
    instrument: Literal["subsidy", "tax_credit", "tariff", "law", "target", "ban"] | None = None
    amount: Amount | None = None
    effective_date: DateText | None = None


class RecallFields(TypedFields):
    product: str | None = None
    units: Count | None = None
    cost: Amount | None = None


class IpoFields(TypedFields):
    exchange: str | None = None
    ticker: str | None = None
    raised: Amount | None = None


class LeadershipChangeFields(TypedFields):
    person: str | None = None
    from_title: str | None = None
    to_title: str | None = None


class NamingFields(TypedFields):
    former_name: str | None = None
    new_name: str | None = None


@dataclass(frozen=True)
class EventType:
    name: str
    roles: tuple[str, ...]
    fields: type[TypedFields]
    label: str

    @property
    def default_role(self) -> str:
        return self.roles[0]


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType("acquisition", ("acquirer", "target", "seller"), AcquisitionFields, "Acquisition"),
        EventType("investment", ("investor", "investee", "lead"), InvestmentFields, "Investment"),
        EventType("partnership", ("partner",), PartnershipFields, "Partnership"),
        EventType("supply_deal", ("supplier", "customer"), SupplyDealFields, "Supply deal"),
        EventType("factory", ("operator", "partner"), FactoryFields, "Factory"),
        EventType("factory_closure", ("operator",), FactoryClosureFields, "Factory closure"),
        EventType("bankruptcy", ("company", "creditor"), BankruptcyFields, "Bankruptcy"),
        EventType("policy", ("jurisdiction", "authority"), PolicyFields, "Policy"),
        EventType("recall", ("company", "customer"), RecallFields, "Recall"),
        EventType("ipo", ("company",), IpoFields, "IPO"),
        EventType("leadership_change", ("company",), LeadershipChangeFields, "Leadership change"),
        EventType("founding", ("company",), NamingFields, "Founding"),
        EventType("rebrand", ("company",), NamingFields, "Rebrand"),
    )
}

# Fields every type has and `--field` may set; the type's own fields come on top.
COMMON_FIELDS = ("title", "summary", "status", "date", "country", "region", "city", "tags",
                 "amount", "capacity_gwh")

EVENT_STREAM_PREFIX = "event-"
REPORTED = "event.reported"
CORRECTED = "event.corrected"
SOURCE_ADDED = "event.source_added"
RETRACTED = "event.retracted"
EVENT_KINDS = (REPORTED, CORRECTED, SOURCE_ADDED, RETRACTED)


def event_type(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise UnknownType(name, sorted(EVENT_TYPES)) from None


def check_source_url(url: str, field: str = "source") -> str:
    """A source is evidence a reader must be able to open: an absolute http(s) address."""
    parts = urlsplit(url.strip())
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or any(c.isspace() for c in url.strip())):
        raise InvalidField(field, f"{url!r} is not an http(s) URL such as https://example.org/news/1")
    return url.strip()


def stream_of(event_id: str) -> str:
    return EVENT_STREAM_PREFIX + event_id


# The companies a type's happening cannot do without: a partnership of one is none.
LEAST_IN_ROLE: dict[str, tuple[str, int]] = {"partnership": ("partner", 2)}


def check_parties(etype: EventType, companies: list[dict[str, str]]) -> None:
    """Refuse companies too few for the type (DESIGN: "partner (two or more)")."""
    rule = LEAST_IN_ROLE.get(etype.name)
    if rule is None:
        return
    role, least = rule
    named = {c["company"] for c in companies if c["role"] == role}
    if len(named) < least:
        got = f"only {', '.join(sorted(named))}" if named else "none"
        raise InvalidField("company", f"a {etype.name} needs {least} or more companies as "
                           f"{role} ({got}); register a company missing with "
                           "`timeline companies add`")


def check_role(etype: EventType, role: str) -> str:
    if role not in etype.roles:
        raise InvalidField(
            "company",
            f"role {role!r} is not a role of {etype.name}; use one of {', '.join(etype.roles)}",
        )
    return role


# -- typed field values from text (the CLI) or JSON (imports) --------------------------

def _annotation_base(annotation: Any) -> Any:
    """`Amount | None` -> Amount; `Annotated[float, ...] | None` -> float; Literal stays."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not None and len(args) == 1 and get_origin(annotation) is not Literal:
        annotation = args[0]
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def parse_typed_value(etype: EventType, name: str, text: str) -> Any:
    """Turn `--field name=text` into the value the type's model expects."""
    info = etype.fields.model_fields.get(name)
    if info is None:
        known = sorted(set(COMMON_FIELDS) | set(etype.fields.model_fields))
        raise InvalidField(name, f"{etype.name} has no field {name!r}; its fields are {', '.join(known)}")
    if DateText in get_args(info.annotation):
        return str(parse_date(text, name))
    base = _annotation_base(info.annotation)
    if base is Amount:
        return parse_money(text, name).model_dump()
    if base is PartialDate:
        return str(parse_date(text, name))
    if name.endswith("_gwh"):
        return parse_capacity(text, name)
    if base is float:
        return parse_number(text, name)
    if base is int:
        value = parse_number(text, name)
        if value != int(value):
            raise InvalidField(name, f"{text!r} is not a whole number")
        return int(value)
    if get_origin(base) is Literal:
        choices = get_args(base)
        normalised = text.strip().lower().replace(" ", "_").replace("-", "_")
        if normalised not in choices:
            raise InvalidField(name, f"{text!r} is not one of {', '.join(choices)}")
        return normalised
    return text.strip()


def validate_typed_fields(etype: EventType, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate a type's fields as a whole; return them in their JSON form."""
    try:
        model = etype.fields.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or etype.name
        raise InvalidField(where, _pydantic_message(first)) from None
    return model.model_dump(mode="json", exclude_none=True)


def _pydantic_message(error: Any) -> str:
    if error.get("type") == "extra_forbidden":
        return "is not a field of this type"
    return validation_message(error)


def reported_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """An `event.reported` payload without the optional values it leaves unset.

    `new_state` supplies them, so a null would say nothing; leaving them out keeps `null`
    in a payload for what a correction clears, and spares the log checking every report
    for NaN (`timeline.jsontext.canonical_bytes` looks for one only where a null is)."""
    return {name: value for name, value in payload.items() if value is not None}


# -- the fold ---------------------------------------------------------------------------

def new_state(data: dict[str, Any], recorded_at: str, version: int) -> dict[str, Any]:
    """The first state of an event, from its `event.reported` payload. Nested values are
    shared with the record, never mutated: every later step copies what it changes (a
    rebuild folds a million records, and deep copies would dominate it).

    A pure function of the reported record alone: the event projection stores no state for
    an event that nothing has changed since, and reads this back instead."""
    state: dict[str, Any] = {
        "summary": None, "status": "announced", "location": {}, "amounts": [],
        "capacity_gwh": None, "fields": {}, "sources": [], "tags": [], "date_note": None,
        **data,
    }
    state["retracted"] = False
    state["retraction_reason"] = None
    state["corrections"] = []
    state["reported_at"] = recorded_at
    state["updated_at"] = recorded_at
    state["version"] = version
    return state


def apply_correction(state: dict[str, Any], changes: dict[str, Any]) -> None:
    """Apply a correction's changes to a (copied) state; a typed field set to None is cleared."""
    for name, value in changes.items():
        if name == "fields":
            fields = dict(state["fields"])
            for field_name, field_value in value.items():
                if field_value is None:
                    fields.pop(field_name, None)
                else:
                    fields[field_name] = field_value
            state["fields"] = fields
        elif name == "location":
            merged = {**state["location"], **value}
            state["location"] = {k: v for k, v in merged.items() if v}
        else:
            state[name] = value


def fold_event(state: dict[str, Any] | None, record: Record) -> dict[str, Any] | None:
    """One step of an event's history. Pure: the input state is never modified."""
    kind, data = record.kind, record.data
    if kind == REPORTED:
        return new_state(data, record.recorded_at, record.version)
    if state is None:
        return None  # a record about an event this view never saw reported
    state = dict(state)
    if kind == CORRECTED:
        apply_correction(state, data["changes"])
        state["corrections"] = [*state["corrections"], {
            "reason": data.get("reason"), "at": record.recorded_at,
            "changes": sorted(data["changes"]),
        }]
    elif kind == SOURCE_ADDED:
        state["sources"] = [*state["sources"], data["source"]]
    elif kind == RETRACTED:
        state["retracted"] = True
        state["retraction_reason"] = data.get("reason")
    state["updated_at"] = record.recorded_at
    state["version"] = record.version
    return state


def company_ids(state: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys([c["company"] for c in state["companies"]]))


def date_of(state: dict[str, Any]) -> PartialDate:
    return parse_date(state["date"])


def quotes_of(state: dict[str, Any]) -> str:
    return "\n".join([s.get("quote") or "" for s in state["sources"]])
