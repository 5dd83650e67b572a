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
