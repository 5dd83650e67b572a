"""JSON text in and out of the database.

A record is encoded once, canonically, when appended; it is decoded every time the log is
read, and a rebuild decodes a million payloads and encodes a million projection states.
Decoding and projection states go through orjson, about five times faster than the
standard library; the canonical text of records stays the standard library's own.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from timeline.errors import InvalidField

# The canonical text is the standard library's: orjson would write NaN as null, and a
# record must never store something other than what it was given. One encoder, built once.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                              allow_nan=False)


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8: the one text that hashes are computed over."""
    try:
        return _CANONICAL.encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidField("data", f"cannot be stored as JSON: {exc}") from None


def dumps(value: Any) -> str:
    """Compact JSON text for projection rows (key order as given)."""
    return orjson.dumps(value).decode("utf-8")


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # integers beyond 64 bits; or the standard error
