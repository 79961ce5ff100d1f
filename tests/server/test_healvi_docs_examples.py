"""The vendor's doc page and our spec's examples, replayed against the fake.

- vendor-docs/000_*.txt is healvi's own "Sync Tags" page with its embedded OpenAPI: what we send
  must satisfy the vendor's request schema, and what we answer the vendor's response schema.
- specs/healvi.openapi.yaml carries the request examples (replayed here) and one example per
  error response (the fake must send exactly that body for the situation it describes).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tagfake.contract.schema import CompiledSchema
from tagfake.runtime import spec_path
from tagfake.settings import Settings
from tests.conftest import VendorClient, World

VENDOR_DOCS = Path("/work/shared/vendor-docs")
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def settings() -> Settings:
    return Settings(validation="enforce", seed=1, vendors=("healvi",))


@pytest.fixture
def acme(world: World) -> VendorClient:
    return world.client("healvi", "acme")


@pytest.fixture
def spec(settings: Settings) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(spec_path(settings, "healvi").read_text("utf-8"))
    return doc


@pytest.fixture
def vendor_page() -> dict[str, Any]:
    """The OpenAPI document embedded in the vendor's own Sync Tags page."""
    pages = sorted(VENDOR_DOCS.glob("000_*.txt"))
    if not pages:
        pytest.skip("the vendor doc pages are not available here")
    text = pages[0].read_text("utf-8")
    found = re.search(r"````yaml[^\n]*\n(.*?)\n````", text, re.S)
    assert found, "the page embeds its OpenAPI document in a ````yaml block"
    doc: dict[str, Any] = yaml.safe_load(found.group(1))
    return doc


def request_examples(spec: dict[str, Any]) -> dict[str, Any]:
    body = spec["paths"]["/profiles/{profileId}/tags"]["post"]["requestBody"]
    examples: dict[str, Any] = body["content"]["application/json"]["examples"]
    return {name: ex["value"] for name, ex in examples.items()}


def error_example(spec: dict[str, Any], response: str, name: str | None = None) -> Any:
    content = spec["components"]["responses"][response]["content"]["application/json"]
    return content["examples"][name]["value"] if name else content["example"]


# -- the vendor's own page ---------------------------------------------------------------------
def test_vendor_page_is_the_operation_we_fake(vendor_page: dict[str, Any]) -> None:
    assert vendor_page["info"] == {"version": "0.1.0", "title": "Client API"}
    assert vendor_page["servers"][0]["url"].endswith("/third-party/v1")
    assert "post" in vendor_page["paths"]["/profiles/{profileId}/tags"]


def test_our_request_examples_satisfy_the_vendors_request_schema(
    vendor_page: dict[str, Any], spec: dict[str, Any]
) -> None:
    op = vendor_page["paths"]["/profiles/{profileId}/tags"]["post"]
    schema = CompiledSchema(vendor_page, op["requestBody"]["content"]["application/json"]["schema"])
    for name, value in request_examples(spec).items():
        assert schema.violations(value) == [], name


def test_sync_answer_satisfies_the_vendors_response_schema(
    vendor_page: dict[str, Any], spec: dict[str, Any], acme: VendorClient
) -> None:
    op = vendor_page["paths"]["/profiles/{profileId}/tags"]["post"]
    schema = CompiledSchema(
        vendor_page, op["responses"]["200"]["content"]["application/json"]["schema"]
    )
    for name, value in request_examples(spec).items():
        response = acme.post("/profiles/101/tags", json=value)
        assert response.status_code == 200, name
        assert schema.violations(response.json()) == [], name
    # The vendor's Tag example writes its timestamps as RFC 3339 in UTC, so do we.
    tag_example = vendor_page["components"]["schemas"]["Tag"]["properties"]["created_at"]["example"]
    assert RFC3339_UTC.match(tag_example)


# -- our spec's request examples ---------------------------------------------------------------
def test_attach_and_create_example_answers_the_documented_response(
    world: World, spec: dict[str, Any], acme: VendorClient
) -> None:
    op = spec["paths"]["/profiles/{profileId}/tags"]["post"]
    documented = op["responses"]["200"]["content"]["application/json"]["example"]["data"]
    world.runtime.clock.freeze(datetime(2024, 5, 2, 9, 30, tzinfo=UTC))
    response = acme.post("/profiles/101/tags", json=request_examples(spec)["attachAndCreate"])
    assert response.status_code == 200
    data = response.json()["data"]
    assert [(t["id"], t["title"]) for t in data] == [(t["id"], t["title"]) for t in documented]
    assert data[1] == documented[1]  # the created tag, timestamps from the frozen clock
    assert set(data[0]) == set(documented[0])
    assert RFC3339_UTC.match(data[0]["created_at"])


def test_detach_all_example_answers_an_empty_set(spec: dict[str, Any], acme: VendorClient) -> None:
    response = acme.post("/profiles/101/tags", json=request_examples(spec)["detachAll"])
    assert response.status_code == 200
    assert response.json() == {"data": []}


def test_get_profile_answers_the_documented_shape(spec: dict[str, Any], acme: VendorClient) -> None:
    op = spec["paths"]["/profiles/{id}"]["get"]
    documented = op["responses"]["200"]["content"]["application/json"]["example"]["data"]
    response = acme.get("/profiles/102")  # the fixture's copy of the docs' John Doe
    assert response.status_code == 200
    profile = response.json()["data"]
    assert set(profile) == set(documented)
    same = ["salutation", "name", "gender", "blocked", "email", "address"]
    assert {k: profile[k] for k in same} == {k: documented[k] for k in same}


# -- our spec's error examples: the fake sends exactly these -----------------------------------
@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("unknownTagId", {"tags": [{"id": 999}]}),
        ("neitherIdNorTitle", {"tags": [{"id": 1}, {"id": None, "title": None}]}),
        ("tagsMissing", {}),
    ],
)
def test_validation_error_examples(
    spec: dict[str, Any], acme: VendorClient, name: str, body: dict[str, Any]
) -> None:
    response = acme.post("/profiles/101/tags", json=body)
    assert response.status_code == 422
    assert response.json() == error_example(spec, "ValidationError", name)


def test_unauthorized_example(spec: dict[str, Any], world: World) -> None:
    response = world.anonymous("healvi").get("/profiles/101")
    assert response.status_code == 401
    assert response.json() == error_example(spec, "Unauthorized")


def test_not_found_example(spec: dict[str, Any], acme: VendorClient) -> None:
    response = acme.get("/profiles/123")
    assert response.status_code == 404
    assert response.json() == error_example(spec, "NotFound")


def test_method_not_allowed_example(spec: dict[str, Any], acme: VendorClient) -> None:
    response = acme.get("/profiles/123/tags")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == error_example(spec, "MethodNotAllowed")


def test_bad_request_example(spec: dict[str, Any], acme: VendorClient) -> None:
    response = acme.post(
        "/profiles/101/tags", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == error_example(spec, "BadRequest")


def test_unsupported_media_type_example(spec: dict[str, Any], acme: VendorClient) -> None:
    response = acme.post(
        "/profiles/101/tags", content=b'{"tags":[]}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json() == error_example(spec, "UnsupportedMediaType")


def test_payload_too_large_example(spec: dict[str, Any], world: World, acme: VendorClient) -> None:
    limit = world.runtime.settings.max_body_bytes
    body = b'{"tags": [], "pad": "' + b"x" * limit + b'"}'
    response = acme.post(
        "/profiles/101/tags", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == error_example(spec, "PayloadTooLarge")


@pytest.mark.parametrize(
    ("response_name", "fault", "status"),
    [("TooManyRequests", "rate_limit", 429), ("ServerError", "status=500", 500)],
)
def test_injected_fault_examples(
    spec: dict[str, Any], acme: VendorClient, response_name: str, fault: str, status: int
) -> None:
    response = acme.get("/profiles/101", headers={"X-Tagfake-Fault": fault})
    assert response.status_code == status
    assert response.json() == error_example(spec, response_name)


def test_every_documented_error_example_keeps_the_error_schema(
    spec: dict[str, Any], world: World
) -> None:
    contract = world.runtime.contracts["healvi"]
    for name, schema in contract.shared_responses.items():
        content = spec["components"]["responses"][name]["content"]["application/json"]
        examples = [content["example"]] if "example" in content else []
        examples += [ex["value"] for ex in content.get("examples", {}).values()]
        assert examples, name
        assert schema is not None
        for example in examples:
            assert schema.violations(example) == [], (name, example)
