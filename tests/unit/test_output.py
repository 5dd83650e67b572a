"""Listings are printed as they come: an export of a whole log holds one event at a time
and its first lines are out before the last event is read."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from timeline.cli.output import emit_events

EVENT: dict[str, Any] = {
    "id": "ev-1", "type": "factory", "date": "2022", "precision": "year", "date_note": "late",
    "status": "announced", "title": "远景 plant “Sunderland”", "summary": None,
    "companies": [{"id": "aesc", "name": "Envision AESC", "role": "operator", "reported_as": "aesc"}],
    "amounts": [{"value": 4.5e8, "currency": "GBP", "approximate": False}], "capacity_gwh": 9.0,
    "location": {}, "sources": [], "tags": [], "retracted": False, "uncertain": False,
}


class Interrupted(Exception):
    pass


def two_then_broken() -> Iterator[dict[str, Any]]:
    yield EVENT
    yield {**EVENT, "id": "ev-2"}
    raise Interrupted


@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_events_are_printed_before_the_next_one_is_read(
        fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    with pytest.raises(Interrupted):
        emit_events(two_then_broken(), fmt)
    assert "ev-1" in out.getvalue() and "ev-2" in out.getvalue()


@pytest.mark.parametrize("count", [0, 1, 3])
def test_json_is_the_text_of_the_whole_list(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    events = [{**EVENT, "id": f"ev-{n}"} for n in range(count)]
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    emit_events(iter(events), "json")
    assert out.getvalue() == json.dumps(events, ensure_ascii=False, indent=2) + "\n"
