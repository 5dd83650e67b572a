"""Item identity: which entries of a fetch are new, and the key each new one is logged under.

The textbook rule is "guid, else link, else a hash of the text". Publishers break it in
two ways, and both are common:

- **guid changers** mint a new guid for the same article on every fetch (a session id,
  a timestamp in the guid): trusting the guid would log the article again each poll;
- **guid repeaters** give one guid to different articles (the site's home page, a
  template constant): trusting the guid would silently lose every article but the first.
  (Some do the same with links: every item linking to the home page.)

So an item is identified by *agreement*: it is the same as an item seen before when two
of its identifiers matched together on one earlier item, or when its whole content
matched. Concretely, each item yields fingerprints (short hashes, per feed):

    g   its guid                  l   its link                c   title + text
    gl  guid with link            gt  guid with title         lt  link with title

where the title and text are normalised (NFKC, case-folded, whitespace collapsed) and the
link lightly (scheme and host lower-cased, fragment and utm_* parameters dropped).

Rules, in order:

1. Within one fetch, a guid (or link) carried by items of different content is a
   repeated identifier: it is ignored for those items (they are told apart by the rest).
2. An item is **seen** when any of `gl`, `gt`, `lt` or `c` is known for the feed — the
   guid changer's article still matches on link + title; a title or text edit still
   matches on guid + link. An item repeating an earlier one of the same fetch is a
   **duplicate**.
3. Otherwise it is **new**. Its key is `item:<feed>:<hash>` of its guid, else its link,
   else its content — unless that guid/link is already known (`g`/`l` alone matched: a
   repeater handing an old identifier to a new article) or repeated in this fetch, in
   which case the key hashes guid, link and content together, so the new article gets a
   key of its own instead of colliding with (and being dropped as) the old one.

Keys are deterministic: identifying the same fetch against the same `seen` gives the same
keys, so re-running a poll cannot log an item twice (the log's idempotency keys).

The caller remembers `aliases` (all fingerprints) of every item it appends, and answers
`SeenLookup.known` from them: one batched lookup per fetch, no database here.

Known limit: a publisher that repeats *both* guid and link across fetches (never within
one) looks exactly like an edited article (`gl` matches) and its later items are taken
as edits of the first.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feeds.types import FeedItem

Verdict = Literal["new", "seen", "duplicate"]

_HASH_HEX = 32  # 128 bits: collisions are not a concern at any realistic feed size


class SeenLookup(Protocol):
    """What the caller knows: which of these fingerprints were remembered for the feed."""

    def known(self, feed: str, fingerprints: Sequence[str]) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class IdentifiedItem:
    """An item with its verdict, its log key and the fingerprints to remember.

    `key` is the idempotency key for the log, set on new items only (a seen item's key is
    whatever it was logged under, which identity cannot know); `fingerprint` is
    the content hash (changes when the title or text change); `aliases` are every
    fingerprint the caller remembers once the item is appended; `reason` says why.
    """

    item: FeedItem
    key: str | None
    fingerprint: str
    aliases: tuple[str, ...]
    verdict: Verdict
    reason: str

    @property
    def new(self) -> bool:
        return self.verdict == "new"


class MemorySeen:
    """A `SeenLookup` in memory: for tests, tools, and a single process's dry runs."""

    def __init__(self) -> None:
        self._known: dict[str, set[str]] = defaultdict(set)

    def known(self, feed: str, fingerprints: Sequence[str]) -> set[str]:
        remembered = self._known.get(feed)
        return remembered.intersection(fingerprints) if remembered else set()

    def remember(self, feed: str, fingerprints: Iterable[str]) -> None:
        self._known[feed].update(fingerprints)

    def remember_new(self, identified: Iterable[IdentifiedItem]) -> None:
        for one in identified:
            if one.new:
                self.remember(one.item.feed, one.aliases)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:_HASH_HEX]


def _narrow_forms() -> dict[str, str]:
    """The full-width forms ("，", "：", "（", "Ａ") and the ideographic space, each with the
    one ASCII character it stands for: what NFKC makes of them, on their own, whatever
    stands around them (no combining class; the ASCII twin decomposes no further)."""
    table: dict[str, str] = {}
    for code in [0x3000, *range(0xFF01, 0xFF5F)]:
        ch = chr(code)
        target = unicodedata.normalize("NFKD", ch)
        if (len(target) == 1 and target.isascii() and unicodedata.combining(ch) == 0
                and unicodedata.normalize("NFKD", target) == target):
            table[ch] = target
    return table


_NARROW = _narrow_forms()
_WIDE = re.compile("[" + "".join(sorted(_NARROW)) + "]")


def _nfkc(text: str) -> str:
    """`unicodedata.normalize("NFKC", text)`, cheaper for Chinese text, whose only
    compatibility characters are usually its full-width punctuation: with those replaced
    by their ASCII twins the text has the same NFKD form, so when the result is in NFKC
    form already it is the NFKC form of the text; otherwise its lines are normalised one
    by one, those that need it (a single "™" would otherwise cost the normalisation of a
    whole article, 0.3 ms for 2000 characters). A line break is a safe place to cut:
    nothing composes with it, before or after, and nothing reorders across it."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    narrow = _WIDE.sub(lambda m: _NARROW[m.group()], text)
    if unicodedata.is_normalized("NFKC", narrow):
        return narrow
    return "\n".join(line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)
                     for line in narrow.split("\n"))


def normalise_text(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: full-width and half-width forms agree.

    ASCII text is its own NFKC form; `isascii` is O(1) on str, so English skips the work.
    """
    if not text.isascii():
        text = _nfkc(text)
    return " ".join(text.casefold().split())


def normalise_link(link: str) -> str:
    """Scheme and host lower-cased, fragment and utm_* tracking parameters dropped."""
    text = link.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    query = parts.query
    if "utm_" in query:
        query = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                           if not k.lower().startswith("utm_")])
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))


@dataclass(slots=True)
class _Ids:
    """One item's normalised identifiers, whether each can be trusted, its fingerprints."""

    item: FeedItem
    guid: str | None
    link: str | None
    title: str
    content: str
    guid_trusted: bool = True
    link_trusted: bool = True


def _ids(item: FeedItem) -> _Ids:
    guid = item.guid.strip() if item.guid and item.guid.strip() else None
    link = normalise_link(item.link) if item.link and item.link.strip() else None
    title = normalise_text(item.title)
    content = "c:" + _digest(title, normalise_text(item.text))
    return _Ids(item, guid, link, title, content)


def _fingerprints(ids: _Ids) -> dict[str, str]:
    """Singles for every identifier; pairs only from identifiers trusted in this fetch."""
    found: dict[str, str] = {}
    g = ids.guid if ids.guid_trusted else None
    l = ids.link if ids.link_trusted else None
    t = ids.title
    if ids.guid:
        found["g"] = "g:" + _digest(ids.guid)
    if ids.link:
        found["l"] = "l:" + _digest(ids.link)
    if g and l:
        found["gl"] = "gl:" + _digest(g, l)
    if g and t:
        found["gt"] = "gt:" + _digest(g, t)
    if l and t:
        found["lt"] = "lt:" + _digest(l, t)
    found["c"] = ids.content
    return found


def _repeated(group: list[_Ids], attribute: str) -> set[str]:
    """Identifiers carried by items of different content within this fetch."""
    contents: dict[str, set[str]] = defaultdict(set)
    for ids in group:
        value = getattr(ids, attribute)
        if value:
            contents[value].add(ids.content)
    return {value for value, seen in contents.items() if len(seen) > 1}


_MATCHES = (("gl", "same guid and link"), ("lt", "same link and title"),
            ("gt", "same guid and title"), ("c", "same title and text"))


def _match(fingerprints: dict[str, str], known: set[str]) -> str | None:
    for kind, words in _MATCHES:
        value = fingerprints.get(kind)
        if value is not None and value in known:
            return words
    return None


def _key(feed: str, ids: _Ids, fingerprints: dict[str, str], known: set[str]) -> tuple[str, str]:
    """The log key of a new item, and the reason it was judged new (rule 3)."""
    if ids.guid is not None:
        kind, value, trusted, whose = "g", ids.guid, ids.guid_trusted, "guid"
    elif ids.link is not None:
        kind, value, trusted, whose = "l", ids.link, ids.link_trusted, "link"
    else:
        return f"item:{feed}:{_digest('c', ids.content)}", "new"
    reused = fingerprints[kind] in known
    if trusted and not reused:
        return f"item:{feed}:{_digest(kind, value)}", "new"
    why = "already used by an earlier item" if reused else "shared with other items of this fetch"
    basis = _digest("g", ids.guid or "", "l", ids.link or "", ids.content)
    return f"item:{feed}:{basis}", f"new: its {whose} is {why}"


def identify(items: Sequence[FeedItem], seen: SeenLookup) -> list[IdentifiedItem]:
    """Decide, for each item of one fetch, whether it is new, seen or a duplicate.

    Items may come from several feeds; fingerprints are looked up per feed, in one
    `seen.known` call per feed. The result is in the order of `items`.
    """
    by_feed: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_feed[item.feed].append(index)
    results: list[IdentifiedItem | None] = [None] * len(items)
    for feed, indexes in by_feed.items():
        for index, one in zip(indexes, _identify_feed(feed, [items[i] for i in indexes], seen)):
            results[index] = one
    return [one for one in results if one is not None]


def _identify_feed(feed: str, items: list[FeedItem], seen: SeenLookup) -> list[IdentifiedItem]:
    group = [_ids(item) for item in items]
    repeated_guids = _repeated(group, "guid")
    repeated_links = _repeated(group, "link")
    for ids in group:
        ids.guid_trusted = ids.guid not in repeated_guids
        ids.link_trusted = ids.link not in repeated_links
    prints = [_fingerprints(ids) for ids in group]
    known = seen.known(feed, list(dict.fromkeys(fp for found in prints for fp in found.values())))
    this_fetch: set[str] = set()
    return [_verdict(feed, ids, found, known, this_fetch) for ids, found in zip(group, prints)]


def _verdict(feed: str, ids: _Ids, fingerprints: dict[str, str], known: set[str],
             this_fetch: set[str]) -> IdentifiedItem:
    aliases = tuple(fingerprints.values())
    matched = _match(fingerprints, known)
    if matched is not None:
        return IdentifiedItem(ids.item, None, ids.content, aliases, "seen", f"seen before: {matched}")
    earlier = _match(fingerprints, this_fetch)
    this_fetch.update(aliases)
    if earlier is not None:
        return IdentifiedItem(ids.item, None, ids.content, aliases, "duplicate",
                              f"repeats an earlier item of this fetch: {earlier}")
    key, reason = _key(feed, ids, fingerprints, known)
    return IdentifiedItem(ids.item, key, ids.content, aliases, "new", reason)


def publisher_quirks(identified: Sequence[IdentifiedItem]) -> list[str]:
    """Curator-facing notes on a fetch's identifiers (for the feed's health page).

    Names the two publisher habits identity works around, when this fetch shows them.
    """
    notes: list[str] = []
    changed = sum(1 for one in identified if one.verdict == "seen"
                  and "same link and title" in one.reason and one.item.guid)
    reused = sum(1 for one in identified if one.new and "its guid is" in one.reason)
    if changed:
        notes.append(f"{changed} known items came back under new guids (the publisher changes guids)")
    if reused:
        notes.append(f"{reused} new items reuse a guid of another item (the publisher repeats guids)")
    return notes
