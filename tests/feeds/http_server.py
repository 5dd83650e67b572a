"""A real HTTP server on 127.0.0.1 serving good, bad and hostile feeds for the fetch tests.

ThreadingHTTPServer on port 0 in a background thread. Every route is a behaviour a
publisher (or an attacker) shows in the wild; see `ROUTES` below. Handlers that hang or
trickle wait on the server's stop event, so `stop()` returns promptly even while clients
are still connected to them.
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parent.parent / "data" / "feeds"

ETAG = '"feed-v1"'
LAST_MODIFIED = "Wed, 02 Jan 2019 12:00:00 GMT"

_BOMB_CACHE: dict[int, bytes] = {}


def gzip_bomb(decoded_size: int) -> bytes:
    """gzip of `decoded_size` zero bytes, built in slices (a 100 MB bomb is ~100 KB)."""
    if decoded_size not in _BOMB_CACHE:
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = bytes(1 << 20)
        parts = [packer.compress(block) for _ in range(decoded_size >> 20)]
        parts.append(packer.flush())
        _BOMB_CACHE[decoded_size] = b"".join(parts)
    return _BOMB_CACHE[decoded_size]


def unused_port() -> int:
    """A loopback port nothing listens on (for "connection refused")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]


@dataclass
class ServerState:
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Recorded] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.in_flight = 0
            self.max_in_flight = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
    # meeting the client's delayed ACK adds ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet tests
        pass

    # -- plumbing ----------------------------------------------------------------------

    @property
    def state(self) -> ServerState:
        return self.server.state

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        merged = {"Content-Type": "application/rss+xml"} if body else {}
        merged.update(headers or {})
        for name, value in merged.items():
            if value:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.state.lock:
            self.state.requests.append(Recorded(parts.path, {k.lower(): v for k, v in self.headers.items()}))
        route = parts.path.strip("/").split("/")
        handler = ROUTES.get(route[0])
        if handler is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        try:
            handler(self, route[1:], query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- routes ------------------------------------------------------------------------

    def feed(self, rest: list[str], query: dict[str, str]) -> None:
        """200 with validators; 304 when the client sends them back."""
        if (self.headers.get("If-None-Match") == ETAG
                or self.headers.get("If-Modified-Since") == LAST_MODIFIED):
            self._send(304, headers={"ETag": ETAG})
            return
        body = (DATA / "feed-en.xml").read_bytes()
        self._send(200, body, {"ETag": ETAG, "Last-Modified": LAST_MODIFIED,
                               "Content-Type": "application/rss+xml; charset=utf-8"})

    def file(self, rest: list[str], query: dict[str, str]) -> None:
        """A fixture file with the Content-Type asked for (`?type=none` sends none)."""
        path = DATA / "/".join(rest)
        if not path.is_file() or DATA not in path.resolve().parents:
            self._send(404, b"no such fixture", {"Content-Type": "text/plain"})
            return
        kind = query.get("type", "application/rss+xml")
        self._send(200, path.read_bytes(), {"Content-Type": "" if kind == "none" else kind})

    def status(self, rest: list[str], query: dict[str, str]) -> None:
        code = int(rest[0])
        headers = {"Content-Type": "text/plain"}
        if "retry-after" in query:
            headers["Retry-After"] = query["retry-after"]
        self._send(code, f"status {code}".encode(), headers)

    def redirect(self, rest: list[str], query: dict[str, str]) -> None:
        """/redirect/N: N hops (relative Locations) and then the feed."""
        hops = int(rest[0]) if rest else 1
        target = f"/redirect/{hops - 1}" if hops > 1 else "/feed"
        self._send(302 if hops % 2 else 301, headers={"Location": target})

    def loop(self, rest: list[str], query: dict[str, str]) -> None:
        self._send(302, headers={"Location": "/loop"})

    def hang(self, rest: list[str], query: dict[str, str]) -> None:
        """Accept, read the request, never answer (until the server stops)."""
        self.state.stop.wait(30)
        self.close_connection = True

    def trickle(self, rest: list[str], query: dict[str, str]) -> None:
        """Answer at once, then send the body one byte every 50 ms, for ever."""
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        while not self.state.stop.wait(0.05):
            self.wfile.write(b" ")
            self.wfile.flush()
        self.close_connection = True

    def big(self, rest: list[str], query: dict[str, str]) -> None:
        """`size` bytes; `?chunked=1` sends no Content-Length (the client must count)."""
        size = int(query.get("size", "10000000"))
        if query.get("chunked"):
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            block = b"x" * 65536
            sent = 0
            while sent < size and not self.state.stop.is_set():
                self.wfile.write(block)
                sent += len(block)
            self.close_connection = True
            return
        self._send(200, b"x" * size)

    def gzipped(self, rest: list[str], query: dict[str, str]) -> None:
        body = gzip.compress((DATA / "feed-en.xml").read_bytes())
        self._send(200, body, {"Content-Encoding": "gzip"})

    def bomb(self, rest: list[str], query: dict[str, str]) -> None:
        """gzip of `size` (default 32 MB) zeros: tiny on the wire, huge once inflated."""
        self._send(200, gzip_bomb(int(query.get("size", str(32 << 20)))), {"Content-Encoding": "gzip"})

    def badgzip(self, rest: list[str], query: dict[str, str]) -> None:
        """Labelled gzip, but is not."""
        self._send(200, b"this is not gzip at all", {"Content-Encoding": "gzip"})

    def slow(self, rest: list[str], query: dict[str, str]) -> None:
        """The feed after `delay` seconds; counts how many are served at once."""
        with self.state.lock:
            self.state.in_flight += 1
            self.state.max_in_flight = max(self.state.max_in_flight, self.state.in_flight)
        try:
            self.state.stop.wait(float(query.get("delay", "0.2")))
            self._send(200, (DATA / "feed-en.xml").read_bytes())
        finally:
            with self.state.lock:
                self.state.in_flight -= 1

    def reset(self, rest: list[str], query: dict[str, str]) -> None:
        """Close the connection without a word."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


ROUTES: dict[str, Callable[[Handler, list[str], dict[str, str]], None]] = {
    "feed": Handler.feed,
    "file": Handler.file,
    "status": Handler.status,
    "redirect": Handler.redirect,
    "loop": Handler.loop,
    "hang": Handler.hang,
    "trickle": Handler.trickle,
    "big": Handler.big,
    "gzip": Handler.gzipped,
    "bomb": Handler.bomb,
    "badgzip": Handler.badgzip,
    "slow": Handler.slow,
    "reset": Handler.reset,
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, state: ServerState) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that drop a connection (timeouts, caps) are the point of these tests."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    """Start with `start()`, stop with `stop()`; `url(path)` names a route on it."""

    def __init__(self) -> None:
        self.state = ServerState()
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging and trickling handlers, then stop serving and close."""
        self.state.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def requests(self) -> list[Recorded]:
        with self.state.lock:
            return list(self.state.requests)


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
