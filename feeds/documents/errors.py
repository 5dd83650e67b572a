"""Problems found in a document, each pinned to the place a person can go and fix.

All of them are `timeline.errors.DocumentError`s, so the CLI maps them to exit status 2
without knowing this module. `DocumentProblem` carries every problem found (a curator
fixing a 500-row CSV wants the whole list at once, not one round trip per row) and keeps
the first problem's line and field as attributes for callers and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from timeline.errors import DocumentError

MAX_LISTED = 20
MAX_PROBLEM = 500


@dataclass(frozen=True)
class Problem:
    """One fault: where (line, and for JSON the item), which field, and what is wrong."""

    problem: str
    line: int | None = None
    field: str | None = None
    item: int | None = None                # JSON array item, counted from 1

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else ""
        if self.item is not None:
            where += f" (item {self.item})" if where else f"item {self.item}"
        what = f"{self.field}: {self.problem}" if self.field else self.problem
        if len(what) > MAX_PROBLEM:  # a 5 MB cell quoted back helps nobody
            what = what[: MAX_PROBLEM - 1] + "…"
        return f"{where}: {what}" if where else what


class DocumentProblem(DocumentError):
    """A document that cannot be read as it stands; nothing of it is returned."""

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        assert problems, "a DocumentProblem needs at least one problem"
        self.path = path
        self.problems = tuple(problems)
        super().__init__(_message(path, self.problems))

    @property
    def line(self) -> int | None:
        return self.problems[0].line

    @property
    def field(self) -> str | None:
        return self.problems[0].field


def _message(path: Path, problems: tuple[Problem, ...]) -> str:
    if len(problems) == 1:
        first = problems[0]
        located = first.line is not None or first.item is not None
        return f"{path}{',' if located else ':'} {first.describe()}"
    listed = [f"  {p.describe()}" for p in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        listed.append(f"  ... and {len(problems) - MAX_LISTED} more")
    head = f"{path}: {len(problems)} problems; nothing of the file was imported:"
    return "\n".join([head, *listed])


def fail(path: Path, problem: str, line: int | None = None, field: str | None = None) -> DocumentProblem:
    """The one-problem case, for `raise fail(...)`."""
    return DocumentProblem(path, [Problem(problem, line=line, field=field)])
