"""Shared fixtures: a real SQLite file per test, a clock the test controls, the CLI.

Nothing of our own storage is mocked: every test that touches the log opens a real file
in `tmp_path`. The clock only decides `recorded_at`, so that "known at" replays can be
asserted against fixed moments.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from timeline.bootstrap import App, bootstrap
from timeline.cli import main
from timeline.dates import format_timestamp

# Companies every `app` starts with, as config.toml declares them.
COMPANIES_TOML = """
[[companies]]
id = "aesc"
name = "Envision AESC"
aliases = ["AESC", "远景动力", "远景AESC"]
country = "JP"

[[companies]]
id = "envision"
name = "Envision Group"
aliases = ["远景集团", "Envision"]
country = "CN"

[[companies]]
id = "nissan"
name = "Nissan"
aliases = ["日产", "Nissan Motor"]
country = "JP"

[[companies]]
id = "catl"
name = "CATL"
aliases = ["宁德时代"]
country = "CN"

[[companies]]
id = "northvolt"
name = "Northvolt"
country = "SE"
"""

COMPANY_IDS = ("aesc", "envision", "nissan", "catl", "northvolt")

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


class Clock:
    """A transaction-time clock: every reading is one second after the previous one.

    `now` is the next value it will return; `set` jumps (forwards) to a given moment, so
    a test can say "these records were learned in March".
    """

    def __init__(self, start: datetime = START, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> str:
        value = format_timestamp(self.now)
        self.now += self.step
        return value

    def set(self, moment: str) -> None:
        self.now = datetime.fromisoformat(moment.replace("Z", "+00:00"))


def write_config(directory: Path, extra: str = "") -> Path:
    path = directory / "config.toml"
    path.write_text(
        '[storage]\npath = "timeline.db"\n' + COMPANIES_TOML + extra, encoding="utf-8"
    )
    return path


# The tiers these fixtures isolate; other folders (feeds/, documents/) bring their own.
TIERS = {"unit", "integration", "e2e"}


@pytest.fixture(autouse=True)
def _isolated_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config.toml or database by accident."""
    if request.path.parent.name not in TIERS:
        return
    monkeypatch.delenv("TIMELINE_CONFIG", raising=False)
    monkeypatch.delenv("TIMELINE_DB", raising=False)
    monkeypatch.chdir(request.getfixturevalue("tmp_path"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "timeline.db"


@pytest.fixture
def app(config_path: Path, db_path: Path, clock: Clock) -> Iterator[App]:
    """An initialised timeline on a fresh SQLite file, with five companies registered."""
    application = bootstrap(str(config_path), str(db_path), clock=clock)
    application.init()
    try:
        yield application
    finally:
        application.close()


def record_count(db_path: Path) -> int:
    """Length of the log, read through a separate raw connection."""
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM records").fetchone()[0])


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def last_word(self) -> str:
        return self.stdout.split()[-1]


def run_main(args: list[str], input: str | None = None) -> Run:
    """Run `timeline.cli.main` in-process (click's CliRunner isolation), keeping its real
    exit-code mapping: 0 success, 2 bad input, 1 anything else."""
    runner = CliRunner()
    with runner.isolation(input=input) as streams:
        out, err = streams[0], streams[1]
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()        # commands that stream with sys.stdout.write
        sys.stderr.flush()
        return Run(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))


@dataclass
class Cli:
    config: Path
    db: Path

    def __call__(self, *args: str, input: str | None = None) -> Run:
        return run_main(["--config", str(self.config), "--db", str(self.db), *args], input)

    def records(self) -> int:
        return record_count(self.db)


@pytest.fixture
def cli(app: App, config_path: Path, db_path: Path) -> Cli:
    """The command line against the same file as `app` (which recorded the companies)."""
    return Cli(config_path, db_path)


# Every projection table this suite compares, in a stable order (and the checkpoints).
PROJECTION_QUERIES = {
    "events": "SELECT rowid, id, type, date_sort, retracted, state FROM events ORDER BY rowid",
    "company_events": "SELECT company, event FROM company_events ORDER BY company, event",
    "companies": "SELECT id, name, country, merged_into, state FROM companies ORDER BY id",
    "company_aliases": "SELECT key, alias, company FROM company_aliases ORDER BY key",
    "checkpoints": "SELECT projection, position, version FROM checkpoints ORDER BY projection",
}


def projection_contents(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    """The full contents of the projection tables, for exact comparison."""
    contents = {name: conn.execute(sql).fetchall() for name, sql in PROJECTION_QUERIES.items()}
    contents["search index"] = search_index(conn)
    return contents


def search_index(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Every token of the full-text index with its row, column and offset: what the index
    holds, whatever the layout of its segments (it keeps no copy of the texts). FTS5
    first checks itself."""
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_tokens "
                 "USING fts5vocab(main, events_fts, instance)")
    return conn.execute("SELECT term, doc, col, offset FROM temp.fts_tokens "
                        "ORDER BY term, doc, col, offset").fetchall()
