"""Articles: Markdown with front matter, saved HTML pages, plain text.

Whatever the format, an article ends as the same neutral `Article`: a title, the date it
gives (at its precision), a publication time in UTC when it gives a day, the plain text,
and the language — as front matter states it, else detected from the share of Han
characters, because the extraction that follows is language-aware.
"""

from __future__ import annotations

import re
from pathlib import Path

from feeds.documents.errors import fail
from feeds.documents.html import read_html
from feeds.documents.markdown import MarkdownText
from feeds.documents.models import Article
from feeds.documents.source import FrontMatter, dated, split_front_matter
from feeds.documents.textutil import (
    clean_tags, detect_language, normalise_language, squash, tidy, unique,
)
from timeline.dates import PartialDate
from timeline.errors import InvalidField

MAX_TITLE = 300
URL = re.compile(r"^https?://[^\s/]+\S*$", re.I)
TITLE_KEYS = ("title", "name", "headline")
DATE_KEYS = ("date", "published", "pubDate", "pubdate", "created")
PUBLISHED_KEYS = ("published", "pubDate", "pubdate")   # a time, where `date` is only a day
URL_KEYS = ("url", "source", "link", "canonical", "original")


def markdown_article(path: Path, matter: FrontMatter, doc: MarkdownText) -> Article:
    """A Markdown article; the title is the front matter's, else the first H1, else the
    first line of text, else the file name. An H1 that is the title leaves the text, so
    extraction does not read the headline twice."""
    heading = doc.title()
    title = matter.text(*TITLE_KEYS)
    repeats = heading is not None and (title is None or squash(title) == heading.text)
    text = doc.text(skip_line=heading.line if heading is not None and repeats else None)
    if title is None:
        title = heading.text if heading is not None else _first_line(text) or path.stem
    return _article(path, matter, _short(title), text, doc.tags)


def text_article(path: Path, source: str) -> Article:
    """A .txt file: optional front matter, then the first non-blank line is the title."""
    matter, body, _ = split_front_matter(path, source)
    lines = body.split("\n")
    title = matter.text(*TITLE_KEYS)
    if title is None:
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        title = squash(lines[first]) if first is not None else path.stem
        if first is not None:
            lines = lines[first + 1:]
    return _article(path, matter, _short(title), tidy("\n".join(lines)), [])


def html_article(path: Path, source: str) -> Article:
    """An HTML page: metadata from <head>, text from <article>/<main>/<body>."""
    try:
        page = read_html(source)
    except AssertionError as exc:  # how html.parser reports markup it cannot read
        raise fail(path, f"could not be read as HTML ({exc})") from None
    when, published = _page_date(page.published)
    text = page.text
    return Article(
        path=path,
        title=_short(page.title or _first_line(text) or path.stem),
        date=when,
        published=published,
        author=page.author,
        tags=clean_tags(page.tags),
        language=detect_language(text) or normalise_language(page.language),
        url=page.url if page.url and URL.match(page.url) else None,
        text=text,
    )


def _article(path: Path, matter: FrontMatter, title: str, text: str,
             inline_tags: list[str]) -> Article:
    when, published = matter.when(*DATE_KEYS)
    explicit_published = matter.when(*PUBLISHED_KEYS)[1]
    urls = [u for u in (matter.text(k) for k in URL_KEYS) if u]
    publisher = matter.text("publisher", "site", "source_name")
    non_urls = [u for u in urls if not URL.match(u)]
    return Article(
        path=path,
        title=title,
        date=when,
        published=explicit_published or published,
        author=matter.text("author", "authors", "by"),
        publisher=publisher or (non_urls[0] if non_urls else None),
        tags=clean_tags(matter.strings("tags", "tag", "categories", "keywords") + inline_tags),
        aliases=unique(matter.strings("aliases", "alias")),
        language=normalise_language(matter.text("language", "lang")) or detect_language(text),
        url=next((u for u in urls if URL.match(u)), None),
        text=text,
        front_matter=matter.data,
    )


def _page_date(value: str | None) -> tuple[PartialDate | None, str | None]:
    """A page's date is a hint: a malformed one is ignored rather than refusing the page."""
    if not value:
        return None, None
    try:
        return dated(value)
    except InvalidField:
        return None, None


def _first_line(text: str) -> str | None:
    return next((squash(line) for line in text.split("\n") if line.strip()), None)


def _short(title: str) -> str:
    title = squash(title)
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"
