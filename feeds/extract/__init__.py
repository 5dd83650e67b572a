"""Language-aware extraction: from one article to the happenings it reports.

    extract(item, index) -> list[Candidate]

Pure Python, Chinese and English, no models. The article (title, then text) is read once
by each finder — sentences and clauses, company mentions (`feeds.aliases.AliasIndex`),
trigger words of every event type, dates, sums of money, capacities, places — and what
they found is bucketed by sentence. Each sentence with a trigger and a company becomes
one draft per type it reports (`feeds.extract.drafts`); drafts about the same happening
are merged (`feeds.extract.merge`); each survivor is scored (`feeds.extract.scoring`) and
frozen into a `feeds.types.Candidate` whose typed fields validate against the type.

An article that recounts history yields events at the dates it gives ("2018年8月，远景收购
…" is a 2018-08 acquisition in an article of 2019); only a happening the text leaves
undated takes the publication day, and a target ("到2030年") is never taken for a
happening.
"""

from __future__ import annotations

import bisect
import functools
import re
import weakref
from collections.abc import Callable, Sequence
from datetime import date
from operator import attrgetter
from typing import TypeVar

from feeds.aliases import AliasIndex, AliasMatch
from feeds.extract.dates import published_date
from feeds.extract.context import SentenceContext
from feeds.extract.drafts import Draft, drafts_for_sentence, suggestions_for
from feeds.extract.merge import merge_drafts
from feeds.extract.phrases import Sites
from feeds.extract.roles import government_kind
from feeds.extract.scoring import score
from feeds.extract.text import Sentence, detect_language, split_sentences
from feeds.extract.titles import title_for
from feeds.extract.triggers import Trigger, scan_phrases
from feeds.types import Candidate, CompanyMention, FeedItem
from timeline.events import EVENT_TYPES, validate_typed_fields

__all__ = ["extract", "AliasIndex"]

_T = TypeVar("_T")
_MAX_QUOTE = 600
# The most companies one proposal names, the first ones the sentence names: a happening
# has a few parties, and a sentence listing hundreds (a ranking, or text written to flood
# the review queue) would otherwise make a proposal, and a title, of every one.
_MAX_PARTIES = 12


def _article(item: FeedItem) -> str:
    """Title and text as one document; the title stands on its own line."""
    title = " ".join(item.title.split())
    body = item.text or ""
    if title and not _repeats(body.lstrip(), title):
        return f"{title}\n{body}"
    return body


# What ends a title that the body repeats as its first line or sentence.
_TITLE_END = frozenset("\n\r.!?。！？:：|-–—")


def _repeats(body: str, title: str) -> bool:
    """Whether `body` opens with `title` as a line or sentence of its own: a headline
    "Voltwerk" does not make "Voltwerk opened a 4 GWh factory…" a headline too."""
    if not body.startswith(title):
        return False
    after = body[len(title):len(title) + 1]
    return not after or after in _TITLE_END or title[-1] in _TITLE_END


_START = attrgetter("start")


def _bucket(items: Sequence[_T], start_of: Callable[[_T], int], starts: list[int],
            sentences: list[Sentence]) -> list[list[_T]]:
    """Items grouped by the sentence their start falls in (items between sentences dropped)."""
    buckets: list[list[_T]] = [[] for _ in sentences]
    for entry in items:
        offset = start_of(entry)
        index = bisect.bisect_right(starts, offset) - 1
        if index >= 0 and offset < sentences[index].end:
            buckets[index].append(entry)
    return buckets


class _Government:
    """Which registered companies are government bodies, decided once per index."""

    def __init__(self, index: AliasIndex) -> None:
        self._index = index
        self._kinds: dict[str, str | None] = {}

    def __call__(self, mention: AliasMatch) -> str | None:
        cid = mention.company
        if cid not in self._kinds:
            names = [self._index.name_of(cid), *self._index.aliases_of(cid)]
            self._kinds[cid] = government_kind(names)
        kind = self._kinds[cid]
        if kind is None:
            return None
        return government_kind([mention.alias]) or kind


_GOVERNMENTS: weakref.WeakKeyDictionary[AliasIndex, _Government] = weakref.WeakKeyDictionary()


def _government_for(index: AliasIndex) -> _Government:
    cached = _GOVERNMENTS.get(index)
    if cached is None:
        cached = _GOVERNMENTS[index] = _Government(index)
    return cached


def extract(item: FeedItem, index: AliasIndex) -> list[Candidate]:
    """The happenings `item` reports, one candidate each, in the order the article gives them."""
    text = _article(item)
    if not text or text.isspace():
        return []
    triggers, cue_sites = scan_phrases(text)
    if not triggers:
        return []
    mentions = index.find(text)
    if not mentions:
        return []
    language = detect_language(text, item.language)
    published = published_date(item.published)
    sentences = split_sentences(text)
    headline = bool(item.title.strip()) and _repeats(text, " ".join(item.title.split()))
    drafts = _drafts(text, sentences, triggers, mentions, language == "zh", published, index, headline, cue_sites)
    return [c for c in (_candidate(d, index, language) for d in merge_drafts(drafts)) if c is not None]


def _drafts(text: str, sentences: list[Sentence], triggers: list[Trigger], mentions: list[AliasMatch],
            zh: bool, published: date | None, index: AliasIndex, headline: bool, cue_sites: Sites) -> list[Draft]:
    starts = [s.start for s in sentences]
    by_trigger = _bucket(triggers, _START, starts, sentences)
    by_mention = _bucket(mentions, _START, starts, sentences)
    inherited = _anaphora(text, sentences, by_trigger, by_mention)
    busy = [i for i in range(len(sentences)) if by_trigger[i] and (by_mention[i] or inherited.get(i))]
    if not busy:
        return []
    government = _government_for(index)

    def read(i: int) -> list[Draft]:
        sentence = sentences[i]
        ctx = SentenceContext(
            text=text, sentence=sentence, zh=zh or bool(_HAN.search(sentence.text)),
            published=published, mentions=inherited.get(i, []) + by_mention[i], triggers=by_trigger[i],
            government=government, suggest=index.suggest,
            anaphora=bool(inherited.get(i)), headline=headline and i == 0, cue_sites=cue_sites,
        )
        return drafts_for_sentence(ctx)

    title_first = headline and busy[0] == 0
    drafts: list[Draft] = []
    seen: dict[str, list[Draft]] = {}
    for i in busy[1:] if title_first else busy:
        repeated = seen.get(sentences[i].text)
        if repeated is not None:  # a lead paragraph printed twice: support, not news
            for draft in repeated:
                draft.evidence.sentences += 1
            continue
        seen[sentences[i].text] = found = read(i)
        drafts.extend(found)
    if title_first and not _headline_repeats(by_trigger[0], by_mention[0], drafts):
        drafts = read(0) + drafts
    return drafts


def _headline_repeats(triggers: list[Trigger], mentions: list[AliasMatch], drafts: list[Draft]) -> bool:
    """True when the body already reports everything the headline does (same types, same
    companies): the headline then only adds its support to those drafts, unread. Most
    feed items are a headline and a sentence that says it again at length."""
    companies = {m.company for m in mentions}
    supported: list[Draft] = []
    for kind in {t.type for t in triggers}:
        same = next((d for d in drafts if d.type == kind and d.company_ids & companies), None)
        if same is None and any(t.type == kind and t.strong for t in triggers):
            return False
        if same is not None:
            supported.append(same)
    for draft in supported:
        draft.evidence.sentences += 1
    return True


_HAN = re.compile(r"[\u4e00-\u9fff]")
_OPENING = re.compile(
    r"\s*(?:the\s+(?:company|group|firm|carmaker|automaker|battery\s+maker|start-?up)|it|its)\b"
    r"|\s*the\s+(?:[\w£$€.,-]+\s+){0,4}?(?:plant|factory|gigafactory|project|site|facility)\b"
    r"|\s*(?:该公司|该项目|该工厂|该厂|该基地|这座工厂|新工厂|工厂|项目|公司|其)", re.I)
# The characters `_OPENING` can start with (after spaces): a cheap first test.
_OPENING_START = re.compile(r"\s*[ti该这新工项公其]", re.I)
# ... and the same characters as a set (with the two that IGNORECASE equates with "i"),
# cheaper still for a clause that opens with none of them nor a space (most do).
_OPENING_FIRST = frozenset("tTiI\u0130\u0131该这新工项公其")


def _opens_with_reference(text: str, start: int) -> bool:
    """`_OPENING.match(text, start)`: the clause at `start` opens with "the company",
    "该工厂" and the like."""
    first = text[start]
    return ((first in _OPENING_FIRST or first.isspace()) and _OPENING_START.match(text, start) is not None
            and _OPENING.match(text, start) is not None)


_ANYWHERE = re.compile(
    r"\bthe\s+(?:company|group|carmaker|automaker|battery\s+maker|firm)\b|该公司|该项目|该工厂|公司表示", re.I)
_PLURAL = re.compile(r"^\s*(?:the\s+two\s+(?:companies|firms|groups)|both\s+companies)\b|双方|两家公司", re.I)


def _plural(sentence: str) -> bool:
    """`_PLURAL.search(sentence)`, searched only when the sentence opens with a "t" or a
    "b" or holds one of the Chinese words: most sentences are told apart by one look."""
    return ((sentence.lstrip()[:1] in _PLURAL_FIRST or "双方" in sentence or "两家公司" in sentence)
            and _PLURAL.search(sentence) is not None)


_PLURAL_FIRST = frozenset("tTbB")  # (none of the letters IGNORECASE equates with another)


def _anaphora(text: str, sentences: list[Sentence], by_trigger: list[list[Trigger]],
              by_mention: list[list[AliasMatch]]) -> dict[int, list[AliasMatch]]:
    """Companies for sentences that name them as "the company" / "该工厂" / "双方".

    A sentence that opens with such a phrase ("The plant will supply…", "The company,
    founded in 2016, …") or names no company but says "the company said" takes its subject
    from the nearest of the three sentences before that names a company: its first name,
    or the pair it joins with 与/和/and for "双方" / "the two companies". The inherited name
    stands at the start of the sentence, where the phrase stood, with no text of its own.
    """
    inherited: dict[int, list[AliasMatch]] = {}
    for i, sentence in enumerate(sentences):
        if not by_trigger[i]:
            continue
        opening = any(_opens_with_reference(text, start) for start, _ in sentence.clauses)
        if by_mention[i] and not opening:
            continue
        plural = _plural(sentence.text)
        if not (plural or opening or (any(t.strong for t in by_trigger[i]) and _ANYWHERE.search(sentence.text))):
            continue
        for j in range(i - 1, max(-1, i - 4), -1):
            if by_mention[j]:
                sources = _joined_pair(text, by_mention[j]) if plural else by_mention[j][:1]
                if sources:
                    inherited[i] = [AliasMatch(m.company, m.alias, sentence.start, sentence.start) for m in sources]
                break
    return inherited


_JOINED = re.compile(r"^\s*(?:又|还|已|将)?\s*(?:与|和|同|跟|及|and|with|&)\s*$", re.I)


def _joined_pair(text: str, mentions: list[AliasMatch]) -> list[AliasMatch]:
    """The two names "双方" refers to: a pair joined by 与/和/and in the sentence before."""
    for first, second in zip(mentions, mentions[1:]):
        if first.company != second.company and _JOINED.match(text[first.end:second.start]):
            return [first, second]
    return []


def _quote(draft: Draft) -> str:
    """The sentence, verbatim; a run-on "sentence" (a paragraph without stops) is cut at
    the last clause boundary before `_MAX_QUOTE` characters, still verbatim."""
    quote = draft.quote
    if len(quote) <= _MAX_QUOTE:
        return quote
    cut = max(quote.rfind(mark, 0, _MAX_QUOTE) for mark in "，,；;：:")
    return quote[:cut + 1] if cut > _MAX_QUOTE // 2 else quote[:_MAX_QUOTE]


@functools.lru_cache(maxsize=4096)
def _mention(company: str, role: str, alias: str, exact: bool) -> CompanyMention:
    """A company in a role, one instance per value (frozen; the same names in the same roles
    come back in article after article, and validating each anew is a cost of its own)."""
    return CompanyMention(company=company, role=role, alias=alias, exact=exact)


def _candidate(draft: Draft, index: AliasIndex, language: str) -> Candidate | None:
    etype = EVENT_TYPES[draft.type]
    draft.roles = [(m, r) for m, r in draft.roles if r in etype.roles][:_MAX_PARTIES]
    companies = [_mention(m.company, r, m.alias, True) for m, r in draft.roles]
    suggestions = [_mention(m.company, r, m.alias, False)
                   for m, r in suggestions_for(draft) if r in etype.roles][:_MAX_PARTIES]
    fields = validate_typed_fields(etype, draft.fields)
    if draft.date is None or not companies:
        return None
    status = "announced" if draft.date_is_target else draft.status
    return Candidate(
        type=draft.type,
        title=title_for(draft, index),
        date=draft.date,
        date_is_target=draft.date_is_target,
        status=status,
        companies=companies,
        amounts=draft.amounts,
        capacity_gwh=draft.capacity_gwh,
        fields=fields,
        location=draft.location,
        quote=_quote(draft),
        language=language,
        confidence=score(draft.evidence, rumored=status == "rumored"),
        suggestions=suggestions,
    )

