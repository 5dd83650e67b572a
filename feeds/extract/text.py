"""Sentences and clauses, in Chinese and English, with offsets into the original text.

Evidence is quoted sentence by sentence, and dates, places and figures are attached to the
happening they stand nearest to, clause by clause. Both need boundaries that respect how
the two languages write:

* Chinese ends sentences with 。！？； (and their run of closing quotes), never with a
  full stop inside a number.
* English ends them with . ! ? followed by a space or the end, except after a decimal
  point (3.5), an initial ("J. Smith"), a common abbreviation (U.S., Inc., Jan.), or
  when the next word starts in lower case ("€7.3 bn. in").
* A line break always ends a sentence: headlines, table rows and list items stand alone.

Clauses split sentences at commas, semicolons and colons (but not at the comma of
"1,200"), because a Chinese clause is the natural scope of a verb, and an English comma
usually separates an appositive ("Northvolt, founded in 2016, ...") from the main clause.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

__all__ = ["Sentence", "split_sentences", "detect_language", "is_cjk_text"]

_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "e.g", "i.e", "approx", "u.s", "u.k",
    "u.n", "e.u", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "gov", "sen", "rep", "gen", "lt", "col", "inc", "ltd", "corp", "co", "bhd",
    "plc", "jr", "sr", "mt", "ft", "fig", "est", "dept", "etc", "al",
})

_BREAK = re.compile(
    r"[。！？；]+[”’\"」』）)]*"            # Chinese sentence ends
    r"|[.!?]+[\"”’')\]]*(?=\s|$)"         # English sentence ends (checked below)
    r"|\n+"                               # lines stand alone
)
# `_BREAK` spelt with a literal first character in every alternative ("x[...]*" for
# "[...]+"): the same matches, but the engine can skip to the next candidate character
# instead of trying the three alternatives at every position.
_BREAK_FAST = re.compile(
    "|".join(rf"{re.escape(ch)}[。！？；]*[”’\"」』）)]*" for ch in "。！？；")
    + "|" + "|".join(rf"{re.escape(ch)}[.!?]*[\"”’')\]]*(?=\s|$)" for ch in ".!?")
    + r"|\n\n*"
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_CLAUSE_BREAK = re.compile(r"[，；：;:]|,(?!\d{3}\b)|\s[—–]\s|——")
# `_CLAUSE_BREAK` with one character class first (the four alternatives start with
# different characters, so the one that applies is picked behind it), and a dash between
# spaces found at the dash rather than at the space before it (every space of an English
# sentence would be a candidate): `_clauses` moves such a break back over that space. The
# same breaks, but the engine skips from one candidate character to the next.
_CLAUSE_BREAK_FAST = re.compile(r"[，；：;:,—–](?:(?<=[，；：;:])|(?<=,)(?!\d{3}\b)|(?<=\s[—–])\s|(?<=—)—)")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]")


# Not frozen, though never changed once made: a frozen dataclass sets each field through
# object.__setattr__, which makes it five times slower to build, and extraction builds
# tens of thousands per poll. Hashable by value all the same (unsafe_hash).
@dataclass(slots=True, unsafe_hash=True)
class Sentence:
    """A sentence of the text, its clauses as absolute (start, end) spans."""

    start: int
    end: int
    text: str
    clauses: tuple[tuple[int, int], ...]
    # the clauses' ends, for `clause_of`, and its answers so far (derived: left out of
    # comparisons); extraction asks about the same offsets again and again
    ends: tuple[int, ...] = field(default=(), repr=False, compare=False, hash=False)
    known: dict[int, int] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def clause_of(self, offset: int) -> int:
        """The index of the clause that holds `offset`."""
        index = self.known.get(offset)
        if index is not None:
            return index
        ends = self.ends
        if ends:  # ascending: the first clause ending after `offset`, else the last
            index = min(bisect_right(ends, offset), len(ends) - 1)
        else:
            index = len(self.clauses) - 1
            for i, (_, end) in enumerate(self.clauses):
                if offset < end:
                    index = i
                    break
        self.known[offset] = index
        return index


_NEXT_WORD = re.compile(r"[.!?\"”’')\]]*\s+([^\s])")


def _is_false_stop(text: str, dot: int) -> bool:
    """True when the full stop at `dot` ends an abbreviation or an initial, not a sentence:
    "U.S.", "Mr.", "J. Smith", or any stop followed by a lower-case word ("bn. in")."""
    if text[dot] != ".":
        return False
    following = _NEXT_WORD.match(text, dot)
    if following is not None and following.group(1).islower():
        return True
    match = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if match is None:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():
        return True  # "J. Smith", "Plan B." is rarer than an initial
    return word.lower().rstrip(".") in _ABBREVIATIONS


def _clauses(text: str, start: int, end: int) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """The clauses of text[start:end] as absolute spans, and their ends (`Sentence.ends`),
    split where `_CLAUSE_BREAK` matches."""
    spans: list[tuple[int, int]] = []
    ends: list[int] = []
    cursor = start
    for match in _CLAUSE_BREAK_FAST.finditer(text, start, end):
        at, after = match.span()
        if text[at] in "—–" and text[after - 1] != "—":  # " — ": the break opens at the space
            at -= 1
            if at < cursor:
                continue  # that space closed the previous break: `_CLAUSE_BREAK` finds none here
        if at > cursor:
            spans.append((cursor, at))
            ends.append(at)
        cursor = after
    if cursor < end:
        spans.append((cursor, end))
        ends.append(end)
    if not spans:
        return ((start, end),), (end,)
    return tuple(spans), tuple(ends)


def _sentence(text: str, start: int, end: int) -> Sentence | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return None
    clauses, ends = _clauses(text, start, end)
    return Sentence(start, end, text[start:end], clauses, ends)


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text`, in order, with absolute offsets."""
    sentences: list[Sentence] = []
    cursor = 0
    for match in _BREAK_FAST.finditer(text):
        at, after = match.span()
        mark = text[at]
        if mark == "." and _is_false_stop(text, at):
            continue
        sentence = _sentence(text, cursor, at if mark == "\n" else after)
        if sentence is not None:
            sentences.append(sentence)
        cursor = after
    last = _sentence(text, cursor, len(text))
    if last is not None:
        sentences.append(last)
    return sentences


def is_cjk_text(text: str) -> bool:
    """True when a text is mostly written in Chinese characters."""
    if not text:
        return False
    sample = text[:2000]
    cjk = len(_CJK.findall(sample))
    letters = len(_LETTER.findall(sample))
    return letters > 0 and cjk / letters > 0.3


def detect_language(text: str, hint: str | None = None) -> str:
    """"zh" or "en": the hint when it names one of them, else what the script says."""
    if hint:
        base = hint.lower().split("-")[0].split("_")[0]
        if base in ("zh", "en"):
            return base
    return "zh" if is_cjk_text(text) else "en"
