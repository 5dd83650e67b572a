"""Feed health: when each feed is polled next, and what curators see about it.

Kept in the operational table `feed_state` beside the log (a cache and a schedule, never
history: losing it only means one full re-fetch of every feed).

Policy, and why:

- a success (or "not modified") schedules the next poll one interval later and clears
  the failure count; its ETag / Last-Modified are kept for the next conditional GET;
- a failure backs off exponentially — `backoff_base * 2**(failures-1)` capped at
  `backoff_max` — with jitter (50–100 % of that delay) so that feeds which failed
  together do not all come back in the same second;
- a server's Retry-After (429/503) is honoured: the next poll is at least that far away,
  up to `backoff_max` (a server cannot park a feed for a year);
- `410 Gone` is the publisher saying the feed is gone for good: the feed is stopped and
  never polled again until a curator calls `restart`;
- a **global outage** — every HTTP feed of a round, from at least two hosts (host:port),
  failed at the network level (refused, reset, timed out; not an HTTP answer) — is this
  machine's problem, not the feeds': no failure is counted and each such feed gets a
  plain retry at `backoff_base`. A round of one feed, or of one host, cannot tell the
  two apart and counts as ordinary failures. Local files, which need no network, are
  recorded as usual and do not hide an outage.

Writes: every public method that writes runs in its own `BEGIN IMMEDIATE` … `COMMIT`,
unless the connection is already inside a transaction, in which case it joins the
caller's (so a poll can record health in the same transaction as its appended items).
The connection must be in autocommit mode (`isolation_level=None`).

Time is injectable: every method takes `now` (a timezone-aware datetime), defaulting to
the instance's clock.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from feeds.fetch import FeedRequest, FetchResult
from timeline.config import FetchSettings
from timeline.dates import format_timestamp, utc_now
from timeline.errors import InputError

DEFAULT_INTERVAL = 1800  # seconds; FeedSettings' default "30m"
# Said in a feed's last error when its server gave a Retry-After: a poll of every feed then
# leaves the feed alone until then, as it does after any 429 Too Many Requests.
ASKED_TO_WAIT = "the server asked to wait"

FeedState = Literal["new", "ok", "failing", "stopped"]


class UnknownFeed(InputError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"feed: no feed named {name!r}; `timeline feeds status` lists the feeds")


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """One feed's health, as `timeline feeds status` shows it."""

    name: str
    url: str
    last_success_at: str | None
    last_fetch_at: str | None
    last_status: int | None
    consecutive_failures: int
    next_poll_at: str | None
    last_error: str | None
    stopped: bool
    items_total: int

    @property
    def state(self) -> FeedState:
        if self.stopped:
            return "stopped"
        if self.consecutive_failures:
            return "failing"
        return "ok" if self.last_fetch_at else "new"


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """One feed's poll, for `settle_round`: the fetch, and what the later stages made of it.

    `error` is a later stage's failure (an unparseable body): the poll failed although
    the fetch did not. `items` counts the new items appended. `interval` is the feed's
    polling interval in seconds (the health instance's default when None).
    """

    result: FetchResult
    items: int = 0
    error: str | None = None
    interval: int | None = None


@dataclass(frozen=True, slots=True)
class RoundReport:
    outage: bool
    succeeded: tuple[str, ...]
    failed: tuple[str, ...]
    stopped: tuple[str, ...]


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower() or url
    except ValueError:
        return url


def is_global_outage(results: Sequence[FetchResult]) -> bool:
    """Every network fetch failed at the network level, across at least two hosts.

    Local files say nothing about the network: a round whose files were read while every
    HTTP feed failed to connect is still an outage.
    """
    remote = [r for r in results if urlsplit(r.url).scheme.lower() in ("http", "https")]
    if len(remote) < 2 or not all(r.network_error for r in remote):
        return False
    return len({_host(r.final_url) for r in remote}) >= 2


class SQLiteFeedHealth:
    """`feed_state` in SQLite: scheduling, backoff, stopping, and the status listing."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        settings: FetchSettings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        default_interval: int = DEFAULT_INTERVAL,
    ) -> None:
        self.conn = conn
        self.settings = settings or FetchSettings()
        self.clock = clock
        self.rng = rng or random.Random()
        self.default_interval = default_interval

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Join the caller's transaction, or run in one of our own."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _now(self, now: datetime | None) -> datetime:
        return now or self.clock()

    # -- registry and schedule ---------------------------------------------------------

    def register(self, feeds: Iterable[tuple[str, str]], now: datetime | None = None) -> None:
        """Make sure each (name, url) has a row; a new feed is due at once.

        When a feed's URL changed in the configuration, its validators are dropped (they
        belonged to the old address) and it is due at once.
        """
        stamp = format_timestamp(self._now(now))
        with self._write() as conn:
            conn.executemany(
                """
                INSERT INTO feed_state (name, url, next_poll_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET
                    etag          = CASE WHEN url = excluded.url THEN etag ELSE NULL END,
                    last_modified = CASE WHEN url = excluded.url THEN last_modified ELSE NULL END,
                    next_poll_at  = CASE WHEN url = excluded.url THEN next_poll_at
                                         ELSE excluded.next_poll_at END,
                    url           = excluded.url
                """,
                [(name, url, stamp) for name, url in feeds],
            )

    def due(self, now: datetime | None = None, *, within: float = 0.0,
            names: Iterable[str] | None = None) -> list[FeedRequest]:
        """Feeds to poll now (not stopped, next poll reached or `within` seconds of it),
        with their validators.

        `names` narrows the answer to those feeds (e.g. the ones still in the config).
        """
        rows = self.conn.execute(
            """
            SELECT name, url, etag, last_modified FROM feed_state
            WHERE stopped = 0 AND (next_poll_at IS NULL OR next_poll_at <= ?)
            ORDER BY coalesce(next_poll_at, ''), name
            """,
            (format_timestamp(self._now(now) + timedelta(seconds=within)),),
        ).fetchall()
        wanted = None if names is None else set(names)
        return [FeedRequest(name=r[0], url=r[1], etag=r[2], last_modified=r[3])
                for r in rows if wanted is None or r[0] in wanted]

    def validators(self, name: str, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) remembered for this feed at this URL; Nones otherwise."""
        row = self.conn.execute("SELECT url, etag, last_modified FROM feed_state WHERE name = ?",
                                (name,)).fetchone()
        if row is None or row[0] != url:
            return None, None
        return row[1], row[2]

    def restart(self, name: str, now: datetime | None = None) -> None:
        """A curator's decision: poll a stopped (or failing) feed again, now."""
        with self._write() as conn:
            changed = conn.execute(
                """
                UPDATE feed_state SET stopped = 0, consecutive_failures = 0, last_error = NULL,
                                      next_poll_at = ?
                WHERE name = ?
                """,
                (format_timestamp(self._now(now)), name),
            ).rowcount
        if not changed:
            raise UnknownFeed(name)

    # -- outcomes ----------------------------------------------------------------------

    def record_success(self, name: str, result: FetchResult, items: int, *,
                       interval: int | None = None, now: datetime | None = None) -> None:
        """A fetched and parsed feed: failures cleared, validators kept, next poll set."""
        with self._write() as conn:
            self._success(conn, name, result, items, interval, self._now(now))

    def record_not_modified(self, name: str, result: FetchResult | None = None, *,
                            interval: int | None = None, now: datetime | None = None) -> None:
        """A 304: as healthy as a success, with nothing new."""
        with self._write() as conn:
            self._success(conn, name, result, 0, interval, self._now(now))

    def record_failure(self, name: str, error: str, status: int | None = None,
                       retry_after: float | None = None, *, now: datetime | None = None) -> None:
        """A failed poll: counted, backed off (or stopped on 410), error kept for curators."""
        with self._write() as conn:
            self._failure(conn, name, error, status, retry_after, self._now(now))

    def settle_round(self, outcomes: Sequence[PollOutcome | FetchResult],
                     now: datetime | None = None) -> RoundReport:
        """Record a whole round in one transaction, sparing every feed in a global outage."""
        polls = [o if isinstance(o, PollOutcome) else PollOutcome(o) for o in outcomes]
        moment = self._now(now)
        outage = is_global_outage([p.result for p in polls])
        succeeded: list[str] = []
        failed: list[str] = []
        with self._write() as conn:
            self._register_urls(conn, polls, moment)
            for poll in polls:
                name = poll.result.feed
                if outage and poll.result.network_error:
                    self._outage(conn, name, poll.result.error or "network error", moment)
                    failed.append(name)
                elif self._settle(conn, poll, moment):
                    succeeded.append(name)
                else:
                    failed.append(name)
            stopped = self._stopped_among(conn, failed)
        return RoundReport(outage, tuple(succeeded), tuple(failed), stopped)

    def _settle(self, conn: sqlite3.Connection, poll: PollOutcome, now: datetime) -> bool:
        result = poll.result
        error = result.error or poll.error
        if error is not None:
            self._failure(conn, result.feed, error, result.status, result.retry_after, now)
            return False
        self._success(conn, result.feed, result, poll.items, poll.interval, now)
        return True

    def _register_urls(self, conn: sqlite3.Connection, polls: list[PollOutcome], now: datetime) -> None:
        conn.executemany(
            "INSERT INTO feed_state (name, url, next_poll_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            [(p.result.feed, p.result.url, format_timestamp(now)) for p in polls],
        )

    def _stopped_among(self, conn: sqlite3.Connection, names: list[str]) -> tuple[str, ...]:
        if not names:
            return ()
        marks = ",".join("?" * len(names))
        rows = conn.execute(f"SELECT name FROM feed_state WHERE stopped = 1 AND name IN ({marks}) "
                            "ORDER BY name", names).fetchall()
        return tuple(r[0] for r in rows)

    # -- the writes themselves ---------------------------------------------------------

    def _success(self, conn: sqlite3.Connection, name: str, result: FetchResult | None,
                 items: int, interval: int | None, now: datetime) -> None:
        stamp = format_timestamp(now)
        following = format_timestamp(now + timedelta(seconds=interval or self.default_interval))
        etag = result.etag if result else None
        modified = result.last_modified if result else None
        status = result.status if result else 304
        if result is not None:
            conn.execute("INSERT INTO feed_state (name, url) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                         (name, result.url))
        changed = conn.execute(
            """
            UPDATE feed_state SET
                etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),
                last_fetch_at = ?, last_success_at = ?, last_status = ?, last_error = NULL,
                consecutive_failures = 0, next_poll_at = ?, items_total = items_total + ?
            WHERE name = ?
            """,
            (etag, modified, stamp, stamp, status, following, items, name),
        ).rowcount
        if not changed:
            raise UnknownFeed(name)

    def backoff(self, failures: int) -> float:
        """Seconds before retrying after `failures` failures in a row: capped, jittered."""
        settings = self.settings
        exponent = min(max(failures, 1) - 1, 40)
        ceiling: int = min(settings.backoff_max, settings.backoff_base * (1 << exponent))
        return ceiling * self.rng.uniform(0.5, 1.0)

    def _failure(self, conn: sqlite3.Connection, name: str, error: str, status: int | None,
                 retry_after: float | None, now: datetime) -> None:
        row = conn.execute("SELECT consecutive_failures FROM feed_state WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UnknownFeed(name)
        failures = int(row[0]) + 1
        gone = status == 410
        if gone:
            error = (f"{error}: the publisher says this feed is gone for good; it is stopped "
                     "until a curator restarts it")
            following: str | None = None
        else:
            delay = self.backoff(failures)
            if retry_after is not None:
                delay = max(delay, min(retry_after, float(self.settings.backoff_max)))
                error = f"{error}; {ASKED_TO_WAIT} {retry_after:.0f} s"
            following = format_timestamp(now + timedelta(seconds=delay))
        conn.execute(
            """
            UPDATE feed_state SET last_fetch_at = ?, last_status = ?, last_error = ?,
                consecutive_failures = ?, next_poll_at = ?, stopped = ?
            WHERE name = ?
            """,
            (format_timestamp(now), status, error, failures, following, int(gone), name),
        )

    def _outage(self, conn: sqlite3.Connection, name: str, error: str, now: datetime) -> None:
        delay = self.settings.backoff_base * self.rng.uniform(0.5, 1.0)
        conn.execute(
            """
            UPDATE feed_state SET last_fetch_at = ?, last_status = NULL, last_error = ?,
                next_poll_at = ?
            WHERE name = ?
            """,
            (format_timestamp(now),
             f"{error} (every feed failed at once: a network outage, not counted against this feed)",
             format_timestamp(now + timedelta(seconds=delay)), name),
        )

    # -- reading -----------------------------------------------------------------------

    def waiting(self, now: datetime | None = None) -> dict[str, FeedStatus]:
        """Feeds whose server asked to be left alone for a while, and whose time has not
        come: it answered 429 Too Many Requests, or gave a Retry-After.

        A poll of every feed leaves them alone as the scheduler does, so that a curator's
        `feeds poll` does not get the feed's host to refuse us for longer.
        """
        moment = format_timestamp(self._now(now))
        return {s.name: s for s in self.status()
                if not s.stopped and s.consecutive_failures
                and (s.last_status == 429 or ASKED_TO_WAIT in (s.last_error or ""))
                and s.next_poll_at is not None and s.next_poll_at > moment}

    def status(self) -> list[FeedStatus]:
        """Every feed's health, by name."""
        rows = self.conn.execute(
            """
            SELECT name, url, last_success_at, last_fetch_at, last_status, consecutive_failures,
                   next_poll_at, last_error, stopped, items_total
            FROM feed_state ORDER BY name
            """
        ).fetchall()
        return [
            FeedStatus(name=r[0], url=r[1], last_success_at=r[2], last_fetch_at=r[3],
                       last_status=r[4], consecutive_failures=r[5], next_poll_at=r[6],
                       last_error=r[7], stopped=bool(r[8]), items_total=r[9])
            for r in rows
        ]
