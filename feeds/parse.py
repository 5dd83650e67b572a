"""Parsing fetched bytes into plain-text `FeedItem`s.

Three things happen before feedparser sees a byte, each for a reason:

1. **Entity tricks are refused.** A document whose DOCTYPE comes with `<!ENTITY`
   declarations is refused outright: internal entities can expand without bound (the
   "billion laughs" bomb: a few hundred bytes that expand to gigabytes) and external ones
   (`SYSTEM` / `PUBLIC`) point at local files or other hosts. No feed needs either. The
   check is a byte scan for `<!DOCTYPE` and `<!ENTITY` (case-insensitive) over the
   document, run before any parsing, so it is linear in time and allocates nothing that
   grows with the expansion — defusedxml would also refuse them, but only after handing
   the bytes to a full XML parser, and feedparser would then parse them a second time. A
   DOCTYPE *without* entity declarations (the RSS 0.91 Netscape DTD) is accepted:
   nothing ever fetches an external DTD (feedparser strips the DOCTYPE and turns off
   external general entities in expat).
2. **The character encoding is decided here**, not by feedparser's RFC 3023 rules, which
   read `text/xml` without a charset as US-ASCII and fall back to windows-1252 — i.e.
   mojibake — for a GB18030 or Big5 feed that is labelled wrongly or not at all. The
   order: a byte-order mark; then the declarations (HTTP charset, then the XML
   declaration), where a declared single-byte Western charset (ISO-8859-1, windows-1252,
   ASCII) yields to UTF-8 when the bytes are valid UTF-8 (a real Latin-1 text with
   accents is practically never valid UTF-8, a UTF-8 text labelled Latin-1 is a common
   lie), and to GB18030 or Big5 when they read as Chinese (a server's Latin-1 default on
   a Chinese feed), and GB2312/GBK/Big5 are read as their supersets GB18030/Big5-HKSCS; then UTF-8;
   then GB18030 or Big5 when the result reads as Chinese (the share of the commonest
   Chinese characters); then windows-1252. The bytes handed to feedparser are UTF-8 and
   labelled so. Overriding a declaration is reported as a warning.
3. **feedparser gets a stream, never a string**: given bytes or a str it would try to
   open them as a file name or fetch them as a URL.

feedparser's own HTML sanitiser is turned off because nothing here keeps HTML: every text
field is reduced to text (tags stripped, script/style/noscript contents dropped,
entities unescaped, whitespace collapsed, one line per block element), which is both
safer and cheaper than sanitising HTML first and stripping it afterwards.

A feed that is not well-formed but still yields entries is used, with a warning; one
that yields none is an error naming the problem (`ParsedFeed.error`).
"""

from __future__ import annotations

import codecs
import io
import re
import time
import xml.sax
from collections.abc import Mapping
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser

from feeds.sanitize import strip_controls
from feeds.types import FeedItem

# --------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its items as plain text, or an error that says why there are none."""

    feed: str
    items: tuple[FeedItem, ...] = ()
    title: str = ""
    link: str | None = None
    language: str | None = None
    encoding: str | None = None
    version: str = ""
    warnings: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _failed(feed: str, error: str, warnings: list[str] | None = None) -> ParsedFeed:
    return ParsedFeed(feed=feed, error=error, warnings=tuple(warnings or ()))


# --------------------------------------------------------------------------------------
# 1. Entity tricks

_DOCTYPE_B = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY_B = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE_S = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY_S = re.compile(r"<!ENTITY", re.IGNORECASE)

ENTITY_REFUSAL = (
    "refused: the document declares XML entities (<!DOCTYPE ... <!ENTITY ...>), which can "
    "expand without bound (a \"billion laughs\" bomb) or read other files (external entities); "
    "no real feed needs them"
)


def entity_problem(document: bytes | str) -> str | None:
    """Why `document` must not be parsed, or None: a DOCTYPE that declares entities.

    Two linear scans and no parsing: bounded time and memory whatever the document holds.
    """
    if isinstance(document, bytes):
        declares = _DOCTYPE_B.search(document) is not None and _ENTITY_B.search(document) is not None
    else:
        declares = _DOCTYPE_S.search(document) is not None and _ENTITY_S.search(document) is not None
    return ENTITY_REFUSAL if declares else None


# --------------------------------------------------------------------------------------
# 2. Encodings

_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_WESTERN = frozenset({"ascii", "latin_1", "iso8859-1", "cp1252", "iso8859-15"})
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "hz": "gb18030",
             "big5": "big5hkscs", "cp950": "big5hkscs", "ascii": "cp1252", "latin_1": "cp1252",
             "iso8859-1": "cp1252"}
_BOMS = ((codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_BE, "utf-16"),
         (codecs.BOM_UTF16_LE, "utf-16"))
_NO_BOM_UTF16 = {b"\x00<\x00?": "utf-16-be", b"<\x00?\x00": "utf-16-le"}
_CHINESE = "chinese"  # pseudo-encoding: GB18030 or Big5-HKSCS, whichever reads as Chinese

# Characters that make up a large share of any Chinese news text, in both scripts. Text
# decoded with the wrong Chinese codec (or Latin-1 read as GB18030) has almost none.
_COMMON_HAN = frozenset(
    "的一是不在人有了大中上年和日月公司出要也就他我以可新能池资资投"
    "电電国國业業发發会會为為这這个個们們对對时時来來说說产產动動车車与與将將"
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _codec(label: str | None) -> str | None:
    """Python's canonical codec name for a declared label, or None when unknown."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _CHARSET.search(content_type)
    return match.group(1) if match else None


def _declared_in_xml(data: bytes) -> str | None:
    match = _XML_DECLARATION.match(data[:512])
    return match.group(1).decode("ascii") if match else None


def _chinese_score(text: str) -> float:
    """Share of the commonest Chinese characters among the Han characters of `text`."""
    han = _HAN.findall(text)
    if len(han) < 4:
        return 0.0
    common = sum(1 for ch in han if ch in _COMMON_HAN)
    return common / len(han) if common >= 2 else 0.0


def _decode_chinese(data: bytes) -> tuple[str, str] | None:
    """GB18030 or Big5-HKSCS, whichever decodes and reads more like Chinese, if either."""
    best: tuple[float, str, str] | None = None
    for codec in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _chinese_score(text)
        if score >= 0.05 and (best is None or score > best[0]):
            best = (score, codec, text)
    return (best[1], best[2]) if best else None


def _candidates(declared: list[str]) -> list[str]:
    order: list[str] = []
    for codec in declared:
        if codec in _WESTERN:  # a Western label is a server's default as often as not:
            order += ["utf-8", _CHINESE]  # what reads as UTF-8 or as Chinese is not Latin-1
        order.append(_SUPERSET.get(codec, codec))
    order += ["utf-8", _CHINESE, "cp1252", "latin_1"]
    return list(dict.fromkeys(order))


@dataclass(frozen=True, slots=True)
class Decoded:
    """The document as UTF-8 bytes, the codec it was read with, and what was overridden."""

    data: bytes
    encoding: str
    warning: str | None = None


def decode_document(data: bytes, content_type: str | None) -> Decoded:
    """Decide the encoding (see the module docstring) and return UTF-8 bytes."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _transcode(data, codec, None)
    utf16 = _NO_BOM_UTF16.get(data[:4])
    if utf16:
        return _transcode(data, utf16, None)
    if data.isascii():
        return Decoded(data, "utf-8")
    labels = [header_charset(content_type), _declared_in_xml(data)]
    declared = [c for c in (_codec(label) for label in labels) if c]
    for codec in _candidates(declared):
        decoded = _try(data, codec)
        if decoded is not None:
            return _report(decoded, declared, labels)
    return _transcode(data, "utf-8", "the bytes are not valid in any encoding tried; "
                      "unreadable characters were replaced")


def _try(data: bytes, codec: str) -> Decoded | None:
    if codec == "utf-8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return Decoded(data, "utf-8")
    if codec == _CHINESE:
        found = _decode_chinese(data)
        return Decoded(found[1].encode("utf-8"), found[0]) if found else None
    try:
        return Decoded(data.decode(codec).encode("utf-8"), codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _transcode(data: bytes, codec: str, warning: str | None) -> Decoded:
    return Decoded(data.decode(codec, "replace").encode("utf-8"), codec.removesuffix("-sig"), warning)


def _report(decoded: Decoded, declared: list[str], labels: list[str | None]) -> Decoded:
    """Warn when the bytes were read in another encoding than the first one declared."""
    if not declared:
        return decoded
    first = _SUPERSET.get(declared[0], declared[0])
    if decoded.encoding == first or (first == "cp1252" and decoded.encoding == "latin_1"):
        return decoded
    label = next(label for label in labels if label)
    return Decoded(decoded.data, decoded.encoding,
                   f"declared as {label} but the bytes are {decoded.encoding}; read as {decoded.encoding}")


# --------------------------------------------------------------------------------------
# Text


_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "math", "head"})
_BLOCK = frozenset({
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "tr", "table", "blockquote", "pre", "section", "article", "header", "footer", "aside",
    "hr", "figure", "figcaption", "address", "main", "nav",
})
# ("!--" then no "<" or ">" before "-->": a comment left open must not make every later
# "<!--" search to the end of the text.)
_TAGLIKE = re.compile(r"<(?:[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?|/[A-Za-z][A-Za-z0-9]*\s*|!--[^<>]*--)>")


class _TextExtractor(HTMLParser):
    """HTML to text: data kept, tags dropped, skipped elements dropped with their content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def collapse(text: str) -> str:
    """Whitespace runs to one space within a line; blank lines dropped; no control
    characters (every text of an entry ends here)."""
    text = strip_controls(text)
    if "\n" not in text and "\r" not in text:
        return " ".join(text.split())
    # (map and filter: the loop runs in C, twice as fast as generators for short lines)
    return "\n".join(filter(None, map(" ".join, map(str.split, text.splitlines()))))


def _strip_markup(html: str) -> str:
    fast = _strip_simple_markup(html)
    if fast is not None:
        return fast
    extractor = _TextExtractor()
    extractor.feed(_stray_angles_escaped(html))
    extractor.close()
    return "".join(extractor.parts)


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def _closes(piece: str) -> bool:
    """Whether the text after a "<", up to the next "<", holds a ">" outside quotes."""
    return ">" in piece and (("'" not in piece and '"' not in piece) or ">" in _QUOTED.sub("", piece))


def _stray_angles_escaped(html: str) -> str:
    """`html` with each "<" that no ">" closes before the next "<" written as "&lt;".

    Such a "<" opens nothing the parser could close, and `HTMLParser` looks for the end
    of each one again up to the end of the text: 15,000 of them ("&lt;a " repeated in a
    90 KB summary) took half a minute, and 20,000 of `<a x='>'` took minutes. Escaped,
    they are the text they were anyway. (A "<" inside a quoted attribute value, rare in
    feeds, now shows as text.)
    """
    pieces = html.split("<")
    return pieces[0] + "".join(("<" if _closes(piece) else "&lt;") + piece for piece in pieces[1:])


# A start tag with quoted attribute values (or none), or an end tag without attributes.
_SIMPLE_TAG = re.compile(
    r"<([A-Za-z][A-Za-z0-9]*)(?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))?)*\s*/?>"
    r"|</([A-Za-z][A-Za-z0-9]*)\s*>")


def _strip_simple_markup(html: str) -> str | None:
    """What `_TextExtractor` makes of `html`, without `HTMLParser`, when every "<" opens a
    plain tag (`_SIMPLE_TAG`) and none is an element whose content is dropped; otherwise
    None, and the parser does it. Feed summaries are nearly all like that, and the parser
    costs as much per item as the rest of the parse stage.

    The parser hands the text between two tags to `handle_data` in one piece, entities
    unescaped (convert_charrefs), and a block tag adds a line break, start, end or
    self-closing alike; this does the same."""
    # [text, start tag's name, end tag's name, text, ...]: a "<" left in a text is not a tag
    pieces = _SIMPLE_TAG.split(html)
    parts: list[str] = []
    for at in range(0, len(pieces), 3):
        text = pieces[at]
        if "<" in text:
            return None
        if text:
            parts.append(unescape(text))
        if at + 1 < len(pieces):
            name = (pieces[at + 1] or pieces[at + 2]).lower()
            if name in _SKIP:
                return None
            if name in _BLOCK:
                parts.append("\n")
    return "".join(parts)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: one line per block, no markup, no script/style.

    Markup escaped twice by the publisher (`&lt;img ...&gt;` inside HTML, as in many
    Chinese CMS feeds) surfaces as tags after one pass; a second pass removes it.
    """
    if "<" not in html and "&" not in html:
        return collapse(html)
    text = _strip_markup(html)
    if "<" in text and _TAGLIKE.search(text):
        text = _strip_markup(text)
    return collapse(text)


def _get(mapping: Any, key: str) -> Any:
    """`mapping.get(key)`. feedparser's dict answers `get` through a Python method that
    looks the key up among its aliases first; none of the keys read here is one of them,
    so for it (and any plain dict) the plain lookup is the same answer, twenty times
    cheaper, and this runs a dozen times per entry."""
    if isinstance(mapping, dict):
        return dict.get(mapping, key)
    return mapping.get(key)


def _detail_text(detail: Any, fallback: str) -> str:
    """A feedparser text construct as plain text, going by its declared type."""
    if isinstance(detail, Mapping):
        value = _get(detail, "value") or ""
        kind = str(_get(detail, "type") or "")
    else:
        value, kind = fallback, "text/html"
    if not value:
        return ""
    return html_to_text(value) if "html" in kind else collapse(value)


# --------------------------------------------------------------------------------------
# Language


def normalise_language(code: Any) -> str | None:
    """`zh-CN`, `zh_TW`, `ZH` -> `zh`; `en-us` -> `en`; junk -> None."""
    if not isinstance(code, str):
        return None
    primary = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if 2 <= len(primary) <= 3 and primary.isalpha() else None


def han_share(text: str) -> float:
    """Share of Han characters among the non-space characters of `text`."""
    visible = len(text) - text.count(" ") - text.count("\n")
    return len(_HAN.findall(text)) / visible if visible > 0 else 0.0


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str) -> str | None:
    """`zh` when Han characters make a fifth of the text, `en` for Latin text, else None."""
    sample = text[:400]
    if han_share(sample) >= 0.2:
        return "zh"
    return "en" if _LATIN_WORD.search(sample) else None


def _item_language(entry: Any, title: str, text: str, inherited: str | None) -> str | None:
    """Entry language (xml:lang), else the feed's or the hint; else detected from the text.

    One exception, checked on the title only (cheap): an item said to be English whose
    title is mostly Han is Chinese — CMSs and web servers often keep a default `en-US`
    for Chinese sites.
    """
    declared = inherited
    for detail in (_get(entry, "title_detail"), _get(entry, "summary_detail")):
        if isinstance(detail, Mapping) and normalise_language(_get(detail, "language")):
            declared = normalise_language(_get(detail, "language"))
            break
    if declared == "en" and title and han_share(title) >= 0.3:
        return "zh"
    return declared or detect_language(title + " " + text)


# --------------------------------------------------------------------------------------
# Entries


def _iso_utc(parsed: Any) -> str | None:
    if not isinstance(parsed, time.struct_time) or not 1800 <= parsed.tm_year <= 2200:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)


def _body(entry: Any) -> str:
    """The fullest text of an entry: its content when present, else its summary."""
    for content in _get(entry, "content") or ():
        if isinstance(content, Mapping) and _get(content, "value"):
            return _detail_text(content, "")
    return _detail_text(_get(entry, "summary_detail"), _get(entry, "summary") or "")


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = strip_controls(value).strip()
    return value or None


def _tags(entry: Any) -> list[str]:
    terms = (_clean(_get(tag, "term")) for tag in _get(entry, "tags") or () if isinstance(tag, Mapping))
    return list(dict.fromkeys(t for t in terms if t))


def _entry_item(entry: Any, feed_name: str, inherited_language: str | None) -> FeedItem:
    title = _detail_text(_get(entry, "title_detail"), _get(entry, "title") or "")
    text = _body(entry)
    author = _clean(_get(entry, "author"))
    # Validated, though every value is already of its declared type here: pydantic's
    # validation (compiled) costs half of `model_construct` (Python) for this model.
    return FeedItem(
        feed=feed_name,
        guid=_clean(_get(entry, "id")),
        link=_clean(_get(entry, "link")),
        title=title,
        text=text,
        # (updated_parsed through feedparser's own `get`: it has a fallback of its own)
        published=_iso_utc(_get(entry, "published_parsed") or entry.get("updated_parsed")),
        language=_item_language(entry, title, text, inherited_language),
        author=collapse(html_to_text(author)) if author else None,
        tags=_tags(entry),
    )


def _describe(exc: Any) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return str(exc) or type(exc).__name__


def _lower_keys(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}


def parse_feed(
    content: bytes,
    headers: Mapping[str, str] | None,
    feed_name: str,
    language_hint: str | None = None,
    *,
    base_url: str | None = None,
) -> ParsedFeed:
    """Parse fetched bytes into plain-text items (see the module docstring for the rules).

    `headers` are the response headers that matter (content-type, content-location,
    content-language; any case). `base_url` (the final URL of the fetch) resolves relative
    links when the server sent no Content-Location.
    """
    if not content or not content.strip():
        return _failed(feed_name, "the feed is empty (the server sent no content)")
    headers = _lower_keys(headers)
    problem = entity_problem(content)
    if problem:
        return _failed(feed_name, problem)
    decoded = decode_document(content, headers.get("content-type"))
    if decoded.encoding != "utf-8" and entity_problem(decoded.data):  # UTF-16/32 input
        return _failed(feed_name, ENTITY_REFUSAL)
    warnings = [decoded.warning] if decoded.warning else []
    data = _valid_char_refs(decoded.data) if b"&#" in decoded.data else decoded.data
    given = {"content-type": "application/xml; charset=utf-8"}
    if headers.get("content-language"):
        given["content-language"] = headers["content-language"]
    location = headers.get("content-location") or base_url
    if location:
        parsed = _parse_without_base(data, given, location)
        if parsed is None:
            given["content-location"] = location
            parsed = _feedparser(data, given)
    else:
        parsed = _feedparser(data, given)
    result = _result(parsed, feed_name, language_hint, decoded.encoding, warnings)
    if result.error is not None and _HTML_START.match(data[:4096]):
        return _failed(feed_name, _html_page_error(data, location), warnings)
    return result


# -- An HTML page where a feed was expected ----------------------------------------------
#
# The commonest mistake in a [[feeds]] url is the address of the site or of an article.
# Such a page fails as malformed XML, which says nothing useful; it is named for what it
# is, with the feed the page itself announces (<link rel="alternate" type="…rss+xml">).

# What a page starts with (after a BOM, an XML declaration, comments); a Content-Type of
# text/html is no evidence: misconfigured servers send feeds as text/html every day.
_HTML_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
                         rb"(?:<!doctype\s+html|<html)", re.IGNORECASE | re.DOTALL)
_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_FEED_TYPES = (b"application/rss+xml", b"application/atom+xml")
_MAX_HINT = 300


def _html_page_error(data: bytes, location: str | None) -> str:
    title = _page_title(data)
    error = ("not a feed but an HTML page" + (f' titled "{title}"' if title else "")
             + " (the address of a site or an article, or an error page?)")
    announced = _announced_feed(data, location)
    if announced:
        error += f"; the page names its feed: {announced}"
    return error


_TITLE = re.compile(rb"<(title|h1)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _page_title(data: bytes) -> str:
    """The page's title (or first heading) as plain text, short: what the page is."""
    found = _TITLE.search(data[:20_000])
    if found is None:
        return ""
    text = unescape(_TAG.sub(" ", found.group(2).decode("utf-8", "replace")))
    text = " ".join(strip_controls(text).split())
    return text if len(text) <= 80 else text[:79] + "…"


def _announced_feed(data: bytes, location: str | None) -> str | None:
    """The first feed the page announces in a <link rel="alternate">, made absolute."""
    for tag in _LINK_TAG.finditer(data[:200_000]):
        attributes = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or b""
                      for m in _ATTRIBUTE.finditer(tag.group(0))}
        if (b"alternate" in attributes.get(b"rel", b"").lower().split()
                and attributes.get(b"type", b"").strip().lower() in _FEED_TYPES
                and attributes.get(b"href")):
            href = strip_controls(unescape(attributes[b"href"].decode("utf-8", "replace"))).strip()
            href = urljoin(location, href) if location else href
            if href.startswith(("http://", "https://")) and len(href) <= _MAX_HINT:
                return href
    return None


# A character reference to what no text can hold: NUL, a lone surrogate (&#xD800;), past
# U+10FFFF. feedparser's lenient parser encodes each as UTF-8 and fails on the whole feed.
_CHAR_REF = re.compile(rb"&#(?:[xX]0*([0-9a-fA-F]+)|0*([0-9]+));")


def _valid_char_refs(data: bytes) -> bytes:
    """`data` with each reference to an impossible character made a replacement character
    (leading zeros, which feedparser reads too, do not hide one)."""
    def check(match: re.Match[bytes]) -> bytes:
        hexa, decimal = match.groups()
        digits = hexa or decimal
        code = int(digits, 16 if hexa else 10) if len(digits) <= 8 else -1
        if code <= 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return b"&#xFFFD;"
        return match.group(0)

    return _CHAR_REF.sub(check, data)


def _feedparser(data: bytes, headers: dict[str, str]) -> Any:
    return feedparser.parse(io.BytesIO(data), response_headers=headers,
                            sanitize_html=False, resolve_relative_uris=False)


# -- Base URLs ----------------------------------------------------------------------------
#
# Given a base URL (Content-Location, or the address fetched), feedparser joins it with the
# base of every element as it opens (xml:base) and resolves every link, id and href
# against it: a fifth of the time it spends on a feed. What this module reads of the
# result depends on the base only through the feed's link and each entry's link and id,
# so a document without any xml:base (nor a DTD, which could give one by default) is
# parsed without the base, and those values are checked with feedparser's own join
# against the base it would have used: when none of them changes (absolute links, ids
# that are not relative references: nearly every feed), the result is the one the base
# would have given; otherwise the document is parsed again with the base. (A link is
# stored after a small clean-up of "&amp;" that never touches what the join looks at.)

# Searched in the lower-cased document: `bytes.lower` folds ASCII letters only, as
# IGNORECASE does for a bytes pattern, and a literal "base" lets the engine skip from one
# "b" to the next instead of trying the pattern at every byte (five times faster).
_BASE_ATTRIBUTE = re.compile(rb"base\s*=")
# An element feedparser reads an id from (guid, id, in any namespace), and the one
# attribute that stops it resolving the id: isPermaLink="false" (anything but "true").
_ID_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:guid|id)(?=[\s/>])([^>]*)>", re.IGNORECASE)
_PERMALINK = re.compile(rb"(?<![\w:.-])ispermalink\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)


def _ids_resolved(data: bytes) -> bool:
    """Whether feedparser may resolve some entry's id against the base: unless every id
    element says plainly, once, isPermaLink="false" (or anything but "true"; an entity in
    the value counts as "true": decoded, it might be)."""
    for tag in _ID_TAG.finditer(data):
        attributes = _PERMALINK.findall(tag.group(1))
        if len(attributes) != 1:
            return True
        value = attributes[0][0] or attributes[0][1]
        if value == b"true" or b"&" in value:
            return True
    return False


_PROBE = (b"<rss><channel><title>t</title><item><title>t</title></item></channel></rss>")
_bases: dict[str, str | None] = {}


def _urljoin(base: str, uri: str) -> str:
    join: Any = getattr(getattr(feedparser, "urls", None), "_urljoin", None)
    if join is None:  # pragma: no cover - another feedparser: never take the short way
        raise LookupError("feedparser.urls._urljoin")
    result: str = join(base, uri)
    return result


def _effective_base(location: str) -> str | None:
    """The base feedparser resolves an item's links against, given `location`: read from
    feedparser itself (a text construct records the base in force), at the feed's depth
    and at an item's; None when they differ."""
    if location not in _bases:
        probe = feedparser.parse(io.BytesIO(_PROBE), response_headers={
            "content-type": "application/xml; charset=utf-8", "content-location": location})
        try:
            outer = probe["feed"]["title_detail"]["base"]
            inner = probe["entries"][0]["title_detail"]["base"]
        except (KeyError, IndexError):
            outer = inner = None
        if len(_bases) > 1000:
            _bases.clear()
        _bases[location] = outer if isinstance(outer, str) and outer == inner else None
    return _bases[location]


def _parse_without_base(data: bytes, given: dict[str, str], location: str) -> Any | None:
    """feedparser's result for `data` with `location` as its base, or None when it could
    not be had without giving feedparser the base (see above)."""
    if _BASE_ATTRIBUTE.search(data.lower()) is not None or _DOCTYPE_B.search(data) is not None:
        return None
    base = _effective_base(location)
    if base is None:
        return None
    parsed = _feedparser(data, given)
    ids = _ids_resolved(data)
    try:
        values = [_get(parsed.get("feed") or {}, "link")]
        for entry in parsed.get("entries") or ():
            values.append(_get(entry, "link"))
            if ids:
                values.append(_get(entry, "id"))
        # (an empty href resolves too: to the base itself)
        if all(not isinstance(v, str) or _urljoin(base, v) == v for v in values):
            return parsed
    except LookupError:
        pass
    return None


def _result(parsed: Any, feed_name: str, hint: str | None, encoding: str,
            warnings: list[str]) -> ParsedFeed:
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if parsed.get("bozo"):
        problem = _describe(parsed.get("bozo_exception"))
        if not entries:
            return _failed(feed_name, f"not a readable feed: malformed XML ({problem})", warnings)
        warnings.append(f"the feed is not well-formed XML ({problem}); "
                        f"{len(entries)} {'entry was' if len(entries) == 1 else 'entries were'} "
                        "recovered by the lenient parser")
    elif not entries and not version:
        return _failed(feed_name, "not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root element)",
                       warnings)
    channel = parsed.get("feed") or {}
    language = normalise_language(channel.get("language")) or normalise_language(hint)
    items = tuple(_entry_item(entry, feed_name, language) for entry in entries)
    return ParsedFeed(
        feed=feed_name, items=items,
        title=_detail_text(channel.get("title_detail"), channel.get("title") or ""),
        link=_clean(channel.get("link")), language=language, encoding=encoding,
        version=version, warnings=tuple(warnings),
    )
