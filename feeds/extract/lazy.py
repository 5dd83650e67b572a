"""Small tools that keep extraction cheap without changing what it finds.

* `cached`: a property computed on first use and then stored on the instance, like
  `functools.cached_property` but without its lock (Python 3.11 takes an `RLock` on every
  first access, which costs more than many of the values computed here).
* `lowered`, `for_lowered` and `AnyWord`: case-insensitive matching done on a lower-cased
  copy of a span, case-sensitively.
  Python's engine matches an IGNORECASE alternation of words by trying every word, with
  case folding, at every position; `in` on the lower-cased span is a fast search per word.
  The two agree exactly unless the span holds one of the four characters that
  IGNORECASE equates with an ASCII letter although they are not ASCII ("İ", "ı", "ſ" and
  the Kelvin sign "K", the complete list for Python's engine and Unicode); lower-casing
  keeps every other character's length and cannot make an ASCII letter of it. Spans with
  one of the four go through the regular expression instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, overload

__all__ = ["cached", "lowered", "for_lowered", "AnyWord", "CASE_EXCEPTIONS"]

_T = TypeVar("_T")

CASE_EXCEPTIONS = re.compile("[\u0130\u0131\u017f\u212a]")


class cached(Generic[_T]):  # noqa: N801 - used as a decorator, like `property`
    """A lazily computed attribute, stored in the instance's `__dict__` on first use (a
    non-data descriptor: later reads never come back here)."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object, owner: type | None = None) -> _T | cached[_T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


# A text without these lower-cases whole into the same string as slice by slice (the
# capital sigma is the one letter whose small form depends on its neighbours).
_WHOLE_UNSAFE = re.compile("[\u0130\u0131\u017f\u212a\u03a3]")
# The last text lowered whole (extraction asks about many spans of one article in a row),
# or None for its lower-cased form when it holds one of `_WHOLE_UNSAFE`.
_last: tuple[str, str | None] = ("", "")


def lowered(text: str, start: int, end: int) -> str | None:
    """text[start:end] lower-cased, when that stands exactly for IGNORECASE matching of
    ASCII and uncased characters (see the module docstring); otherwise None."""
    global _last
    last = _last
    if last[0] is not text:
        last = _last = (text, None if _WHOLE_UNSAFE.search(text) else text.lower())
    whole = last[1]
    if whole is not None:
        return whole[start:end]
    if CASE_EXCEPTIONS.search(text, start, end) is not None:
        return None
    return text[start:end].lower()


def for_lowered(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` (IGNORECASE; its letters ASCII) for lower-cased text, without IGNORECASE:
    capital letters lowered except in escapes and group names. On a span `lowered` gives
    (with the characters its lookbehinds need before it), it matches exactly where
    `pattern` matches on the span itself, with the same spans, several times faster: case
    folding costs the engine at every character it compares. The groups hold the
    lower-cased text."""
    source = pattern.pattern
    if "(?-" in source or "(?i" in source:
        raise ValueError(f"{source[:40]!r}...: inline case flags cannot be lower-cased")
    for ch in source:
        if not ch.isascii() and (ch.lower() != ch or ch.upper() != ch):
            raise ValueError(f"{source[:40]!r}...: a cased letter outside ASCII cannot be lower-cased")
    lowered_source = re.sub(r"\\.|\(\?P<\w+>|\(\?P=\w+\)|[A-Z]",
                            lambda m: m.group().lower() if len(m.group()) == 1 else m.group(), source)
    return re.compile(lowered_source, pattern.flags & ~re.IGNORECASE)


class AnyWord:
    """Whether a span holds any of `words`, ignoring case, as `re.compile("|".join(words),
    re.I).search(text, start, end)` would tell. The words are literal strings of ASCII
    characters and uncased ones (Chinese characters, currency signs)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(dict.fromkeys(w.lower() for w in words))
        for word in self.words:
            for ch in word:
                if not ch.isascii() and (ch.lower() != ch or ch.upper() != ch):
                    raise ValueError(f"{word!r}: a cased letter outside ASCII cannot be folded here")
        ordered = sorted(self.words, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(w) for w in ordered), re.IGNORECASE)

    def search(self, text: str, start: int, end: int) -> bool:
        span = lowered(text, start, end)
        if span is None:
            return self.pattern.search(text, start, end) is not None
        for word in self.words:
            if word in span:
                return True
        return False
