"""A realistic corpus of RSS/Atom feeds for the feed benchmarks, built from the test articles.

The 25 articles of tests/data/articles/ (Chinese and English news about the battery and EV
industry, each reporting one to four happenings) become feed items the way publishers
write them:

- RSS 2.0 (HTML in an escaped <description>, or a short <description> plus the full text in
  <content:encoded> CDATA, as WordPress does) and Atom (<content type="html">);
- Chinese feeds in UTF-8, one in GB18030 served as `text/xml` without a charset (the
  parser has to work the encoding out), one in traditional characters, one mixing Chinese
  and English items without declaring a language;
- every item a distinct guid, link and date; its text the article's lead paragraph, the
  others rotated, and from the second copy of an article on, a paragraph of another
  article of the same language ("related news"), so the same text rarely comes twice.

Every article reports happenings, so every item goes through the whole of extraction:
a harder mix than a real feed, where many items report nothing.

    build_pipeline_corpus(20, 50)   -> 20 feeds of 50 items (bench.pipeline)
    build_poll_corpus(500, 4)       -> 500 small feeds (bench.poll)
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import zhconv

from timeline.companies import CompanySpec

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "tests" / "data" / "articles"

__all__ = ["Article", "Feed", "load_articles", "companies", "build_pipeline_corpus",
           "build_poll_corpus", "item_count"]


@dataclass(frozen=True)
class Article:
    name: str
    language: str           # "zh" or "en"
    title: str
    paragraphs: tuple[str, ...]
    published: datetime


@dataclass(frozen=True)
class Feed:
    """One feed document: its path on the server, its bytes and how it is served."""

    name: str
    path: str               # e.g. "/p/feed-07.xml"
    body: bytes
    content_type: str
    items: int
    language: str | None    # the hint a curator would configure (None: not declared)


def load_articles() -> list[Article]:
    found: list[Article] = []
    for path in sorted(ARTICLES.iterdir()):
        if path.suffix not in (".txt", ".md"):
            continue
        expected = json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json")
                              .read_text(encoding="utf-8"))
        raw = path.read_text(encoding="utf-8")
        match = re.match(r"---\n(.*?)\n---\n", raw, re.S)
        if match:
            heading = re.search(r"^title:\s*(.*)$", match.group(1), re.M)
            title = heading.group(1).strip() if heading else ""
            body = raw[match.end():]
        else:
            first, _, body = raw.partition("\n")
            title = first.strip()
        paragraphs = tuple(p.strip() for p in re.split(r"\n\s*\n|\n", body) if p.strip())
        language = expected.get("language") or ("zh" if ".zh." in path.name or path.name.startswith("news-zh")
                                                else "en")
        found.append(Article(path.stem, language, title, paragraphs,
                             datetime.fromisoformat(expected["published"])))
    return found


def companies() -> list[CompanySpec]:
    """The registry the articles are written about (25 companies, Chinese and English aliases)."""
    data = json.loads((ARTICLES / "companies.json").read_text(encoding="utf-8"))
    return [CompanySpec(**company) for company in data]


def _paragraphs(article: Article, variant: int, others: list[Article]) -> list[str]:
    lead, rest = article.paragraphs[0], list(article.paragraphs[1:])
    if rest:
        shift = variant % len(rest)
        rest = rest[shift:] + rest[:shift]
    paragraphs = [lead, *rest]
    if variant and others:
        other = others[(variant * 7 + len(article.name)) % len(others)]
        if other.name != article.name:
            paragraphs.append(other.paragraphs[min(1, len(other.paragraphs) - 1)])
    return paragraphs


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paragraphs)


def _rfc822(moment: datetime) -> str:
    return email.utils.format_datetime(moment)


@dataclass(frozen=True)
class _Style:
    kind: str               # "rss", "rss-content", "atom"
    language: str           # "zh", "en", "mixed"
    encoding: str = "utf-8"
    traditional: bool = False
    declared: bool = True   # the feed names its language


def _style(index: int, total: int) -> _Style:
    if total > 4 and index == total - 1:
        return _Style("rss", "mixed", declared=False)
    if index % 4 == 0:
        return _Style("atom", "zh")
    if index % 4 == 1:
        return _Style("rss", "en")
    if index % 4 == 2:
        if index % 8 == 2 and index < 8:
            return _Style("rss", "zh", encoding="gb18030", declared=False)
        if index % 16 == 6:
            return _Style("rss", "zh", traditional=True)
        return _Style("rss", "zh")
    return _Style("rss-content", "en")


def _feed(index: int, count: int, total: int, prefix: str, by_language: dict[str, list[Article]],
          start: int) -> Feed:
    style = _style(index, total)
    pool = by_language["zh"] + by_language["en"] if style.language == "mixed" else by_language[style.language]
    name = f"{prefix}-{index:04d}"
    host = f"http://{name}.news.example"
    entries: list[str] = []
    for i in range(count):
        serial = start + i
        article = pool[serial % len(pool)]
        variant = serial // len(pool)
        others = by_language[article.language]
        paragraphs = _paragraphs(article, variant, others)
        title = article.title
        if style.traditional:
            title = zhconv.convert(title, "zh-tw")
            paragraphs = [zhconv.convert(p, "zh-tw") for p in paragraphs]
        published = article.published + timedelta(hours=variant)
        link = f"{host}/{published:%Y/%m}/{article.name}-{serial}"
        guid = hashlib.sha1(link.encode()).hexdigest()[:16]
        body = _html(paragraphs)
        tags = "".join(f"<category>{html.escape(t)}</category>" for t in ("battery", article.language))
        if style.kind == "atom":
            entries.append(
                f"<entry>\n<title>{html.escape(title)}</title>\n<link href=\"{link}\"/>\n"
                f"<id>tag:{name}.news.example,{published:%Y}:{guid}</id>\n"
                f"<updated>{published.isoformat()}</updated>\n<author><name>newsroom</name></author>\n"
                f"<content type=\"html\">{html.escape(body, quote=False)}</content>\n</entry>\n")
        elif style.kind == "rss-content":
            summary = html.escape(paragraphs[0][:200], quote=False)
            entries.append(
                f"<item>\n<title>{html.escape(title)}</title>\n<link>{link}?utm_source=rss</link>\n"
                f"<guid isPermaLink=\"false\">{guid}</guid>\n<pubDate>{_rfc822(published)}</pubDate>\n"
                f"<dc:creator>Newsroom</dc:creator>{tags}\n<description>{summary}</description>\n"
                f"<content:encoded><![CDATA[{body}]]></content:encoded>\n</item>\n")
        else:
            entries.append(
                f"<item>\n<title>{html.escape(title)}</title>\n<link>{link}</link>\n"
                f"<guid isPermaLink=\"false\">{guid}</guid>\n<pubDate>{_rfc822(published)}</pubDate>\n"
                f"{tags}\n<description>{html.escape(body, quote=False)}</description>\n</item>\n")
    language = {"zh": "zh-TW" if style.traditional else "zh-CN", "en": "en-us"}.get(style.language)
    declared_language = language if style.declared and language else None
    if style.kind == "atom":
        lang = f' xml:lang="{declared_language}"' if declared_language else ""
        document = (f'<?xml version="1.0" encoding="{style.encoding}"?>\n'
                    f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}>\n<title>{name}</title>\n'
                    f'<id>{host}/</id>\n<updated>2024-01-01T00:00:00Z</updated>\n<link href="{host}/"/>\n'
                    + "".join(entries) + "</feed>\n")
    else:
        lang = f"<language>{declared_language}</language>\n" if declared_language else ""
        declaration = '<?xml version="1.0"?>' if style.encoding != "utf-8" else '<?xml version="1.0" encoding="utf-8"?>'
        document = (f'{declaration}\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                    f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>\n'
                    f"<title>{name}</title><link>{host}/</link><description>Battery news</description>\n"
                    f"{lang}" + "".join(entries) + "</channel></rss>\n")
    body_bytes = document.encode(style.encoding)
    content_type = ("text/xml" if style.encoding != "utf-8"
                    else "application/atom+xml; charset=utf-8" if style.kind == "atom"
                    else "application/rss+xml; charset=utf-8")
    hint = None if style.language == "mixed" else style.language
    return Feed(name, f"/{prefix}/{name}.xml", body_bytes, content_type, count, hint)


def _build(feeds: int, items: int, prefix: str) -> list[Feed]:
    articles = load_articles()
    by_language = {"zh": [a for a in articles if a.language == "zh"],
                   "en": [a for a in articles if a.language == "en"]}
    return [_feed(i, items, feeds, prefix, by_language, start=i * items) for i in range(feeds)]


def build_pipeline_corpus(feeds: int = 20, items: int = 50) -> list[Feed]:
    return _build(feeds, items, "p")


def build_poll_corpus(feeds: int = 500, items: int = 4) -> list[Feed]:
    return _build(feeds, items, "q")


def item_count(feeds: list[Feed]) -> int:
    return sum(f.items for f in feeds)
