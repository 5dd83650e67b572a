"""HTML articles to plain text with the standard library's tolerant `html.parser`.

Saved web pages carry far more than the article: menus, scripts, cookie banners, share
buttons. The body text is taken from `<article>` when the page has one, else `<main>`, else
`<body>`; scripts, styles, navigation, asides, forms and embedded objects never contribute
text, and a page header or footer is dropped unless it sits inside the article. Entities
are unescaped by the parser. Nothing is ever executed or fetched: this is text extraction.

`<title>` is read the way browsers read it, as text up to `</title>`: a page titled
`<script>alert(1)</script>` yields that string as its title, to be escaped wherever it is
shown, rather than a script element (Python before 3.14 parses tags inside `<title>`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from feeds.documents.textutil import squash, tidy

_SKIPPED = frozenset({
    "script", "style", "noscript", "template", "nav", "aside", "form", "button", "select",
    "textarea", "svg", "math", "iframe", "object", "embed", "canvas", "audio", "video",
    "dialog", "head",
})
_CHROME = frozenset({"header", "footer"})   # skipped unless inside <article>/<main>
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
_BLOCKS = frozenset({
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre",
    "section", "table", "tbody", "thead", "tr", "ul", "body", "html", "header", "footer",
})
_CELLS = frozenset({"td", "th"})
_CONTAINERS = ("article", "main", "body")
_NATIVE_RCDATA = "title" in getattr(HTMLParser, "RCDATA_CONTENT_ELEMENTS", ())


@dataclass
class HtmlPage:
    """What an HTML page says about itself, and its readable text."""

    title: str | None = None
    text: str = ""
    language: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    tags: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    """One pass: metadata from <head>, text into one buffer per container."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.lang: str | None = None
        self.canonical: str | None = None
        self.titles: dict[str, str] = {}
        self.times: list[str] = []
        self.buffers: dict[str, list[str]] = {name: [] for name in _CONTAINERS}
        self.depth: dict[str, int] = dict.fromkeys(_CONTAINERS, 0)
        self.skip: dict[str, int] = {}
        self.capture: str | None = None       # "title" or "h1" while reading one
        self.captured: list[str] = []
        self.pre = 0
        self.cells_in_row = 0

    # -- tags -----------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        self._head_tag(tag, values)
        if tag in _VOID:
            self._void(tag)
            return
        if self._skips(tag):
            self.skip[tag] = self.skip.get(tag, 0) + 1
            if tag == "title":
                self._start_capture("title")
            return
        if tag in self.depth:
            self.depth[tag] += 1
        if tag == "h1" and "h1" not in self.titles and self.capture is None:
            self._start_capture("h1")
        self._block_break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._head_tag(tag, {name.lower(): value or "" for name, value in attrs})
        if tag not in _VOID and not self._skips(tag):
            self._block_break(tag)
        elif tag in _VOID:
            self._void(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip.get(tag):
            self.skip[tag] -= 1
            if tag == "title":
                self._end_capture()
            return
        if tag == "h1" and self.capture == "h1":
            self._end_capture()
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in _BLOCKS:
            self._emit("\n")
        if tag in self.depth and self.depth[tag]:
            self.depth[tag] -= 1

    def handle_data(self, data: str) -> None:
        if self.capture is not None:
            self.captured.append(data)
        if any(self.skip.values()):
            return
        for name in _CONTAINERS:
            if self.depth[name] or name == "body":
                self.buffers[name].append(data if self.pre else _spaces(data))

    # -- helpers --------------------------------------------------------------------

    def _skips(self, tag: str) -> bool:
        if tag in _SKIPPED or tag == "title":
            return True
        return tag in _CHROME and not (self.depth["article"] or self.depth["main"])

    def _void(self, tag: str) -> None:
        if tag in ("br", "hr"):
            self._emit("\n")

    def _block_break(self, tag: str) -> None:
        """Where a start tag breaks the text: a new line for blocks, '; ' between cells."""
        if tag == "pre":
            self.pre += 1
        if tag in _BLOCKS:
            self.cells_in_row = 0
            self._emit("\n")
        elif tag in _CELLS:
            self._emit("; " if self.cells_in_row else "")
            self.cells_in_row += 1

    def _emit(self, text: str) -> None:
        if text and not any(self.skip.values()):
            for name in _CONTAINERS:
                if self.depth[name] or name == "body":
                    self.buffers[name].append(text)

    def _start_capture(self, what: str) -> None:
        self.capture, self.captured = what, []
        if what == "title" and not _NATIVE_RCDATA:
            self.set_cdata_mode("title")   # read to </title> as text, as browsers do

    def _end_capture(self) -> None:
        text = "".join(self.captured)
        if self.capture == "title" and not _NATIVE_RCDATA:
            text = html.unescape(text)     # raw text mode leaves entities to us
        if self.capture is not None and squash(text):
            self.titles.setdefault(self.capture, squash(text))
        self.capture, self.captured = None, []

    def _head_tag(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "html" and attrs.get("lang"):
            self.lang = attrs["lang"]
        elif tag == "meta":
            key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
            if key and attrs.get("content", "").strip():
                self.meta.setdefault(key, attrs["content"].strip())
        elif tag == "link" and "canonical" in attrs.get("rel", "").lower().split():
            self.canonical = self.canonical or attrs.get("href") or None
        elif tag == "time" and attrs.get("datetime"):
            self.times.append(attrs["datetime"])


def _spaces(data: str) -> str:
    """Outside <pre>, any run of whitespace is one space, as a browser shows it."""
    if not data.strip():
        return " " if data else ""
    lead = " " if data[0].isspace() else ""
    tail = " " if data[-1].isspace() else ""
    return lead + " ".join(data.split()) + tail


_COMMENT = re.compile(r"<!--.*?(?:--!?>|\Z)", re.S)
_CDATA = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|\Z)", re.S)
_CONDITIONAL = re.compile(r"<!\[(?:if|else|endif)\b[^<>]{0,200}\]>", re.I)


def defuse(source: str) -> str:
    """Remove what makes `html.parser` slow or fail on hostile input, as a browser reads it.

    Before Python 3.13.4 the parser rescans the rest of the page for every `<` that starts
    a construct it cannot finish (an unclosed comment, `<!x`, `</x` without `>`, `<![`),
    which is quadratic, and it raises AssertionError on unknown `<![...` sections. So:
    comments and CDATA sections go (unclosed ones run to the end, as in a browser), IE
    conditional markers go, any other `<![` becomes text, and every `<` after the last `>`
    becomes text because nothing can close it.
    """
    source = _CONDITIONAL.sub("", _CDATA.sub("", _COMMENT.sub("", source)))
    source = source.replace("<![", "&lt;![")
    last = source.rfind(">")
    return source[: last + 1] + source[last + 1:].replace("<", "&lt;")


def read_html(source: str) -> HtmlPage:
    """Title, metadata and readable text of an HTML page."""
    reader = _Reader()
    reader.feed(defuse(source))
    reader.close()
    if reader.capture is not None:   # an unclosed <title> or <h1> still names the page
        reader._end_capture()
    meta = reader.meta
    return HtmlPage(
        title=_first(meta.get("og:title"), reader.titles.get("title"), reader.titles.get("h1"),
                     meta.get("twitter:title")),
        text=_body_text(reader),
        language=reader.lang or meta.get("og:locale") or meta.get("language"),
        url=_first(meta.get("og:url"), reader.canonical),
        published=_first(meta.get("article:published_time"), meta.get("datepublished"),
                         meta.get("pubdate"), meta.get("date"), meta.get("dc.date"),
                         reader.times[0] if reader.times else None),
        author=_first(meta.get("author"), meta.get("article:author")),
        tags=_keywords(meta.get("keywords"), meta.get("article:tag")),
    )


def _body_text(reader: _Reader) -> str:
    for name in _CONTAINERS:
        text = tidy("".join(reader.buffers[name]))
        if text:
            return text
    return ""


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return squash(value)
    return None


def _keywords(*values: str | None) -> list[str]:
    found: list[str] = []
    for value in values:
        if value:
            found.extend(part.strip() for part in value.replace("，", ",").split(","))
    return [k for k in found if k]
