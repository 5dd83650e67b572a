"""Extraction: from an article (Chinese or English) to the happenings it reports.

Two kinds of specification:

* articles under tests/data/articles/, each with `<name>.expected.json` beside it: the
  events that must be found (type, companies with roles, date and precision, status,
  amounts, capacity, typed fields, location, minimum confidence), the events that must
  not be found ("absent"), and optionally how many of a type there are ("count");
* behaviour tests below, named after what they pin down.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.aliases import AliasIndex
from feeds.extract import extract, triggers
from feeds.extract.phrases import Phrases
from feeds.extract.text import split_sentences
from feeds.types import Candidate, FeedItem
from timeline.events import EVENT_TYPES, validate_typed_fields
from timeline.quantities import CAPACITY_PATTERN, MONEY_PATTERN, find_capacities, find_money

DATA = Path(__file__).resolve().parents[1] / "data" / "articles"
SHARED_FEED = Path("/work/shared/samples/feed-zh-gb18030.xml")
ARTICLES = sorted(p for p in DATA.iterdir() if p.suffix in (".txt", ".md"))


@pytest.fixture(scope="module")
def index() -> AliasIndex:
    return AliasIndex(json.loads((DATA / "companies.json").read_text(encoding="utf-8")))


# -- loading article / expectation pairs --------------------------------------------------

def _expectation(article: Path) -> dict[str, Any]:
    path = article.with_name(article.name.rsplit(".", 1)[0] + ".expected.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_item(article: Path) -> FeedItem:
    """A FeedItem from an article file: first line the title (or YAML front matter)."""
    expected = _expectation(article)
    raw = article.read_text(encoding="utf-8")
    if expected.get("front_matter"):
        match = re.match(r"---\n(.*?)\n---\n", raw, re.S)
        assert match is not None
        heading = re.search(r"^title:\s*(.*)$", match.group(1), re.M)
        return FeedItem(feed="test", title=heading.group(1).strip() if heading else "", text=raw[match.end():],
                        published=expected["published"], language=expected.get("language"))
    first_line, _, body = raw.partition("\n")
    return FeedItem(feed="test", title=first_line.strip(), text=body.strip(), published=expected["published"],
                    language=expected.get("language"))


def _value(value: Any) -> Any:
    """Typed field values as the JSON expectation writes them (dates as YYYY[-MM[-DD]])."""
    if isinstance(value, dict) and "year" in value:
        text = f"{value['year']:04d}"
        if value.get("month"):
            text += f"-{value['month']:02d}"
        if value.get("day"):
            text += f"-{value['day']:02d}"
        return text
    return value


def _field_matches(expected: Any, actual: Any) -> bool:
    actual = _value(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(_field_matches(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return abs(expected - actual) < 1e-6 * max(1.0, abs(expected))
    return bool(expected == actual)


def matches(spec: dict[str, Any], c: Candidate) -> list[str]:
    """Why `c` does not satisfy `spec` (an empty list when it does)."""
    why: list[str] = []
    roles = {(m.company, m.role) for m in c.companies}
    ids = {m.company for m in c.companies}
    checks: list[tuple[bool, str]] = [
        (c.type == spec["type"], f"type {c.type}"),
        ("date" not in spec or str(c.date) == spec["date"], f"date {c.date}"),
        ("precision" not in spec or c.date.precision == spec["precision"], f"precision {c.date.precision}"),
        ("status" not in spec or c.status == spec["status"], f"status {c.status}"),
        ("date_is_target" not in spec or c.date_is_target == spec["date_is_target"], f"target {c.date_is_target}"),
        ("capacity_gwh" not in spec or c.capacity_gwh == spec["capacity_gwh"], f"capacity {c.capacity_gwh}"),
        ("country" not in spec or c.location.get("country") == spec["country"], f"location {c.location}"),
        ("location" not in spec or _field_matches(spec["location"], c.location), f"location {c.location}"),
        ("min_confidence" not in spec or c.confidence >= spec["min_confidence"], f"confidence {c.confidence}"),
        ("company" not in spec or spec["company"] in ids, f"companies {sorted(ids)}"),
        ("role" not in spec or (spec.get("company"), spec["role"]) in roles, f"roles {sorted(roles)}"),
    ]
    for company, role in spec.get("companies", {}).items():
        ok = company in ids if role == "*" else (company, role) in roles
        checks.append((ok, f"no {company} as {role} in {sorted(roles)}"))
    amounts = {(a.value, a.currency) for a in c.amounts}
    for value, currency in spec.get("amounts", []):
        checks.append(((float(value), currency) in amounts, f"no amount {value} {currency} in {sorted(amounts)}"))
    for name, value in spec.get("fields", {}).items():
        checks.append((_field_matches(value, c.fields.get(name)), f"{name}={c.fields.get(name)!r}"))
    why.extend(message for ok, message in checks if not ok)
    return why


def _describe(c: Candidate) -> str:
    companies = ", ".join(f"{m.company}:{m.role}" for m in c.companies)
    target = " (target)" if c.date_is_target else ""
    return f"{c.type} {c.date}{target} {c.status} [{companies}] {c.fields} {c.location} {c.confidence}"


@pytest.mark.parametrize("article", ARTICLES, ids=[p.name for p in ARTICLES])
def test_article_yields_the_expected_events(article: Path, index: AliasIndex) -> None:
    expected = _expectation(article)
    candidates = extract(load_item(article), index)
    listing = "\n  ".join(_describe(c) for c in candidates)
    for spec in expected["events"]:
        reasons = [matches(spec, c) for c in candidates if c.type == spec["type"]]
        assert any(not r for r in reasons), (
            f"{article.name}: no candidate matches {spec}\n  nearest misses: {reasons}\n  found:\n  {listing}"
        )


@pytest.mark.parametrize("article", ARTICLES, ids=[p.name for p in ARTICLES])
def test_article_yields_none_of_the_absent_events(article: Path, index: AliasIndex) -> None:
    expected = _expectation(article)
    candidates = extract(load_item(article), index)
    for spec in expected.get("absent", []):
        offending = [c for c in candidates if not matches(spec, c)]
        assert not offending, f"{article.name}: {spec} must not be found, got {[_describe(c) for c in offending]}"
    for kind, count in expected.get("count", {}).items():
        found = [c for c in candidates if c.type == kind]
        assert len(found) == count, f"{article.name}: {count} {kind} expected, got {[_describe(c) for c in found]}"


def test_articles_cover_every_event_type_in_both_languages() -> None:
    covered: dict[str, set[str]] = {}
    for article in ARTICLES:
        expected = _expectation(article)
        for spec in expected["events"]:
            covered.setdefault(spec["type"], set()).add(expected["language"])
    assert set(covered) == set(EVENT_TYPES)
    languages = {lang for langs in covered.values() for lang in langs}
    assert languages == {"zh", "en"}
    assert sum(1 for a in ARTICLES if _expectation(a)["language"] == "zh") >= 6
    assert sum(1 for a in ARTICLES if _expectation(a)["language"] == "en") >= 6


@pytest.mark.parametrize("article", ARTICLES, ids=[p.name for p in ARTICLES])
def test_every_candidate_is_well_formed(article: Path, index: AliasIndex) -> None:
    item = load_item(article)
    for c in extract(item, index):
        etype = EVENT_TYPES[c.type]
        assert c.companies and all(m.role in etype.roles and m.exact for m in c.companies)
        assert all(m.role in etype.roles and not m.exact for m in c.suggestions)
        assert validate_typed_fields(etype, c.fields) == c.fields
        assert 0 <= c.confidence <= 1
        assert c.quote and c.quote in (item.title + "\n" + item.text)
        assert c.title
        assert not c.date_is_target or c.status == "announced"


# -- behaviour -------------------------------------------------------------------------------

def run(index: AliasIndex, text: str, published: str = "2024-03-05T09:00:00+00:00", title: str = "",
        language: str | None = None) -> list[Candidate]:
    return extract(FeedItem(feed="t", title=title, text=text, published=published, language=language), index)


def only(candidates: list[Candidate], kind: str) -> Candidate:
    found = [c for c in candidates if c.type == kind]
    assert len(found) == 1, [_describe(c) for c in candidates]
    return found[0]


def roles(c: Candidate) -> dict[str, str]:
    return {m.company: m.role for m in c.companies}


def test_target_year_is_not_a_past_event(index: AliasIndex) -> None:
    zh = only(run(index, "宁德时代计划于2025年在匈牙利德布勒森建成电池工厂并投产。", "2022-09-05T08:00:00+08:00"), "factory")
    assert (str(zh.date), zh.date_is_target, zh.status) == ("2025", True, "announced")
    en = only(run(index, "Ford will start production at its Michigan battery plant in 2026."), "factory")
    assert (str(en.date), en.date_is_target, en.status) == ("2026", True, "announced")
    by = only(run(index, "BYD aims to build a battery factory in Hungary by 2030."), "factory")
    assert by.date_is_target and by.status == "announced"


def test_past_year_in_a_plan_is_still_a_past_year(index: AliasIndex) -> None:
    c = only(run(index, "CATL announced plans in September 2022 to build a plant in Debrecen."), "factory")
    assert (str(c.date), c.date_is_target) == ("2022-09", False)


def test_history_is_dated_in_the_past_not_at_publication(index: AliasIndex) -> None:
    c = only(run(index, "2018年8月，远景集团收购了日产汽车旗下的AESC。", "2019-01-02T12:00:00+08:00"), "acquisition")
    assert (str(c.date), c.date.precision, c.status) == ("2018-08", "month", "completed")


def test_chinese_dates_keep_their_precision(index: AliasIndex) -> None:
    month = only(run(index, "2011年9月，宁德时代收购了国轩高科。"), "acquisition")
    assert (str(month.date), month.date.precision) == ("2011-09", "month")
    late = only(run(index, "2015年底，宁德时代收购了国轩高科。"), "acquisition")
    assert (str(late.date), late.date.precision, late.date.note) == ("2015", "year", "late")
    day = only(run(index, "2024年3月5日，宁德时代收购了国轩高科。"), "acquisition")
    assert (str(day.date), day.date.precision) == ("2024-03-05", "day")


@pytest.mark.parametrize("sentence, date, precision", [
    ("On 5 March 2024 Tesla acquired Northvolt.", "2024-03-05", "day"),
    ("Tesla acquired Northvolt on March 5, 2024.", "2024-03-05", "day"),
    ("Tesla acquired Northvolt in March 2010.", "2010-03", "month"),
    ("Tesla acquired Northvolt in 2010.", "2010", "year"),
    ("Tesla acquired Northvolt in early 2019.", "2019", "year"),
])
def test_english_dates_keep_their_precision(index: AliasIndex, sentence: str, date: str, precision: str) -> None:
    c = only(run(index, sentence, "2024-06-01T00:00:00+00:00"), "acquisition")
    assert (str(c.date), c.date.precision, c.date_is_target) == (date, precision, False)


@pytest.mark.parametrize("sentence, date", [
    ("宁德时代今日宣布收购国轩高科。", "2024-03-06"),
    ("宁德时代日前宣布收购国轩高科。", "2024-03-06"),
    ("CATL said yesterday it had acquired Gotion.", "2024-03-05"),
    ("CATL acquired Gotion on Monday.", "2024-03-04"),
    ("CATL agreed this week to acquire Gotion.", "2024-03-06"),
])
def test_relative_words_resolve_against_publication(index: AliasIndex, sentence: str, date: str) -> None:
    # 2024-03-06 is a Wednesday
    c = only(run(index, sentence, "2024-03-06T10:00:00+00:00"), "acquisition")
    assert str(c.date) == date and c.date.precision == "day"


@pytest.mark.parametrize("sentence, date, status", [
    ("CATL said on July 30, 2025 it had signed a $4.3 billion deal to supply battery cells to "
     "Tesla from August 2027 to July 2030.", "2025-07-30", "announced"),
    ("CATL will supply cells to Tesla from 2027 to 2030, the company said on Tuesday.",
     "2025-07-29", "announced"),
])
def test_the_term_of_a_deal_is_not_its_date(index: AliasIndex, sentence: str, date: str,
                                            status: str) -> None:
    """"from A to B" says when a deal runs; the deal is dated when it was made or told."""
    c = only(run(index, sentence, "2025-07-31T08:00:00+00:00"), "supply_deal")
    assert (str(c.date), c.date_is_target, c.status) == (date, False, status)


@pytest.mark.parametrize("sentence, status, title", [
    ("CATL is in talks to buy a stake in Northvolt, people familiar with the matter said.",
     "rumored", "CATL may acquire Northvolt"),
    ("CATL agreed to acquire Northvolt for $2 billion.", "announced", "CATL to acquire Northvolt"),
    ("CATL acquired Northvolt in March 2024.", "completed", "CATL acquires Northvolt"),
])
def test_an_acquisitions_title_says_how_far_it_got(index: AliasIndex, sentence: str, status: str,
                                                   title: str) -> None:
    c = only(run(index, sentence, "2025-07-31T08:00:00+00:00"), "acquisition")
    assert (c.status, c.title) == (status, title)


def test_undated_happening_takes_the_publication_day(index: AliasIndex) -> None:
    c = only(run(index, "宁德时代宣布收购国轩高科。", "2024-03-06T23:30:00+00:00"), "acquisition")
    assert str(c.date) == "2024-03-06"


@pytest.mark.parametrize("sentence, expected", [
    ("远景集团收购日产汽车旗下AESC。", {"envision": "acquirer", "aesc": "target", "nissan": "seller"}),
    ("AESC被远景集团收购。", {"envision": "acquirer", "aesc": "target"}),
    ("日产汽车将AESC出售给远景集团。", {"nissan": "seller", "aesc": "target", "envision": "acquirer"}),
    ("Envision acquired AESC from Nissan.", {"envision": "acquirer", "aesc": "target", "nissan": "seller"}),
    ("AESC was acquired by Envision.", {"envision": "acquirer", "aesc": "target"}),
    ("Nissan sold AESC to Envision.", {"nissan": "seller", "aesc": "target", "envision": "acquirer"}),
    ("Envision bought Nissan's battery unit AESC.", {"envision": "acquirer", "aesc": "target", "nissan": "seller"}),
    ("After buying AESC from Nissan, Envision announced new plants.",
     {"envision": "acquirer", "aesc": "target", "nissan": "seller"}),
    ("In 2019, Nissan sold its battery unit AESC to Envision for $1 billion.",
     {"nissan": "seller", "aesc": "target", "envision": "acquirer"}),
    ("Nissan sold its battery-making unit AESC to Envision in 2018.",
     {"nissan": "seller", "aesc": "target", "envision": "acquirer"}),
    ("Nissan sold its lithium-ion battery unit AESC to Envision in 2018.",
     {"nissan": "seller", "aesc": "target", "envision": "acquirer"}),
    ("Nissan sold its battery cell unit AESC to Envision in 2018.",
     {"nissan": "seller", "aesc": "target", "envision": "acquirer"}),
])
def test_acquisition_roles_follow_sentence_structure(index: AliasIndex, sentence: str,
                                                     expected: dict[str, str]) -> None:
    assert roles(only(run(index, sentence), "acquisition")) == expected


@pytest.mark.parametrize("sentence, expected", [
    ("In May 2023, CATL opened a battery factory in Hungary.", {"catl": "operator"}),
    ("In 2019, Northvolt broke ground on a 16 GWh plant.", {"northvolt": "operator"}),
    ("On Monday, CATL acquired Gotion.", {"catl": "acquirer", "gotion": "target"}),
    ("In May 2023 CATL opened a battery factory in Hungary.", {"catl": "operator"}),
])
def test_a_date_leading_the_sentence_does_not_hide_its_subject(index: AliasIndex, sentence: str,
                                                              expected: dict[str, str]) -> None:
    """"In May 2023, CATL …": the "in" of the date ends at the comma; CATL is the doer."""
    [candidate] = run(index, sentence, "2024-03-06T10:00:00+00:00")
    assert roles(candidate) == expected


@pytest.mark.parametrize("title", [
    "CATL",                                   # a tag, not the body's first sentence
    "CATL opened a 4 GWh plant in Hungary",   # the sentence's start, not all of it
    "CATL:",
])
def test_a_headline_is_the_bodys_first_line_only_when_it_ends_there(
        index: AliasIndex, title: str) -> None:
    body = "CATL opened a 4 GWh plant in Hungary in May 2023."
    c = only(run(index, body, title=title), "factory")
    assert roles(c) == {"catl": "operator"} and str(c.date) == "2023-05"


@pytest.mark.parametrize("sentence, status", [
    ("CATL opened a 4 GWh plant in Hungary in May 2023.", "completed"),
    ("CATL inaugurated its battery factory in Debrecen on Monday.", "completed"),
    ("CATL will open a battery factory in Hungary in 2026.", "announced"),
    ("CATL plans to open a 4 GWh plant in Hungary.", "announced"),
    ("Panasonic has not yet opened its 30 GWh battery plant in Kansas.", "announced"),
    ("Britishvolt never opened its 38 GWh battery factory in Blyth.", "announced"),
    ("CATL hasn't opened its 4 GWh plant in Hungary.", "announced"),
    ("Panasonic has not officially opened its 30 GWh battery plant in Kansas.", "announced"),
    ("CATL has not yet fully commissioned its 100 GWh plant in Debrecen.", "announced"),
    ("Britishvolt had never formally opened a battery factory in Blyth.", "announced"),
    ("CATL has not yet started production at its plant in Debrecen.", "announced"),
    ("宁德时代匈牙利德布勒森工厂尚未建成投产。", "announced"),
    ("宁德时代德布勒森电池工厂尚未建成投产。", "announced"),
    ("宁德时代德布勒森电池工厂已建成投产。", "completed"),
])
def test_a_plant_opened_is_running(index: AliasIndex, sentence: str, status: str) -> None:
    assert only(run(index, sentence), "factory").status == status


def test_stake_is_a_typed_field(index: AliasIndex) -> None:
    en = only(run(index, "Volkswagen acquires a 26% stake in Gotion for €1.1 billion."), "acquisition")
    assert roles(en) == {"volkswagen": "acquirer", "gotion": "target"}
    assert en.fields["stake_pct"] == 26 and en.fields["price"]["value"] == 1.1e9
    zh = only(run(index, "大众汽车以约11亿欧元认购国轩高科26.47%的股份。"), "acquisition")
    assert zh.fields["stake_pct"] == 26.47 and zh.fields["price"] == {
        "value": 1.1e9, "currency": "EUR", "approximate": True}


@pytest.mark.parametrize("sentence, expected", [
    ("红杉中国向远景动力投资5亿元。", {"sequoia-china": "investor", "aesc": "investee"}),
    ("红杉中国战略投资远景AESC。", {"sequoia-china": "investor", "aesc": "investee"}),
    ("远景动力获得红杉中国投资。", {"sequoia-china": "investor", "aesc": "investee"}),
    ("远景动力完成10亿元融资，红杉中国领投。", {"sequoia-china": "lead", "aesc": "investee"}),
    ("Volkswagen invested $500 million in Northvolt.", {"volkswagen": "investor", "northvolt": "investee"}),
    ("Northvolt raised $1 billion in a round led by Volkswagen.", {"volkswagen": "lead", "northvolt": "investee"}),
])
def test_investment_roles_follow_sentence_structure(index: AliasIndex, sentence: str,
                                                    expected: dict[str, str]) -> None:
    assert roles(only(run(index, sentence), "investment")) == expected


def test_money_goes_to_the_field_of_its_type(index: AliasIndex) -> None:
    invest = only(run(index, "Volkswagen invested $500 million in Northvolt."), "investment")
    assert invest.fields["amount"]["value"] == 5e8
    plant = only(run(index, "CATL will invest €7.3 billion to build a 100 GWh plant in Debrecen."), "factory")
    assert plant.fields["investment"] == {"value": 7.3e9, "currency": "EUR", "approximate": False}
    assert not [c for c in run(index, "CATL will invest €7.3 billion to build a 100 GWh plant.") if c.type == "investment"]
    bust = only(run(index, "Northvolt, which owes $5.8 billion, filed for Chapter 11."), "bankruptcy")
    assert bust.fields == {"procedure": "Chapter 11", "debt": {"value": 5.8e9, "currency": "USD", "approximate": False}}
    listing = only(run(index, "LG Energy Solution raised 12.75 trillion won in its IPO on the Korea Exchange."), "ipo")
    assert listing.fields["raised"]["value"] == 1.275e13 and listing.fields["exchange"] == "KRX"


def test_capacity_goes_to_the_factory_and_volume_to_the_supply_deal(index: AliasIndex) -> None:
    plant = only(run(index, "宁德时代将在德布勒森建设产能100GWh的电池工厂。"), "factory")
    assert plant.capacity_gwh == 100 and plant.fields["capacity_gwh"] == 100
    deal = only(run(index, "CATL signed a supply agreement with BMW for 20 GWh of cells a year."), "supply_deal")
    assert deal.fields["volume_gwh"] == 20 and deal.capacity_gwh == 20
    mwh = only(run(index, "Tesla will build a factory in Shanghai making 500 MWh of Megapacks."), "factory")
    assert mwh.capacity_gwh == 0.5


def test_supply_direction_follows_the_verb(index: AliasIndex) -> None:
    assert roles(only(run(index, "宁德时代将为宝马供应电池。"), "supply_deal")) == {"catl": "supplier", "bmw": "customer"}
    assert roles(only(run(index, "Tesla will buy battery cells from Panasonic."), "supply_deal")) == {
        "tesla": "customer", "panasonic": "supplier"}


def test_an_agreement_without_direction_is_less_certain(index: AliasIndex) -> None:
    vague = only(run(index, "CATL signed a supply agreement with BMW on Monday."), "supply_deal")
    clear = only(run(index, "CATL will supply BMW with battery cells from Monday, 4 March 2024."), "supply_deal")
    assert vague.confidence < clear.confidence


def test_location_comes_from_the_gazetteer(index: AliasIndex) -> None:
    wuxi = only(run(index, "远景动力宣布在无锡建设电池工厂。"), "factory")
    assert wuxi.location == {"country": "CN", "region": "Jiangsu", "city": "Wuxi"}
    sunderland = only(run(index, "Envision AESC will build a gigafactory in Sunderland."), "factory")
    assert sunderland.location == {"country": "GB", "region": "England", "city": "Sunderland"}
    several = only(run(index, "远景AESC宣布在日本、美国、英国建设工厂。"), "factory")
    assert several.location == {}


def test_a_place_named_only_as_origin_is_not_the_location(index: AliasIndex) -> None:
    c = only(run(index, "China's CATL will build a plant in Debrecen, Hungary."), "factory")
    assert c.location["country"] == "HU"


@pytest.mark.parametrize("sentence, kind", [
    ("宁德时代宣布收购国轩高科。", "acquisition"),
    ("Tesla agreed to take over Northvolt.", "acquisition"),
    ("红杉中国向远景动力战略投资。", "investment"),
    ("比亚迪与宁德时代成立合资公司。", "partnership"),
    ("Ford and CATL formed a joint venture.", "partnership"),
    ("宁德时代与宝马签署供货协议。", "supply_deal"),
    ("Panasonic signed a contract to supply Tesla.", "supply_deal"),
    ("比亚迪宣布在匈牙利建设超级工厂。", "factory"),
    ("Northvolt will build a gigafactory in Heide.", "factory"),
    ("福特宣布关闭其电池工厂。", "factory_closure"),
    ("Ford will close its plant in Saarlouis.", "factory_closure"),
    ("诺斯伏特申请破产。", "bankruptcy"),
    ("Britishvolt entered administration.", "bankruptcy"),
    ("Northvolt sought insolvency protection.", "bankruptcy"),
    ("欧盟委员会宣布对电动汽车征收关税。", "policy"),
    ("The US Treasury published rules for the tax credit.", "policy"),
    ("The European Commission proposed a ban on combustion cars.", "policy"),
    ("欧盟宣布新的电池补贴。", "policy"),
    ("特斯拉召回部分车辆。", "recall"),
    ("Ford recalled 20,000 vehicles.", "recall"),
    ("宁德时代在港交所上市。", "ipo"),
    ("LG Energy Solution completed its IPO.", "ipo"),
    ("宁德时代任命周佳为总经理。", "leadership_change"),
    ("Northvolt appointed Pia Aaltonen-Forsell as chief financial officer.", "leadership_change"),
    ("Peter Carlsson stepped down as CEO of Northvolt.", "leadership_change"),
    ("宁德时代成立于2011年。", "founding"),
    ("Northvolt was founded in 2016.", "founding"),
    ("AESC更名为远景动力。", "rebrand"),
    ("AESC was renamed Envision AESC in 2019.", "rebrand"),
])
def test_every_type_is_recognised_in_both_languages(index: AliasIndex, sentence: str, kind: str) -> None:
    assert kind in [c.type for c in run(index, sentence)], [_describe(c) for c in run(index, sentence)]


def test_policy_roles_go_to_government_bodies_only(index: AliasIndex) -> None:
    c = only(run(index, "The European Commission imposed tariffs of 17% on BYD and 7.8% on Tesla."), "policy")
    assert roles(c) == {"eu": "authority"}
    assert c.fields["instrument"] == "tariff"


def test_policy_effective_date_is_a_field_not_the_event_date(index: AliasIndex) -> None:
    c = only(run(index, "欧盟10月29日宣布征收关税，新关税将于10月30日起生效。", "2024-10-29T12:00:00+08:00"), "policy")
    assert str(c.date) == "2024-10-29" and not c.date_is_target
    assert _value(c.fields["effective_date"]) == "2024-10-30"


def test_leadership_change_names_the_person_and_titles(index: AliasIndex) -> None:
    out = only(run(index, "Peter Carlsson stepped down as chief executive of Northvolt."), "leadership_change")
    assert out.fields == {"person": "Peter Carlsson", "from_title": "CEO"}
    zh = only(run(index, "LG新能源任命金东明为首席执行官。"), "leadership_change")
    assert zh.fields == {"person": "金东明", "to_title": "CEO"}


def test_rebrand_keeps_both_names(index: AliasIndex) -> None:
    c = only(run(index, "2019年，AESC正式更名为远景AESC。"), "rebrand")
    assert c.fields == {"former_name": "AESC", "new_name": "远景AESC"} and roles(c) == {"aesc": "company"}


def test_founding_without_a_written_date_is_not_proposed(index: AliasIndex) -> None:
    assert [c for c in run(index, "宁德时代成立以来发展迅速。") if c.type == "founding"] == []


def test_recall_counts_units(index: AliasIndex) -> None:
    assert only(run(index, "福特召回约4.9万辆电动车。"), "recall").fields["units"] == 49000
    assert only(run(index, "GM is recalling 140,000 Chevrolet Bolt EVs."), "recall").fields["units"] == 140000


def test_jobs_created_and_jobs_cut_are_kept_apart(index: AliasIndex) -> None:
    plant = only(run(index, "Panasonic will build a $4 billion plant in Kansas, creating 4,000 jobs."), "factory")
    assert plant.fields["jobs"] == 4000
    cut = only(run(index, "诺斯伏特宣布关闭工厂并裁员1600人。"), "factory_closure")
    assert cut.fields["jobs_cut"] == 1600


def test_several_happenings_in_one_article_become_several_candidates(index: AliasIndex) -> None:
    text = ("宁德时代宣布在德布勒森建设100GWh电池工厂。"
            "同日，宁德时代与梅赛德斯-奔驰签署供货协议。"
            "此外，特斯拉召回了约1万辆汽车。")
    assert sorted(c.type for c in run(index, text)) == ["factory", "recall", "supply_deal"]


def test_sentences_about_one_happening_are_merged(index: AliasIndex) -> None:
    text = ("Envision acquired AESC from Nissan in August 2018. "
            "The acquisition of AESC by Envision was welcomed by investors. "
            "Nissan sold AESC to Envision to focus on cars.")
    c = only(run(index, text), "acquisition")
    assert str(c.date) == "2018-08" and roles(c) == {"envision": "acquirer", "aesc": "target", "nissan": "seller"}


def test_two_different_factories_stay_apart(index: AliasIndex) -> None:
    text = ("CATL will build a 100 GWh plant in Debrecen. "
            "CATL also opened a 14 GWh plant in Arnstadt in 2022.")
    plants = [c for c in run(index, text) if c.type == "factory"]
    assert sorted(c.location["city"] for c in plants) == ["Arnstadt", "Debrecen"]


def test_undated_look_back_is_not_dated_at_publication(index: AliasIndex) -> None:
    # "曾" (once, before): the happening has a date, just not this one
    assert run(index, "诺斯伏特曾获得大众汽车的投资。", "2025-03-12T00:00:00+08:00") == []


def test_unregistered_companies_give_no_candidates(index: AliasIndex) -> None:
    assert run(index, "电广传媒与华为在长沙共同签署《战略合作协议》。") == []
    assert run(index, "Acme Batteries acquired Foo Cells for $10 million.") == []


def test_quote_is_the_whole_sentence(index: AliasIndex) -> None:
    text = "Other news first. Volkswagen invested $500 million in Northvolt. More news after."
    c = only(run(index, text), "investment")
    assert c.quote == "Volkswagen invested $500 million in Northvolt."


def test_sentences_split_with_care_for_decimals_and_abbreviations() -> None:
    text = "CATL invests €7.3 bn. in the U.S. and Hungary. Mr. Zeng said so! 宁德时代投资3.5亿元。比亚迪也是；对吗？"
    assert [s.text for s in split_sentences(text)] == [
        "CATL invests €7.3 bn. in the U.S. and Hungary.", "Mr. Zeng said so!", "宁德时代投资3.5亿元。",
        "比亚迪也是；", "对吗？",
    ]


def test_confidence_rewards_evidence(index: AliasIndex) -> None:
    strong = only(run(index, "On 5 March 2024 Volkswagen acquired a 26% stake in Gotion for €1.1 billion."), "acquisition")
    weak = only(run(index, "宁德时代与宝马合作。"), "partnership")
    assert strong.confidence >= 0.9 > 0.6 > weak.confidence


def test_fuzzy_company_is_a_suggestion_never_a_role(index: AliasIndex) -> None:
    c = only(run(index, "Volkswagen acquired a 20% stake in Northvolts for $1 billion."), "acquisition")
    assert roles(c) == {"volkswagen": "acquirer"}
    assert [(m.company, m.role, m.exact) for m in c.suggestions] == [("northvolt", "target", False)]


def test_gb18030_feed_item_gives_the_same_events_as_the_article(index: AliasIndex) -> None:
    feedparser = pytest.importorskip("feedparser")
    if not SHARED_FEED.exists():
        pytest.skip("shared samples are not mounted")
    entry = feedparser.parse(SHARED_FEED.read_bytes()).entries[0]
    html = entry.content[0].value
    text = re.sub(r"<[^>]+>", "\n", re.sub(r"&lt;.*?&gt;", "", html))
    item = FeedItem(feed="sample", title=entry.title, text=text, published="2019-01-02T12:23:20+00:00",
                    language="zh")
    from_feed = {(c.type, str(c.date), tuple(sorted(roles(c).items()))) for c in extract(item, index)}
    article = DATA / "news-zh-aesc-sequoia.md"
    from_article = {(c.type, str(c.date), tuple(sorted(roles(c).items())))
                    for c in extract(load_item(article), index)}
    assert from_feed == from_article


_WORDS = st.sampled_from([
    "宁德时代", "比亚迪", "Tesla", "GM", "GMC", "收购", "acquired", "投资", "invested in", "工厂", "plant",
    "2018年8月", "in March 2010", "by 2030", "到2030年", "20GWh", "3.5亿英镑", "$750 million", "，", "。", ". ",
    "51%股权", "召回", "recall", "破产", "Chapter 11", "更名为", "renamed", "成立于", "founded in 2016",
    "上市", "IPO", "关税", "tariffs", "与", " and ", "被", "from", "to", "在无锡", "in Sunderland", "今日", "\n",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=25).map("".join),
       st.sampled_from([None, "2024-03-06T10:00:00+00:00", "2019-01-02T12:23:20+08:00"]))
def test_extract_never_fails_and_always_returns_valid_candidates(text: str, published: str | None) -> None:
    index = AliasIndex(json.loads((DATA / "companies.json").read_text(encoding="utf-8")))
    for c in extract(FeedItem(feed="t", text=text, published=published), index):
        etype = EVENT_TYPES[c.type]
        assert all(m.role in etype.roles for m in c.companies)
        assert validate_typed_fields(etype, c.fields) == c.fields
        assert c.quote in text
        assert not (c.date_is_target and c.status != "announced")


def test_founded_as_a_venture_does_not_found_the_partner(index: AliasIndex) -> None:
    found = [c for c in run(index, "| 2007 | Founded as Nissan-NEC JV |") if c.type == "founding"]
    assert found == []


def test_headline_repeated_by_the_body_gives_one_candidate(index: AliasIndex) -> None:
    title = "Volkswagen invests $500 million in Northvolt"
    body = "Volkswagen invested $500 million in Northvolt on Monday, the companies said."
    alone = only(run(index, body), "investment")
    both = only(run(index, body, title=title), "investment")
    assert both.quote == body and both.confidence >= alone.confidence


def test_a_lead_paragraph_printed_twice_is_read_once(index: AliasIndex) -> None:
    lead = "宁德时代宣布收购国轩高科。"
    c = only(run(index, lead + "\n" + lead), "acquisition")
    assert roles(c) == {"catl": "acquirer", "gotion": "target"}


def _alternation_search(patterns: list[str], text: str) -> list[tuple[int, int, int]]:
    combined = re.compile("|".join(f"(?P<p{i}>{p})" for i, p in enumerate(patterns)), re.I)
    return [(int(m.lastgroup[1:]), m.start(), m.end()) for m in combined.finditer(text) if m.lastgroup]


@pytest.mark.parametrize("article", ARTICLES, ids=[p.name for p in ARTICLES])
def test_fast_phrase_search_equals_one_alternation(article: Path) -> None:
    """`feeds.extract.phrases.Phrases` must find what a plain alternation finds."""
    text = article.read_text(encoding="utf-8")
    patterns = [rule[3] for rule in triggers._RULES]
    fast = [(i, m.start(), m.end()) for i, m in Phrases(patterns).finditer(text)]
    assert fast == _alternation_search(patterns, text)
    money = Phrases([MONEY_PATTERN.pattern])
    assert [m.span() for _, m in money.finditer(text)] == [m.span() for m, _ in find_money(text)]
    capacity = Phrases([CAPACITY_PATTERN.pattern])
    assert [m.span() for _, m in capacity.finditer(text)] == [m.span() for m, _ in find_capacities(text)]


@pytest.mark.parametrize("sentence, expected", [
    ("2018年8月，远景科技集团完成对AESC的收购。", {"envision": "acquirer", "aesc": "target"}),
    ("The acquisition of AESC by Envision closed in 2019.", {"envision": "acquirer", "aesc": "target"}),
])
def test_acquisition_named_as_a_noun_keeps_its_roles(index: AliasIndex, sentence: str,
                                                     expected: dict[str, str]) -> None:
    assert roles(only(run(index, sentence), "acquisition")) == expected


def test_a_known_plan_named_beside_another_happening_is_not_a_factory(index: AliasIndex) -> None:
    found = run(index, "Northvolt filed for bankruptcy in Sweden on Wednesday, putting its planned "
                       "60 GWh gigafactory in Heide, Germany, in doubt.", "2025-03-13T08:00:00+00:00")
    assert [c.type for c in found] == ["bankruptcy"]
    announced = run(index, "Northvolt announced its planned 60 GWh gigafactory in Heide, Germany.",
                    "2025-03-13T08:00:00+00:00")
    assert only(announced, "factory").status == "announced"  # the plan itself is the news


@pytest.mark.parametrize("sentence", [
    "Northvolt dropped its bid to build a 40 GWh plant in Poland.",
    "Northvolt withdrew its plans for a 40 GWh plant in Poland.",
    "Northvolt walked away from a 40 GWh plant in Poland it had announced in 2022.",
])
def test_a_plan_given_up_is_cancelled(index: AliasIndex, sentence: str) -> None:
    c = only(run(index, sentence, "2025-03-13T08:00:00+00:00"), "factory")
    assert c.status == "cancelled"


def test_a_listing_reported_by_its_debut_is_a_completed_ipo(index: AliasIndex) -> None:
    c = only(run(index, "CATL shares rose 16% on their debut in Hong Kong on Tuesday after the battery "
                        "maker raised HK$35.7 billion in the year's largest listing.",
                 "2025-05-21T08:00:00+00:00"), "ipo")
    assert (c.status, str(c.date), roles(c)) == ("completed", "2025-05-20", {"catl": "company"})
