"""Random curation histories for the property tests: add, correct, retract, add a source,
merge, alias and rename, applied through the real command layer on a real SQLite file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from timeline.bootstrap import App, bootstrap
from timeline.commands import EventInput
from timeline.errors import InputError

from tests.conftest import COMPANY_IDS, Clock, write_config

TYPES = {"factory": ("operator", "partner"), "acquisition": ("acquirer", "target", "seller"),
         "partnership": ("partner",), "bankruptcy": ("company", "creditor")}
DATES = ["2011", "2011-09", "2011-09-30", "2012", "2012-10", "2012-10-15", "2012-12-31",
         "2013-01", "2013-06-15"]
WORDS = ["gigafactory", "plant", "battery", "AESC", "Sunderland", "远景", "动力", "工厂", "宣布",
         "宁德时代", "扩产", "electrolyte"]
STATUSES = ["rumored", "announced", "approved", "started", "completed", "cancelled"]

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
names = st.lists(st.sampled_from(["Nova", "Volt", "能源", "动力", "Energy", "Cell"]),
                 min_size=1, max_size=3).map(" ".join)
index = st.integers(min_value=0, max_value=1000)

add_op = st.tuples(st.just("add"), st.sampled_from(sorted(TYPES)),
                   st.lists(st.tuples(st.sampled_from(COMPANY_IDS), index), min_size=1,
                            max_size=3, unique_by=lambda c: c[0]),
                   st.sampled_from(DATES), words)
correct_op = st.tuples(st.just("correct"), index, st.one_of(
    st.tuples(st.just("title"), words),
    st.tuples(st.just("summary"), words),
    st.tuples(st.just("date"), st.sampled_from(DATES)),
    st.tuples(st.just("status"), st.sampled_from(STATUSES)),
    st.tuples(st.just("companies"), st.sampled_from(COMPANY_IDS)),
))
operation = st.one_of(
    add_op, correct_op, correct_op,
    st.tuples(st.just("retract"), index),
    st.tuples(st.just("source"), index, words),
    st.tuples(st.just("merge"), st.sampled_from(COMPANY_IDS), st.sampled_from(COMPANY_IDS)),
    st.tuples(st.just("alias"), st.sampled_from(COMPANY_IDS), names),
    st.tuples(st.just("rename"), st.sampled_from(COMPANY_IDS), names),
)
# A few events first, so that most later steps have something to act on.
histories = st.tuples(
    st.lists(add_op, min_size=2, max_size=6), st.lists(operation, min_size=2, max_size=16),
).map(lambda parts: parts[0] + parts[1])


@contextmanager
def fresh_app() -> Iterator[App]:
    """A new database with the five companies, on its own clock."""
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder))
        app = bootstrap(str(config), str(Path(folder) / "prop.db"), clock=Clock())
        try:
            app.init()
            yield app
        finally:
            app.close()


def apply(app: App, history: list[tuple[Any, ...]]) -> list[str]:
    """Run a history through the command layer; refused steps must write nothing."""
    events: list[str] = []
    for op in history:
        before = app.store.head()
        try:
            _apply_one(app, op, events)
        except InputError:
            assert app.store.head() == before, f"{op} was refused but wrote records"
    return events


def _apply_one(app: App, op: tuple[Any, ...], events: list[str]) -> None:
    name = op[0]
    if name == "add":
        _, type_, companies, date, title = op
        roles = TYPES[type_]
        events.append(app.timeline.add_event(EventInput(
            type=type_, companies=[(c, roles[i % len(roles)]) for c, i in companies],
            date=date, title=title,
            sources=[{"url": "https://example.org/" + str(len(events)), "published": None,
                      "quote": title + " 宣布"}])))
    elif name == "merge":
        app.timeline.merge_companies(op[1], op[2], reason="property")
    elif name == "alias":
        app.timeline.add_alias(op[1], op[2])
    elif name == "rename":
        app.timeline.rename_company(op[1], op[2])
    elif events:
        event_id = events[op[1] % len(events)]
        if name == "retract":
            app.timeline.retract_event(event_id, "property")
        elif name == "source":
            app.timeline.add_source(event_id, {"url": "https://example.org/more",
                                               "published": None, "quote": op[2]})
        elif name == "correct":
            field, value = op[2]
            if field == "companies":
                state = app.timeline.load_event(event_id)
                role = TYPES[state["type"]][0]
                app.timeline.correct_event(event_id, [], [(value, role)], "property")
            else:
                app.timeline.correct_event(event_id, [(field, value)], [], "property")
