"""Parsing: encodings the way Chinese and English publishers really serve them, hostile
XML refused before parsing, HTML reduced to text, and errors that name the problem."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from http_server import FeedServer

from feeds.fetch import FeedRequest, fetch_many
from feeds.parse import ENTITY_REFUSAL, ParsedFeed, detect_language, html_to_text, parse_feed
from timeline.config import FetchSettings

SEQUOIA_TITLE = "红杉和远景牵手，入局日产AESC动力电池业务"


def served(server: FeedServer, settings: FetchSettings, fixture: str, content_type: str,
           hint: str | None = None) -> ParsedFeed:
    """Fetch a fixture over real HTTP with the given Content-Type, then parse it."""
    url = server.url(f"/file/{fixture}?type={content_type}")
    result = fetch_many([FeedRequest("f", url)], settings)[0]
    assert result.ok and result.content is not None, result.error
    return parse_feed(result.content, result.headers, "f", hint, base_url=result.final_url)


def load(data_dir: Path, fixture: str, **headers: str) -> ParsedFeed:
    return parse_feed((data_dir / fixture).read_bytes(), headers, "f", None)


# -- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "application/rss+xml; charset=GB18030",   # said right
    "application/rss+xml",                    # only the XML declaration says it
    "text/xml",                               # RFC 3023 would read this as US-ASCII
    "none",                                   # no Content-Type at all
    "text/xml; charset=gb2312",               # the common under-statement
    "text/html; charset=utf-8",               # wrong
])
def test_gb18030_feed_reads_as_chinese(feed_server: FeedServer, fast: FetchSettings, content_type: str) -> None:
    parsed = served(feed_server, fast, "feed-zh-gb18030.xml", content_type)
    assert parsed.ok and parsed.encoding == "gb18030"
    item = parsed.items[0]
    assert item.title == SEQUOIA_TITLE
    assert "远景集团又与红杉资本中国基金签署战略合作协议" in item.text
    assert item.language == "zh"


def test_gb18030_feed_without_any_declaration_reads_as_chinese(data_dir: Path) -> None:
    parsed = load(data_dir, "feed-zh-gb18030-undeclared.xml")
    assert parsed.ok and parsed.encoding == "gb18030"
    assert parsed.items[0].title == SEQUOIA_TITLE


def test_a_wrong_charset_is_overridden_with_a_warning(feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "feed-zh-gb18030.xml", "text/xml; charset=utf-8")
    assert parsed.items[0].title == SEQUOIA_TITLE
    assert parsed.warnings == ("declared as utf-8 but the bytes are gb18030; read as gb18030",)


def test_big5_feed_reads_as_traditional_chinese(feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "feed-zh-big5.xml", "application/rss+xml")
    item = parsed.items[0]
    assert item.title == "寧德時代宣布在德國建設電池工廠"
    assert item.text.startswith("寧德時代新能源科技股份有限公司宣布")
    assert item.language == "zh" and item.published == "2019-07-09T00:00:00Z"


@pytest.mark.parametrize("content_type", ["text/xml; charset=ISO-8859-1", "application/rss+xml"])
def test_utf8_declared_as_latin1_reads_as_chinese(feed_server: FeedServer, fast: FetchSettings, content_type: str) -> None:
    parsed = served(feed_server, fast, "feed-zh-utf8-declared-latin1.xml", content_type)
    assert parsed.items[0].title == "比亚迪发布刀片电池，能量密度提升百分之五十"
    assert parsed.encoding == "utf-8"
    assert parsed.warnings and "the bytes are utf-8" in parsed.warnings[0]


PLANT_ZH = "宁德时代在德国图林根州建设电池工厂，产能将达到14GWh"


@pytest.mark.parametrize("declaration", ["<?xml version='1.0' encoding='gb2312'?>", ""])
@pytest.mark.parametrize("content_type", ["text/xml; charset=iso-8859-1", "text/xml; charset=windows-1252"])
def test_gb18030_labelled_as_a_western_charset_reads_as_chinese(declaration: str, content_type: str) -> None:
    """A server's Latin-1 default on a Chinese feed: windows-1252 decodes any bytes at all,
    so it was read as mojibake without a warning."""
    body = (f"{declaration}<rss version='2.0'><channel><title>电池新闻</title><item><guid>1</guid>"
            f"<title>{PLANT_ZH}</title></item></channel></rss>").encode("gb18030")
    parsed = parse_feed(body, {"content-type": content_type}, "f", None)
    assert parsed.items[0].title == PLANT_ZH
    assert parsed.warnings and "the bytes are gb18030" in parsed.warnings[0]


def test_french_in_latin1_stays_latin1() -> None:
    text = ("<?xml version='1.0' encoding='iso-8859-1'?><rss version='2.0'><channel><title>t</title>"
            "<item><guid>1</guid><title>L'usine de Douai a été inaugurée: Renault et Envision "
            "célèbrent la première étape, où ça bouge à Déols</title></item></channel></rss>")
    parsed = parse_feed(text.encode("latin-1"), {"content-type": "text/xml; charset=iso-8859-1"}, "f", None)
    assert parsed.items[0].title.startswith("L'usine de Douai a été inaugurée")
    assert parsed.warnings == ()


def test_real_latin1_stays_latin1(data_dir: Path) -> None:
    parsed = load(data_dir, "feed-rss091-netscape.xml")
    assert parsed.ok and parsed.items[0].title == "Café batteries"
    assert parsed.items[0].text == "Naïve & résumé."


def test_utf16_is_read(data_dir: Path) -> None:
    text = (data_dir / "feed-en.xml").read_text("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    parsed = parse_feed(text.encode("utf-16"), {}, "f", None)
    assert parsed.ok and len(parsed.items) == 3


# -- hostile XML -------------------------------------------------------------------------


def test_xml_bomb_is_refused_quickly_in_bounded_memory(feed_server: FeedServer, fast: FetchSettings) -> None:
    url = feed_server.url("/file/feed-xml-bomb.xml")
    content = fetch_many([FeedRequest("bomb", url)], fast)[0].content
    assert content is not None
    tracemalloc.start()
    started = time.perf_counter()
    try:
        parsed = parse_feed(content, {"content-type": "application/rss+xml"}, "bomb", None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 100_000
    assert parsed.error == ENTITY_REFUSAL and not parsed.items


def test_external_entities_are_refused(data_dir: Path) -> None:
    parsed = load(data_dir, "feed-xxe.xml")
    assert parsed.error == ENTITY_REFUSAL and not parsed.items


def test_entities_in_utf16_are_refused_too(data_dir: Path) -> None:
    bomb = (data_dir / "feed-xml-bomb.xml").read_text("utf-8")
    parsed = parse_feed(bomb.encode("utf-16"), {}, "f", None)
    assert parsed.error == ENTITY_REFUSAL


def test_a_doctype_without_entities_is_accepted(data_dir: Path) -> None:
    parsed = load(data_dir, "feed-rss091-netscape.xml")  # RSS 0.91's public Netscape DTD
    assert parsed.ok and parsed.version == "rss091n"


def test_bytes_that_look_like_a_path_are_never_opened() -> None:
    parsed = parse_feed(b"/etc/passwd", {}, "f", None)
    assert not parsed.ok and not parsed.items


# -- broken feeds --------------------------------------------------------------------------


def test_a_bozo_feed_with_entries_is_used_with_a_warning(feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "feed-bozo.xml", "application/rss+xml")
    assert parsed.ok and [i.title for i in parsed.items] == [
        "Gotion opens plant in Illinois & Michigan", "Second item"]
    assert len(parsed.warnings) == 1 and "not well-formed XML (line 3" in parsed.warnings[0]


def test_a_malformed_feed_without_entries_is_an_error() -> None:
    parsed = parse_feed(b"<rss version='2.0'><channel><title>t</ti></channel></rss>", {}, "f", None)
    assert parsed.error is not None
    assert parsed.error.startswith("not a readable feed: malformed XML (line ")
    assert parsed.error.endswith(": mismatched tag)")
    assert not parsed.items


def test_an_error_page_served_for_a_feed_is_named_by_its_title(
        feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "feed-malformed.xml", "text/html")  # nginx's 502 page
    assert parsed.error == ('not a feed but an HTML page titled "502 Bad Gateway" (the address '
                            "of a site or an article, or an error page?)")
    assert not parsed.items


def test_well_formed_xml_that_is_not_a_feed_is_an_error() -> None:
    parsed = parse_feed(b"<?xml version='1.0'?><catalog><book>hi</book></catalog>", {}, "f", None)
    assert parsed.error == "not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root element)"


def test_an_html_page_is_named_as_such_with_the_feed_it_announces(
        feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "page-news-site.html", "text/html; charset=utf-8")
    assert parsed.error == (
        'not a feed but an HTML page titled "Battery Ticker - battery and EV industry news" '
        "(the address of a site or an article, or an error page?); the page names its feed: "
        + feed_server.url("/news/feed.xml?lang=en&limit=50"))
    assert not parsed.items


@pytest.mark.parametrize("page", [
    b"<html><body><p>a page<br></body></html>",
    b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- generated -->\n<!DOCTYPE html><html><body/></html>",
    b"<!doctype html><link rel='alternate' type='application/rss+xml' href='javascript:alert(1)'>",
    b"<!doctype html><link rel=alternate type=application/rss+xml href='/f\x1b]52;c;eA==\x07'><p>",
])
def test_an_html_page_without_a_usable_feed_link_is_named_as_a_page(page: bytes) -> None:
    parsed = parse_feed(page, {}, "f", None, base_url="https://site.example/")
    assert parsed.error is not None and parsed.error.startswith("not a feed but an HTML page")
    assert "javascript" not in parsed.error and "\x1b" not in parsed.error


def test_a_feed_served_as_text_html_is_still_a_feed(feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "feed-en.xml", "text/html")
    assert parsed.ok and len(parsed.items) == 3


def test_an_empty_body_is_an_error() -> None:
    assert parse_feed(b"  \n", {}, "f", None).error == "the feed is empty (the server sent no content)"


def test_an_empty_channel_is_fine() -> None:
    parsed = parse_feed(b"<rss version='2.0'><channel><title>t</title></channel></rss>", {}, "f", None)
    assert parsed.ok and parsed.items == () and parsed.title == "t"


# -- items -------------------------------------------------------------------------------


def test_items_carry_plain_text_and_utc_times(feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "feed-en.xml", "application/rss+xml")
    first = parsed.items[0]
    assert first.feed == "f" and first.guid == "nv-ch11"
    assert first.title == "Northvolt files for Chapter 11 bankruptcy protection"
    assert first.text == ("Swedish battery maker Northvolt filed for Chapter 11 & said it has "
                          "$30 million in cash.\nIt will continue\noperations.")
    assert first.published == "2024-11-22T04:15:00Z"  # 23:15 at -05:00
    assert first.author == "Jane Doe" and first.tags == ["bankruptcy", "Sweden"]
    assert first.language == "en" and parsed.language == "en"


def test_no_script_or_style_leaks_into_text() -> None:
    text = html_to_text('<p>a<script>alert("x")</script> b</p><style>p{}</style><noscript>n</noscript>c &amp; d')
    assert text == "a b\nc & d"


def test_markup_escaped_twice_is_removed_too(data_dir: Path) -> None:
    text = load(data_dir, "feed-zh-gb18030.xml").items[0].text
    assert "<img" not in text and "<!--" not in text and "&lt;" not in text
    assert "俞立严" in text.splitlines()


def test_a_plain_text_title_keeps_its_angle_brackets() -> None:
    feed = b"<rss version='2.0'><channel><item><title>Cells &lt; $100/kWh</title></item></channel></rss>"
    assert parse_feed(feed, {}, "f", None).items[0].title == "Cells < $100/kWh"


def test_relative_links_resolve_against_the_final_url(feed_server: FeedServer, fast: FetchSettings) -> None:
    parsed = served(feed_server, fast, "feed-zh-atom.xml", "application/atom+xml")
    assert parsed.items[0].link == feed_server.url("/2019/wuxi")
    assert parsed.items[0].title == "远景AESC 无锡工厂投产"
    assert parsed.items[0].published == "2019-05-01T00:00:00Z"


def test_language_comes_from_the_feed_then_the_hint_then_the_text(data_dir: Path) -> None:
    atom = load(data_dir, "feed-zh-atom.xml")  # xml:lang="zh-CN"
    assert atom.items[0].language == "zh"
    bozo = (data_dir / "feed-bozo.xml").read_bytes()  # declares nothing
    assert parse_feed(bozo, {}, "f", "zh").items[0].language == "zh"  # the hint wins
    assert parse_feed(bozo, {}, "f", None).items[0].language == "en"  # detected


def test_a_chinese_title_in_a_feed_declared_english_is_chinese(data_dir: Path) -> None:
    parsed = load(data_dir, "feed-en.xml")  # <language>en-us</language>
    assert [i.language for i in parsed.items] == ["en", "en", "zh"]


def test_language_detection_by_han_share() -> None:
    assert detect_language("宁德时代宣布在匈牙利建设100GWh电池工厂") == "zh"
    assert detect_language("CATL will build a 100 GWh plant in Debrecen") == "en"
    assert detect_language("2024 - 100") is None


def test_lone_surrogates_and_hiding_characters_are_removed_from_feed_text() -> None:
    """A "&#xD800;" made feedparser fail on the whole feed: it becomes a replacement character."""
    parsed = parse_feed(
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><guid>a</guid><title>x &#xD800; y &#x0000000000D800; &#00000000000055296; "
        b"&#x110000000;</title><description>ok</description></item>"
        b"<item><guid>b</guid><title>CATL builds a factory in Erfurt&#x202E;&#x200B; in 2024</title>"
        b"</item></channel></rss>", {}, "f", None)
    assert parsed.ok
    assert [i.title for i in parsed.items] == ["x \ufffd y \ufffd \ufffd \ufffd",
                                               "CATL builds a factory in Erfurt in 2024"]
