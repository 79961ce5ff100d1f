"""Property: hostile bodies — arbitrary JSON with unpaired surrogates, NUL, huge and
out-of-range numbers, deep nesting; broken bytes; a valid body with one hostile leaf; every
spelling of the media type, right or wrong — sent to every operation of every surface (read from
the specs) never get a 5xx, always get the surface's envelope on an error, and change nothing
whenever they are refused (4xx)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import World, auth_headers
from tests.envelopes import error_envelope_ok, leaks_nothing
from tests.operations import VALID_BODIES, Operation, operations

OPERATIONS = operations()

# Text with what breaks naive code: NUL, lone surrogates, line and direction controls.
_HOSTILE_CHARS = st.sampled_from(["\x00", "\udfff", "\ud800", "\u202e", "\n", '"', "\\", "é", "😀"])
_TEXT = st.lists(st.one_of(_HOSTILE_CHARS, st.characters()), max_size=12).map("".join)
_NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 10**300]),
    st.floats(allow_nan=False, allow_infinity=False),
)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, _TEXT)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=12,
)
# Bytes no JSON encoder writes: NaN, out-of-range numbers, very deep nesting, raw NUL, cut-off
# documents, invalid UTF-8, an encoded surrogate, a BOM.
RAW = st.sampled_from(
    [
        b'{"n": NaN}',
        b'{"n": 1e999}',
        b'{"n": -1e999}',
        b'{"n": ' + b"9" * 5000 + b"}",
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 40 + b"1" + b"}" * 40,
        b'{"name": "a\x00b"}',
        b'{"name": "\\u0000"}',
        b'{"name": "\\ud800\\u0041"}',
        b'{"name": "\xed\xa0\x80"}',
        b"\xef\xbb\xbf{}",
        b'{"name": "x"',
        b"\xff\xfe{\x00}\x00",
        b"",
        b"   ",
    ]
)
MEDIA_TYPES = st.sampled_from(
    [
        "application/json",
        "application/JSON",
        "APPLICATION/JSON; CHARSET=UTF-8",
        "application/json ; charset=utf-8",
        "application/json;charset=latin-1",
        "application/json; charset",
        "application/merge-patch+json",
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json\x00",
        "",
        None,
    ]
)


def _with_leaf(body: Any, path: list[int], value: Any) -> Any:
    """`body` with one of its leaves (chosen by `path`) replaced by `value`."""
    if isinstance(body, dict) and body:
        keys = list(body)
        key = keys[path[0] % len(keys)] if path else keys[0]
        return {**body, key: _with_leaf(body[key], path[1:], value)}
    if isinstance(body, list) and body:
        i = path[0] % len(body) if path else 0
        return [*body[:i], _with_leaf(body[i], path[1:], value), *body[i + 1 :]]
    return value


def _encode(value: Any, ascii_only: bool) -> bytes:
    # A lone surrogate is written as its \u escape, or (ascii_only False) as the bytes no
    # UTF-8 decoder accepts: both hostile, in two ways.
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def hostile_bodies(draw: st.DrawFn, op: Operation) -> bytes:
    kind = draw(st.sampled_from(["json", "raw", "leaf"] if op.takes_body else ["json", "raw"]))
    if kind == "raw":
        return draw(RAW)
    if kind == "json":
        return _encode(draw(JSON_VALUES), draw(st.booleans()))
    path = draw(st.lists(st.integers(0, 7), max_size=4))
    return _encode(_with_leaf(op.valid_body, path, draw(JSON_VALUES)), draw(st.booleans()))


def _state(world: World) -> Any:
    """Everything a request could change: every tenant of every vendor (what /__admin/state
    shows, from the store itself), the fault rules, the clock and the rate-limit mode."""
    rt = world.runtime
    return (
        world.snapshot(),
        [r.to_dict() for r in rt.faults.rules()],
        (rt.clock.now() if rt.clock.frozen else None, rt.clock.frozen),
        rt.limiter.enabled,
    )


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_hostile_bodies_get_the_surfaces_error_and_change_nothing(
    world: World, op: Operation
) -> None:
    headers = (
        {}
        if op.surface == "admin"
        else auth_headers(op.surface, world.credential(op.surface, "acme"))
    )

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=hostile_bodies(op), media=MEDIA_TYPES)
    def check(body: bytes, media: str | None) -> None:
        before = _state(world)
        sent = dict(headers)
        if media is not None:
            sent["Content-Type"] = media
        r = world.http.request(op.method, op.url, content=body, headers=sent)
        assert r.status_code < 500, (r.status_code, body[:200], media, r.text)
        assert "x-tagfake-violations" not in r.headers, r.headers["x-tagfake-violations"]
        if r.status_code >= 400:
            error_envelope_ok(op.surface, r)
            assert leaks_nothing(r.text), r.text
            assert _state(world) == before, (body[:200], media)
        else:
            world.runtime.reset()  # a change was allowed: start the next example afresh
            world.runtime.reset_harness()

    check()


def test_every_body_operation_has_a_valid_body_here() -> None:
    """The table of valid bodies covers every operation the specs give a body."""
    assert {(op.surface, op.operation_id) for op in OPERATIONS if op.takes_body} == set(
        VALID_BODIES
    )
