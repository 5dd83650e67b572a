"""Money and capacity, normalised from the ways news writes them.

"3.5亿英镑", "£320m", "US$1.2bn" and "350000000 GBP" are one kind of thing: a number and an
ISO currency. "8千兆瓦时" and "8 GWh" are one capacity. Curators type these on the command
line and extraction finds them in articles, so both use the one grammar kept here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from timeline.errors import InvalidField

NonNegative = Annotated[float, Field(ge=0)]


class Amount(BaseModel):
    """A sum of money: `value` in units of `currency` (ISO 4217)."""

    model_config = ConfigDict(frozen=True)

    value: NonNegative
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    approximate: bool = False


# Longest spellings first so that "元人民币" wins over "元" and "US$" over "$".
_CURRENCY_PREFIX = {
    "US$": "USD", "HK$": "HKD", "A$": "AUD", "C$": "CAD", "S$": "SGD", "$": "USD",
    "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "₩": "KRW", "RMB": "CNY",
}
_CURRENCY_SUFFIX = {
    "元人民币": "CNY", "人民币": "CNY", "美元": "USD", "欧元": "EUR", "英镑": "GBP",
    "日元": "JPY", "韩元": "KRW", "港元": "HKD", "港币": "HKD", "瑞郎": "CHF", "加元": "CAD",
    "澳元": "AUD", "元": "CNY",
    "us dollars": "USD", "dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR",
    "pounds sterling": "GBP", "pounds": "GBP", "pound": "GBP", "yuan": "CNY",
    "renminbi": "CNY", "yen": "JPY", "won": "KRW",
}
_ISO_CODES = (
    "USD", "EUR", "GBP", "CNY", "RMB", "JPY", "KRW", "HKD", "CHF", "SEK", "NOK", "DKK", "PLN",
    "HUF", "CZK", "CAD", "AUD", "INR", "IDR", "SGD", "MXN", "BRL", "TRY",
)
_SCALES = {
    "万亿": Decimal(10) ** 12, "千亿": Decimal(10) ** 11, "百亿": Decimal(10) ** 10,
    "十亿": Decimal(10) ** 9, "亿": Decimal(10) ** 8, "千万": Decimal(10) ** 7,
    "百万": Decimal(10) ** 6, "十万": Decimal(10) ** 5, "万": Decimal(10) ** 4,
    "千": Decimal(10) ** 3,
    "trillion": Decimal(10) ** 12, "tn": Decimal(10) ** 12,
    "billion": Decimal(10) ** 9, "bn": Decimal(10) ** 9, "b": Decimal(10) ** 9,
    "million": Decimal(10) ** 6, "mln": Decimal(10) ** 6, "mn": Decimal(10) ** 6,
    "m": Decimal(10) ** 6, "thousand": Decimal(10) ** 3, "k": Decimal(10) ** 3,
}
_APPROX = ("约", "大约", "近", "逾", "超过", "about", "around", "approximately", "nearly",
           "roughly", "some", "almost", "over", "more than", "up to")


def _alternation(words: list[str] | tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = _alternation(list(_SCALES))
_PREFIX = _alternation(list(_CURRENCY_PREFIX) + list(_ISO_CODES))
_SUFFIX = _alternation(list(_CURRENCY_SUFFIX) + list(_ISO_CODES))
_APPROX_RE = _alternation(_APPROX)

# An ASCII scale word must end at a word boundary ("m" in "£320m" but not in "320 miles").
_SCALE_TAIL = rf"(?:\s?(?P<scale>{_SCALE})(?![A-Za-z]))?"

MONEY_PATTERN = re.compile(
    rf"(?P<approx>(?:{_APPROX_RE})\s?)?"
    rf"(?:"
    rf"(?P<prefix>{_PREFIX})\s?(?P<num1>{_NUMBER}){_SCALE_TAIL.replace('scale', 'scale1')}"
    rf"|"
    rf"(?P<num2>{_NUMBER}){_SCALE_TAIL.replace('scale', 'scale2')}\s?(?P<suffix>{_SUFFIX})(?![A-Za-z])"
    rf")",
    re.IGNORECASE,
)

_CAPACITY_UNITS = {
    "千兆瓦时": Decimal(1), "吉瓦时": Decimal(1), "gw时": Decimal(1), "兆瓦时": Decimal("0.001"),
    "太瓦时": Decimal(1000), "gigawatt-hours": Decimal(1), "gigawatt hours": Decimal(1),
    "gigawatt-hour": Decimal(1), "gigawatt hour": Decimal(1), "megawatt-hours": Decimal("0.001"),
    "megawatt hours": Decimal("0.001"), "twh": Decimal(1000), "gwh": Decimal(1),
    "mwh": Decimal("0.001"), "kwh": Decimal("0.000001"),
}
CAPACITY_PATTERN = re.compile(
    rf"(?P<approx>(?:{_APPROX_RE})\s?)?(?P<num>{_NUMBER})\s?(?P<unit>{_alternation(list(_CAPACITY_UNITS))})",
    re.IGNORECASE,
)


def _decimal(number: str) -> Decimal:
    return Decimal(number.replace(",", ""))


def _plain(value: Decimal) -> float:
    """Normalise to a float without binary noise (3.5e8 stays 350000000.0)."""
    return float(value.normalize())


def _scale(word: str | None) -> Decimal:
    if not word:
        return Decimal(1)
    return _SCALES.get(word, _SCALES.get(word.lower(), Decimal(1)))


def _currency(match: re.Match[str]) -> str:
    token = match["prefix"] or match["suffix"]
    for table in (_CURRENCY_PREFIX, _CURRENCY_SUFFIX):
        for spelling, code in table.items():
            if spelling.lower() == token.lower():
                return code
    code = token.upper()
    return "CNY" if code == "RMB" else code


def money_from_match(match: re.Match[str]) -> Amount:
    number = match["num1"] or match["num2"]
    scale = _scale(match["scale1"] if match["num1"] else match["scale2"])
    value = _decimal(number) * scale
    return Amount(value=_plain(value), currency=_currency(match), approximate=bool(match["approx"]))


def find_money(text: str) -> Iterator[tuple[re.Match[str], Amount]]:
    """Every sum of money written in `text`, in order, with where it stood."""
    for match in MONEY_PATTERN.finditer(text):
        yield match, money_from_match(match)


def parse_money(text: str, field: str = "amount") -> Amount:
    """Parse one sum given on its own: `350000000 GBP`, `3.5亿英镑`, `£320m`, `US$1.2bn`."""
    raw = text.strip()
    match = MONEY_PATTERN.fullmatch(raw)
    if match is None:
        raise InvalidField(
            field,
            f"{text!r} is not an amount of money; write a number and a currency such as "
            "'350000000 GBP', '3.5亿英镑', '£320m' or 'US$1.2bn'",
        )
    try:
        return money_from_match(match)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidField(field, f"{text!r} is not an amount of money ({exc})") from None


def capacity_from_match(match: re.Match[str]) -> float:
    return _plain(_decimal(match["num"]) * _CAPACITY_UNITS[match["unit"].lower()])


def find_capacities(text: str) -> Iterator[tuple[re.Match[str], float]]:
    """Every energy capacity written in `text`, in GWh."""
    for match in CAPACITY_PATTERN.finditer(text):
        yield match, capacity_from_match(match)


def parse_capacity(text: str, field: str = "capacity_gwh") -> float:
    """Parse a capacity: a bare number means GWh; units such as MWh or 吉瓦时 convert."""
    raw = text.strip()
    match = CAPACITY_PATTERN.fullmatch(raw)
    if match is not None:
        return capacity_from_match(match)
    if raw.startswith("-") and CAPACITY_PATTERN.fullmatch(raw[1:].strip()):
        raise InvalidField(field, f"{text} is negative; a capacity is at least 0")
    return parse_number(raw, field, minimum=0.0)


def parse_number(text: str, field: str, minimum: float | None = None) -> float:
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        raise InvalidField(field, f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidField(field, f"{text!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise InvalidField(field, f"{text} is negative; it must be at least {minimum:g}")
    return value
