"""Files of events: a JSON array (or an object with an "events" array), or a CSV table.

A batch is all or nothing: every row is validated, every problem is collected with the
line a person must go to, and if there is any problem nothing of the file is returned.

Line numbers: for CSV, the physical line where the row starts (the header is line 1; a
quoted cell may span lines, so the count comes from the reader, not from row numbers).
For JSON, the line where the array element starts, found by decoding the array one element
at a time with `json.JSONDecoder.raw_decode` at known offsets; problems also name the item
(counted from 1), since several items may start on one line.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feeds.documents.errors import DocumentProblem, Problem, fail
from feeds.documents.events import COMMON_KEYS, DERIVED_KEYS, TYPED_KEYS, build_event
from feeds.documents.models import EventBatch, EventRow
from feeds.sanitize import strip_controls
from timeline.errors import InputError, InvalidField, UnknownType
from timeline.texts import FORMULA_START

CSV_COLUMNS = (COMMON_KEYS - {"location"}) | TYPED_KEYS | DERIVED_KEYS
REQUIRED_COLUMNS = ("type", "date", "title")
_WHITESPACE = " \t\n\r"


class _LineIndex:
    """Offsets to line numbers in O(log n)."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _problem(exc: InputError, line: int, item: int | None = None) -> Problem:
    if isinstance(exc, InvalidField):
        return Problem(exc.problem, line=line, field=exc.field, item=item)
    if isinstance(exc, UnknownType):
        return Problem(exc.message.removeprefix("type: "), line=line, field="type", item=item)
    return Problem(exc.message, line=line, item=item)


# A check of a row against what the file cannot know (the company registry), made while
# the file is read so that its problems are listed with the file's own, all at once: it
# returns every problem it finds.
RowCheck = Callable[[EventRow], list[InputError]]


def _finish(path: Path, fmt: str, rows: list[EventRow], problems: list[Problem],
            items: bool, check_row: RowCheck | None) -> EventBatch:
    """Refuse the batch if anything was wrong, including an id used twice or a row that
    `check_row` refuses."""
    if check_row is not None:
        for row in rows:
            problems.extend(_problem(exc, row.line, row.index + 1 if items else None)
                            for exc in check_row(row))
    first_use: dict[str, int] = {}
    for row in rows:
        if row.id is None:
            continue
        if row.id in first_use:
            problems.append(Problem(f"{row.id!r} is already the id of the event on line "
                                    f"{first_use[row.id]}", line=row.line, field="id",
                                    item=row.index + 1 if items else None))
        first_use.setdefault(row.id, row.line)
    if problems:
        raise DocumentProblem(path, sorted(problems, key=lambda p: (p.line or 0, p.item or 0)))
    return EventBatch(path=path, format=fmt, events=rows)


# -- JSON -----------------------------------------------------------------------------

class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects with a key given twice are refused: which value was meant?"""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WHITESPACE:
        i += 1
    return i


def _decode_at(path: Path, text: str, i: int, lines: _LineIndex) -> tuple[Any, int]:
    """One JSON value starting at offset i, and the offset after it."""
    try:
        return _DECODER.raw_decode(text, i)
    except json.JSONDecodeError as exc:
        raise fail(path, f"is not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    except _DuplicateKey as exc:
        raise fail(path, f"the key {exc.key!r} appears twice in the item starting on this line",
                   line=lines.line(i)) from None
    except ValueError as exc:
        raise fail(path, f"is not valid JSON: {exc}", line=lines.line(i)) from None
    except RecursionError:
        raise fail(path, "is nested too deeply to be an events file", line=lines.line(i)) from None


def _expect(path: Path, text: str, i: int, char: str, lines: _LineIndex) -> int:
    if not text.startswith(char, i):
        found = repr(text[i]) if i < len(text) else "the end of the file"
        raise fail(path, f"is not valid JSON: expected {char!r} but found {found}", line=lines.line(i))
    return _skip(text, i + 1)


def _array(path: Path, text: str, i: int, lines: _LineIndex) -> tuple[list[tuple[int, Any]], int]:
    """The elements of the array at offset i, each with its start offset."""
    i = _expect(path, text, i, "[", lines)
    elements: list[tuple[int, Any]] = []
    if text.startswith("]", i):
        return elements, i + 1
    while True:
        value, end = _decode_at(path, text, i, lines)
        elements.append((i, value))
        i = _skip(text, end)
        if text.startswith("]", i):
            return elements, i + 1
        i = _expect(path, text, i, ",", lines)


def _events_member(path: Path, text: str, i: int, lines: _LineIndex) -> tuple[list[tuple[int, Any]], int]:
    """The "events" array of the top-level object at offset i."""
    i = _expect(path, text, i, "{", lines)
    found: list[tuple[int, Any]] | None = None
    while not text.startswith("}", i):
        key, i = _decode_at(path, text, i, lines)
        if not isinstance(key, str):
            raise fail(path, "is not valid JSON: object keys must be strings", line=lines.line(i))
        i = _expect(path, text, _skip(text, i), ":", lines)
        if key == "events":
            if found is not None:
                raise fail(path, "the key 'events' appears twice", line=lines.line(i))
            if not text.startswith("[", i):
                raise fail(path, "'events' must be an array of events", line=lines.line(i), field="events")
            found, i = _array(path, text, i, lines)
        else:
            _, i = _decode_at(path, text, i, lines)
        i = _skip(text, i)
        if not text.startswith("}", i):
            i = _expect(path, text, i, ",", lines)
    if found is None:
        raise fail(path, 'the object has no "events" array; give an array of events or '
                         '{"events": [...]}', line=lines.line(i))
    return found, i + 1


def json_batch(path: Path, text: str, check_row: RowCheck | None = None) -> EventBatch:
    lines = _LineIndex(text)
    start = _skip(text, 0)
    if start == len(text):
        raise fail(path, "is empty; give a JSON array of events")
    if text[start] == "[":
        elements, end = _array(path, text, start, lines)
    elif text[start] == "{":
        elements, end = _events_member(path, text, start, lines)
    else:
        raise fail(path, 'must hold a JSON array of events or an object with an "events" array',
                   line=lines.line(start))
    end = _skip(text, end)
    if end < len(text):
        raise fail(path, "has more after the JSON value ends", line=lines.line(end))
    rows: list[EventRow] = []
    problems: list[Problem] = []
    for index, (offset, value) in enumerate(elements):
        line = lines.line(offset)
        if not isinstance(value, dict):
            problems.append(Problem("is not an event object", line=line, item=index + 1))
            continue
        try:
            # The id is checked as written: one with a character an id cannot hold is
            # refused, not quietly made into another id by taking the character out.
            rows.append(build_event({**_without_controls(value), **_as_written(value, "id")},
                                    line, index))
        except InputError as exc:
            problems.append(_problem(exc, line, index + 1))
    return _finish(path, "json", rows, problems, items=True, check_row=check_row)


def _as_written(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: row[key]} if key in row else {}


def _without_controls(value: Any) -> Any:
    """A JSON value with control characters taken out of every string: JSON writes them
    as escapes (\\u001b), which the raw text held only as letters."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {key: _without_controls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_controls(item) for item in value]
    return value


# -- CSV ------------------------------------------------------------------------------

def _formula_guard_off(cell: str) -> str:
    """A cell as it was before `events --format csv` guarded it: a text that would start a
    spreadsheet formula is written with an apostrophe in front, which is not part of it."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_START else cell


def _columns(path: Path, header: list[str]) -> list[str]:
    columns = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in header]
    problems: list[Problem] = []
    for position, column in enumerate(columns, start=1):
        if not column:
            continue  # spreadsheets add empty columns; a value under one is a row's problem
        if column not in CSV_COLUMNS:
            problems.append(Problem(
                f"{header[position - 1].strip()!r} is not a column of an events file; the "
                f"columns are {', '.join(sorted(CSV_COLUMNS - DERIVED_KEYS))}",
                line=1, field="header"))
        elif column in columns[: position - 1]:
            problems.append(Problem(f"column {column!r} appears twice", line=1, field="header"))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(Problem(f"the required column(s) {', '.join(missing)} are missing",
                                line=1, field="header"))
    if problems:
        raise DocumentProblem(path, problems)
    return columns


def _delimiter(text: str) -> str:
    """Comma, unless the header has tabs and no commas (a sheet saved as TSV)."""
    header = text.split("\n", 1)[0]
    return "\t" if "\t" in header and "," not in header else ","


def csv_batch(path: Path, text: str, check_row: RowCheck | None = None) -> EventBatch:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[EventRow] = []
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        if header is None:
            raise fail(path, "is empty; the first line must name the columns (type,date,title,...)")
        columns = _columns(path, header)
        end = reader.line_num
        for record in reader:
            line, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(columns):
                problems.append(Problem(f"has {len(record)} cells but the header names "
                                        f"{len(columns)} columns", line=line))
                continue
            unnamed = [i + 1 for i, cell in enumerate(record) if not columns[i] and cell.strip()]
            if unnamed:
                problems.append(Problem(f"has a value in column {unnamed[0]}, which the header "
                                        "does not name", line=line))
                continue
            try:
                values = {c: _formula_guard_off(cell) for c, cell in zip(columns, record) if c}
                rows.append(build_event(values, line, len(rows) + len(problems)))
            except InputError as exc:
                problems.append(_problem(exc, line))
    except csv.Error as exc:
        raise fail(path, f"is not valid CSV: {exc}", line=reader.line_num) from None
    return _finish(path, "csv", rows, problems, items=False, check_row=check_row)
