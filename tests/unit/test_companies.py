"""Company names compare equal across case, width and Chinese script; nothing more."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from timeline.companies import (
    ALIASED,
    MERGED,
    REGISTERED,
    RENAMED,
    CompanySpec,
    fold_company,
    lookup_key,
    names_of,
)
from timeline.records import Record


@pytest.mark.parametrize("spelling", ["AESC", "aesc", "ＡＥＳＣ", "ａｅｓｃ", " AESC ", "Aesc"])
def test_case_width_and_spaces_fold_to_one_key(spelling):
    assert lookup_key(spelling) == lookup_key("aesc")


def test_traditional_and_simplified_chinese_fold_to_one_key():
    assert lookup_key("遠景動力") == lookup_key("远景动力")
    assert lookup_key("寧德時代") == lookup_key("宁德时代")


def test_runs_of_spaces_collapse_but_words_stay_apart():
    assert lookup_key("Envision   AESC") == lookup_key("envision aesc")
    assert lookup_key("EnvisionAESC") != lookup_key("Envision AESC")


def test_different_names_stay_different():
    assert lookup_key("GM") != lookup_key("GMC")
    assert lookup_key("远景") != lookup_key("远景动力")


def _record(version: int, kind: str, data: dict) -> Record:
    return Record(position=version, stream="company-aesc", version=version, kind=kind,
                  schema=1, data=data, meta={}, recorded_at="2024-01-01T00:00:00.000000Z",
                  key=None, hash="x")


def test_a_company_folds_from_registration_through_alias_rename_and_merge():
    state = fold_company(None, _record(1, REGISTERED, {"id": "aesc", "name": "AESC",
                                                        "aliases": ["远景动力"], "country": "JP"}))
    registered = state
    state = fold_company(state, _record(2, ALIASED, {"alias": "远景AESC"}))
    state = fold_company(state, _record(3, RENAMED, {"name": "Envision AESC"}))
    state = fold_company(state, _record(4, MERGED, {"into": "envision"}))
    assert state["name"] == "Envision AESC"
    assert state["merged_into"] == "envision"
    assert names_of(state) == ["aesc", "Envision AESC", "AESC", "远景动力", "远景AESC"]
    # the fold is pure
    assert registered["aliases"] == ["远景动力"] and registered["name"] == "AESC"


def test_records_about_an_unregistered_company_fold_to_nothing():
    assert fold_company(None, _record(2, ALIASED, {"alias": "x"})) is None


@pytest.mark.parametrize("bad", [{"id": "AESC", "name": "x"}, {"id": "-x", "name": "x"},
                                 {"id": "aesc", "name": "  "},
                                 {"id": "aesc", "name": "x", "country": "Japan"},
                                 {"id": "aesc", "name": "x", "ceo": "y"}])
def test_a_company_spec_refuses_bad_ids_names_and_countries(bad):
    with pytest.raises(ValidationError):
        CompanySpec(**bad)
