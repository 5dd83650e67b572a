"""When a happening happened, and how far it has got: its date and its status.

A date belongs to the happening whose words stand nearest to it; a date that opens the
sentence ("2018年8月，", "In March 2024,") dates every happening of the sentence up to a
clause that ends in 后 / "after" — past that clause only to the year, since what follows
"after X" happened later than X. The day a sentence says the news was told ("…, the
companies said on 1 July 2021") belongs to every happening in it but yields to a target the
happening names ("will close the plant at the end of February 2025"). Nothing written: the
publication day.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from feeds.extract.context import SentenceContext
from feeds.extract.dates import DateMention
from feeds.extract.triggers import PAST_TRIGGER, Trigger, status_near
from timeline.dates import PartialDate

__all__ = ["dates_for", "choose_date", "status_of", "looks_back"]

_INSTANT = frozenset({"acquisition", "investment", "founding", "rebrand", "ipo", "leadership_change",
                      "recall", "bankruptcy", "partnership", "supply_deal"})
_AFTER_CLAUSE = re.compile(r"(?:后|之后|以后)\s*$|^\s*(?:after|following|having)\b", re.I)
_AFTER_EN = re.compile(r"\s*(?:after|following|having)\b", re.I)


def _after_clause(clause: str) -> bool:
    """`_AFTER_CLAUSE.search(clause)`, cheaper: "…后" at the end (之后 and 以后 end in 后
    too), or "after"/"following"/"having" at the start."""
    return clause.rstrip().endswith("后") or _AFTER_EN.match(clause) is not None


def _leading_date(ctx: SentenceContext, occurrences: list[Trigger]) -> DateMention | None:
    """A date that opens the sentence in a clause of its own ("2018年8月，", "In 2019,")."""
    first_clause = ctx.sentence.clauses[0]
    if any(first_clause[0] <= t.start < first_clause[1] for t in occurrences):
        return None
    for mention in ctx.dates:
        if first_clause[0] <= mention.start < first_clause[1] and not mention.effective:
            return mention
    return None


def dates_for(ctx: SentenceContext, trigger: Trigger, occurrences: list[Trigger]) -> list[DateMention]:
    """The dates that belong to `trigger`'s happening.

    Its own: those nearer to one of its type's words than to any other type's, and the
    day the sentence says the news was told ("…, the companies said on 1 July 2021"), which
    belongs to every happening in it. Failing those, the sentence's leading date — but past
    a clause "X后" / "after X" only to the year: "2018年8月，远景收购…后，已宣布在无锡建设…"
    dates the acquisition 2018-08 and the announcement that came after it only to 2018.
    """
    told = [d for d in ctx.dates if _is_report_date(ctx, d)]
    # by identity: the mentions of a sentence never overlap, so no two are equal, and
    # comparing them field by field is the costly part of `d not in told`
    reported = {id(d) for d in told}
    own = [d for d in ctx.dates if id(d) not in reported
           and ctx.nearest_type(d.start, occurrences) == trigger.type]
    if own or told:
        return own + told
    leading = _leading_date(ctx, occurrences)
    if leading is None:
        return []
    clauses = ctx.sentence.clauses
    for index in range(1, ctx.sentence.clause_of(trigger.start)):
        if _after_clause(ctx.text[clauses[index][0]:clauses[index][1]]):
            year = PartialDate(year=leading.date.year)
            return [DateMention(year, leading.start, leading.end, leading.relative, leading.target, False)]
    return [leading]


_IGNORE_PAUSED = frozenset({"paused"})
_IGNORE_NOTHING: frozenset[str] = frozenset()
_REPORT_VERB = re.compile(r"\b(?:said|says|announced|told|confirmed|stated)(?:\s+on)?\s*$", re.I)
_REPORT_LAST = frozenset("dsnDSN\u017f")


def _is_report_date(ctx: SentenceContext, mention: DateMention) -> bool:
    """"the carmaker said on Tuesday": the day the news was told, not the happening's."""
    before = ctx.text[max(ctx.sentence.start, mention.start - 16):mention.start]
    # the verb (or "on") ends the words before the date: a cheap first test on its last
    # letter, in either case ("ſ" is an s to IGNORECASE)
    return before.rstrip()[-1:] in _REPORT_LAST and _REPORT_VERB.search(before) is not None


def choose_date(ctx: SentenceContext, own: list[DateMention], trigger: Trigger
                 ) -> tuple[PartialDate | None, bool, bool, bool, PartialDate | None]:
    """(date, from text, is target, relative, effective date) for a trigger.

    A date written for the happening beats the day it was reported ("will close the plant
    at the end of February 2025, the carmaker said on Tuesday" is a February 2025 target);
    a target beats nothing; and the publication day is the last resort. Among targets the
    latest wins: a project's last milestone ("start production in 2025") is its goal.
    """
    effective = next((d.date for d in own if d.effective), None)
    plain = [d for d in own if not d.effective]
    told = [d for d in plain if _is_report_date(ctx, d) and not d.target]
    reported = {id(d) for d in told}  # by identity, as in `dates_for`
    happened = [d for d in plain if not d.target and id(d) not in reported]
    targets = [d for d in plain if d.target]
    if happened:
        best = min(happened, key=lambda d: abs(d.start - trigger.start))
        return best.date, True, False, best.relative, effective
    if told and not targets:
        return told[0].date, True, False, told[0].relative, effective
    if targets:
        latest = max(targets, key=lambda d: d.date.sort_key())
        return latest.date, True, True, False, effective
    if effective is not None and trigger.type != "policy":
        return effective, True, True, False, None
    if ctx.published is None:
        return None, False, False, False, effective
    return _day(ctx.published), False, False, False, effective


@functools.lru_cache(maxsize=4096)
def _day(day: date) -> PartialDate:
    """The publication day as a date of the text (one per day: it is frozen)."""
    return PartialDate(year=day.year, month=day.month, day=day.day)


def status_of(ctx: SentenceContext, trigger: Trigger, value: PartialDate | None, from_text: bool,
            target: bool) -> str:
    """The status the sentence gives the happening; see `feeds.extract.triggers.status_near`."""
    cues = ctx.cues
    # where a mention follows 将 (only asked when a cue is 将)
    not_future = frozenset(m.start - 1 for m in ctx.mentions) if any(c.text == "将" for c in cues) else frozenset()
    ignore = _IGNORE_PAUSED if trigger.type == "factory_closure" else _IGNORE_NOTHING
    cue = status_near(cues, trigger, not_future, ignore)
    if cue == "paused":
        return "cancelled"  # 暂停扩建 / "paused the expansion": off, for now
    if cue in ("cancelled", "rumored"):
        return cue
    if target:
        return "announced"
    clause = ctx.sentence.clauses[ctx.sentence.clause_of(trigger.start)]
    in_after_clause = _after_clause(ctx.text[clause[0]:clause[1]])
    if trigger.type == "factory" and _not_yet_running(ctx.text, *clause):
        return "announced"  # "has not yet started production", "尚未建成投产"
    if _past_tense(trigger.cue) or in_after_clause or trigger.cue.endswith("了"):
        if cue not in ("approved",):
            return "completed" if trigger.type != "factory" else "started"
    if trigger.type == "factory" and _OPENED.search(ctx.text, clause[0], trigger.start):
        return "completed"  # "opened a 4 GWh factory": it runs
    if cue is not None:
        return cue
    if trigger.flavour == "construct":
        return "started"
    if trigger.flavour == "produce":
        return "completed"
    if (from_text and value is not None and ctx.published is not None and value.end <= ctx.published
            and trigger.type in _INSTANT and not _FUTURE_EN.search(ctx.text, clause[0], trigger.end)):
        return "completed"
    return "announced"


# A plant opened, inaugurated or commissioned, said before it in its clause: it is running
# (a clause that says it does not run yet was told apart first, `_not_yet_running`).
_OPENED = re.compile(r"\b(?:opened|inaugurated|commissioned)\b|建成投产|正式投运|落成", re.I)
# "not yet fully", "never formally", "尚未建成": what is said of the plant has not happened.
_NOT_YET = re.compile(r"(?:\b(?:not|never)|n't|n’t)(?:\s+(?:yet|been|be|[a-z]+ly))*\s+$"
                      r"|(?:未|尚未|仍未|没有|未能)[^，。；,;]{0,4}$", re.I)


# What a running plant is said to do: open, produce, operate.
_RUNNING = re.compile(r"\b(?:opened|inaugurated|commissioned|started|began|production|producing"
                      r"|operations?|operating)\b|建成|投产|量产|投运|落成|运营", re.I)


def _not_yet_running(text: str, start: int, end: int) -> bool:
    """Whether the clause says the plant does not run yet ("has not yet started
    production", "尚未建成投产"), whatever else in it sounds like it does."""
    return any(_NOT_YET.search(text, max(start, found.start() - 20), found.start())
               for found in _RUNNING.finditer(text, start, end))

# "will supply ..., the company said on Tuesday": the day is when it was said, and what was
# said lies ahead (looked for in the clause up to the trigger's end: "will supply" is one).
_FUTURE_EN = re.compile(r"\b(?:will|would|shall|(?:plans?|aims?|intends?|expects?|is|are|set)\s+to)\b",
                        re.I)


@functools.lru_cache(maxsize=4096)
def _past_tense(cue: str) -> bool:
    """Whether a trigger's wording is itself in the past tense (`PAST_TRIGGER`), answered
    once per wording: the same few hundred phrases come back in every article."""
    return PAST_TRIGGER.search(cue) is not None


_LOOKING_BACK = re.compile(
    r"此前|以前|早前|曾经|曾|过去"
    r"|\b(?:previously|earlier|formerly|once|had\s+(?:been\s+)?\w+ed|has\s+long)\b", re.I)


def looks_back(ctx: SentenceContext, trigger: Trigger) -> bool:
    """True when the clause says the happening lies in the past without saying when
    ("曾获得大众汽车的投资", "had previously supplied"): the publication day would be a lie."""
    clause = ctx.sentence.clauses[ctx.sentence.clause_of(trigger.start)]
    return bool(_LOOKING_BACK.search(ctx.text, clause[0], trigger.start))
