"""The hot-path validators (compiled once with jsonschema_rs from the specs) agree with
openapi-core, the reference validator, on valid and invalid request bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

from tagfake.contract.spec import compile_contract
from tagfake.settings import VENDORS

SPECS = Path(__file__).resolve().parents[2] / "specs"
SERVERS = {
    "healvi": "https://1-some-client.some-server.healvi-chat/third-party/v1",
    "commbox": "https://api.commbox.io",
    "zapini": "https://zapini.app/api/v1",
    "nexor": "https://api.getnexor.ai/api/public",
}


def _reference(vendor: str) -> OpenAPI:
    return OpenAPI.from_file_path(str(SPECS / f"{vendor}.openapi.yaml"))


REFERENCE = {v: _reference(v) for v in VENDORS}
OPERATIONS = [
    (vendor, op)
    for vendor in VENDORS
    for op in compile_contract(vendor, SPECS / f"{vendor}.openapi.yaml").operations.values()
    if op.body is not None
]


def concrete(path: str) -> str:
    """A path template with values every parameter type accepts."""
    uuid_params = {"{id}", "{leadId}", "{uuid}"}
    return "/".join(
        ("123e4567-e89b-42d3-a456-426614174000" if part in uuid_params else "7")
        if part.startswith("{")
        else part
        for part in path.split("/")
    )


def reference_accepts(vendor: str, method: str, path: str, body: Any) -> bool:
    server = SERVERS[vendor]
    host, _, base = server.partition("://")[2].partition("/")
    request = MockRequest(
        f"https://{host}",
        method,
        ("/" + base if base else "") + path,
        data=json.dumps(body).encode(),
        content_type="application/json",
        headers={"Authorization": "Bearer x", "X-API-Key": "x"},
    )
    try:
        REFERENCE[vendor].validate_request(request)
    except Exception as exc:  # openapi-core raises a family of errors; any one means "invalid"
        name = type(exc).__name__
        if "Security" in name:
            return True
        if "Parameter" in name or "Path" in name or "Server" in name:
            pytest.fail(f"{vendor} {method} {path}: the reference refused the request line: {exc}")
        return False
    return True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def examples_of(op: Any) -> list[Any]:
    body = op.raw["requestBody"]
    media: dict[str, Any] = next(iter(body.get("content", {}).values()), {})
    found = [e.get("value") for e in (media.get("examples") or {}).values()]
    if "example" in media:
        found.append(media["example"])
    return [e for e in found if isinstance(e, dict | list)]


IDS = [f"{v}.{o.operation_id}" for v, o in OPERATIONS]


@pytest.mark.parametrize(("vendor", "op"), OPERATIONS, ids=IDS)
def test_the_specs_examples_get_the_same_verdict_from_both(vendor: str, op: Any) -> None:
    for example in examples_of(op):
        fast = op.body.is_valid(example)
        slow = reference_accepts(vendor, op.method.upper(), concrete(op.path), example)
        assert fast == slow, f"{vendor}.{op.operation_id}: example {example!r}"


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any]) -> Any:
    """A spec example, changed a little (or not at all): mostly near-valid bodies."""
    body = json.loads(json.dumps(draw(st.sampled_from(seeds)))) if seeds else {}
    for _ in range(draw(st.integers(0, 3))):
        if not isinstance(body, dict) or draw(st.integers(0, 9)) == 0:
            return draw(json_values)
        choice = draw(st.sampled_from(["drop", "retype", "add", "nest"]))
        keys = sorted(body)
        if choice == "drop" and keys:
            body.pop(draw(st.sampled_from(keys)))
        elif choice == "retype" and keys:
            body[draw(st.sampled_from(keys))] = draw(json_values)
        elif choice == "add":
            body[draw(st.text(min_size=1, max_size=6))] = draw(json_values)
        elif choice == "nest" and keys:
            key = draw(st.sampled_from(keys))
            if isinstance(body[key], list) and body[key]:
                body[key][0] = draw(json_values)
            elif isinstance(body[key], dict) and body[key]:
                inner = sorted(body[key])
                body[key][draw(st.sampled_from(inner))] = draw(json_values)
    return body


def only_stricter_on_email(op: Any, body: Any) -> bool:
    """openapi-core's `email` format only asks for an "@"; the compiled validators follow
    RFC 5321 and refuse "@", "a@" or "a b@c". That is the one difference we accept."""
    lax_email = jsonschema_rs.validator_for(
        op.body.json_schema, validate_formats=True, formats={"email": lambda s: "@" in s}
    )
    return bool(lax_email.is_valid(body))


@pytest.mark.parametrize(("vendor", "op"), OPERATIONS, ids=IDS)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_both_validators_agree_on_generated_bodies(
    vendor: str, op: Any, data: st.DataObject
) -> None:
    body = data.draw(mutated(examples_of(op)))
    fast = op.body.is_valid(body)
    slow = reference_accepts(vendor, op.method.upper(), concrete(op.path), body)
    if slow and not fast and only_stricter_on_email(op, body):
        return
    assert fast == slow, f"{vendor}.{op.operation_id}: {body!r} fast={fast} reference={slow}"


def test_the_one_accepted_difference_is_a_stricter_email() -> None:
    vendor, op = next((v, o) for v, o in OPERATIONS if o.operation_id == "createLeads")
    lead = {"first_name": "Ada", "email": "@"}
    assert op.body is not None
    assert not op.body.is_valid(lead)
    assert reference_accepts(vendor, op.method.upper(), concrete(op.path), lead)
    assert only_stricter_on_email(op, lead)
    assert not only_stricter_on_email(op, {"first_name": 7, "email": "@"})
