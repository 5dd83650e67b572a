"""One exception hierarchy for everything timeline refuses to do.

Every message is written for the person at the keyboard: it names the thing at fault and,
where there is one, the way out. The CLI maps the two branches to exit codes in one place
(`timeline.cli.errors`): `InputError` means "you asked for something wrong" (exit 2, nothing
written), everything else means "the system could not do it" (exit 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class TimelineError(Exception):
    """Root of every error timeline raises on purpose."""

    default = "timeline could not complete the request"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(TimelineError):
    """The request itself is wrong; nothing was written. Exit status 2."""

    default = "invalid input"


class InvalidField(InputError):
    """A named field has a value it cannot take."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class UnknownType(InputError):
    def __init__(self, type_name: str, known: list[str]) -> None:
        self.type_name = type_name
        super().__init__(
            f"type: unknown event type {type_name!r}; known types are {', '.join(known)}"
        )


class UnknownCompany(InputError):
    def __init__(self, company: str) -> None:
        self.company = company
        super().__init__(
            f"company: no company has the id or alias {company!r}; "
            "register it with `timeline companies add` or check `timeline companies list`"
        )


class UnknownEvent(InputError):
    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(
            f"event: no event has the id {event_id!r}; `timeline events` lists the ids"
        )


class EventRetracted(InputError):
    def __init__(self, event_id: str, correcting: bool = False) -> None:
        self.event_id = event_id
        super().__init__(f"event: {event_id} is retracted; a retracted event cannot be corrected"
                         if correcting else f"event: {event_id} is already retracted; nothing to do")


class DuplicateCompany(InputError):
    def __init__(self, company: str, owner: str) -> None:
        self.company = company
        super().__init__(
            f"company: {company!r} is already taken by company {owner!r}; "
            "choose another id or alias"
        )


class ConfigError(InputError):
    """config.toml (or an environment variable standing in for it) is unusable."""

    default = "the configuration is invalid"


class DocumentError(InputError):
    """A document could not be imported; nothing of it was written."""

    default = "the document could not be imported"


class DatabaseUnusable(InputError):
    """The database named (by --db, TIMELINE_DB or [storage] path) cannot be used."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(f"db: {path!r} {problem}; check --db, TIMELINE_DB and the "
                         "[storage] path of the config")


class StorageError(TimelineError):
    """The database refused or failed an operation."""

    default = "the database could not complete the operation"


class ConcurrencyError(StorageError):
    """Someone else appended to the stream first; reload and try again."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream!r} is at version {actual}, not the expected {expected}: "
            "someone else changed it meanwhile; reload and try again (nothing was written)"
        )


class DatabaseBusy(StorageError):
    # Said to readers too: every command first brings the projections up to the log, which
    # needs the write lock whenever another process has appended meanwhile.
    default = (
        "another process kept the database locked for too long (a rebuild or a large "
        "import?); nothing was changed, try again when it is done"
    )


class AppendOnlyViolation(StorageError):
    default = "the records table is append-only: records are never updated or deleted"


class ChainBroken(StorageError):
    """`verify` found a record whose hash does not follow from its predecessor."""

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        super().__init__(f"hash chain broken at position {position}: {reason}")


class SchemaTooNew(StorageError):
    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"the database has schema version {found} but this timeline supports up to "
            f"{supported}; upgrade timeline"
        )


def validation_message(error: Mapping[str, Any]) -> str:
    """One pydantic error as a message: our validators' own words as they were written
    (without pydantic's "Value error, "), pydantic's with the value that was given."""
    kind, context = error.get("type"), error.get("ctx", {})
    if kind == "value_error" and "error" in context:
        return str(context["error"])
    if kind == "extra_forbidden":
        return "is not a known key"
    message = str(error.get("msg", "is invalid"))
    if kind in _BOUNDS:
        word, bound = _BOUNDS[kind]
        message = f"must be {word} {_number(context[bound])}"
    value = error.get("input")
    if value is None or isinstance(value, (dict, list)):
        return message
    return f"{message} (got {_number(value) if isinstance(value, float) else repr(value)})"


# pydantic's bounds, as a person would say them.
_BOUNDS = {"less_than_equal": ("at most", "le"), "less_than": ("less than", "lt"),
           "greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt")}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
