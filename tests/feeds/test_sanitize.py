"""Feed and document text reaches the log without control characters: a hostile quote
must not retitle a curator's terminal (or write its clipboard) when `review list` prints it."""

from __future__ import annotations

import pytest

from feeds.sanitize import strip_controls


@pytest.mark.parametrize(("hostile", "plain"), [
    ("before \x1b]0;pwned\x07 after", "before  after"),                  # OSC, BEL-terminated
    ("x\x1b]52;c;ZXZpbA==\x1b\\y", "xy"),                               # OSC 52, ST-terminated
    ("\x1b[31mred\x1b[0m and \x1b[2J", "red and "),                     # CSI colour, clear screen
    ("bell\x07 back\x08 del\x7f c1\x9b2J", "bell back del c12J"),        # C0, DEL, C1
    ("unterminated \x1b]0;title to the end", "unterminated "),
    ("tab\tand\nlines stay; 宁德时代 too", "tab\tand\nlines stay; 宁德时代 too"),
])
def test_control_characters_and_escape_sequences_are_removed(hostile: str, plain: str) -> None:
    assert strip_controls(hostile) == plain
