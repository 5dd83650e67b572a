"""A poll of 500 small feeds through `FeedPipeline.poll`, then a second poll where all 500
answer 304 Not Modified; each against a bare client doing the same HTTP beside it.

The corpus (`bench.feeds_corpus`): 500 feeds of 4 items each, written from the Chinese and
English test articles (RSS, Atom, GB18030, traditional characters), every feed at its own
URL, served from memory by a loopback server in a process of its own
(`bench.feeds_server`) on 8 ports: 8 hosts for the fetcher's per-host limit of 2, so that
its overall limit of 16 concurrent requests is what bounds it. The server sends an ETag
and a Last-Modified with every feed and answers 304 to either.

  ours      `FeedPipeline(app).poll()` of the 500 configured feeds into a fresh SQLite file
            (25 companies registered): fetch, parse, identify, extract, cluster, propose
            and append every item and proposal, feed by feed, plus the health bookkeeping
            (validators remembered, next poll times). The second poll sends the validators
            back and gets 304 from every feed: fetch and bookkeeping only.
  baseline  the least a poller must do for the same result, with the same library and the
            same limits: one `httpx.AsyncClient` (16 connections), `asyncio.gather` of the
            500 GETs under a per-host semaphore of 2 and a global one of 16, each body read
            whole and handed to `feedparser.parse(BytesIO(body))`; the second round sends
            the ETag and Last-Modified of the first and gets 304s. Nothing is stored.

So the ratio of the first poll is the price of everything the pipeline does beyond
fetching and parsing (mostly extraction and the append of ~2000 items and their
proposals); that of the second is the price of the fetcher's own machinery (deadlines,
size caps, redirect handling, per-host bookkeeping) and of the feed health table. Issue 3
sets no target for these; the figures are printed for information. Both rounds run warm
(extraction's lazily built tables are built before timing); the best of `--rounds`
counts.

    python -m bench.poll [--quick] [--feeds N] [--items N] [--rounds N]
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Sequence
from pathlib import Path

import feedparser
import httpx

from bench.common import Result, arguments, human, out_dir, remove_db
from bench.feeds_corpus import Feed, build_poll_corpus, companies, item_count
from bench.feeds_server import serve
from feeds.aliases import AliasIndex
from feeds.extract import extract
from feeds.parse import parse_feed
from feeds.pipeline import FeedPipeline, PollSummary
from timeline.bootstrap import bootstrap
from timeline.config import FeedSettings, FetchSettings, Settings

PORTS = 8


def ratio_info(name: str, ratio: float, what: str) -> str:
    """A ratio line like the other benchmarks' (`bench.common.ratio_line`), with no target."""
    return f"RATIO {name} = {ratio:.3g} ({what}; no target: for information)"


def warm_up(feeds: Sequence[Feed]) -> None:
    """Build what extraction and parsing build on first use (fold tables, converters,
    caches), so that both polls are timed warm, like a service's."""
    index = AliasIndex(c.model_dump() for c in companies())
    for feed in feeds[:8]:
        for item in parse_feed(feed.body, {"content-type": feed.content_type}, feed.name, feed.language).items:
            extract(item, index)


def ours(feeds: Sequence[Feed], urls: Sequence[str], path: Path, settings: FetchSettings
         ) -> tuple[float, PollSummary, float, PollSummary]:
    """(seconds, summary) of the first poll and of the second, on a fresh database."""
    remove_db(path)
    app = bootstrap(db=str(path), settings=Settings(
        companies=companies(), fetch=settings, base_dir=path.parent,
        feeds=[FeedSettings(name=f.name, url=url, language=f.language) for f, url in zip(feeds, urls)],
    ))
    try:
        app.init()
        start = time.perf_counter()
        first = FeedPipeline(app).poll()
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        second = FeedPipeline(app).poll()
        second_s = time.perf_counter() - start
    finally:
        app.close()
        remove_db(path)
    return first_s, first, second_s, second


async def _bare_round(urls: Sequence[str], settings: FetchSettings,
                      validators: dict[str, tuple[str | None, str | None]] | None
                      ) -> tuple[dict[str, tuple[str | None, str | None]], int, int]:
    """One round of bare GETs (conditional when `validators` are given): the validators
    seen, the entries parsed, the number of 304s."""
    overall = asyncio.Semaphore(settings.concurrency)
    per_host: dict[str, asyncio.Semaphore] = {}
    seen: dict[str, tuple[str | None, str | None]] = {}
    counts = {"entries": 0, "not_modified": 0}
    limits = httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=settings.read_timeout) as client:

        async def one(url: str) -> None:
            host = httpx.URL(url).netloc.decode()
            gate = per_host.setdefault(host, asyncio.Semaphore(settings.per_host))
            headers = {}
            if validators is not None:
                etag, modified = validators[url]
                if etag:
                    headers["If-None-Match"] = etag
                if modified:
                    headers["If-Modified-Since"] = modified
            async with gate, overall:
                response = await client.get(url, headers=headers)
            if response.status_code == 304:
                counts["not_modified"] += 1
            else:
                response.raise_for_status()
                counts["entries"] += len(feedparser.parse(io.BytesIO(response.content)).entries)
            seen[url] = (response.headers.get("etag"), response.headers.get("last-modified"))

        await asyncio.gather(*(one(url) for url in urls))
    return seen, counts["entries"], counts["not_modified"]


def baseline(urls: Sequence[str], settings: FetchSettings) -> tuple[float, int, float, int]:
    """(seconds, entries) of a bare first round and (seconds, 304s) of the second."""
    start = time.perf_counter()
    validators, entries, _ = asyncio.run(_bare_round(urls, settings, None))
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    _, _, not_modified = asyncio.run(_bare_round(urls, settings, validators))
    second_s = time.perf_counter() - start
    return first_s, entries, second_s, not_modified


def run(feeds: int = 500, items: int = 4, rounds: int = 2, quiet: bool = False) -> Result:

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    corpus = build_poll_corpus(feeds, items)
    count = item_count(corpus)
    settings = FetchSettings()
    out = out_dir()
    say(f"poll: {len(corpus)} feeds of {items} items ({human(count)} items, "
        f"{sum(len(f.body) for f in corpus) / 1e6:.2f} MB) on {PORTS} loopback ports; per-host limit "
        f"{settings.per_host}, concurrency {settings.concurrency}; best of {rounds} rounds")
    warm_up(corpus)
    best = {"ours1": float("inf"), "ours2": float("inf"), "bare1": float("inf"), "bare2": float("inf")}
    with serve(corpus, out / "feeds-poll", PORTS) as bases:
        urls = [bases[i % len(bases)] + f.path for i, f in enumerate(corpus)]
        for _ in range(rounds):
            bare1, entries, bare2, bare_304 = baseline(urls, settings)
            ours1, first, ours2, second = ours(corpus, urls, out / "poll.db", settings)
            if first.failed or second.failed:
                errors = [o.error for o in [*first.feeds, *second.feeds] if o.error]
                raise RuntimeError(f"the poll failed for some feeds: {errors[:3]}")
            if first.fetched != len(corpus) or second.not_modified != len(corpus):
                raise RuntimeError(f"expected {len(corpus)} fetched then {len(corpus)} not modified, got "
                                   f"{first.fetched} and {second.not_modified}")
            if entries != count or bare_304 != len(corpus):
                raise RuntimeError(f"the baseline read {entries} entries and {bare_304} 304s")
            best = {"ours1": min(best["ours1"], ours1), "ours2": min(best["ours2"], ours2),
                    "bare1": min(best["bare1"], bare1), "bare2": min(best["bare2"], bare2)}
    n = len(corpus)
    ratio1 = best["ours1"] / best["bare1"]
    ratio2 = best["ours2"] / best["bare2"]
    lines = [
        f"  first poll   ours {best['ours1']:6.2f} s  {human(n / best['ours1']):>6} feeds/s "
        f"({first.new_items} items appended, {first.proposed} proposed, {first.accepted} accepted)",
        f"               bare {best['bare1']:6.2f} s  {human(n / best['bare1']):>6} feeds/s "
        f"(httpx gather + feedparser.parse, nothing stored)",
        f"  second poll  ours {best['ours2']:6.2f} s  {human(n / best['ours2']):>6} feeds/s "
        f"({second.not_modified} not modified)",
        f"               bare {best['bare2']:6.2f} s  {human(n / best['bare2']):>6} feeds/s (conditional GETs, 304)",
        ratio_info("poll.first", ratio1, "FeedPipeline.poll / bare httpx + feedparser, 200s"),
        ratio_info("poll.not_modified", ratio2, "FeedPipeline.poll / bare httpx, all 304"),
    ]
    say("\n".join(lines))
    return {
        "poll.first": {"ratio": ratio1, "target": None, "ok": True, "seconds": best["ours1"],
                       "baseline_seconds": best["bare1"], "feeds_per_s": n / best["ours1"]},
        "poll.not_modified": {"ratio": ratio2, "target": None, "ok": True, "seconds": best["ours2"],
                              "baseline_seconds": best["bare2"], "feeds_per_s": n / best["ours2"]},
    }


def main(argv: list[str] | None = None) -> Result:
    parser = arguments("python -m bench.poll", __doc__, "tiny sizes, for the smoke test")
    parser.add_argument("--feeds", type=int, help="feeds (default 500)")
    parser.add_argument("--items", type=int, help="items per feed (default 4)")
    parser.add_argument("--rounds", type=int, help="rounds; the best counts (default 2)")
    args = parser.parse_args(argv)
    return run(feeds=args.feeds or (12 if args.quick else 500),
               items=args.items or (2 if args.quick else 4),
               rounds=args.rounds or (1 if args.quick else 2))


if __name__ == "__main__":
    main()
