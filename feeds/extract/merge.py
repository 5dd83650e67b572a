"""One happening, one candidate: drafts of one article about the same thing are merged.

Articles repeat themselves: the headline, the lead and a closing paragraph all say that
Envision bought AESC, and only one of them says when. Two drafts of one article are the
same happening when they have the same type, share a company, and nothing in them
disagrees: no company plays two different roles, dates written in the text overlap (2018
and 2018-08 do; 2018-08 and 2019-01 do not), places and capacities and stakes agree. The
merged draft keeps the most precise date the text gave, the most advanced status, every
company, and the quote of its best sentence.

Merging is deliberately limited to one article: clustering the same happening across
articles and languages is a later stage (see DESIGN.md, "cluster").
"""

from __future__ import annotations

from feeds.extract.drafts import Draft, status_rank

__all__ = ["merge_drafts", "same_happening"]

_PHASES = {"announced": 0, "under_construction": 1, "operating": 2, "expanded": 3}


def _dates_agree(a: Draft, b: Draft) -> bool:
    """Text dates must overlap. A goal and a happening that both have a written date stay
    apart ("announced on Friday" and "to open by 2025" are two candidates: one date cannot
    hold both); a draft dated only by publication joins either."""
    if not (a.date_from_text and b.date_from_text) or a.date is None or b.date is None:
        return True
    if a.date_is_target != b.date_is_target:
        return False
    return a.date.start <= b.date.end and b.date.start <= a.date.end


_SAME_SIDE = ({"investor", "lead"}, {"jurisdiction", "authority"})


def _roles_agree(a: Draft, b: Draft) -> bool:
    """No company plays two different parts (an investor may be the lead, a jurisdiction
    its own authority; a partner may be anything)."""
    roles_a = {m.company: r for m, r in a.roles}
    for m, role in b.roles:
        other = roles_a.get(m.company)
        if other is None or other == role or "partner" in (other, role):
            continue
        if any({other, role} <= side for side in _SAME_SIDE):
            continue
        return False
    return True


def _figures_agree(a: Draft, b: Draft) -> bool:
    if a.capacity_gwh and b.capacity_gwh:
        if abs(a.capacity_gwh - b.capacity_gwh) > 0.1 * max(a.capacity_gwh, b.capacity_gwh):
            return False
    for name in ("stake_pct", "procedure", "instrument", "person"):
        if name in a.fields and name in b.fields and a.fields[name] != b.fields[name]:
            return False
    return True


def _places_agree(a: Draft, b: Draft) -> bool:
    for key in ("country", "city"):
        if key in a.location and key in b.location and a.location[key] != b.location[key]:
            return False
    return True


def same_happening(a: Draft, b: Draft) -> bool:
    """True when two drafts of one article report the same happening."""
    return (a.type == b.type and bool(a.company_ids & b.company_ids) and _roles_agree(a, b)
            and _dates_agree(a, b) and _figures_agree(a, b) and _places_agree(a, b))


def _better_date(a: Draft, b: Draft) -> Draft:
    """The draft whose date should stand: written in the text over the publication day,
    a happening over a target, then the finer precision."""
    def key(d: Draft) -> tuple[int, int, int]:
        precision = {"year": 0, "month": 1, "day": 2}[d.date.precision] if d.date else -1
        return (int(d.date_from_text), int(not d.date_is_target), precision)
    return b if key(b) > key(a) else a


def _absorb(into: Draft, other: Draft) -> None:
    for mention, role in other.roles:
        if mention.company not in into.company_ids:
            into.roles.append((mention, role))
        elif role == "lead":  # "led by" says more than "from"
            into.roles = [(m, "lead" if m.company == mention.company and r == "investor" else r)
                          for m, r in into.roles]
    into.origins += other.origins
    into.retrospective = into.retrospective and other.retrospective
    dated = _better_date(into, other)
    if dated is other:
        into.date, into.date_from_text, into.date_is_target = other.date, other.date_from_text, other.date_is_target
        into.evidence.date_in_text = other.evidence.date_in_text
        into.evidence.relative_date = other.evidence.relative_date
    if status_rank(other.status) > status_rank(into.status) and not into.date_is_target:
        into.status = other.status
    seen = {(a.value, a.currency) for a in into.amounts}
    for amount in other.amounts:
        if (amount.value, amount.currency) not in seen:
            into.amounts.append(amount)
            seen.add((amount.value, amount.currency))
    if into.capacity_gwh is None:
        into.capacity_gwh = other.capacity_gwh
    for name, value in other.fields.items():
        into.fields.setdefault(name, value)
    if _PHASES.get(str(other.fields.get("phase")), -1) > _PHASES.get(str(into.fields.get("phase")), -1):
        into.fields["phase"] = other.fields["phase"]
    if len(other.location) > len(into.location):
        into.location = dict(other.location)
    ev, oe = into.evidence, other.evidence
    ev.strong_trigger |= oe.strong_trigger
    ev.primary_role |= oe.primary_role
    ev.counterpart |= oe.counterpart
    ev.figures |= oe.figures
    ev.location |= oe.location
    ev.ambiguous_roles &= oe.ambiguous_roles
    ev.sentences += oe.sentences


def _quality(d: Draft) -> tuple[int, int, int, int, int]:
    """Which sentence quotes a merged happening: a body sentence before the headline, one
    that names its companies before one that says "双方", then more companies, a written
    date, figures."""
    return (int(not d.headline), int(not d.evidence.anaphora), len(d.roles), int(d.date_from_text),
            int(d.evidence.figures))


def merge_drafts(drafts: list[Draft]) -> list[Draft]:
    """Fold drafts about the same happening together, keeping first-seen order.

    A draft that looks back without a date ("日产此前将AESC卖给远景") lends its support to a
    dated draft of the same happening; alone it is dropped, because the only date it could
    carry — the publication day — would be wrong.
    """
    merged: list[Draft] = []
    for draft in drafts:
        for existing in merged:
            if same_happening(existing, draft):
                if _quality(draft) > _quality(existing):
                    # the better sentence becomes the quote; keep the order of first sight
                    index = merged.index(existing)
                    _absorb(draft, existing)
                    merged[index] = draft
                else:
                    _absorb(existing, draft)
                break
        else:
            merged.append(draft)
    _share_goal_figures(merged)
    return [d for d in merged if not (d.retrospective and not d.date_from_text)]


def _share_goal_figures(drafts: list[Draft]) -> None:
    """A goal ("production in 2026") stays its own candidate, but the figures said with it
    (35 GWh, 2,500 jobs) describe the project, so the happening gets them too."""
    for goal in [d for d in drafts if d.date_is_target]:
        for happening in drafts:
            if happening.date_is_target or not _same_but_for_the_date(goal, happening):
                continue
            expansion = goal.trigger.flavour == "expand"  # "could expand to 25 GWh by 2030"
            if happening.capacity_gwh is None and not expansion:
                happening.capacity_gwh = goal.capacity_gwh
            for name, value in goal.fields.items():
                if name != "phase" and not (expansion and name == "capacity_gwh"):
                    happening.fields.setdefault(name, value)
            seen = {(a.value, a.currency) for a in happening.amounts}
            happening.amounts += [a for a in goal.amounts if (a.value, a.currency) not in seen]


def _same_but_for_the_date(a: Draft, b: Draft) -> bool:
    return (a.type == b.type and bool(a.company_ids & b.company_ids) and _roles_agree(a, b)
            and _figures_agree(a, b) and _places_agree(a, b))

