"""Small text helpers shared by the readers: language, tags, tidy plain text."""

from __future__ import annotations

import re

# Han ideographs (with extension A and compatibility forms); kana and hangul are counted
# apart so that Japanese or Korean text is not taken for Chinese.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")

# Chinese is detected when Han characters make up this share of the letters: an English
# article quoting a few Chinese names stays far below it, a Chinese one naming AESC or
# NCM811 stays far above.
CJK_SHARE = 0.2

_LANGUAGE_NAMES = {
    "chinese": "zh", "中文": "zh", "汉语": "zh", "english": "en", "英文": "en",
    "japanese": "ja", "日本語": "ja", "korean": "ko", "한국어": "ko",
}

_HASHTAG = re.compile(r"(?<![\w&#/])#([^\W\d_][\w\-/]*)")
_HASHTAG_LINE = re.compile(r"^\s*(?:#[^\W\d_][\w\-/]*\s*)+$")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def detect_language(text: str) -> str | None:
    """"zh" or "en" by the share of Han characters ("ja"/"ko" for kana/hangul); None if
    the text has no letters to judge by."""
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    total = han + kana + hangul + latin
    if total == 0:
        return None
    if kana / total >= CJK_SHARE / 4:
        return "ja"
    if hangul / total >= CJK_SHARE:
        return "ko"
    return "zh" if han / total >= CJK_SHARE else "en"


def normalise_language(value: str | None) -> str | None:
    """"zh-CN" -> "zh", "English" -> "en": the primary subtag, lower case."""
    if not value or not value.strip():
        return None
    raw = value.strip()
    named = _LANGUAGE_NAMES.get(raw.lower())
    if named:
        return named
    primary = re.split(r"[-_]", raw)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def is_hashtag_line(line: str) -> bool:
    """A line made only of `#tags` (an Obsidian habit): tags, not prose."""
    return bool(_HASHTAG_LINE.match(line))


def hashtags(line: str) -> list[str]:
    return _HASHTAG.findall(line)


def clean_tags(values: list[str]) -> list[str]:
    """Tags without a leading '#', without blanks and duplicates, in first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        tag = value.strip().lstrip("#").strip()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def unique(values: list[str], exclude: str | None = None) -> list[str]:
    """Distinct non-blank strings in first-seen order, leaving out `exclude`."""
    seen: dict[str, None] = {}
    for value in values:
        text = value.strip()
        if text and text != exclude:
            seen.setdefault(text, None)
    return list(seen)


def tidy(text: str) -> str:
    """Plain text as readers and extraction want it: single spaces inside lines, no
    trailing blanks, at most one empty line between paragraphs."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def squash(text: str) -> str:
    """One line: every run of whitespace becomes a single space."""
    return " ".join(text.split())
