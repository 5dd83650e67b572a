"""Fetching feeds: the first stage of the pipeline, and the one facing hostile servers.

Every feed of a round is fetched concurrently, and nothing one server does can hold up
the others or exhaust this process:

- time: `connect_timeout` bounds connecting; once the request is sent, `read_timeout`
  bounds the *whole* response (headers and body), so a server that never answers or
  trickles one byte a second is cut at `read_timeout` like any other (httpx's own read
  timeout only bounds the gap between two reads, hence the extra per-request deadline);
- memory: the body is streamed and refused as soon as it passes `max_bytes`, counted
  both as received and as decompressed. Decompression is done here, not by httpx, with a
  bounded output per step, so a gzip bomb is refused after `max_bytes` of output instead
  of being inflated whole in memory first;
- politeness: at most `per_host` requests to one host (host:port) at a time, at most
  `concurrency` requests overall, a User-Agent, conditional GET (If-None-Match /
  If-Modified-Since) and the server's Retry-After reported on 429 and 503;
- redirects are followed by hand (at most `max_redirects`, loops named as such), each
  hop taking the limits of its own host and releasing the previous host's first, so two
  hosts redirecting to each other can never deadlock.

Local paths and `file://` URLs are read with the same size cap; their modification time
plays the part of Last-Modified so an unchanged file is "not modified".

Nothing here raises for a feed's fault: every outcome, good or bad, is a `FetchResult`
whose `error` says in plain words what went wrong, and whose `error_kind` lets the health
bookkeeping tell a network failure from a server's answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import os
import socket
import ssl
import stat
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import httpx

from timeline.config import FetchSettings

ErrorKind = Literal["network", "http", "too_large", "redirect", "content", "file", "url", "internal"]

# The response headers the parse stage needs (charset, base URL, language).
PARSING_HEADERS = ("content-type", "content-location", "content-language")

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
# Only what `_Inflater` can decode with a bounded output; never br/zstd.
ACCEPT_ENCODING = "gzip, deflate"


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class FeedRequest:
    """One feed to fetch, with the validators remembered from its last success."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one fetch produced: a body, "not modified", or an error in plain words.

    `status` is the HTTP status of the last response (200/304 stand in for local files);
    None when no response arrived at all. `content` is the decoded body, only on success.
    `etag` / `last_modified` are the validators to send next time (on 304 the previous
    ones are carried over unless the server sent new ones).
    """

    feed: str
    url: str
    final_url: str
    status: int | None = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    retry_after: float | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def network_error(self) -> bool:
        """No usable answer because of the network (refused, reset, timed out)."""
        return self.error_kind == "network"


class _Refused(Exception):
    """A fetch that ends in an error; turned into a `FetchResult` in one place."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        final_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.final_url = final_url

    def result(self, request: FeedRequest) -> FetchResult:
        return FetchResult(
            feed=request.name, url=request.url, final_url=self.final_url or request.url,
            status=self.status, error=self.message, error_kind=self.kind,
            retry_after=self.retry_after,
        )


@dataclass(slots=True)
class _Hop:
    """What one request has got so far: the words of a timeout message depend on it."""

    url: str
    where: str
    sent: bool = False
    answered: bool = False
    received: int = 0


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


def _seconds(value: float) -> str:
    return f"{value:g}"


def _where(url: str) -> str:
    """`host:port` of an http(s) URL, as a curator would look it up."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port or (443 if parts.scheme.lower() == 'https' else 80)}"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date.

    A date in the past means "now" (0); an unreadable value means the server said nothing.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    moment = now or datetime.now(timezone.utc)
    return max(0.0, (when - moment).total_seconds())


def _status_words(status: int, reason: str) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = reason
    return f"HTTP {status} {phrase}".rstrip()


def _parsing_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in PARSING_HEADERS if name in headers}


class _Inflater:
    """gzip/deflate with a bounded output per call: the defence against gzip bombs.

    `feed(data, room)` returns at most `room + 1` bytes; getting more than `room` back
    means the body is over the cap, and the caller stops before inflating any further.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            return self._feed(data, room)
        except zlib.error as exc:
            raise _Refused("content", f"the body is not valid {self.encoding} data ({exc})") from None

    def _feed(self, data: bytes, room: int) -> bytes:
        if not self._started and self.encoding == "deflate" and data:
            self._started = True
            # "deflate" is zlib-wrapped by the standard, raw by many servers: accept both
            # (a zlib header has compression method 8 and a checksum divisible by 31).
            zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            if not zlib_header:
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = True
        out = self._inflate.decompress(data, room + 1)
        # A gzip body may hold several members one after another.
        while self._inflate.eof and self._inflate.unused_data and len(out) <= room:
            rest = self._inflate.unused_data
            self._inflate = zlib.decompressobj(self._wbits)
            out += self._inflate.decompress(rest, room + 1 - len(out))
        return out

    def finish(self) -> None:
        if not self._inflate.eof:
            raise _Refused("content", f"the {self.encoding} body ended early (a truncated response)")


def _inflater(encoding: str) -> _Inflater | None:
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip", "deflate"):
        return _Inflater(name)
    raise _Refused("content", f"the server compressed the body as {encoding!r}, which timeline does not accept")


def _too_large(limit: int, detail: str = "") -> _Refused:
    return _Refused("too_large", f"body larger than {limit} bytes{detail}")


async def _read_capped(response: httpx.Response, limit: int, hop: _Hop) -> bytes:
    """The decoded body, refused as soon as it passes `limit` bytes (raw or decoded)."""
    inflater = _inflater(response.headers.get("content-encoding", ""))
    announced = response.headers.get("content-length", "")
    if inflater is None and announced.isdigit() and int(announced) > limit:
        raise _too_large(limit, f" (the server announced {announced})")
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        hop.received += len(raw)
        if hop.received > limit:
            raise _too_large(limit)
        piece = inflater.feed(raw, limit - size) if inflater else raw
        size += len(piece)
        if size > limit:
            raise _too_large(limit, " once decompressed")
        chunks.append(piece)
    if inflater is not None:
        inflater.finish()
    return b"".join(chunks)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (httpx -> httpcore -> anyio -> the OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _connect_words(exc: Exception) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "unknown host name"
    lowered = " ".join(str(cause) for cause in _causes(exc)).lower()
    if "refused" in lowered:
        return "connection refused"
    if "unreachable" in lowered:
        return "network unreachable"
    return str(exc) or type(exc).__name__


def _transport_error(exc: httpx.HTTPError, hop: _Hop, settings: FetchSettings) -> _Refused:
    """httpx's exceptions, in words a curator understands."""
    where = hop.where
    if isinstance(exc, httpx.ConnectTimeout):
        return _Refused("network", f"timed out after {_seconds(settings.connect_timeout)} s connecting to {where}")
    if isinstance(exc, httpx.TimeoutException):
        return _Refused("network", _timeout_words(hop, settings))
    if isinstance(exc, httpx.ConnectError):
        return _Refused("network", f"could not connect to {where}: {_connect_words(exc)}")
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return _Refused("url", f"{hop.url} is not a fetchable address: {exc}")
    if isinstance(exc, httpx.TransportError):
        return _Refused("network", f"the connection to {where} broke: {exc or type(exc).__name__}")
    return _Refused("internal", f"unexpected HTTP error talking to {where}: {exc or type(exc).__name__}")


def _timeout_words(hop: _Hop, settings: FetchSettings) -> str:
    limit = _seconds(settings.read_timeout)
    if not hop.answered:
        return f"timed out after {limit} s waiting for {hop.where} to answer"
    return (f"timed out after {limit} s: {hop.where} sent {hop.received} bytes "
            "but not the whole response")


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise _Refused("url", f"{url} names another machine ({parts.netloc}); only local files are read")
        return Path(url2pathname(unquote(parts.path)))
    return Path(url)


def _read_file(request: FeedRequest, path: Path, limit: int) -> FetchResult:
    """A local feed file, with the same size cap as HTTP and its mtime as Last-Modified."""
    try:
        # Non-blocking: opening a FIFO (or a device) for reading would otherwise wait for a
        # writer forever, past every timeout; what is opened is then checked, not the name.
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise _Refused("file", f"{path} is not a regular file")
            modified = email.utils.formatdate(info.st_mtime, usegmt=True)
            if request.last_modified == modified:
                return FetchResult(feed=request.name, url=request.url, final_url=request.url,
                                   status=304, not_modified=True, last_modified=modified)
            if info.st_size > limit:
                raise _too_large(limit, f" ({path} has {info.st_size})")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise _Refused("file", f"file not found: {path}") from None
    except IsADirectoryError:
        raise _Refused("file", f"{path} is a directory, not a feed file") from None
    except PermissionError:
        raise _Refused("file", f"permission denied reading {path}") from None
    except OSError as exc:
        raise _Refused("file", f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise _too_large(limit)
    return FetchResult(feed=request.name, url=request.url, final_url=request.url, status=200,
                       content=data, last_modified=modified)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The certificate checks every client makes: httpx's defaults (certifi's authorities,
    host names checked), as it builds them for `trust_env=False`.

    Built once per process: loading the authorities costs 30-40 ms, more than fetching a
    whole round of feeds over a warm network, and `fetch_all` makes a client per round.
    Sharing it is safe: a context is only read once built (each client sets the same
    ALPN protocols on it, HTTP/1.1 only), and it holds no connection state."""
    return httpx.create_ssl_context(trust_env=False)


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The HTTP client a `Fetcher` uses: pooled, no redirects, no proxies from the env.

    `trust_env=False`: a proxy or netrc configured for a person's shell has no business
    with feed polling (and would send loopback test traffic elsewhere).
    """
    return httpx.AsyncClient(
        verify=_tls_context(),
        timeout=httpx.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout,
            write=settings.read_timeout, pool=settings.connect_timeout + settings.read_timeout,
        ),
        limits=httpx.Limits(max_connections=settings.concurrency,
                            max_keepalive_connections=settings.concurrency),
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT,
                 "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=False,
        trust_env=False,
    )


class Fetcher:
    """The HTTP client and the concurrency limits, shared by every fetch while open.

    Keep one open across rounds (the scheduler) so that per-host limits hold between
    rounds that overlap; `fetch_all` opens one per call for simple uses.
    """

    def __init__(self, settings: FetchSettings, *, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._client = client
        self._owns_client = client is None
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        if self._client is None:
            self._client = make_client(self.settings)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch_all(self, requests: Iterable[FeedRequest]) -> list[FetchResult]:
        """Every request concurrently; results in the order of the requests."""
        return list(await asyncio.gather(*(self.fetch(r) for r in requests)))

    async def fetch(self, request: FeedRequest) -> FetchResult:
        """One feed; never raises for the feed's fault (see `FetchResult.error`)."""
        started = time.monotonic()
        try:
            result = await self._fetch(request)
        except _Refused as refused:
            result = refused.result(request)
        except Exception as exc:  # one feed's surprise must not end everybody's round
            result = _Refused("internal", f"unexpected error: {type(exc).__name__}: {exc}").result(request)
        return replace(result, elapsed=time.monotonic() - started)

    async def _fetch(self, request: FeedRequest) -> FetchResult:
        try:
            scheme = urlsplit(request.url).scheme.lower()
        except ValueError as exc:
            raise _Refused("url", f"{request.url!r} is not a valid address: {exc}") from None
        if scheme in ("http", "https"):
            return await self._fetch_http(request)
        if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
            path = _file_path(request.url)
            async with self._global:
                return await asyncio.to_thread(_read_file, request, path, self.settings.max_bytes)
        raise _Refused("url", f"unsupported address {request.url!r}: use http(s) or a local file path")

    async def _fetch_http(self, request: FeedRequest) -> FetchResult:
        url = request.url
        visited = {url}
        for _ in range(self.settings.max_redirects + 1):
            outcome = await self._hop(request, url)
            if isinstance(outcome, FetchResult):
                return outcome
            url = outcome.location
            if url in visited:
                raise _Refused("redirect", f"too many redirects: {url} redirects back to an address "
                               "already visited (a redirect loop)", final_url=url)
            visited.add(url)
        raise _Refused("redirect", f"too many redirects: more than {self.settings.max_redirects} "
                       f"starting at {request.url}", final_url=url)

    def _host_limit(self, url: str) -> asyncio.Semaphore:
        where = _where(url)
        limit = self._hosts.get(where)
        if limit is None:
            limit = self._hosts[where] = asyncio.Semaphore(self.settings.per_host)
        return limit

    async def _hop(self, request: FeedRequest, url: str) -> FetchResult | _Redirect:
        """One request/response under the limits of its host and the global limit.

        The host's slot is taken before the global one, so feeds queued behind a busy
        host do not sit on global slots other hosts could use.
        """
        settings = self.settings
        hop = _Hop(url=url, where=_where(url))
        async with AsyncExitStack() as limits:
            await limits.enter_async_context(self._host_limit(url))
            await limits.enter_async_context(self._global)
            try:
                async with asyncio.timeout(settings.connect_timeout + settings.read_timeout) as deadline:
                    return await self._exchange(request, hop, deadline)
            except TimeoutError:
                raise _Refused("network", _timeout_words(hop, settings), final_url=url) from None
            except httpx.HTTPError as exc:
                refused = _transport_error(exc, hop, settings)
                refused.final_url = url
                raise refused from None
            except _Refused as refused:
                refused.final_url = refused.final_url or url
                raise

    async def _exchange(self, request: FeedRequest, hop: _Hop, deadline: asyncio.Timeout) -> FetchResult | _Redirect:
        assert self._client is not None, "use `async with Fetcher(...)`"
        loop = asyncio.get_running_loop()
        read_timeout = self.settings.read_timeout

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            # From the moment the request goes out, the whole response gets read_timeout.
            if event.endswith("send_request_headers.started"):
                hop.sent = True
                deadline.reschedule(loop.time() + read_timeout)

        headers: dict[str, str] = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        async with self._client.stream("GET", hop.url, headers=headers,
                                       extensions={"trace": trace}) as response:
            hop.answered = True
            return await self._answer(request, hop, response)

    async def _answer(self, request: FeedRequest, hop: _Hop, response: httpx.Response) -> FetchResult | _Redirect:
        status = response.status_code
        if status in _REDIRECTS:
            return _redirect_target(hop.url, status, response.headers.get("location"))
        if status == 304:
            return FetchResult(
                feed=request.name, url=request.url, final_url=hop.url, status=304, not_modified=True,
                etag=response.headers.get("etag") or request.etag,
                last_modified=response.headers.get("last-modified") or request.last_modified,
            )
        if not 200 <= status < 300:
            retry = (parse_retry_after(response.headers.get("retry-after"))
                     if status in _RETRY_AFTER_STATUSES else None)
            raise _Refused("http", _status_words(status, response.reason_phrase),
                           status=status, retry_after=retry)
        body = await _read_capped(response, self.settings.max_bytes, hop)
        return FetchResult(
            feed=request.name, url=request.url, final_url=hop.url, status=status, content=body,
            headers=_parsing_headers(response.headers),
            etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
        )


def _redirect_target(url: str, status: int, location: str | None) -> _Redirect:
    if not location or not location.strip():
        raise _Refused("http", f"HTTP {status} redirect without a Location header", status=status)
    target = urljoin(url, location.strip())
    if urlsplit(target).scheme.lower() not in ("http", "https"):
        raise _Refused("redirect", f"redirect to {target!r}, which is not an http(s) address", status=status)
    return _Redirect(target)


async def fetch_all(
    feeds: Sequence[FeedRequest],
    settings: FetchSettings,
    *,
    client: httpx.AsyncClient | None = None,
) -> list[FetchResult]:
    """Fetch every feed concurrently within the limits; results in input order.

    A hanging or hostile feed costs only its own timeout: each fetch has its own deadline
    and holds only its own host's slot.
    """
    async with Fetcher(settings, client=client) as fetcher:
        return await fetcher.fetch_all(feeds)


def fetch_many(feeds: Sequence[FeedRequest], settings: FetchSettings) -> list[FetchResult]:
    """`fetch_all` for synchronous callers (the CLI); not for use inside a running loop.

    The results are handed out through a list rather than as the main task's result:
    on its way out, `asyncio.run` (Python 3.11) looks up the SIGINT handler, and the
    lookup formats the handler, the main task and so its result with `repr`: every body
    fetched, written out in full and thrown away (milliseconds per round)."""
    results: list[FetchResult] = []

    async def main() -> None:
        results.extend(await fetch_all(feeds, settings))

    asyncio.run(main())
    return results
