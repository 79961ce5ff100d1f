"""Zapini through the app: every bullet of the zapini section of vendor-behaviour.md."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import VendorClient, World

VIP = "550e8400-e29b-41d4-a716-446655440001"
SUPPORT = "550e8400-e29b-41d4-a716-446655440002"
FOLLOW_UP = "550e8400-e29b-41d4-a716-446655440004"
MARIA = "550e8400-e29b-41d4-a716-446655440045"  # carries VIP
JOAO = "550e8400-e29b-41d4-a716-446655440046"  # carries VIP and Follow-up
GLOBEX_VIP = "7c9e6679-7425-40de-944b-e07fc1f90ae1"
GLOBEX_CONVERSATION = "7c9e6679-7425-40de-944b-e07fc1f90b01"


@pytest.fixture
def zap(world: World) -> VendorClient:
    return world.client("zapini", "acme")


def create(zap: VendorClient, name: str, color: str = "#ef4444") -> dict[str, Any]:
    r = zap.post("/tags", json={"name": name, "color": color})
    assert r.status_code == 201, r.text
    tag: dict[str, Any] = r.json()["data"]["tag"]
    return tag


def tags_by_id(zap: VendorClient) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in zap.get("/tags").json()["data"]["tags"]}


def conversation_tag_ids(zap: VendorClient, conversation: str) -> list[str]:
    r = zap.get(f"/conversations/{conversation}")
    assert r.status_code == 200
    return [t["id"] for t in r.json()["data"]["conversation"]["tags"]]


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert isinstance(body["error"]["details"], dict)
    return body


def test_list_tags_returns_the_tenants_tags_with_live_conversation_counts(
    zap: VendorClient,
) -> None:
    r = zap.get("/tags")
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True
    tags = {t["name"]: t for t in body["data"]["tags"]}
    assert tags["VIP"]["conversations_count"] == 2
    assert tags["Follow-up"]["conversations_count"] == 1
    assert "Billing" not in tags  # globex's


def test_create_tag_returns_201_with_the_tag_and_message(zap: VendorClient) -> None:
    r = zap.post("/tags", json={"name": "Important", "color": "#ef4444"})
    assert r.status_code == 201
    body = r.json()
    assert body["message"] == "Tag created successfully"
    tag = body["data"]["tag"]
    assert tag["name"] == "Important"
    assert tag["color"] == "#ef4444"
    assert tag["conversations_count"] == 0
    assert tag["created_at"].endswith("Z")
    assert tag["id"] in tags_by_id(zap)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"color": "#ef4444"}, "name"),
        ({"name": "", "color": "#ef4444"}, "name"),
        ({"name": "   ", "color": "#ef4444"}, "name"),
        ({"name": "x" * 51, "color": "#ef4444"}, "name"),
        ({"name": "Fine"}, "color"),
        ({"name": "Fine", "color": "red"}, "color"),
        ({"name": "Fine", "color": "#ef444"}, "color"),
        ({"name": "Fine", "color": "#ef4444\n"}, "color"),
        ({"name": 5, "color": "#ef4444"}, "name"),
    ],
)
def test_create_tag_with_an_invalid_field_returns_422_and_changes_nothing(
    world: World, zap: VendorClient, body: dict[str, Any], field: str
) -> None:
    before = world.snapshot()
    r = zap.post("/tags", json=body)
    error = assert_error(r, 422, "VALIDATION_ERROR")
    assert field in error["error"]["details"]
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"color": "#ef4444"}, {"name": ["The name field is required."]}),
        ({"name": "  ", "color": "#ef4444"}, {"name": ["The name field is required."]}),
        ({"name": None, "color": "#ef4444"}, {"name": ["The name field is required."]}),
        ({"name": 5, "color": "#ef4444"}, {"name": ["The name field must be a string."]}),
        (
            {"name": "x" * 51, "color": "#ef4444"},
            {"name": ["The name field must not be greater than 50 characters."]},
        ),
        ({"name": "Fine"}, {"color": ["The color field is required."]}),
        ({"name": "Fine", "color": "red"}, {"color": ["The color field format is invalid."]}),
        ({"name": "Fine", "color": 7}, {"color": ["The color field must be a string."]}),
        (
            {"name": 5, "color": "red"},
            {
                "name": ["The name field must be a string."],
                "color": ["The color field format is invalid."],
            },
        ),
        (
            {},
            {"name": ["The name field is required."], "color": ["The color field is required."]},
        ),
        (
            {"name": "vip", "color": "red"},
            {
                "name": ["The name has already been taken."],
                "color": ["The color field format is invalid."],
            },
        ),
    ],
)
def test_create_tag_422_uses_laravels_wording_for_every_failing_field(
    world: World, zap: VendorClient, body: dict[str, Any], details: dict[str, list[str]]
) -> None:
    before = world.snapshot()
    error = assert_error(zap.post("/tags", json=body), 422, "VALIDATION_ERROR")["error"]
    assert error["details"] == details
    assert error["message"] == next(iter(details.values()))[0]
    assert world.snapshot() == before


def test_create_tag_without_a_body_names_both_fields(zap: VendorClient) -> None:
    r = zap.post("/tags", content=b"", headers={"Content-Type": "application/json"})
    assert assert_error(r, 422, "VALIDATION_ERROR")["error"]["details"] == {
        "name": ["The name field is required."],
        "color": ["The color field is required."],
    }


@pytest.mark.parametrize("padding", [" ", "\t", "\n", "  \r\n"])
def test_create_tag_name_is_trimmed_before_its_length_is_checked(
    zap: VendorClient, padding: str
) -> None:
    name = "n" * 50
    tag = create(zap, padding + name + padding)
    assert tag["name"] == name
    assert tags_by_id(zap)[tag["id"]]["name"] == name


def test_update_tag_name_is_trimmed_before_its_length_is_checked(zap: VendorClient) -> None:
    r = zap.patch(f"/tags/{VIP}", json={"name": "p" * 50 + " "})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["tag"]["name"] == "p" * 50
    r = zap.patch(f"/tags/{VIP}", json={"name": " " + "p" * 51})
    assert assert_error(r, 422, "VALIDATION_ERROR")["error"]["details"] == {
        "name": ["The name field must not be greater than 50 characters."]
    }


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"name": ""}, {"name": ["The name field is required."]}),
        ({"color": "blue"}, {"color": ["The color field format is invalid."]}),
        (
            {"name": "support", "color": None},
            {
                "name": ["The name has already been taken."],
                "color": ["The color field is required."],
            },
        ),
    ],
)
def test_update_tag_422_uses_laravels_wording(
    world: World, zap: VendorClient, body: dict[str, Any], details: dict[str, list[str]]
) -> None:
    before = world.snapshot()
    r = zap.patch(f"/tags/{VIP}", json=body)
    assert assert_error(r, 422, "VALIDATION_ERROR")["error"]["details"] == details
    assert world.snapshot() == before


def test_update_unknown_tag_is_404_before_validation(zap: VendorClient) -> None:
    r = zap.patch("/tags/550e8400-e29b-41d4-a716-000000000999", json={"name": 5})
    assert_error(r, 404, "NOT_FOUND")


def test_create_tag_name_is_unique_per_tenant_ignoring_case(
    world: World, zap: VendorClient
) -> None:
    before = world.snapshot()
    r = zap.post("/tags", json={"name": "vip", "color": "#000000"})
    error = assert_error(r, 422, "VALIDATION_ERROR")
    assert error["error"]["details"] == {"name": ["The name has already been taken."]}
    assert world.snapshot() == before
    # globex has its own VIP: names are unique per tenant, not across tenants
    other = world.client("zapini", "globex")
    assert other.post("/tags", json={"name": "Support", "color": "#000000"}).status_code == 201


def test_get_tag_returns_the_tag(zap: VendorClient) -> None:
    r = zap.get(f"/tags/{VIP}")
    assert r.status_code == 200
    assert r.json()["data"]["tag"]["name"] == "VIP"
    assert r.json()["data"]["tag"]["conversations_count"] == 2


def test_get_tag_ids_compare_case_insensitively(zap: VendorClient) -> None:
    assert zap.get(f"/tags/{VIP.upper()}").status_code == 200


@pytest.mark.parametrize("tag_id", ["550e8400-e29b-41d4-a716-000000000000", "not-a-uuid", "17"])
def test_get_tag_unknown_or_malformed_id_returns_404(zap: VendorClient, tag_id: str) -> None:
    assert_error(zap.get(f"/tags/{tag_id}"), 404, "NOT_FOUND")


def test_update_tag_changes_only_the_given_fields(zap: VendorClient) -> None:
    r = zap.patch(f"/tags/{VIP}", json={"color": "#000000"})
    assert r.status_code == 200
    tag = r.json()["data"]["tag"]
    assert (tag["name"], tag["color"]) == ("VIP", "#000000")
    r = zap.patch(f"/tags/{VIP}", json={"name": "Very Important"})
    assert r.json()["data"]["tag"]["name"] == "Very Important"
    assert tags_by_id(zap)[VIP]["color"] == "#000000"


def test_update_tag_keeps_uniqueness_but_may_rename_itself(world: World, zap: VendorClient) -> None:
    assert zap.patch(f"/tags/{VIP}", json={"name": "vip"}).status_code == 200
    before = world.snapshot()
    assert_error(zap.patch(f"/tags/{VIP}", json={"name": "support"}), 422, "VALIDATION_ERROR")
    assert_error(zap.patch(f"/tags/{VIP}", json={"color": "blue"}), 422, "VALIDATION_ERROR")
    assert world.snapshot() == before


def test_delete_tag_removes_it_from_every_conversation(zap: VendorClient) -> None:
    r = zap.delete(f"/tags/{VIP}")
    assert r.status_code == 200
    assert r.json()["success"] is True
    assert VIP not in tags_by_id(zap)
    assert conversation_tag_ids(zap, MARIA) == []
    assert conversation_tag_ids(zap, JOAO) == [FOLLOW_UP]
    assert_error(zap.get(f"/tags/{VIP}"), 404, "NOT_FOUND")


def test_update_conversation_tags_replaces_the_whole_set(zap: VendorClient) -> None:
    r = zap.put(f"/conversations/{JOAO}/tags", json={"tag_ids": [SUPPORT]})
    assert r.status_code == 200
    body = r.json()
    assert body["message"] == "Conversation tags updated"
    assert body["data"]["tags"] == [{"id": SUPPORT, "name": "Support", "color": "#3b82f6"}]
    assert conversation_tag_ids(zap, JOAO) == [SUPPORT]


def test_update_conversation_tags_counts_follow(zap: VendorClient) -> None:
    zap.put(f"/conversations/{JOAO}/tags", json={"tag_ids": [SUPPORT]})
    counts = {k: t["conversations_count"] for k, t in tags_by_id(zap).items()}
    assert counts[VIP] == 1
    assert counts[FOLLOW_UP] == 0
    assert counts[SUPPORT] == 2


def test_update_conversation_tags_duplicates_count_once_and_repeat_changes_nothing(
    world: World, zap: VendorClient
) -> None:
    zap.put(f"/conversations/{MARIA}/tags", json={"tag_ids": [SUPPORT, VIP, SUPPORT]})
    assert conversation_tag_ids(zap, MARIA) == [SUPPORT, VIP]
    before = world.snapshot()
    zap.put(f"/conversations/{MARIA}/tags", json={"tag_ids": [SUPPORT, VIP]})
    assert world.snapshot()["namespaces"] == before["namespaces"]


def test_update_conversation_tags_with_empty_list_clears(zap: VendorClient) -> None:
    r = zap.put(f"/conversations/{JOAO}/tags", json={"tag_ids": []})
    assert r.status_code == 200
    assert r.json()["data"]["tags"] == []
    assert conversation_tag_ids(zap, JOAO) == []
    assert conversation_tag_ids(zap, MARIA) == [VIP]  # another conversation untouched


def test_update_conversation_tags_unknown_conversation_returns_404(zap: VendorClient) -> None:
    r = zap.put("/conversations/550e8400-e29b-41d4-a716-000000000999/tags", json={"tag_ids": []})
    assert_error(r, 404, "NOT_FOUND")


def test_update_conversation_tags_with_a_foreign_tag_returns_422_and_changes_nothing(
    world: World, zap: VendorClient
) -> None:
    before = world.snapshot()
    r = zap.put(f"/conversations/{MARIA}/tags", json={"tag_ids": [SUPPORT, GLOBEX_VIP]})
    error = assert_error(r, 422, "VALIDATION_ERROR")
    assert error["error"]["details"] == {"tag_ids.1": ["The selected tag_ids.1 is invalid."]}
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "body", [{}, {"tag_ids": "x"}, {"tag_ids": ["not-a-uuid"]}, {"tag_ids": [1]}, {"tags": []}]
)
def test_update_conversation_tags_malformed_tag_ids_returns_422(
    world: World, zap: VendorClient, body: dict[str, Any]
) -> None:
    before = world.snapshot()
    assert_error(zap.put(f"/conversations/{MARIA}/tags", json=body), 422, "VALIDATION_ERROR")
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({}, {"tag_ids": ["The tag_ids field is required."]}),
        ({"tag_ids": None}, {"tag_ids": ["The tag_ids field is required."]}),
        ({"tag_ids": "x"}, {"tag_ids": ["The tag_ids field must be an array."]}),
        (
            {"tag_ids": ["not-a-uuid", VIP, 1, "550e8400-e29b-41d4-a716-000000000999"]},
            {
                "tag_ids.0": ["The tag_ids.0 field must be a valid UUID."],
                "tag_ids.2": ["The tag_ids.2 field must be a valid UUID."],
                "tag_ids.3": ["The selected tag_ids.3 is invalid."],
            },
        ),
        ({"tag_ids": [GLOBEX_VIP]}, {"tag_ids.0": ["The selected tag_ids.0 is invalid."]}),
    ],
)
def test_update_conversation_tags_422_uses_laravels_wording_for_every_item(
    world: World, zap: VendorClient, body: dict[str, Any], details: dict[str, list[str]]
) -> None:
    before = world.snapshot()
    r = zap.put(f"/conversations/{MARIA}/tags", json=body)
    error = assert_error(r, 422, "VALIDATION_ERROR")["error"]
    assert error["details"] == details
    assert error["message"] == next(iter(details.values()))[0]
    assert world.snapshot() == before


def test_update_conversation_tags_unknown_conversation_is_404_before_validation(
    zap: VendorClient,
) -> None:
    r = zap.put(f"/conversations/{GLOBEX_CONVERSATION}/tags", json={"tag_ids": "x"})
    assert_error(r, 404, "NOT_FOUND")


def test_get_conversation_carries_its_tags(zap: VendorClient) -> None:
    r = zap.get(f"/conversations/{JOAO}")
    conv = r.json()["data"]["conversation"]
    assert conv["id"] == JOAO
    assert conv["display_name"] == "João Pereira"
    assert [t["name"] for t in conv["tags"]] == ["VIP", "Follow-up"]


def test_another_tenants_objects_are_not_found(zap: VendorClient) -> None:
    assert_error(zap.get(f"/tags/{GLOBEX_VIP}"), 404, "NOT_FOUND")
    assert_error(zap.delete(f"/tags/{GLOBEX_VIP}"), 404, "NOT_FOUND")
    assert_error(zap.patch(f"/tags/{GLOBEX_VIP}", json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(zap.get(f"/conversations/{GLOBEX_CONVERSATION}"), 404, "NOT_FOUND")
    r = zap.put(f"/conversations/{GLOBEX_CONVERSATION}/tags", json={"tag_ids": []})
    assert_error(r, 404, "NOT_FOUND")


def test_both_token_kinds_of_a_tenant_reach_the_same_data(world: World) -> None:
    user, instance = world.runtime.store.credentials("zapini", "acme")
    created = world.anonymous("zapini", {"Authorization": f"Bearer {user}"}).post(
        "/tags", json={"name": "Shared", "color": "#111111"}
    )
    assert created.status_code == 201
    seen = world.anonymous("zapini", {"Authorization": f"Bearer {instance}"}).get("/tags")
    assert "Shared" in [t["name"] for t in seen.json()["data"]["tags"]]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}, {"Authorization": ""}],
)
def test_missing_or_wrong_token_returns_401(world: World, headers: dict[str, str]) -> None:
    r = world.anonymous("zapini", headers).get("/tags")
    body = assert_error(r, 401, "UNAUTHENTICATED")
    assert body["error"]["message"] == "Unauthenticated."


def test_a_token_of_another_vendor_is_refused(world: World) -> None:
    healvi_like = world.runtime.store.credentials("commbox", "acme")[0]
    r = world.anonymous("zapini", {"Authorization": f"Bearer {healvi_like}"}).get("/tags")
    assert_error(r, 401, "UNAUTHENTICATED")


def test_rate_limit_mode_answers_429_after_100_requests_in_15_minutes(world: World) -> None:
    zap = world.client("zapini", "acme")
    world.http.post("/__admin/rate-limits", json={"enabled": True})
    for _ in range(100):
        assert zap.get("/tags").status_code == 200
    r = zap.get("/tags")
    assert_error(r, 429, "RATE_LIMITED")
    assert 0 < int(r.headers["retry-after"]) <= 900
    # another tenant's token has its own window
    assert world.client("zapini", "globex").get("/tags").status_code == 200
    world.http.post("/__admin/clock", json={"advance_seconds": 901})
    assert zap.get("/tags").status_code == 200
