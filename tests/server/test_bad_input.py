"""Bad input on every vendor: the vendor's documented status and envelope, nothing changed,
never a 500 — the table in specs/CONVENTIONS.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app
from tagfake.settings import Settings
from tests.conftest import BASE_URL, PREFIXES, World, auth_headers


@dataclass(frozen=True)
class Case:
    vendor: str
    method: str
    path: str  # an operation with a JSON body
    body: dict[str, Any]  # a valid body for it
    statuses: dict[str, int]


CASES = [
    Case(
        "healvi",
        "POST",
        "/profiles/101/tags",
        {"tags": []},
        {"malformed": 400, "media": 415, "large": 413, "invalid": 422, "method": 405},
    ),
    Case(
        "commbox",
        "POST",
        "/tags",
        {"data": {"Name": "x"}},
        {"malformed": 400, "media": 400, "large": 400, "invalid": 400, "method": 501},
    ),
    Case(
        "zapini",
        "POST",
        "/tags",
        {"name": "x", "color": "#000000"},
        {"malformed": 400, "media": 415, "large": 413, "invalid": 422, "method": 405},
    ),
    Case(
        "nexor",
        "POST",
        "/tags",
        {"name": "x", "slug": "x"},
        {"malformed": 400, "media": 415, "large": 413, "invalid": 400, "method": 405},
    ),
]
IDS = [c.vendor for c in CASES]


def envelope_ok(vendor: str, body: Any, status: int) -> None:
    """The vendor's own error shape (the specs pin the details; these are the tell-tales)."""
    assert isinstance(body, dict), body
    if vendor == "healvi":
        assert isinstance(body["message"], str)
    elif vendor == "commbox":
        assert body["status"] == status
        assert isinstance(body["description"], str)
        assert "response_time" in body
    elif vendor == "zapini":
        assert body["success"] is False
        assert isinstance(body["error"]["code"], str)
    else:
        assert isinstance(body["error"], str)


@pytest.fixture
def settings() -> Settings:
    return Settings(validation="enforce", seed=1, max_body_bytes=4096, max_json_depth=16)


def send(world: World, case: Case, **kwargs: Any) -> Any:
    cred = world.credential(case.vendor, "acme")
    headers = {**auth_headers(case.vendor, cred), **kwargs.pop("headers", {})}
    prefix = PREFIXES[case.vendor]
    method = kwargs.pop("method", case.method)
    path = kwargs.pop("path", case.path)
    r = world.http.request(method, f"{prefix}{path}", headers=headers, **kwargs)
    assert "x-tagfake-violations" not in r.headers, r.headers["x-tagfake-violations"]
    return r


def check(world: World, case: Case, kind: str, r: Any, before: dict[str, Any]) -> None:
    assert r.status_code == case.statuses[kind], r.text
    envelope_ok(case.vendor, r.json(), r.status_code)
    assert world.snapshot() == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_valid_body_is_accepted(world: World, case: Case) -> None:
    r = send(world, case, json=case.body)
    assert r.status_code < 300, r.text


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"a": 1,}', b"nul", b"{'single': 1}", b'{"n": NaN}', b'{"n": Infinity}', b"\xff\xfe"],
    ids=["unclosed", "trailing-comma", "bare-word", "single-quotes", "nan", "infinity", "not-utf8"],
)
def test_malformed_json_gets_the_vendors_400(world: World, case: Case, raw: bytes) -> None:
    before = world.snapshot()
    r = send(world, case, content=raw, headers={"Content-Type": "application/json"})
    check(world, case, "malformed", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_nesting_deeper_than_the_bound_gets_the_vendors_400(world: World, case: Case) -> None:
    before = world.snapshot()
    deep = b'{"x": ' + b"[" * 40 + b"]" * 40 + b"}"
    r = send(world, case, content=deep, headers={"Content-Type": "application/json"})
    check(world, case, "malformed", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_nesting_far_past_the_recursion_limit_is_no_500(world: World, case: Case) -> None:
    before = world.snapshot()
    deep = b"[" * 1800 + b"]" * 1800  # past Python's recursion limit, under the size limit
    r = send(world, case, content=deep, headers={"Content-Type": "application/json"})
    check(world, case, "malformed", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_gets_the_vendors_media_type_error(
    world: World, case: Case, ctype: str | None
) -> None:
    before = world.snapshot()
    headers = {"Content-Type": ctype} if ctype else {}
    r = send(world, case, content=b'{"a": 1}', headers=headers)
    check(world, case, "media", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_body_over_the_limit_gets_the_vendors_size_error(world: World, case: Case) -> None:
    before = world.snapshot()
    big = b'{"pad": "' + b"x" * 5000 + b'"}'
    r = send(world, case, content=big, headers={"Content-Type": "application/json"})
    check(world, case, "large", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_chunked_body_over_the_limit_is_refused_too(world: World, case: Case) -> None:
    before = world.snapshot()

    def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 1000

    r = send(world, case, content=chunks(), headers={"Content-Type": "application/json"})
    check(world, case, "large", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_chunked_valid_body_is_read_whole(world: World, case: Case) -> None:
    payload = json.dumps(case.body).encode()

    def chunks() -> Any:
        yield payload[:3]
        yield payload[3:]

    r = send(world, case, content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code < 300, r.text


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("raw", [b"[]", b"[1, 2]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object_gets_the_vendors_400(
    world: World, case: Case, raw: bytes
) -> None:
    before = world.snapshot()
    r = send(world, case, content=raw, headers={"Content-Type": "application/json"})
    check(world, case, "malformed", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_body_breaking_the_schema_gets_the_vendors_validation_error(
    world: World, case: Case
) -> None:
    before = world.snapshot()
    r = send(world, case, json={k: [[1]] for k in case.body})
    check(world, case, "invalid", r, before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_an_unknown_route_under_the_prefix_is_the_vendors_404(world: World, case: Case) -> None:
    for path in ("/nothing-here", "/tags/1/2/3/4", "/%0A", "/tags%0d%0a"):
        r = send(world, case, method="GET", path=path)
        assert r.status_code == 404, (path, r.text)
        envelope_ok(case.vendor, r.json(), 404)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "HEAD", "TRACE"])
def test_an_unsupported_method_is_the_vendors_405_or_501_with_allow(
    world: World, case: Case, method: str
) -> None:
    if method == "PATCH" and case.vendor == "zapini":
        method = "PUT"  # zapini supports PATCH on /tags/{uuid}, not on /tags
    before = world.snapshot()
    r = send(world, case, method=method)
    assert r.status_code == case.statuses["method"], r.text
    if method != "HEAD":
        envelope_ok(case.vendor, r.json(), r.status_code)
    if r.status_code == 405:
        assert case.method in r.headers["allow"]
    assert world.snapshot() == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_credentials_are_checked_before_the_body(world: World, case: Case) -> None:
    r = world.http.request(
        case.method,
        PREFIXES[case.vendor] + case.path,
        content=b"{broken",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 401
    envelope_ok(case.vendor, r.json(), 401)


def test_single_vendor_mode_serves_at_the_vendors_own_base_path() -> None:
    app = create_app(Settings(vendors=("zapini",), single_vendor=True, validation="enforce"))
    with TestClient(app, base_url=BASE_URL) as http:
        cred = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}
        assert http.get("/api/v1/tags", headers=cred).status_code == 200
        assert http.get("/zapini/api/v1/tags", headers=cred).status_code == 404
        assert http.get("/__admin/health").json()["vendors"] == {"zapini": "/api/v1"}
