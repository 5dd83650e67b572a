"""`timeline import FILE...` as a curator runs it on tests/data/documents/.

Articles go through extraction and give events dated when they happened; a company note
adds its aliases and turns each History row into a dated event about the company; JSON and
CSV files of events import whole or not at all; importing anything twice appends nothing;
a bad file exits 2 naming its line while the other files of the command are imported.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli, write_config

DOCUMENTS = Path(__file__).resolve().parent.parent / "data" / "documents"

# The companies the sample documents name beyond those every test starts with.
EXTRA_COMPANIES = """
[[companies]]
id = "sequoia-china"
name = "Sequoia Capital China"
aliases = ["红杉资本中国", "红杉中国", "红杉资本中国基金", "Sequoia China"]
country = "CN"

[[companies]]
id = "uk-government"
name = "UK Government"
country = "GB"

[[companies]]
id = "a123"
name = "A123 Systems"
country = "US"
"""

def refused_import(cli: Cli, path: Path) -> str:
    """Import `path`, which must be refused (exit 2) with nothing appended; the message."""
    before = cli.records()
    result = cli("import", str(path))
    assert result.exit_code == 2, result.stdout
    assert cli.records() == before
    return result.stderr


GOOD_FILES = ("news-zh-aesc-sequoia.md", "article-en.md", "article-en.html", "article-en.txt",
              "company-note-aesc.md", "company-note-zh.md", "events-good.json", "events-good.csv",
              "events-export.json")


# Names the project's config.toml gives these companies and the articles use.
EXTRA_ALIASES = [("envision", "远景"), ("envision", "远景科技集团"), ("nissan", "日产汽车")]


@pytest.fixture
def curator(cli: Cli) -> Cli:
    write_config(cli.config.parent, EXTRA_COMPANIES)
    done = cli("init")
    assert done.exit_code == 0, done.stderr
    for company, alias in EXTRA_ALIASES:
        assert cli("companies", "alias", company, alias).exit_code == 0
    return cli


def imported_elsewhere(tmp_path: Path, exported: str, fmt: str = "csv") -> Cli:
    """Another timeline, with the same companies, into which `exported` (an export in
    `fmt`) was imported."""
    sheet = tmp_path / f"export.{fmt}"
    sheet.write_text(exported, encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    cli = Cli(write_config(other), other / "timeline.db")
    assert cli("init").exit_code == 0
    imported = cli("import", str(sheet))
    assert imported.exit_code == 0, imported.stderr
    return cli


def doc(name: str) -> str:
    return str(DOCUMENTS / name)


def import_json(cli: Cli, *files: str) -> tuple[int, dict[str, object], str]:
    result = cli("import", *files, "--format", "json")
    return result.exit_code, json.loads(result.stdout), result.stderr


def timeline_of(cli: Cli, company: str) -> list[dict[str, object]]:
    result = cli("show", company, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def titles(cli: Cli) -> set[str]:
    return {str(e["title"]) for e in json.loads(cli("events", "--format", "json").stdout)}


def one(events: list[dict[str, object]], **wanted: object) -> dict[str, object]:
    found = [e for e in events if all(e.get(k) == v for k, v in wanted.items())]
    assert len(found) == 1, (wanted, [(e["type"], e["date"], e["title"]) for e in events])
    return found[0]


def test_a_chinese_article_gives_events_dated_when_they_happened(curator: Cli) -> None:
    code, summary, stderr = import_json(curator, doc("news-zh-aesc-sequoia.md"))
    assert code == 0, stderr
    assert summary["fetched"] == 1 and int(summary["accepted"]) >= 2  # type: ignore[call-overload]
    events = timeline_of(curator, "aesc")
    # "2018年8月，远景收购日产汽车旗下AESC电池业务" in an article of 2019-01-02.
    acquisition = one(events, type="acquisition")
    assert (acquisition["date"], acquisition["precision"]) == ("2018-08", "month")
    assert {(c["id"], c["role"]) for c in acquisition["companies"]} == {  # type: ignore[attr-defined]
        ("envision", "acquirer"), ("aesc", "target"), ("nissan", "seller")}
    [source] = acquisition["sources"]  # type: ignore[misc]
    assert source["published"] == "2019-01-02T12:23:20Z" and "2018年8月" in source["quote"]
    partnership = one(events, type="partnership")
    assert (partnership["date"], partnership["precision"]) == ("2019-01-02", "day")
    assert "sequoia-china" in {c["id"] for c in partnership["companies"]}  # type: ignore[attr-defined]


def test_a_company_note_adds_its_aliases_and_dates_each_history_row(curator: Cli) -> None:
    code, summary, stderr = import_json(curator, doc("company-note-zh.md"), doc("company-note-aesc.md"))
    assert code == 0, stderr
    [aesc] = [c for c in json.loads(curator("companies", "list", "--format", "json").stdout)
              if c["id"] == "aesc"]
    assert "远景动力公司" in aesc["aliases"]  # "别名：AESC、远景动力公司" in the note
    assert curator("show", "远景动力公司").exit_code == 0
    events = timeline_of(curator, "aesc")
    # Each row, at the precision its date cell was written with, about the company.
    for date, precision, etype in [("2007", "year", "founding"), ("2011-09", "month", "factory"),
                                   ("2017", "year", "acquisition"), ("2019", "year", "rebrand"),
                                   ("2019-01-02", "day", "investment")]:
        event = one(events, date=date, type=etype)
        assert event["precision"] == precision
        assert "aesc" in {c["id"] for c in event["companies"]}  # type: ignore[attr-defined]
    sold = one(events, date="2017", type="acquisition")
    assert {(c["id"], c["role"]) for c in sold["companies"]} == {  # type: ignore[attr-defined]
        ("nissan", "seller"), ("envision", "acquirer"), ("aesc", "target")}
    assert sold["title"] == "Nissan sold to Envision Group"
    # "2007 | Founded as Nissan-NEC JV" and "2007 | 日产与NEC合资成立AESC": one event, two sources.
    assert len(one(events, date="2007", type="founding")["sources"]) == 2  # type: ignore[arg-type]
    # A row that reports no event type is named, with its line, for the curator to add.
    [aesc_note] = [f for f in summary["files"] if f["file"].endswith("company-note-aesc.md")]  # type: ignore[union-attr]
    assert aesc_note["errors"] == [f"{doc('company-note-aesc.md')}:28: no event type recognised in "
                                   "'Major expansion underway'; add it with `timeline add`"]


def test_a_chinese_history_row_of_an_acquisition_becomes_an_event(curator: Cli) -> None:
    code, _, stderr = import_json(curator, doc("company-note-zh.md"))
    assert code == 0, stderr
    event = one(timeline_of(curator, "aesc"), date="2018-08", type="acquisition")
    assert event["precision"] == "month"


def test_json_and_csv_files_of_events_import(curator: Cli) -> None:
    code, summary, stderr = import_json(curator, doc("events-good.json"))
    assert code == 0, stderr
    assert (summary["items"], summary["accepted"], summary["failed"]) == (5, 5, 0)
    events = json.loads(curator("events", "--format", "json").stdout)
    acquired = one(events, id="ev-aesc-acquired")
    assert (acquired["date"], acquired["stake_pct"], acquired["status"]) == ("2018-08", 80.0, "completed")
    assert acquired["sources"][0]["url"] == "https://news.example/2018/08/aesc"  # type: ignore[index]
    wuxi = one(events, type="factory", date="2019-01")
    assert wuxi["capacity_gwh"] == 20.0 and wuxi["location"]["city"] == "Wuxi"  # type: ignore[index]
    filing = one(events, type="bankruptcy")
    assert (filing["date"], filing["precision"], filing["date_note"]) == ("2015", "year", "late")

    # The same events as CSV: a row is known by what it says, whatever file holds it.
    code, summary, stderr = import_json(curator, doc("events-good.csv"))
    assert code == 0, stderr
    assert (summary["items"], summary["accepted"], summary["duplicates"]) == (5, 0, 5)


def test_a_file_imported_again_after_it_grew_appends_only_its_new_rows(
        curator: Cli, tmp_path: Path) -> None:
    plants = tmp_path / "plants.csv"
    plants.write_text("type,date,title,companies,capacity_gwh\n"
                      "factory,2023-05,CATL Debrecen phase 1,catl:operator,40\n", encoding="utf-8")
    code, first, stderr = import_json(curator, str(plants))
    assert code == 0 and first["accepted"] == 1, stderr
    with plants.open("a", encoding="utf-8") as sheet:
        sheet.write("factory,2024-02,CATL Debrecen phase 2,catl:operator,60\n")
    code, again, stderr = import_json(curator, str(plants))
    assert code == 0, stderr
    assert (again["items"], again["accepted"], again["duplicates"]) == (2, 1, 1)
    titles = [e["title"] for e in json.loads(curator("show", "catl", "--format", "json").stdout)]
    assert titles.count("CATL Debrecen phase 1") == 1 and "CATL Debrecen phase 2" in titles


def test_reimporting_any_file_appends_nothing(curator: Cli) -> None:
    files = [doc(name) for name in GOOD_FILES]
    code, first, stderr = import_json(curator, *files)
    assert code == 0, stderr
    # events-good.csv says what events-good.json says: nothing new once that is in
    assert (first["fetched"], first["not_modified"], first["failed"]) == (len(files) - 1, 1, 0)
    length = curator.records()
    code, again, stderr = import_json(curator, *files)
    assert code == 0, stderr
    assert curator.records() == length
    assert (again["fetched"], again["not_modified"]) == (0, len(files))
    assert (again["proposed"], again["accepted"], again["sources_added"]) == (0, 0, 0)
    for name in GOOD_FILES:  # one file at a time, too
        assert curator("import", doc(name)).exit_code == 0
    assert curator.records() == length


BAD_FILES = [
    ("events-bad-date.csv", "line 5: date: month 13", "AESC plans a line in Wuxi"),
    ("events-bad-type.json", "line 4 (item 4): type: unknown event type 'merger'", "Another line"),
    ("events-bad-role.csv", "line 3: company: role 'buyer'", None),
    ("events-negative-capacity.json", "line 4 (item 2): capacity_gwh: -5 is negative", None),
    ("events-syntax-error.json", "line 3: is not valid JSON", None),
    ("events-many-problems.csv", "line 8: capacity_gwh: 'lots' is not a number", None),
]


@pytest.mark.parametrize("bad, message, absent", BAD_FILES)
def test_a_bad_row_names_its_line_exits_2_and_the_other_files_are_imported(
        curator: Cli, bad: str, message: str, absent: str | None) -> None:
    result = curator("import", doc(bad), doc("events-good.json"), doc("news-zh-aesc-sequoia.md"))
    assert result.exit_code == 2
    assert f"error: {doc(bad)}" in result.stderr and message in result.stderr
    present = titles(curator)
    assert "Envision acquires AESC from Nissan" in present  # events-good.json, after the bad file
    assert any(e["type"] == "partnership" for e in timeline_of(curator, "sequoia-china"))
    if absent is not None:
        assert absent not in present
    # The good files were imported and stay imported; the bad one still refuses.
    length = curator.records()
    assert curator("import", doc(bad)).exit_code == 2
    assert curator.records() == length


def test_a_row_naming_an_unknown_company_refuses_the_whole_file(curator: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text("type,date,title,companies\n"
                   "factory,2023-04,Northvolt opens a plant in Skellefteå,northvolt\n"
                   "factory,2023-05,A plant of a company nobody registered,acme-batteries\n",
                   encoding="utf-8")
    length = curator.records()
    result = curator("import", str(bad))
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "acme-batteries" in result.stderr
    assert curator.records() == length
    assert timeline_of(curator, "northvolt") == []


def test_a_note_giving_another_companys_name_as_an_alias_writes_nothing(curator: Cli, tmp_path: Path) -> None:
    note = tmp_path / "northvolt.md"
    note.write_text("---\ntype: company\nid: northvolt\nname: Northvolt\n"
                    "aliases: [Northvolt AB, 宁德时代]\n---\n# Northvolt\n\n## History\n\n"
                    "| Year | Event |\n|------|-------|\n| 2016 | Founded in Stockholm |\n", encoding="utf-8")
    # not even the alias that was free, nor the history
    assert "'宁德时代' already belongs to 'catl'" in refused_import(curator, note)
    assert curator("show", "Northvolt AB").exit_code == 2


def test_import_json_summary_and_no_progress_bar_off_a_terminal(curator: Cli) -> None:
    files = [doc(name) for name in GOOD_FILES[:6]]
    result = curator("import", *files, "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {"fetched", "not_modified", "failed", "items", "proposed", "accepted", "duplicates"} <= set(summary)
    assert (summary["fetched"], summary["not_modified"], summary["failed"]) == (6, 0, 0)
    assert summary["accepted"] > 0 and summary["duplicates"] == 0
    assert [f["status"] for f in summary["files"]] == ["imported"] * 6
    for text in ("%|", "it/s", "item/s", "import:"):
        assert text not in result.stderr


def test_escape_sequences_in_a_document_never_reach_the_log_or_the_terminal(cli: Cli, tmp_path: Path):
    article = tmp_path / "hostile.txt"
    article.write_text(
        "CATL plant news\n\n"
        "CATL said on 2024-03-05 \x1b]0;pwned\x07it will build a \x1b[2J10 GWh battery "
        "factory in \x1b]52;c;ZXZpbA==\x1b\\Erfurt.\n",
        encoding="utf-8")
    assert cli("import", str(article)).exit_code == 0
    log = cli("log", "--format", "jsonl").stdout
    listing = cli("review", "list").stdout + cli("show", "catl").stdout
    assert "Erfurt" in log and "Erfurt" in listing
    for control in ("\\u001b", "\\u0007", "\x1b", "\x07"):
        assert control not in log and control not in listing


def test_a_document_without_an_event_says_so_and_a_folder_is_named_as_one(cli: Cli, tmp_path: Path):
    undated = tmp_path / "undated.txt"
    undated.write_text("CATL will build a 10 GWh battery factory in Erfurt, it said on Monday.\n",
                       encoding="utf-8")
    result = cli("import", str(undated))
    assert result.exit_code == 0
    assert "0 proposed" in result.stdout and "no event found" in result.stdout
    folder = tmp_path / "notes"
    folder.mkdir()
    refused = cli("import", str(folder))
    assert refused.exit_code == 2 and "is a directory" in refused.stderr


def test_a_bad_events_file_lists_every_problem_at_once_registry_ones_too(cli: Cli, tmp_path: Path):
    sheet = tmp_path / "events.csv"
    sheet.write_text("type,date,title,companies\n"
                     "factory,2022,fine,catl:operator\n"
                     "factory,2022-13,bad date,catl:operator\n"
                     "factory,2022,unknown company,nobody:operator\n"
                     "factory,2022,wrong role,catl:acquirer\n"
                     "merger,2022,bad type,catl:operator\n"
                     "acquisition,2022,two unknown,nobody:acquirer;ghost:target\n"
                     "partnership,2022,alone,catl:partner\n", encoding="utf-8")
    problems = refused_import(cli, sheet)
    assert "7 problems; nothing of the file was imported" in problems
    assert "line 8: company: a partnership needs 2 or more companies as partner (only catl)" in problems
    for line in ("line 3: date:", "line 4: company:", "line 5: company:", "line 6: type:"):
        assert line in problems, line
    seventh = [line for line in problems.splitlines() if "line 7:" in line]
    assert len(seventh) == 2 and "nobody" in seventh[0] and "ghost" in seventh[1]


def test_an_events_file_meets_the_title_rules_of_add(cli: Cli, tmp_path: Path):
    events = tmp_path / "events.json"
    events.write_text(json.dumps([
        {"type": "factory", "date": "2022", "companies": "catl:operator",
         "title": "esc \u001b]0;PWNED\u0007 \u001b[31mred plant"},
        {"type": "factory", "date": "2023", "companies": "catl:operator",
         "title": "two\nlines", "summary": "a\tsummary"},
    ]), encoding="utf-8")
    assert cli("import", str(events)).exit_code == 0
    titles = {e["title"]: e for e in json.loads(cli("show", "catl", "--format", "json").stdout)}
    assert set(titles) == {"esc red plant", "two lines"}
    assert titles["two lines"]["summary"] == "a summary"
    too_long = tmp_path / "long.json"
    too_long.write_text(json.dumps([{"type": "factory", "date": "2022", "companies": "catl:operator",
                                     "title": "x" * 301}]), encoding="utf-8")
    refused = cli("import", str(too_long))
    assert refused.exit_code == 2 and "title: is 301 characters long; at most 300" in refused.stderr


def test_rows_imported_before_rows_were_known_by_content_are_not_imported_twice(
        curator: Cli, tmp_path: Path) -> None:
    """Until rows were known by what they say, a row without an id was known by its file's
    digest and its place: a log upgraded from then still knows the file."""
    from feeds.importer import _digest
    from timeline.bootstrap import open_app
    from timeline.commands import EventInput

    plants = tmp_path / "plants.csv"
    plants.write_text("type,date,title,companies\nfactory,2023-05,Debrecen,catl:operator\n",
                      encoding="utf-8")
    app = open_app(str(curator.config), str(curator.db))
    try:  # as the importer appended the row then
        app.timeline.add_event(EventInput(type="factory", companies=[("catl", "operator")],
                                          date="2023-05", title="Debrecen"),
                               key=f"import:{_digest(plants.read_bytes().hex())}:0")
    finally:
        app.close()
    code, summary, stderr = import_json(curator, str(plants))
    assert code == 0, stderr
    assert (summary["accepted"], summary["duplicates"]) == (0, 1)


def test_a_lone_surrogate_in_an_events_file_is_removed_not_a_traceback(
        curator: Cli, tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text('[{"type": "factory", "date": "2022", "companies": "catl:operator", '
                      '"title": "CATL \\ud800 plant"}]', encoding="utf-8")
    result = curator("import", str(events))
    assert result.exit_code == 0, result.stderr
    titles = [e["title"] for e in json.loads(curator("show", "catl", "--format", "json").stdout)]
    assert "CATL plant" in titles


def test_an_export_imported_again_is_known_and_an_edited_one_says_its_edits_were_not_applied(
        curator: Cli, tmp_path: Path) -> None:
    added = curator("add", "acquisition", "--company", "envision:acquirer", "--company", "aesc:target",
                    "--date", "2018-08", "--title", "Envision buys AESC", "--field", "stake_pct=80")
    assert added.exit_code == 0, added.stderr
    corrected = curator("correct", added.last_word, "--field", "stake_pct=100", "--reason", "filing")
    assert corrected.exit_code == 0, corrected.stderr
    export = tmp_path / "export.json"
    export.write_text(curator("show", "aesc", "--format", "json").stdout, encoding="utf-8")
    code, again, stderr = import_json(curator, str(export))
    assert code == 0, stderr
    [file] = again["files"]  # type: ignore[misc]
    assert (again["duplicates"], file["errors"]) == (1, [])  # type: ignore[index]

    edited = json.loads(export.read_text(encoding="utf-8"))
    edited[0]["title"] = "EDITED TITLE"
    export.write_text(json.dumps(edited), encoding="utf-8")
    length = curator.records()
    result = curator("import", str(export))
    assert result.exit_code == 0, result.stderr
    assert curator.records() == length
    assert (f"{added.last_word} is in the log already and this row says something else; it was "
            f"not imported (`timeline correct {added.last_word}` changes the event)") in result.stdout


@pytest.mark.parametrize("source, message", [
    ({"url": "https://e.org/q", "bogus": 1}, "sources: a source has no 'bogus'"),
    ({"url": "https://e.org/q", "confidence": 7}, "sources.confidence: must be at most 1"),
    ({"url": "https://e.org/q", "confidence": True}, "sources.confidence: must be a number"),
    ({}, "sources: {} says nothing of where the event was read"),
    ({"publisher": "wire"}, "give its url or its quote"),
])
def test_a_source_with_keys_no_source_has_is_refused(curator: Cli, tmp_path: Path,
                                                     source: dict[str, object], message: str) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"type": "factory", "date": "2022", "title": "Plant",
                                   "companies": "catl:operator", "sources": [source]}]), encoding="utf-8")
    length = curator.records()
    result = curator("import", str(events))
    assert result.exit_code == 2 and message in result.stderr
    assert curator.records() == length


def test_every_source_shows_its_url_published_and_quote_however_it_came(curator: Cli, tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"type": "factory", "date": "2022", "title": "Plant",
                                   "companies": "catl:operator", "sources": [{"url": "https://e.org/y"}]}]),
                      encoding="utf-8")
    assert curator("import", str(events)).exit_code == 0
    assert curator("add", "factory", "--company", "northvolt", "--date", "2020", "--title", "B",
                   "--source", "https://e.org/z").exit_code == 0
    shown = json.loads(curator("events", "--format", "json").stdout)
    assert [sorted(s) for e in shown for s in e["sources"]] == [["published", "quote", "url"]] * 2


@pytest.mark.parametrize("event_id", ["../../etc/passwd", "x" * 5000, "-leading-dash", "ev-\ud800x",
                                      "ev-\x1b[2Jx"])
def test_an_event_id_that_is_not_one_is_refused(curator: Cli, tmp_path: Path, event_id: str) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"id": event_id, "type": "factory", "date": "2022",
                                   "companies": "catl:operator", "title": "Plant"}]), encoding="utf-8")
    length = curator.records()
    result = curator("import", str(events))
    assert result.exit_code == 2 and "id:" in result.stderr and "is not an event id" in result.stderr
    assert curator.records() == length


def test_an_event_id_in_capitals_is_the_one_correct_finds(curator: Cli, tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps([{"id": "CATL-Debrecen-1", "type": "factory", "date": "2022",
                                   "companies": "catl:operator", "title": "Plant"}]), encoding="utf-8")
    assert curator("import", str(events)).exit_code == 0
    fixed = curator("correct", "CATL-Debrecen-1", "--field", "title=Debrecen plant", "--reason", "name")
    assert fixed.exit_code == 0, fixed.stderr


def test_a_company_note_cannot_give_a_company_a_common_word_and_says_what_it_adds(
        curator: Cli, tmp_path: Path) -> None:
    evil = tmp_path / "evil.md"
    evil.write_text("---\ntype: company\naliases: [CATL, 宁德, the, 电池]\n---\n**Evil Corp** — a company.\n\n"
                    "## History\n\n| Year | Event |\n|---|---|\n| 2019 | Founded |\n", encoding="utf-8")
    length = curator.records()
    refused = curator("import", str(evil))
    assert refused.exit_code == 2
    assert "alias: 'the' is a common word" in refused.stderr and "nothing of the file was imported" in refused.stderr
    assert curator.records() == length  # not even the good alias before it
    evil.write_text(evil.read_text(encoding="utf-8").replace(", the, 电池", ""), encoding="utf-8")
    done = curator("import", str(evil))
    assert done.exit_code == 0, done.stderr
    assert "catl is now also known as '宁德'" in done.stdout
    refused = curator("companies", "alias", "catl", "Battery")
    assert refused.exit_code == 2 and "is a common word" in refused.stderr


def test_a_csv_export_imports_back_into_another_timeline_with_its_fields(
        curator: Cli, tmp_path: Path) -> None:
    assert curator("add", "acquisition", "--company", "envision:acquirer", "--company", "aesc:target",
                   "--date", "2018-08", "--title", "Envision buys AESC", "--field", "stake_pct=80",
                   "--field", "price=1 billion USD", "--field", "summary=Nissan sells its cells unit",
                   "--field", "tags=deal,japan").exit_code == 0
    exported = curator("events", "--format", "csv").stdout
    other = imported_elsewhere(tmp_path, exported)
    again = other("events", "--format", "csv").stdout
    assert again == exported
    [row] = list(csv.DictReader(io.StringIO(again)))
    assert row["fields"] == "stake_pct=80;price=1000000000 USD"
    assert (row["summary"], row["tags"]) == ("Nissan sells its cells unit", "deal;japan")


def test_a_company_note_is_one_batch_registration_aliases_and_history_or_nothing(
        curator: Cli, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("---\ntype: company\ncountry: DE\naliases: [Voltwerk AG, 伏特工厂]\n---\n"
                    "**Voltwerk** — a cell maker.\n\n## History\n\n| Year | Event |\n|---|---|\n"
                    "| 2019 | Founded in Berlin |\n| 2023-05 | Opened a 4 GWh factory in Brandenburg |\n",
                    encoding="utf-8")
    length = curator.records()
    # The disk fills up as the history is written (a real failure of the real file).
    conn = sqlite3.connect(curator.db)
    conn.execute("CREATE TRIGGER disk_full BEFORE INSERT ON records WHEN NEW.kind = 'proposal.made'"
                 " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    conn.close()
    failed = curator("import", str(note))
    assert failed.exit_code == 1
    assert "the database refused the write: database or disk is full" in failed.stderr
    assert curator.records() == length  # not even the company
    assert "voltwerk" not in curator("companies", "list").stdout.lower()
    conn = sqlite3.connect(curator.db)
    conn.execute("DROP TRIGGER disk_full")
    conn.close()
    done = curator("import", str(note))
    assert done.exit_code == 0, done.stderr
    [company] = [c for c in json.loads(curator("companies", "list", "--format", "json").stdout)
                 if c["id"] == "voltwerk"]
    assert company["aliases"] == ["Voltwerk AG", "伏特工厂"]
    assert [e["type"] for e in json.loads(curator("show", "伏特工厂", "--format", "json").stdout)] == [
        "founding", "factory"]


def test_a_semicolon_inside_a_csv_list_item_survives_the_round_trip(
        curator: Cli, tmp_path: Path) -> None:
    url = "https://example.org/news;jsessionid=1?a=1;b=2"
    assert curator("add", "supply_deal", "--company", "catl:supplier", "--company", "northvolt:customer",
                   "--date", "2023-05", "--title", "Cells for Northvolt", "--source", url,
                   "--field", "product=LFP; NMC cells", "--field", "tags=deal;china,长约；五年").exit_code == 0
    exported = curator("events", "--format", "csv").stdout
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert row["sources"] == url.replace(";", "\\;")
    other = imported_elsewhere(tmp_path, exported)
    [event] = json.loads(other("events", "--format", "json").stdout)
    assert [s["url"] for s in event["sources"]] == [url]
    assert event["product"] == "LFP; NMC cells"
    assert event["tags"] == ["deal;china", "长约；五年"]
    assert other("events", "--format", "csv").stdout == exported


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_naming_a_merged_company_keeps_its_meaning_in_another_timeline(
        curator: Cli, tmp_path: Path, fmt: str) -> None:
    assert curator("add", "acquisition", "--company", "envision:acquirer", "--company", "aesc:target",
                   "--company", "nissan:seller", "--date", "2018-08", "--title", "Envision buys AESC").exit_code == 0
    assert curator("companies", "merge", "aesc", "envision", "--reason", "one group").exit_code == 0
    exported = curator("events", "--format", fmt).stdout
    assert fmt == "json" or "envision:target (aesc)" in exported
    elsewhere = imported_elsewhere(tmp_path, exported, fmt)
    [event] = json.loads(elsewhere("show", "aesc", "--format", "json").stdout)
    assert {c["id"]: c["role"] for c in event["companies"]} == {
        "envision": "acquirer", "aesc": "target", "nissan": "seller"}


def test_a_dates_note_survives_a_csv_round_trip(curator: Cli, tmp_path: Path) -> None:
    assert curator("add", "founding", "--company", "northvolt", "--date", "late 2015",
                   "--title", "Founded").exit_code == 0
    exported = curator("events", "--format", "csv").stdout
    other = imported_elsewhere(tmp_path, exported)
    [event] = json.loads(other("events", "--format", "json").stdout)
    assert (event["date"], event["date_note"]) == ("2015", "late")
    assert other("events", "--format", "csv").stdout == exported


def test_an_export_naming_a_merged_company_imports_back_as_the_same_event(
        curator: Cli, tmp_path: Path) -> None:
    assert curator("add", "acquisition", "--company", "envision:acquirer", "--company",
                   "nissan:seller", "--date", "2018-08", "--title", "Envision buys AESC").exit_code == 0
    assert curator("companies", "merge", "envision", "aesc", "--reason", "one group").exit_code == 0
    exported = curator("events", "--format", "csv").stdout
    assert "aesc:acquirer (envision)" in exported
    sheet = tmp_path / "export.csv"
    sheet.write_text(exported, encoding="utf-8")
    code, again, stderr = import_json(curator, str(sheet))
    assert code == 0, stderr
    [file] = again["files"]  # type: ignore[misc]
    assert (again["duplicates"], file["errors"]) == (1, [])  # type: ignore[index]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_unchanged_export_imports_back_without_a_warning(curator: Cli, tmp_path: Path, fmt: str) -> None:
    assert curator("add", "factory", "--company", "catl", "--date", "2020", "--title", "W",
                   "--field", "capacity_gwh=5", "--field", "investment=7.3bn EUR").exit_code == 0
    assert curator("add", "acquisition", "--company", "envision:acquirer", "--company", "aesc:target",
                   "--date", "2018-08", "--title", "E", "--field", "price=1bn USD").exit_code == 0
    export = tmp_path / f"export.{fmt}"
    export.write_text(curator("events", "--format", fmt).stdout, encoding="utf-8")
    code, again, stderr = import_json(curator, str(export))
    assert code == 0, stderr
    [file] = again["files"]  # type: ignore[misc]
    assert (again["duplicates"], file["errors"]) == (2, [])  # type: ignore[index]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_unchanged_export_of_an_extracted_event_imports_back_without_a_warning(
        curator: Cli, tmp_path: Path, fmt: str) -> None:
    article = tmp_path / "news.md"
    article.write_text("---\ntitle: CATL to build 100 GWh plant\ndate: 2022-08-12\n"
                       "url: https://n.example/a\n---\nCATL said on Friday it will invest €7.3 billion "
                       "in a 100 GWh battery factory in Debrecen, Hungary.\n", encoding="utf-8")
    code, summary, stderr = import_json(curator, str(article))
    assert (code, summary["accepted"]) == (0, 1), stderr
    [event] = json.loads(curator("events", "--format", "json").stdout)
    assert event["investment"]["value"] == 7.3e9 and event["amounts"]
    export = tmp_path / f"export.{fmt}"
    export.write_text(curator("events", "--format", fmt).stdout, encoding="utf-8")
    code, again, stderr = import_json(curator, str(export))
    assert code == 0, stderr
    [file] = again["files"]  # type: ignore[misc]
    assert (again["duplicates"], file["errors"]) == (1, [])  # type: ignore[index]


def test_a_title_guarded_against_spreadsheets_imports_back_as_it_was(
        curator: Cli, tmp_path: Path) -> None:
    title = "-80% stake bought"
    assert curator("add", "acquisition", "--company", "envision:acquirer", "--company",
                   "aesc:target", "--date", "2018-08", "--title", title).exit_code == 0
    sheet = tmp_path / "export.csv"
    sheet.write_text(curator("events", "--format", "csv").stdout, encoding="utf-8")
    assert "'-80% stake bought" in sheet.read_text(encoding="utf-8")
    code, again, stderr = import_json(curator, str(sheet))  # into the same timeline: known
    assert code == 0, stderr
    [file] = again["files"]  # type: ignore[misc]
    assert (again["duplicates"], file["errors"]) == (1, [])  # type: ignore[index]


def test_rows_naming_the_same_companies_by_other_names_are_one_event(
        curator: Cli, tmp_path: Path) -> None:
    twin = tmp_path / "twin.csv"
    twin.write_text("type,date,title,companies\n"
                    "factory,2020,Twin,catl:operator\n"
                    "factory,2020,Twin,CATL:operator\n"
                    "factory,2020,Twin,宁德时代:operator\n", encoding="utf-8")
    code, summary, stderr = import_json(curator, str(twin))
    assert code == 0, stderr
    assert (summary["accepted"], summary["duplicates"]) == (1, 2)


def test_a_company_note_with_a_bad_alias_or_country_writes_nothing_and_says_so_in_one_line(
        curator: Cli, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    body = "\n**{name}** — battery maker.\n\n## History\n\n| Year | Event |\n|---|---|\n| 2019 | Founded |\n"
    length = curator.records()
    note.write_text("---\ntype: company\nid: catl\naliases: [CATL Europe, \"CA\\u202eTL\"]\n---"
                    + body.format(name="CATL"), encoding="utf-8")
    refused = curator("import", str(note))
    assert refused.exit_code == 2 and "cannot be shown as it is" in refused.stderr
    assert curator.records() == length  # not even the good alias before it
    note.write_text("---\ntype: company\ncountry: UK\n---" + body.format(name="Lambda Power"),
                    encoding="utf-8")
    refused = curator("import", str(note))
    assert refused.exit_code == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "country: 'UK' is not the ISO 3166 code of the United Kingdom: it is GB" in refused.stderr
    assert curator.records() == length
