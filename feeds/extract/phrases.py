"""Many phrases, one pass: a list of regular expressions searched as one alternation, fast.

Python's engine searches an alternation of sixty case-insensitive phrases by trying every
phrase at every position, which made pattern matching cost more than everything else in
extraction together. `Phrases` finds the same matches an order of magnitude faster: it
works out, from each pattern's syntax tree, the first characters (up to four) a match can
start with; finds candidate positions with one character class (Latin letters only at the
start of a word, every pattern here starts at a word boundary); and at each position tries
only the few patterns whose first characters fit.

The result is the alternation's: at each position the first listed pattern that matches
wins and the search resumes after its match (the tests compare both on every article).

`PairedPhrases` walks a text once for two sets of phrases: the first searched at once,
the second's candidate positions kept (`Sites`) for spans of the text searched later.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Phrases", "PairedPhrases", "Sites"]

_KEY = 4  # patterns are dispatched on up to four first characters of a position
_CATEGORIES: dict[object, set[str]] = {}  # \d and \s, as the characters news writes them


def _prefixes(pattern: str, flags: int) -> set[str] | None:
    """The lower-cased prefixes (up to `_KEY` characters) a match of `pattern` can start
    with; a shorter prefix stands for any continuation. None when that cannot be told
    (then the pattern is searched on its own)."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - other Python versions
        return None

    def close(heads: set[str]) -> set[str]:
        """Mark open prefixes as complete: what follows them is unknown."""
        return {h + "\x00" * (_KEY - len(h)) if len(h) < _KEY else h for h in heads}

    def sequence(items: list[Any], heads: set[str]) -> set[str] | None:
        for op, arg in items:
            open_heads = {h for h in heads if len(h) < _KEY}
            if not open_heads:
                return heads
            grown = element(op, arg, open_heads)
            if grown is None:  # unknown from here on: what is known so far is the prefix
                return None if "" in heads else close(heads)
            heads = {h for h in heads if len(h) >= _KEY} | grown
        return heads

    def element(op: Any, arg: Any, heads: set[str]) -> set[str] | None:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return heads
        if op is c.LITERAL:
            return {h + chr(arg).lower() for h in heads}
        if op is c.IN:
            chars: set[str] = set()
            for kind, value in arg:
                if kind is c.LITERAL:
                    chars.add(chr(value).lower())
                elif kind is c.RANGE and value[1] - value[0] <= 300:
                    chars |= {chr(x).lower() for x in range(value[0], value[1] + 1)}
                elif kind is c.CATEGORY and value in _CATEGORIES:
                    chars |= _CATEGORIES[value]
                else:
                    return None
            return {h + ch for h in heads for ch in chars}
        if op is c.SUBPATTERN:
            return sequence(list(arg[-1]), heads)
        if op is c.BRANCH:
            union: set[str] = set()
            for alternative in arg[1]:
                grown = sequence(list(alternative), heads)
                if grown is None:
                    return None
                union |= grown
            return union
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, _, sub = arg
            once = sequence(list(sub), heads)
            if once is None:
                return None
            # after one repetition the continuation is unknown: close the heads there
            return close(once) | (heads if low == 0 else set())
        return None

    _CATEGORIES.setdefault(c.CATEGORY_DIGIT, set("0123456789０１２３４５６７８９"))
    _CATEGORIES.setdefault(c.CATEGORY_SPACE, set(" \t\n\r\f\v\u3000\xa0"))
    found = sequence(list(parser.parse(pattern, flags)), {""})
    if found is None:
        return None
    heads = {h.split("\x00")[0] for h in found}
    return None if "" in heads else heads



def _first_match(compiled: Sequence[re.Pattern[str]], candidates: Iterable[int], text: str,
                 position: int, end: int) -> tuple[int, re.Match[str]] | None:
    """The first of the `candidates` patterns that matches something at `position`."""
    for index in candidates:
        match = compiled[index].match(text, position, end)
        if match is not None and match.end() > position:
            return index, match
    return None

class Phrases:
    """Patterns searched as one alternation, `finditer` yielding (pattern index, match)."""

    def __init__(self, patterns: Sequence[str], flags: int = re.IGNORECASE) -> None:
        self._compiled = tuple(re.compile(p, flags) for p in patterns)
        table: dict[str, set[int]] = {}
        loose: list[int] = []
        for index, pattern in enumerate(patterns):
            heads = _prefixes(pattern, flags)
            if heads is None:
                loose.append(index)
                continue
            for head in heads:
                table.setdefault(head, set()).add(index)
        self._by_prefix = {
            key: tuple(sorted(set().union(*(table.get(key[:n], set()) for n in range(1, len(key) + 1)))))
            for key in table
        }
        self._loose = tuple(loose)
        self._cache: dict[str, tuple[int, ...]] = {}
        firsts = {key[0] for key in table}
        self._letters = letters = "".join(sorted(ch for ch in firsts if ch.isascii() and ch.isalpha()))
        self._others = others = "".join(sorted(ch for ch in firsts if not (ch.isascii() and ch.isalpha())))
        alternatives = []
        if letters:
            alternatives.append(rf"(?<![A-Za-z0-9])[{re.escape(letters)}]")
        if others:
            alternatives.append(f"[{re.escape(others)}]")
        self._starts = _fast_starts(letters, others) or re.compile("|".join(alternatives) or r"(?!)", re.IGNORECASE)
        # two first characters of every prefix (one for one-character prefixes): most
        # candidate positions are turned away by one set lookup
        self._heads = frozenset(key[:2] for key in table)

    def _candidates(self, key: str) -> tuple[int, ...]:
        """The patterns that can match where the text starts with `key` (the text's own
        first four characters, in their own case: remembered as they come, which spares
        lower-casing them at every position)."""
        found = self._cache.get(key)
        if found is None:
            found = self._lookup(key.lower())
            if len(self._cache) < 50_000:
                self._cache[key] = found
        return found

    def _lookup(self, key: str) -> tuple[int, ...]:
        if key[:2] not in self._heads and key[:1] not in self._heads:
            return ()  # no pattern starts with these two characters
        return next((self._by_prefix[key[:n]] for n in range(len(key), 0, -1)
                     if key[:n] in self._by_prefix), ())

    def finditer(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, re.Match[str]]]:
        """(index of the pattern, match) for every match in text[start:end], in order."""
        end = len(text) if end is None else end
        found: list[tuple[int, re.Match[str]]] = []
        resume = start
        # Every candidate position's first characters are looked up once in a cache that
        # also remembers the keys no pattern starts with (most of them): one dictionary
        # lookup per position in the common case (see `_candidates`).
        cache = self._cache
        compiled = self._compiled
        for hit in self._starts.finditer(text, start, end):
            position = hit.start()
            if position < resume:
                continue
            key = text[position:position + _KEY]
            candidates = cache.get(key)
            if candidates is None:
                candidates = self._candidates(key)
            if candidates and (hit_at := _first_match(compiled, candidates, text, position, end)):
                found.append(hit_at)
                resume = hit_at[1].end()
        return self._with_loose(found, text, start, end)

    def sites(self, text: str) -> Sites:
        """Every position of `text` where a pattern can start, with its candidates."""
        found = Sites()
        for hit in self._starts.finditer(text):
            candidates = self._candidates(text[hit.start():hit.start() + _KEY])
            if candidates:
                found.positions.append(hit.start())
                found.candidates.append(candidates)
        return found

    def finditer_at(self, text: str, sites: Sites, start: int, end: int) -> Iterator[tuple[int, re.Match[str]]]:
        """`finditer(text, start, end)`, trying only the positions of `sites` (a scan of the
        text by a `PairedPhrases` this is the second of) within the span."""
        found: list[tuple[int, re.Match[str]]] = []
        resume = start
        compiled = self._compiled
        first, last = bisect_left(sites.positions, start), bisect_left(sites.positions, end)
        for at in range(first, last):
            position = sites.positions[at]
            if position < resume:
                continue
            if hit_at := _first_match(compiled, sites.candidates[at], text, position, end):
                found.append(hit_at)
                resume = hit_at[1].end()
        return self._with_loose(found, text, start, end)

    def _with_loose(self, found: list[tuple[int, re.Match[str]]], text: str, start: int,
                    end: int) -> Iterator[tuple[int, re.Match[str]]]:
        """`found` with the matches of the patterns searched on their own added, in order."""
        if self._loose:
            for index in self._loose:
                for match in self._compiled[index].finditer(text, start, end):
                    if not any(m.start() <= match.start() < m.end() for _, m in found):
                        found.append((index, match))
            found.sort(key=lambda pair: pair[1].start())
        return iter(found)


_NOTHING: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())


@dataclass
class Sites:
    """Where the patterns of a `Phrases` can start in a text, in order, and which (the
    positions its own `finditer` would try, with their candidates), for `finditer_at`."""

    positions: list[int] = field(default_factory=list)
    candidates: list[tuple[int, ...]] = field(default_factory=list)


class PairedPhrases:
    """Two `Phrases` whose candidate positions are found in one pass over a text.

    Extraction searches the whole article for trigger words, then sentence by sentence for
    status cues; most candidate positions of both are the same word starts, and walking
    them is most of the cost. `scan` walks them once: the first phrases' matches in the
    whole text, as `first.finditer(text)` finds them, and the second's `Sites`, for
    `second.finditer_at(text, sites, start, end)`: the same matches as
    `second.finditer(text, start, end)` for any span, because the walk over the whole
    text stops at the same positions within the span as a walk over the span (a word start
    is one whatever precedes the span; a position inside a word never is), and tries the
    same patterns there with the span's end as their limit."""

    def __init__(self, first: Phrases, second: Phrases) -> None:
        self.first, self.second = first, second
        letters = "".join(sorted(set(first._letters + second._letters)))
        others = "".join(sorted(set(first._others + second._others)))
        # (the union of both sets of positions: at the others a pattern finds no candidate)
        self._starts = _fast_starts(letters, others)
        # the candidates of both at a position, by its first characters (see `_candidates`)
        self._cache: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def _candidates(self, key: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        found = self._cache.get(key)
        if found is None:
            found = (self.first._candidates(key), self.second._candidates(key))
            if found == _NOTHING:
                found = _NOTHING  # one object: the walk passes it over by identity
            if len(self._cache) < 50_000:
                self._cache[key] = found
        return found

    def scan(self, text: str) -> tuple[list[tuple[int, re.Match[str]]], Sites]:
        """(`first.finditer(text)` as a list, the second's sites in `text`)."""
        first, second = self.first, self.second
        if self._starts is None or first._loose or second._loose:  # pragma: no cover - not the phrases here
            return list(first.finditer(text)), second.sites(text)
        end = len(text)
        found: list[tuple[int, re.Match[str]]] = []
        sites = Sites()
        resume = 0
        cache = self._cache
        compiled = first._compiled
        for hit in self._starts.finditer(text):
            position = hit.start()
            key = text[position:position + _KEY]
            both = cache.get(key)
            if both is None:
                both = self._candidates(key)
            if both is _NOTHING:
                continue  # (most positions)
            candidates, later = both
            if later:
                sites.positions.append(position)
                sites.candidates.append(later)
            if position < resume:
                continue
            for index in candidates:
                match = compiled[index].match(text, position, end)
                if match is not None and match.end() > position:
                    found.append((index, match))
                    resume = match.end()
                    break
        return found, sites


# The characters IGNORECASE equates with an ASCII letter though they are not ASCII.
_CASE_EXCEPTIONS = "\u0130\u0131\u017f\u212a"


def _fast_starts(letters: str, others: str) -> re.Pattern[str] | None:
    """`(?<![A-Za-z0-9])[letters]|[others]` under IGNORECASE, spelt without it: one
    character class first (both cases of the letters, and those of `_CASE_EXCEPTIONS` the
    engine equates with them), the word-start condition behind it, and the rest of a Latin
    word consumed (no position inside it can start a pattern: a letter needs a word start,
    and `others` holds no ASCII letter). The same positions, but the engine skips to the
    next candidate character with one class test instead of trying two case-folding
    alternatives at every position. None (use the plain spelling) when `others` holds a
    cased character."""
    if not (letters or others) or any(ch.lower() != ch or ch.upper() != ch for ch in others):
        return None
    exceptions = [ch for ch in _CASE_EXCEPTIONS if re.match(f"(?i)[{re.escape(letters)}]", ch)] if letters else []
    both = "".join(sorted(set(letters + letters.upper() + "".join(exceptions))))
    guard = "".join(ch for ch in _CASE_EXCEPTIONS if re.match("(?i)[A-Za-z0-9]", ch))
    branches = []
    if others:
        branches.append(f"(?<=[{re.escape(others)}])")
    if letters:  # and the rest of the word is passed over (no pattern starts inside it)
        branches.append(rf"(?<![A-Za-z0-9{guard}].)[A-Za-z]*")
    return re.compile(f"[{re.escape(both + others)}](?:{'|'.join(branches)})")
