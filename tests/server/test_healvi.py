"""healvi through the app: every rule of the healvi section of vendor-behaviour.md, the error
envelope for each failure, tenant isolation, and bad input answered in Laravel's shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app
from tagfake.settings import Settings
from tests.conftest import VendorClient, World

LIMIT = 2048
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PROFILE_FIELDS = {
    "id",
    "salutation",
    "name",
    "gender",
    "blocked",
    "date_of_birth",
    "phone_number",
    "email",
    "address",
    "custom_1",
    "custom_2",
    "custom_3",
    "custom_4",
    "custom_5",
    "created_at",
    "updated_at",
}


@pytest.fixture
def settings() -> Settings:
    # healvi alone (the other vendors' packages are not needed) and a small body limit.
    return Settings(validation="enforce", seed=1, vendors=("healvi",), max_body_bytes=LIMIT)


@pytest.fixture
def acme(world: World) -> VendorClient:
    return world.client("healvi", "acme")


@pytest.fixture
def globex(world: World) -> VendorClient:
    return world.client("healvi", "globex")


def sync(client: VendorClient, profile_id: int | str, tags: Any) -> Any:
    return client.post(f"/profiles/{profile_id}/tags", json={"tags": tags})


def carried(world: World, profile_id: str, tenant: str = "acme") -> list[str]:
    with world.runtime.store.read("healvi", tenant) as ns:
        return sorted(ns.kind("profiles")[profile_id].tags, key=int)


def tag_ids(response: Any) -> list[int]:
    return [t["id"] for t in response.json()["data"]]


def titles(response: Any) -> list[tuple[int, str]]:
    return [(t["id"], t["title"]) for t in response.json()["data"]]


def assert_422(response: Any, field: str, text: str) -> None:
    assert response.status_code == 422
    assert response.json() == {"message": text, "errors": {field: [text]}}


NOT_FOUND = {"message": "Not found."}
UNAUTHENTICATED = {"message": "Unauthenticated."}


# -- prefix and auth ---------------------------------------------------------------------------
def test_profile_is_served_under_the_healvi_prefix_with_bearer_auth(acme: VendorClient) -> None:
    response = acme.get("/profiles/101")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"]["name"] == "Erika Mustermann"


def test_single_vendor_mode_serves_the_vendors_own_base_path(settings: Settings) -> None:
    app = create_app(settings.replace(single_vendor=True))
    with TestClient(app) as http:
        response = http.get(
            "/third-party/v1/profiles/101",
            headers={"Authorization": "Bearer healvi-acme-token"},
        )
    assert response.status_code == 200
    assert response.json()["data"]["id"] == 101


def test_missing_credential_returns_401(world: World) -> None:
    before = world.snapshot()
    anonymous = world.anonymous("healvi")
    for response in (anonymous.get("/profiles/101"), sync(anonymous, 101, [{"title": "x"}])):
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", "Basic aGVhbHZpLWFjbWUtdG9rZW4=", "healvi-acme-token", "Bearer "],
)
def test_wrong_credential_returns_401_and_changes_nothing(world: World, authorization: str) -> None:
    before = world.snapshot()
    client = world.anonymous("healvi", {"Authorization": authorization})
    response = sync(client, 101, [{"title": "x"}])
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert world.snapshot() == before


def test_every_credential_of_a_tenant_reaches_that_tenant(world: World) -> None:
    second = world.anonymous("healvi", {"Authorization": "Bearer healvi-acme-token-2"})
    assert second.get("/profiles/101").status_code == 200
    assert second.get("/profiles/201").status_code == 404


# -- GET /profiles/{id} ------------------------------------------------------------------------
def test_get_profile_returns_data_profile_without_tags_field(acme: VendorClient) -> None:
    response = acme.get("/profiles/102")
    assert response.status_code == 200
    profile = response.json()["data"]
    assert set(profile) == PROFILE_FIELDS  # documented fields, no `tags`
    assert profile["id"] == 102
    assert profile["blocked"] is True
    assert profile["date_of_birth"] is None
    assert RFC3339_UTC.match(profile["created_at"])


@pytest.mark.parametrize("profile_id", ["999", "201", "abc", "-1", "1.5", "99999999999999999999"])
def test_get_profile_unknown_other_tenant_or_non_integer_id_returns_404(
    acme: VendorClient, profile_id: str
) -> None:
    response = acme.get(f"/profiles/{profile_id}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_get_profile_is_not_changed_by_a_sync(acme: VendorClient) -> None:
    before = acme.get("/profiles/101").json()
    assert sync(acme, 101, [{"title": "New"}]).status_code == 200
    assert acme.get("/profiles/101").json() == before


# -- sync: attach by id ------------------------------------------------------------------------
def test_sync_profile_tags_attaches_existing_tags_by_id(world: World, acme: VendorClient) -> None:
    response = sync(acme, 103, [{"id": 2}, {"id": 4}])
    assert response.status_code == 200
    assert titles(response) == [(2, "Newsletter"), (4, "Newsletter")]
    assert carried(world, "103") == ["2", "4"]


def test_sync_profile_tags_id_wins_over_title(world: World, acme: VendorClient) -> None:
    before = world.snapshot()["counters"]
    response = sync(acme, 103, [{"id": 1, "title": "Something else"}])
    assert response.status_code == 200
    assert titles(response) == [(1, "VIP")]  # tag 1 attached, not renamed
    assert world.snapshot()["counters"] == before  # no tag created
    with world.runtime.store.read("healvi", "acme") as ns:
        assert len(ns.tags) == 4


def test_sync_profile_tags_unknown_id_returns_422_and_changes_nothing(
    world: World, acme: VendorClient
) -> None:
    before = world.snapshot()
    response = sync(acme, 101, [{"id": 2}, {"title": "Would be new"}, {"id": 999}])
    assert_422(response, "tags.2.id", "The selected tags.2.id is invalid.")
    assert world.snapshot() == before  # no tag created, 1 and 3 still attached
    assert carried(world, "101") == ["1", "3"]


def test_sync_profile_tags_rejected_request_does_not_consume_an_id(acme: VendorClient) -> None:
    assert sync(acme, 101, [{"title": "A"}, {"id": 999}]).status_code == 422
    assert tag_ids(sync(acme, 103, [{"title": "A"}])) == [14]


# -- sync: create by title ---------------------------------------------------------------------
def test_sync_profile_tags_title_only_creates_new_tag_with_next_id(
    world: World, acme: VendorClient
) -> None:
    world.runtime.clock.freeze(datetime(2024, 5, 2, 9, 30, tzinfo=UTC))
    response = sync(acme, 101, [{"id": 1}, {"id": None, "title": "Rückruf erwünscht"}])
    assert response.status_code == 200
    created = response.json()["data"][1]
    assert created == {
        "id": 14,  # after the fixture's highest tag id (13, globex's)
        "title": "Rückruf erwünscht",
        "created_at": "2024-05-02T09:30:00Z",
        "updated_at": "2024-05-02T09:30:00Z",
    }
    assert carried(world, "101") == ["1", "14"]


def test_sync_profile_tags_title_matching_existing_tag_still_creates_new_tag(
    world: World, acme: VendorClient
) -> None:
    response = sync(acme, 103, [{"title": "VIP"}, {"title": "VIP"}])
    assert titles(response) == [(14, "VIP"), (15, "VIP")]
    with world.runtime.store.read("healvi", "acme") as ns:
        assert [t["title"] for t in ns.tags.values()].count("VIP") == 3


def test_sync_profile_tags_created_tag_can_be_attached_by_id_elsewhere(acme: VendorClient) -> None:
    new_id = tag_ids(sync(acme, 101, [{"title": "Shared"}]))[0]
    response = sync(acme, 103, [{"id": new_id}])
    assert titles(response) == [(new_id, "Shared")]


def test_sync_profile_tags_title_is_trimmed(acme: VendorClient) -> None:
    assert titles(sync(acme, 103, [{"title": "  Lead  "}])) == [(14, "Lead")]


# -- sync: invalid items and bodies ------------------------------------------------------------
@pytest.mark.parametrize(
    "item",
    [{}, {"id": None}, {"title": None}, {"id": None, "title": ""}, {"title": "   "}],
    ids=["empty", "null-id", "null-title", "empty-title", "blank-title"],
)
def test_sync_profile_tags_item_without_id_or_title_returns_422_and_changes_nothing(
    world: World, acme: VendorClient, item: dict[str, Any]
) -> None:
    before = world.snapshot()
    response = sync(acme, 101, [{"id": 1}, item])
    assert_422(
        response,
        "tags.1.title",
        "The tags.1.title field is required when tags.1.id is not present.",
    )
    assert world.snapshot() == before


def test_sync_profile_tags_missing_tags_returns_422(world: World, acme: VendorClient) -> None:
    before = world.snapshot()
    response = acme.post("/profiles/101/tags", json={"other": []})
    assert_422(response, "tags", "The tags field is required.")
    assert world.snapshot() == before


@pytest.mark.parametrize("value", [None, "1,2", {"id": 1}, 3])
def test_sync_profile_tags_tags_not_an_array_returns_422(
    world: World, acme: VendorClient, value: Any
) -> None:
    before = world.snapshot()
    assert_422(sync(acme, 101, value), "tags", "The tags field must be an array.")
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("item", "field", "text"),
    [
        ({"id": "abc"}, "tags.0.id", "The tags.0.id field must be an integer."),
        ({"id": "1.5"}, "tags.0.id", "The tags.0.id field must be an integer."),
        ({"id": True}, "tags.0.id", "The tags.0.id field must be an integer."),
        ({"id": 1.5}, "tags.0.id", "The tags.0.id field must be an integer."),
        ({"title": 5}, "tags.0.title", "The tags.0.title field must be a string."),
        (7, "tags.0", "The tags.0 field must be an object."),
    ],
)
def test_sync_profile_tags_wrong_types_return_422(
    world: World, acme: VendorClient, item: Any, field: str, text: str
) -> None:
    before = world.snapshot()
    assert_422(sync(acme, 101, [item]), field, text)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("items", "fields"),
    [
        ([{"id": 998}, {"id": 1}, {"id": 997}], ["tags.0.id", "tags.2.id"]),
        ([{}, {"id": 1}, {"id": "x"}], ["tags.0.title", "tags.2.id"]),
    ],
    ids=["unknown-ids", "schema"],
)
def test_sync_profile_tags_reports_every_bad_item(
    acme: VendorClient, items: list[Any], fields: list[str]
) -> None:
    response = sync(acme, 101, items)
    assert response.status_code == 422
    body = response.json()
    assert list(body["errors"]) == fields
    # Laravel's summary: the first error and how many more.
    assert body["message"] == body["errors"][fields[0]][0] + " (and 1 more error)"


def test_sync_profile_tags_reports_schema_and_rule_failures_together(
    world: World, acme: VendorClient
) -> None:
    before = world.snapshot()
    items = [{"id": 998}, {"id": 1.5}, {"title": 5}, {"title": " "}, 7]
    response = sync(acme, 101, items)
    assert response.status_code == 422
    assert response.json() == {
        "message": "The selected tags.0.id is invalid. (and 4 more errors)",
        "errors": {
            "tags.0.id": ["The selected tags.0.id is invalid."],
            "tags.1.id": ["The tags.1.id field must be an integer."],
            "tags.2.title": ["The tags.2.title field must be a string."],
            "tags.3.title": ["The tags.3.title field is required when tags.3.id is not present."],
            "tags.4": ["The tags.4 field must be an object."],
        },
    }
    assert world.snapshot() == before


@pytest.mark.parametrize("raw", ["1", " 1 ", 1, 1.0])
def test_sync_profile_tags_integer_rule_accepts_an_integer_string(
    world: World, acme: VendorClient, raw: Any
) -> None:
    response = sync(acme, 102, [{"id": raw}, {"id": 2}])
    assert response.status_code == 200, response.text
    assert tag_ids(response) == [1, 2]
    assert carried(world, "102") == ["1", "2"]


@pytest.mark.parametrize("raw", [1.5, True, "1.5", "x1", ""])
def test_sync_profile_tags_integer_rule_refuses_other_values(acme: VendorClient, raw: Any) -> None:
    assert_422(
        sync(acme, 102, [{"id": raw}]), "tags.0.id", "The tags.0.id field must be an integer."
    )


# -- sync: the resulting set -------------------------------------------------------------------
def test_sync_profile_tags_detaches_unlisted_tags_without_deleting_them(
    world: World, acme: VendorClient
) -> None:
    response = sync(acme, 101, [{"id": 1}])
    assert tag_ids(response) == [1]
    assert carried(world, "101") == ["1"]
    # Tag 3 was detached from 101, not deleted: it can still be attached elsewhere.
    assert titles(sync(acme, 103, [{"id": 3}])) == [(3, "Rückruf erwünscht")]


def test_sync_profile_tags_empty_list_detaches_all(world: World, acme: VendorClient) -> None:
    response = sync(acme, 101, [])
    assert response.status_code == 200
    assert response.json() == {"data": []}
    assert carried(world, "101") == []
    with world.runtime.store.read("healvi", "acme") as ns:
        assert set(ns.tags) == {"1", "2", "3", "4"}


def test_sync_profile_tags_duplicate_ids_count_once(world: World, acme: VendorClient) -> None:
    response = sync(acme, 103, [{"id": 2}, {"id": 1}, {"id": 2}, {"id": 2, "title": "x"}])
    assert tag_ids(response) == [1, 2]
    assert carried(world, "103") == ["1", "2"]


def test_sync_profile_tags_answer_is_full_set_ordered_by_numeric_id(acme: VendorClient) -> None:
    response = sync(acme, 102, [{"title": "Fourteen"}, {"id": 4}, {"id": 3}, {"id": 1}])
    # Numeric order: 4 before 14 (as text "14" < "4").
    assert tag_ids(response) == [1, 3, 4, 14]


def test_sync_profile_tags_answer_has_documented_tag_fields(acme: VendorClient) -> None:
    response = sync(acme, 102, [{"id": 2}, {"title": "New"}])
    for tag in response.json()["data"]:
        assert set(tag) == {"id", "title", "created_at", "updated_at"}
        assert isinstance(tag["id"], int)
        assert RFC3339_UTC.match(tag["created_at"]) and RFC3339_UTC.match(tag["updated_at"])


def test_sync_profile_tags_is_idempotent(world: World, acme: VendorClient) -> None:
    first = sync(acme, 101, [{"id": 3}, {"id": 1}])
    snapshot = world.snapshot()["namespaces"]
    second = sync(acme, 101, [{"id": 1}, {"id": 3}])
    assert first.json() == second.json()
    assert world.snapshot()["namespaces"] == snapshot


def test_sync_profile_tags_blocked_profile_can_be_tagged(acme: VendorClient) -> None:
    assert tag_ids(sync(acme, 102, [{"id": 1}])) == [1]


# -- tenant isolation --------------------------------------------------------------------------
def test_sync_profile_tags_other_tenants_tag_id_returns_422(
    world: World, acme: VendorClient
) -> None:
    before = world.snapshot()
    assert_422(sync(acme, 101, [{"id": 11}]), "tags.0.id", "The selected tags.0.id is invalid.")
    assert world.snapshot() == before


@pytest.mark.parametrize("profile_id", ["201", "999", "abc", "1.5"])
@pytest.mark.parametrize(
    "body",
    [{"tags": [{"id": 999}]}, {"tags": "x"}, {}, {"tags": [{"id": True}, {}]}],
    ids=["unknown-tag", "not-an-array", "no-tags", "schema-invalid"],
)
def test_sync_profile_tags_unknown_profile_is_404_before_validation(
    world: World, acme: VendorClient, profile_id: str, body: Any
) -> None:
    # Laravel binds the route's model (404) before the request is validated (422).
    before = world.snapshot()
    response = acme.post(f"/profiles/{profile_id}/tags", json=body)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert world.snapshot() == before


def test_sync_profile_tags_without_a_body_is_404_for_an_unknown_profile(acme: VendorClient) -> None:
    headers = {"Content-Type": "application/json"}
    response = acme.post("/profiles/999/tags", content=b"", headers=headers)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert_422(
        acme.post("/profiles/101/tags", content=b"", headers=headers),
        "tags",
        "The tags field is required.",
    )


def test_sync_profile_tags_credential_is_checked_before_the_profile(world: World) -> None:
    response = world.client("healvi", None).post("/profiles/999/tags", json={"tags": "x"})
    assert (response.status_code, response.json()) == (401, UNAUTHENTICATED)


@pytest.mark.parametrize("profile_id", ["201", "999", "abc"])
def test_sync_profile_tags_unknown_or_other_tenants_profile_returns_404_and_changes_nothing(
    world: World, acme: VendorClient, profile_id: str
) -> None:
    before = world.snapshot()
    response = sync(acme, profile_id, [{"title": "New"}])
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert world.snapshot() == before


def test_tags_created_by_one_tenant_are_invisible_to_another(
    acme: VendorClient, globex: VendorClient
) -> None:
    new_id = tag_ids(sync(acme, 101, [{"title": "Acme only"}]))[0]
    assert_422(
        sync(globex, 201, [{"id": new_id}]), "tags.0.id", "The selected tags.0.id is invalid."
    )
    assert titles(sync(globex, 201, [{"id": 11}, {"id": 12}])) == [(11, "VIP"), (12, "Churn risk")]


def test_globex_reaches_its_own_profiles(globex: VendorClient) -> None:
    assert globex.get("/profiles/201").json()["data"]["name"] == "Hank Scorpio"
    assert globex.get("/profiles/101").status_code == 404


# -- bad input: each in healvi's envelope, never a 500, nothing changed ------------------------
def raw_post(client: VendorClient, body: bytes, content_type: str | None) -> Any:
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post("/profiles/101/tags", content=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (b'{"tags": [', "application/json", 400, "The request body is not valid JSON."),
        (b'{"tags": NaN}', "application/json", 400, "The request body is not valid JSON."),
        (b"[]", "application/json", 400, "The request body must be a JSON object."),
        (b'[{"id": 1}]', "application/json", 400, "The request body must be a JSON object."),
        (b'"tags"', "application/json", 400, "The request body must be a JSON object."),
        (b'{"tags": "\xff"}', "application/json", 400, "The request body is not valid UTF-8."),
        (
            b'{"tags": []}',
            "text/plain",
            415,
            "Unsupported Media Type. Send application/json.",
        ),
        (
            b'{"tags": []}',
            "application/x-www-form-urlencoded",
            415,
            "Unsupported Media Type. Send application/json.",
        ),
        (b'{"tags": []}', None, 415, "Unsupported Media Type. Send application/json."),
        (
            b'{"tags": [' + b'{"title": "x"},' * 200 + b"{}]}",
            "application/json",
            413,
            "The request body is too large.",
        ),
    ],
    ids=[
        "malformed",
        "nan",
        "empty-array",
        "array",
        "string",
        "not-utf8",
        "text-plain",
        "form",
        "no-content-type",
        "too-large",
    ],
)
def test_sync_profile_tags_bad_body_answers_envelope_and_changes_nothing(
    world: World,
    acme: VendorClient,
    body: bytes,
    content_type: str | None,
    status: int,
    message: str,
) -> None:
    before = world.snapshot()
    response = raw_post(acme, body, content_type)
    assert response.status_code == status
    assert response.json() == {"message": message}
    assert world.snapshot() == before


def test_body_just_under_the_limit_is_accepted(acme: VendorClient) -> None:
    body = b'{"tags": [{"id": 1}], "pad": "' + b"x" * (LIMIT - 40) + b'"}'
    assert len(body) <= LIMIT
    assert raw_post(acme, body, "application/json").status_code == 200


def test_json_nested_deeper_than_max_json_depth_returns_400(
    world: World, acme: VendorClient
) -> None:
    depth = world.runtime.settings.max_json_depth
    before = world.snapshot()
    body = b'{"tags": [{"title": "x", "meta": ' + b"[" * depth + b"]" * depth + b"}]}"
    response = raw_post(acme, body, "application/json")
    assert response.status_code == 400
    assert response.json() == {"message": f"The JSON body is nested deeper than {depth} levels."}
    assert world.snapshot() == before


def test_empty_body_is_a_validation_error(world: World, acme: VendorClient) -> None:
    before = world.snapshot()
    response = raw_post(acme, b"", "application/json")
    assert_422(response, "tags", "The tags field is required.")
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "path", ["/profiles", "/tags", "/profiles/101/tags/1", "/", "/profiles/101/notes"]
)
def test_unknown_route_under_the_prefix_returns_404(acme: VendorClient, path: str) -> None:
    response = acme.get(path)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_unknown_route_is_404_even_without_credentials(world: World) -> None:
    response = world.anonymous("healvi").get("/nowhere")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/profiles/101/tags", "POST"),
        ("PUT", "/profiles/101/tags", "POST"),
        ("DELETE", "/profiles/101", "GET"),
        ("PATCH", "/profiles/101", "GET"),
        ("POST", "/profiles/101", "GET"),
    ],
)
def test_unsupported_method_returns_405_with_allow(
    world: World, acme: VendorClient, method: str, path: str, allow: str
) -> None:
    before = world.snapshot()
    response = acme.request(method, path, json={"tags": []})
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {
        "message": f"The {method} method is not supported for this route. "
        f"Supported methods: {allow}."
    }
    assert world.snapshot() == before


# -- throttling and server faults (injected) ---------------------------------------------------
def test_injected_throttle_answers_429_with_retry_after(acme: VendorClient) -> None:
    response = acme.get("/profiles/101", headers={"X-Tagfake-Fault": "rate_limit; retry_after=3"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json() == {"message": "Too Many Attempts."}


def test_injected_server_fault_answers_500_and_changes_nothing(
    world: World, acme: VendorClient
) -> None:
    before = world.snapshot()
    response = acme.post(
        "/profiles/101/tags", json={"tags": []}, headers={"X-Tagfake-Fault": "status=500"}
    )
    assert response.status_code == 500
    assert response.json() == {"message": "Server Error"}
    assert world.snapshot() == before
