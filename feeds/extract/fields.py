"""A type's own fields (`timeline.events` typed fields) from the words of its sentence.

The money nearest to a happening's words goes to the field that means money for its type
(price, amount, investment, value, debt, cost, raised); capacities to `capacity_gwh` or
`volume_gwh`; then what only one type has: a stake, a round, a scope, a phase, jobs, a
procedure, an instrument, an exchange and ticker, a person and titles, former and new names.
"""

from __future__ import annotations

import re
from typing import Any

from feeds.extract import figures
from feeds.extract.context import SentenceContext
from feeds.extract.roles import Roles
from feeds.extract.triggers import Trigger
from timeline.dates import PartialDate
from timeline.quantities import Amount

__all__ = ["typed_fields", "phase_of"]

_MONEY_FIELD_TYPES = frozenset({"acquisition", "investment", "supply_deal", "factory", "policy", "recall"})
_DEBT = re.compile(r"debts?|liabilit(?:y|ies)|owe[sd]?|owing|负债|债务|欠款|欠债", re.I)
_RAISE = re.compile(r"rais|募资|募集|融资|筹资|offering|IPO", re.I)


def typed_fields(ctx: SentenceContext, trigger: Trigger, money: list[tuple[re.Match[str], Amount]],
            capacity: float | None, status: str, effective: PartialDate | None,
            roles: Roles) -> dict[str, Any]:
    """The typed fields of `trigger`'s happening, JSON-ready, without the empty ones."""
    s, e = ctx.sentence.start, ctx.sentence.end
    kind = trigger.type
    # the first sum, for the types that have a field for it
    first = money[0][1].model_dump() if money and kind in _MONEY_FIELD_TYPES else None
    fields: dict[str, Any] = {}
    if kind == "acquisition":
        fields = {"stake_pct": figures.stake_pct(ctx.text, s, e), "price": first}
    elif kind == "investment":
        fields = {"amount": first, "round": _round(ctx.text, s, e)}
    elif kind == "partnership":
        fields = {"scope": _scope(ctx, trigger)}
    elif kind == "supply_deal":
        fields = {"product": figures.product_in(ctx.text, s, e), "volume_gwh": capacity, "value": first}
    elif kind == "factory":
        fields = {"capacity_gwh": capacity, "investment": first,
                  "jobs": figures.jobs_in(ctx.text, s, e, trigger.start),
                  "product": figures.product_in(ctx.text, s, e), "phase": phase_of(trigger, status)}
    elif kind == "factory_closure":
        fields = {"capacity_gwh": capacity, "jobs_cut": figures.jobs_cut_in(ctx.text, s, e, trigger.start)}
    elif kind == "bankruptcy":
        debt = [a for m, a in money if _DEBT.search(ctx.text[max(s, m.start() - 40):min(e, m.end() + 40)])]
        clause = ctx.sentence.clauses[ctx.sentence.clause_of(trigger.start)]
        procedure = (figures.procedure_in(trigger.cue, 0, len(trigger.cue))
                     or figures.procedure_in(ctx.text, clause[0], clause[1]) or figures.procedure_in(ctx.text, s, e))
        fields = {"procedure": procedure,
                  "debt": debt[0].model_dump() if debt else None}
    elif kind == "policy":
        fields = {"instrument": _instrument(ctx, trigger), "amount": first,
                  "effective_date": str(effective) if effective else None}
    elif kind == "recall":
        fields = {"units": figures.units_in(ctx.text, s, e, trigger.start), "cost": first,
                  "product": None}
    elif kind == "ipo":
        raised = [a for m, a in money if _RAISE.search(ctx.text[max(s, m.start() - 60):min(e, m.end() + 40)])]
        fields = {"exchange": figures.exchange_in(ctx.text, s, e), "ticker": figures.ticker_in(ctx.text, s, e),
                  "raised": (raised[0] if raised else money[0][1]).model_dump() if money else None}
    elif kind == "leadership_change":
        fields = _leadership(ctx, trigger, roles)
    elif kind == "rebrand":
        former, new = figures.rebrand_names(ctx.text, s, e, ctx.zh)
        _rename_subject(ctx, roles, new)
        if former is None and roles.pairs:
            alias = roles.pairs[0][0]
            if alias.end <= trigger.start and (new is None or alias.alias != new):
                former = alias.alias
        fields = {"former_name": former, "new_name": new}
    return {k: v for k, v in fields.items() if v is not None}


_SCOPES = {"jv": "joint_venture", "license": "licensing", "rnd": "rnd", "strategic": "strategic"}
_SCOPE_WORDS = (
    (re.compile(r"joint[-\s]venture|合资|合营", re.I), "joint_venture"),
    (re.compile(r"licens|licence|授权|许可", re.I), "licensing"),
    (re.compile(r"R&D|research|develop|研发|开发", re.I), "rnd"),
    (re.compile(r"suppl|供应|供货", re.I), "supply"),
    (re.compile(r"strategic|战略", re.I), "strategic"),
)


def _scope(ctx: SentenceContext, trigger: Trigger) -> str | None:
    """The partnership's scope: from its own wording, else from the words of its clause."""
    if trigger.flavour in _SCOPES:
        return _SCOPES[trigger.flavour]
    clause = ctx.sentence.clauses[ctx.sentence.clause_of(trigger.start)]
    words = ctx.text[clause[0]:clause[1]]
    for pattern, scope in _SCOPE_WORDS:
        if pattern.search(words):
            return scope
    return None


def _rename_subject(ctx: SentenceContext, roles: Roles, new: str | None) -> None:
    """A company renamed to one of its registered names is that company, whatever the
    sentence's subject ("The company, renamed Envision AESC in 2019": AESC, not its parent)."""
    if new is None:
        return
    for mention in ctx.mentions:
        if mention.alias == new or new.startswith(mention.alias) and mention.end > mention.start:
            if roles.pairs and roles.pairs[0][0].company != mention.company:
                roles.pairs[:] = [(mention, "company")]
            return


_ROUND = re.compile(r"\b(?:series\s+(?P<s>[A-H])\b|(?P<seed>seed)\s+round|pre-(?P<pre>[A-H])\b)"
                    r"|(?P<z>天使|Pre-?[A-H]\+?|[A-H]\+?)轮", re.I)


def _round(text: str, start: int, end: int) -> str | None:
    match = _ROUND.search(text, start, end)
    if match is None:
        return None
    if match["s"]:
        return f"Series {match['s'].upper()}"
    if match["seed"]:
        return "seed"
    if match["pre"]:
        return f"Pre-{match['pre'].upper()}"
    label = match["z"]
    return "angel" if label == "天使" else f"Series {label.upper()}"


_INSTRUMENT_ORDER = ("tariff", "tax_credit", "subsidy", "ban", "law", "target")


def _instrument(ctx: SentenceContext, trigger: Trigger) -> str | None:
    flavours = {t.flavour for t in ctx.triggers if t.type == "policy"}
    for name in _INSTRUMENT_ORDER:
        if name in flavours:
            return name
    return None


def _leadership(ctx: SentenceContext, trigger: Trigger, roles: Roles) -> dict[str, Any]:
    s, e = ctx.sentence.start, ctx.sentence.end
    taken = [(m.start, m.end) for m in ctx.mentions]
    person = figures.person_near(ctx.text, s, e, trigger.start, trigger.end, taken, ctx.zh)
    titles = figures.titles_in(ctx.text, s, e)
    after: list[str | None] = [name for at, name in titles if at >= trigger.start]
    before: list[str | None] = [name for at, name in titles if at < trigger.start]
    title = (after or before or [None])[0] if titles else None
    return {"person": person, "from_title" if trigger.flavour == "depart" else "to_title": title}


def phase_of(trigger: Trigger, status: str) -> str | None:
    if status == "cancelled":
        return None
    if status == "announced":
        return "announced"
    return {"construct": "under_construction", "produce": "operating", "expand": "expanded"}.get(
        trigger.flavour, "under_construction" if status == "started" else
        "operating" if status == "completed" else None)
