"""Company notes: Markdown pages about one company, with a History table.

The rule that tells a note from an article, in order:

1. front matter `type` (or `kind`) says `company` (also `organisation`, `公司`, `企业`):
   a note; any other value there (`article`, `post`, `news`...): an article;
2. otherwise the body has a History table: a note. A History table is a Markdown table
   with a date column (header Year/Date/When/年份/日期/时间...) and either an event column
   (Event/Milestone/Description/事件/事项/内容...) or a section heading such as History,
   Timeline, Milestones, 历史, 发展历程, 大事记;
3. otherwise: an article.

`aliases` alone does not make a note: Obsidian gives aliases to every kind of page.

Each History row becomes a `HistoryRow` whose date keeps the precision written
(`timeline.loose_dates`); a row whose date cannot be read is an error naming its
line, and the note is refused as a whole, as for every other document.
"""

from __future__ import annotations

import re
from pathlib import Path

from feeds.documents.errors import DocumentProblem, Problem
from feeds.documents.markdown import MarkdownText, Table, inline_text
from feeds.documents.models import CompanyNote, HistoryRow, NoteTable
from feeds.documents.articles import URL
from feeds.documents.source import FrontMatter
from feeds.documents.textutil import clean_tags, detect_language, normalise_language, squash, unique
from timeline.errors import InvalidField
from timeline.loose_dates import parse_loose_date

NOTE_TYPES = frozenset({"company", "organisation", "organization", "org", "公司", "企业"})
DATE_HEADERS = frozenset({"year", "date", "when", "period", "time", "年份", "年", "日期",
                          "时间", "年度", "时期"})
EVENT_HEADERS = frozenset({"event", "events", "milestone", "milestones", "what", "description",
                           "事件", "事项", "大事", "内容", "描述", "里程碑", "说明"})
HISTORY_HEADING = re.compile(r"history|timeline|milestones|chronology|历史|历程|沿革|大事记|里程碑",
                             re.I)
_ALIAS_LINE = re.compile(
    r"^(?:aliases?|also known as|a\.?k\.?a\.?|former names?|别名|又名|简称|曾用名|英文名|中文名)"
    r"\s*[:：]\s*(?P<names>.+)$",
    re.I,
)
_ALIAS_SPLIT = re.compile(r"\s*(?:[,，、;；]|\bor\b)\s*")
_LEAD_BOLD = re.compile(r"^\s*\*\*(?P<name>[^*]+?)\*\*\s*(?:[—–:：(（-]|is\b|是)")
_SKIPPABLE = re.compile(r"^\s*(?:#|---|\*\*\*|___|$)")


def is_company_note(matter: FrontMatter, doc: MarkdownText) -> bool:
    """The rule of the module docstring."""
    declared = matter.text("type", "kind")
    if declared is not None:
        return declared.strip().lower() in NOTE_TYPES
    return any(_history_columns(table) is not None for table in doc.tables)


def company_note(path: Path, matter: FrontMatter, doc: MarkdownText, body: str) -> CompanyNote:
    name = _name(path, matter, doc, body)
    text = doc.text()
    return CompanyNote(
        path=path,
        name=name,
        company_id=matter.text("id", "company_id"),
        aliases=unique(matter.strings("aliases", "alias", "别名") + _alias_lines(doc), exclude=name),
        country=_country(matter.text("country", "国家", "hq_country")),
        tags=clean_tags(matter.strings("tags", "tag", "categories") + doc.tags),
        language=normalise_language(matter.text("language", "lang")) or detect_language(text),
        url=next((u for u in (matter.text(k) for k in ("url", "source", "link"))
                  if u and URL.match(u)), None),
        history=_history(path, doc),
        tables=[_note_table(table) for table in doc.tables],
        text=text,
        front_matter=matter.data,
    )


# -- names ----------------------------------------------------------------------------

def _name(path: Path, matter: FrontMatter, doc: MarkdownText, body: str) -> str:
    """Front matter name/title, else the first H1, else a bold lead (`**AESC** — ...`),
    else the file name (Obsidian names a note after its subject)."""
    named = matter.text("name", "title", "company")
    if named:
        return squash(named)
    heading = doc.title()
    if heading is not None:
        return heading.text
    return _lead_bold(body) or path.stem


def _lead_bold(body: str) -> str | None:
    for line in body.split("\n"):
        if _SKIPPABLE.match(line):
            continue
        match = _LEAD_BOLD.match(line)
        return squash(inline_text(match["name"])) if match else None
    return None


def _alias_lines(doc: MarkdownText) -> list[str]:
    names: list[str] = []
    for line in doc.plain:
        match = _ALIAS_LINE.match(line.strip()) if line else None
        if match:
            names.extend(n.strip().rstrip("。.") for n in _ALIAS_SPLIT.split(match["names"]))
    return [n for n in names if n]


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    return value.upper() if re.fullmatch(r"[A-Za-z]{2}", value) else value


# -- tables ---------------------------------------------------------------------------

def _key(header: str) -> str:
    return squash(header).lower().rstrip(":：")


def _history_columns(table: Table) -> tuple[int, list[int]] | None:
    """(date column, event columns) if the table is a History table, else None."""
    keys = [_key(h) for h in table.header]
    date_col = next((i for i, k in enumerate(keys) if k in DATE_HEADERS), None)
    if date_col is None:
        return None
    events = [i for i, k in enumerate(keys) if k in EVENT_HEADERS]
    if events:
        return date_col, events
    if table.heading and HISTORY_HEADING.search(table.heading):
        return date_col, [i for i in range(len(keys)) if i != date_col]
    return None


def _history(path: Path, doc: MarkdownText) -> list[HistoryRow]:
    rows: list[HistoryRow] = []
    problems: list[Problem] = []
    for table in doc.tables:
        columns = _history_columns(table)
        if columns is None:
            continue
        date_col, event_cols = columns
        for line, cells in table.rows:
            row = _history_row(line, cells, date_col, event_cols, problems)
            if row is not None:
                rows.append(row)
    if problems:
        raise DocumentProblem(path, problems)
    return rows


def _history_row(line: int, cells: list[str], date_col: int, event_cols: list[int],
                 problems: list[Problem]) -> HistoryRow | None:
    when = cells[date_col] if date_col < len(cells) else ""
    text = "; ".join(cells[i] for i in event_cols if i < len(cells) and cells[i])
    if not when and not text:
        return None
    try:
        date = parse_loose_date(when, field="date")
    except InvalidField as exc:
        problems.append(Problem(exc.problem, line=line, field="History date"))
        return None
    if not text:
        problems.append(Problem("the row has a date but no event", line=line, field="History event"))
        return None
    return HistoryRow(line=line, date=date, date_text=when, text=text)


def _note_table(table: Table) -> NoteTable:
    columns = _unique_columns(table.header)
    rows = [
        {column: cells[i] if i < len(cells) else "" for i, column in enumerate(columns)}
        for _, cells in table.rows
    ]
    return NoteTable(heading=table.heading, line=table.line, columns=columns, rows=rows)


def _unique_columns(header: list[str]) -> list[str]:
    """Header names usable as keys: blanks become `column N`, repeats get ` (2)`."""
    columns: list[str] = []
    for i, name in enumerate(header, start=1):
        base = squash(name) or f"column {i}"
        column, n = base, 2
        while column in columns:
            column, n = f"{base} ({n})", n + 1
        columns.append(column)
    return columns
