"""A loopback feed server for the feed benchmarks, run in a process of its own.

    python -m bench.feeds_server DIR [--ports N]

Serves every file under DIR at its relative path ("/p/p-0007.xml"), from memory, on N
ports of 127.0.0.1 (N hosts as the fetcher counts them, each with its own per-host limit).
A file `DIR/<path>.type` beside a feed holds its Content-Type. Every response carries an
ETag (a hash of the body) and a fixed Last-Modified; a request that sends either back gets
304. Keep-alive (HTTP/1.1) with Nagle's algorithm off, as in tests/feeds/http_server.py:
without TCP_NODELAY, every keep-alive response would wait ~40 ms for a delayed ACK.

The server prints one JSON line on stdout, `{"ports": [...]}`, once it listens, and stops
when its stdin closes: the benchmark that started it owns it, and nothing outlives it.

It runs in a separate process so that its work does not share the interpreter lock with
the client whose speed is being measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.feeds_corpus import Feed

ROOT = Path(__file__).resolve().parents[1]

LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        found = self.server.files.get(path)
        if found is None:
            self._reply(404, b"not found", {"Content-Type": "text/plain"})
            return
        body, content_type, etag = found
        if self.headers.get("If-None-Match") == etag or self.headers.get("If-Modified-Since") == LAST_MODIFIED:
            self._reply(304, b"", {"ETag": etag, "Last-Modified": LAST_MODIFIED})
            return
        self._reply(200, body, {"Content-Type": content_type, "ETag": etag, "Last-Modified": LAST_MODIFIED})

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, files: dict[str, tuple[bytes, str, str]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = files

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up is not news


def load(directory: Path) -> dict[str, tuple[bytes, str, str]]:
    files: dict[str, tuple[bytes, str, str]] = {}
    for path in sorted(directory.rglob("*.xml")):
        body = path.read_bytes()
        kind = path.with_name(path.name + ".type")
        content_type = kind.read_text().strip() if kind.exists() else "application/rss+xml"
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        files["/" + path.relative_to(directory).as_posix()] = (body, content_type, etag)
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feeds_server")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--ports", type=int, default=1)
    args = parser.parse_args(argv)
    files = load(args.directory)
    servers = [_Server(files) for _ in range(args.ports)]
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    print(json.dumps({"ports": [s.server_address[1] for s in servers], "files": len(files)}), flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or exits)
    for server in servers:
        server.shutdown()
        server.server_close()


def write(feeds: Sequence[Feed], directory: Path) -> None:
    """The feeds as files the server reads (a fresh folder each time)."""
    shutil.rmtree(directory, ignore_errors=True)
    for feed in feeds:
        path = directory / feed.path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(feed.body)
        path.with_name(path.name + ".type").write_text(feed.content_type)


@contextmanager
def serve(feeds: Sequence[Feed], directory: Path, ports: int = 1) -> Iterator[list[str]]:
    """Serve `feeds` from a server process of our own; yields one base URL per port
    ("http://127.0.0.1:PORT"). The process is stopped (its stdin closed, then waited
    for, killed only if it does not go) when the block ends."""
    write(feeds, directory)
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.feeds_server", str(directory), "--ports", str(ports)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark feed server did not start")
        started = json.loads(line)
        if started["files"] != len(feeds):
            raise RuntimeError(f"the feed server loaded {started['files']} files, not {len(feeds)}")
        yield [f"http://127.0.0.1:{port}" for port in started["ports"]]
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


if __name__ == "__main__":
    main()
