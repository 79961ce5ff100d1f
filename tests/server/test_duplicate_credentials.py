"""A credential header sent twice is ambiguous — even with equal values — and every vendor
refuses it with its 401 before anything is read or changed."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PREFIXES, World
from tests.envelopes import error_envelope_ok
from tests.operations import body_operations

VENDORS = ("healvi", "commbox", "zapini", "nexor")
WRITES = {op.surface: op for op in reversed(body_operations(VENDORS))}
HEADER = {v: "X-API-Key" if v == "nexor" else "Authorization" for v in VENDORS}


def value(world: World, vendor: str, tenant: str) -> str:
    if tenant == "empty":
        return ""
    cred = world.credential(vendor, tenant)
    return cred if vendor == "nexor" else f"Bearer {cred}"


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("pair", ["acme-globex", "globex-acme", "acme-acme", "acme-empty"])
def test_two_credential_headers_are_the_vendors_401(world: World, vendor: str, pair: str) -> None:
    op = WRITES[vendor]
    body = json.dumps(op.valid_body).encode()
    values = [value(world, vendor, tenant) for tenant in pair.split("-")]
    headers = [(HEADER[vendor], v) for v in values] + [("Content-Type", "application/json")]
    before = world.snapshot()
    r = world.http.request(op.method, op.url, content=body, headers=headers)
    assert r.status_code == 401, r.text
    error_envelope_ok(vendor, r)
    assert world.snapshot() == before
    # the same request with acme's credential once is served
    once = {HEADER[vendor]: value(world, vendor, "acme"), "Content-Type": "application/json"}
    ok = world.http.request(op.method, op.url, content=body, headers=once)
    assert ok.status_code < 300, ok.text


def test_the_journal_credits_an_ambiguous_request_to_no_tenant(world: World) -> None:
    headers = [("Authorization", value(world, "zapini", t)) for t in ("acme", "globex")]
    assert world.http.get(PREFIXES["zapini"] + "/tags", headers=headers).status_code == 401
    [entry] = world.http.get("/__admin/journal").json()["entries"]
    assert entry["tenant"] is None and entry["status"] == 401
