"""Company mentions: exact alias matches in Chinese and English text, fuzzy ones only as
suggestions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.aliases import AliasIndex, fold_text
from timeline.companies import CompanySpec, lookup_key

COMPANIES = Path(__file__).resolve().parents[1] / "data" / "articles" / "companies.json"


@pytest.fixture(scope="module")
def index() -> AliasIndex:
    return AliasIndex(json.loads(COMPANIES.read_text(encoding="utf-8")))


def found(index: AliasIndex, text: str) -> list[tuple[str, str]]:
    return [(m.company, m.alias) for m in index.find(text)]


def test_chinese_alias_found_inside_unsegmented_text(index: AliasIndex) -> None:
    assert found(index, "据悉，中国能源企业远景集团又与红杉资本中国基金签署协议") == [
        ("envision", "远景集团"), ("sequoia-china", "红杉资本中国基金"),
    ]


def test_gm_does_not_match_inside_gmc(index: AliasIndex) -> None:
    assert found(index, "The GMC Hummer EV") == [("gmc", "GMC")]


def test_gmc_and_gm_in_one_sentence_stay_apart(index: AliasIndex) -> None:
    assert found(index, "GMC is a brand of GM, not of GMCs.") == [("gmc", "GMC"), ("gm", "GM")]


def test_latin_alias_needs_word_boundaries(index: AliasIndex) -> None:
    assert found(index, "BYDX and xBYD and BYD2 are not BYD.") == [("byd", "BYD")]


def test_latin_alias_matches_next_to_chinese_characters(index: AliasIndex) -> None:
    assert found(index, "远景收购AESC电池业务") == [("envision", "远景"), ("aesc", "AESC")]


def test_longest_match_wins_on_overlap(index: AliasIndex) -> None:
    # 远景AESC (aesc) contains both 远景 (envision) and AESC (aesc); the longer alias wins
    assert found(index, "远景AESC在日本设有工厂") == [("aesc", "远景AESC")]
    assert found(index, "Envision AESC said") == [("aesc", "Envision AESC")]


def test_case_and_width_are_folded(index: AliasIndex) -> None:
    assert found(index, "ＡＥＳＣ, aesc and Aesc") == [("aesc", "ＡＥＳＣ"), ("aesc", "aesc"), ("aesc", "Aesc")]


def test_traditional_chinese_text_matches_simplified_alias(index: AliasIndex) -> None:
    assert found(index, "寧德時代與遠景動力") == [("catl", "寧德時代"), ("aesc", "遠景動力")]


def test_offsets_map_back_to_the_original_text_after_folding(index: AliasIndex) -> None:
    # ß folds to "ss" and "ﬁ" to "fi": folded offsets differ from the original ones
    text = "Straße ﬁnal: ＬＧ Energy Solution und e\u0301 BYD"
    matches = index.find(text)
    assert [(m.company, text[m.start:m.end]) for m in matches] == [
        ("lges", "ＬＧ Energy Solution"), ("byd", "BYD"),
    ]
    assert all(m.alias == text[m.start:m.end] for m in matches)


def test_multiword_alias_matches_across_a_line_break(index: AliasIndex) -> None:
    assert found(index, "shares of LG Energy\nSolution rose") == [("lges", "LG Energy\nSolution")]


def test_daily_output_is_not_nissan(index: AliasIndex) -> None:
    assert found(index, "该工厂日产量达到1万只电芯") == []
    assert found(index, "日产汽车宣布") == [("nissan", "日产汽车")]


def test_misspelt_name_is_only_a_suggestion(index: AliasIndex) -> None:
    text = "Envison said Northvolts would file"
    assert index.find(text) == []
    suggestions = {(m.company, m.alias): m for m in index.suggest(text)}
    assert set(suggestions) == {("envision", "Envison"), ("northvolt", "Northvolts")}
    assert all(not m.exact and 0 < m.score < 1 for m in suggestions.values())


def test_chinese_name_one_character_off_is_only_a_suggestion(index: AliasIndex) -> None:
    text = "宁德时伐发布公告"
    assert index.find(text) == []
    assert [(m.company, m.exact) for m in index.suggest(text)] == [("catl", False)]


def test_suggestions_never_cover_exact_matches(index: AliasIndex) -> None:
    assert index.suggest("Northvolt and Envision AESC") == []


def test_alias_shared_by_two_companies_is_ambiguous_not_exact() -> None:
    index = AliasIndex([
        {"id": "sk-on", "name": "SK On", "aliases": ["SK"]},
        {"id": "sk-innovation", "name": "SK Innovation", "aliases": ["SK"]},
    ])
    assert index.find("SK said") == []
    assert {(m.company, m.exact) for m in index.suggest("SK said")} == {
        ("sk-on", False), ("sk-innovation", False),
    }


def test_index_is_built_from_company_specs() -> None:
    index = AliasIndex([CompanySpec(id="catl", name="CATL", aliases=["宁德时代"])])
    assert found(index, "宁德时代 (CATL)") == [("catl", "宁德时代"), ("catl", "CATL")]
    assert index.name_of("catl") == "CATL"
    assert index.name_of("unknown") == "unknown"


def test_fold_text_agrees_with_lookup_key_on_names() -> None:
    for name in ["Envision AESC", "遠景動力", "ＡＥＳＣ", "LG  Energy Solution", "Straße"]:
        assert " ".join(fold_text(name).text.split()) == lookup_key(name)


_PIECES = st.sampled_from([
    "AESC", "远景动力", "GM", "GMC", "宁德时代", "LG Energy Solution", "收购", " ", "，", "x", "Ｇ",
    "ß", "e\u0301", "\n", "日产量", "gmc", "遠景", "BYD", "2018年8月",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_every_match_quotes_the_original_text_and_folds_to_an_alias(text: str) -> None:
    index = AliasIndex(json.loads(COMPANIES.read_text(encoding="utf-8")))
    spans: list[tuple[int, int]] = []
    for match in index.find(text):
        assert match.alias == text[match.start:match.end]
        assert " ".join(fold_text(match.alias).text.split()) in index.aliases_of(match.company)
        assert all(match.start >= end or match.end <= start for start, end in spans)
        spans.append((match.start, match.end))


def test_long_term_plan_is_not_envision(index: AliasIndex) -> None:
    assert found(index, "公司发布远景规划") == []
    assert found(index, "远景集团发布规划") == [("envision", "远景集团")]
