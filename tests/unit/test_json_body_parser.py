"""orjson reads request bodies first; whatever it accepts must come out exactly as the standard
library reads it under tagfake's rules, and whatever the rules refuse must still be refused with
the same answer (big integers stay exact, 1e999, NaN, lone surrogates, bad UTF-8, deep nesting)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagfake.errors import BadRequest
from tagfake.pipeline.requests import _has_long_digits, parse_json, parse_json_stdlib

DEPTH = 8


def _outcome(parse: Any, raw: bytes) -> tuple[str, Any]:
    try:
        return ("value", _typed(parse(raw, DEPTH)))
    except BadRequest as exc:
        return ("refused", str(exc))


def _typed(value: Any) -> Any:
    """The value with every scalar's type beside it: 1 and 1.0 and True are not the same."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: past 64 bits too
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans())
def test_a_json_document_reads_the_same_either_way(doc: Any, ascii_only: bool) -> None:
    raw = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert _outcome(parse_json, raw) == _outcome(parse_json_stdlib, raw)


@settings(max_examples=400, deadline=None)
@given(documents, st.data())
def test_a_damaged_body_gets_the_same_answer_either_way(doc: Any, data: st.DataObject) -> None:
    raw = bytearray(json.dumps(doc).encode())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw)))
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=3))
    assert _outcome(parse_json, bytes(raw)) == _outcome(parse_json_stdlib, bytes(raw))


@pytest.mark.parametrize(
    "raw",
    [
        b"123456789012345678901234567890",
        b'{"n": -9223372036854775809}',
        b"18446744073709551616",
        b"1e999",
        b"[-1e400]",
        b"NaN",
        b'{"a": Infinity}',
        b'"\\ud800"',
        b'"\\udc00x"',
        b'"\\ud83d\\ude00"',
        b'"\xed\xa0\x80"',
        b"\xef\xbb\xbf{}",
        b'"a\x01b"',
        b'"\xff"',
        b'{"a":1,"a":2}',
        b"-0",
        b"-0.0",
        b"1E5",
        b" {} ",
        b"[" * 9 + b"]" * 9,
        b"[" * 8 + b"]" * 8,
        b'["[[[[[[[[[["]',
        b"[" * 5000 + b"]" * 5000,
        b"",
        b"{",
    ],
)
def test_the_edges_get_the_same_answer_either_way(raw: bytes) -> None:
    assert _outcome(parse_json, raw) == _outcome(parse_json_stdlib, raw)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.binary(max_size=8) | st.from_regex(rb"\A[0-9]{15,22}\Z") | st.sampled_from([b"0", b"9"]),
        max_size=12,
    ).map(b"".join)
)
def test_a_run_of_19_digits_is_found_wherever_it_is(raw: bytes) -> None:
    """The body left to the standard library is exactly one with 19 digits in a row."""
    assert _has_long_digits(raw) == (re.search(rb"\d{19}", raw) is not None)
