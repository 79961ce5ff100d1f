"""Media types are compared as RFC 9110 §8.3 says (case-insensitive type/subtype, optional
parameters and whitespace) on every vendor and admin operation that takes a body; a charset
other than UTF-8 and anything that is not JSON get the surface's media-type error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tagfake.pipeline.media import MediaType, parse_media_type
from tests.conftest import World, auth_headers
from tests.envelopes import error_envelope_ok
from tests.operations import Operation, body_operations

OPERATIONS = body_operations()
SPELLINGS = [
    "application/JSON",
    "Application/Json",
    "application/json ; charset=utf-8",
    "application/json;charset=UTF-8",
    'application/json; charset="utf-8"',
    "application/json;\tcharset=utf8 ; foo=bar",
    " application/json ",
]
# surface → the status its media-type error answers
MEDIA_ERROR = {"healvi": 415, "commbox": 400, "zapini": 415, "nexor": 415, "admin": 415}


def send(world: World, op: Operation, ctype: str, body: bytes) -> Any:
    # The admin API takes a state change with any other media type only with this header (a
    # browser page cannot send it); the shipped clients send it.
    headers = {"Content-Type": ctype, "X-Tagfake-Admin": "1"}
    if op.surface != "admin":
        headers.update(auth_headers(op.surface, world.credential(op.surface, "acme")))
    return world.http.request(op.method, op.url, content=body, headers=headers)


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
@pytest.mark.parametrize("ctype", SPELLINGS)
def test_every_spelling_of_json_reaches_the_operation(
    world: World, op: Operation, ctype: str
) -> None:
    plain = send(world, op, "application/json", json.dumps(op.valid_body).encode())
    assert plain.status_code < 300, plain.text
    world.runtime.reset()
    world.runtime.reset_harness()
    r = send(world, op, ctype, json.dumps(op.valid_body).encode())
    assert (r.status_code, "x-tagfake-violations" in r.headers) == (plain.status_code, False), (
        r.text
    )


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
@pytest.mark.parametrize(
    "ctype",
    [
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "application/json; charset",
        "application/jsonx",
        "text/json",
        "json",
        "application/",
    ],
)
def test_other_media_types_get_the_surfaces_media_error(
    world: World, op: Operation, ctype: str
) -> None:
    before = world.snapshot()
    r = send(world, op, ctype, json.dumps(op.valid_body).encode())
    assert r.status_code == MEDIA_ERROR[op.surface], r.text
    error_envelope_ok(op.surface, r)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("application/json", MediaType("application", "json")),
        ("APPLICATION/JSON", MediaType("application", "json")),
        # RFC 9110 §5.6.6 has no space around "="; tolerated, as lenient servers do
        (
            " application/json ; charset = utf-8",
            MediaType("application", "json", {"charset": "utf-8"}),
        ),
        (
            "application/json ; Charset=UTF-8",
            MediaType("application", "json", {"charset": "utf-8"}),
        ),
        (
            'application/json; charset="u\\tf-8"',
            MediaType("application", "json", {"charset": "utf-8"}),
        ),
        ("application/problem+json;q=1", MediaType("application", "problem+json", {"q": "1"})),
        ("application/json;", MediaType("application", "json")),
        (
            "application/json; charset=utf-8; charset=latin-1",
            MediaType("application", "json", {"charset": "utf-8"}),
        ),
        ("application json", None),
        ("application/json garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_media_type(value: str | None, parsed: MediaType | None) -> None:
    assert parse_media_type(value) == parsed


def test_json_and_charset_properties() -> None:
    media = parse_media_type("application/vnd.api+json; charset=US-ASCII")
    assert (
        media is not None
        and media.is_json
        and media.is_utf8
        and media.essence == "application/vnd.api+json"
    )
    latin = parse_media_type("application/json; charset=iso-8859-1")
    assert latin is not None and latin.is_json and not latin.is_utf8
