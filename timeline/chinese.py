"""Traditional and simplified Chinese, folded to one form for comparing and searching.

遠景動力 and 远景动力 are one name. Folding goes character by character with `str.translate`
over zhconv's one-to-one table: phrase-level conversion (`zhconv.convert`) is far slower
and its extra knowledge (regional vocabulary) is not what lookups and search need.
"""

from __future__ import annotations

import re
from typing import Any

import zhconv

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _table() -> dict[int, str]:
    try:
        module: Any = zhconv.zhconv
        module.loaddict()
        pairs: dict[str, str] = module.zhcdicts["zh2Hans"]
    except (AttributeError, KeyError, TypeError):  # another zhconv: fall back to phrases
        return {}
    return {ord(k): v for k, v in pairs.items() if len(k) == 1 and len(v) == 1 and k != v}


_TO_SIMPLIFIED = _table()
# The characters the table changes: most Chinese text has none, and looking for one costs
# half of what `translate` costs (a rebuild folds the titles and quotes of a million events).
_TRADITIONAL = frozenset(map(chr, _TO_SIMPLIFIED))


def simplified(text: str) -> str:
    """`text` with traditional characters written in simplified form; other text as is."""
    if not _HAN.search(text):
        return text
    if not _TO_SIMPLIFIED:
        return str(zhconv.convert(text, "zh-hans"))
    if _TRADITIONAL.isdisjoint(text):
        return text
    return text.translate(_TO_SIMPLIFIED)
