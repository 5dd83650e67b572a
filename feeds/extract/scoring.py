"""How sure extraction is of a candidate: a score in [0, 1] from the evidence it found.

The score decides whether a proposal is accepted without a curator (`[review] auto_accept`,
0.8 by default), so it must reward exactly the evidence a curator would look for and
nothing else. It is a sum of independent, documented parts:

=========================================  =======
evidence                                   points
=========================================  =======
base (a trigger word and a registered      0.15
company, exactly matched, in one sentence)
the type's wording is unambiguous          0.15    (收购, Chapter 11, gigafactory)
  ... or only suggestive                   0.05    (合作, "plant", "supplier")
the primary role is resolved               0.20    (acquirer, investor, operator, ...)
the other side is resolved                 0.15    (target, investee, customer, a second
                                                    partner; always for one-sided types)
a date written in the text                 0.15    (2018年8月, "on 5 March 2024")
  ... or a relative date                   0.10    (今日, "on Monday")
figures                                    0.10    (money, GWh, stake, jobs, units)
a place                                    0.05
each further sentence about it             0.05    (at most 0.10)
roles the wording leaves ambiguous         -0.15   ("a supply agreement with")
the company named only in a sentence       -0.10   ("该工厂计划于2025年投产" after
before ("the company", "该项目")                     "比亚迪将在塞格德建厂")
rumoured                                   -0.10
=========================================  =======

A candidate therefore reaches 0.8 only with a clear type word, both sides resolved and a
date or figures from the text: the kind a curator would accept at a glance. A clear
sentence with nothing but a company and a weak word stays near 0.5 and goes to review.
"""

from __future__ import annotations

from feeds.extract.drafts import Evidence

__all__ = ["score"]


def score(evidence: Evidence, rumored: bool = False) -> float:
    """The confidence of a candidate with `evidence` (see the table in the module doc)."""
    total = 0.15
    total += 0.15 if evidence.strong_trigger else 0.05
    total += 0.20 if evidence.primary_role else 0.0
    total += 0.15 if evidence.counterpart else 0.0
    if evidence.date_in_text:
        total += 0.15
    elif evidence.relative_date:
        total += 0.10
    total += 0.10 if evidence.figures else 0.0
    total += 0.05 if evidence.location else 0.0
    total += min(0.10, 0.05 * (evidence.sentences - 1))
    total -= 0.15 if evidence.ambiguous_roles else 0.0
    total -= 0.10 if evidence.anaphora else 0.0
    total -= 0.10 if rumored else 0.0
    return round(min(1.0, max(0.0, total)), 3)
