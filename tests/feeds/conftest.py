"""Fixtures for the feed pipeline: a real loopback HTTP server, fast fetch settings, and a
real SQLite file holding `feed_state`."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The server module sits beside this file; make it importable whatever pytest's import mode.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from http_server import DATA, FeedServer  # noqa: E402

from timeline.config import FetchSettings  # noqa: E402
from timeline.storage.schema import OPERATIONAL_TABLES  # noqa: E402


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fresh server per test: its request log and counters start empty, and stopping
    it releases any handler still hanging or trickling."""
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fast() -> FetchSettings:
    """Settings with short timeouts, so that tests of slow servers stay fast."""
    return FetchSettings(connect_timeout=1.0, read_timeout=1.0, max_bytes=1_000_000,
                         backoff_base=60, backoff_max=3600)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def health_db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A real SQLite file in autocommit mode with the operational table `feed_state`."""
    conn = sqlite3.connect(tmp_path / "timeline.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(OPERATIONAL_TABLES["feed_state"])
    try:
        yield conn
    finally:
        conn.close()
