"""From a path to text and front matter: size cap, encodings, YAML, and typed look-ups.

Every reader starts here, so the guarantees are made once: a file over the cap is refused
before it is read, text is UTF-8 (BOM or not) or GB18030 (which many Chinese sites and
Windows tools still write), NUL bytes mean "not a text file", and line endings are `\n`
so that every line number we report is the one an editor shows.
"""

from __future__ import annotations

import codecs
import email.utils
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from feeds.documents.errors import DocumentProblem, fail
from feeds.sanitize import strip_controls
from timeline.dates import PartialDate, parse_date
from timeline.errors import InvalidField
from timeline.loose_dates import parse_loose_date

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# GB2312 and GBK are subsets of GB18030; decoding with the superset never loses a character.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "ascii": "utf-8",
              "iso8859-1": "cp1252", "latin-1": "cp1252"}
_FRONT_OPEN = re.compile(r"^---[ \t]*\n")
_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_MAX_YAML_NODES = 10_000


# -- bytes and text -------------------------------------------------------------------

def read_bytes(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The file's bytes, refusing what is missing, not a file, or larger than the cap."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise fail(path, "is not a file")
        if size > max_bytes:
            raise fail(path, f"is {size:,} bytes; a document may have at most {max_bytes:,} "
                             "bytes, so split it into smaller files")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise fail(path, "no such file") from None
    except PermissionError:
        raise fail(path, "permission denied; check the file's permissions") from None
    except IsADirectoryError:
        raise fail(path, "is a directory, not a file") from None
    except OSError as exc:
        raise fail(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # it grew while we looked
        raise fail(path, f"grew while it was read; a document may have at most {max_bytes:,} bytes")
    return data


def decode(path: Path, data: bytes, sniff_html: bool = False) -> str:
    """Text from bytes: a BOM wins, then (for HTML) a declared charset, then UTF-8, then
    GB18030. Newlines become `\\n`."""
    text = _decode(path, data, sniff_html)
    if "\x00" in text:
        raise fail(path, "contains NUL characters; it looks like a binary file, not a document")
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))


def _decode(path: Path, data: bytes, sniff_html: bool) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _undecodable(path, data, exc, encoding) from None
    if sniff_html:
        declared = _declared_charset(data)
        if declared is not None:
            try:
                return data.decode(declared)
            except UnicodeDecodeError:
                pass  # the declaration lies more often than the bytes; try the usual ones
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise _undecodable(path, data, utf8_error, "UTF-8 or GB18030") from None


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return _SUPERSETS.get(name, name)


def _undecodable(path: Path, data: bytes, exc: UnicodeDecodeError, tried: str) -> DocumentProblem:
    line = data[: exc.start].count(b"\n") + 1
    byte = data[exc.start: exc.start + 1].hex()
    return fail(path, f"is not {tried} text (byte 0x{byte} at offset {exc.start}); "
                      "save it as UTF-8", line=line)


def read_text(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES, sniff_html: bool = False) -> str:
    return decode(path, read_bytes(path, max_bytes), sniff_html)


# -- front matter ---------------------------------------------------------------------

@dataclass(frozen=True)
class FrontMatter:
    """YAML front matter and where it stood, so that a bad value can name its line.

    `raw` holds the values as YAML gave them (dates still `date`s, for `when`); `data` is
    the JSON-safe copy that documents carry.
    """

    path: Path
    raw: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    source: str = ""                      # the YAML text, for finding a key's line
    first_line: int = 2                   # the file line of the YAML text's first line

    def line_of(self, key: str) -> int | None:
        match = re.search(rf"^{re.escape(key)}\s*:", self.source, re.M)
        return self.first_line + self.source.count("\n", 0, match.start()) if match else None

    def _key(self, keys: tuple[str, ...]) -> str | None:
        for key in keys:
            value = self.raw.get(key)
            if value is not None and value != "" and value != []:
                return key
        return None

    def problem(self, key: str, problem: str) -> DocumentProblem:
        return fail(self.path, problem, line=self.line_of(key), field=key)

    def text(self, *keys: str) -> str | None:
        """The first of `keys` that is set, as text; a list or mapping there is an error."""
        key = self._key(keys)
        if key is None:
            return None
        value = self.data[key]
        if isinstance(value, (dict, list)):
            raise self.problem(key, "must be a single value, not a list or mapping")
        text = str(value).strip()
        return text or None

    def strings(self, *keys: str) -> list[str]:
        """Every value of `keys`: YAML lists, or text separated by commas."""
        found: list[str] = []
        for key in keys:
            value = self.data.get(key)
            if value is None:
                continue
            if isinstance(value, dict):
                raise self.problem(key, "must be a list or comma-separated text, not a mapping")
            items = value if isinstance(value, list) else re.split(r"[,，、]", str(value))
            found.extend(str(item).strip() for item in items if item is not None)
        return [item for item in found if item]

    def when(self, *keys: str) -> tuple[PartialDate | None, str | None]:
        """The first date of `keys`, as (date at its precision, ISO UTC time if a day)."""
        key = self._key(keys)
        if key is None:
            return None, None
        try:
            return dated(self.raw[key])
        except InvalidField as exc:
            raise self.problem(key, exc.problem) from None


def split_front_matter(path: Path, text: str) -> tuple[FrontMatter, str, int]:
    """(front matter, body, line number of the body's first line)."""
    if not _FRONT_OPEN.match(text):
        return FrontMatter(path), text, 1
    start = text.index("\n") + 1
    close = _FRONT_CLOSE.search(text, start)
    if close is None:
        raise fail(path, "the front matter opened by '---' on line 1 is never closed by a "
                         "'---' line", line=1)
    source = text[start: close.start()]
    raw = _load_yaml(path, source)
    body_start = text.find("\n", close.end())
    body = "" if body_start < 0 else text[body_start + 1:]
    body_line = text.count("\n", 0, close.end()) + 2
    return FrontMatter(path, raw, json_safe(path, raw), source), body, body_line


class _DatesAsText(yaml.SafeLoader):
    """Safe YAML that leaves dates as the text they were written in: YAML's own reading of
    `2019-02-30` or `2019-01-02T25:61:00` raises mid-load, and ours (`dated`) names the
    field and what is wrong with it."""


_DatesAsText.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(path: Path, source: str) -> dict[str, Any]:
    try:
        loaded = yaml.load(source, Loader=_DatesAsText)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise fail(path, _yaml_problem(exc), line=_yaml_line(exc.problem_mark)) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise fail(path, f"the front matter is not valid YAML: {exc}", line=2) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise fail(path, "the front matter must be a mapping of keys to values "
                         f"(found {type(loaded).__name__})", line=2)
    return {str(key): value for key, value in loaded.items()}


def _yaml_line(mark: yaml.Mark | None) -> int | None:
    return None if mark is None else 2 + mark.line   # the YAML text starts on line 2


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem, with the line where the unfinished construct began, which is
    usually where the mistake is (an unclosed `[` is noticed only on a later line)."""
    problem = exc.problem or "unreadable"
    if exc.problem_mark is not None:
        problem += f" (column {exc.problem_mark.column + 1})"
    context_line = _yaml_line(exc.context_mark)
    if exc.context and context_line is not None and context_line != _yaml_line(exc.problem_mark):
        problem += f"; {exc.context} begun on line {context_line}"
    elif exc.context:
        problem = f"{exc.context}: {problem}"
    return f"the front matter is not valid YAML: {problem}"


def json_safe(path: Path, value: Any) -> dict[str, Any]:
    """A JSON-safe copy of the front matter: dates become ISO text, keys become text.

    YAML anchors share nodes, so a small file can describe an exponentially large tree
    ("billion laughs"); the copy stops after a fixed number of nodes.
    """
    budget = [_MAX_YAML_NODES]

    def copy(node: Any) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise fail(path, f"the front matter has more than {_MAX_YAML_NODES:,} values", line=2)
        if isinstance(node, dict):
            return {str(k): copy(v) for k, v in node.items()}
        if isinstance(node, (list, tuple, set)):
            return [copy(v) for v in node]
        if isinstance(node, (date, datetime)):
            return node.isoformat()
        if isinstance(node, bytes):
            return node.hex()
        return node

    try:
        result = copy(value)
    except RecursionError:
        raise fail(path, "the front matter is nested too deeply", line=2) from None
    assert isinstance(result, dict)
    return result


# -- dates ----------------------------------------------------------------------------

def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC to the second; a time without an offset is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01 00:00+05:00 is before the year 1 in UTC
        raise InvalidField("date", f"{moment.isoformat()} is out of range in UTC") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dated(value: Any) -> tuple[PartialDate | None, str | None]:
    """(date at its precision, ISO UTC time) from a YAML date, datetime, year or text.

    The date is the one written, in the writer's own time zone: an article stamped
    2019-01-02T01:00+08:00 is dated 2019-01-02 though it was published on the 1st in UTC.
    A day without a time is published at 00:00 UTC; coarser dates have no publication time.
    """
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return _day(value.date()), iso_utc(value)
    if isinstance(value, date):
        return _day(value), iso_utc(datetime(value.year, value.month, value.day))
    if isinstance(value, int) and not isinstance(value, bool):
        return parse_date(str(value)), None
    if isinstance(value, str):
        return _dated_text(value)
    raise InvalidField("date", f"{value!r} is not a date")


def _day(day: date) -> PartialDate:
    return PartialDate(year=day.year, month=day.month, day=day.day)


def _dated_text(text: str) -> tuple[PartialDate | None, str | None]:
    raw = text.strip()
    moment = _datetime(raw)
    if moment is not None:
        return _day(moment.date()), iso_utc(moment)
    when = parse_loose_date(raw)
    if when.day is not None and when.note is None:
        return when, iso_utc(datetime(when.year, when.start.month, when.day))
    return when, None


def _datetime(raw: str) -> datetime | None:
    """ISO 8601 (with a space or a T, Z or an offset) or RFC 2822, else None."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}.*", raw):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
    if re.match(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", raw):
        try:
            return email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
    return None
