"""The feed pipeline: fetch → parse → identify → extract → intake, feed by feed.

All feeds of a poll are fetched concurrently; then each feed's items are identified,
extracted and appended in one transaction of its own, so a feed that fails (a timeout,
malformed XML, a hostile document) costs only itself: the error is recorded in its
health, logged, and the other feeds go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from feeds.aliases import AliasIndex
from feeds.drafts import draft_from
from feeds.extract import extract
from feeds.fetch import FeedRequest, FetchResult, fetch_many
from feeds.health import PollOutcome, SQLiteFeedHealth
from feeds.identity import identify
from feeds.parse import parse_feed
from feeds.types import Candidate, FeedItem
from timeline.bootstrap import App
from timeline.config import FeedSettings, reads_as_web_address
from timeline.errors import InvalidField, TimelineError
from timeline.intake import IntakeSummary, ItemSeen
from timeline.items import SQLiteSeenItems
from timeline.proposals import FEED_STREAM_PREFIX

log = logging.getLogger("feeds.pipeline")

Progress = Callable[[int], None]


@dataclass
class FeedOutcome:
    feed: str
    status: str                 # "ok", "not_modified", "failed", "skipped"
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    summary: IntakeSummary = field(default_factory=IntakeSummary)


@dataclass
class PollSummary(IntakeSummary):
    """A poll's totals: what the fetches did, plus the intake counts of every feed."""

    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    skipped: int = 0
    feeds: list[FeedOutcome] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["feeds"] = [
            {"feed": o.feed, "status": o.status, "error": o.error, "warnings": o.warnings,
             **{k: v for k, v in asdict(o.summary).items()}}
            for o in self.feeds
        ]
        return data

    def count(self, outcome: FeedOutcome) -> None:
        self.feeds.append(outcome)
        if outcome.status == "ok":
            self.fetched += 1
        elif outcome.status in ("not_modified", "failed", "skipped"):
            setattr(self, outcome.status, getattr(self, outcome.status) + 1)
        self.add(outcome.summary)


def alias_index(app: App, pending: Sequence[Mapping[str, Any]] = ()) -> AliasIndex:
    """The alias registry as extraction needs it: every name of every live company, and
    the names of `pending`, which the batch being read will register (a company note's
    company and its new aliases, appended with its history)."""
    more = {company["id"]: company for company in pending}
    live = [{"id": c["id"], "name": c["name"],
             "aliases": [*c["aliases"], *c["former_names"],
                         *(more.pop(c["id"])["aliases"] if c["id"] in more else [])]}
            for c in app.queries.companies()]
    return AliasIndex([*live, *more.values()])


def make_extractor(app: App, pending: Sequence[Mapping[str, Any]] = ()
                   ) -> Callable[[FeedItem], list[Candidate]]:
    """Extraction bound to the registry as it is now, with `pending` (see `alias_index`);
    rebuild it after registering."""
    index = alias_index(app, pending)

    def run(item: FeedItem) -> list[Candidate]:
        return extract(item, index)

    return run


class FeedPipeline:
    def __init__(self, app: App) -> None:
        self.app = app
        self.health = SQLiteFeedHealth(app.db.conn, app.settings.fetch)
        self.seen = SQLiteSeenItems(app.db.conn)
        self._index: AliasIndex | None = None

    @property
    def index(self) -> AliasIndex:
        if self._index is None:
            self._index = alias_index(self.app)
        return self._index

    def extract(self, item: FeedItem) -> list[Candidate]:
        return extract(item, self.index)

    def feeds(self, names: list[str] | None = None) -> list[FeedSettings]:
        configured = {f.name: f for f in self.app.settings.feeds}
        if not names:
            return list(configured.values())
        unknown = [n for n in names if n not in configured]
        if unknown:
            raise InvalidField("feed", f"no feed named {', '.join(map(repr, unknown))} in the "
                                       f"config; configured: {', '.join(configured) or 'none'}")
        return [configured[n] for n in names]

    def url(self, feed: FeedSettings) -> str:
        """http(s) URLs as they are; a local path relative to the config file."""
        return feed.url if "://" in feed.url else str(self.app.settings.resolve(feed.url))

    def poll(self, names: list[str] | None = None, due_only: bool = False,
             progress: Progress | None = None, due_within: float = 0.0) -> PollSummary:
        """Poll the named feeds (all by default; with `due_only`, those whose time has come
        or comes in the next `due_within` seconds).

        A poll of every feed leaves alone (and reports as skipped) a feed stopped after a
        410 and one whose server asked to wait (429, Retry-After); naming it polls it all
        the same.
        """
        feeds = self.feeds(names)
        self.health.register([(f.name, self.url(f)) for f in feeds])
        summary = PollSummary()
        if due_only:
            requests = self.health.due(within=due_within, names=[f.name for f in feeds])
        else:
            left_alone = self._left_alone(feeds, named=bool(names))
            for outcome in left_alone.values():
                summary.count(outcome)
                if progress is not None:
                    progress(1)
            requests = [FeedRequest(f.name, self.url(f), *self.health.validators(f.name, self.url(f)))
                        for f in feeds if f.name not in left_alone]
        if not requests:
            return summary
        results = fetch_many(requests, self.app.settings.fetch)
        by_name = {f.name: f for f in feeds}
        outcomes: list[PollOutcome] = []
        for result in results:
            feed = by_name[result.feed]
            outcome = self._one(feed, result)
            summary.count(outcome)
            outcomes.append(PollOutcome(
                result, items=outcome.summary.new_items,
                error=outcome.error if outcome.status == "failed" and result.error is None else None,
                interval=feed.interval_seconds,
            ))
            if progress is not None:
                progress(1)
        self.health.settle_round(outcomes)
        return summary

    def _left_alone(self, feeds: list[FeedSettings], named: bool) -> dict[str, FeedOutcome]:
        """The feeds a poll of every feed skips, each with the reason and the way to poll
        it: those stopped after a 410, and those whose server asked us to wait. Naming a
        feed is the curator's decision to poll it anyway (and restarts a stopped one)."""
        stopped = {s.name: s for s in self.health.status() if s.stopped}
        if named:
            for feed in feeds:
                if feed.name in stopped:
                    self.health.restart(feed.name)
            return {}
        waiting = self.health.waiting()
        skipped: dict[str, FeedOutcome] = {}
        for feed in feeds:
            if feed.name in stopped:
                reason = (f"stopped: {stopped[feed.name].last_error or 'the publisher said it is gone'}; "
                          f"`timeline feeds poll {feed.name}` restarts it")
            elif feed.name in waiting:
                state = waiting[feed.name]
                reason = (f"waiting after the server's last answer ({state.last_error}); next "
                          f"poll at {state.next_poll_at}; `timeline feeds poll {feed.name}` "
                          "polls it now")
            else:
                continue
            skipped[feed.name] = FeedOutcome(feed.name, "skipped", error=reason)
        return skipped

    def _one(self, feed: FeedSettings, result: FetchResult) -> FeedOutcome:
        """Parse, identify, extract and append one feed's fetch; failures stay with it."""
        if result.error is not None:
            error = result.error
            if "://" not in feed.url and reads_as_web_address(feed.url):
                error += f"; if the feed is on the web, write https://{feed.url}"
            log.warning("feed %s: %s", feed.name, error)
            return FeedOutcome(feed.name, "failed", error=error)
        if result.not_modified or result.content is None:
            return FeedOutcome(feed.name, "not_modified")
        try:
            return self._read(feed, result)
        except Exception as exc:  # a surprise in one feed's items must not end the round
            log.exception("feed %s: unexpected error; nothing of this feed was appended", feed.name)
            return FeedOutcome(feed.name, "failed", error=(
                f"unexpected error while reading the feed ({type(exc).__name__}: {exc}); "
                "nothing of it was appended"))

    def _read(self, feed: FeedSettings, result: FetchResult) -> FeedOutcome:
        assert result.content is not None
        parsed = parse_feed(result.content, result.headers, feed.name, feed.language,
                            base_url=result.final_url)
        if parsed.error is not None:
            log.warning("feed %s: %s", feed.name, parsed.error)
            return FeedOutcome(feed.name, "failed", error=parsed.error,
                               warnings=list(parsed.warnings))
        try:
            summary = self._intake(feed, list(parsed.items))
        except TimelineError as exc:
            log.warning("feed %s: %s", feed.name, exc.message)
            return FeedOutcome(feed.name, "failed", error=exc.message)
        for warning in parsed.warnings:
            log.warning("feed %s: %s", feed.name, warning)
        return FeedOutcome(feed.name, "ok", warnings=list(parsed.warnings), summary=summary)

    def _intake(self, feed: FeedSettings, items: list[FeedItem]) -> IntakeSummary:
        identified = identify(items, self.seen)
        seen_items: list[ItemSeen] = []
        drafts = []
        for entry in identified:
            if not entry.new or entry.key is None:
                continue
            item = entry.item
            seen_items.append(ItemSeen(key=entry.key, stream=FEED_STREAM_PREFIX + feed.name, data={
                "feed": feed.name, "fingerprint": entry.fingerprint,
                "fingerprints": list(entry.aliases), "guid": item.guid, "link": item.link,
                "title": item.title, "published": item.published, "language": item.language,
            }))
            for index, candidate in enumerate(self.extract(item)):
                drafts.append(draft_from(candidate, item, entry.key, index))
        summary = self.app.timeline.intake(seen_items, drafts, self.app.settings.review.auto_accept)
        summary.items = len(identified)
        summary.duplicates += len(identified) - len(seen_items)
        return summary
