"""Money is a number and an ISO currency; capacity is GWh, whatever unit the news used."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from timeline.errors import InvalidField
from timeline.quantities import Amount, parse_capacity, parse_money


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("350000000 GBP", 350_000_000, "GBP"),
        ("3.5亿英镑", 350_000_000, "GBP"),
        ("£320m", 320_000_000, "GBP"),
        ("US$1.2bn", 1_200_000_000, "USD"),
        ("€2 billion", 2_000_000_000, "EUR"),
        ("100亿元人民币", 10_000_000_000, "CNY"),
        ("1,250,000 EUR", 1_250_000, "EUR"),
        ("500 RMB", 500, "CNY"),
    ],
)
def test_money_is_normalised_to_a_number_and_an_iso_currency(text, value, currency):
    amount = parse_money(text)
    assert amount.value == value
    assert amount.currency == currency
    assert amount.approximate is False


def test_a_hedged_amount_is_marked_approximate():
    amount = parse_money("约10亿美元")
    assert (amount.value, amount.currency, amount.approximate) == (1_000_000_000, "USD", True)


@pytest.mark.parametrize("text", ["abc", "12", "GBP", "-5 USD", "five million dollars"])
def test_text_that_is_not_money_is_refused_naming_the_field(text):
    with pytest.raises(InvalidField) as caught:
        parse_money(text, "price")
    assert caught.value.field == "price"
    assert "not an amount of money" in caught.value.message


def test_an_amount_cannot_be_negative_or_carry_a_made_up_currency():
    with pytest.raises(ValidationError):
        Amount(value=-1, currency="USD")
    with pytest.raises(ValidationError):
        Amount(value=1, currency="usd")


@pytest.mark.parametrize(
    ("text", "gwh"),
    [
        ("8", 8),
        ("8 GWh", 8),
        ("8000 MWh", 8),
        ("500兆瓦时", 0.5),
        ("1.5 TWh", 1500),
        ("20吉瓦时", 20),
        ("40千兆瓦时", 40),
        ("35 gigawatt-hours", 35),
    ],
)
def test_capacity_is_normalised_to_gwh(text, gwh):
    assert parse_capacity(text) == pytest.approx(gwh)


@pytest.mark.parametrize(("text", "fault"), [("-5", "negative"), ("lots", "not a number"),
                                             ("nan", "finite")])
def test_a_negative_or_non_numeric_capacity_is_refused_naming_the_field(text, fault):
    with pytest.raises(InvalidField) as caught:
        parse_capacity(text, "capacity_gwh")
    assert caught.value.field == "capacity_gwh"
    assert fault in caught.value.message
