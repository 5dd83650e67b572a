"""Text a person typed or a source gave, as the timeline stores it: printable, one line.

Titles, summaries and company names are printed to terminals, mail and web pages. A
control character there can retitle a terminal or write its clipboard (escape
sequences), and some invisible characters make text read as something it does not say
(bidirectional overrides, zero-width spaces); a lone surrogate cannot be stored as UTF-8
at all. Such text is refused where a person typed it, naming the character, and removed
where a feed or a document gave it (`feeds.sanitize`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# The longest title and summary stored: a title is one line of a listing, a summary a
# paragraph; a 100,000-character title from a feed once went in whole.
TITLE_LIMIT = 300
SUMMARY_LIMIT = 5000

# What a spreadsheet takes for the start of a formula: a CSV export guards a cell that
# starts so with an apostrophe, and an import takes the guard off.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Invisible, and able to reorder or hide what is shown, or to make two names that read
# alike differ: bidirectional marks, embeddings, overrides and isolates; zero-width and
# joining characters; the soft hyphen, the byte-order mark and the Hangul fillers.
HIDING = frozenset(
    "\u00ad\u061c\u115f\u1160\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u3164\ufeff\uffa0")


def unprintable(text: str) -> str | None:
    """The first character of `text` that has no place in stored text, or None."""
    for char in text:
        if char in HIDING or unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def one_line(field: str, value: str) -> str:
    """`value` on one line (runs of white space, line breaks and tabs become one space),
    with no unprintable character; ValueError naming the character otherwise."""
    text = " ".join(value.split())
    if (char := unprintable(text)) is not None:
        raise ValueError(f"{field} contains the character {char!r}, which cannot be shown as "
                         "it is; remove it")
    return text


# A CSV cell holds a list (companies, amounts, fields, tags, sources) as items separated by
# ';', or by '；' or a line break in a file typed by hand. An item that holds one of them, or
# a backslash, has it written after a backslash, so that the export of a source URL with a
# ';' in it imports back as one URL.
_LIST_ITEM = re.compile(r"\\([\\;；\n])|([;；\n])")
_LIST_ESCAPE = re.compile(r"([\\;；\n])")


def list_cell(items: Iterable[str]) -> str:
    """`items` as one CSV cell, each separator inside an item escaped."""
    return ";".join(_LIST_ESCAPE.sub(r"\\\1", item) for item in items)


def list_items(cell: str) -> list[str]:
    """The items of a list cell (`list_cell`, or typed by hand), stripped, empty ones
    left out. A backslash before anything but a separator or a backslash is kept."""
    items: list[str] = []
    current: list[str] = []
    last = 0
    for match in _LIST_ITEM.finditer(cell):
        current.append(cell[last:match.start()])
        last = match.end()
        if match.group(1) is not None:
            current.append(match.group(1))
        else:
            items.append("".join(current))
            current = []
    current.append(cell[last:])
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]
