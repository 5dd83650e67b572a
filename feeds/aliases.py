"""Company mentions in running text, found through the alias registry.

Extraction must name companies by their registered ids, so every alias of every company
is folded once (width, case, traditional/simplified Chinese: the same folding as
`timeline.companies.lookup_key`) and kept in a table keyed by its first character. A text is
folded the same way (see `fold_text`), keeping a map from folded offsets back to the
original text, so a mention always quotes the words the article used, at the right place.

Two scripts, two notions of a word:

* Latin aliases match on word boundaries only: "GM" is not found in "GMC" and "AESC" is not
  found in "AESCx". A boundary is any character that is not a Latin letter or digit, so
  "收购AESC电池业务" still finds "AESC".
* Chinese (and Japanese) text is not segmented, so a Chinese alias matches anywhere:
  "远景动力" is found inside "中国远景动力公司". A handful of short aliases are also ordinary
  words ("日产" is Nissan, "日产量" is daily output); `FALSE_FRIENDS` lists what may not follow
  them.

Overlapping matches are resolved longest first ("远景AESC" beats "远景" + "AESC"). Fuzzy
matches ("Northvolts", "Envison") are offered only as suggestions with `exact=False` and
are never returned by `find`.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import zhconv

from timeline.companies import CompanySpec, lookup_key

__all__ = ["AliasIndex", "AliasMatch", "FALSE_FRIENDS", "fold_text", "FoldedText"]

# Aliases that are also everyday Chinese words when followed by certain characters.
# Keys are folded aliases, values the continuations that cancel a match.
FALSE_FRIENDS: dict[str, tuple[str, ...]] = {
    "日产": ("量", "能", "值", "万", "千", "百", "十", "约", "达", "超", "可", "规模"),
    "大众": ("点评", "化", "媒体", "传媒", "消费", "市场", "汽车市场"),
    "长城": ("脚下", "内外"),
    "理想": ("的", "状态", "中"),
    "远景": ("规划", "目标", "展望", "纲要"),
}

_FUZZY_RATIO = 0.84          # difflib ratio above which a Latin token is suggested
_FUZZY_CJK_RATIO = 0.74      # one character off in four is still a suggestion
_LATIN_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9&'\-]*(?:[ \t]+[A-Z][A-Za-z0-9&'\-]*){0,2}")
_WORD = re.compile(r"\S+")


def _zh2hans_table() -> dict[int, str]:
    """Single-character traditional → simplified conversions, for `str.translate`.

    Converting a whole article with `zhconv.convert` costs as much as parsing its feed;
    folding only needs the character-level table, which zhconv keeps in its dictionary.
    """
    try:
        module: Any = zhconv.zhconv
        module.loaddict()
        table: dict[str, str] = module.zhcdicts["zh2Hans"]
    except (AttributeError, KeyError, TypeError):  # pragma: no cover - other zhconv versions
        return {}
    return {ord(k): v for k, v in table.items() if len(k) == 1 and len(v) == 1 and k != v}


_ZH2HANS = _zh2hans_table()


def _is_cjk(ch: str) -> bool:
    """A character of an unsegmented script: CJK ideographs, kana."""
    code = ord(ch)
    return (0x3400 <= code <= 0x9FFF or 0x3040 <= code <= 0x30FF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FA1F)


def _is_word(ch: str) -> bool:
    """A character that continues a Latin word (letters and digits, not CJK)."""
    return ch.isalnum() and not _is_cjk(ch)


def _fold_char(cluster: str) -> str:
    """Fold one cluster (a base character and its combining marks) as `lookup_key` does."""
    folded = unicodedata.normalize("NFKC", cluster).casefold().translate(_FOLD_TABLE)
    return folded


# Traditional to simplified, one for one; extended by `_tables` with the compatibility
# forms of letters and digits ("Ａ" → "a"). Whitespace is not folded: multi-word aliases
# match any run of whitespace instead (see `_Entry.pattern`).
_FOLD_TABLE: dict[int, str] = dict(_ZH2HANS)


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A folded text and the map from its offsets back to the original text.

    The map is kept as the few places where folding changed a character's length
    ("™" → "tm", "ß" → "ss", "e" + combining accent → "é"): between them, offsets move in
    step. `folded_starts[i]` / `original_starts[i]` open the i-th stretch; a stretch that
    came from one changed cluster maps every folded offset to that whole cluster.
    """

    text: str
    folded_starts: tuple[int, ...] = ()
    original_starts: tuple[int, ...] = ()
    clusters: tuple[bool, ...] = ()    # True: the stretch is one changed cluster

    def _original(self, folded: int, end: bool) -> int:
        """The original offset of the folded character at `folded` (its end when `end`)."""
        i = bisect.bisect_right(self.folded_starts, folded) - 1
        if i < 0:
            return folded + (1 if end else 0)
        if self.clusters[i]:
            if end:
                return self.original_starts[i + 1] if i + 1 < len(self.original_starts) else self._length
            return self.original_starts[i]
        return self.original_starts[i] + (folded - self.folded_starts[i]) + (1 if end else 0)

    @property
    def _length(self) -> int:
        if not self.folded_starts:
            return len(self.text)
        return self.original_starts[-1] + (len(self.text) - self.folded_starts[-1])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the folded text back to the original text."""
        return self._original(start, False), self._original(end - 1, True)

    def folded_offset(self, original: int) -> int:
        """The folded offset where the original offset `original` falls (a changed
        cluster maps to its start)."""
        i = bisect.bisect_right(self.original_starts, original) - 1
        if i < 0:
            return original
        if self.clusters[i]:
            return self.folded_starts[i]
        return self.folded_starts[i] + (original - self.original_starts[i])


@functools.cache
def _tables() -> tuple[dict[int, str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The one-for-one fold of characters (for `str.translate` after `casefold`), a
    pattern for the characters it changes, a pattern for the clusters that do not
    fold one for one: characters NFKC or case folding turn into several ("™" → "tm",
    "ß" → "ss") and characters followed by combining marks, and a character class of
    both kinds, a cheap test that a text has no such cluster. Built once, on first use,
    from a pass over the Basic Multilingual Plane (about 30 ms).

    Only folds that can matter to a name are kept: to letters and digits. Full-width
    punctuation ("，", "：") stays as it is, so that simplified Chinese text, which is full
    of it, needs no translation at all (`str.translate` costs as much per character as a
    dictionary lookup)."""
    table = dict(_FOLD_TABLE)
    several: list[int] = []
    combining: list[int] = []
    for code in [*range(0xD800), *range(0xE000, 0x10000), *range(0x2F800, 0x2FA20)]:
        ch = chr(code)
        if unicodedata.combining(ch):
            combining.append(code)
            continue
        lower = ch.casefold()
        target = unicodedata.normalize("NFKC", lower).casefold()
        if len(lower) != 1 or len(target) != 1:
            several.append(code)
        elif target != lower and (target.isalnum() or target in "&+'-."):
            table[ord(lower)] = target.translate(_FOLD_TABLE)
    changed = re.compile(_char_class(sorted(table)))
    clusters = re.compile(rf"[^\n]{_char_class(combining)}+|{_char_class(several)}")
    # One character class of both kinds: a text with none of them (nearly every text) is
    # told so by the engine's fast scan for a class, without trying `clusters` at every
    # position.
    hint = re.compile(_char_class(sorted(combining + several)))
    return table, changed, clusters, hint


def _char_class(codes: list[int]) -> str:
    """A regex character class of the BMP `codes` (each listed: the engine then builds a
    bitmap) or, when there are any beyond the BMP, the whole astral range: a class mixing
    them is checked range by range, a hundred times slower."""
    bmp = "".join(re.escape(chr(c)) for c in codes if c <= 0xFFFF)
    astral = any(c > 0xFFFF for c in codes)
    return f"(?:[{bmp}]|[\U00010000-\U0010FFFF])" if astral else f"[{bmp}]"


def fold_text(text: str) -> FoldedText:
    """Fold `text` for alias lookup, keeping offsets.

    Nearly every article takes the fast path, all in C: `casefold` + `translate` (width,
    compatibility forms, traditional characters, whitespace: one character for one), so
    offsets are unchanged. Only clusters that fold into a different number of characters
    ("EnOS™", "Straße", an accent written as a combining mark) are folded one by one; the
    stretches between them still go through `casefold` + `translate` whole.
    """
    table, changed, several, hint = _tables()
    if hint.search(text) is None or several.search(text) is None:
        folded = text.casefold()
        return FoldedText(folded.translate(table) if changed.search(folded) else folded)
    return _fold_slow(text, several, lambda plain: plain.translate(table) if changed.search(plain) else plain)


def _fold_slow(text: str, several: re.Pattern[str], translate: Callable[[str], str]) -> FoldedText:
    parts: list[str] = []
    folded_starts: list[int] = []
    original_starts: list[int] = []
    clusters: list[bool] = []
    f_pos = o_pos = 0

    def stretch(piece: str, original_length: int, cluster: bool) -> None:
        nonlocal f_pos, o_pos
        if not piece and not original_length:
            return
        folded_starts.append(f_pos)
        original_starts.append(o_pos)
        clusters.append(cluster)
        parts.append(piece)
        f_pos += len(piece)
        o_pos += original_length

    for match in several.finditer(text):
        if match.start() > o_pos:
            plain = text[o_pos:match.start()]
            stretch(translate(plain.casefold()), len(plain), False)
        stretch(_fold_char(match.group()), match.end() - match.start(), True)
    if o_pos < len(text):
        plain = text[o_pos:]
        stretch(translate(plain.casefold()), len(plain), False)
    return FoldedText("".join(parts), tuple(folded_starts), tuple(original_starts), tuple(clusters))


# Not frozen, though never changed once made: a frozen dataclass sets each field through
# object.__setattr__, which makes it five times slower to build, and extraction builds
# tens of thousands per poll. Hashable by value all the same (unsafe_hash).
@dataclass(slots=True, unsafe_hash=True)
class AliasMatch:
    """One company mention: where it stands in the original text and what it said."""

    company: str
    alias: str           # the original text of the mention
    start: int           # offsets in the original text
    end: int
    exact: bool = True
    score: float = 1.0   # 1.0 for exact matches, the difflib ratio for suggestions


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    companies: tuple[str, ...]
    latin_start: bool
    latin_end: bool
    pattern: re.Pattern[str] | None   # multi-word aliases: any run of spaces between words

    def match_at(self, folded: str, i: int) -> int:
        """The end of this alias at `i` in `folded`, or -1."""
        if self.pattern is None:
            return i + len(self.key) if folded.startswith(self.key, i) else -1
        hit = self.pattern.match(folded, i)
        return hit.end() if hit else -1


def _entry(key: str, companies: tuple[str, ...]) -> _Entry:
    pattern = None
    if " " in key:
        pattern = re.compile(r"\s+".join(re.escape(word) for word in key.split(" ")))
    return _Entry(key, companies, _is_word(key[0]), _is_word(key[-1]), pattern)


def _start_pattern(entries: Mapping[str, list[_Entry]]) -> re.Pattern[str] | None:
    """Where an alias can start: a Latin first character at the start of a word, or any
    other first character anywhere (Chinese is not segmented)."""
    latin = "".join(sorted(c for c in entries if _is_word(c)))
    other = "".join(sorted(c for c in entries if not _is_word(c)))
    alternatives = []
    if latin:
        alternatives.append(rf"(?<![a-z0-9\u00c0-\u024f])[{re.escape(latin)}]")
    if other:
        alternatives.append(rf"[{re.escape(other)}]")
    return re.compile("|".join(alternatives)) if alternatives else None


def _head_pattern(heads: Iterable[str]) -> re.Pattern[str] | None:
    """Where an alias can start, more narrowly than `_start_pattern`: the position's first
    two characters must be an alias's (`AliasIndex._heads`), which turns most Latin word
    starts away inside the regex engine rather than one by one in Python."""
    following: dict[str, set[str]] = {}
    for head in heads:
        following.setdefault(head[0], set()).add(head[1:])
    alternatives = []
    for first, rests in sorted(following.items()):
        latin = _is_word(first)
        guard = rf"(?<![a-z0-9\u00c0-\u024f]{re.escape(first)})" if latin else ""
        after = "" if "" in rests else f"(?=[{re.escape(''.join(sorted(rests)))}])"
        # past a Latin word's first letter, the rest of it (lower-case ASCII: the text is
        # folded) is passed over: no alias starts there (a Latin one needs a word start,
        # the others do not start with a letter or digit)
        alternatives.append(re.escape(first) + guard + after + ("[a-z]*" if latin else ""))
    return re.compile("|".join(alternatives)) if alternatives else None


def _company_fields(company: CompanySpec | Mapping[str, Any]) -> tuple[str, str, list[str]]:
    if isinstance(company, CompanySpec):
        return company.id, company.name, list(company.aliases)
    names = [*company.get("aliases", []), *company.get("former_names", [])]
    return str(company["id"]), str(company["name"]), [str(n) for n in names]


class _Tables:
    """What an `AliasIndex` reads, built once per registry (a tuple of (id, name, aliases)).

    Folding every alias (NFKC, case, traditional characters) costs tens of milliseconds;
    the pipeline makes an index per poll, the scheduler polls all day, and the registry
    rarely changes: the tables of the last few registries are kept (`_BUILT`).
    """

    def __init__(self, registry: tuple[tuple[str, str, tuple[str, ...]], ...]) -> None:
        self.names: dict[str, str] = {}
        by_key: dict[str, list[str]] = {}
        for cid, name, aliases in registry:
            self.names[cid] = name
            for alias in dict.fromkeys([name, *aliases]):
                # lookup_key as the registry folds names; fold_text as texts are folded
                for key in {lookup_key(alias), " ".join(fold_text(alias).text.split())}:
                    if key and cid not in by_key.setdefault(key, []):
                        by_key[key].append(cid)
        self.aliases: dict[str, list[str]] = {}
        self.entries: dict[str, list[_Entry]] = {}
        for key, ids in by_key.items():
            self.entries.setdefault(key[0], []).append(_entry(key, tuple(ids)))
            for cid in ids:
                self.aliases.setdefault(cid, []).append(key)
        for entries in self.entries.values():
            entries.sort(key=lambda e: len(e.key), reverse=True)  # longest alias first
        self.starts = _start_pattern(self.entries)
        # the first two characters of every alias (one when a space follows the first): most
        # candidate positions are turned away by one set lookup
        self.heads = frozenset(key[:2] if len(key) > 1 and key[1] != " " else key[:1] for key in by_key)
        self.head_starts = _head_pattern(self.heads)
        self.cjk_fuzzy = {first: fuzzy for first, entries in self.entries.items()
                          if (fuzzy := [e for e in entries if len(e.key) >= 4 and all(map(_is_cjk, e.key))])}
        self.cjk_starts = (re.compile(f"[{re.escape(''.join(sorted(self.cjk_fuzzy)))}]")
                           if self.cjk_fuzzy else None)
        # the entries worth trying where the folded text continues with two given
        # characters, filled as texts are read (see `AliasIndex._entries_at`)
        self.near: dict[str, tuple[_Entry, ...]] = {}


_REGISTRIES_KEPT = 4
_BUILT_LOCK = threading.Lock()
_BUILT: dict[tuple[tuple[str, str, tuple[str, ...]], ...], _Tables] = {}


class AliasIndex:
    """Every alias of every company, folded, ready to find mentions in text.

    Built once per registry (the table is keyed by first character, so finding mentions
    costs a pass over the text plus a few `startswith` checks per candidate position,
    not aliases × text); an index of a registry seen lately shares its tables (`_Tables`).
    """

    def __init__(self, companies: Iterable[CompanySpec | Mapping[str, Any]]) -> None:
        registry = tuple((cid, name, tuple(aliases)) for cid, name, aliases in map(_company_fields, companies))
        with _BUILT_LOCK:
            built = _BUILT.get(registry)
            if built is None:
                built = _BUILT[registry] = _Tables(registry)
                while len(_BUILT) > _REGISTRIES_KEPT:
                    del _BUILT[next(iter(_BUILT))]
        # Shared, never changed after the build (`_near` only ever gains entries that
        # depend on the tables alone): every index of the same registry reads the same.
        self._names = built.names
        self._aliases = built.aliases
        self._entries = built.entries
        self._starts = built.starts
        self._heads = built.heads
        self._head_starts = built.head_starts
        self._cjk_fuzzy = built.cjk_fuzzy
        self._cjk_starts = built.cjk_starts
        self._near = built.near
        self._last: tuple[str, FoldedText, list[AliasMatch]] | None = None

    # -- the registry -------------------------------------------------------------------

    @property
    def company_ids(self) -> list[str]:
        return list(self._names)

    def name_of(self, company_id: str) -> str:
        """The display name of a company, or its id when unknown."""
        return self._names.get(company_id, company_id)

    def aliases_of(self, company_id: str) -> list[str]:
        """The folded keys a company answers to (for diagnostics and tests)."""
        return list(self._aliases.get(company_id, []))

    # -- exact mentions -----------------------------------------------------------------

    def find(self, text: str) -> list[AliasMatch]:
        """Exact mentions in `text`, in order, longest match first on overlaps.

        An alias shared by two companies is ambiguous: it is not returned here (it comes
        back from `suggest` for each company instead).
        """
        return [m for m in self._scan(text)[1] if m.exact]

    def _scan(self, text: str) -> tuple[FoldedText, list[AliasMatch]]:
        """The folded text and every alias match (exact and ambiguous), for the last text
        asked about: extraction asks for the mentions of an article, then for suggestions
        sentence by sentence, and folds it once."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1], last[2]
        folded = fold_text(text)
        matches: list[AliasMatch] = []
        if self._starts is not None and text:
            same_offsets = not folded.folded_starts  # folding changed no length
            for start, end, entry in _longest_non_overlapping(self._raw_matches(folded.text)):
                o_start, o_end = (start, end) if same_offsets else folded.original_span(start, end)
                exact = len(entry.companies) == 1
                for cid in entry.companies:
                    matches.append(AliasMatch(cid, text[o_start:o_end], o_start, o_end, exact,
                                              1.0 if exact else 0.5))
        self._last = (text, folded, matches)
        return folded, matches

    def _raw_matches(self, folded: str) -> list[tuple[int, int, _Entry]]:
        assert self._head_starts is not None
        found: list[tuple[int, int, _Entry]] = []
        n = len(folded)
        near = self._near
        for hit in self._head_starts.finditer(folded):
            i = hit.start()
            two = folded[i:i + 2]
            entries = near.get(two)
            if entries is None:
                entries = self._entries_at(two)
            for entry in entries:
                end = entry.match_at(folded, i)
                if end < 0:
                    continue
                if entry.latin_start and i > 0 and _is_word(folded[i - 1]):
                    continue
                if entry.latin_end and end < n and _is_word(folded[end]):
                    continue
                if _false_friend(entry.key, folded, end):
                    continue
                found.append((i, end, entry))
                break  # entries are longest first: the longest alias at i wins
        return found

    def _entries_at(self, two: str) -> tuple[_Entry, ...]:
        """The entries (longest first) that can match where the folded text continues with
        `two` (two characters, one at the end of a text): those whose first two characters
        are these, or whose first word is one character long. Most positions get none."""
        fitting: list[_Entry] = []
        for entry in self._entries.get(two[:1], ()):
            word = entry.key.split(" ", 1)[0]
            if len(word) == 1 or word[:2] == two:
                fitting.append(entry)
        entries = tuple(fitting)
        if len(self._near) < 100_000:
            self._near[two] = entries
        return entries

    # -- fuzzy suggestions --------------------------------------------------------------

    def suggest(self, text: str, start: int = 0, end: int | None = None, limit: int = 5) -> list[AliasMatch]:
        """Near misses in text[start:end], for review: misspelt Latin names ("Northvolts"),
        Chinese names with one character off ("宁德时伐"), and aliases shared by several
        companies. Never exact; never over an exact match.
        """
        end = len(text) if end is None else end
        folded, matches = self._scan(text)
        inside = [m for m in matches if start <= m.start and m.end <= end]
        taken = [(m.start, m.end) for m in inside if m.exact]
        found: dict[tuple[str, int], AliasMatch] = {(m.company, m.start): m for m in inside if not m.exact}
        for match in self._fuzzy_latin(text, start, end, taken):
            found.setdefault((match.company, match.start), match)
        for match in self._fuzzy_cjk(text, folded, start, end, taken):
            found.setdefault((match.company, match.start), match)
        return sorted(found.values(), key=lambda m: (-m.score, m.start))[:limit]

    def _fuzzy_latin(self, text: str, start: int, end: int,
                     taken: list[tuple[int, int]]) -> Iterable[AliasMatch]:
        """Capitalised runs of one to three words, longest first, against Latin aliases."""
        for token in _LATIN_TOKEN.finditer(text, start, end):
            if _overlaps(token.start(), token.end(), taken):
                continue
            words = list(_WORD.finditer(text, token.start(), token.end()))
            for count in range(len(words), 0, -1):
                t_start, t_end = token.start(), words[count - 1].end()
                best = self._closest_latin(lookup_key(text[t_start:t_end]))
                if best is not None:
                    cid, score = best
                    yield AliasMatch(cid, text[t_start:t_end], t_start, t_end, False, score)
                    break

    def _closest_latin(self, key: str) -> tuple[str, float] | None:
        if len(key) < 4:
            return None  # "GMC" vs "GM": short names are too close to guess
        best: tuple[str, float] | None = None
        matcher = difflib.SequenceMatcher(None, "", key, autojunk=False)
        for entry in self._entries.get(key[0], ()):
            if not entry.latin_start or abs(len(entry.key) - len(key)) > 2 or entry.key == key:
                continue
            matcher.set_seq1(entry.key)
            if matcher.real_quick_ratio() < _FUZZY_RATIO or matcher.quick_ratio() < _FUZZY_RATIO:
                continue
            score = matcher.ratio()
            if score >= _FUZZY_RATIO and (best is None or score > best[1]):
                best = (entry.companies[0], round(score, 3))
        return best

    def _fuzzy_cjk(self, text: str, folded: FoldedText, start: int, end: int,
                   taken: list[tuple[int, int]]) -> Iterable[AliasMatch]:
        """Chinese aliases of four characters or more with exactly one character replaced
        ("宁德时伐" for 宁德时代): same first character, same length."""
        if self._cjk_starts is None:
            return
        f = folded.text
        f_start, f_end = folded.folded_offset(start), folded.folded_offset(end)
        for hit in self._cjk_starts.finditer(f, f_start, f_end):
            i = hit.start()
            for entry in self._cjk_fuzzy.get(f[i], ()):
                size = len(entry.key)
                window = f[i:i + size]
                if len(window) < size or i + size > f_end or window == entry.key:
                    continue
                same = sum(1 for a, b in zip(window, entry.key) if a == b)
                score = same / size
                if score < _FUZZY_CJK_RATIO:
                    continue
                o_start, o_end = folded.original_span(i, i + size)
                if not _overlaps(o_start, o_end, taken):
                    yield AliasMatch(entry.companies[0], text[o_start:o_end], o_start, o_end, False,
                                     round(score, 3))


def _false_friend(key: str, folded: str, end: int) -> bool:
    """True when a short Chinese alias is, here, an ordinary word ("日产量")."""
    followers = FALSE_FRIENDS.get(key)
    return bool(followers) and any(folded.startswith(f, end) for f in followers or ())


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    for s, e in spans:
        if start < e and s < end:
            return True
    return False


def _longest_non_overlapping(
    raw: list[tuple[int, int, _Entry]],
) -> list[tuple[int, int, _Entry]]:
    """Keep the longest matches first, then any shorter match that does not overlap them."""
    reach = previous = -1
    for start, end, _ in raw:
        if start < reach or start < previous:
            break
        previous, reach = start, max(reach, end)
    else:
        return list(raw)  # in order and disjoint (the usual case): every match stands
    chosen: list[tuple[int, int, _Entry]] = []
    occupied: list[tuple[int, int]] = []
    for item in sorted(raw, key=lambda m: (m[0] - m[1], m[0])):
        if not _overlaps(item[0], item[1], occupied):
            chosen.append(item)
            occupied.append((item[0], item[1]))
    return sorted(chosen, key=lambda m: m[0])
