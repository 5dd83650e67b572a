"""Full-text search that works for Chinese as well as English.

SQLite's unicode61 tokenizer keeps a run of Chinese characters as one token, so "远景"
would never find "远景动力宣布". Text is therefore indexed with each run of CJK characters
written as overlapping bigrams (远景 景动 动力 …), the approach of Lucene's CJK analyzer,
and a query is turned into the same bigrams as a phrase. Latin words go through the
porter stemmer as usual. Both sides are NFKC-normalised (full-width ＣＡＴＬ is CATL) and
traditional characters folded to simplified. Query terms are always quoted, so user input never reaches FTS5
syntax.
"""

from __future__ import annotations

import operator
import re
import unicodedata

from timeline.chinese import simplified

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_RUNS = re.compile(f"({_CJK.pattern})")  # captured, so that `split` keeps the runs


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _indexed_run(run: str) -> str:
    """A run's bigrams, then its last character alone: every character then starts some
    token, so a one-character query (a prefix search) finds it wherever it stands."""
    if len(run) == 1:
        return f" {run} "
    return f" {' '.join(map(operator.add, run, run[1:]))} {run[-1]} "


def index_text(text: str) -> str:
    """Text as it is stored in the index: CJK runs spelled out as bigrams.

    A rebuild indexes three texts of every event, so this is on the hot path: ASCII text
    returns at once, and the runs are found with one `split` rather than a callback per
    run. The index keeps no copy of the texts: it deletes an event's old entry when given
    back what this function made of the old texts, so any change to it must bump
    `PROJECTION_VERSION` (a rebuild then reindexes everything with the new one)."""
    if text.isascii():
        return text
    parts = _CJK_RUNS.split(simplified(unicodedata.normalize("NFKC", text)))
    parts[1::2] = map(_indexed_run, parts[1::2])  # the odd parts are the CJK runs
    return "".join(parts)


def match_query(query: str) -> str | None:
    """An FTS5 MATCH expression for a user's query (all terms must match), or None."""
    parts: list[str] = []
    query = unicodedata.normalize("NFKC", query)  # ＣＡＴＬ is CATL, as the index has it
    for piece in _CJK.sub(lambda m: f" \x00{m.group()} ", query).split():
        if piece.startswith("\x00"):
            run = simplified(piece[1:])
            if len(run) == 1:
                parts.append(f'"{run}"*')
            else:
                parts.append('"' + " ".join(_bigrams(run)) + '"')
        else:
            word = re.sub(r"[^\w]+", " ", piece).strip()
            if word:
                parts.append('"' + word.replace('"', "") + '"')
    return " AND ".join(parts) if parts else None
