"""Hostile text costs time in proportion to its size: feeds and documents are capped in
bytes, and a few hundred kilobytes written to hit a quadratic path in a parser or a
pattern must not hold a poll for minutes. Each input here took from twenty seconds to
minutes before; the bound leaves a slow machine twenty times the time it takes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from feeds.aliases import AliasIndex
from feeds.documents.markdown import inline_text
from feeds.extract import extract
from feeds.parse import html_to_text
from feeds.types import FeedItem

BOUND_SECONDS = 2.0


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@pytest.mark.parametrize("html", [
    "<a " * 20_000,            # tags never closed ("&lt;a " in a summary, unescaped once)
    "<a x='>'" * 20_000,       # a ">" inside quotes, then no end
    "<!--" * 20_000,           # comments never closed
    "&lt;a " * 20_000,         # escaped twice: the second pass meets the same
    "<http://" * 20_000,
])
def test_unclosed_markup_is_read_in_linear_time(html: str) -> None:
    assert _seconds(lambda: html_to_text(html)) < BOUND_SECONDS


def test_a_run_of_backticks_is_read_in_linear_time() -> None:
    assert _seconds(lambda: inline_text("CATL said " + "`" * 20_000)) < BOUND_SECONDS
    assert inline_text("a `code` b ``x`y`` c") == "a code b x`y c"


def test_a_sentence_naming_thousands_of_companies_is_read_in_linear_time() -> None:
    index = AliasIndex([{"id": c, "name": c.upper(), "aliases": []}
                        for c in ("catl", "byd", "tesla", "nissan")])
    text = "CATL BYD Tesla Nissan " * 4000 + "acquires."
    item = FeedItem(feed="t", title="CATL news", text=text, published="2024-01-01T00:00:00Z")
    assert _seconds(lambda: extract(item, index)) < BOUND_SECONDS


def test_a_sentence_listing_hundreds_of_companies_proposes_a_dozen() -> None:
    names = [f"Voltacell{i:03d}" for i in range(300)]
    index = AliasIndex([{"id": name.lower(), "name": name, "aliases": []} for name in names])
    text = ", ".join(names) + " signed a strategic partnership agreement on 3 March 2026."
    item = FeedItem(feed="t", title="News", text=text, published="2026-03-04T00:00:00Z")
    [candidate] = extract(item, index)
    assert [c.company for c in candidate.companies] == [name.lower() for name in names[:12]]
