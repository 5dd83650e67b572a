"""Document readers behind `timeline import FILE...`: files in, neutral validated objects out.

`read_document(path)` dispatches on the suffix and returns an `Article`, a `CompanyNote`
or an `EventBatch` (see `feeds.documents.models`). It writes nothing and resolves nothing:
the importer decides what enters the log. Whatever is wrong with a file is raised as a
`timeline.errors.DocumentError` naming the file and, where there is one, the line and the
field, and nothing of that file is returned.

    .md .markdown   an article, or a company note (rule in `feeds.documents.notes`)
    .html .htm      an article
    .txt            an article (front matter optional; else the first line is the title)
    .json .csv      an event batch
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from feeds.documents.articles import html_article, markdown_article, text_article
from feeds.documents.batches import RowCheck, csv_batch, json_batch
from feeds.documents.errors import DocumentProblem, Problem, fail
from feeds.documents.markdown import read_markdown
from feeds.documents.models import (
    Article, CompanyNote, CompanyRole, Document, EventBatch, EventRow, EventSource, HistoryRow,
    NoteTable,
)
from feeds.documents.notes import company_note, is_company_note
from feeds.documents.source import MAX_DOCUMENT_BYTES, read_text, split_front_matter
from timeline.loose_dates import parse_loose_date

__all__ = [
    "Article", "CompanyNote", "CompanyRole", "Document", "DocumentProblem", "EventBatch",
    "EventRow", "EventSource", "HistoryRow", "MAX_DOCUMENT_BYTES", "NoteTable", "Problem",
    "SUFFIXES", "parse_loose_date", "read_document", "read_markdown_document",
]


def read_markdown_document(path: Path, source: str) -> Article | CompanyNote:
    """Markdown: a company note if its front matter or History table says so, else an article."""
    matter, body, first_line = split_front_matter(path, source)
    doc = read_markdown(body, first_line)
    if is_company_note(matter, doc):
        return company_note(path, matter, doc, body)
    return markdown_article(path, matter, doc)


_READERS: dict[str, tuple[Callable[[Path, str], Document], bool]] = {
    ".md": (read_markdown_document, False),
    ".markdown": (read_markdown_document, False),
    ".html": (html_article, True),
    ".htm": (html_article, True),
    ".txt": (text_article, False),
    ".json": (json_batch, False),
    ".csv": (csv_batch, False),
}
_BATCHES: dict[str, Callable[[Path, str, RowCheck | None], EventBatch]] = {
    ".json": json_batch, ".csv": csv_batch,
}
SUFFIXES: tuple[str, ...] = tuple(_READERS)


def read_document(path: Path | str, max_bytes: int = MAX_DOCUMENT_BYTES,
                  check_row: RowCheck | None = None) -> Document:
    """Read one file into an `Article`, a `CompanyNote` or an `EventBatch`.

    Raises `DocumentError` (a `DocumentProblem`) for an unknown suffix, a missing, binary,
    oversized or undecodable file, broken front matter, and any invalid row or History date.
    """
    path = Path(path)
    if path.is_dir():
        raise fail(path, "is a directory, not a file; name the files in it (e.g. folder/*.md)")
    entry = _READERS.get(path.suffix.lower())
    if entry is None:
        shown = path.suffix or "no suffix"
        raise fail(path, f"cannot import a file with {shown}; the suffixes accepted are "
                         f"{' '.join(SUFFIXES)}")
    batch = _BATCHES.get(path.suffix.lower())
    if batch is not None:  # `check_row` checks each event of a batch file as it is read
        return batch(path, read_text(path, max_bytes), check_row)
    reader, is_html = entry
    return reader(path, read_text(path, max_bytes, sniff_html=is_html))
