"""What a document becomes: neutral, validated objects that know nothing of the log.

`read_document` returns one of three things, and the importer decides what to append:

- an `Article` (Markdown, HTML or plain text) goes through the same extraction as a feed
  item, so it offers `to_feed_item`;
- a `CompanyNote` (a Markdown note about one company) carries the company's names and the
  rows of its History table, each with a date that keeps its precision;
- an `EventBatch` (JSON or CSV) carries events a curator already structured; every row was
  validated against the event types, but company ids are kept as written because only the
  importer, holding the registry, can resolve them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from feeds.types import FeedItem
from timeline.dates import PartialDate
from timeline.events import Status
from timeline.quantities import Amount


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Article(_Frozen):
    """A piece of prose to run extraction on: the text with its markup removed."""

    path: Path
    title: str
    date: PartialDate | None = None        # the date the document gives, at its precision
    published: str | None = None           # ISO 8601 UTC ("2019-01-02T12:23:20Z"), when known
    author: str | None = None
    publisher: str | None = None           # front matter `publisher`, or a `source` that is no URL
    tags: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    language: str | None = None            # "zh", "en", ... (primary subtag)
    url: str | None = None
    text: str = ""
    front_matter: dict[str, Any] = Field(default_factory=dict)  # JSON-safe copy

    def to_feed_item(self, feed_name: str | None = None) -> FeedItem:
        """The article as the extraction stage expects any feed entry.

        The feed name defaults to `import:<file name>` (see `FeedItem.feed`). No guid is
        invented: identification falls back to the link, then to a hash of the text, exactly
        as for feeds, so importing the same article twice is recognised as the same item.
        """
        return FeedItem(
            feed=feed_name or f"import:{self.path.name}",
            guid=None,
            link=self.url,
            title=self.title,
            text=self.text,
            published=self.published,
            language=self.language,
            author=self.author,
            tags=list(self.tags),
        )


class HistoryRow(_Frozen):
    """One row of a company note's History table."""

    line: int                              # physical line in the file, from 1
    date: PartialDate                      # precision as written; qualifiers in `date.note`
    date_text: str                         # the date cell as written, markup removed
    text: str                              # the event cell(s), markup removed


class NoteTable(_Frozen):
    """Any Markdown table of a note, kept as rows of {header: cell} in plain text."""

    heading: str | None                    # the section heading the table sits under
    line: int                              # line of the header row
    columns: list[str]
    rows: list[dict[str, str]]


class CompanyNote(_Frozen):
    """A Markdown note about one company (see `feeds.documents.notes` for the rule)."""

    path: Path
    name: str
    company_id: str | None = None          # front matter `id` / `company_id`, unresolved
    aliases: list[str] = Field(default_factory=list)
    country: str | None = None
    tags: list[str] = Field(default_factory=list)
    language: str | None = None
    url: str | None = None
    history: list[HistoryRow] = Field(default_factory=list)
    tables: list[NoteTable] = Field(default_factory=list)   # every table, History included
    text: str = ""
    front_matter: dict[str, Any] = Field(default_factory=dict)


class CompanyRole(_Frozen):
    company: str                           # as written: an id or an alias, resolved later
    role: str                              # a role of the event's type
    name: str | None = None                # display name, when an export carried one


class EventSource(BaseModel):
    """Evidence for an event: what a source of an export holds, and nothing else (the
    log keeps whatever it is given forever)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str | None = None
    published: str | None = None           # ISO 8601 UTC
    quote: str | None = None
    publisher: str | None = None
    language: str | None = None
    confidence: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    figures: dict[str, Any] | None = None  # what the source said, as extraction read it

    @field_validator("confidence", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number from 0 to 1, not true or false")
        return value


class EventRow(_Frozen):
    """One validated event of a batch, in the vocabulary of `timeline.events`."""

    line: int                              # CSV: physical line (header = 1); JSON: line of `{`
    index: int                             # position in the batch, from 0
    id: str | None = None
    type: str
    date: PartialDate
    status: Status = "announced"
    title: str
    summary: str | None = None
    companies: list[CompanyRole] = Field(default_factory=list)
    amounts: list[Amount] = Field(default_factory=list)
    capacity_gwh: float | None = None
    location: dict[str, str] = Field(default_factory=dict)   # country (ISO 3166), region, city
    fields: dict[str, Any] = Field(default_factory=dict)     # the type's own fields, JSON form
    sources: list[EventSource] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    retracted: bool = False                # an export made with --include-retracted says so
    retraction_reason: str | None = None

    def event_data(self) -> dict[str, Any]:
        """The payload of an `event.reported` record, as `timeline.events.new_state` reads it.

        Company ids are still as written: the importer replaces them once resolved.
        """
        data: dict[str, Any] = {
            "type": self.type,
            "date": str(self.date),
            "date_note": self.date.note,
            "status": self.status,
            "title": self.title,
            "summary": self.summary,
            "companies": [{"company": c.company, "role": c.role} for c in self.companies],
            "amounts": [a.model_dump(mode="json") for a in self.amounts],
            "capacity_gwh": self.capacity_gwh,
            "location": dict(self.location),
            "fields": dict(self.fields),
            "sources": [s.model_dump(mode="json", exclude_none=True) for s in self.sources],
            "tags": list(self.tags),
        }
        if self.id is not None:
            data["id"] = self.id
        return data


class EventBatch(_Frozen):
    """Every event of a JSON or CSV file; a batch exists only if all its rows are valid."""

    path: Path
    format: str                            # "json" or "csv"
    events: list[EventRow] = Field(default_factory=list)


Document = Article | CompanyNote | EventBatch
