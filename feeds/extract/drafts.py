"""From one sentence and one trigger to a draft: type, roles, date, figures, place, status.

A `Draft` is the mutable working form of a candidate: sentences of one article produce
drafts, `feeds.extract.merge` folds drafts about the same happening together, and only
then are they frozen into `feeds.types.Candidate`s.

What belongs to which happening when a sentence reports several ("2018年8月，远景收购…后，
已宣布在无锡建设…生产线，计划产能规模将达到20GWh") is decided by distance: every date, sum
of money and capacity goes to the nearest trigger, a clause boundary counting as far. A
date at the head of a sentence ("2018年8月，", "In March 2024,") dates every happening of
the sentence up to a clause that ends in 后 / "after": what follows "after X" happened
later than X's date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from feeds.aliases import AliasMatch
from feeds.extract import figures
from feeds.extract.context import SentenceContext
from feeds.extract.fields import typed_fields
from feeds.extract.places import location_of
from feeds.extract.frames import Frame
from feeds.extract.lazy import for_lowered, lowered
from feeds.extract.roles import Roles, assign_roles
from feeds.extract.text import Sentence
from feeds.extract.timing import choose_date, dates_for, looks_back, status_of
from feeds.extract.triggers import Trigger
from timeline.dates import PartialDate
from timeline.quantities import Amount

__all__ = ["Draft", "Evidence", "drafts_for_sentence", "suggestions_for", "status_rank"]

_STATUS_ORDER = {"rumored": 0, "announced": 1, "approved": 2, "started": 3, "completed": 4, "cancelled": 5}
_ALL_FIGURE_TYPES = {"acquisition", "investment", "supply_deal", "factory", "factory_closure",
                     "bankruptcy", "policy", "recall", "ipo"}
_CAPACITY_TYPES = {"factory", "factory_closure", "supply_deal"}
# Types whose place is the place of the happening itself; others take only "in X"/"在X".
_PLACE_TYPES = {"factory", "factory_closure"}
_TWO_SIDED = {"acquisition": ("acquirer", "target", "seller"), "investment": ("investor", "investee", "lead"),
              "supply_deal": ("supplier", "customer")}


@dataclass
class Evidence:
    """What the confidence score is computed from (see `feeds.extract.scoring`)."""

    strong_trigger: bool = False
    primary_role: bool = False
    counterpart: bool = False
    date_in_text: bool = False
    relative_date: bool = False
    figures: bool = False
    location: bool = False
    ambiguous_roles: bool = False
    anaphora: bool = False       # the company came from "该公司" / "the company" in a sentence before
    sentences: int = 1


@dataclass
class Draft:
    """A happening as one sentence (or, once merged, several) reported it."""

    type: str
    sentence: Sentence
    trigger: Trigger
    roles: list[tuple[AliasMatch, str]]
    date: PartialDate | None
    date_from_text: bool
    date_is_target: bool
    status: str
    amounts: list[Amount]
    capacity_gwh: float | None
    fields: dict[str, Any]
    location: dict[str, str]
    evidence: Evidence
    headline: bool = False          # from the article's title: short, rounded, often undated
    retrospective: bool = False     # "此前…", "previously…": happened before, on a day not given
    origins: list[tuple[SentenceContext, Trigger]] = field(default_factory=list)  # where it was read

    @property
    def company_ids(self) -> set[str]:
        return {m.company for m, _ in self.roles}

    @property
    def quote(self) -> str:
        return self.sentence.text


# -- which triggers stand -------------------------------------------------------------------

def primary_triggers(triggers: list[Trigger], text: str, sentence: Sentence) -> list[Trigger]:
    """One trigger per type (the first strong one, else the first), after the rules that
    say which wordings hide another: a closure hides the plant it closes, an IPO the money
    it raises, a stake bought the investment."""
    by_type: dict[str, Trigger] = {}
    for trigger in triggers:
        current = by_type.get(trigger.type)
        if current is None or (trigger.strong and not current.strong):
            by_type[trigger.type] = trigger
    if "factory_closure" in by_type and by_type["factory_closure"].flavour == "close":
        by_type.pop("factory", None)
    if "ipo" in by_type:
        by_type.pop("investment", None)
    if "partnership" in by_type and by_type["partnership"].flavour == "jv":
        jv = by_type["partnership"]
        founded = [t for t in triggers if t.type == "founding"]
        if any(abs(jv.start - f.end) <= 8 or abs(f.start - jv.end) <= 8 for f in founded):
            by_type.pop("partnership")  # "由日产与NEC合资组建", "founded as a joint venture": how it began
    if "acquisition" in by_type and "investment" in by_type:
        if by_type["acquisition"].flavour == "stake" or figures.stake_pct(text, sentence.start, sentence.end):
            by_type.pop("investment", None)
    return sorted(by_type.values(), key=lambda t: t.start)


# -- figures and fields -----------------------------------------------------------------------

def _own_figures(ctx: SentenceContext, trigger: Trigger, occurrences: list[Trigger]
                 ) -> tuple[list[tuple[re.Match[str], Amount]], list[float]]:
    """The sums and capacities nearest to this happening's words (see `_nearest_type`).

    A type that takes no sums (or no capacities) gets none without the sentence being
    searched for them: the nearest type is always one that takes them."""
    kinds = {t.type for t in occurrences}
    money: list[tuple[re.Match[str], Amount]] = []
    capacities: list[float] = []
    if trigger.type in _ALL_FIGURE_TYPES:
        money_types = kinds & _ALL_FIGURE_TYPES
        money = [(m, a) for m, a in ctx.money
                 if ctx.nearest_type(m.start(), occurrences, money_types) == trigger.type]
    if trigger.type in _CAPACITY_TYPES:
        capacity_types = kinds & _CAPACITY_TYPES
        capacities = [v for m, v in ctx.capacities
                      if ctx.nearest_type(m.start(), occurrences, capacity_types) == trigger.type]
    return money, capacities


# -- the draft -------------------------------------------------------------------------------

def suggestions_for(draft: Draft) -> list[tuple[AliasMatch, str]]:
    """Fuzzy mentions of the sentences a draft was read from, with the roles they would
    have: the curator sees "Northvolts (target?)" rather than a bare name. Computed only
    for drafts that survive merging and still miss a side (fuzzy matching is the slow
    part of aliases, and a near miss matters where a role is empty)."""
    found: list[tuple[AliasMatch, str]] = []
    if draft.evidence.primary_role and draft.evidence.counterpart:
        return found  # every side is known: a near miss would only be noise
    known = set(draft.company_ids)
    for ctx, trigger in draft.origins:
        if ctx.fuzzy is None:
            ctx.fuzzy = [m for m in ctx.suggest(ctx.text, ctx.sentence.start, ctx.sentence.end)
                         if m.company not in {k.company for k in ctx.mentions}]
        if not ctx.fuzzy:
            continue
        frame = Frame(ctx.text, ctx.sentence, sorted(ctx.mentions + ctx.fuzzy, key=lambda m: m.start),
                      trigger, ctx.zh, ctx.government)
        for mention, role in assign_roles(frame).pairs:
            if not mention.exact and mention.company not in known:
                found.append((mention, role))
                known.add(mention.company)
    return found


# -- which sentences report something ---------------------------------------------------

_BUILD_VERB = re.compile(
    r"\b(?:build|builds|building|built|construct\w*|open|opens|opened|opening|inaugurat\w*|commissioned"
    r"|set\s+up|sets\s+up|establish\w*"
    r"|locat\w+|sited|invest\w*|expand\w*|announc\w+|plans?|planned|planning|develop\w*|erect\w*"
    r"|choose|chose|picks?|picked|select\w*)\b"
    r"|建设|新建|兴建|投建|建造|设立|落户|落地|扩建|开工|选址|投资|建成|规划|建",
    re.I,
)


_BUILD_VERB_LOWERED = for_lowered(_BUILD_VERB)


def _building(text: str, start: int, end: int) -> bool:
    """`_BUILD_VERB.search(text[start:end])`, on the lower-cased span when that is exact
    (see `feeds.extract.lazy`): the same answer, twice as fast."""
    span = lowered(text, start, end)
    if span is None:
        return _BUILD_VERB.search(text[start:end]) is not None
    return _BUILD_VERB_LOWERED.search(span) is not None


_DESCRIPTIVE = re.compile(r"是[^，。；\x00]{0,12}\x00[^，。；\x00]{0,8}的")
# "its planned 60 GWh gigafactory": a plan the reader is taken to know, named as a noun (up
# to four words between, the plant's figure and kind); the text just before the trigger.
_KNOWN_PLAN = re.compile(r"\b(?:its|their|the|his|her)\s+(?:long-)?(?:planned|proposed|announced)"
                         r"(?:\s+[^\s,.;]+){0,4}\s+$", re.I)


def _background_plant(ctx: SentenceContext, trigger: Trigger) -> bool:
    """A plant named as a known plan in a sentence that reports another happening: "filed
    for bankruptcy, putting its planned 60 GWh gigafactory in doubt" reports a bankruptcy,
    not a factory (which would be dated the day of the bankruptcy)."""
    if not any(t.type != trigger.type and t.strong for t in ctx.triggers):
        return False
    before = ctx.text[max(ctx.sentence.start, trigger.start - 60):trigger.start]
    return _KNOWN_PLAN.search(before) is not None


def _plausible(ctx: SentenceContext, trigger: Trigger, roles: Roles) -> bool:
    """Whether the roles found can make a happening of the trigger's type at all.

    Two-sided happenings need two sides (a lone "investor" with a sum is a capital
    expenditure, not an investment in a company); a plant named as a noun needs a verb of
    building near it or a figure in its clause ("supply cells from the Debrecen factory",
    "特斯拉上海超级工厂出口的车辆" report no factory), nor does a plant named as the
    background of another happening (`_background_plant`).
    """
    kind, found = trigger.type, [r for _, r in roles.pairs]
    clause = ctx.sentence.clauses[ctx.sentence.clause_of(trigger.start)]

    def figures_here() -> bool:  # asked only where it decides (the figures are costly to find)
        return any(clause[0] <= m.start() < clause[1] for m, _ in [*ctx.money, *ctx.capacities])

    if kind == "partnership":
        return len(found) >= 2
    if kind == "investment":
        return "investee" in found and ("investor" in found or "lead" in found or figures_here())
    if kind == "acquisition":
        return len(found) >= 2 or (bool(found) and (figures_here() or figures.stake_pct(
            ctx.text, ctx.sentence.start, ctx.sentence.end) is not None))
    if kind == "supply_deal":
        return len(found) >= 2 or (bool(found) and figures_here())
    words = ctx.text[clause[0]:clause[1]]
    if "是" in words and _DESCRIPTIVE.search(words.replace(trigger.cue, "\x00", 1)):
        return False  # "AESC是首家在国内建厂生产的日系品牌": what X is, not what happened
    if kind == "factory" and trigger.flavour == "plant" and _background_plant(ctx, trigger):
        return False
    if kind == "factory" and trigger.flavour == "plant" and "建厂" not in trigger.cue:
        near_start, near_end = max(ctx.sentence.start, trigger.start - 60), min(ctx.sentence.end, trigger.end + 30)
        if not (figures_here() or figures.jobs_in(ctx.text, ctx.sentence.start, ctx.sentence.end, trigger.start)
                or _building(ctx.text, near_start, near_end)):
            return False
    return bool(found)


def drafts_for_sentence(ctx: SentenceContext) -> list[Draft]:
    """The drafts one sentence yields: one per type it reports, with companies."""
    staged: list[tuple[Trigger, Roles]] = []
    for trigger in primary_triggers(ctx.triggers, ctx.text, ctx.sentence):
        frame = Frame(ctx.text, ctx.sentence, ctx.mentions, trigger, ctx.zh, ctx.government)
        roles = assign_roles(frame)
        if _plausible(ctx, trigger, roles):
            staged.append((trigger, roles))
    kinds = {t.type for t, _ in staged}
    occurrences = [t for t in ctx.triggers if t.type in kinds]
    drafts = [_draft(ctx, trigger, roles, occurrences) for trigger, roles in staged]
    return [d for d in drafts if d is not None]


def _draft(ctx: SentenceContext, trigger: Trigger, roles: Roles, occurrences: list[Trigger]) -> Draft | None:
    own_dates = dates_for(ctx, trigger, occurrences)
    value, from_text, target, relative, effective = choose_date(ctx, own_dates, trigger)
    if value is None or (trigger.type == "founding" and (not from_text or target)):
        return None  # a founding is history: without its own date it is not worth proposing
    status = status_of(ctx, trigger, value, from_text, target)
    money, capacities = _own_figures(ctx, trigger, occurrences)
    capacity = max(capacities) if capacities else None
    fields = typed_fields(ctx, trigger, money, capacity, status, effective, roles)
    primary, counterpart = _sides(trigger.type, roles)
    location = _location(ctx, trigger)
    evidence = Evidence(
        strong_trigger=trigger.strong, primary_role=primary, counterpart=counterpart,
        date_in_text=from_text and not relative, relative_date=relative,
        figures=bool(money or capacity is not None or set(fields) & {"stake_pct", "jobs", "jobs_cut", "units"}),
        location=bool(location), ambiguous_roles=roles.ambiguous, anaphora=ctx.anaphora,
    )
    return Draft(
        type=trigger.type, sentence=ctx.sentence, trigger=trigger, roles=list(roles.pairs),
        date=value, date_from_text=from_text,
        date_is_target=target, status=status, amounts=[a for _, a in money],
        capacity_gwh=capacity if trigger.type in _CAPACITY_TYPES else None, fields=fields,
        location=location, evidence=evidence, headline=ctx.headline,
        retrospective=not from_text and looks_back(ctx, trigger), origins=[(ctx, trigger)],
    )


def _sides(kind: str, roles: Roles) -> tuple[bool, bool]:
    """(primary role found, other side found) for the confidence score."""
    found = [r for _, r in roles.pairs]
    if kind == "partnership":
        return len(found) >= 2, len(found) >= 2
    if kind in _TWO_SIDED:
        primary = ("investor" in found or "lead" in found) if kind == "investment" else _TWO_SIDED[kind][0] in found
        return primary, len(set(found)) >= 2
    return bool(found), True


def _location(ctx: SentenceContext, trigger: Trigger) -> dict[str, str]:
    if trigger.type == "policy":
        return {}  # "tariffs on cars made in China": the place is what the rule is about
    clause = ctx.sentence.clauses[ctx.sentence.clause_of(trigger.start)]
    in_clause = [p for p in ctx.places if clause[0] <= p.start < clause[1]]
    if trigger.type not in _PLACE_TYPES:
        return location_of(in_clause, locative_only=True)
    return location_of(in_clause, locative_only=False) or location_of(ctx.places, locative_only=True)


def status_rank(status: str) -> int:
    return _STATUS_ORDER.get(status, 1)
