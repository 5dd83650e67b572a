"""The curation commands as a curator types them: init, add, correct, retract, companies.
Bad input exits 2 with a message naming the field, and appends nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import COMPANY_IDS, Cli, record_count, run_main, write_config

ACQUISITION = ["add", "acquisition", "--company", "envision:acquirer", "--company", "AESC:target",
               "--company", "日产:seller", "--date", "2018-08", "--title", "Envision buys AESC",
               "--field", "stake_pct=80", "--field", "price=£320m",
               "--source", "https://example.org/aesc"]


def test_init_registers_the_config_companies_once(tmp_path):
    config = write_config(tmp_path)
    db = tmp_path / "fresh.db"
    first = run_main(["--config", str(config), "--db", str(db), "init"])
    assert first.exit_code == 0, first.stderr
    assert f"({len(COMPANY_IDS)} appended)" in first.stdout
    assert record_count(db) == len(COMPANY_IDS)
    second = run_main(["--config", str(config), "--db", str(db), "init"])
    assert second.exit_code == 0
    assert "(0 appended)" in second.stdout
    assert record_count(db) == len(COMPANY_IDS)


def test_init_notes_a_company_the_config_names_otherwise_and_renames_nothing(tmp_path):
    config = write_config(tmp_path)
    assert run_main(["--config", str(config), "init"]).exit_code == 0
    config.write_text(config.read_text(encoding="utf-8").replace(
        'name = "Envision AESC"', 'name = "AESC Group"'), encoding="utf-8")
    again = run_main(["--config", str(config), "init"])
    assert again.exit_code == 0 and "(0 appended)" in again.stdout
    assert "the config calls 'aesc' 'AESC Group', the registry 'Envision AESC'" in again.stderr


def test_the_database_path_can_come_from_the_config_or_the_environment(tmp_path, monkeypatch):
    config = write_config(tmp_path)
    assert run_main(["--config", str(config), "init"]).exit_code == 0
    assert record_count(tmp_path / "timeline.db") == len(COMPANY_IDS)
    monkeypatch.setenv("TIMELINE_CONFIG", str(config))
    monkeypatch.setenv("TIMELINE_DB", str(tmp_path / "env.db"))
    assert run_main(["init"]).exit_code == 0
    assert record_count(tmp_path / "env.db") == len(COMPANY_IDS)


@pytest.mark.parametrize("written", ["1990s", "2018-2020", "2010年代", "2012-13"])
def test_a_date_spanning_years_is_refused(cli: Cli, written: str):
    length = cli.records()
    refused = cli("add", "factory", "--company", "aesc", "--date", written, "--title", "Plant")
    assert refused.exit_code == 2 and "error: date:" in refused.stderr
    assert cli.records() == length


@pytest.mark.parametrize("written, date, precision, note", [
    ("2015年底", "2015", "year", "late"),
    ("late 2015", "2015", "year", "late"),
    ("Sept 2011", "2011-09", "month", None),
    ("2011年9月", "2011-09", "month", None),
    ("2024+", "2024", "year", "onward"),
])
def test_a_date_as_people_write_it_keeps_its_precision_and_its_note(
        cli: Cli, written: str, date: str, precision: str, note: str | None):
    added = cli("add", "factory", "--company", "aesc", "--date", written, "--title", "Plant")
    assert added.exit_code == 0, added.stderr
    [event] = json.loads(cli("show", "aesc", "--format", "json").stdout)
    assert (event["date"], event["precision"], event["date_note"]) == (date, precision, note)
    second_line = cli("show", "aesc").stdout.splitlines()[1]
    assert second_line.startswith(f"{note or '':<10}  {event['id']}")
    [row] = csv.DictReader(io.StringIO(cli("show", "aesc", "--format", "csv").stdout))
    assert (row["date"], row["date_note"]) == (date, note or "")


def test_a_summary_keeps_its_paragraphs_and_a_title_is_one_line(cli: Cli):
    added = cli("add", "factory", "--company", "aesc", "--date", "2021", "--title", "Sunderland\nplant",
                "--field", "summary=The plant opens\nin July.\n\n  It employs 900.  \n\n\n")
    assert added.exit_code == 0, added.stderr
    [event] = json.loads(cli("show", "aesc", "--format", "json").stdout)
    assert event["title"] == "Sunderland plant"
    assert event["summary"] == "The plant opens in July.\n\nIt employs 900."
    [row] = csv.DictReader(io.StringIO(cli("show", "aesc", "--format", "csv").stdout))
    assert row["summary"] == event["summary"]


def test_add_prints_the_new_event_id_as_its_last_word(cli: Cli):
    before = cli.records()
    result = cli(*ACQUISITION)
    assert result.exit_code == 0, result.stderr
    event_id = result.last_word
    assert event_id.startswith("ev-")
    assert cli.records() == before + 1
    [event] = json.loads(cli("show", "aesc", "--format", "json").stdout)
    assert event["id"] == event_id
    assert event["stake_pct"] == 80.0
    assert [(c["id"], c["role"]) for c in event["companies"]] == [
        ("envision", "acquirer"), ("aesc", "target"), ("nissan", "seller")]
    assert event["sources"][0]["url"] == "https://example.org/aesc"


def test_a_company_without_a_role_takes_the_types_first_role(cli: Cli):
    event_id = cli("add", "factory", "--company", "catl", "--date", "2022",
                   "--title", "CATL plant").last_word
    [event] = json.loads(cli("show", "catl", "--format", "json").stdout)
    assert event["id"] == event_id and event["companies"][0]["role"] == "operator"


BAD_ADDS = [
    (["add", "merger", "--company", "aesc", "--date", "2012", "--title", "t"],
     "type:", "unknown event type 'merger'"),
    (["add", "factory", "--company", "nobody", "--date", "2012", "--title", "t"],
     "company:", "'nobody'"),
    (["add", "factory", "--company", "aesc:acquirer", "--date", "2012", "--title", "t"],
     "company:", "'acquirer' is not a role of factory"),
    (["add", "factory", "--company", "aesc", "--date", "2012-13", "--title", "t"],
     "date:", "month 13"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "capacity_gwh=-5"], "capacity_gwh:", "negative"),
    (["add", "acquisition", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "capacity_gwh=-5"], "capacity_gwh:", "negative"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "capacity_gwh=-5GWh"], "capacity_gwh:", "negative"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "amount=lots"], "amount:", "not an amount of money"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t", "--source", ""],
     "source:", "is not an http(s) URL"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--source", "notaurl"], "source:", "'notaurl' is not an http(s) URL"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--source", "ftp://example.org/a"], "source:", "is not an http(s) URL"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "investment=12 bananas"], "investment:", "not an amount of money"),
    (["add", "acquisition", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "stake_pct=half"], "stake_pct:", "not a number"),
    (["add", "acquisition", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "stake_pct=101"], "stake_pct:", "must be at most 100 (got 101)"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "stake_pct=5"], "stake_pct:", "factory has no field 'stake_pct'"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", "t",
      "--field", "nonsense"], "field:", "not NAME=VALUE"),
    (["add", "factory", "--company", "aesc", "--date", "2012", "--title", " "],
     "title:", "must not be empty"),
    (["add", "factory", "--date", "2012", "--title", "t"], "company:", "needs at least one"),
    (["add", "factory", "--company", "aesc", "--date", "2020", "--title", "t", "--field", "country=AB"],
     "country:", "'AB' is not an ISO 3166 country code"),
    (["add", "factory", "--company", "aesc", "--date", "2020", "--title", "t", "--field", "country=uk"],
     "country:", "it is GB"),
    (["companies", "add", "newco", "--name", "New Co", "--country", "AA"],
     "country", "'AA' is not an ISO 3166 country code"),
    (["add", "factory", "--company", "aesc:", "--date", "2020", "--title", "t"],
     "company:", "'aesc:' names no role after the colon"),
    (["add", "factory", "--company", "aesc", "--date", "2020", "--title", "t",
      "--field", "capacity_gwh=1", "--field", "capacity_gwh=2"],
     "capacity_gwh:", "given twice with --field"),
    (["add", "factory", "--company", "aesc", "--date", "2020", "--title", "t",
      "--source", "http://exa mple.org/"], "source:", "is not an http(s) URL"),
    (["add", "factory", "--company", "aesc", "--date", "2020", "--title", "t", "--field", "date=2021"],
     "date:", "given twice; --date says it"),
    (["add", "factory", "--company", "aesc", "--date", "2020", "--title", "t", "--field", "title=u"],
     "title:", "given twice; --title says it"),
    (["add", "partnership", "--company", "aesc", "--date", "2012", "--title", "t"],
     "company:", "a partnership needs 2 or more companies as partner (only aesc)"),
    (["add", "partnership", "--company", "aesc", "--company", "AESC:partner", "--date", "2012",
      "--title", "t"], "company:", "a partnership needs 2 or more companies as partner (only aesc)"),
    (["add", "factory", "--company", "aesc", "--title", "t"], "--date", "Missing option"),
]


@pytest.mark.parametrize(("args", "field", "problem"), BAD_ADDS,
                         ids=[f"{b[1].rstrip(':')}-{i}" for i, b in enumerate(BAD_ADDS)])
def test_bad_input_exits_2_names_the_field_and_appends_nothing(cli: Cli, args, field, problem):
    before = cli.records()
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert field in result.stderr and problem in result.stderr
    assert cli.records() == before


def test_correct_records_the_change_and_the_reason(cli: Cli):
    event_id = cli(*ACQUISITION).last_word
    before = cli.records()
    result = cli("correct", event_id, "--field", "stake_pct=100", "--field", "status=completed",
                 "--reason", "Filing says 100%")
    assert result.exit_code == 0, result.stderr
    assert cli.records() == before + 1
    [event] = json.loads(cli("show", "aesc", "--format", "json").stdout)
    assert (event["stake_pct"], event["status"]) == (100.0, "completed")
    assert event["corrections"][0]["reason"] == "Filing says 100%"


@pytest.mark.parametrize(("args", "field", "problem"), [
    (["correct", "ev-0000000000", "--field", "title=x", "--reason", "r"], "event:", "ev-0000000000"),
    (["retract", "ev-0000000000", "--reason", "r"], "event:", "ev-0000000000"),
    (["correct", "{id}", "--field", "stake_pct=-1", "--reason", "r"], "stake_pct:", "must be at least 0 (got -1)"),
    (["correct", "{id}", "--field", "date=2012-13", "--reason", "r"], "date:", "month 13"),
    (["correct", "{id}", "--field", "jobs=3", "--reason", "r"], "jobs:", "no field 'jobs'"),
    (["correct", "{id}", "--company", "aesc:operator", "--reason", "r"], "company:", "'operator'"),
    (["correct", "{id}", "--reason", "r"], "field:", "nothing to correct"),
    (["correct", "{id}", "--field", "stake_pct=80", "--field", "date=2018-08", "--reason", "r"],
     "field:", "nothing to correct: ev-"),
    (["correct", "{id}", "--field", "summary=", "--reason", "r"], "field:", "nothing to correct: ev-"),
    (["correct", "{id}", "--field", "title=x", "--reason", " "], "reason:", "say why"),
])
def test_bad_corrections_and_retractions_exit_2_and_append_nothing(cli: Cli, args, field, problem):
    event_id = cli(*ACQUISITION).last_word
    before = cli.records()
    result = cli(*[a.replace("{id}", event_id) for a in args])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert field in result.stderr and problem in result.stderr
    assert cli.records() == before


def test_a_correction_records_only_what_it_changes(cli: Cli):
    event_id = cli(*ACQUISITION).last_word
    result = cli("correct", event_id, "--field", "stake_pct=80", "--field", "status=completed",
                 "--reason", "closed")
    assert result.exit_code == 0, result.stderr
    [event] = json.loads(cli("show", "aesc", "--format", "json").stdout)
    assert event["corrections"][0]["changes"] == ["status"]


def test_an_empty_summary_is_no_summary(cli: Cli):
    event_id = cli("add", "factory", "--company", "catl", "--date", "2022", "--title", "Plant",
                   "--field", "summary=").last_word
    [event] = [e for e in json.loads(cli("show", "catl", "--format", "json").stdout) if e["id"] == event_id]
    assert event.get("summary") is None


def test_a_partnership_keeps_two_partners_through_corrections(cli: Cli):
    event_id = cli("add", "partnership", "--company", "aesc", "--company", "envision", "--date", "2019",
                   "--title", "AESC and Envision join forces").last_word
    before = cli.records()
    refused = cli("correct", event_id, "--company", "aesc", "--reason", "only one of them")
    assert refused.exit_code == 2
    assert "company: a partnership needs 2 or more companies as partner (only aesc)" in refused.stderr
    assert cli.records() == before
    assert cli("correct", event_id, "--company", "aesc", "--company", "nissan",
               "--reason", "Nissan, not Envision").exit_code == 0


@pytest.mark.parametrize("args", [
    ["companies", "add", "evilco", "--name", "Evil\x1b]0;pwned\x07Co"],
    ["companies", "rename", "catl", "Ren\x1b]0;x\x07"],
    ["companies", "alias", "catl", "Al\x1b]0;x\x072"],
    ["companies", "alias", "catl", "CATL\u202e"],
])
def test_company_names_with_control_or_hiding_characters_are_refused(cli: Cli, args):
    before = cli.records()
    refused = cli(*args)
    assert refused.exit_code == 2, refused.stdout
    assert "which cannot be shown as it is; remove it" in refused.stderr
    assert cli.records() == before


def test_a_retracted_event_cannot_be_corrected(cli: Cli):
    event_id = cli(*ACQUISITION).last_word
    assert cli("retract", event_id, "--reason", "duplicate").exit_code == 0
    refused = cli("correct", event_id, "--field", "stake_pct=90", "--reason", "late news")
    assert refused.exit_code == 2
    assert f"event: {event_id} is retracted; a retracted event cannot be corrected" in refused.stderr


def test_titles_are_one_line_of_text_and_a_company_named_twice_counts_once(cli: Cli):
    base = ["add", "factory", "--company", "catl:operator", "--date", "2022"]
    event_id = cli(*base, "--company", "宁德时代:operator", "--title", "CATL\n  plant\tin Debrecen").last_word
    [event] = [e for e in json.loads(cli("show", "catl", "--format", "json").stdout) if e["id"] == event_id]
    assert event["title"] == "CATL plant in Debrecen"
    assert [c["id"] for c in event["companies"]] == ["catl"]
    before = cli.records()
    for title, problem in (("bell\x07", "control character '\\x07'"), ("x" * 301, "at most 300")):
        refused = cli(*base, "--title", title)
        assert refused.exit_code == 2 and "title:" in refused.stderr and problem in refused.stderr
    assert cli.records() == before


def test_retracting_an_already_retracted_event_exits_2_and_appends_nothing(cli: Cli):
    event_id = cli(*ACQUISITION).last_word
    assert cli("retract", event_id, "--reason", "duplicate").exit_code == 0
    before = cli.records()
    again = cli("retract", event_id, "--reason", "duplicate again")
    assert again.exit_code == 2
    assert f"event: {event_id} is already retracted" in again.stderr
    assert cli.records() == before
    assert json.loads(cli("show", "aesc", "--format", "json").stdout) == []


@pytest.mark.parametrize(("extra", "key"), [
    ('\n[review]\nauto_accept = 3\n', "review.auto_accept"),
    ('\n[storage]\npaht = "x.db"\n', "storage"),
    ('\n[[companies]]\nid = "Bad Id"\nname = "x"\n', "companies.5.id"),
    ('\n[[companies]]\nid = "aesc"\nname = "again"\n', "companies"),
    ('\n[[companies]]\nid = "aesc-uk"\nname = "AESC UK"\naliases = ["ａｅｓｃ"]\n', "companies"),
    ('\n[[feeds]]\nname = "f"\nurl = "x"\ninterval = "often"\n', "feeds.0.interval"),
    ('\n[digest\nweekday = "mon"\n', "not valid TOML"),
    ('\n[[subscribers]]\nemail = "nope"\n', "subscribers.0.email"),
    ('\n[[subscribers]]\nemail = "a@example.org"\ntimezone = "Mars/Olympus"\n',
     "subscribers.0.timezone"),
    ('\n[[feeds]]\nname = "f"\nurl = "x"\ninterval = "3000000d"\n', "feeds.0.interval"),
    ('\n[[feeds]]\nname = "f"\nurl = "ftp://x/y"\n', "feeds.0.url"),
    ('\n[[feeds]]\nname = "f"\nurl = "http://"\n', "feeds.0.url"),
    ('\n[fetch]\nbackoff_base = 1000\nbackoff_max = 10\n', "fetch"),
    ('\n[fetch]\nbackoff_max = 1000000000000\n', "fetch.backoff_max"),
    ('\n[fetch]\nread_timeout = inf\n', "fetch.read_timeout"),
    ('\n[[rules]]\nname = "r"\ntypes = ["widget"]\n', "rules.0.types.0"),
    ('\n[[rules]]\nname = "r"\ncountries = ["ZZZ"]\n', "rules.0.countries.0"),
    ('\n[[rules]]\nname = "r"\nmin_amount = -5\n', "rules.0.min_amount"),
    ('\n[[rules]]\nname = "r"\n\n[[rules]]\nname = "r"\n', "rules"),
    ('\n[[subscribers]]\nemail = "a@b.org"\ntypes = ["widget"]\n', "subscribers.0.types.0"),
    ('\n[[subscribers]]\nemail = "a@b.org"\n\n[[subscribers]]\nemail = "A@b.org"\n', "subscribers"),
    ('\n[mail]\nfrom = "not an email"\n', "mail.from"),
    ('\n[smtp]\nhost = "mail.example.org"\nport = 99999\n', "smtp.port"),
    ('\n[[feeds]]\nname = "f"\nurl = "http://127.0.0.1:99999/x"\n', "feeds.0.url"),
    ('\n[[feeds]]\nname = "f"\nurl = "mailto:a@b.c"\n', "feeds.0.url"),
    ('\n[fetch]\nuser_agent = "tl\\u00e9"\n', "fetch.user_agent"),
    ('\n[fetch]\nuser_agent = "a\\r\\nX-Injected: 1"\n', "fetch.user_agent"),
])
def test_a_broken_config_exits_2_naming_the_key(tmp_path, extra, key):
    config = tmp_path / "broken.toml"
    text = write_config(tmp_path).read_text(encoding="utf-8")
    if extra.startswith("\n[storage]"):
        text = text.replace('[storage]\npath = "timeline.db"\n', "")
    config.write_text(text + extra, encoding="utf-8")
    result = run_main(["--config", str(config), "--db", str(tmp_path / "x.db"), "init"])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "config:" in result.stderr and key in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists() or record_count(tmp_path / "x.db") == 0


def test_a_feed_file_in_a_folder_named_like_a_host_is_a_file(tmp_path):
    folder = tmp_path / "feeds.local"
    folder.mkdir()
    (folder / "en.xml").write_text("<rss/>", encoding="utf-8")
    config = write_config(tmp_path, '\n[[feeds]]\nname = "local"\nurl = "feeds.local/en.xml"\n')
    result = run_main(["--config", str(config), "init"])
    assert result.exit_code == 0, result.stderr


def test_init_appends_nothing_when_one_config_company_cannot_be_registered(tmp_path):
    config = write_config(tmp_path)
    db = tmp_path / "timeline.db"
    assert run_main(["--config", str(config), "init"]).exit_code == 0
    assert run_main(["--config", str(config), "companies", "add", "lges", "--name", "LGES",
                     "--alias", "LG新能源"]).exit_code == 0
    before = record_count(db)
    # A new company and a new alias that are fine, then an alias another company holds.
    config.write_text(config.read_text(encoding="utf-8").replace('aliases = ["宁德时代"]', (
        'aliases = ["宁德时代", "Contemporary Amperex"]')) + (
        '\n[[companies]]\nid = "sk-on"\nname = "SK On"\n'
        '\n[[companies]]\nid = "lg-chem"\nname = "LG Chem"\naliases = ["LG新能源"]\n'),
        encoding="utf-8")
    result = run_main(["--config", str(config), "init"])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert ("config: companies.6 (lg-chem): company: 'LG新能源' is already taken by company "
            "'lges'") in result.stderr
    assert record_count(db) == before


def test_a_missing_config_file_exits_2(tmp_path):
    result = run_main(["--config", str(tmp_path / "nope.toml"), "init"])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_companies_add_alias_rename_and_list(cli: Cli):
    before = cli.records()
    added = cli("companies", "add", "lges", "--name", "LG Energy Solution", "--alias", "LGES",
                "--alias", "LG新能源", "--country", "kr")
    assert added.exit_code == 0, added.stderr
    assert cli("companies", "add", "lges", "--name", "LG Energy Solution").stdout.startswith(
        "lges was already registered; nothing changed.")
    for other, field in ((["--name", "LG Chem"], "name:"), (["--name", "LG Energy Solution",
                         "--country", "US"], "country:"), (["--name", "LG Energy Solution",
                         "--alias", "LGE"], "companies alias")):
        refused = cli("companies", "add", "lges", *other)
        assert refused.exit_code == 2 and field in refused.stderr, (other, refused.stderr)
    renamed_to_itself = cli("companies", "rename", "lges", "LG Energy Solution")
    assert renamed_to_itself.exit_code == 2
    assert "already called 'LG Energy Solution'" in renamed_to_itself.stderr
    assert cli("companies", "alias", "ｌｇｅｓ", "LG에너지솔루션").exit_code == 0
    assert cli("companies", "rename", "lges", "LG Energy").exit_code == 0
    assert cli.records() == before + 3
    listed = {c["id"]: c for c in json.loads(cli("companies", "list", "--format", "json").stdout)}
    assert listed["lges"]["name"] == "LG Energy"
    assert listed["lges"]["country"] == "KR"
    assert listed["lges"]["aliases"] == ["LGES", "LG新能源", "LG에너지솔루션"]
    assert listed["lges"]["former_names"] == ["LG Energy Solution"]
    text = cli("companies").stdout
    assert "lges" in text and "LG Energy" in text
    # the old name still finds it
    cli("add", "factory", "--company", "LG Energy Solution", "--date", "2023", "--title", "Plant")
    assert len(json.loads(cli("show", "LG에너지솔루션", "--format", "json").stdout)) == 1


@pytest.mark.parametrize(("args", "field"), [
    (["companies", "add", "Bad Id", "--name", "Okay Cells"], "id"),
    (["companies", "add", "ok", "--name", "Okay Cells", "--country", "Japan"], "country"),
    (["companies", "add", "ok", "--name", "Okay Cells", "--alias", "远景动力"], "company:"),
    (["companies", "alias", "nobody", "Nobody Cells"], "company:"),
    (["companies", "alias", "catl", "AESC"], "company:"),
    (["companies", "rename", "catl", "Nissan"], "company:"),
    (["companies", "merge", "aesc", "远景动力", "--reason", "same"], "merge:"),
    (["companies", "merge", "aesc", "nobody", "--reason", "same"], "company:"),
    (["companies", "merge", "aesc", "envision"], "--reason"),
    (["companies", "merge", "aesc", "envision", "--reason", " "], "reason: say why the companies are one"),
])
def test_bad_company_commands_exit_2_and_append_nothing(cli: Cli, args, field):
    before = cli.records()
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert field in result.stderr
    assert cli.records() == before


def test_merge_shows_both_histories_under_the_survivor_and_apart_before_it(cli: Cli, app, clock):
    old = cli("add", "factory", "--company", "envision", "--date", "2019", "--title", "E plant").last_word
    new = cli("add", "factory", "--company", "aesc", "--date", "2021", "--title", "A plant").last_word
    before_merge = json.loads(cli("log", "--format", "jsonl").stdout.splitlines()[-1])["recorded_at"]
    assert cli("companies", "merge", "远景集团", "ＡＥＳＣ", "--reason", "one group").exit_code == 0
    ids = lambda *args: [e["id"] for e in json.loads(cli(*args, "--format", "json").stdout)]
    assert ids("show", "aesc") == [old, new]
    assert ids("show", "envision") == [old, new]
    assert ids("show", "aesc", "--known-at", before_merge) == [new]
    assert ids("show", "远景集团", "--known-at", before_merge) == [old]
    assert "envision" not in ids("companies", "list")
    assert "envision" in [c["id"] for c in json.loads(cli("companies", "list", "--all", "--format", "json").stdout)]


def test_a_merged_company_takes_no_new_name_and_its_survivor_lists_it(cli: Cli):
    assert cli("companies", "merge", "envision", "aesc", "--reason", "one group").exit_code == 0
    before = cli.records()
    for args, what in ((["rename", "envision", "Envision Energy"], "rename"),
                       (["alias", "远景集团", "Envision Energy"], "give the alias to")):
        refused = cli("companies", *args)
        assert refused.exit_code == 2, refused.stdout
        assert f"'envision' was merged into 'aesc'; {what} 'aesc'" in refused.stderr
    assert cli.records() == before
    listed = {c["id"]: c for c in json.loads(cli("companies", "list", "--all", "--format", "json").stdout)}
    assert listed["aesc"]["absorbed"] == ["envision"] and listed["envision"]["absorbed"] == []


def test_a_name_taken_back_is_no_longer_a_former_name(cli: Cli):
    assert cli("companies", "rename", "catl", "Contemporary Amperex").exit_code == 0
    assert cli("companies", "rename", "catl", "CATL").exit_code == 0
    [catl] = [c for c in json.loads(cli("companies", "list", "--format", "json").stdout) if c["id"] == "catl"]
    assert (catl["name"], catl["former_names"]) == ("CATL", ["Contemporary Amperex"])


def test_after_a_merge_the_timeline_still_says_whom_each_event_named(cli: Cli):
    event_id = cli("add", "partnership", "--company", "envision:partner", "--company", "aesc:partner",
                   "--date", "2018", "--title", "Joint venture").last_word
    assert cli("companies", "merge", "envision", "aesc", "--reason", "one group").exit_code == 0
    [event] = json.loads(cli("show", "aesc", "--format", "json").stdout)
    assert [(c["id"], c["reported_as"]) for c in event["companies"]] == [
        ("aesc", "envision"), ("aesc", "aesc")]
    assert "Envision AESC (partner, reported as envision), Envision AESC (partner)" in cli("show", "aesc").stdout
    [row] = csv.DictReader(io.StringIO(cli("show", "aesc", "--format", "csv").stdout))
    assert row["id"] == event_id and row["companies"] == "aesc:partner (envision);aesc:partner"
    via_absorbed = cli("show", "envision")
    assert "note: envision was merged into aesc; this is aesc's timeline" in via_absorbed.stderr


def test_an_event_id_is_found_however_it_was_pasted(cli: Cli):
    event_id = cli(*ACQUISITION).last_word
    result = cli("correct", f" {event_id.upper()} ", "--field", "stake_pct=100", "--reason", "filing")
    assert result.exit_code == 0, result.stderr
    assert cli("retract", event_id.upper(), "--reason", "duplicate").exit_code == 0


def test_a_company_merged_already_cannot_be_merged_again(cli: Cli):
    assert cli("companies", "add", "aesc-uk", "--name", "AESC UK").exit_code == 0
    assert cli("companies", "merge", "aesc-uk", "aesc", "--reason", "duplicate").exit_code == 0
    before = cli.records()
    refused = cli("companies", "merge", "aesc-uk", "nissan", "--reason", "wrong")
    assert refused.exit_code == 2
    assert "'aesc-uk' was merged into 'aesc'; merge 'aesc' if that is what you mean" in refused.stderr
    assert cli.records() == before
    listed = {c["id"]: c for c in json.loads(cli("companies", "list", "--format", "json").stdout)}
    assert "aesc" in listed and listed["aesc"]["absorbed"] == ["aesc-uk"]


def test_after_a_merge_restating_an_events_companies_changes_nothing(cli: Cli):
    event_id = cli("add", "partnership", "--company", "envision:partner", "--company", "aesc:partner",
                   "--date", "2018", "--title", "Joint venture").last_word
    merged = cli("companies", "merge", "远景集团", "ＡＥＳＣ", "--reason", "one group")
    assert merged.stdout.strip() == "Merged envision into aesc"
    assert cli("companies", "merge", "nissan", "envision", "--reason", "one group").stdout.strip() == (
        "Merged nissan into aesc (envision was merged into aesc before)")
    before = cli.records()
    same = cli("correct", event_id, "--company", "envision:partner", "--company", "aesc:partner",
               "--reason", "restated")
    assert same.exit_code == 2 and f"nothing to correct: {event_id} already names them" in same.stderr
    assert cli.records() == before
    [event] = json.loads(cli("show", "aesc", "--format", "json").stdout)
    assert [c["reported_as"] for c in event["companies"]] == ["envision", "aesc"]
    again = cli("companies", "add", "envision", "--name", "Envision Group")
    assert again.exit_code == 2 and "'envision' was merged into 'aesc'" in again.stderr
