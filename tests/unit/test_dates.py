"""Valid time keeps the precision the news gave: a year, a month or a day, never invented."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from timeline.dates import as_of_bound, format_timestamp, parse_date, parse_datetime
from timeline.errors import InvalidField


@pytest.mark.parametrize(
    ("text", "precision", "start", "end"),
    [
        ("2012", "year", date(2012, 1, 1), date(2012, 12, 31)),
        ("2012-10", "month", date(2012, 10, 1), date(2012, 10, 31)),
        ("2012-02", "month", date(2012, 2, 1), date(2012, 2, 29)),
        ("2012-10-15", "day", date(2012, 10, 15), date(2012, 10, 15)),
    ],
)
def test_a_date_keeps_its_precision_and_covers_its_whole_period(text, precision, start, end):
    parsed = parse_date(text)
    assert parsed.precision == precision
    assert str(parsed) == text
    assert (parsed.start, parsed.end) == (start, end)


def test_a_single_digit_month_is_written_back_in_canonical_form():
    assert str(parse_date("2011-9")) == "2011-09"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("2012-13", "month 13"),
        ("2012-00", "month 0"),
        ("2013-02-29", "day 29"),
        ("2012-10-32", "day 32"),
        ("12-10", "is not a date"),
        ("last year", "is not a date"),
        ("1066", "outside"),
    ],
)
def test_an_impossible_date_is_refused_naming_the_field_and_the_fault(text, fault):
    with pytest.raises(InvalidField) as caught:
        parse_date(text, field="date")
    assert caught.value.field == "date"
    assert fault in caught.value.message
    assert caught.value.message.startswith("date:")


def test_coarser_dates_sort_before_the_finer_dates_inside_their_period():
    keys = [parse_date(t).sort_key() for t in ("2012-10-15", "2012", "2012-10", "2011-12-31")]
    assert sorted(keys) == [(2011, 12, 31), (2012, 0, 0), (2012, 10, 0), (2012, 10, 15)]


def test_as_of_a_month_or_year_means_through_its_last_day():
    assert as_of_bound("2012") == date(2012, 12, 31)
    assert as_of_bound("2024-02") == date(2024, 2, 29)
    assert as_of_bound("2024-02-10") == date(2024, 2, 10)
    with pytest.raises(InvalidField, match="as-of"):
        as_of_bound("2024-13")


def test_a_datetime_without_offset_is_utc_and_one_with_an_offset_is_converted():
    assert parse_datetime("2026-11-01T09:00:00") == datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
    assert parse_datetime("2026-11-01T09:00:00+01:00") == datetime(2026, 11, 1, 8, tzinfo=timezone.utc)
    assert parse_datetime("2026-11-01T09:00:00Z") == datetime(2026, 11, 1, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize("day", ["2026-11-20", "20261120", "2026-W47-5"])
def test_a_bare_date_as_known_at_means_the_end_of_that_day(day):
    """Whichever ISO form names the day (a week date too, not midnight of it)."""
    assert format_timestamp(parse_datetime(day)) == "2026-11-20T23:59:59.999999Z"


def test_an_unreadable_datetime_names_the_field():
    with pytest.raises(InvalidField) as caught:
        parse_datetime("yesterday-ish")
    assert caught.value.field == "known-at"


def test_transaction_times_have_one_sortable_textual_form():
    early = format_timestamp(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc))
    assert early == "2026-01-02T03:04:05.000006Z"
    late = format_timestamp(parse_datetime("2026-01-02T04:04:05+01:00"))
    assert late == "2026-01-02T03:04:05.000000Z"
    assert late < early
