"""Markdown to plain text, keeping the structure readers need: headings, tables, tags.

No Markdown library is used: the readers need text for extraction, not HTML, and a line
scanner keeps every table row and heading at the line number an editor shows (a History
row's error must point at its line). What is removed: heading marks, emphasis, code fences,
block quotes, list markers, link targets (`[text](url)` -> text), wiki links (`[[X]]` -> X,
`[[X|Y]]` -> Y), images and embeds (dropped, alt text too), HTML tags and comments, script
and style blocks, footnote marks, reference definitions, lines made only of #tags (their
tags are collected). Table rows become their cells joined by "; ".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from feeds.documents.textutil import hashtags, is_hashtag_line, tidy

CELL_JOINER = "; "

_HIDDEN_BLOCKS = re.compile(
    r"<!--.*?(?:-->|\Z)|%%.*?(?:%%|\Z)|<(script|style|template)\b[^<>]{0,1000}>.*?(?:</\1\s*>|\Z)",
    re.S | re.I,
)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"^\s{0,3}=+\s*$")
_RULE = re.compile(r"^\s{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r"^\s{0,3}>[ \t]?")
_CALLOUT = re.compile(r"^\[![\w-]+\][+-]?\s*")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]^]+\]:\s*\S+.*$")
_FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^[^\]]+\]:\s*")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")

# A whole run of backticks opens a code span and a run as long closes it (CommonMark): a
# span starts only where a run starts, so a line of 10,000 backticks is tried once, not
# 10,000 times with every shorter run (which took seconds, and minutes for 20,000).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.{1,2000}?)(?<!`)\1(?!`)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^<>\s]+|mailto:[^<>\s]+)>", re.I)
_IMAGES = re.compile(r"!\[\[[^\[\]]{0,1000}\]\]|!\[[^\[\]]{0,1000}\]\([^()]{0,2000}\)|!\[[^\[\]]{0,1000}\]\[[^\[\]]{0,200}\]")
_BREAK_TAG = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_WIKI = re.compile(r"\[\[([^\[\]]+)\]\]")
_FOOTNOTE_REF = re.compile(r"\[\^[^\[\]]{1,200}\]")
_LINK = re.compile(
    r"\[((?:[^\[\]]|\[[^\[\]]{0,500}\])*)\]"
    r"\((?:<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REF_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]{0,500}\])+)\]\[[^\[\]]{0,200}\]")
# Emphasis delimiters are removed where they touch text, without pairing them: pairing
# costs quadratic time on hostile input and extraction does not need the emphasis, only
# the words. `*`, `~~` and `==` go when they touch a non-space (so "a * b" keeps its star);
# `_` goes only at the edge of a word, so snake_case_names stay whole.
_EMPHASIS = re.compile(
    r"(?:\*+|~~|==)(?=\S)|(?<=\S)(?:\*+|~~|==)"
    r"|(?<![^\W_])_+(?=[^\W_])|(?<=[^\W_])_+(?![^\W_])"
)
# Every open-ended pattern is bounded ({0,500} rather than *): a hostile line of ten
# million '[' or '*' must cost linear time, not quadratic.
_PUA = 0xE000          # escaped punctuation is parked here while markup is removed
_SLOT = "\ue100{}\ue101"  # code spans are parked in numbered slots


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str


@dataclass(frozen=True)
class Table:
    heading: str | None
    line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]      # (line, plain cells)


@dataclass
class MarkdownText:
    """A Markdown body read line by line; `plain[i]` is the text of body line i."""

    first_line: int
    plain: list[str | None] = field(default_factory=list)   # None: a line with no text at all
    headings: list[Heading] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def text(self, skip_line: int | None = None) -> str:
        """The body as plain text, leaving out one line (the one a title came from)."""
        lines = [t for i, t in enumerate(self.plain)
                 if t is not None and i + self.first_line != skip_line]
        return tidy("\n".join(lines))

    def title(self) -> Heading | None:
        return next((h for h in self.headings if h.level == 1 and h.text), None)


def inline_text(source: str) -> str:
    """One line of Markdown as plain text."""
    slots: list[str] = []

    def park(match: re.Match[str]) -> str:
        slots.append(match.group(2).strip())
        return _SLOT.format(len(slots) - 1)

    text = _CODE_SPAN.sub(park, source)
    text = _ESCAPE.sub(lambda m: chr(_PUA + ord(m.group(1))), text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _IMAGES.sub("", text)
    text = _BREAK_TAG.sub(" ", text)
    text = _TAG.sub("", text)
    text = _WIKI.sub(lambda m: _wiki_label(m.group(1)), text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _strip_emphasis(text)
    text = re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group(0)) - _PUA), text)
    text = re.sub("\ue100(\\d+)\ue101", lambda m: slots[int(m.group(1))], text)
    return html.unescape(text)


def _wiki_label(inner: str) -> str:
    """[[Page]] -> Page, [[Page|Label]] -> Label, [[Page#Section]] -> Page."""
    parts = re.split(r"\\?\||" + chr(_PUA + ord("|")), inner, maxsplit=1)
    if len(parts) == 2 and parts[1].strip():
        return parts[1].strip()
    return parts[0].split("#")[0].strip() or parts[0].strip()


def _strip_emphasis(text: str) -> str:
    return _EMPHASIS.sub("", text)


def split_cells(line: str) -> list[str]:
    """A table row's cells; a `|` inside `[[X|Y]]`, inside code or escaped does not split."""
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells: list[str] = []
    current: list[str] = []
    depth = 0
    in_code = False
    i = 0
    while i < len(row):
        char = row[i]
        if row.startswith("[[", i) and not in_code:
            depth, step = depth + 1, 2
        elif row.startswith("]]", i) and depth and not in_code:
            depth, step = depth - 1, 2
        elif char == "\\" and row.startswith("|", i + 1):
            step = 2
        elif char == "`":
            in_code, step = not in_code, 1
        elif char == "|" and not depth and not in_code:
            cells.append("".join(current))
            current, i = [], i + 1
            continue
        else:
            step = 1
        current.append(row[i: i + step])
        i += step
    cells.append("".join(current))
    return [cell.strip() for cell in cells]


def read_markdown(body: str, first_line: int = 1) -> MarkdownText:
    """Read a Markdown body whose first line is line `first_line` of the file."""
    body = _HIDDEN_BLOCKS.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    lines = body.split("\n")
    doc = MarkdownText(first_line)
    fence: str | None = None
    heading: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE.match(line)
        if fence is not None or opened:
            fence = _next_fence(fence, opened, line)
            doc.plain.append(None if opened else line)
            i += 1
            continue
        if _is_table_start(lines, i):
            i = _read_table(doc, lines, i, heading)
            continue
        found = _heading(lines, i)
        if found is not None:
            level, text = found
            heading = text
            doc.headings.append(Heading(first_line + i, level, text))
        doc.plain.append(_line_text(doc, line, found))
        i += 1
    return doc


def _next_fence(fence: str | None, opened: re.Match[str] | None, line: str) -> str | None:
    """The open fence after this line: opened, still open, or closed."""
    if fence is None:
        return opened.group(1) if opened else None
    marker = line.strip()
    closes = marker.startswith(fence[0] * len(fence)) and not marker.strip(fence[0])
    return None if closes else fence


def _heading(lines: list[str], i: int) -> tuple[int, str] | None:
    atx = _ATX.match(lines[i])
    if atx:
        return len(atx.group(1)), inline_text(atx.group(2) or "").strip()
    below = lines[i + 1] if i + 1 < len(lines) else ""
    if lines[i].strip() and _SETEXT_H1.match(below):
        return 1, inline_text(lines[i]).strip()
    return None


def _line_text(doc: MarkdownText, line: str, heading: tuple[int, str] | None) -> str | None:
    if heading is not None:
        return heading[1]
    if _RULE.match(line):
        return ""
    if _SETEXT_H1.match(line) or _REF_DEF.match(line):
        return None
    while _QUOTE.match(line):
        line = _QUOTE.sub("", line, count=1)
    line = _CALLOUT.sub("", _FOOTNOTE_DEF.sub("", _LIST.sub("", line, count=1)))
    if is_hashtag_line(line):
        doc.tags.extend(hashtags(line))
        return None
    return inline_text(line)


def _is_table_start(lines: list[str], i: int) -> bool:
    return (
        "|" in lines[i]
        and i + 1 < len(lines)
        and "|" in lines[i + 1]
        and "-" in lines[i + 1]
        and bool(_TABLE_DELIMITER.match(lines[i + 1]))
    )


def _read_table(doc: MarkdownText, lines: list[str], i: int, heading: str | None) -> int:
    """Read the table starting at line i; return the index of the line after it."""
    header = [inline_text(cell) for cell in split_cells(lines[i])]
    doc.plain.extend([CELL_JOINER.join(c for c in header if c), None])
    rows: list[tuple[int, list[str]]] = []
    j = i + 2
    while j < len(lines) and lines[j].strip() and "|" in lines[j]:
        cells = [inline_text(cell).strip() for cell in split_cells(lines[j])]
        rows.append((doc.first_line + j, cells))
        doc.plain.append(CELL_JOINER.join(c for c in cells if c))
        j += 1
    doc.tables.append(Table(heading, doc.first_line + i, header, rows))
    return j
