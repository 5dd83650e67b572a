"""Chinese runs are indexed and queried as overlapping bigrams; user input never reaches
FTS5 syntax."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from timeline.search import index_text, match_query


def test_a_chinese_run_is_indexed_as_overlapping_bigrams_then_its_last_character():
    assert index_text("远景动力宣布").split() == ["远景", "景动", "动力", "力宣", "宣布", "布"]


def test_text_without_chinese_is_indexed_as_it_is():
    assert index_text("AESC plans a 40 GWh plant, at last") == "AESC plans a 40 GWh plant, at last"
    assert index_text("") == ""
    assert index_text("Grünheide").split() == ["Grünheide"]


def test_traditional_characters_are_folded_before_the_bigrams_are_made():
    assert index_text("遠景動力").split() == ["远景", "景动", "动力", "力"]
    assert index_text("寧德時代 expands").split() == ["宁德", "德时", "时代", "代", "expands"]


def test_latin_words_are_indexed_as_written_beside_chinese():
    assert index_text("远景AESC在英国建厂").split() == [
        "远景", "景", "AESC", "在英", "英国", "国建", "建厂", "厂"]


def test_a_one_character_query_finds_the_character_wherever_it_stands(app):
    from timeline.commands import EventInput

    app.timeline.add_event(EventInput(type="factory", companies=[("aesc", None)], date="2024",
                                      title="远景动力新工厂"))
    for character in ("远", "工", "厂"):
        assert [e["title"] for e in app.queries.search(character)] == ["远景动力新工厂"], character


def test_a_chinese_query_is_a_phrase_of_bigrams_and_latin_words_are_quoted():
    assert match_query("远景动力") == '"远景 景动 动力"'
    assert match_query("gigafactory UK") == '"gigafactory" AND "UK"'
    assert match_query("远景 gigafactory") == '"远景" AND "gigafactory"'


def test_a_single_chinese_character_is_a_prefix_query():
    assert match_query("厂") == '"厂"*'


@pytest.mark.parametrize("hostile", ['"', "NEAR(a b)", "a OR b*", "title:x", "-x", "(((", "^"])
def test_fts_syntax_in_a_query_is_neutralised(hostile):
    expression = match_query(hostile)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
    conn.execute("INSERT INTO t VALUES ('a b x title')")
    if expression is not None:
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (expression,)).fetchall()  # no error


def test_an_empty_query_matches_nothing():
    assert match_query("   ") is None
    assert match_query("!!!") is None


def _searchable(*texts: str) -> Callable[[str], list[int]]:
    """An FTS5 table, tokenised as the event index is, holding `texts` as rows 1, 2, ...;
    returns what a query finds in it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (body, tokenize = 'porter unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)",
                     [(row, index_text(text)) for row, text in enumerate(texts, start=1)])
    return lambda q: [r[0] for r in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (match_query(q),))]


def test_bigram_index_finds_a_chinese_word_inside_a_longer_run():
    found = _searchable("远景动力宣布建设新工厂", "宁德时代扩产")
    assert found("远景") == [1]
    assert found("新工厂") == [1]
    assert found("景新") == []
    assert found("时代") == [2]


def test_full_width_letters_are_the_letters_on_both_sides():
    found = _searchable("ＬＧＥＳ Ｗｒｏｃｌａｗ expansion", "CATL 扩产")
    assert found("lges wroclaw") == [1]
    assert found("ＣＡＴＬ") == [2]


def test_what_the_index_is_given_changes_only_with_the_projection_version():
    """The full-text index is contentless: it deletes an event's old entry only when handed
    back exactly what `index_text` gave it. Indexing text differently without a new
    projection version (which rebuilds the index) would leave stale entries behind, so
    this pins the two together: change one, change the other and this test."""
    from timeline.storage.schema import PROJECTION_VERSION

    assert (PROJECTION_VERSION, index_text("遠景動力宣布 ＡＥＳＣ gigafactory")) == (
        6, " 远景 景动 动力 力宣 宣布 布  AESC gigafactory")
