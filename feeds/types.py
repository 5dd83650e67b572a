"""What flows between the stages of the feed pipeline.

These are internal transfer objects, named for their purpose; the JSON shapes users see
are built by `timeline.replay.render`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from timeline.dates import PartialDate
from timeline.quantities import Amount


class FeedItem(BaseModel):
    """One entry of a parsed feed (or one imported article), as plain text."""

    model_config = ConfigDict(frozen=True)

    feed: str                          # the feed's name, or "import:<file name>"
    guid: str | None = None
    link: str | None = None
    title: str = ""
    text: str = ""                     # summary/content with markup removed
    published: str | None = None       # ISO 8601 UTC, when the item says
    language: str | None = None        # "zh" or "en" when known
    author: str | None = None
    tags: list[str] = Field(default_factory=list)


class CompanyMention(BaseModel):
    model_config = ConfigDict(frozen=True)

    company: str                       # a registered company id
    role: str                          # a role of the candidate's type
    alias: str                         # the text that matched
    exact: bool = True                 # False: a fuzzy suggestion, never auto-accepted


class Candidate(BaseModel):
    """An event extraction found in one text: the stuff of a proposal."""

    model_config = ConfigDict(frozen=True)

    type: str
    title: str
    date: PartialDate
    date_is_target: bool = False       # "by 2030": a goal, not something that happened
    status: str = "announced"
    companies: list[CompanyMention]
    amounts: list[Amount] = Field(default_factory=list)
    capacity_gwh: float | None = None
    fields: dict[str, Any] = Field(default_factory=dict)   # the type's own fields, JSON form
    location: dict[str, str] = Field(default_factory=dict) # country (ISO 3166), region, city
    quote: str                         # the sentence it came from
    language: str | None = None
    confidence: float = Field(ge=0, le=1)
    suggestions: list[CompanyMention] = Field(default_factory=list)  # fuzzy, for review
