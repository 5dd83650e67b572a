"""A sentence read around one trigger: which company names come before and after it, and
the little words that say what each name is to the verb.

Extraction has no parser, but news sentences about deals are formulaic, and the little
words around a company name say most of what a parser would:

* a *marker* before a name: "from Nissan" / "从日产" (a source: the seller, the supplier),
  "by Envision" / "被远景" / "由…" (the agent of a passive), "to Envision" / "卖给远景" / "向"
  (a recipient), "for BMW" / "为宝马" (a beneficiary: the customer), "with CATL" / "与宁德时代"
  (a counterpart), "in Gotion" / "对…" (the object of an investment or a stake), "of AESC"
  (the object of a noun: "acquisition of"), "将/把" (the object placed before a Chinese verb),
  "and" (the same role as the name before);
* an *owner* after a name: "Nissan's" / "日产汽车旗下" / "日产汽车的" (the parent of what
  follows: the seller when its unit is bought);
* the *agent* (see `agent`) and the *patient* (see `patient`) of the trigger's verb.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from feeds.aliases import AliasMatch
from feeds.extract.lazy import AnyWord, cached, for_lowered, lowered
from feeds.extract.text import Sentence
from feeds.extract.triggers import Trigger

__all__ = ["Frame", "agent", "patient", "conj_chain", "marked", "english_marker", "chinese_marker"]

# Marker words, and the marker they are. A marker counts when at most three words stand
# between it and the name ("from Japanese carmaker Nissan"); the nearest one wins.
_MARKS_EN = {
    "by": "by", "from": "from", "to": "to", "onto": "to", "for": "for", "with": "with",
    "alongside": "with", "between": "with", "in": "in", "into": "in", "of": "of", "at": "of",
    "including": "of", "like": "of", "than": "of", "over": "of", "against": "of", "via": "of",
    "through": "of", "among": "of", "and": "and", "&": "and", "or": "and", "as": "as",
}
_PAIRS_EN = {("led", "by"): "by", ("sold", "by"): "from", ("such", "as"): "of", ("well", "as"): "and"}
_TOKEN_EN = re.compile(r"[\w'’.&-]+")
# Chinese marker characters: the nearest within six characters before the name, with no
# punctuation between ("又与红杉资本中国基金" → with; "将把旗下电池业务AESC" → ba).
_MARKS_ZH = {
    "被": "by", "由": "by", "从": "from", "自": "from", "给": "to", "予": "to", "向": "to",
    "为": "for", "与": "with", "和": "with", "同": "with", "跟": "with", "及": "with", "、": "with",
    "对": "in", "将": "ba", "把": "ba",
}
_STOPS_ZH = frozenset("，。；,;：:")


_YEAR = re.compile(r"(?:19|20)\d\d")


def english_marker(left: str) -> str | None:
    """The marker of the words before a name, read backwards over the last four words."""
    if not left[-1:].isspace():
        return None  # "unit (AESC)": the name does not follow a word
    start = max(0, len(left) - 48)
    # A marker does not reach over a clause's end, nor over a year that ends its phrase:
    # in "In May 2023, CATL opened…" and "In 2023 CATL opened…" CATL is the subject.
    start = max(start, *(left.rfind(mark, start) + 1 for mark in ",;:"))
    words = [w.lower() for w in _TOKEN_EN.findall(left, start)[-4:]]
    for k in range(len(words) - 1, -1, -1):
        if _YEAR.fullmatch(words[k]):
            return None
        if k and (words[k - 1], words[k]) in _PAIRS_EN:
            return _PAIRS_EN[(words[k - 1], words[k])]
        if words[k] in _MARKS_EN:
            return _MARKS_EN[words[k]]
    return None


def chinese_marker(left: str) -> str | None:
    """The marker character nearest before a name, within seven characters."""
    for ch in reversed(left[-7:]):
        if ch in _STOPS_ZH:
            return None
        if ch in _MARKS_ZH:
            return _MARKS_ZH[ch]
    return None


_LATIN = re.compile(r"[A-Za-z]{2}")
_OWNER_EN = re.compile(r"^\s*(?:'s|’s|')\s")
_OWNER_ZH = re.compile(r"^\s*(?:旗下|下属|所持|持有的|手中的|子公司|的)")
# The characters either pattern can see first after the spaces: nearly every name is
# followed by something else, told by one look instead of two searches.
_OWNER_FIRST = frozenset("'’旗下所持手子的")


def _owner_words(tail: str) -> bool:
    """`_OWNER_EN.match(tail) or _OWNER_ZH.match(tail)`: the words after a name make it
    the owner of what follows ("Nissan's", "日产汽车旗下")."""
    return tail.lstrip()[:1] in _OWNER_FIRST and bool(_OWNER_EN.match(tail) or _OWNER_ZH.match(tail))


_STAKE_AFTER = re.compile(
    r"^\s*(?:'s|’s)?\s*(?:的)?\s*(?:\d+(?:\.\d+)?\s?%\s*)?(?:的)?\s*(?:stake|shares|equity|股权|股份|权益)", re.I)
_PASSIVE_BEFORE_EN = re.compile(r"\b(?:was|were|been|being|be|is|are|get|gets|got)\s+(?:\w+\s+)?$", re.I)
_BY_AFTER_EN = re.compile(r"^\s+(?:\w+\s+){0,3}?by\b", re.I)
_RELATIVE = re.compile(r"^\s*(?:which|who|whose|that|其|该公司|后者)\b|^\s*(?:其|该公司|后者)", re.I)
_REPORTING = re.compile(
    r"\b(?:said|says|announced|told|stated|confirmed|reported)\b(?:\s+(?:on\s+\w+|that|it|in\s+a\s+statement))*"
    r"|表示|称|宣布|指出|透露|获悉|介绍|认为", re.I)
_REPORTING_LOWERED = for_lowered(_REPORTING)
# What every reporting verb holds: most spans have none, and a look for the words (see
# `feeds.extract.lazy.AnyWord`) costs a third of the pattern's search.
_REPORTING_WORDS = AnyWord(["said", "says", "announced", "told", "stated", "confirmed", "reported",
                            "表示", "称", "宣布", "指出", "透露", "获悉", "介绍", "认为"])


def _reported_ends(text: str, start: int, end: int) -> list[int]:
    """Where each reporting verb of text[start:end] ends, found on the lower-cased span
    (see `feeds.extract.lazy`) when it can be."""
    if not _REPORTING_WORDS.search(text, start, end):
        return []
    low = max(0, start - 1)  # for the \b before the first word
    span = lowered(text, low, end)
    if span is None:
        return [r.end() for r in _REPORTING.finditer(text, start, end)]
    return [low + r.end() for r in _REPORTING_LOWERED.finditer(span, start - low)]


_SAID_AFTER = re.compile(r"\s*(?:said|says|announced|confirmed|表示|称|宣布)", re.I)
_CLAUSE_OPENER = re.compile(r"^\s*(?:在|于|after|following|having|since|when|while|before|once|upon)\b|^\s*在", re.I)


@dataclass
class Frame:
    """One trigger in its sentence, with the company mentions the sentence holds."""

    text: str
    sentence: Sentence
    mentions: list[AliasMatch]
    trigger: Trigger
    zh: bool
    government: Callable[[AliasMatch], str | None] = lambda m: None
    _markers: dict[int, str | None] = field(default_factory=dict)
    _owners: dict[int, bool] = field(default_factory=dict)

    # Computed once per frame (a frame's mentions and trigger never change); callers only
    # read these lists.

    @cached
    def before(self) -> list[AliasMatch]:
        return [m for m in self.mentions if m.end <= self.trigger.start]

    @cached
    def after(self) -> list[AliasMatch]:
        return [m for m in self.mentions if m.start >= self.trigger.end]

    @cached
    def inside(self) -> list[AliasMatch]:
        return [m for m in self.mentions if self.trigger.start <= m.start and m.end <= self.trigger.end]

    @cached
    def ends(self) -> list[int]:
        """Where the mentions end, in order (for `left`: a sentence naming thousands of
        companies made looking at every other mention for each one quadratic)."""
        return sorted(m.end for m in self.mentions)

    def left(self, m: AliasMatch, size: int = 40) -> str:
        """The text before `m`, back to the mention or trigger before it (at most `size`)."""
        floor = self.sentence.start
        before = bisect_right(self.ends, m.start)
        if before:
            floor = max(floor, self.ends[before - 1])
        if self.trigger.end <= m.start:
            floor = max(floor, self.trigger.end)
        return self.text[max(floor, m.start - size):m.start]

    def right(self, m: AliasMatch, size: int = 12) -> str:
        return self.text[m.end:min(self.sentence.end, m.end + size)]

    def marker(self, m: AliasMatch) -> str | None:
        """The little word before a mention that says what it is to the verb."""
        if m.start not in self._markers:
            self._markers[m.start] = self._find_marker(m)
        return self._markers[m.start]

    def _find_marker(self, m: AliasMatch) -> str | None:
        left = self.left(m)
        if self.trigger.end == m.start and re.search(r"(?:给|予|向)$", self.trigger.cue):
            return "to"  # "卖给远景": the marker is the end of the trigger itself
        if self.zh:  # English markers also occur in Chinese text
            return chinese_marker(left) or (english_marker(left) if _LATIN.search(left) else None)
        return english_marker(left)

    def is_owner(self, m: AliasMatch) -> bool:
        owner = self._owners.get(m.end)
        if owner is None:
            tail = self.right(m)
            owner = self._owners[m.end] = _owner_words(tail)
        return owner

    def same_clause(self, a: int, b: int) -> bool:
        return self.sentence.clause_of(a) == self.sentence.clause_of(b)

    @cached
    def passive(self) -> bool:
        """Whether the trigger's verb is passive ("was acquired by", "被收购"); asked for
        the agent and again for the patient."""
        start = self.trigger.start
        before = self.text[max(self.sentence.start, start - 16):start]
        after = self.text[self.trigger.end:min(self.sentence.end, self.trigger.end + 30)]
        if "被" in self.text[max(self.sentence.start, start - 20):start]:
            return True
        # (the pattern ends in spaces: a text that does not cannot match)
        return bool(before[-1:].isspace() and _PASSIVE_BEFORE_EN.search(before) and _BY_AFTER_EN.match(after))


# -- agent, patient and friends ------------------------------------------------------------

def conj_chain(frame: Frame, head: AliasMatch, pool: list[AliasMatch]) -> list[AliasMatch]:
    """`head` and the names joined to it by "and"/"与"/"和" just before or after it."""
    chain = [head]
    ordered = sorted(pool, key=lambda m: m.start)
    index = ordered.index(head) if head in ordered else -1
    for other in ordered[index + 1:]:
        if frame.marker(other) in ("and", "with") and other.start - chain[-1].end <= 12:
            chain.append(other)
        else:
            break
    return chain


def agent(frame: Frame) -> AliasMatch | None:
    """The doer of the trigger's verb.

    In order: the "by" name of a passive; the nearest unmarked name in the trigger's own
    clause (walking back along "X and Y" / "X与Y"); the antecedent of a relative clause
    ("…Gotion, which will build…"); the first name after a reporting verb ("X said Y
    will…", "…指出，远景集团…"); the first unmarked name of the sentence (the topic a Chinese
    sentence keeps across its clauses); and, when the trigger sits in a leading
    subordinate clause ("在收购…后，远景集团…", "After buying…, Envision…"), the first
    unmarked name after that clause.
    """
    if frame.passive:
        by = [m for m in frame.mentions if frame.marker(m) == "by"]
        if by:
            return by[0]
    allowed = (None, "and", "with") if frame.zh else (None, "and")
    candidates = [
        m for m in frame.before
        if frame.marker(m) in allowed and not (frame.is_owner(m) and frame.trigger.start - m.end > 28)
    ]
    clause = frame.sentence.clause_of(frame.trigger.start)
    clause_start = frame.sentence.clauses[clause][0]
    in_clause = [m for m in candidates if m.start >= clause_start]
    if in_clause:
        return _chain_head(frame, in_clause[-1], candidates)
    opener = frame.text[clause_start:frame.trigger.start]
    if candidates and _RELATIVE.match(opener):
        return candidates[-1]
    reported = _reported_ends(frame.text, frame.sentence.start, frame.trigger.start)
    if reported:
        after_report = [m for m in candidates if m.start >= reported[-1] and frame.marker(m) is None]
        if after_report:
            return after_report[0]
    if candidates:
        return candidates[0]
    if _CLAUSE_OPENER.search(opener) or frame.trigger.start - clause_start <= 2:
        for m in frame.after:
            if frame.sentence.clause_of(m.start) > clause and frame.marker(m) is None and not frame.is_owner(m):
                return m
    for m in frame.after:  # "the acquisition of AESC by Envision"
        if frame.marker(m) == "by" and frame.same_clause(m.start, frame.trigger.start):
            return m
    for m in frame.after:  # "…affected by the plant closure, Volkswagen said"
        if _SAID_AFTER.match(frame.text, m.end):
            return m
    return None


def _chain_head(frame: Frame, nearest: AliasMatch, candidates: list[AliasMatch]) -> AliasMatch:
    """Walk back from `nearest` along "X and Y" / "X与Y" to X."""
    while True:
        index = candidates.index(nearest)
        if (index > 0 and frame.marker(nearest) in ("and", "with")
                and nearest.start - candidates[index - 1].end <= 12):
            nearest = candidates[index - 1]
        else:
            return nearest


def patient(frame: Frame, allow: tuple[str | None, ...] = (None, "of", "in"),
            reach: int = 80) -> tuple[AliasMatch | None, AliasMatch | None]:
    """(object, owner): the first allowed name after the trigger, skipping owners of a
    following name ("日产汽车旗下AESC" → AESC, owner 日产汽车). An owner of a stake is the
    object ("Gotion's shares", "国轩高科26%股权")."""
    if frame.passive:
        before = [m for m in frame.before if frame.marker(m) in (None, "and")]
        return (before[-1] if before else None), None
    owner: AliasMatch | None = None
    limit = frame.trigger.end + (reach // 2 if frame.zh else reach)
    for m in frame.after:
        if m.start > limit:
            break
        if frame.marker(m) not in allow:
            continue
        if frame.is_owner(m):
            if _STAKE_AFTER.match(frame.right(m, 24)):
                return m, None
            following = [o for o in frame.after if o.start > m.end and o.start - m.end <= 24]
            if following:
                owner = m
                continue
            return None, m
        return m, owner
    for m in frame.before:  # Chinese 把/将 puts the object before the verb
        if frame.marker(m) == "ba":
            return m, owner
    return None, owner


def marked(frame: Frame, *marks: str, after_only: bool = False) -> list[AliasMatch]:
    pool = frame.after if after_only else frame.mentions
    return [m for m in pool if frame.marker(m) in marks]
