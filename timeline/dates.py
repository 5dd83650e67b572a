"""Dates that keep their precision.

News rarely gives a day: "in September 2011", "by the end of 2015". An event's valid time
is therefore a `PartialDate` — a year, optionally a month, optionally a day — and replay
reasons about the *period* it covers rather than inventing a day nobody reported.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict

from timeline.errors import InvalidField

Precision = Literal["year", "month", "day"]

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class PartialDate(BaseModel):
    """A calendar date known to the year, the month or the day.

    `note` carries qualifiers the text gave without inventing precision ("late" for
    2015年底), so `2015` with note `late` is still the year 2015.
    """

    model_config = ConfigDict(frozen=True)

    year: int
    month: int | None = None
    day: int | None = None
    note: str | None = None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"

    def __str__(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    @property
    def start(self) -> date:
        """First day of the period the date covers."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> date:
        """Last day of the period the date covers."""
        if self.day is not None:
            return self.start
        if self.month is not None:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return date(self.year, 12, 31)

    def sort_key(self) -> tuple[int, int, int]:
        """Oldest first; a coarser date sorts before the finer dates inside its period."""
        return (self.year, self.month or 0, self.day or 0)


def parse_date(text: str, field: str = "date") -> PartialDate:
    """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, naming the field and the fault on error."""
    match = _DATE.match(text.strip())
    if not match:
        raise InvalidField(field, f"{text!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if year < 1800 or year > 2200:
        raise InvalidField(field, f"year {year} is outside 1800..2200")
    if month is not None and not 1 <= month <= 12:
        raise InvalidField(field, f"month {month} is out of range 1..12 in {text!r}")
    if month is not None and day is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise InvalidField(field, f"day {day} is out of range 1..{last} in {text!r}")
    return PartialDate(year=year, month=month, day=day)


def parse_datetime(text: str, field: str = "known-at") -> datetime:
    """Parse ISO 8601 with or without an offset; without one it is UTC.

    A bare date means the end of that day: "what did we know on 2026-11-20" includes
    everything recorded during that day.
    """
    raw = text.strip()
    try:
        if "T" not in raw.upper() and ":" not in raw and " " not in raw:
            day = date.fromisoformat(raw)  # any ISO form of a day: 2026-11-22, 20261122, 2026-W47-7
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=timezone.utc)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidField(
            field, f"{text!r} is not an ISO 8601 datetime such as 2026-11-21T09:30:00+01:00"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:30+01:00 is in year 0 in UTC
        raise InvalidField(field, f"{text!r} is outside the years a datetime can hold") from None


def as_of_bound(text: str) -> date:
    """The last day an `--as-of` value covers: `2012` means through 2012-12-31."""
    return parse_date(text, field="as-of").end


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """The one textual form of a transaction time: UTC, microseconds, `Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
