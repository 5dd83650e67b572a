"""JSON text in and out of the database.

A record is encoded once, canonically, when appended; it is decoded every time the log is
read, and a rebuild decodes a million payloads and encodes a million projection states.
Everything goes through orjson, five to ten times faster than the standard library; the
standard library is kept only as the fallback for what orjson refuses (integers beyond
64 bits, non-string keys), so that nothing valid is refused.
"""

from __future__ import annotations

import json
from math import isfinite
from typing import Any

import orjson

from timeline.errors import InvalidField

# Sorted keys, compact, UTF-8; datetimes, dataclasses and subclasses of str/int/dict/list
# are refused as the standard library refuses them, instead of being silently converted.
_CANONICAL = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
              | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)
_FALLBACK = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                             allow_nan=False)


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8: the one text that hashes are computed over."""
    return canonical_bytes(value).decode("utf-8")


def canonical_bytes(value: Any) -> bytes:
    """`canonical` as UTF-8 bytes, what the hash chain digests.

    orjson writes NaN and infinities as `null`; a record must never store something other
    than what it was given, so a text with a `null` in it is checked for them (a text
    without one cannot hide any).
    """
    try:
        text = orjson.dumps(value, option=_CANONICAL)
    except orjson.JSONEncodeError:
        return _fallback(value).encode("utf-8")
    if b"null" in text and not _finite([value]):
        raise InvalidField("data", "cannot be stored as JSON: NaN and infinity are not JSON")
    return text


def _fallback(value: Any) -> str:
    try:
        return _FALLBACK.encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidField("data", f"cannot be stored as JSON: {exc}") from None


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in `value` (a dict, list or tuple; scalars inline, since
    a call per leaf would cost more than the encoding itself)."""
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if kind is str:  # most leaves
            continue
        if kind is float:
            if not isfinite(item):
                return False
        elif (kind is dict or kind is list or kind is tuple) and not _finite(item):
            return False
    return True


def dumps(value: Any) -> str:
    """Compact JSON text for projection rows (key order as given)."""
    return orjson.dumps(value).decode("utf-8")


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # integers beyond 64 bits; or the standard error
