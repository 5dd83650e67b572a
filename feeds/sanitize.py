"""Text from feeds and documents carries no control characters.

Feed content is hostile: a title or quote may hold terminal escape sequences (an OSC
sequence retitles the terminal, OSC 52 writes the clipboard) that would run when `review
list` or `show` prints them, and other control characters have no place in an event. They
are removed where text enters, before anything is extracted or stored; whitespace stays,
as the readers split on it.
"""

from __future__ import annotations

import re

from timeline.texts import HIDING

# A whole escape sequence (CSI `ESC [ ... final`, OSC `ESC ] ... BEL or ESC \`, or a
# two-character one), or any other C0 or C1 control, or DEL; but not those Python counts
# as whitespace (tab, the line and page breaks, the separators \x1c-\x1f, NEL), which the
# readers turn into spaces and line breaks.
#
# Also removed: lone surrogates (a JSON "\ud800" decodes to one, and no UTF-8 can hold
# it: SQLite's binding raised on the whole feed), and the invisible characters that
# reorder or hide text (`timeline.texts.HIDING`), with which "factory in Erfurt\u202e..."
# reads as something else than it says.
_CONTROLS = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -~]?)"
    r"|[\x00-\x08\x0e-\x1a\x7f-\x84\x86-\x9f\ud800-\udfff" + "".join(sorted(HIDING)) + "]"
)


def strip_controls(text: str) -> str:
    """`text` without control characters and terminal escape sequences."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text
