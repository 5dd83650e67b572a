"""`timeline import`: documents into the log through the same intake as feeds.

Articles go through extraction like any feed item. Company notes register the company's
aliases and turn each row of their History table into an event about that company.
JSON and CSV files of events are appended as they are, all rows or none. Every key
derives from the file's content, so importing a file twice appends nothing.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from feeds.documents import Article, CompanyNote, EventBatch, EventRow, read_document
from feeds.drafts import draft_from
from feeds.types import Candidate, CompanyMention, FeedItem
from timeline import events as ev
from timeline.bootstrap import App
from timeline.companies import CompanySpec, company_name
from timeline.dates import PartialDate
from timeline.errors import DocumentError, InputError, validation_message
from timeline.intake import Draft, IntakeSummary, ItemSeen, validate_draft
from timeline.jsontext import canonical
from timeline.records import NewRecord
from timeline.upcasting import current_schema

Extractor = Callable[[FeedItem], list[Candidate]]

IMPORT_STREAM = "import-documents"

# The role a company plays in an event of its own history when the row does not say.
SUBJECT_ROLE = {
    "acquisition": "target", "investment": "investee", "partnership": "partner",
    "supply_deal": "supplier", "factory": "operator", "factory_closure": "operator",
    "bankruptcy": "company", "policy": "authority", "recall": "company", "ipo": "company",
    "leadership_change": "company", "founding": "company", "rebrand": "company",
}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


# What a row of an events file says of its event, compared with the log's event.
_COMPARED = ("type", "date", "title", "summary", "status", "companies", "amounts",
             "capacity_gwh", "location", "fields", "tags")


def _plain(value: Any) -> Any:
    """A value as compared: every kind of nothing is one."""
    return None if value in (None, "", [], {}) else value


def _compared(event: dict[str, Any]) -> dict[str, Any]:
    """`event` with each figure in one place, as a row and the log may keep it elsewhere:
    `timeline add` keeps a factory's capacity in its typed fields and a row in its own
    column; extraction lists a typed sum (an investment) among the amounts too, and a row
    in its field alone."""
    fields = dict(event.get("fields") or {})
    capacity = fields.pop("capacity_gwh", None)
    if capacity is None:
        capacity = event.get("capacity_gwh")
    typed = [value for value in fields.values() if isinstance(value, dict) and "currency" in value]
    amounts = [amount for amount in event.get("amounts") or [] if amount not in typed]
    return {**event, "fields": fields, "capacity_gwh": capacity, "amounts": amounts}


def _row_identity(data: dict[str, Any]) -> str:
    """What knows a row of an events file again in any file: what it says, companies
    resolved (an alias, an id in capitals and another order name the same ones). A file
    imported again, grown, reordered or split appends only the rows that are new; an
    identical row given twice is one event."""
    companies = sorted((c["company"], c["role"]) for c in data["companies"])
    return _digest(canonical({**data, "companies": companies}))


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


_CJK = re.compile(r"[\u3400-\u9fff]")


def _history_sentences(subject: str, when: PartialDate, text: str, zh: bool) -> list[str]:
    """A History row as a reporter would write it, for extraction, in the ways to try.

    The table leaves the date and the company implicit ("2017 | Nissan sold to Envision
    Group"); extraction finds nothing without a date and may miss the subject, so both are
    written out: "In 2017, AESC: Nissan sold to Envision Group", "2011年9月，远景动力：…".
    A row that is a predicate ("Opened a 4 GWh factory") has the company as its subject,
    which the colon keeps apart: it is read again as "In 2023, Voltwerk opened a 4 GWh
    factory". The event keeps the row's own date and precision whatever is read here.
    """
    if zh:
        written = f"{when.year}年" + (f"{when.month}月" if when.month else "") + (
            f"{when.day}日" if when.day else "")
        return [f"{written}，{subject}：{text}", f"{written}，{subject}{text}"]
    if when.day and when.month:
        written = f"On {when.day} {calendar.month_name[when.month]} {when.year}"
    elif when.month:
        written = f"In {calendar.month_name[when.month]} {when.year}"
    else:
        written = f"In {when.year}"
    return [f"{written}, {subject}: {text}", f"{written}, {subject} {text[:1].lower()}{text[1:]}"]


@dataclass(frozen=True)
class _NoteCompany:
    """The company a note is about, as its import will leave it."""

    id: str
    first: list[NewRecord]   # what registers it or gives it its new aliases
    name: str
    aliases: list[str]       # its aliases if the note registers it, else the new ones
    registered: bool         # whether the note registers it


class Importer:
    def __init__(self, app: App, extractor: Callable[[Sequence[Mapping[str, Any]]], Extractor]
                 ) -> None:
        self.app = app
        self._extractor_factory = extractor
        self._extractor: Extractor | None = None

    @property
    def extract(self) -> Extractor:
        """Built on first use, after any company a note registered is in the registry."""
        if self._extractor is None:
            self._extractor = self._extractor_factory(())
        return self._extractor

    def import_file(self, path: Path) -> IntakeSummary:
        document = read_document(path, check_row=self._check_row)
        if isinstance(document, EventBatch):
            return self._events(document, path)
        if isinstance(document, CompanyNote):
            return self._note(document)
        return self._article(document)

    # -- articles ---------------------------------------------------------------------

    def _article(self, article: Article) -> IntakeSummary:
        item = article.to_feed_item()
        identity = item.link or _digest(_normalised(item.title), _normalised(item.text))
        key = f"item:import:{_digest(identity)}"
        seen = ItemSeen(key=key, stream=IMPORT_STREAM, data={
            "source": "import", "file": article.path.name, "title": item.title,
            "link": item.link, "published": item.published, "language": item.language,
        })
        drafts = [draft_from(c, item, key, i) for i, c in enumerate(self.extract(item))]
        result = self.app.timeline.intake([seen], drafts, self.app.settings.review.auto_accept)
        if not drafts and not result.duplicates:
            result.errors.append(
                f"{article.path}: no event found: an event needs a registered company, what "
                "happened (a plant, a deal ...) and when, in one sentence; add it with "
                "`timeline add` if the text has it")
        return result

    # -- company notes ----------------------------------------------------------------

    def _note_company(self, note: CompanyNote) -> tuple[str, CompanySpec | None]:
        """The note's company: one the registry knows, or the one the note registers."""
        queries = self.app.queries
        for name in [note.company_id, note.name, *note.aliases]:
            if name and (found := queries.find_company(name)):
                return queries.survivor(found), None
        slug = re.sub(r"[^a-z0-9]+", "-", note.name.casefold()).strip("-")[:64] or _digest(note.name)
        try:
            spec = CompanySpec(id=slug, name=note.name, aliases=note.aliases, country=note.country)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise DocumentError(f"{note.path}: cannot register company {note.name!r}: {where}: "
                                f"{validation_message(first)}; nothing of the file was imported") from None
        return slug, spec

    def _check_aliases(self, note: CompanyNote) -> None:
        """Refuse the note before anything is written when an alias belongs to another company."""
        queries = self.app.queries
        known = next((found for name in [note.company_id, note.name, *note.aliases]
                      if name and (found := queries.find_company(name))), None)
        company = queries.survivor(known) if known else None
        for alias in note.aliases:
            try:
                company_name("alias", alias)
            except InputError as exc:
                raise DocumentError(f"{note.path}: {exc.message}; nothing of the file was "
                                    "imported") from None
            owner = queries.find_company(alias)
            if owner is not None and queries.survivor(owner) != company:
                raise DocumentError(f"{note.path}: alias {alias!r} already belongs to {owner!r}; "
                                    "nothing of the file was imported")

    def _planned_company(self, note: CompanyNote) -> _NoteCompany:
        """The note's company, what registers it or gives it the note's new aliases (to go
        first in the note's batch), and its names, for extraction to know them already."""
        self._check_aliases(note)
        company, spec = self._note_company(note)
        try:
            first = (self.app.timeline.registration(spec) if spec is not None
                     else self.app.timeline.new_aliases(company, note.aliases))
        except InputError as exc:
            raise DocumentError(f"{note.path}: {exc.message}; nothing of the file was "
                                "imported") from None
        if spec is not None:
            return _NoteCompany(company, first, spec.name, list(spec.aliases), registered=True)
        added = [str(record.data["alias"]) for record in first]
        return _NoteCompany(company, first, self.app.queries.registry().name(company), added,
                            registered=False)

    def _note(self, note: CompanyNote) -> IntakeSummary:
        company = self._planned_company(note)
        extract = self._extractor_factory(
            [{"id": company.id, "name": company.name, "aliases": company.aliases}])
        summary = IntakeSummary()
        # New aliases change what every later article is read as: say so.
        if company.aliases and not company.registered:
            summary.errors.append(f"{note.path}: {company.id} is now also known as "
                                  f"{', '.join(map(repr, company.aliases))}")
        # The name the note calls the company by, when the registry knows it by that name.
        found = self.app.queries.find_company(note.name)
        named = company.registered or (found is not None
                                       and self.app.queries.survivor(found) == company.id)
        subject = note.name if named else company.name
        items, drafts = [], []
        for row in note.history:
            key = f"note:{company.id}:{row.date}:{_digest(_normalised(row.text))}"
            zh = bool(_CJK.search(row.text))
            draft = None
            for sentence in _history_sentences(subject, row.date, row.text, zh):
                # The row is the body; as the headline too, extraction would take the one
                # sentence for a lead repeating its headline and read a weak cue nowhere.
                item = FeedItem(feed=f"import:{note.path.name}", title=subject, text=sentence,
                                language="zh" if zh else note.language)
                draft = self._history_draft(extract, company.id, row.text, str(row.date),
                                            row.date.note, item, key)
                if draft is not None:
                    break
            if draft is None:
                summary.errors.append(f"{note.path}:{row.line}: no event type recognised in "
                                      f"{row.text!r}; add it with `timeline add`")
                continue
            items.append(ItemSeen(key=key, stream=IMPORT_STREAM, data={
                "source": "import", "file": note.path.name, "line": row.line, "text": row.text}))
            drafts.append(draft)
        # One batch: the company, its new names and its history, all of it or none.
        result = self.app.timeline.intake(items, drafts, self.app.settings.review.auto_accept,
                                          first=company.first)
        if company.first:
            self._extractor = None  # later files are read with the names it gave
        result.errors[:0] = summary.errors
        return result

    @staticmethod
    def _history_draft(extract: Extractor, company: str, text: str, date: str,
                       note: str | None, item: FeedItem, key: str) -> Draft | None:
        candidates = extract(item)
        if not candidates:
            return None
        candidate = candidates[0]
        mentions = [m for m in candidate.companies if m.exact]
        if all(m.company != company for m in mentions):
            role = SUBJECT_ROLE[candidate.type]
            taken = {m.role for m in mentions}
            if role in taken and candidate.type == "acquisition":
                role = "seller" if "target" in taken else role
            mentions.append(CompanyMention(company=company, role=role, alias=company))
        candidate = candidate.model_copy(update={"companies": mentions, "title": text})
        draft = draft_from(candidate, item, key, 0)
        draft.event["date"], draft.event["date_note"] = date, note
        draft.source["quote"] = text
        return draft

    # -- JSON and CSV of events -------------------------------------------------------

    def _events(self, batch: EventBatch, path: Path) -> IntakeSummary:
        # Before, a row without an id was known by the file's digest and its place in it:
        # those keys still mark rows imported then (a file imported again unchanged).
        legacy = _digest(path.read_bytes().hex())
        records: list[NewRecord] = []
        summary = IntakeSummary(items=len(batch.events))
        for row in batch.events:
            try:
                payload, identity = self._row_payload(row)
            except InputError as exc:
                raise DocumentError(f"{path}: line {row.line}: {exc.message}; "
                                    "nothing of the file was imported") from None
            stream = ev.stream_of(payload["id"])
            if (self.app.store.stream_version(stream) or self.app.store.has_key_in(
                    self.app.db.conn, f"import:{legacy}:{row.index}")):
                summary.duplicates += 1
                if row.id is not None and self._differs(payload, row.retracted):
                    summary.errors.append(
                        f"{path}:{row.line}: {row.id} is in the log already and this row says "
                        f"something else; it was not imported (`timeline correct {row.id}` "
                        "changes the event)")
                continue
            records.append(NewRecord(
                stream=stream, kind=ev.REPORTED, data=payload, schema=current_schema(ev.REPORTED),
                meta=self.app.timeline.meta(file=path.name, line=row.line),
                key=f"import:{identity}",
                refs=tuple(c["company"] for c in payload["companies"]),
            ))
            if row.retracted:
                records.append(NewRecord(
                    stream=stream, kind=ev.RETRACTED, key=f"import:{identity}:retracted",
                    data={"reason": row.retraction_reason or "retracted in the imported file"},
                    meta=self.app.timeline.meta(file=path.name, line=row.line),
                ))
        result = self.app.timeline.append(records)
        summary.duplicates += len([k for k in result.skipped_keys if not k.endswith(":retracted")])
        summary.accepted = len([r for r in result.written if r.kind == ev.REPORTED])
        summary.new_items = summary.accepted
        return summary

    def _differs(self, payload: dict[str, Any], retracted: bool) -> bool:
        """Whether the event already in the log under this row's id says something else
        than the row (an export edited and imported again: the edit is not applied)."""
        state = self.app.timeline.load_event(payload["id"])
        # The log keeps the companies as the event named them; the row names them as they
        # are now (an export writes `aesc:target (envision)` once envision was merged).
        state["companies"] = [{**c, "company": self.app.timeline.company_id(c["company"])}
                              for c in state.get("companies", [])]
        urls = {s.get("url") for s in state.get("sources", [])}
        payload, state = _compared(payload), _compared(state)
        return (any(_plain(payload.get(key)) != _plain(state.get(key)) for key in _COMPARED)
                or retracted != bool(state.get("retracted"))
                or not {s.get("url") for s in payload.get("sources", [])} <= urls)

    def _check_row(self, row: EventRow) -> list[InputError]:
        """What only the registry can refuse (a company it does not know, a role), asked
        while the file is read, so that its problems come with the file's own: each
        company on its own, so that a row naming two wrong ones has both named."""
        data = row.event_data()
        etype = ev.event_type(data["type"])
        problems: list[InputError] = []
        resolved: list[dict[str, str]] = []
        for company in data["companies"]:
            try:
                resolved += self.app.timeline.resolve_companies(
                    etype, [(company["company"], company["role"])])
            except InputError as exc:
                problems.append(exc)
        if not problems:
            try:
                ev.check_parties(etype, resolved)
            except InputError as exc:
                problems.append(exc)
        return problems

    def _row_payload(self, row: EventRow) -> tuple[dict[str, Any], str]:
        """The row's `event.reported` payload, and its identity (`_row_identity`)."""
        data = row.event_data()
        etype = ev.event_type(data["type"])
        data["companies"] = self.app.timeline.resolve_companies(
            etype, [(c["company"], c["role"]) for c in data["companies"]])
        clean = validate_draft(data)
        identity = _row_identity(data)
        return ({**clean, "id": data.get("id") or f"ev-{identity[:10]}",
                 "sources": data.get("sources", [])}, identity)
