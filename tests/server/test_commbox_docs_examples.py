"""CommBox's own examples replayed against the fake: the "Create a Tag" page's request and its
documented answers (vendor-docs/001_bc3d6aa122aadfd4.txt, https://help.commbox.io/apidocs/create-a-tag),
then every request example of specs/commbox.openapi.yaml, each answered in the documented shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tests.conftest import VendorClient, World

SPEC = Path(__file__).resolve().parents[2] / "specs" / "commbox.openapi.yaml"

# The page's body parameters, with their examples.
PAGE_REQUEST = {
    "data": {
        "Name": "My new Miss tag",
        "Type": 3,
        "TagGroupId": 0,
        "ObjectTag": True,
        "UserTag": False,
        "ChildTag": False,
    }
}
# The page's 200 example, and one error example per documented status.
PAGE_OK = {
    "status": "200",
    "description": "Operation successful",
    "response_time": "2025-08-06T07:51:52.2581942Z",
    "data": {"id": "21221"},
}
PAGE_ERRORS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
PAGE_ERROR_TIME = "2025-02-06T07:51:52.258Z"


@pytest.fixture
def settings() -> Settings:
    return Settings(validation="enforce", seed=1, vendors=("commbox",))


@pytest.fixture
def acme(world: World) -> VendorClient:
    return world.client("commbox", "acme")


def like(example: str) -> re.Pattern[str]:
    """A pattern for strings written like `example`: every digit may be any digit."""
    return re.compile("".join(r"\d" if c.isdigit() else re.escape(c) for c in example) + r"\Z")


def shape(value: Any) -> Any:
    """The JSON types of a document, lists by their items' shapes."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def assert_same_shape(actual: Any, example: Any) -> None:
    """Same keys and JSON types as the documented example; each list item like the first one."""
    if isinstance(example, list):
        assert isinstance(actual, list)
        assert actual, "the example lists items; the answer should too"
        for item in actual:
            assert_same_shape(item, example[0])
    elif isinstance(example, dict):
        assert isinstance(actual, dict)
        assert set(actual) == set(example), (sorted(actual), sorted(example))
        for key, value in example.items():
            assert_same_shape(actual[key], value)
    else:
        assert shape(actual) == shape(example), (actual, example)


def assert_like_documented_success(body: Any, example: dict[str, Any]) -> None:
    assert_same_shape(body, example)
    assert body["status"] == example["status"] == "200"
    assert body["description"] == example["description"]
    assert like(example["response_time"]).match(body["response_time"]), body["response_time"]


# -- the "Create a Tag" page ---------------------------------------------------------------------
def test_create_a_tag_page_example_answers_the_documented_shape(acme: VendorClient) -> None:
    response = acme.post("/tags", json=PAGE_REQUEST)
    assert response.status_code == 200
    body = response.json()
    assert_like_documented_success(body, PAGE_OK)
    assert body["data"]["id"].isdigit()


def test_create_a_tag_page_example_creates_a_free_standing_miss_tag(acme: VendorClient) -> None:
    new_id = int(acme.post("/tags", json=PAGE_REQUEST).json()["data"]["id"])
    listed = {t["id"]: t for t in acme.get("/tags").json()["data"]}
    assert listed[new_id] == {
        "id": new_id,
        "name": "My new Miss tag",
        "type": 3,
        "groupId": 0,
        "isObject": True,
        "isUser": False,
        "isChild": False,
    }


def page_error(world: World, status: int) -> Any:
    """Provoke each documented error status on the page's own operation."""
    acme = world.client("commbox", "acme")
    data = PAGE_REQUEST["data"]
    if status == 400:
        return acme.post("/tags", json={"data": {**data, "Name": ""}})
    if status == 401:
        return world.anonymous("commbox").post("/tags", json=PAGE_REQUEST)
    if status == 404:
        return acme.post("/tags", json={"data": {**data, "TagGroupId": 424242}})
    fault = "rate_limit" if status == 429 else f"status={status}"
    return acme.post("/tags", json=PAGE_REQUEST, headers={"X-Tagfake-Fault": fault})


@pytest.mark.parametrize("status", sorted(PAGE_ERRORS))
def test_create_a_tag_page_error_examples_answer_the_documented_shape(
    world: World, status: int
) -> None:
    response = page_error(world, status)
    assert response.status_code == status
    example = {
        "status": status,
        "description": PAGE_ERRORS[status],
        "response_time": PAGE_ERROR_TIME,
    }
    body = response.json()
    assert_same_shape(body, example)
    assert body["status"] == status
    assert body["description"] == example["description"]
    assert like(PAGE_ERROR_TIME).match(body["response_time"]), body["response_time"]


# -- every example of the spec -------------------------------------------------------------------
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


def deref(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def spec_examples() -> Iterator[Any]:
    """(operationId, method, concrete path, example name, request body or None, 200 example)."""
    doc = spec()
    for template, item in doc["paths"].items():
        for method in ("get", "post", "delete"):
            op = item.get(method)
            if op is None:
                continue
            path = template
            for ref in [*item.get("parameters", []), *op.get("parameters", [])]:
                param = deref(doc, ref)
                path = path.replace("{" + param["name"] + "}", str(param["example"]))
            ok = op["responses"]["200"]["content"]["application/json"]["example"]
            media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            bodies: dict[str, Any] = {"example": media["example"]} if "example" in media else {}
            bodies.update({k: v["value"] for k, v in media.get("examples", {}).items()})
            for name, body in bodies.items() or [("no body", None)]:
                case = (op["operationId"], method.upper(), path, name, body, ok)
                yield pytest.param(*case, id=f"{op['operationId']}-{name}")


def seed_example_groups(runtime: Runtime) -> None:
    """The groups the spec's examples name (TAGS_GROUP_ID 1, "Tag Group Id": 123) in acme."""
    with runtime.store.transaction("commbox", "acme") as w:
        w.put_group("1", {"id": 1, "name": "test"})
        w.put_group("123", {"id": 123, "name": "Example group"})


def test_every_operation_has_a_replayed_example() -> None:
    replayed = {p.values[0] for p in spec_examples()}
    assert replayed == {
        "getTags",
        "createTag",
        "updateTag",
        "deleteTag",
        "getTagsGroups",
        "createTagsGroup",
        "updateTagsGroup",
        "deleteTagsGroup",
        "setObjectTag",
        "deleteObjectTag",
    }


@pytest.mark.parametrize(
    ("operation", "method", "path", "name", "body", "documented"), list(spec_examples())
)
def test_spec_example_answers_the_documented_shape(
    world: World,
    acme: VendorClient,
    operation: str,
    method: str,
    path: str,
    name: str,
    body: Any,
    documented: dict[str, Any],
) -> None:
    seed_example_groups(world.runtime)
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    response = acme.request(method, path, **kwargs)
    assert response.status_code == 200, (operation, name, response.text)
    assert_like_documented_success(response.json(), documented)


def test_published_update_example_renames_and_moves_the_tag(
    world: World, acme: VendorClient
) -> None:
    seed_example_groups(world.runtime)
    published = {"data": {"Name": "TAG Name", "Tag Group Id": 123}}
    assert acme.post("/tags/2789", json=published).status_code == 200
    tag = {t["id"]: t for t in acme.get("/tags").json()["data"]}[2789]
    assert (tag["name"], tag["groupId"]) == ("TAG Name", 123)


def test_documented_set_object_tag_call_tags_the_conversation(
    world: World, acme: VendorClient
) -> None:
    # The docs' example: https://api.wispp.com/streams/17566/objects/372235/tags/2789
    assert acme.post("/streams/17566/objects/372235/tags/2789").json()["data"] is None
    carried = world.runtime.backends["commbox"].object_tags("acme", 17566, 372235)
    assert 2789 in carried


def test_spec_response_examples_keep_their_own_schemas(world: World) -> None:
    """The documented examples are valid answers, so the fake can be held to them."""
    contract = world.runtime.contracts["commbox"]
    doc = spec()
    for template, item in doc["paths"].items():
        for method in ("get", "post", "delete"):
            op = item.get(method)
            if op is None:
                continue
            for status, response in op["responses"].items():
                resolved = deref(doc, response)
                example = resolved["content"]["application/json"]["example"]
                documented, schema = contract.operations[op["operationId"]].response_schema(
                    int(status)
                )
                assert documented and schema is not None
                assert schema.violations(example) == [], (template, method, status)
