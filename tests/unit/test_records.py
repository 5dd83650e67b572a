"""The hash each record stores follows from its predecessor's hash and every stored byte."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.errors import InvalidField
from timeline.jsontext import canonical
from timeline.records import GENESIS_HASH, chain_hash

ARGS = dict(position=1, stream="event-ev-1", version=1, kind="event.reported", schema=2,
            data_json='{"a":1}', meta_json="{}", recorded_at="2024-01-01T00:00:00.000000Z",
            key=None)


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_unicode():
    assert canonical({"b": 1, "a": ["远景", 2.5]}) == '{"a":["远景",2.5],"b":1}'


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_record():
    digest = chain_hash(GENESIS_HASH, **ARGS)
    body = (GENESIS_HASH + '[1,"event-ev-1",1,"event.reported",2,'
            '"2024-01-01T00:00:00.000000Z",null,{"a":1},{}]')
    assert digest == hashlib.sha256(body.encode()).hexdigest()


def test_changing_any_part_of_a_record_or_its_predecessor_changes_the_hash():
    base = chain_hash(GENESIS_HASH, **ARGS)
    variants = [
        chain_hash("1" * 64, **ARGS),
        *(chain_hash(GENESIS_HASH, **{**ARGS, name: value}) for name, value in [
            ("position", 2), ("stream", "event-ev-2"), ("version", 2),
            ("kind", "event.corrected"), ("schema", 1), ("data_json", '{"a":2}'),
            ("meta_json", '{"actor":"x"}'), ("recorded_at", "2024-01-01T00:00:00.000001Z"),
            ("key", "k"),
        ]),
    ]
    assert base not in variants
    assert len(set(variants)) == len(variants)


def _reference_hash(prev, position, stream, version, kind, schema, data_json, meta_json,
                    recorded_at, key):
    """DESIGN.md's definition, written the slow and obvious way."""
    head = json.dumps([position, stream, version, kind, schema, recorded_at, key],
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev}{head[:-1]},{data_json},{meta_json}]".encode()).hexdigest()


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(1, 2**40), stream=texts, version=st.integers(1, 2**31),
       kind=texts, schema=st.integers(1, 9), recorded_at=texts, key=st.none() | texts,
       data=json_values)
def test_the_hash_of_any_record_follows_the_designed_definition(
        position, stream, version, kind, schema, recorded_at, key, data):
    data_json = canonical(data)
    args = (GENESIS_HASH, position, stream, version, kind, schema, data_json, "{}",
            recorded_at, key)
    assert chain_hash(*args) == _reference_hash(*args)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_canonical_json_is_sorted_compact_unicode_json_that_reads_back_as_the_value(value):
    text = canonical(value)
    assert json.loads(text) == value
    # Apart from how a float is spelt (6.1e-05 or 0.000061: both exact), it is the
    # standard library's sorted, compact, unescaped text.
    assert _without_floats(text) == _without_floats(json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    assert canonical(json.loads(text)) == text


def _without_floats(text: str) -> str:
    return json.dumps(json.loads(text, parse_float=lambda _: "<float>"), ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [1.0, {"x": -float("inf")}]])
def test_canonical_json_refuses_nan_and_infinity_instead_of_writing_null(value):
    with pytest.raises(InvalidField, match="NaN and infinity"):
        canonical({"value": value, "other": None})


@pytest.mark.parametrize("value", [datetime(2024, 1, 1), object(), {(1, 2): "tuple key"}])
def test_canonical_json_refuses_what_json_cannot_say_rather_than_converting_it(value):
    with pytest.raises(InvalidField, match="cannot be stored as JSON"):
        canonical({"value": value})


def test_integers_beyond_64_bits_are_kept_exactly():
    assert canonical({"n": 2**70}) == '{"n":1180591620717411303424}'
