"""Companies: registered from config.toml idempotently, aliased, renamed and merged through
records, and found by id or any alias in any case, width or Chinese script."""

from __future__ import annotations

import pytest

from timeline.bootstrap import bootstrap
from timeline.commands import EventInput
from timeline.companies import CompanySpec
from timeline.errors import DuplicateCompany, InvalidField, UnknownCompany
from timeline.replay import Query

from tests.conftest import COMPANY_IDS, record_count, write_config


def test_init_registers_every_company_of_the_config(app):
    assert sorted(c["id"] for c in app.queries.companies()) == sorted(COMPANY_IDS)
    aesc = app.queries.company("aesc")
    assert aesc["name"] == "Envision AESC" and aesc["country"] == "JP"
    assert aesc["aliases"] == ["AESC", "远景动力", "远景AESC"]
    kinds = [r.kind for r in app.store.read()]
    assert kinds == ["company.registered"] * len(COMPANY_IDS)


def test_a_second_init_appends_nothing(app, db_path):
    before = record_count(db_path)
    assert app.init() == 0
    assert record_count(db_path) == before
    again = bootstrap(str(app.settings.base_dir / "config.toml"), str(db_path))
    try:
        assert again.init() == 0
    finally:
        again.close()
    assert record_count(db_path) == before


def test_init_appends_only_what_the_config_gained(app, tmp_path, db_path):
    before = record_count(db_path)
    config = write_config(tmp_path, extra='\n[[companies]]\nid = "byd"\nname = "BYD"\n'
                                           'aliases = ["比亚迪"]\n')
    text = config.read_text(encoding="utf-8").replace('"远景AESC"]', '"远景AESC", "AESC Group"]')
    config.write_text(text, encoding="utf-8")
    grown = bootstrap(str(config), str(db_path))
    try:
        assert grown.init() == 2
        assert grown.init() == 0
        assert grown.queries.find_company("比亚迪") == "byd"
        assert grown.queries.find_company("aesc group") == "aesc"
    finally:
        grown.close()
    assert record_count(db_path) == before + 2


@pytest.mark.parametrize("spelling", ["aesc", "AESC", "aesc", "ＡＥＳＣ", "ａｅｓｃ", "远景动力",
                                      "遠景動力", "Envision AESC", "envision  aesc", "远景aesc"])
def test_a_company_is_found_by_id_or_any_alias_in_any_case_width_or_script(app, spelling):
    assert app.queries.find_company(spelling) == "aesc"
    assert app.timeline.company_id(spelling) == "aesc"


def test_an_unknown_name_is_not_a_company(app):
    assert app.queries.find_company("AES") is None
    with pytest.raises(UnknownCompany, match="'AES'"):
        app.timeline.company_id("AES")


def test_a_company_added_later_is_found_by_its_aliases(app, db_path):
    before = record_count(db_path)
    result = app.timeline.register_company(CompanySpec(id="lges", name="LG Energy Solution",
                                                       aliases=["LGES", "LG新能源"], country="KR"))
    assert len(result.written) == 1
    assert app.queries.find_company("ｌｇｅｓ") == "lges"
    assert app.queries.find_company("LG新能源") == "lges"
    again = app.timeline.register_company(CompanySpec(id="lges", name="LG Energy Solution"))
    assert again.written == () and again.skipped_keys == ("company:lges:registered",)
    assert record_count(db_path) == before + 1


def test_a_name_taken_by_another_company_is_refused_and_nothing_written(app, db_path):
    before = record_count(db_path)
    with pytest.raises(DuplicateCompany, match="'aesc' is already taken by company 'aesc'"):
        app.timeline.register_company(CompanySpec(id="aesc2", name="Other Cells", aliases=["aesc"]))
    with pytest.raises(DuplicateCompany):
        app.timeline.add_alias("catl", "遠景動力")
    with pytest.raises(DuplicateCompany):
        app.timeline.rename_company("catl", "Nissan")
    assert record_count(db_path) == before


def test_an_alias_is_found_and_adding_it_again_appends_nothing(app, db_path):
    before = record_count(db_path)
    app.timeline.add_alias("catl", "寧德時代新能源")
    assert app.queries.find_company("宁德时代新能源") == "catl"
    assert app.timeline.add_alias("CATL", "宁德时代新能源").written == ()
    assert record_count(db_path) == before + 1


def test_a_renamed_company_is_still_found_by_its_old_name(app):
    app.timeline.rename_company("northvolt", "Northvolt Holdings")
    state = app.queries.company("northvolt")
    assert state["name"] == "Northvolt Holdings"
    assert state["former_names"] == ["Northvolt"]
    assert app.queries.find_company("Northvolt") == "northvolt"
    assert app.queries.find_company("northvolt holdings") == "northvolt"


def _add(app, type_, companies, date, title, **fields):
    return app.timeline.add_event(EventInput(
        type=type_, companies=companies, date=date, title=title,
        fields=[(k, str(v)) for k, v in fields.items()]))


def test_after_a_merge_the_survivor_shows_both_histories_and_a_replay_before_it_shows_them_apart(app, clock):
    old = _add(app, "factory", [("envision", "operator")], "2019-05", "Envision plant")
    new = _add(app, "factory", [("aesc", "operator")], "2021-07", "AESC plant")
    clock.set("2025-06-01T00:00:00Z")
    app.timeline.merge_companies("envision", "aesc", reason="one group")

    ids = lambda events: [e["id"] for e in events]
    assert ids(app.queries.timeline("aesc", Query())) == [old, new]
    # the absorbed company's names lead to the survivor
    assert app.timeline.company_id("远景集团") == "aesc"
    assert app.queries.find_company("远景集团") == "envision"
    merged_view = list(app.queries.timeline("aesc", Query()))
    assert merged_view[0]["companies"] == [{"id": "aesc", "name": "Envision AESC", "role": "operator",
                                            "reported_as": "envision"}]  # who the report named
    assert "envision" not in [c["id"] for c in app.queries.companies()]

    # replays from the log agree today, and tell them apart before the merge
    today = app.replayer.bound(None)
    assert ids(app.replayer.company("aesc", Query(), today)) == [old, new]
    assert ids(app.replayer.company("envision", Query(), today)) == [old, new]
    before = app.replayer.bound("2025-05-31T23:59:59.000000Z")
    assert ids(app.replayer.company("aesc", Query(), before)) == [new]
    assert ids(app.replayer.company("envision", Query(), before)) == [old]
    apart = app.replayer.company("envision", Query(), before)
    assert apart[0]["companies"] == [{"id": "envision", "name": "Envision Group", "role": "operator",
                                      "reported_as": "envision"}]


def test_merges_chain_to_the_last_survivor(app):
    first = _add(app, "factory", [("northvolt", "operator")], "2019", "NV plant")
    second = _add(app, "factory", [("envision", "operator")], "2020", "Envision plant")
    app.timeline.merge_companies("northvolt", "envision", "one group")
    app.timeline.merge_companies("envision", "aesc", "one group")
    assert app.timeline.company_id("northvolt") == "aesc"
    found = [e["id"] for e in app.queries.timeline("aesc", Query())]
    assert found == [first, second]
    replayed = [e["id"] for e in app.replayer.company("northvolt", Query(), app.store.head())]
    assert replayed == [first, second]


def test_a_company_cannot_be_merged_into_itself_and_nothing_is_written(app, db_path):
    app.timeline.merge_companies("envision", "aesc", "one group")
    before = record_count(db_path)
    with pytest.raises(InvalidField, match="already one company"):
        app.timeline.merge_companies("远景动力", "ＡＥＳＣ", "one group")
    with pytest.raises(InvalidField, match="already one company"):
        app.timeline.merge_companies("aesc", "envision", "one group")
    assert record_count(db_path) == before
