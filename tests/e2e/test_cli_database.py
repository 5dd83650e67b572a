"""Which database a command uses, and what happens when that is not a usable one: only
`init` creates a database; any other command on a path that holds none, or holds something
else, exits 2 naming the path and creates nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COMPANY_IDS, record_count, run_main, write_config


def test_a_command_on_a_database_that_does_not_exist_exits_2_and_creates_nothing(tmp_path):
    config = write_config(tmp_path)
    missing = tmp_path / "typo" / "timline.db"
    for args in (["show", "aesc"], ["log"], ["verify"],
                 ["add", "factory", "--company", "catl", "--date", "2022", "--title", "x"]):
        result = run_main(["--config", str(config), "--db", str(missing), *args])
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "does not exist; create it with `timeline init`" in result.stderr
        assert not missing.parent.exists()


@pytest.mark.parametrize("what", ["text file", "folder"])
def test_a_database_path_that_is_not_a_database_exits_2_without_a_traceback(tmp_path, what):
    path = tmp_path / "notes.db"
    if what == "folder":
        path.mkdir()
    else:
        path.write_text("meeting notes, not a database\n" * 100, encoding="utf-8")
    for command in ("init", "show"):
        result = run_main(["--config", str(write_config(tmp_path)), "--db", str(path), command, "aesc"]
                          if command == "show" else
                          ["--config", str(write_config(tmp_path)), "--db", str(path), command])
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert result.stderr.startswith(f"error: db: {str(path)!r}")
        assert "Traceback" not in result.stderr


def test_only_init_turns_an_empty_file_into_a_timeline_database(tmp_path):
    config = write_config(tmp_path)
    empty = tmp_path / "empty.db"
    empty.touch()
    shown = run_main(["--config", str(config), "--db", str(empty), "show", "catl"])
    assert shown.exit_code == 2, (shown.stdout, shown.stderr)
    assert "is not a timeline database; create one with `timeline init`" in shown.stderr
    assert empty.stat().st_size == 0
    assert run_main(["--config", str(config), "--db", str(empty), "init"]).exit_code == 0
    assert run_main(["--config", str(config), "--db", str(empty), "show", "catl"]).exit_code == 0


def test_a_database_of_another_program_is_left_alone_even_by_init(tmp_path):
    config = write_config(tmp_path)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    for command in (["show", "catl"], ["init"]):
        result = run_main(["--config", str(config), "--db", str(other), *command])
        assert result.exit_code == 2, (command, result.stdout, result.stderr)
        assert str(other) in result.stderr
    with sqlite3.connect(other) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    assert tables == ["invoices"]


def test_two_inits_racing_on_a_new_file_both_succeed(tmp_path):
    """Each takes the write lock before it creates anything, and looks again once it has
    it: the second finds the work done (it used to fail on 'table records already exists')."""
    config = write_config(tmp_path)
    db = tmp_path / "raced.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELINE_")}
    command = [sys.executable, "-m", "timeline", "--config", str(config), "--db", str(db), "init"]
    for _ in range(3):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env) for _ in range(2)]
        for run in runs:
            _, err = run.communicate(timeout=60)
            assert run.returncode == 0, err
        assert record_count(db) == len(COMPANY_IDS)


def test_reading_a_caught_up_database_takes_no_write_lock(tmp_path):
    """A reader must work on a file it may not write (a read-only copy, a backup) and
    beside a long write: once the projections are caught up, reads take no write lock.
    Here another connection holds the lock throughout; a read that wanted it would wait
    for it (half a minute) and fail."""
    config = write_config(tmp_path)
    db = tmp_path / "timeline.db"
    common = ["--config", str(config), "--db", str(db)]
    assert run_main([*common, "init"]).exit_code == 0
    assert run_main([*common, "add", "factory", "--company", "catl", "--date", "2022",
                     "--title", "Plant"]).exit_code == 0
    assert run_main([*common, "show", "catl"]).exit_code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELINE_")}
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for command in (["show", "catl"], ["events"], ["search", "plant"], ["verify"],
                        ["companies", "list"]):
            done = subprocess.run([sys.executable, "-m", "timeline", *common, *command],
                                  capture_output=True, text=True, env=env, timeout=15)
            assert done.returncode == 0, (command, done.stderr)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_read_that_cannot_catch_up_behind_a_long_writer_says_so(tmp_path, monkeypatch):
    """Records the projections have not seen yet, and another process holding the write
    lock (a rebuild, a large import): the read waits a bounded time, then says why it could
    not read, rather than that "nothing was written" as if it had tried to write (every
    command first brings the projections up to the log, which needs the lock)."""
    from timeline.records import NewRecord
    from timeline.storage import sqlite as sqlite_storage

    config = write_config(tmp_path)
    db = tmp_path / "timeline.db"
    common = ["--config", str(config), "--db", str(db)]
    assert run_main([*common, "init"]).exit_code == 0
    behind = sqlite_storage.SQLiteDatabase(db)
    sqlite_storage.SQLiteRecordStore(behind).append(
        [NewRecord(stream="notes", kind="note.taken", data={"text": "not projected yet"})])
    behind.close()
    monkeypatch.setattr(sqlite_storage, "BUSY_ATTEMPTS", 2)
    monkeypatch.setattr(sqlite_storage, "BUSY_TIMEOUT_MS", 20)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = run_main([*common, "show", "catl"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: another process kept the database locked for too long (a rebuild or a large "
        "import?); nothing was changed, try again when it is done")
    assert run_main([*common, "show", "catl"]).exit_code == 0  # once it is done
