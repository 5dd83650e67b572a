"""The command layer: what curators do, validated, turned into records, appended.

Each command validates everything before it writes anything, loads the aggregate it
changes from its own stream (not from a projection) and appends with the stream's
expected version, so two curators correcting the same event cannot both win silently.
Projections are caught up after every write.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from timeline import companies as co
from timeline import events as ev
from timeline import proposals as pr
from timeline.clustering import best_match, cluster_key
from timeline.errors import (
    ConfigError,
    DuplicateCompany,
    EventRetracted,
    InputError,
    InvalidField,
    UnknownCompany,
    UnknownEvent,
)
from timeline.intake import Draft, IntakeSummary, ItemSeen, Planner, figures_of, validate_draft
from timeline.loose_dates import parse_happening_date
from timeline.projections import ProjectionRunner
from timeline.queries import LiveQueries
from timeline.review import ReviewQueries
from timeline.quantities import parse_capacity, parse_money
from timeline.records import AppendResult, NewRecord
from timeline.storage import Database, RecordStore
from timeline.texts import SUMMARY_LIMIT, TITLE_LIMIT, unprintable
from timeline.upcasting import current_schema, upcast


@dataclass
class EventInput:
    """An event as a curator (or an importer) describes it, not yet validated."""

    type: str
    companies: list[tuple[str, str | None]]          # (id or alias, role or None)
    date: str
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)   # --field NAME=VALUE
    sources: list[dict[str, Any]] = field(default_factory=list)
    event_id: str | None = None


def new_event_id() -> str:
    return "ev-" + secrets.token_hex(5)


def parse_field_option(option: str) -> tuple[str, str]:
    """`NAME=VALUE` from the command line."""
    name, sep, value = option.partition("=")
    if not sep or not name.strip():
        raise InvalidField("field", f"{option!r} is not NAME=VALUE (e.g. --field stake_pct=51)")
    return name.strip(), value


def parse_source_option(url: str) -> dict[str, Any]:
    """`--source URL`: a source of which only the address is known."""
    return {"url": ev.check_source_url(url), "published": None, "quote": None}


def parse_company_option(option: str) -> tuple[str, str | None]:
    """`ID[:ROLE]`; the part after the last colon is a role."""
    company, sep, role = option.rpartition(":")
    if not sep:
        return option.strip(), None
    if not role.strip():  # "aesc:" says a role was meant: the default would be a guess
        raise InvalidField("company", f"{option!r} names no role after the colon; write "
                                      "ID:ROLE, or ID alone for the type's first role")
    return company.strip(), role.strip()


class Timeline:
    """The application: every use case that writes to the log."""

    def __init__(self, store: RecordStore, db: Database, runner: ProjectionRunner,
                 actor: str = "cli") -> None:
        self.store = store
        self.db = db
        self.runner = runner
        self.queries = LiveQueries(db.conn)
        self.review = ReviewQueries(db.conn)
        self.actor = actor

    # -- plumbing ---------------------------------------------------------------------

    def meta(self, **extra: Any) -> dict[str, Any]:
        return {"actor": self.actor, "correlation": str(uuid.uuid4()), **extra}

    def append(self, records: Sequence[NewRecord],
               expected: dict[str, int] | None = None) -> AppendResult:
        result = self.store.append(records, expected)
        self.runner.catch_up()
        return result

    # -- companies --------------------------------------------------------------------

    def _check_names_free(self, company_id: str, names: Sequence[str]) -> None:
        for name in names:
            owner = self.queries.find_company(name)
            if owner is not None and owner != company_id:
                raise DuplicateCompany(name, owner)

    def register_company(self, spec: co.CompanySpec) -> AppendResult:
        """Register a company; registering the same id again appends nothing, and
        registering it with other details is refused (renames and aliases have their own
        commands, which keep the history)."""
        return self.append(self.registration(spec))

    def registration(self, spec: co.CompanySpec) -> list[NewRecord]:
        """What registers `spec`, checked as `register_company` checks it, for a caller that
        appends it in a batch of its own (a company note with its history)."""
        state = self.queries.company(spec.id)
        if state is not None:
            self._unmerged(spec.id, "register what you mean under")
            _refuse_other_details(state, spec)
        self._check_names_free(spec.id, [spec.id, spec.name, *spec.aliases])
        return [self._registration(spec)]

    def _registration(self, spec: co.CompanySpec) -> NewRecord:
        return NewRecord(
            stream=co.stream_of(spec.id), kind=co.REGISTERED,
            data=spec.model_dump(exclude_none=True), meta=self.meta(),
            key=f"company:{spec.id}:registered", refs=(spec.id,),
        )

    def _new_alias(self, company_id: str, alias: str) -> NewRecord:
        return NewRecord(
            stream=co.stream_of(company_id), kind=co.ALIASED, data={"alias": alias},
            meta=self.meta(), key=f"company:{company_id}:alias:{co.lookup_key(alias)}",
            refs=(company_id,),
        )

    def sync_companies(self, specs: Sequence[co.CompanySpec]) -> int:
        """Make the registry hold every company of config.toml; idempotent, and all or
        nothing: every name is checked before one batch appends what is missing."""
        records: list[NewRecord] = []
        for index, spec in enumerate(specs):
            state = self.queries.company(spec.id)
            if state is None:
                try:
                    self._check_names_free(spec.id, [spec.id, spec.name, *spec.aliases])
                except InputError as exc:  # the registry's answer, about the config's entry
                    raise ConfigError(f"config: companies.{index} ({spec.id}): {exc.message}") from None
                records.append(self._registration(spec))
                continue
            known = {co.lookup_key(n) for n in co.names_of(state)}
            for alias in spec.aliases:
                if co.lookup_key(alias) not in known and self._alias_is_new(spec.id, alias):
                    records.append(self._new_alias(spec.id, alias))
        return len(self.append(records).written) if records else 0

    def differences_from(self, specs: Sequence[co.CompanySpec]) -> list[str]:
        """Where the registry no longer says what config.toml does: `init` registers the
        config's companies but never renames one (the log keeps renames as history)."""
        notes = []
        for spec in specs:
            state = self.queries.company(spec.id)
            if state is not None and state["name"] != spec.name:
                notes.append(f"the config calls {spec.id!r} {spec.name!r}, the registry "
                             f"{state['name']!r}; `timeline companies rename` changes it")
        return notes

    def company_id(self, text: str) -> str:
        return self.queries.resolve_company(text)

    def _unmerged(self, text: str, what: str) -> str:
        """The company `text` names, which must not have been merged into another: a
        rename or an alias given to it would otherwise land on its survivor unseen."""
        found = self.queries.find_company(text)
        if found is None:
            raise UnknownCompany(text)
        survivor = self.queries.survivor(found)
        if survivor != found:
            raise InvalidField("company", f"{found!r} was merged into {survivor!r}; {what} "
                               f"{survivor!r} if that is what you mean")
        return found

    def add_alias(self, company: str, alias: str) -> AppendResult:
        company_id = self._unmerged(company, "give the alias to")
        alias = co.company_name("alias", alias)
        new = self.new_aliases(company_id, [alias])
        if not new:
            return AppendResult((), (f"company:{company_id}:alias:{co.lookup_key(alias)}",))
        return self.append(new)

    def new_aliases(self, company: str, aliases: Sequence[str]) -> list[NewRecord]:
        """What gives `company` those of `aliases` it does not have yet; an alias that is
        no name or that another company has is refused, before anything is appended."""
        company_id = self._unmerged(company, "give the alias to")
        records: list[NewRecord] = []
        keys: set[str] = set()
        for alias in aliases:
            alias = co.company_name("alias", alias)
            if self._alias_is_new(company_id, alias) and co.lookup_key(alias) not in keys:
                keys.add(co.lookup_key(alias))
                records.append(self._new_alias(company_id, alias))
        return records

    def _alias_is_new(self, company_id: str, alias: str) -> bool:
        """Whether `alias` is free (True) or already the company's own (False); an alias
        of another company is refused."""
        owner = self.queries.find_company(alias)
        if owner is None:
            return True
        if self.queries.survivor(owner) == company_id:
            return False
        raise DuplicateCompany(alias, owner)

    def rename_company(self, company: str, name: str) -> AppendResult:
        company_id = self._unmerged(company, "rename")
        name = co.company_name("name", name)
        state = self.queries.company(company_id)
        if state is not None and state["name"] == name:
            raise InvalidField("name", f"{company_id!r} is already called {name!r}; nothing to rename")
        self._check_names_free(company_id, [name])
        version = self.store.stream_version(co.stream_of(company_id))
        return self.append([NewRecord(
            stream=co.stream_of(company_id), kind=co.RENAMED, data={"name": name},
            meta=self.meta(), refs=(company_id,),
        )], expected={co.stream_of(company_id): version})

    def merge_companies(self, absorbed: str, into: str, reason: str) -> AppendResult:
        """`absorbed` joins `into`: its history shows in the survivor's timeline from now on.

        `absorbed` must stand on its own: one merged already would take its survivor (and
        everything merged into it) along, and a merge is never undone. `into` may have been
        merged: the company then joins the survivor, which the caller names."""
        if not reason.strip():
            raise InvalidField("reason", "say why the companies are one: a merge is never undone")
        survivor_id = self.company_id(into)
        if self.company_id(absorbed) == survivor_id:
            raise InvalidField("merge", f"{absorbed!r} and {into!r} are already one company ({survivor_id})")
        absorbed_id = self._unmerged(absorbed, "merge")
        stream = co.stream_of(absorbed_id)
        return self.append([NewRecord(
            stream=stream, kind=co.MERGED, data={"into": survivor_id, "reason": reason.strip()},
            meta=self.meta(), refs=(absorbed_id, survivor_id),
        )], expected={stream: self.store.stream_version(stream)})

    # -- events -----------------------------------------------------------------------

    def load_event(self, event_id: str) -> dict[str, Any]:
        """Fold the event's own stream: the truth a command must act on."""
        state: dict[str, Any] | None = None
        for record in self.store.read_streams([ev.stream_of(event_id)]):
            state = ev.fold_event(state, upcast(record))
        if state is None:
            raise UnknownEvent(event_id)
        return state

    def resolve_companies(self, etype: ev.EventType,
                          given: Sequence[tuple[str, str | None]]) -> list[dict[str, str]]:
        if not given:
            raise InvalidField("company", f"{etype.name} needs at least one --company ID[:ROLE]")
        resolved: list[dict[str, str]] = []
        for text, role in given:
            company = {"company": self.company_id(text),
                       "role": ev.check_role(etype, role or etype.default_role)}
            if company not in resolved:  # the same company in the same role, said twice
                resolved.append(company)
        return resolved

    def build_report(self, draft: EventInput) -> dict[str, Any]:
        """Validate a draft completely and return the `event.reported` payload."""
        etype = ev.event_type(draft.type)
        title = clean_text("title", draft.title)
        when = parse_happening_date(draft.date)
        payload: dict[str, Any] = {
            "id": draft.event_id or new_event_id(), "type": etype.name, "date": str(when),
            "date_note": when.note, "title": title,
            "companies": self.resolve_companies(etype, draft.companies),
            "sources": draft.sources,
        }
        ev.check_parties(etype, payload["companies"])
        changes = field_changes(etype, draft.fields, current_fields={})
        changes.pop("date_note", None)
        for given in ("date", "title"):  # one value each: never one silently over the other
            if given in changes:
                raise InvalidField(given, f"given twice; --{given} says it, leave it out of --field")
        payload.update(changes)
        payload.setdefault("status", "announced")
        return ev.reported_payload(payload)

    def add_event(self, draft: EventInput, key: str | None = None) -> str:
        payload = self.build_report(draft)
        refs = tuple(c["company"] for c in payload["companies"])
        stream = ev.stream_of(payload["id"])
        if self.store.stream_version(stream):
            raise InvalidField("id", f"an event with the id {payload['id']!r} already exists")
        record = NewRecord(stream=stream, kind=ev.REPORTED, data=payload,
                           schema=current_schema(ev.REPORTED), meta=self.meta(), key=key, refs=refs)
        result = self.append([record], expected={stream: 0})
        if not result.written and key is not None:
            existing = self.store.get_by_key(key)
            return str(existing.data["id"]) if existing else str(payload["id"])
        return str(payload["id"])

    def correct_event(self, event_id: str, fields: Sequence[tuple[str, str]],
                      companies: Sequence[tuple[str, str | None]], reason: str) -> AppendResult:
        state = self.load_event(event_id)
        if state["retracted"]:
            raise EventRetracted(event_id, correcting=True)
        if not reason.strip():
            raise InvalidField("reason", "say why the event is corrected")
        etype = ev.event_type(state["type"])
        changes = field_changes(etype, fields, current_fields=state["fields"])
        if companies:
            given = self.resolve_companies(etype, companies)
            # Companies merged since are named by their survivors now: restating them as
            # they were is no change (and keeps whom the report named).
            held: list[dict[str, str]] = []
            for company in state["companies"]:
                now = {**company, "company": self.queries.survivor(company["company"])}
                if now not in held:  # two companies merged into one, in the same role
                    held.append(now)
            if given != held:
                ev.check_parties(etype, given)
                changes["companies"] = given
            elif not fields:
                raise InvalidField("company", f"nothing to correct: {event_id} already names them")
        if not changes:
            raise InvalidField("field", "nothing to correct; give --field NAME=VALUE or --company")
        changes = _what_changes(state, changes)
        if not changes:
            raise InvalidField("field", f"nothing to correct: {event_id} already says so")
        refs = tuple(c["company"] for c in changes.get("companies", []))
        stream = ev.stream_of(event_id)
        return self.append([NewRecord(
            stream=stream, kind=ev.CORRECTED, data={"changes": changes, "reason": reason.strip()},
            meta=self.meta(), refs=refs,
        )], expected={stream: state["version"]})

    def retract_event(self, event_id: str, reason: str) -> AppendResult:
        state = self.load_event(event_id)
        if state["retracted"]:
            raise EventRetracted(event_id)
        if not reason.strip():
            raise InvalidField("reason", "say why the event is retracted")
        stream = ev.stream_of(event_id)
        return self.append([NewRecord(
            stream=stream, kind=ev.RETRACTED, data={"reason": reason.strip()}, meta=self.meta(),
        )], expected={stream: state["version"]})

    def add_source(self, event_id: str, source: dict[str, Any], key: str | None = None) -> AppendResult:
        state = self.load_event(event_id)
        stream = ev.stream_of(event_id)
        return self.append([NewRecord(
            stream=stream, kind=ev.SOURCE_ADDED, data={"source": source}, meta=self.meta(), key=key,
        )], expected={stream: state["version"]})


def field_changes(etype: ev.EventType, given: Sequence[tuple[str, str]],
                  current_fields: dict[str, Any]) -> dict[str, Any]:
    """Validate `--field NAME=VALUE` pairs into the payload keys they change."""
    changes: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    location: dict[str, str] = {}
    amounts: list[dict[str, Any]] = []
    names = [name for name, _ in given if name != "amount"]  # amounts add up; others are one
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise InvalidField(repeated[0], "given twice with --field; give each field once")
    for name, value in given:
        if name in etype.fields.model_fields:
            typed[name] = ev.parse_typed_value(etype, name, value)
        elif name == "amount":
            amounts.append(parse_money(value, "amount").model_dump())
        elif name in ("country", "region", "city"):
            location[name] = _location_value(name, value)
        else:
            changes.update(_common_field(etype, name, value))
    if typed:
        merged = {**current_fields, **typed}
        ev.validate_typed_fields(etype, merged)
        changes["fields"] = typed
    if location:
        changes["location"] = location
    if amounts:
        changes["amounts"] = amounts
    return changes


# How long a curator's texts may be: a title is a headline, a summary a paragraph or two.
TEXT_LIMITS = {"title": TITLE_LIMIT, "summary": SUMMARY_LIMIT}


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def clean_text(name: str, value: str) -> str:
    """A title or summary as it is stored, with no control characters, within its length
    limit. A title is one line (line breaks and tabs become spaces); a summary keeps its
    paragraphs, one blank line apart, each of them on one line."""
    paragraphs = [value] if name == "title" else _PARAGRAPH_BREAK.split(value)
    lines = [text for text in (" ".join(part.split()) for part in paragraphs) if text]
    if name == "title" and not lines:
        raise InvalidField("title", "must not be empty")
    for line in lines:
        if (control := unprintable(line)) is not None:
            raise InvalidField(name, f"contains the control character {control!r}; remove it")
    text = "\n\n".join(lines)
    if len(text) > TEXT_LIMITS[name]:
        raise InvalidField(name, f"is {len(text):,} characters long; at most {TEXT_LIMITS[name]:,}")
    return text


def _refuse_other_details(state: dict[str, Any], spec: co.CompanySpec) -> None:
    """A registration of a company already registered must say what the registry says."""
    company = spec.id
    if spec.name != state["name"]:
        raise InvalidField("name", f"{company!r} is already registered as {state['name']!r}; "
                           "change its name with `timeline companies rename`")
    if spec.country is not None and spec.country != state.get("country"):
        raise InvalidField("country", f"{company!r} is already registered with country "
                           f"{state.get('country')!r}, not {spec.country!r}")
    known = {co.lookup_key(name) for name in co.names_of(state)}
    if new := [alias for alias in spec.aliases if co.lookup_key(alias) not in known]:
        raise InvalidField("alias", f"{company!r} is already registered; add {', '.join(map(repr, new))} "
                           "with `timeline companies alias`")


def _what_changes(state: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The part of a correction that differs from the event as it stands: a correction
    that changes nothing would only add a record saying so."""
    kept: dict[str, Any] = {}
    for name, value in changes.items():
        if name in ("fields", "location"):
            differs = {k: v for k, v in value.items() if state[name].get(k) != v}
            if differs:
                kept[name] = differs
        elif name == "date_note":
            continue  # goes with the date
        elif name == "date":
            if (value, changes.get("date_note")) != (state["date"], state.get("date_note")):
                kept.update(date=value, date_note=changes.get("date_note"))
        elif not _same(state.get(name), value):
            kept[name] = value
    return kept


def _same(held: Any, given: Any) -> bool:
    """Whether a correction gives what the event already holds; an empty text is no text
    (an event without a summary, corrected to an empty one, is unchanged)."""
    if isinstance(held, str) or isinstance(given, str):
        return (held or None) == (given or None)
    return bool(held == given)


def _location_value(name: str, value: str) -> str:
    value = value.strip()
    if name == "country":
        try:
            return co.country_code(value)
        except ValueError as exc:
            raise InvalidField("country", str(exc)) from None
    if not value:
        raise InvalidField(name, "must not be empty")
    return value


def _common_field(etype: ev.EventType, name: str, value: str) -> dict[str, Any]:
    if name in TEXT_LIMITS:  # an empty summary is none (a title cannot be empty)
        return {name: clean_text(name, value) or None}
    if name == "status":
        status = value.strip().lower()
        if status not in ev.STATUSES:
            raise InvalidField("status", f"{value!r} is not one of {', '.join(ev.STATUSES)}")
        return {"status": status}
    if name == "date":
        when = parse_happening_date(value, "date")
        return {"date": str(when), "date_note": when.note}
    if name == "tags":
        return {"tags": [t.strip() for t in value.split(",") if t.strip()]}
    if name == "capacity_gwh":
        return {"capacity_gwh": parse_capacity(value, "capacity_gwh")}
    known = sorted(set(ev.COMMON_FIELDS) | set(etype.fields.model_fields))
    raise InvalidField(name, f"{etype.name} has no field {name!r}; its fields are {', '.join(known)}")


class Curation(Timeline):
    """Timeline plus the intake of proposals and the review of them."""

    def intake(self, items: Sequence[ItemSeen], drafts: Sequence[Draft],
               auto_accept: float, first: Sequence[NewRecord] = ()) -> IntakeSummary:
        """Append a batch of items and the drafts found in them, all or nothing; `first`
        (the registration of the company a note is about, its new aliases) goes before
        them in the same batch."""
        self.runner.catch_up()
        with self.db.transaction() as conn:
            planner = Planner(conn, auto_accept, self.meta(actor=self.actor))
            known = {item.key for item in items if self.store.has_key_in(conn, item.key)}
            for item in items:
                planner.item(item, item.key in known)
            for draft in drafts:
                if draft.item_key not in known:
                    planner.draft(draft)
            self.store.append_in(conn, [*first, *planner.records])
        self.runner.catch_up()
        return planner.summary

    def load_proposal(self, proposal_id: str) -> dict[str, Any]:
        state: dict[str, Any] | None = None
        for record in self.store.read_streams([pr.stream_of(proposal_id)]):
            state = pr.fold_proposal(state, record)
        if state is None:
            raise InvalidField("proposal", f"no proposal has the id {proposal_id!r}; "
                                           "`timeline review list` shows the pending ones")
        return state

    def _undecided(self, proposal_id: str, accepting: bool = False) -> tuple[dict[str, Any], int]:
        """A proposal a curator may decide on, with its stream's version: a pending one, or
        for accepting, one rejected earlier (a curator may change their mind; both decisions
        stay in the log). An accepted one is final: its event is corrected or retracted."""
        state = self.load_proposal(proposal_id)
        status = state["status"]
        if status == "accepted":
            raise InvalidField("proposal", f"{proposal_id} was already accepted as "
                               f"{state['event_id']}; correct or retract that event instead")
        if status == "rejected" and not accepting:
            raise InvalidField("proposal", f"{proposal_id} was already rejected")
        return state, self.store.stream_version(pr.stream_of(proposal_id))

    def accept_proposal(self, proposal_id: str, fields: Sequence[tuple[str, str]] = (),
                        companies: Sequence[tuple[str, str | None]] = (),
                        type_: str | None = None, reason: str | None = None) -> str:
        """Accept, optionally setting fields, roles or the type first; returns the event id.

        A proposal rejected earlier may be accepted: the curator changed their mind."""
        state, version = self._undecided(proposal_id, accepting=True)
        event = dict(state["event"])
        etype = ev.event_type(type_ or event["type"])
        if etype.name != event["type"]:  # what the draft read for the other type goes
            own = etype.fields.model_fields
            event["fields"] = {k: v for k, v in event.get("fields", {}).items() if k in own}
        retyped = event["type"] != etype.name
        event["type"] = etype.name
        if companies:
            event["companies"] = self.resolve_companies(etype, companies)
        ev.check_parties(etype, event["companies"])
        if retyped and not any(name == "title" for name, _ in fields):
            raise InvalidField("title", f"the draft's title {event['title']!r} was written for "
                               f"a {state['event']['type']}; give the {etype.name} its own with "
                               "--field title=...")
        changes = field_changes(etype, fields, current_fields=event.get("fields", {}))
        for name, value in changes.items():
            if name in ("fields", "location"):
                event[name] = {**event.get(name, {}), **value}
            else:
                event[name] = value
        if "capacity_gwh" in changes.get("fields", {}):
            # The typed field and the event's capacity say the same thing: keep them one.
            event["capacity_gwh"] = changes["fields"]["capacity_gwh"]
        event = validate_draft(event)
        # The source keeps the figures it gave, whatever the curator set.
        source = {**state["source"], "figures": figures_of(state["event"])}
        stream = pr.stream_of(proposal_id)
        siblings = self._same_happening(proposal_id, cluster_key(state["event"]), event)
        with self.db.transaction() as conn:
            planner = Planner(conn, 1.0, self.meta())
            event_id = planner.accept(proposal_id, event, source, by=self.actor, reason=reason)
            for sibling in siblings:
                planner.accept(sibling["id"], sibling["event"],
                               {**sibling["source"], "figures": figures_of(sibling["event"])},
                               by=self.actor, reason=f"the same happening as {proposal_id}")
            expected = {stream: version, **{pr.stream_of(s["id"]): 1 for s in siblings}}
            self.store.append_in(conn, planner.records, expected=expected)
        self.runner.catch_up()
        return event_id

    def _same_happening(self, proposal_id: str, cluster: str,
                        event: dict[str, Any]) -> list[dict[str, Any]]:
        """Other pending proposals that report what this one reports: accepted with it, as
        further sources, so that five low-confidence reports still make one event."""
        siblings = []
        for other in self.review.pending_in_cluster(cluster):
            if other["id"] != proposal_id and best_match(other["event"], [event]) is not None:
                siblings.append(other)
        return siblings

    def reject_proposal(self, proposal_id: str, reason: str | None = None) -> None:
        _, version = self._undecided(proposal_id)
        stream = pr.stream_of(proposal_id)
        self.append([NewRecord(stream=stream, kind=pr.REJECTED, meta=self.meta(),
                               data={"by": self.actor, "reason": reason},
                               key=f"rejected:{proposal_id}")], expected={stream: version})
