"""Who did what to whom: the roles of the companies a sentence names.

Each event type maps the reading of `feeds.extract.frames` (agent, patient, markers,
owners) onto its own roles: the agent of "acquire" is the acquirer and of "sell" the
seller; the owner of the thing bought is the seller; "from X" after "buy batteries" is the
supplier; "X领投" / "led by X" is the lead investor. Roles are always roles of the type
(`timeline.events.EVENT_TYPES`). When the wording cannot decide (a "supply agreement
with" names no direction), the result says so and confidence drops.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from feeds.aliases import AliasMatch
from feeds.extract.frames import Frame, agent, conj_chain, marked, patient

__all__ = ["Roles", "assign_roles", "government_kind"]

_LEAD_EN = re.compile(r"\bled\s+(?:by\s+)?$|\bled\s+by\s+(?:[\w'’.&-]+\s+){0,3}?$", re.I)
_LEAD_AFTER = re.compile(r"^\s*(?:领投|led\b)", re.I)
_WIN_VERBS = re.compile(
    r"(?:won|wins|win|secured|secures|landed|lands|bagged|获得|拿下|斩获|中标|赢得)", re.I)
_RAISING = re.compile(r"(?:rais|secur|clos|complet|land|announc|获|完成)\w*\s*\S*\s*\S*$", re.I)
_CREDITOR = re.compile(r"(?:creditors?|lenders?|owe[sd]?|owing|债权人|欠)", re.I)
_GOVERNMENT = re.compile(
    r"\b(?:european\s+union|eu|european\s+commission|commission|government|ministry|department|treasury|"
    r"congress|parliament|council|administration|federal|state\s+council|irs|white\s+house)\b"
    r"|政府|欧盟|委员会|国务院|财政部|商务部|工信部|发改委|国会|议会",
    re.I,
)
_AUTHORITY = re.compile(
    r"\b(?:commission|ministry|department|treasury|agency|irs|office|regulator|white\s+house)\b"
    r"|委员会|国务院|财政部|商务部|工信部|发改委|部$|局$",
    re.I,
)


def government_kind(names: list[str]) -> str | None:
    """"authority" or "jurisdiction" when a company's names are those of a government body."""
    if not any(_GOVERNMENT.search(n) for n in names):
        return None
    return "authority" if all(_AUTHORITY.search(n) for n in names if _GOVERNMENT.search(n)) else "jurisdiction"


@dataclass
class Roles:
    """Companies and their roles for one trigger, first role first."""

    pairs: list[tuple[AliasMatch, str]] = field(default_factory=list)
    ambiguous: bool = False

    def add(self, mention: AliasMatch | None, role: str) -> None:
        if mention is None:
            return
        if any(m.company == mention.company for m, _ in self.pairs):
            return  # one role per company: the first (most certain) one stands
        self.pairs.append((mention, role))

    def has(self, role: str) -> bool:
        return any(r == role for _, r in self.pairs)

    @property
    def companies(self) -> set[str]:
        return {m.company for m, _ in self.pairs}


# -- per type -------------------------------------------------------------------------------

def _acquisition(frame: Frame, roles: Roles) -> None:
    doer = agent(frame)
    thing, owner = patient(frame)
    inside = [m for m in frame.inside if m is not doer]
    if inside and frame.trigger.flavour == "stake":
        thing, owner = inside[0], None  # "将持有AESC 80%的股权", "认购国轩高科26%股份"
    if thing is None:  # the noun: "完成对AESC的收购", "X's acquisition of Y"
        objects = [m for m in frame.before if m is not doer and frame.marker(m) == "in"
                   and frame.same_clause(m.start, frame.trigger.start)]
        thing = objects[-1] if objects else None
    if frame.trigger.flavour == "sell":
        roles.add(doer, "seller")
        roles.add(thing, "target")
        for m in marked(frame, "to", after_only=True):
            roles.add(m, "acquirer")
        roles.add(owner, "seller")
        return
    roles.add(doer, "acquirer")
    roles.add(thing, "target")
    for m in marked(frame, "from"):
        roles.add(m, "seller")
    roles.add(owner, "seller")


def _investment(frame: Frame, roles: Roles) -> None:
    leads = [m for m in frame.mentions if _LEAD_AFTER.match(frame.right(m, 6))
             or (frame.marker(m) == "by" and _LEAD_EN.search(frame.left(m)))]
    flavour = frame.trigger.flavour
    text_before = frame.text[max(frame.sentence.start, frame.trigger.start - 30):frame.trigger.start]
    receiving = flavour == "receive" or (
        flavour == "round" and _RAISING.search(text_before) is not None
    )
    doer = agent(frame)
    if flavour == "lead":
        for m in leads or ([doer] if doer else []):
            roles.add(m, "lead")
        investee = [m for m in frame.mentions if frame.marker(m) in ("for", "to", "in")]
        roles.add(investee[0] if investee else None, "investee")
        return
    if receiving:
        roles.add(doer if doer not in leads else None, "investee")
        for m in leads:
            roles.add(m, "lead")
        for m in frame.inside + marked(frame, "from", "by", "with", "and", after_only=True):
            roles.add(m, "investor")
        if frame.zh:
            for m in frame.after:
                if frame.marker(m) is None and frame.same_clause(m.start, frame.trigger.start):
                    roles.add(m, "investor")
        return
    if doer is not None:
        for m in conj_chain(frame, doer, frame.before):
            roles.add(m, "lead" if m in leads else "investor")
    target = [m for m in frame.after if frame.marker(m) in ("in",) and m.start - frame.trigger.end <= 60]
    if frame.zh:
        target += [m for m in frame.after if m.start - frame.trigger.end <= 4 and frame.marker(m) is None]
        target += [m for m in frame.before if frame.marker(m) in ("to", "in")]
    if target:
        roles.add(target[0], "investee")
    for m in leads:
        roles.add(m, "lead")


def _partnership(frame: Frame, roles: Roles) -> None:
    clause = frame.sentence.clause_of(frame.trigger.start)
    in_clause = [m for m in frame.mentions if frame.sentence.clause_of(m.start) == clause]
    pool = in_clause if len({m.company for m in in_clause}) >= 2 else frame.mentions
    for m in pool:
        roles.add(m, "partner")


def _supply(frame: Frame, roles: Roles) -> None:
    flavour = frame.trigger.flavour
    doer = agent(frame)
    if flavour == "buy":
        roles.add(doer, "customer")
        sources = marked(frame, "from", "to") or [m for m in frame.after if frame.marker(m) is None]
        roles.add(sources[0] if sources else None, "supplier")
        return
    if flavour == "supplier":
        owners = [m for m in frame.mentions if frame.is_owner(m) and m is not doer]
        roles.add(doer if doer not in owners else None, "supplier")
        for m in owners:
            roles.add(m, "customer")
        return
    if flavour == "deal" and doer is not None:
        between = frame.text[doer.end:frame.trigger.start]
        if not _WIN_VERBS.search(between) and not frame.inside:
            roles.ambiguous = not marked(frame, "to", "for")
    roles.add(doer, "supplier")
    customers = marked(frame, "to", "for") + frame.inside + marked(frame, "with", "from")
    if flavour == "deal" and doer is not None:
        customers += [m for m in frame.before if m.start > doer.end and frame.marker(m) is None]
    customers += [m for m in frame.after if frame.marker(m) is None]
    for m in customers:
        if not roles.has("customer") or m.start > frame.trigger.start:
            for joined in conj_chain(frame, m, frame.after if m in frame.after else frame.mentions):
                roles.add(joined, "customer")


def _factory(frame: Frame, roles: Roles, role: str = "operator") -> None:
    doer = agent(frame)
    if doer is None:
        owners = [m for m in frame.mentions if frame.is_owner(m)]
        thing, _ = patient(frame, allow=(None, "of", "in"), reach=60)
        doer = owners[0] if owners else thing  # "expansion of the Northvolt Ett gigafactory"
    if doer is None:
        return
    chain = conj_chain(frame, doer, frame.before)
    roles.add(chain[0], role)
    if role == "operator":
        for m in chain[1:]:
            roles.add(m, "partner")
        for m in marked(frame, "with"):
            if frame.same_clause(m.start, frame.trigger.start) or abs(m.start - frame.trigger.start) < 40:
                roles.add(m, "partner")


def _closure(frame: Frame, roles: Roles) -> None:
    _factory(frame, roles, role="operator")


def _bankruptcy(frame: Frame, roles: Roles) -> None:
    doer = agent(frame)
    if doer is None:
        thing, _ = patient(frame, allow=(None, "of", "in", "and"))
        doer = thing
    roles.add(doer, "company")
    for m in frame.mentions:
        if _CREDITOR.search(frame.left(m, 24)) or _CREDITOR.match(frame.right(m, 10).lstrip("'’s ")):
            roles.add(m, "creditor")


def _policy(frame: Frame, roles: Roles) -> None:
    for m in frame.mentions:
        kind = frame.government(m)
        if kind is not None:
            roles.add(m, kind)


def _recall(frame: Frame, roles: Roles) -> None:
    roles.add(agent(frame), "company")
    for m in marked(frame, "for", "to", after_only=True):
        roles.add(m, "customer")


def _single(frame: Frame, roles: Roles) -> None:
    """Types with one company: the doer, else the owner or object of the phrase."""
    doer = agent(frame)
    if doer is None:
        owners = [m for m in frame.before if frame.is_owner(m)]
        doer = owners[-1] if owners else None
    if doer is None:
        thing, owner = patient(frame, allow=(None, "of", "in", "to", "for"))
        doer = thing or owner
    if doer is None:  # the name nearest the phrase; "founded as a Nissan-NEC venture" is not Nissan
        near = [m for m in frame.mentions if frame.marker(m) != "as" or frame.trigger.type == "rebrand"]
        doer = min(near, key=lambda m: abs(m.start - frame.trigger.start)) if near else None
    roles.add(doer, "company")


_RULES: dict[str, Callable[[Frame, Roles], None]] = {
    "acquisition": _acquisition,
    "investment": _investment,
    "partnership": _partnership,
    "supply_deal": _supply,
    "factory": _factory,
    "factory_closure": _closure,
    "bankruptcy": _bankruptcy,
    "policy": _policy,
    "recall": _recall,
    "ipo": _single,
    "leadership_change": _single,
    "founding": _single,
    "rebrand": _single,
}


def assign_roles(frame: Frame) -> Roles:
    """The companies of `frame` with roles of its trigger's type."""
    roles = Roles()
    _RULES[frame.trigger.type](frame, roles)
    return roles
