"""Titles for candidates: short, factual, built from what was extracted.

A title is what a curator scans in the review queue and a subscriber in a digest, so it
names the companies by their registered display names and states the happening in a
fixed pattern per type ("Envision acquires AESC from Nissan", "CATL factory in Debrecen,
Hungary (100 GWh)"). It is English whatever the article's language; the quote keeps the
original words.
"""

from __future__ import annotations

from typing import Any

from feeds.aliases import AliasIndex
from feeds.extract.drafts import Draft

__all__ = ["title_for"]

_COUNTRY_NAMES = {
    "CN": "China", "HU": "Hungary", "DE": "Germany", "GB": "UK", "SE": "Sweden", "US": "US",
    "FR": "France", "ES": "Spain", "PL": "Poland", "PT": "Portugal", "JP": "Japan",
    "KR": "South Korea", "MX": "Mexico", "CA": "Canada", "IT": "Italy", "CZ": "Czechia",
    "SK": "Slovakia", "NO": "Norway", "FI": "Finland", "NL": "Netherlands", "BE": "Belgium",
    "MA": "Morocco", "ID": "Indonesia", "TH": "Thailand", "IN": "India", "HK": "Hong Kong",
    "SG": "Singapore", "TR": "Turkey", "RS": "Serbia", "BR": "Brazil", "AU": "Australia",
}


def _names(draft: Draft, index: AliasIndex, *roles: str) -> list[str]:
    return [index.name_of(m.company) for m, r in draft.roles if r in roles]


def _join(names: list[str]) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _place(location: dict[str, str]) -> str:
    """"Debrecen, Hungary", "Michigan, US", "China": the finest place and its country."""
    country = _COUNTRY_NAMES.get(location.get("country", ""), location.get("country"))
    local = location.get("city") or location.get("region")
    return ", ".join(p for p in dict.fromkeys([local, country]) if p)


def _money(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    amount = float(value["value"])
    for scale, word in ((1e9, "bn"), (1e6, "m")):
        if amount >= scale:
            return f"{value['currency']} {amount / scale:g}{word}"
    return f"{value['currency']} {amount:g}"


# A deal's title says how far it got: talks are not a purchase.
_ACQUIRES = {"rumored": "may acquire", "announced": "to acquire", "approved": "cleared to acquire",
             "cancelled": "drops bid for"}


def title_for(draft: Draft, index: AliasIndex) -> str:
    """A one-line title for a draft (see the module doc)."""
    kind, fields = draft.type, draft.fields
    where = _place(draft.location)
    at = f" in {where}" if where else ""
    gwh = f" ({draft.capacity_gwh:g} GWh)" if draft.capacity_gwh else ""
    first = _join([index.name_of(m.company) for m, _ in draft.roles[:1]])
    if kind == "acquisition":
        buyer, target = _join(_names(draft, index, "acquirer")), _join(_names(draft, index, "target"))
        seller = _join(_names(draft, index, "seller"))
        stake = f" {fields['stake_pct']:g}% of" if "stake_pct" in fields else ""
        verb = _ACQUIRES.get(draft.status, "acquires")
        text = f"{buyer or 'Buyer'} {verb}{stake} {target or 'a business'}"
        return text + (f" from {seller}" if seller else "")
    if kind == "investment":
        investors = _join(_names(draft, index, "lead", "investor")) or "Investors"
        investee = _join(_names(draft, index, "investee"))
        amount = _money(fields.get("amount"))
        return f"{investors} invest{'s' if ' and ' not in investors else ''} in {investee or 'a company'}" + (
            f" ({amount})" if amount else "")
    if kind == "partnership":
        scope = {"joint_venture": "joint venture", "licensing": "licensing deal", "rnd": "R&D partnership",
                 "strategic": "strategic partnership"}.get(fields.get("scope", ""), "partnership")
        return f"{_join(_names(draft, index, 'partner'))} {scope}"
    if kind == "supply_deal":
        supplier, customer = _join(_names(draft, index, "supplier")), _join(_names(draft, index, "customer"))
        volume = f" ({fields['volume_gwh']:g} GWh)" if "volume_gwh" in fields else ""
        return f"{supplier or 'Supplier'} to supply {customer or 'a customer'}{volume}"
    if kind == "factory":
        return f"{_join(_names(draft, index, 'operator')) or first} factory{at}{gwh}"
    if kind == "factory_closure":
        return f"{_join(_names(draft, index, 'operator')) or first} closes factory{at}".rstrip()
    if kind == "bankruptcy":
        procedure = fields.get("procedure", "bankruptcy")
        return f"{first} files for {procedure}" if procedure != "administration" else f"{first} enters administration"
    if kind == "policy":
        who = _join(_names(draft, index, "jurisdiction", "authority")) or first
        instrument = str(fields.get("instrument", "policy")).replace("_", " ")
        return f"{who} {instrument}"
    if kind == "recall":
        units = f" of {fields['units']:,} units" if "units" in fields else ""
        return f"{first} recall{units}"
    if kind == "ipo":
        exchange = f" on {fields['exchange']}" if "exchange" in fields else ""
        return f"{first} IPO{exchange}"
    if kind == "leadership_change":
        person = fields.get("person", "new leadership")
        title = fields.get("to_title") or fields.get("from_title")
        verb = "leaves" if "from_title" in fields else "becomes"
        if not title:
            return f"{first}: {person}"
        return f"{first}: {person} steps down as {title}" if verb == "leaves" else f"{first}: {person} becomes {title}"
    if kind == "founding":
        return f"{first} founded"
    if kind == "rebrand":
        new, former = fields.get("new_name"), fields.get("former_name")
        if new and former:
            return f"{former} renamed {new}"
        return f"{first} renamed {new}" if new and new != first else f"{first} rebrand"
    return f"{first} {kind}"
