"""The log: gapless positions, per-stream versions, idempotency keys, a hash chain, and
append-only enforced by the database itself. Real SQLite files, raw SQL where it matters."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from timeline.errors import ConcurrencyError, DatabaseBusy, InvalidField, StorageError
from timeline.jsontext import canonical
from timeline.records import GENESIS_HASH, NewRecord, chain_hash
from timeline.storage import sqlite as sqlite_storage
from timeline.storage.sqlite import SQLiteDatabase, SQLiteRecordStore

from tests.conftest import Clock


@pytest.fixture
def store(tmp_path: Path) -> SQLiteRecordStore:
    db = SQLiteDatabase(tmp_path / "log.db")
    db.migrate()
    yield SQLiteRecordStore(db, clock=Clock())
    db.close()


def rec(stream: str, n: int = 0, key: str | None = None, **extra) -> NewRecord:
    return NewRecord(stream=stream, kind="test.happened", data={"n": n, **extra}, key=key)


def raw(store: SQLiteRecordStore) -> sqlite3.Connection:
    return sqlite3.connect(store.db.path, isolation_level=None, check_same_thread=False)


def test_positions_are_global_and_gapless_and_versions_count_per_stream(store):
    store.append([rec("a", 1), rec("b", 1)])
    store.append([rec("a", 2)])
    store.append([rec("b", 2), rec("a", 3), rec("c", 1)])
    got = [(r.position, r.stream, r.version) for r in store.read()]
    assert got == [(1, "a", 1), (2, "b", 1), (3, "a", 2), (4, "b", 2), (5, "a", 3), (6, "c", 1)]
    assert store.head() == 6
    assert store.stream_version("a") == 3 and store.stream_version("zzz") == 0


def test_the_database_refuses_a_second_record_at_the_same_stream_version(store):
    store.append([rec("a", 1)])
    conn = raw(store)
    row = conn.execute("SELECT * FROM records WHERE position = 1").fetchone()
    later = "2030-01-01T00:00:00.000000Z"
    with pytest.raises(sqlite3.IntegrityError, match="its stream.s next version"):
        conn.execute("INSERT INTO records VALUES (2, 'a', 1, 'x', 1, '{}', '{}', ?, NULL, 'h')", (later,))
    with pytest.raises(sqlite3.IntegrityError, match="its stream.s next version"):
        conn.execute("INSERT INTO records VALUES (2, 'a', 3, 'x', 1, '{}', '{}', ?, NULL, 'h')", (later,))
    with pytest.raises(sqlite3.IntegrityError, match="next position"):
        conn.execute("INSERT INTO records VALUES (5, 'a', 2, 'x', 1, '{}', '{}', ?, NULL, 'h')", (later,))
    assert row[0] == 1
    assert store.head() == 1


@pytest.mark.parametrize("position, stream, version, key", [
    (1, "a", 1, None),             # at its own position
    (3, "a", 1, None),             # at the next position, taking an older record's version
    (3, "c", 1, "item:1"),         # at the next position, taking an older record's key
])
def test_insert_or_replace_cannot_rewrite_a_record(store, position, stream, version, key):
    """REPLACE resolves a conflict by deleting the older row, and that delete fires no
    DELETE trigger: the insert triggers must refuse it before it happens."""
    store.append([rec("a", 1, key="item:1"), rec("b", 1)])
    before = [(r.position, r.hash) for r in store.read()]
    conn = raw(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only|next position"):
        conn.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?, 'x', 1, '{}', '{}', "
                     "'2030-01-01T00:00:00.000000Z', ?, 'forged')", (position, stream, version, key))
    assert [(r.position, r.hash) for r in store.read()] == before
    assert store.verify() == (2, None, None)


@pytest.mark.parametrize("position, recorded_at", [
    (None, "2030-01-01T00:00:00.000000Z"),  # left to SQLite, which would pick the next one
    (0, "2030-01-01T00:00:00.000000Z"),
    (-1, "2030-01-01T00:00:00.000000Z"),
    (3, "2030-01-01T00:00:00.000000Z"),     # a gap
    (2, "2000-01-01T00:00:00.000000Z"),     # the next position, earlier in time
    (2, "zzz"),                             # not a timestamp (every later one would be held to it)
])
def test_the_database_refuses_a_record_out_of_order(store, position, recorded_at):
    store.append([rec("a", 1)])
    with pytest.raises(sqlite3.IntegrityError, match="next position.*never earlier in time"):
        raw(store).execute(
            "INSERT INTO records VALUES (?, 'b', 1, 'x', 1, '{}', '{}', ?, NULL, 'h')",
            (position, recorded_at))
    assert store.head() == 1


def test_the_database_takes_the_next_position_at_the_same_moment_or_later(store):
    first = store.append([rec("a", 1)]).written[0]
    conn = raw(store)
    conn.execute("INSERT INTO records VALUES (2, 'b', 1, 'x', 1, '{}', '{}', ?, NULL, 'h')",
                 (first.recorded_at,))
    with pytest.raises(sqlite3.IntegrityError, match="next position"):
        conn.execute("INSERT INTO records VALUES (2, 'c', 1, 'x', 1, '{}', '{}', ?, NULL, 'h')",
                      (first.recorded_at,))
    assert store.head() == 2


def test_a_batch_meeting_a_known_key_undoes_only_its_own_rows_in_the_callers_transaction(store):
    store.append([rec("feed-x", 1, key="item:1")])
    with store.db.transaction() as conn:
        store.append_in(conn, [rec("notes", 1), rec("notes", 2)])
        result = store.append_in(conn, [rec("feed-x", 2, key="item:2"),
                                        rec("feed-x", 1, key="item:1"),
                                        rec("feed-x", 3, key="item:3")])
    assert result.skipped_keys == ("item:1",)
    assert [(r.position, r.key) for r in result.written] == [(4, "item:2"), (5, "item:3")]
    assert [r.stream for r in store.read()] == ["feed-x", "notes", "notes", "feed-x", "feed-x"]
    assert store.verify() == (5, None, None)


def test_appending_a_key_that_exists_is_a_no_op_that_says_so(store):
    first = store.append([rec("feed-x", 1, key="item:1")])
    assert [r.key for r in first.written] == ["item:1"] and first.skipped_keys == ()
    again = store.append([rec("feed-x", 1, key="item:1"), rec("feed-x", 2, key="item:2")])
    assert again.skipped_keys == ("item:1",)
    assert [r.key for r in again.written] == ["item:2"]
    same_batch = store.append([rec("feed-y", 1, key="item:3"), rec("feed-y", 2, key="item:3")])
    assert same_batch.skipped_keys == ("item:3",) and len(same_batch.written) == 1
    assert store.head() == 3
    assert store.get_by_key("item:1").position == 1
    conn = raw(store)
    with pytest.raises(sqlite3.IntegrityError, match="a new key"):
        conn.execute("INSERT INTO records VALUES (4, 'z', 1, 'x', 1, '{}', '{}', "
                     "'2030-01-01T00:00:00.000000Z', 'item:1', 'h')")


def test_each_hash_chains_to_the_previous_record(store):
    store.append([rec("a", 1), rec("b", 2, key="k")])
    store.append([rec("a", 3, text="远景")])
    prev = GENESIS_HASH
    for record in store.read():
        assert record.hash == chain_hash(
            prev, record.position, record.stream, record.version, record.kind, record.schema,
            canonical(record.data), canonical(record.meta), record.recorded_at,
            record.key)
        prev = record.hash
    assert store.verify() == (3, None, None)


@pytest.mark.parametrize("statement", [
    "UPDATE records SET data = '{\"n\": 99}' WHERE position = 1",
    "UPDATE records SET recorded_at = '1999-01-01' ",
    "DELETE FROM records WHERE position = 2",
    "DELETE FROM records",
    "UPDATE record_refs SET ref = 'other'",
    "DELETE FROM record_refs",
])
def test_the_database_refuses_to_update_or_delete_records(store, statement):
    store.append([NewRecord("a", "test.happened", {"n": 1}, refs=("aesc",)), rec("a", 2)])
    store.index_refs()
    before = [r.to_json() for r in store.read()]
    conn = raw(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    assert [r.to_json() for r in store.read()] == before
    assert conn.execute("SELECT count(*) FROM record_refs").fetchone()[0] == 1
    assert store.verify() == (2, None, None)


def _batch_with_a_bad_500th(bad: NewRecord) -> list[NewRecord]:
    batch = [NewRecord(f"s{i % 7}", "test.happened", {"n": i}, key=f"k{i}", refs=("aesc",))
             for i in range(1000)]
    batch[499] = bad
    return batch


@pytest.mark.parametrize("bad", [
    NewRecord("s1", "test.happened", {"n": object()}),                 # json cannot serialise it
    NewRecord("s1", "test.happened", {"n": float("nan")}, schema=2),    # invalid JSON text
    NewRecord("s1", "test.happened", {"n": 1}, schema=0),               # CHECK (schema >= 1)
    NewRecord(None, "test.happened", {"n": 1}),                         # NOT NULL stream
], ids=["unserialisable", "nan", "schema-check", "null-stream"])
def test_a_batch_with_one_invalid_record_writes_none_of_it(store, bad):
    store.append([rec("before", 1)])
    with pytest.raises((StorageError, InvalidField, TypeError, ValueError)):
        store.append(_batch_with_a_bad_500th(bad))
    assert store.head() == 1
    conn = raw(store)
    assert conn.execute("SELECT count(*) FROM records").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM record_refs").fetchone()[0] == 0
    # and the store is still usable, the chain intact
    store.append([rec("after", 1)])
    assert store.verify() == (2, None, None)


def test_a_stale_expected_version_is_refused_clearly_and_nothing_is_written(store):
    store.append([rec("event-1", 1), rec("event-1", 2)])
    with pytest.raises(ConcurrencyError) as caught:
        store.append([rec("other", 1), rec("event-1", 3)], expected={"event-1": 1})
    assert caught.value.stream == "event-1"
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert "'event-1' is at version 2, not the expected 1" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert store.head() == 2 and store.stream_version("other") == 0
    # the right expectation succeeds; a new stream is expected at 0
    store.append([rec("event-1", 3)], expected={"event-1": 2, "new": 0})
    assert store.stream_version("event-1") == 3


def test_the_log_runs_in_wal_mode_with_synchronous_normal_or_stricter(store):
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] >= 1
    assert int(conn.execute("PRAGMA busy_timeout").fetchone()[0]) > 0


def test_transaction_time_never_runs_backwards_even_if_the_clock_does(store):
    store.clock = lambda: "2030-01-01T00:00:00.000000Z"
    store.append([rec("a", 1)])
    store.clock = lambda: "2020-01-01T00:00:00.000000Z"
    store.append([rec("a", 2)])
    times = [r.recorded_at for r in store.read()]
    assert times == ["2030-01-01T00:00:00.000000Z", "2030-01-01T00:00:00.000000Z"]
    assert store.position_at("2029-12-31T00:00:00.000000Z") == 0
    assert store.position_at("2030-01-01T00:00:00.000000Z") == 2


def test_reads_cut_at_a_position_and_filter_by_kind(store):
    store.append([rec("a", i) for i in range(5)])
    store.append([NewRecord("b", "other.kind", {"n": 9})])
    assert [r.position for r in store.read(after=1, until=3)] == [2, 3]
    assert [r.position for r in store.read(kinds=["other.kind"])] == [6]


def test_a_writer_waits_while_another_holds_the_write_lock_then_succeeds(store, monkeypatch):
    monkeypatch.setattr(sqlite_storage, "BUSY_ATTEMPTS", 3)   # a failure fails fast
    blocker = raw(store)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    store.append([rec("a", 1)])
    release.join()
    assert time.monotonic() - started >= 0.25
    assert store.head() == 1


def test_a_writer_gives_up_after_a_bounded_wait_without_writing(store, monkeypatch):
    monkeypatch.setattr(sqlite_storage, "BUSY_ATTEMPTS", 3)
    store.db.conn.execute("PRAGMA busy_timeout = 20")
    blocker = raw(store)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseBusy, match="nothing was changed"):
            store.append([rec("a", 1)])
        assert time.monotonic() - started < 5
    finally:
        blocker.execute("ROLLBACK")
    assert store.head() == 0
    store.append([rec("a", 1)])
    assert store.head() == 1


WRITER = textwrap.dedent("""
    import sys
    from timeline.records import NewRecord
    from timeline.storage.sqlite import SQLiteDatabase, SQLiteRecordStore
    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = SQLiteRecordStore(SQLiteDatabase(path))
    print("ready", flush=True)
    sys.stdin.readline()                      # start together
    for i in range(count):
        store.append([NewRecord("writer-" + name, "test.happened", {"i": i},
                                key=name + ":" + str(i))])
    print("done", flush=True)
""")


def test_two_processes_appending_concurrently_leave_one_gapless_verified_log(store):
    count = 1000
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store.db.path), name, str(count)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for name in ("one", "two")
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    records = list(store.read())
    assert [r.position for r in records] == list(range(1, 2 * count + 1))
    for name in ("one", "two"):
        mine = [r for r in records if r.stream == f"writer-{name}"]
        assert [r.version for r in mine] == list(range(1, count + 1))
        assert [r.data["i"] for r in mine] == list(range(count))
    assert store.verify() == (2 * count, None, None)


def _tamper(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("DROP TRIGGER records_no_delete")
    conn.execute(statement)
    conn.close()


def test_verify_names_the_position_whose_data_was_altered(store):
    store.append([rec("a", i) for i in range(10)])
    assert store.verify() == (10, None, None)
    _tamper(store.db.path, "UPDATE records SET data = '{\"n\":700}' WHERE position = 7")
    checked, bad, why = store.verify()
    assert (checked, bad) == (6, 7)
    assert "does not match its hash" in why


def test_verify_names_a_missing_position(store):
    store.append([rec("a", i) for i in range(5)])
    _tamper(store.db.path, "DELETE FROM records WHERE position = 3")
    assert store.verify() == (2, 3, "position 3 is missing")


def test_verify_notices_a_rewritten_hash_through_the_next_record(store):
    store.append([rec("a", i) for i in range(5)])
    _tamper(store.db.path, "UPDATE records SET kind = 'forged', hash = 'f' WHERE position = 2")
    assert store.verify()[1] == 2


# -- the index of what records are about ------------------------------------------------


def test_a_record_names_what_it_is_about_in_its_meta_once_per_ref(store):
    result = store.append([NewRecord("a", "test.happened", {"n": 1}, meta={"actor": "ann"},
                                     refs=("aesc", "nissan", "aesc"))])
    stored = next(store.read())
    assert stored.meta == {"actor": "ann", "refs": ["aesc", "nissan"]}
    assert result.written[0].meta == stored.meta


def test_reads_by_ref_see_records_the_index_has_not_caught_up_with(store):
    store.append([NewRecord("a", "test.happened", {"n": 1}, refs=("aesc",))])
    store.index_refs()
    store.append([NewRecord("b", "test.happened", {"n": 2}, refs=("aesc",)),
                  NewRecord("c", "test.happened", {"n": 3}, refs=("nissan",)),
                  NewRecord("d", "test.happened", {"n": 4})])
    conn = raw(store)
    assert conn.execute("SELECT count(*) FROM record_refs").fetchone()[0] == 1
    assert [r.position for r in store.read_refs(["aesc"])] == [1, 2]
    assert [r.position for r in store.read_refs(["aesc"], until=1)] == [1]
    assert store.streams_referencing(["aesc", "nissan"], "") == {"a", "b", "c"}
    assert store.index_refs() == 3
    assert conn.execute("SELECT ref, position FROM record_refs ORDER BY position").fetchall() \
        == [("aesc", 1), ("aesc", 2), ("nissan", 3)]
    assert [r.position for r in store.read_refs(["aesc"])] == [1, 2]
    assert store.index_refs() == 0


def test_an_index_caught_up_in_a_failed_transaction_is_not_caught_up(store):
    store.append([NewRecord("a", "test.happened", {"n": 1}, refs=("aesc",))])
    with pytest.raises(RuntimeError):
        with store.db.transaction() as conn:
            store.index_refs_in(conn)
            raise RuntimeError("the projection failed")
    assert raw(store).execute("SELECT count(*) FROM record_refs").fetchone()[0] == 0
    assert store.index_refs() == 1


def test_a_log_written_before_refs_moved_to_meta_keeps_its_index(tmp_path):
    """Version 1 wrote record_refs in the append: upgrading must neither lose those rows
    nor index those records again."""
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in sqlite_storage._statements(sqlite_storage.LOG_MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    head = chain_hash(GENESIS_HASH, 1, "a", 1, "test.happened", 1, "{}", "{}",
                      "2024-01-01T00:00:00.000000Z", None)
    conn.execute("INSERT INTO records VALUES (1, 'a', 1, 'test.happened', 1, '{}', '{}', "
                 "'2024-01-01T00:00:00.000000Z', NULL, ?)", (head,))
    conn.execute("INSERT INTO record_refs VALUES ('aesc', 1)")
    conn.close()
    db = SQLiteDatabase(path)
    assert db.migrate()
    store = SQLiteRecordStore(db, clock=Clock())
    assert store.index_refs() == 0
    assert [r.position for r in store.read_refs(["aesc"])] == [1]
    assert store.verify() == (1, None, None)
    with pytest.raises(sqlite3.IntegrityError, match="next position"):  # the order trigger holds
        db.conn.execute("INSERT INTO records VALUES (3, 'a', 2, 'x', 1, '{}', '{}', "
                        "'2030-01-01T00:00:00.000000Z', NULL, 'h')")
    db.close()


def test_a_log_of_schema_4_keeps_its_guards_as_one_trigger(tmp_path):
    """Version 5 folds version 4's two insert triggers into one: an upgraded log must keep
    refusing what they refused, and its records must still verify."""
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for step in sqlite_storage.LOG_MIGRATIONS[:4]:
        for statement in sqlite_storage._statements(step):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    db = SQLiteDatabase(path)
    assert db.migrate()
    triggers = {row[0] for row in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records'")}
    assert triggers == {"records_no_update", "records_no_delete", "records_appended_only"}
    store = SQLiteRecordStore(db, clock=Clock())
    assert store.missing_guards() == []  # as the schema writes them: verify passes
    store.append([rec("a", 1, key="item:1"), rec("b", 1)])
    for row in [(3, "a", 1, None), (3, "c", 1, "item:1"), (2, "c", 1, None)]:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw(store).execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?, 'x', 1, '{}', "
                               "'{}', '2030-01-01T00:00:00.000000Z', ?, 'h')", row)
    assert store.verify() == (2, None, None)
    db.close()
