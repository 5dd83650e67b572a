"""Companies: stable ids, names and aliases in every script they are written in.

The same company is written `AESC`, `ＡＥＳＣ`, `aesc`, `远景动力` and `遠景動力`. Lookup keys
fold the differences that never change meaning — letter case, full/half width, traditional
and simplified Chinese characters, runs of spaces — and nothing more: "GM" and "GMC" stay
apart. Companies are registered, renamed, aliased and merged through records like events.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from timeline.chinese import simplified
from timeline.records import Record

COMPANY_STREAM_PREFIX = "company-"
REGISTERED = "company.registered"
ALIASED = "company.aliased"
RENAMED = "company.renamed"
MERGED = "company.merged"
COMPANY_KINDS = (REGISTERED, ALIASED, RENAMED, MERGED)

CompanyId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]

_SPACES = re.compile(r"\s+")


class CompanySpec(BaseModel):
    """A company as config.toml and `companies add` declare it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: CompanyId
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    aliases: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list
    )
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


def lookup_key(text: str) -> str:
    """The form under which names are compared: NFKC, casefolded, simplified Chinese."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _SPACES.sub(" ", folded).strip()
    return simplified(folded)


def stream_of(company_id: str) -> str:
    return COMPANY_STREAM_PREFIX + company_id


def names_of(state: dict[str, Any]) -> list[str]:
    """Every name a company answers to: its id, its name, former names and aliases."""
    return list(dict.fromkeys([state["id"], state["name"], *state["former_names"], *state["aliases"]]))


def fold_company(state: dict[str, Any] | None, record: Record) -> dict[str, Any] | None:
    """One step of a company's history. Pure: the input state is never modified."""
    kind, data = record.kind, record.data
    if kind == REGISTERED:
        return {
            "id": data["id"], "name": data["name"], "country": data.get("country"),
            "aliases": list(data.get("aliases", [])), "former_names": [],
            "merged_into": None, "absorbed": [], "registered_at": record.recorded_at,
        }
    if state is None:
        return None
    state = dict(state)
    if kind == ALIASED:
        state["aliases"] = [*state["aliases"], data["alias"]]
    elif kind == RENAMED:
        state["former_names"] = [*state["former_names"], state["name"]]
        state["name"] = data["name"]
    elif kind == MERGED:
        state["merged_into"] = data["into"]
    return state
