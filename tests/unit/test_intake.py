"""Drafts from extraction are held to what a curator's `add` takes."""

from __future__ import annotations

from timeline.intake import validate_draft


def test_a_draft_title_is_kept_within_the_limit_add_keeps_to() -> None:
    """Extraction writes a title from every company it found: one naming fifteen was 328
    characters, more than `add` takes, and its export did not import."""
    event = {"type": "supply_deal", "date": "2024",
             "title": "CATL signs supply deals with " + "X Motors, " * 40,
             "companies": [{"company": "catl", "role": "supplier"}]}
    title = validate_draft(event)["title"]
    assert len(title) <= 300 and title.endswith("…") and title.startswith("CATL signs supply deals")
    assert validate_draft({**event, "title": "  Short\n title "})["title"] == "Short title"


def test_an_article_is_known_by_its_address_whatever_the_tracking_or_the_scheme() -> None:
    from timeline.intake import same_article

    plain = "https://news.example/2022/08/catl-debrecen"
    for other in ("http://NEWS.example/2022/08/catl-debrecen/",
                  "https://news.example/2022/08/catl-debrecen?utm_source=rss&utm_medium=feed",
                  "https://news.example/2022/08/catl-debrecen#comments"):
        assert same_article(plain, other), other
    assert not same_article(plain, "https://news.example/2022/08/catl-arnstadt")
    assert not same_article("https://news.example/a?id=1", "https://news.example/a?id=2")
    assert not same_article(None, plain)
