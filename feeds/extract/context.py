"""One sentence as extraction reads it: its text in the article, its company mentions and
trigger words, and — looked for only when needed — its dates, sums, capacities and places.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from feeds.aliases import AliasMatch
from feeds.extract import figures
from feeds.extract.dates import DateMention, find_dates
from feeds.extract.lazy import cached
from feeds.extract.phrases import Sites
from feeds.extract.places import PlaceMention, find_places
from feeds.extract.text import Sentence
from feeds.extract.triggers import Cue, Trigger, find_cues
from timeline.quantities import Amount

__all__ = ["SentenceContext"]


@dataclass
class SentenceContext:
    """Everything found in one sentence, with the article around it."""

    text: str
    sentence: Sentence
    zh: bool
    published: date | None
    mentions: list[AliasMatch]
    triggers: list[Trigger]
    government: Callable[[AliasMatch], str | None]
    suggest: Callable[[str, int, int], list[AliasMatch]]  # fuzzy mentions in text[start:end]
    anaphora: bool = False   # the mentions were inherited from an earlier sentence
    headline: bool = False   # the sentence is the article's title
    fuzzy: list[AliasMatch] | None = None   # the sentence's suggestions, once asked for
    cue_sites: Sites | None = None   # where the article's status cues can stand (`scan_phrases`)

    # Dates, figures and places are looked for only in sentences whose triggers survive the
    # role checks: most sentences with a trigger word report nothing.

    @cached
    def dates(self) -> list[DateMention]:
        s = self.sentence
        return find_dates(self.text, s.start, s.end, [c[0] for c in s.clauses], self.published)

    @cached
    def money(self) -> list[tuple[re.Match[str], Amount]]:
        return figures.money_in(self.text, self.sentence.start, self.sentence.end)

    @cached
    def capacities(self) -> list[tuple[re.Match[str], float]]:
        return figures.capacities_in(self.text, self.sentence.start, self.sentence.end)

    @cached
    def cues(self) -> list[Cue]:
        return find_cues(self.text, self.sentence.start, self.sentence.end, self.cue_sites)

    @cached
    def places(self) -> list[PlaceMention]:
        return find_places(self.text, self.sentence.start, self.sentence.end)

    def nearest_type(self, start: int, triggers: list[Trigger], eligible: set[str] | None = None) -> str | None:
        """The type of the trigger nearest to `start`, a clause boundary counting as 200
        characters. Every occurrence counts ("a 100 GWh factory" is near "factory" even when the
        sentence's first factory word is elsewhere)."""
        best: tuple[int, str] | None = None
        clause = self.sentence.clause_of(start)
        for trigger in triggers:
            if eligible is not None and trigger.type not in eligible:
                continue
            distance = min(abs(start - trigger.start), abs(start - trigger.end))
            if clause != self.sentence.clause_of(trigger.start):
                distance += 200
            if best is None or distance < best[0]:
                best = (distance, trigger.type)
        return best[1] if best else None
