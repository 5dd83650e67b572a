"""Clustering: the same happening, reported many times, is one event.

Five sites in two languages report CATL's Debrecen plant; the log should hold one event
with five sources. A draft joins an existing event when the type is the same, the
companies of one report include those of the other, the dates fall within one window and
the figures do not contradict each other; among several such events, the one whose
figures (capacity, amounts) agree best wins. Reports round and restate figures (€7.34bn,
€7.3bn, "up to 100 GWh", 120 GWh once expanded) and name other sums of the same plant
(the state aid it gets): each source keeps its own. Places that differ split: CATL's plant
in Arnstadt is not its plant in Debrecen, even when one article mentions both in the same
month. And where a report names no city, a capacity a third or less of the other's does:
CATL's 8 GWh plant is not its 100 GWh one (a first phase of 40 GWh, named in the same
city, still is).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from timeline.dates import parse_date

WINDOW = timedelta(days=45)


def company_set(event: dict[str, Any]) -> frozenset[str]:
    return frozenset(c["company"] for c in event["companies"])


def cluster_key(event: dict[str, Any]) -> str:
    """A coarse, readable key (type, companies, year) that gathers the reports which may
    be one happening; `best_match` decides, with the date window, the place and the
    figures. Figures are not in the key, since reports that round them differently are
    still one happening."""
    when = parse_date(event["date"])
    return "|".join([event["type"], "+".join(sorted(company_set(event))), str(when.year)])


def dates_close(a: str, b: str) -> bool:
    """Periods that overlap, or lie within the window of each other."""
    first, second = parse_date(a), parse_date(b)
    if first.start <= second.end and second.start <= first.end:
        return True
    gap = min(abs(first.start - second.end), abs(second.start - first.end))
    return gap <= WINDOW


# How far apart the capacities of one happening can be, as the larger over the smaller: a
# plant's first phase against its whole, a figure restated after an expansion.
CONFLICT_RATIO = 3.0


def _capacities(event: dict[str, Any]) -> list[float]:
    fields = event.get("fields", {})
    return [float(v) for v in (event.get("capacity_gwh"), fields.get("capacity_gwh"),
                               fields.get("volume_gwh")) if v]


def _money(event: dict[str, Any]) -> dict[str, list[float]]:
    """Every sum the event names, by currency."""
    sums: dict[str, list[float]] = {}
    typed = [v for v in event.get("fields", {}).values() if isinstance(v, dict) and "currency" in v]
    for amount in [*event.get("amounts", []), *typed]:
        if amount.get("value"):
            sums.setdefault(str(amount["currency"]), []).append(float(amount["value"]))
    return sums


def figures_conflict(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two reports that do not both name the city give capacities too far apart
    (`CONFLICT_RATIO`) to be one plant or one deal. Sums never decide: one plant has an
    investment, a loan and state aid, and no exchange rate is at hand."""
    if _place(a, "city") and _place(b, "city"):
        return False  # the same city (`places_agree` has split the others): the same plant
    mine, theirs = _capacities(a), _capacities(b)
    return bool(mine and theirs) and not any(
        max(x, y) <= CONFLICT_RATIO * min(x, y) for x in mine for y in theirs)


def _figures(event: dict[str, Any]) -> list[float]:
    return [*_capacities(event), *(value for sums in _money(event).values() for value in sums)]


def figure_distance(a: dict[str, Any], b: dict[str, Any]) -> float:
    """0 when the figures agree (or one side has none), up to 1 when none agree."""
    mine, theirs = _figures(a), _figures(b)
    if not mine or not theirs:
        return 0.0
    agree = sum(1 for x in mine if any(abs(x - y) <= 0.1 * max(x, y) for y in theirs))
    return 1 - agree / len(mine)


def _same_parties(a: frozenset[str], b: frozenset[str]) -> bool:
    """One report may name the seller and another not: one set must contain the other."""
    return bool(a) and bool(b) and (a <= b or b <= a)


def _place(event: dict[str, Any], part: str) -> str | None:
    value = (event.get("location") or {}).get(part)
    text = str(value).strip().casefold() if value else ""
    return text or None


def places_agree(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """False only when both name a place and the places differ (country, then city).

    A report that names no place, or only the country, agrees with one that names the city.
    """
    country_a, country_b = _place(a, "country"), _place(b, "country")
    if country_a and country_b and country_a != country_b:
        return False
    city_a, city_b = _place(a, "city"), _place(b, "city")
    return not (city_a and city_b and city_a != city_b)


def best_match(draft: dict[str, Any], events: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The existing event this draft reports again, if any."""
    companies = company_set(draft)
    candidates = [
        e for e in events
        if e["type"] == draft["type"] and not e.get("retracted")
        and _same_parties(company_set(e), companies) and dates_close(e["date"], draft["date"])
        and places_agree(e, draft) and not figures_conflict(e, draft)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda e: figure_distance(draft, e))
