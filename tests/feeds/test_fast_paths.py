"""The shortcuts the feed stages take for speed give the answers of the plain spellings
they stand for.

Each shortcut (a cheap test before a search, a pattern rewritten so the engine can skip
ahead, one walk over an article instead of one per sentence) is compared with the plain
form it replaces, on generated text built from the characters and words that matter to
it, and on the test articles. (The last test pins a sentence that made date finding fail.)
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import feeds.extract as extract_module
from feeds import identity, parse
from feeds.extract import dates, drafts, figures, frames, places, text, triggers

DATA = Path(__file__).resolve().parents[1] / "data" / "articles"
ARTICLES = sorted(p for p in DATA.iterdir() if p.suffix in (".txt", ".md"))


def _words(*words: str) -> st.SearchStrategy[str]:
    """Text made of the given pieces, in any order and number."""
    return st.lists(st.sampled_from(words), max_size=12).map("".join)


def _span(data: st.DataObject, size: int) -> tuple[int, int]:
    start = data.draw(st.integers(0, size))
    return start, data.draw(st.integers(start, size))


# -- sentences and clauses ------------------------------------------------------------------

def _plain_clauses(source: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in text._CLAUSE_BREAK.finditer(source, start, end):
        if match.start() > cursor:
            spans.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return tuple(spans) or ((start, end),)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \t\u3000\xa0—–,，；;:：a10２", max_size=16)
       | _words(" — ", " – ", "—", "——", " ", "a", ",", ", ", "1,000", "，"), st.data())
def test_clauses_break_where_the_plain_pattern_does(source: str, data: st.DataObject) -> None:
    start, end = _span(data, len(source))
    clauses, ends = text._clauses(source, start, end)
    assert clauses == _plain_clauses(source, start, end)
    assert ends == tuple(e for _, e in clauses)


@pytest.mark.parametrize("source", ["a — b", "a — — b", "a — — — b", "a——b", "a —— b", "a – b", "a —\tb — c",
                                    " — x", "— a", "a — ", "x ,— y", "1,000, 2", "a\u3000—\u3000b"])
def test_clauses_around_dashes(source: str) -> None:
    for start in range(len(source) + 1):
        for end in range(start, len(source) + 1):
            assert text._clauses(source, start, end)[0] == _plain_clauses(source, start, end)


@pytest.mark.parametrize("article", ARTICLES, ids=[p.name for p in ARTICLES])
def test_clauses_of_every_article_sentence(article: Path) -> None:
    source = article.read_text(encoding="utf-8")
    for sentence in text.split_sentences(source):
        assert sentence.clauses == _plain_clauses(source, sentence.start, sentence.end)


# -- trigger words and status cues, one walk per article ------------------------------------

_PHRASE_WORDS = _words(" ", "\n", ". ", "。", "，", "The company ", "will ", "acquire ", "acquired ", "plans ",
                       "said ", "reportedly ", "收购", "已", "将", "宣布", "计划", "暂停", "工厂", "plant ",
                       "close its plant ", "IPO ", "ira ", "Tesla ", "2024 ", "$5 billion ", "in talks ")


def _assert_scan_agrees(source: str) -> None:
    found, sites = triggers.scan_phrases(source)
    assert found == triggers.find_triggers(source)
    for sentence in text.split_sentences(source):
        assert (triggers.find_cues(source, sentence.start, sentence.end, sites)
                == triggers.find_cues(source, sentence.start, sentence.end))


@settings(max_examples=300, deadline=None)
@given(_PHRASE_WORDS)
def test_one_walk_finds_the_triggers_and_the_cues_of_each_sentence(source: str) -> None:
    _assert_scan_agrees(source)


@settings(max_examples=300, deadline=None)
@given(_PHRASE_WORDS.map(lambda words: words.replace("d ", "ſd").replace("plan", "pla")), st.data())
def test_the_cues_of_any_span_even_inside_a_word(source: str, data: st.DataObject) -> None:
    _, sites = triggers.scan_phrases(source)
    start, end = _span(data, len(source))
    assert triggers.find_cues(source, start, end, sites) == triggers.find_cues(source, start, end)


@pytest.mark.parametrize("article", ARTICLES, ids=[p.name for p in ARTICLES])
def test_one_walk_over_every_article(article: Path) -> None:
    _assert_scan_agrees(article.read_text(encoding="utf-8"))


# -- cheap tests before searches ------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(_words(" ", "\n", "\t", "in ", "In ", "at ", "near ", "the ", "city of ", "northern ", "to", "x", "在", "位于",
              "落户", "于", "至", "工厂", "选址", "址"))
def test_locative_words_before_a_place(before: str) -> None:
    assert places._locative(before) == (places._LOCATIVE_BEFORE.search(before) is not None)


@settings(max_examples=300, deadline=None)
@given(_words(" ", "\n", "the ", "The ", "two ", "companies", "both ", "Both", "firms", "b", "t", "双方", "两家公司", "x"))
def test_plural_subjects(sentence: str) -> None:
    assert extract_module._plural(sentence) == (extract_module._PLURAL.search(sentence) is not None)


@settings(max_examples=300, deadline=None)
@given(_words(" ", "\u3000", "the ", "The ", "company", "it", "It", "İt", "ıts", "plant", "该公司", "工厂", "其", "x", ","),
       st.data())
def test_clauses_opening_with_a_reference(source: str, data: st.DataObject) -> None:
    if not source:
        return
    at = data.draw(st.integers(0, len(source) - 1))
    plain = (extract_module._OPENING_START.match(source, at) is not None
             and extract_module._OPENING.match(source, at) is not None)
    assert extract_module._opens_with_reference(source, at) == plain


@settings(max_examples=300, deadline=None)
@given(_words(" ", "\u3000", "'s ", "’s ", "' ", "s", "旗下", "下属", "持有的", "的", "子公司", "x"))
def test_owner_words_after_a_name(tail: str) -> None:
    plain = bool(frames._OWNER_EN.match(tail) or frames._OWNER_ZH.match(tail))
    assert frames._owner_words(tail) == plain


@settings(max_examples=300, deadline=None)
@given(_words(" ", "said ", "Said", "SAYS ", "ſaid ", "on Monday ", "that ", "announced", "表示", "称", "x", "."),
       st.data())
def test_reporting_verbs(source: str, data: st.DataObject) -> None:
    start, end = _span(data, len(source))
    plain = [r.end() for r in frames._REPORTING.finditer(source, start, end)]
    assert frames._reported_ends(source, start, end) == plain


@settings(max_examples=300, deadline=None)
@given(_words(" ", "build", "Built ", "open", "set up ", "SITED", "plans", "x", "建设", "落地", "选址", "ſelect"),
       st.data())
def test_building_words_near_a_plant(source: str, data: st.DataObject) -> None:
    start, end = _span(data, len(source))
    assert drafts._building(source, start, end) == (drafts._BUILD_VERB.search(source[start:end]) is not None)


def _without_lead(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A count pattern without the lookahead that leads it: the plain spelling."""
    source = re.sub(r"^\(\?=(?:\[[^\]]*\]|\\d)\)\(\?:", "", pattern.pattern)
    assert source != pattern.pattern and source.endswith(")")
    return re.compile(source[:-1], pattern.flags)


@settings(max_examples=300, deadline=None)
@given(_words(" ", "about ", "Up to ", "1,200", "3", ".5", " thousand", "k", " jobs", " vehicles", " workers",
              "cut ", "laid off ", "员工", "约", "2000", "万", "名", "个岗位", "辆", "裁员"))
def test_count_patterns_led_by_their_first_characters(source: str) -> None:
    for pattern in (figures._JOBS, figures._JOBS_CUT, figures._UNITS):
        plain = _without_lead(pattern)
        assert ([m.span() + tuple(m.groupdict().items()) for m in pattern.finditer(source)]
                == [m.span() + tuple(m.groupdict().items()) for m in plain.finditer(source)])


@settings(max_examples=200, deadline=None)
@given(_words(" ", "%", "51", "stake", "股权", "持股", "x"))
def test_stake_needs_a_percent_sign(source: str) -> None:
    match = figures._STAKE.search(source)
    plain = None if match is None else float(match["a"] or match["b"])
    found = figures.stake_pct(source, 0, len(source))
    assert found == (plain if plain is not None and 0 < plain <= 100 else None)


# -- identity and parsing -------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="aA\n。，中ＡＢ１™…ﬁ½\u0301\u0308\u0338=<\u1100\u1161\u11a8\uac00\u3000 ", max_size=14))
def test_nfkc_line_by_line(source: str) -> None:
    assert identity._nfkc(source) == unicodedata.normalize("NFKC", source)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_nfkc_of_any_text(source: str) -> None:
    assert identity._nfkc(source) == unicodedata.normalize("NFKC", source)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85\u2028\u3000\xa0ab", max_size=16))
def test_collapse(source: str) -> None:
    if "\n" not in source and "\r" not in source:
        plain = " ".join(source.split())
    else:
        plain = "\n".join(line for line in (" ".join(part.split()) for part in source.splitlines()) if line)
    assert parse.collapse(source) == plain


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=12).map(lambda noise: noise + b"xml:BaSe =" if noise[:1] == b"!" else noise)
       | st.lists(st.sampled_from([b"base", b"BASE", b"Base", b" ", b"\t", b"=", b"x", b"\xc3\xa9"]), max_size=8)
       .map(b"".join))
def test_base_attribute_in_any_case(document: bytes) -> None:
    plain = re.compile(rb"base\s*=", re.IGNORECASE).search(document) is not None
    assert (parse._BASE_ATTRIBUTE.search(document.lower()) is not None) == plain


def test_a_sentence_of_short_names_only_is_read() -> None:
    """No Chinese and no Latin word of three letters: no date spelling to look for (this
    used to raise), and the happening takes the publication day."""
    assert dates.find_dates("GM & VW JV", 0, 10, [0], None) == []
