"""The real program in its own process: `python -m timeline` and exit statuses as a shell
sees them (0 done, 2 bad input with nothing written, 1 the system could not)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import COMPANY_IDS, record_count, write_config


def timeline(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELINE_")}
    return subprocess.run(
        [sys.executable, "-m", "timeline", "--config", str(tmp_path / "config.toml"),
         "--db", str(tmp_path / "timeline.db"), *args],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )


@pytest.fixture
def initialised(tmp_path):
    write_config(tmp_path)
    done = timeline(tmp_path, "init")
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_a_curators_session_end_to_end(initialised):
    db = initialised / "timeline.db"
    assert record_count(db) == len(COMPANY_IDS)
    added = timeline(initialised, "add", "factory", "--company", "远景动力:operator",
                     "--date", "2012-10", "--title", "远景动力 gigafactory",
                     "--field", "capacity_gwh=1.9")
    assert added.returncode == 0, added.stderr
    event_id = added.stdout.split()[-1]
    shown = timeline(initialised, "show", "ＡＥＳＣ")
    assert shown.returncode == 0 and event_id in shown.stdout
    assert event_id in timeline(initialised, "search", "远景").stdout
    retracted = timeline(initialised, "retract", event_id, "--reason", "dup")
    assert retracted.returncode == 0
    assert timeline(initialised, "verify").returncode == 0


def test_bad_input_exits_2_with_the_field_named_and_nothing_written(initialised):
    before = record_count(initialised / "timeline.db")
    bad = timeline(initialised, "add", "factory", "--company", "aesc", "--date", "2012-13",
                   "--title", "x")
    assert bad.returncode == 2
    assert "date:" in bad.stderr and "month 13" in bad.stderr
    assert "Traceback" not in bad.stderr
    unknown = timeline(initialised, "frobnicate")
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines() == ["error: No such command 'frobnicate' (see `timeline --help`)"]
    zero = timeline(initialised, "log", "--limit", "0")
    assert zero.returncode == 2
    assert zero.stderr.splitlines() == [
        "error: Invalid value for '--limit': 0 is not a number from 1 up (see `timeline log --help`)"]
    assert record_count(initialised / "timeline.db") == before


def test_arguments_that_are_not_utf8_exit_2_without_a_traceback(initialised):
    """A shell passes bytes; Python turns those that are not UTF-8 into lone surrogates,
    which no database can store (they ended in a UnicodeEncodeError)."""
    before = record_count(initialised / "timeline.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELINE_")}
    for args in ([b"show", b"\xff"], [b"add", b"factory", b"--company", b"catl", b"--date", b"2020",
                                       b"--title", b"bad \xff utf8"]):
        done = subprocess.run(
            [sys.executable, "-m", "timeline", "--config", str(initialised / "config.toml"),
             "--db", str(initialised / "timeline.db"), *args],
            capture_output=True, cwd=initialised, env=env, timeout=60)
        assert done.returncode == 2, done.stderr
        assert b"is not UTF-8 text" in done.stderr and b"Traceback" not in done.stderr
    assert record_count(initialised / "timeline.db") == before


def test_a_broken_config_exits_2_naming_the_key(tmp_path):
    (tmp_path / "config.toml").write_text('[review]\nauto_accept = "high"\n', encoding="utf-8")
    result = timeline(tmp_path, "init")
    assert result.returncode == 2
    assert "review.auto_accept" in result.stderr


def test_verify_exits_1_naming_the_tampered_position(initialised):
    conn = sqlite3.connect(initialised / "timeline.db", isolation_level=None)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET data = json_set(data, '$.name', 'Forged') WHERE position = 3")
    conn.close()
    result = timeline(initialised, "verify")
    assert result.returncode == 1
    assert "position 3" in result.stderr


def test_the_console_script_is_the_same_program(initialised):
    script = Path(sys.executable).with_name("timeline")
    if not script.exists():
        pytest.skip("console script not installed beside this interpreter")
    result = subprocess.run([str(script), "--config", str(initialised / "config.toml"),
                             "--db", str(initialised / "timeline.db"), "companies", "list"],
                            capture_output=True, text=True, cwd=initialised, timeout=60)
    assert result.returncode == 0
    assert "Envision AESC" in result.stdout


def test_a_reader_waits_for_a_rebuild_running_elsewhere_and_does_none_of_it(initialised):
    """Between its transactions a rebuild's tables look like those of one interrupted; a
    reader that came then used to take it over, half of it, calling it interrupted."""
    from timeline.bootstrap import bootstrap
    from timeline.projections import REBUILD_BATCH, REBUILD_TRANSACTION

    added = timeline(initialised, "add", "factory", "--company", "catl", "--date", "2022",
                     "--title", "Debrecen gigafactory")
    assert added.returncode == 0, added.stderr
    app = bootstrap(str(initialised / "config.toml"), str(initialised / "timeline.db"))
    try:
        with app.db.rebuild_lock():  # this process rebuilds: its first half ...
            with app.db.transaction() as conn:
                for projection in app.runner.projections:
                    app.runner._create(conn, projection, rebuilding=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELINE_")}
            reader = subprocess.Popen(
                [sys.executable, "-m", "timeline", "--config", str(initialised / "config.toml"),
                 "--db", str(initialised / "timeline.db"), "search", "gigafactory"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=initialised, env=env)
            time.sleep(1.5)
            assert reader.poll() is None  # waiting
            applied = app.runner._catch_up(REBUILD_BATCH, REBUILD_TRANSACTION, None)  # ... the rest
            with app.db.transaction() as conn:
                app.runner._finish_rebuild(conn)
        out, err = reader.communicate(timeout=60)
    finally:
        app.close()
    assert applied == record_count(initialised / "timeline.db")  # all of it done here
    assert reader.returncode == 0, err
    assert "another process is rebuilding the projections; waiting" in err
    assert "interrupted" not in err
    assert "Debrecen gigafactory" in out


def test_projections_of_another_version_are_rebuilt_once_and_it_is_said(initialised):
    db = initialised / "timeline.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE checkpoints SET version = version - 1")
    conn.commit()
    conn.close()
    first = timeline(initialised, "companies", "list")
    assert first.returncode == 0, first.stderr
    assert (f"the projections were built by another version of timeline; rebuilding them "
            f"from the log's {len(COMPANY_IDS)} records, once") in first.stderr
    again = timeline(initialised, "companies", "list")
    assert again.returncode == 0 and again.stderr == "" and again.stdout == first.stdout
