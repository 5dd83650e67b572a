"""Item identity: one article, one item — whatever the publisher does with its guids."""

from __future__ import annotations

from collections.abc import Sequence

from feeds.identity import IdentifiedItem, MemorySeen, identify, normalise_link, publisher_quirks
from feeds.types import FeedItem


def item(guid: str | None = None, link: str | None = None, title: str = "", text: str = "",
         feed: str = "f") -> FeedItem:
    return FeedItem(feed=feed, guid=guid, link=link, title=title, text=text)


def poll(seen: MemorySeen, items: Sequence[FeedItem]) -> list[IdentifiedItem]:
    """One fetch as the pipeline handles it: identify, then remember what was appended."""
    identified = identify(items, seen)
    seen.remember_new(identified)
    return identified


def verdicts(identified: list[IdentifiedItem]) -> list[str]:
    return [one.verdict for one in identified]


ARTICLES = [
    item("g1", "http://x.example/a", "CATL builds in Hungary", "100 GWh in Debrecen."),
    item("g2", "http://x.example/b", "AESC raises funds", "Sequoia invests."),
]


def test_first_poll_everything_is_new_second_poll_nothing_is() -> None:
    seen = MemorySeen()
    assert verdicts(poll(seen, ARTICLES)) == ["new", "new"]
    again = poll(seen, ARTICLES)
    assert verdicts(again) == ["seen", "seen"]
    assert again[0].reason == "seen before: same guid and link" and again[0].key is None


def test_keys_follow_guid_else_link_else_text_and_are_deterministic() -> None:
    by_guid, by_link, by_text = identify([
        item("g1", "http://x.example/a", "t"), item(None, "http://x.example/b", "t2"), item(title="only a title"),
    ], MemorySeen())
    again = identify([item("g1", "http://x.example/OTHER", "changed")], MemorySeen())[0]
    assert by_guid.key == again.key  # the guid alone decides
    assert by_guid.key is not None and by_guid.key.startswith("item:f:") and len(by_guid.key) == len("item:f:") + 32
    assert len({by_guid.key, by_link.key, by_text.key}) == 3
    assert identify([item(title="only a title")], MemorySeen())[0].key == by_text.key


def test_publisher_changing_guids_does_not_duplicate() -> None:
    seen = MemorySeen()
    poll(seen, ARTICLES)
    reissued = [item(f"session-{n}", a.link, a.title, a.text) for n, a in enumerate(ARTICLES)]
    identified = poll(seen, reissued)
    assert verdicts(identified) == ["seen", "seen"]
    assert identified[0].reason == "seen before: same link and title"
    assert publisher_quirks(identified) == [
        "2 known items came back under new guids (the publisher changes guids)"]


def test_changing_guids_and_edited_text_still_match_on_link_and_title() -> None:
    seen = MemorySeen()
    poll(seen, ARTICLES)
    edited = item("fresh-guid", "http://x.example/a", "CATL builds in Hungary", "Now 100 GWh (updated).")
    assert verdicts(poll(seen, [edited])) == ["seen"]


def test_repeated_guid_for_different_items_loses_nothing() -> None:
    seen = MemorySeen()
    same_guid = [
        item("home", "http://x.example/a", "CATL builds in Hungary", "100 GWh."),
        item("home", "http://x.example/b", "AESC raises funds", "Sequoia invests."),
        item("home", "http://x.example/c", "Northvolt files for Chapter 11", "Cash."),
    ]
    first = poll(seen, same_guid)
    assert verdicts(first) == ["new", "new", "new"]
    assert len({one.key for one in first}) == 3
    assert all("its guid is shared with other items of this fetch" in one.reason for one in first)
    assert verdicts(poll(seen, same_guid)) == ["seen", "seen", "seen"]


def test_a_guid_reused_in_a_later_fetch_for_a_new_article_is_a_new_item() -> None:
    seen = MemorySeen()
    [first] = poll(seen, [item("post", "http://x.example/a", "CATL builds in Hungary", "100 GWh.")])
    [later] = poll(seen, [item("post", "http://x.example/b", "AESC raises funds", "Sequoia invests.")])
    assert later.new and later.key != first.key
    assert later.reason == "new: its guid is already used by an earlier item"
    assert publisher_quirks([later]) == ["1 new items reuse a guid of another item (the publisher repeats guids)"]


def test_a_link_shared_by_all_items_does_not_merge_them() -> None:
    seen = MemorySeen()
    homepage = [item(None, "http://x.example/", f"Story {n}", f"Text {n}") for n in range(3)]
    identified = poll(seen, homepage)
    assert verdicts(identified) == ["new", "new", "new"]
    assert len({one.key for one in identified}) == 3
    assert verdicts(poll(seen, homepage)) == ["seen", "seen", "seen"]


def test_an_edited_title_under_a_stable_guid_and_link_is_not_new() -> None:
    seen = MemorySeen()
    poll(seen, ARTICLES)
    fixed = item("g1", "http://x.example/a", "CATL builds in Hungary (corrected)", "100 GWh in Debrecen.")
    [one] = poll(seen, [fixed])
    assert one.verdict == "seen" and one.fingerprint != identify(ARTICLES[:1], MemorySeen())[0].fingerprint


def test_the_same_article_twice_in_one_fetch_is_a_duplicate() -> None:
    identified = identify([ARTICLES[0], ARTICLES[0]], MemorySeen())
    assert verdicts(identified) == ["new", "duplicate"]


def test_text_identity_ignores_width_case_and_spacing() -> None:
    seen = MemorySeen()
    poll(seen, [item(title="ＡＥＳＣ　宣布  扩产", text="Line one\n  line two")])
    assert verdicts(poll(seen, [item(title="aesc 宣布 扩产", text="line one line two")])) == ["seen"]


def test_links_differing_only_in_tracking_and_fragment_are_the_same() -> None:
    assert normalise_link("HTTP://X.Example/a?id=1&utm_source=rss#top") == "http://x.example/a?id=1"
    seen = MemorySeen()
    poll(seen, [item(None, "http://x.example/a?utm_medium=feed", "T")])
    assert verdicts(poll(seen, [item(None, "http://X.example/a#comments", "T")])) == ["seen"]


def test_feeds_are_kept_apart() -> None:
    seen = MemorySeen()
    poll(seen, [item("g1", "http://x.example/a", "T", feed="one")])
    [other] = poll(seen, [item("g1", "http://x.example/a", "T", feed="two")])
    assert other.new and other.key is not None and other.key.startswith("item:two:")


def test_seen_is_asked_once_per_feed_per_fetch() -> None:
    class Counting(MemorySeen):
        calls = 0

        def known(self, feed: str, fingerprints: Sequence[str]) -> set[str]:
            Counting.calls += 1
            return super().known(feed, fingerprints)

    identify([item(f"g{n}", f"http://x.example/{n}", f"T{n}") for n in range(50)], Counting())
    assert Counting.calls == 1


def test_rerunning_a_poll_gives_the_same_keys() -> None:
    items = [*ARTICLES, item("g1", "http://x.example/z", "Other story", "x")]  # g1 repeated
    assert [o.key for o in identify(items, MemorySeen())] == [o.key for o in identify(items, MemorySeen())]
