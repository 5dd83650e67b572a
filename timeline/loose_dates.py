"""Dates as people write them, parsed without inventing precision.

`timeline.dates.parse_date` takes only `YYYY[-MM[-DD]]`, which is right for structured
files and for reading options (`--from`, `--as-of`). What a curator or a note says happened
is written for people: `2011年9月`, `2015年底`, `Sept 2011`, `mid-2017`, `2024+` (in
`timeline add --date`, company notes, front matter). Each becomes a `PartialDate` at exactly the
precision given; what the text adds beyond it goes into `note`, from this vocabulary:

    early, mid, late        年初 / 年中 / 年底 / 年末, "early 2016", "end of 2015"
    H1, H2                  上半年 / 下半年, "H1 2020", "1H20" is not accepted
    Q1 .. Q4                第三季度, "Q3 2011", "3Q 2011"
    about                   约 / 左右 / 前后 / circa / c. / ~
    onward                  "2024+", "2024年起", "since 2024"
    to YYYY                 a span "2018-2020" / "2018–2020" / "2018至2020年"
    1990s                   a decade, dated to its first year

A month with a qualifier keeps month precision: 2011年9月底 is 2011-09 with note "late".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from timeline.dates import PartialDate, parse_date
from timeline.errors import InvalidField

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_WORD = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_ZH_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4}
_ZH_PERIOD = {
    "初": "early", "年初": "early", "中": "mid", "年中": "mid", "底": "late", "年底": "late",
    "末": "late", "年末": "late", "上半年": "H1", "下半年": "H2",
}
_EN_PERIOD = {
    "early": "early", "beginning of": "early", "start of": "early", "mid": "mid",
    "middle of": "mid", "late": "late", "end of": "late",
}

_ABOUT_PREFIX = re.compile(r"^(?:约|大约|circa|ca\.|c\.|about|around|approx\.?|~)\s*", re.I)
_ABOUT_SUFFIX = re.compile(r"\s*(?:左右|前后)$")
_ONWARD = re.compile(r"^(?:since\s+|from\s+)?(?P<rest>.+?)\s*(?:\+|年?起|年?以来|onwards?|and later)$", re.I)
_SINCE = re.compile(r"^(?:since|from)\s+(?P<rest>.+)$", re.I)

Parser = Callable[[re.Match[str]], PartialDate]


def _at(year: str, month: int | str | None = None, day: int | str | None = None,
        note: str | None = None) -> PartialDate:
    """Build through `parse_date` so that ranges (1800..2200, months, days) are checked once."""
    text = year
    if month is not None:
        text += f"-{int(month):02d}"
        if day is not None:
            text += f"-{int(day):02d}"
    return parse_date(text).model_copy(update={"note": note})


def _month_number(word: str) -> int:
    return _MONTHS[word.lower().rstrip(".")[:3]]


def _quarter(text: str) -> str:
    return f"Q{_ZH_NUMERALS.get(text, text)}"


# Each pattern is matched against the whole (stripped, lower-cased where it matters) text.
_PATTERNS: list[tuple[re.Pattern[str], Parser]] = [
    (re.compile(r"(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?)?"),
     lambda m: _at(m["y"], m["m"], m["d"])),
    (re.compile(r"(?P<y>\d{4})\s*年\s*(?:(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})\s*[日号])?)?"),
     lambda m: _at(m["y"], m["m"], m["d"])),
    (re.compile(r"(?P<y>\d{4})\s*年\s*(?:(?P<m>\d{1,2})\s*月)?\s*(?P<p>年?初|年?中|年?底|年?末|上半年|下半年)"),
     lambda m: _at(m["y"], m["m"], note=_ZH_PERIOD[m["p"]])),
    (re.compile(r"(?P<y>\d{4})\s*年?\s*第?\s*(?P<q>[1-4一二三四])\s*季度?"),
     lambda m: _at(m["y"], note=_quarter(m["q"]))),
    (re.compile(r"(?:q(?P<q1>[1-4])|(?P<q2>[1-4])q)\s*,?\s*(?P<y>\d{4})|(?P<y2>\d{4})\s*,?\s*q(?P<q3>[1-4])", re.I),
     lambda m: _at(m["y"] or m["y2"], note=f"Q{m['q1'] or m['q2'] or m['q3']}")),
    (re.compile(r"(?:h(?P<h1>[12])|(?P<h2>[12])h)\s*,?\s*(?P<y>\d{4})|(?P<y2>\d{4})\s*,?\s*h(?P<h3>[12])", re.I),
     lambda m: _at(m["y"] or m["y2"], note=f"H{m['h1'] or m['h2'] or m['h3']}")),
    (re.compile(rf"(?P<p>early|mid|late|beginning of|start of|middle of|end of)[\s-]*(?:{_MONTH_WORD}\s*)?(?P<y>\d{{4}})", re.I),
     lambda m: _at(m["y"], _month_number(m["mon"]) if m["mon"] else None, note=_EN_PERIOD[m["p"].lower()])),
    (re.compile(rf"(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+)?{_MONTH_WORD}\s*(?:(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*)?,?\s*(?P<y>\d{{4}})", re.I),
     lambda m: _at(m["y"], _month_number(m["mon"]), m["d"] or m["d2"])),
    (re.compile(r"(?P<y>\d{4})\s*(?:-|–|—|~|to|至|到)\s*(?P<y2>\d{4})\s*年?", re.I),
     lambda m: _span(m["y"], m["y2"])),
    (re.compile(r"(?P<y>\d{3}0)s|(?P<y2>\d{3}0)年代"),
     lambda m: _at(m["y"] or m["y2"], note=f"{m['y'] or m['y2']}s")),
]


def _span(start: str, end: str) -> PartialDate:
    if int(end) <= int(start):
        raise InvalidField("date", f"the span {start}-{end} ends before it starts")
    return _at(start, note=f"to {end}")


def parse_loose_date(text: str, field: str = "date") -> PartialDate:
    """Parse a date as a person wrote it; raise `InvalidField(field, ...)` if it is none."""
    raw = " ".join(text.split())
    if not raw:
        raise InvalidField(field, "is empty; a date such as 2011, 2011-09 or 2011年9月 is needed")
    try:
        return _parse(raw)
    except InvalidField as exc:
        raise InvalidField(field, exc.problem) from None


# The notes of a date that covers more than its year: a decade, a span of years.
_SPANNING = re.compile(r"(?:^|, )(?:\d{3}0s|to \d{4})(?:,|$)")


def parse_happening_date(text: str, field: str = "date") -> PartialDate:
    """A date as a person wrote it, of something that happened once (`timeline add`,
    `correct`): a decade or a span of years is refused. Stored as its first year, it would
    read as a certain year in a replay as of the years after it."""
    when = parse_loose_date(text, field)
    if when.note and _SPANNING.search(when.note):
        raise InvalidField(field, f"{text!r} spans years; date the event to the year, month or "
                                  "day it happened (2015, 2015-09, late 2015)")
    return when


def _parse(raw: str) -> PartialDate:
    about = bool(_ABOUT_PREFIX.match(raw) or _ABOUT_SUFFIX.search(raw))
    core = _ABOUT_SUFFIX.sub("", _ABOUT_PREFIX.sub("", raw))
    onward = _ONWARD.match(core) or _SINCE.match(core)
    if onward:
        core = onward["rest"]
    found = _first_match(core)
    if found is None:
        raise InvalidField(
            "date",
            f"{raw!r} is not a date; write 2011, 2011-09, 2011-09-05, 2011年9月, 2015年底, "
            "late 2015, Q3 2011 or 2024+",
        )
    notes = [n for n in (found.note, "about" if about else None, "onward" if onward else None) if n]
    return found.model_copy(update={"note": ", ".join(notes) or None})


def _first_match(core: str) -> PartialDate | None:
    for pattern, build in _PATTERNS:
        match = pattern.fullmatch(core)
        if match:
            return build(match)
    return None
