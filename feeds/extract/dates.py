"""Dates written in articles, at the precision the article gave.

A happening is dated by the words next to it, not by the day the article appeared:
"2018年8月" is 2018-08 (month) even in an article of 2019; "2015年底" is 2015 with the note
"late", never an invented day. Words that only make sense against the publication date
("今日", "yesterday", "on Monday", "last year") are resolved against it, to the precision
they carry. Dates that name a goal ("by 2030", "到2030年", "计划于2025年投产", "will start
production in 2026") are marked as targets so that nobody mistakes them for a happening
that has already taken place; dates that say when a rule applies ("from 1 January 2026",
"2026年起") are marked as effective dates.

Notes follow the vocabulary of `timeline.loose_dates`: early, mid, late, H1, H2,
Q1..Q4.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from feeds.extract.lazy import for_lowered, lowered
from timeline.dates import PartialDate

__all__ = ["DateMention", "find_dates", "published_date"]

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
             "saturday": 5, "sunday": 6}
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_QUALIFIER_EN = (r"(?:early|mid|late|the\s+end\s+of|end\s+of|the\s+start\s+of|start\s+of"
                 r"|the\s+beginning\s+of|beginning\s+of|the\s+middle\s+of|middle\s+of"
                 r"|the\s+first\s+half\s+of|first\s+half\s+of|the\s+second\s+half\s+of"
                 r"|second\s+half\s+of|H[12]|Q[1-4]|the\s+(?:first|second|third|fourth)\s+quarter\s+of)")
_YEAR = r"(?:19[5-9]\d|20\d\d|21[0-4]\d)"
# A year is not a year when it is part of a figure: "2600亿元", "2,000 jobs", "4680 cells".
_NOT_FIGURE = r"(?![\d,.]?\d)(?!\s*(?:亿|万|千|百|元|%|个|辆|台|人|名|吨|家|座|条|块|平方|公里|GWh|MWh|kWh|GW|MW|mAh|Wh|km|cells|vehicles|units|jobs|cars|workers|employees|tonnes|tons|people|staff))"

# Each pattern opens with a lookahead for the characters its matches can start with (under
# the pattern's own flags): a necessary condition, so the matches are the same, but the
# engine turns most positions away with one character test instead of trying every
# alternative of the pattern there.
_EN_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(rf"(?=[12])\b(?P<y>{_YEAR})-(?P<m>0[1-9]|1[0-2])-(?P<d>[0-3]\d)\b")),
    ("dmy", re.compile(rf"(?=\d)\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\.?,?\s+(?P<y>{_YEAR})\b", re.I)),
    ("mdy", re.compile(rf"(?=[adfjmnos])\b(?P<mon>{_MONTH})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})\b", re.I)),
    ("my", re.compile(rf"(?=[abdefhjlmnoqst])\b(?:(?P<q>{_QUALIFIER_EN})[\s-]+)?(?P<mon>{_MONTH})\.?,?\s+(?:of\s+)?(?P<y>{_YEAR})\b", re.I)),
    ("dm", re.compile(rf"(?=o)\b(?:on\s+)(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\b(?!\.?,?\s+\d)", re.I)),
    ("md", re.compile(rf"(?=o)\b(?:on\s+)(?P<mon>{_MONTH})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?!,?\s+\d)", re.I)),
    ("m", re.compile(rf"(?=[bdfisu])\b(?:in|since|during|until|by|from)\s+(?:(?P<q>early|mid|late)[\s-]+)?(?P<mon>{_MONTH})\b(?!\.?,?\s+\d)(?!\s+[0-3]?\d\b)", re.I)),
    ("y", re.compile(rf"(?=[12befhlmqst])(?<![\d$€£¥.,/-])(?:(?P<q>{_QUALIFIER_EN})[\s-]+)?(?P<y>{_YEAR})\b{_NOT_FIGURE}(?!-\d)", re.I)),
    ("rel", re.compile(
        r"(?=[elnoty])\b(?P<rel>today|yesterday|this\s+week|last\s+week|earlier\s+this\s+week|this\s+month"
        r"|last\s+month|earlier\s+this\s+month|this\s+year|last\s+year|next\s+year|earlier\s+this\s+year"
        r"|(?:on|last|this)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b", re.I)),
]

_EN_LISTED: list[tuple[str, str | None, re.Pattern[str]]] = [(k, None, p) for k, p in _EN_PATTERNS]


# kind -> the pattern that finds where the English pattern of that kind matches, on
# lower-cased text
_EN_FOLDED: dict[str, re.Pattern[str]] = {kind: for_lowered(p) for kind, p in _EN_PATTERNS if p.flags & re.I}

_ZH_PERIOD = {"初": "early", "年初": "early", "中": "mid", "年中": "mid", "底": "late",
              "年底": "late", "末": "late", "年末": "late", "上半年": "H1", "下半年": "H2",
              "上旬": "early", "中旬": "mid", "下旬": "late", "一季度": "Q1", "二季度": "Q2",
              "三季度": "Q3", "四季度": "Q4", "第一季度": "Q1", "第二季度": "Q2",
              "第三季度": "Q3", "第四季度": "Q4"}
def _led(guard: str, alternatives: list[str]) -> str:
    """`(?<!guard)(?:a|b|…)` written with a literal first in each alternative and the
    lookbehind after it ("1(?<!guard1)9[5-9]\\d"): the same matches, but the engine skips
    to the next possible first character instead of trying the pattern everywhere."""
    return "|".join(rf"{re.escape(a[0])}(?<!{guard}{re.escape(a[0])}){a[1:]}" for a in alternatives)


# (?<!\d)(?P<y>{_YEAR}), and (?<![\d年…])(?P<m>1[0-2]|0?[1-9]), first character first
_YEAR_LED = _led(r"\d", [r"19[5-9]\d", r"20\d\d", r"21[0-4]\d"])
_MONTHS_LED = [r"1[0-2]", r"0[1-9]", *"123456789"]
_MONTH_LED_YMD = _led(r"[\d年]", _MONTHS_LED)
_MONTH_LED_M = _led(r"[\d年个]", _MONTHS_LED)

# (kind, character every match contains or None, pattern)
_ZH_PATTERNS: list[tuple[str, str | None, re.Pattern[str]]] = [
    ("ymd", "年", re.compile(rf"(?P<y>{_YEAR_LED})\s*年\s*(?P<m>1[0-2]|0?[1-9])\s*月\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*[日号]")),
    ("ym", "年", re.compile(rf"(?P<y>{_YEAR_LED})\s*年\s*(?P<m>1[0-2]|0?[1-9])\s*月(?:份)?(?P<q>上旬|中旬|下旬|初|底|末)?")),
    ("y", "年", re.compile(rf"(?P<y>{_YEAR_LED})\s*年(?:度)?(?P<q>上半年|下半年|年初|年中|年底|年末|第[一二三四]季度|[一二三四]季度|初|底|末)?")),
    ("md", "月", re.compile(rf"(?P<m>{_MONTH_LED_YMD})\s*月\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*[日号]")),
    ("m", "月", re.compile(rf"(?P<m>{_MONTH_LED_M})\s*月(?:份)?(?P<q>上旬|中旬|下旬|初|底|末)?(?![\d日号])")),
    ("rel", None, re.compile(r"(?P<rel>今日|今天|日前|近日|昨日|昨天|本周|上周|本月|上月|今年|去年|明年|前日|前天)")),
]

_TARGET_BEFORE_EN = re.compile(
    r"\b(?:by|until|before|no\s+later\s+than|targets?|targeting|aims?|aiming|plans?|planned|planning|"
    r"expects?|expected|scheduled|slated|due|will|would|shall|set\s+to|intends?|goal|"
    r"to\s+be\s+(?:completed|operational|built|finished|ready)|should|hopes?|is\s+to|are\s+to)\b"
    r"(?:(?![.;]).){0,60}$", re.I)
_TARGET_BEFORE_ZH = re.compile(r"(?:到|至|计划|预计|将于|将在|将|拟于|拟在|拟|力争|目标|有望|争取|规划|预期)[^，。；]{0,20}$")
_TARGET_AFTER_ZH = re.compile(r"^\s*(?:前|之前|以前|内)")
_TARGET_AFTER_EN = re.compile(r"^\s*(?:target|goal)", re.I)
_EFFECTIVE_BEFORE_EN = re.compile(r"\b(?:from|starting|effective|as\s+of|beginning|takes?\s+effect\s+(?:on|in))\s+(?:on\s+)?$", re.I)
# The end of a term ("from August 2027 to July 2030"): when a deal runs, not a goal of it.
_TERM_END_EN = re.compile(r"\bfrom\b(?:(?![.;]).){1,40}\b(?:to|until|till|through)\s+$", re.I)
_EFFECTIVE_AFTER_ZH = re.compile(r"^\s*(?:起|开始实施|开始征收|起实施|起生效|生效|实施)")
_AS_OF_ZH = re.compile(r"截至\s*$")
_TARGET_LOWERED = for_lowered(_TARGET_BEFORE_EN)
_TARGET_AFTER_LOWERED = for_lowered(_TARGET_AFTER_EN)
_EFFECTIVE_LOWERED = for_lowered(_EFFECTIVE_BEFORE_EN)
_TERM_END_LOWERED = for_lowered(_TERM_END_EN)
_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


# Not frozen, for speed, but hashable by value: see `feeds.extract.text.Sentence`.
@dataclass(slots=True, unsafe_hash=True)
class DateMention:
    """A date the text wrote, where, and what it means for the happening next to it."""

    date: PartialDate
    start: int
    end: int
    relative: bool = False       # resolved against the publication date
    target: bool = False         # a goal ("by 2030"), not something that happened
    effective: bool = False      # when a rule applies ("from 2026", "2026年起")


_ENGLISH_HINTS = re.compile(
    rf"(?P<month>\b{_MONTH}\b)|(?P<iso>\d{{4}}-\d\d-\d\d)|(?P<year>(?<!\d){_YEAR}(?!\d))"
    r"|(?P<rel>\b(?:today|yesterday|week|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)",
    re.I,
)
_KINDS_BY_HINT = {"month": {"dmy", "mdy", "my", "dm", "md", "m"}, "iso": {"iso"}, "year": {"y"}, "rel": {"rel"}}


def _first_letter_form(words: dict[str, str]) -> re.Pattern[str]:
    """`\\b(?:w1|w2|...)\\b` written so that each alternative starts with a literal (the
    word's first letter, the boundary before it checked behind): the engine then skips to
    the next possible first letter instead of trying every word at every position. Keys
    are first letters, values the alternation of the words' remainders."""
    return re.compile("|".join(rf"{first}(?<!\w{first})(?:{rest})\b" for first, rest in words.items()))


# On lower-cased text; the same matches as \b{_MONTH}\b and \b(?:today|...|sunday)\b.
_MONTH_WORD = _first_letter_form({
    "j": "an(?:uary)?|une?|uly?", "f": "eb(?:ruary)?", "m": "ar(?:ch)?|ay", "a": "pr(?:il)?|ug(?:ust)?",
    "s": "ept?(?:ember)?", "o": "ct(?:ober)?", "n": "ov(?:ember)?", "d": "ec(?:ember)?"})
_REL_WORD = _first_letter_form({
    "t": "oday|uesday|hursday", "y": "esterday|ear", "w": "eek|ednesday", "m": "onth|onday",
    "f": "riday", "s": "aturday|unday"})
_ISO_HINT = re.compile(r"\d\d\d\d-\d\d-\d\d")
# (?<!\d)(?:19[5-9]\d|20\d\d|21[0-4]\d)(?!\d), literal first
_YEAR_HINT = re.compile(r"1(?<!\d1)9[5-9]\d(?!\d)|2(?<!\d2)(?:0\d|1[0-4])\d(?!\d)")


# What every month word and every relative word holds: a cheap first test (`in`).
_MONTH_STEMS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_REL_STEMS = ("day", "week", "month", "year")


def _any_in(text: str, stems: tuple[str, ...]) -> bool:
    for stem in stems:
        if stem in text:
            return True
    return False


def _english_kinds(text: str, start: int, end: int, folded: str | None | bool = False,
                   digits: bool = True) -> set[str]:
    """Which English date spellings can occur in the span, from cheap passes: nine
    case-insensitive patterns over every sentence would cost more than the rest of
    extraction.

    The month and relative words are looked for in the lower-cased span (see
    `feeds.extract.lazy`), the digits in the text itself. Each hint is a necessary condition
    for its patterns; a year inside an ISO date also counts as a year here, which costs
    one search for nothing (the "y" pattern never matches a year followed by "-" and a
    digit). `folded` is `lowered(text, max(0, start - 1), end)` when the caller has it;
    `digits` False says the span has none, and so no spelling but the relative words.
    """
    low = max(0, start - 1)
    lowered_span = lowered(text, low, end) if folded is False else folded
    if not isinstance(lowered_span, str):
        return _english_kinds_casefolding(text, start, end)
    at = start - low
    kinds: set[str] = set()
    if digits:
        if _any_in(lowered_span, _MONTH_STEMS) and _MONTH_WORD.search(lowered_span, at):
            kinds |= _KINDS_BY_HINT["month"]
        if text.find("-", start, end) >= 0 and _ISO_HINT.search(text, start, end):
            kinds.add("iso")
        if _YEAR_HINT.search(text, start, end):
            kinds.add("y")
    if _any_in(lowered_span, _REL_STEMS) and _REL_WORD.search(lowered_span, at):
        kinds.add("rel")
    return kinds


def _english_kinds_casefolding(text: str, start: int, end: int) -> set[str]:
    kinds: set[str] = set()
    for match in _ENGLISH_HINTS.finditer(text, start, end):
        assert match.lastgroup is not None
        kinds |= _KINDS_BY_HINT[match.lastgroup]
    return kinds


def published_date(published: str | None) -> date | None:
    """The calendar day of an ISO 8601 publication time (UTC as the item gives it)."""
    if not published:
        return None
    try:
        return datetime.fromisoformat(published.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(published[:10])
        except ValueError:
            return None


def _month(word: str) -> int:
    return _MONTHS[word[:3].lower()]


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if month is not None and not 1 <= month <= 12:
        return False
    if month is not None and day is not None:
        return 1 <= day <= calendar.monthrange(year, month)[1]
    return True


def _en_note(qualifier: str | None) -> str | None:
    if not qualifier:
        return None
    q = " ".join(qualifier.lower().split())
    for word, note in (("first half", "H1"), ("second half", "H2"), ("first quarter", "Q1"),
                       ("second quarter", "Q2"), ("third quarter", "Q3"),
                       ("fourth quarter", "Q4"), ("early", "early"), ("start", "early"),
                       ("beginning", "early"), ("mid", "mid"), ("middle", "mid"),
                       ("late", "late"), ("end", "late")):
        if word in q:
            return note
    return qualifier.upper() if re.fullmatch(r"[hq][1-4]", q) else None


def _year_for(month: int, day: int | None, published: date | None) -> int | None:
    """The year of a date written without one: the publication year, or the year
    before when that would put the date months after the article."""
    if published is None:
        return None
    year = published.year
    if (month, day or 1) > (published.month, published.day) and month - published.month > 2:
        year -= 1
    return year


def _relative(word: str, published: date | None) -> PartialDate | None:
    if published is None:
        return None
    w = " ".join(word.lower().split())
    day = published
    if w in ("yesterday", "昨日", "昨天"):
        day = published - timedelta(days=1)
    elif w in ("前日", "前天"):
        day = published - timedelta(days=2)
    elif w.split()[-1] in _WEEKDAYS:
        back = (published.weekday() - _WEEKDAYS[w.split()[-1]]) % 7
        if w.startswith("last") and back == 0:
            back = 7
        day = published - timedelta(days=back)
    elif w in ("this month", "earlier this month", "本月"):
        return PartialDate(year=published.year, month=published.month)
    elif w in ("last month", "上月"):
        first = published.replace(day=1) - timedelta(days=1)
        return PartialDate(year=first.year, month=first.month)
    elif w in ("this year", "earlier this year", "今年"):
        return PartialDate(year=published.year)
    elif w in ("last year", "去年"):
        return PartialDate(year=published.year - 1)
    elif w in ("next year", "明年"):
        return PartialDate(year=published.year + 1)
    elif w in ("last week", "上周"):
        day = published - timedelta(days=7)
    return PartialDate(year=day.year, month=day.month, day=day.day)


def _from_match(kind: str, match: re.Match[str], published: date | None, zh: bool) -> PartialDate | None:
    groups = match.groupdict()
    if kind == "rel":
        return _relative(groups["rel"], published)
    month: int | None = None
    if groups.get("mon"):
        month = _month(groups["mon"])
    elif groups.get("m"):
        month = int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else None
    if groups.get("y"):
        year: int | None = int(groups["y"])
    else:
        year = _year_for(month or 1, day, published)
    if year is None or not _valid(year, month, day):
        return None
    qualifier = groups.get("q")
    note = _ZH_PERIOD.get(qualifier) if zh and qualifier else _en_note(qualifier)
    return _partial_date(year, month, day, note)


@functools.lru_cache(maxsize=4096)
def _partial_date(year: int, month: int | None, day: int | None, note: str | None) -> PartialDate:
    """A date the text wrote, one instance per value: it is frozen, the same few hundred
    come back article after article, and validating each anew costs as much as finding it."""
    return PartialDate(year=year, month=month, day=day, note=note)


def _overlapping(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def _classify(text: str, start: int, end: int, clause_start: int,
              value: PartialDate, published: date | None) -> tuple[bool, bool]:
    """(target, effective) for the date at text[start:end]."""
    before = text[clause_start:start]
    after = text[end:end + 12]
    # the English patterns on the lower-cased strings when that is exact (see
    # `feeds.extract.lazy`): the same answers, faster
    before_en, after_en = lowered(text, clause_start, start), lowered(text, end, min(len(text), end + 12))
    if before_en is None or after_en is None:
        before_en, after_en = before, after
        effective_en, target_en, target_after_en = _EFFECTIVE_BEFORE_EN, _TARGET_BEFORE_EN, _TARGET_AFTER_EN
        term_end_en = _TERM_END_EN
    else:
        effective_en, target_en, target_after_en = _EFFECTIVE_LOWERED, _TARGET_LOWERED, _TARGET_AFTER_LOWERED
        term_end_en = _TERM_END_LOWERED
    # (the English cue ends in a space: it is only looked for before one, or before the
    # final line break "$" also matches at)
    effective = bool((before_en[-1:].isspace() and (effective_en.search(before_en)
                                                    or term_end_en.search(before_en[-60:])))
                     or _EFFECTIVE_AFTER_ZH.match(after))
    if _AS_OF_ZH.search(before):
        return False, effective
    target = bool(target_en.search(before_en[-80:]) or _TARGET_BEFORE_ZH.search(before[-24:])
                  or _TARGET_AFTER_ZH.match(after) or target_after_en.match(after_en))
    if published is not None:
        if value.start > published:
            target = True  # anything after the article's own day has not happened yet
        elif value.end < published:
            target = False  # a past date is a happening (or a missed goal), never a goal
    return target, effective


def find_dates(text: str, start: int, end: int, clause_starts: list[int],
               published: date | None) -> list[DateMention]:
    """Every date written in text[start:end], most specific spelling first, in order.

    `clause_starts` are the sorted starts of the clauses of the span (target cues only
    count inside the date's own clause).
    """
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    has_digit = _DIGIT.search(text, start, end) is not None
    scripts: list[tuple[bool, list[tuple[str, str | None, re.Pattern[str]]]]] = []
    if _CJK.search(text, start, end):
        scripts.append((True, _ZH_PATTERNS))
    if _LATIN_WORD.search(text, start, end):
        scripts.append((False, _EN_LISTED))
    low = max(0, start - 1)  # one character before the span, for the patterns' lookbehinds
    # the lower-cased span, for English (None: not usable; False: not needed)
    folded: str | None | bool = lowered(text, low, end) if scripts and not scripts[-1][0] else False
    # (no script at all, "GM & VW JV": no pattern to run)
    english_kinds = (_english_kinds(text, start, end, folded, has_digit)
                     if scripts and (len(scripts) > 1 or not scripts[0][0]) else set())
    for zh, patterns in scripts:
        for kind, needed, pattern in patterns:
            if kind != "rel" and not has_digit:
                continue  # every other spelling of a date has a digit in it
            if not zh and kind not in english_kinds:
                continue
            if needed is not None and text.find(needed, start, end) < 0:
                continue  # "年", "月": without it the pattern cannot match
            finder = None if zh else _EN_FOLDED.get(kind)
            if finder is not None and isinstance(folded, str):
                # where the pattern matches, found on the lower-cased span; the match
                # itself (with the text's own case in its groups) taken from the text
                matches: Iterable[re.Match[str] | None] = (
                    pattern.match(text, low + hit.start(), end) for hit in finder.finditer(folded, start - low))
            else:
                matches = pattern.finditer(text, start, end)
            for match in matches:
                assert match is not None
                s, e = match.span()
                if _overlapping(s, e, taken):
                    continue
                value = _from_match(kind, match, published, zh)
                if value is None:
                    continue
                at = bisect.bisect_right(clause_starts, s) - 1
                clause_start = clause_starts[at] if at >= 0 else start
                target, effective = _classify(text, s, e, clause_start, value, published)
                found.append(DateMention(value, s, e, kind == "rel", target, effective))
                taken.append((s, e))
    return sorted(found, key=lambda d: d.start)
