"""nexor through the app: every rule of the nexor section of vendor-behaviour.md, the error
envelope for each failure, tenant isolation, and bad input answered as `{"error": …}`.

Validation is enforced, so every answer here also keeps specs/nexor.openapi.yaml."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tagfake.settings import Settings
from tests.conftest import VendorClient, World

LIMIT = 64 * 1024
DEPTH = 32  # Settings' default max_json_depth
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The default fixture (fixtures/nexor/default.yaml).
JANE = "123e4567-e89b-12d3-a456-426614174000"  # jane@example.com: Follow-up, Cold Lead
JOHN = "8fc3ed12-e560-4acf-bf24-dabea9c19c36"  # john.smith@example.com: VIP, Hot Lead
MARIA = "a702a27e-a295-4b6f-b263-2468c4722231"  # Maria.Garcia@Example.com: no tags
VIP = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
FOLLOW_UP = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
COLD = "cccccccc-cccc-cccc-cccc-cccccccccccc"
HOT = "35218d7c-89f7-4fb9-8dcc-9a3f878fe982"
HANK = "3eb439c2-29d6-40a1-9092-b798040d1fd6"  # globex, hank@globex.example: VIP, Enterprise
GLOBEX_VIP = "4663fb06-c082-477b-9cc4-473da65850c3"
ENTERPRISE = "4b1fcde2-072d-4dd5-8b67-9ef8719b0cce"
UNKNOWN = "dddddddd-dddd-dddd-dddd-dddddddddddd"

MISSING_KEY = {
    "error": "Missing API key",
    "message": "Please provide your API key in the X-API-Key header",
}
INVALID_KEY = {"error": "Invalid API key", "message": "The provided API key is not valid"}


@pytest.fixture
def settings() -> Settings:
    # nexor alone (the other vendors' packages are not needed) and a small body limit.
    return Settings(validation="enforce", seed=1, vendors=("nexor",), max_body_bytes=LIMIT)


@pytest.fixture
def acme(world: World) -> VendorClient:
    return world.client("nexor", "acme")


@pytest.fixture
def globex(world: World) -> VendorClient:
    return world.client("nexor", "globex")


# -- helper verbs -----------------------------------------------------------------------------
def sync(client: VendorClient, body: Any) -> Any:
    return client.put("/leads/tags", json=body)


def lead_tag_ids(client: VendorClient, lead_id: str) -> list[str]:
    r = client.get(f"/leads/{lead_id}/tags")
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["data"]]


def tags_by_slug(client: VendorClient) -> dict[str, dict[str, Any]]:
    r = client.get("/tags")
    assert r.status_code == 200, r.text
    return {t["slug"]: t for t in r.json()["data"]}


def refused(world: World, act: Callable[[], httpx.Response], status: int, error: str) -> Any:
    """`act` is answered `status` with Nexor's `{"error": error}` and changes nothing."""
    before = world.snapshot()
    r = act()
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"error": error}
    assert world.snapshot() == before
    return r


def nest(inner: Any, levels: int) -> dict[str, Any]:
    doc: Any = inner
    for _ in range(levels):
        doc = {"n": doc}
    assert isinstance(doc, dict)
    return doc


# -- auth -------------------------------------------------------------------------------------
def test_auth_missing_key_returns_documented_401(world: World) -> None:
    before = world.snapshot()
    anonymous = world.anonymous("nexor")
    for r in (
        anonymous.get("/tags"),
        anonymous.put("/leads/tags", json={"lead_id": JANE, "tags": []}),
    ):
        assert r.status_code == 401
        assert r.json() == MISSING_KEY
    assert world.snapshot() == before


def test_auth_wrong_key_returns_documented_401(world: World) -> None:
    before = world.snapshot()
    wrong = world.anonymous("nexor", {"X-API-Key": "nxr_live_not_a_real_key"})
    for r in (wrong.get("/tags"), wrong.put("/leads/tags", json={"lead_id": JANE, "tags": []})):
        assert r.status_code == 401
        assert r.json() == INVALID_KEY
    assert world.snapshot() == before


def test_auth_empty_key_counts_as_missing(world: World) -> None:
    r = world.anonymous("nexor", {"X-API-Key": "  "}).get("/tags")
    assert (r.status_code, r.json()) == (401, MISSING_KEY)


def test_auth_key_in_authorization_header_is_not_read(world: World) -> None:
    key = world.runtime.store.credentials("nexor", "acme")[0]
    r = world.anonymous("nexor", {"Authorization": f"Bearer {key}"}).get("/tags")
    assert (r.status_code, r.json()) == (401, MISSING_KEY)


def test_auth_is_checked_before_the_body(world: World) -> None:
    r = world.anonymous("nexor").post("/tags", json={})
    assert (r.status_code, r.json()) == (401, MISSING_KEY)


def test_auth_key_decides_the_account(acme: VendorClient, globex: VendorClient) -> None:
    assert list(tags_by_slug(acme)) == ["vip", "follow-up", "cold-lead", "hot-lead"]
    assert list(tags_by_slug(globex)) == ["vip", "enterprise", "churn-risk"]


# -- GET /tags --------------------------------------------------------------------------------
def test_list_tags_returns_documented_fields(acme: VendorClient) -> None:
    r = acme.get("/tags")
    assert r.status_code == 200
    tags = r.json()["data"]
    assert [t["id"] for t in tags] == [VIP, FOLLOW_UP, COLD, HOT]
    for t in tags:
        assert set(t) == {"id", "name", "slug", "description", "created_at", "updated_at"}
        assert UUID.match(t["id"])
        assert RFC3339_UTC.match(t["created_at"]) and RFC3339_UTC.match(t["updated_at"])
    assert tags[0]["description"] == "High-value customers"
    assert tags[1]["description"] is None


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("vip", [VIP]),  # name
        ("FOLLOW-UP", [FOLLOW_UP]),  # slug, case ignored
        ("30 DAYS", [COLD]),  # description
        ("Lead", [COLD, HOT]),
        ("nothing matches", []),
        ("", [VIP, FOLLOW_UP, COLD, HOT]),
    ],
)
def test_list_tags_search_matches_name_slug_or_description_ignoring_case(
    acme: VendorClient, search: str, expected: list[str]
) -> None:
    r = acme.get("/tags", params={"search": search})
    assert r.status_code == 200
    assert [t["id"] for t in r.json()["data"]] == expected


# -- POST /tags -------------------------------------------------------------------------------
def test_create_tag_returns_201_and_is_listed(acme: VendorClient) -> None:
    r = acme.post(
        "/tags",
        json={"name": "VIP VendorClient", "slug": "vip-client", "description": "Premium plan"},
    )
    assert r.status_code == 201
    tag = r.json()["data"]
    assert {k: tag[k] for k in ("name", "slug", "description")} == {
        "name": "VIP VendorClient",
        "slug": "vip-client",
        "description": "Premium plan",
    }
    assert UUID.match(tag["id"]) and RFC3339_UTC.match(tag["created_at"])
    assert tags_by_slug(acme)["vip-client"]["id"] == tag["id"]


def test_create_tag_without_description_has_null(acme: VendorClient) -> None:
    r = acme.post("/tags", json={"name": "Q3", "slug": "q3"})
    assert (r.status_code, r.json()["data"]["description"]) == (201, None)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"slug": "x"}, "Tag name is required"),
        ({"name": "", "slug": "x"}, "Tag name is required"),
        ({"name": "X"}, "Tag slug is required"),
        ({"name": "X", "slug": ""}, "Tag slug is required"),
        ({}, "Tag name is required"),  # name reported first
        ({"description": "only"}, "Tag name is required"),
        ({"name": 5, "slug": "x"}, "Tag name must be a string"),
        ({"name": "X", "slug": "x", "description": 5}, "Tag description must be a string or null"),
        ([], "The request body must be a JSON object."),
    ],
)
def test_create_tag_invalid_returns_400(
    world: World, acme: VendorClient, body: Any, error: str
) -> None:
    refused(world, lambda: acme.post("/tags", json=body), 400, error)


def test_create_tag_taken_slug_returns_409(world: World, acme: VendorClient) -> None:
    body = {"name": "Very Important", "slug": "vip"}
    refused(
        world, lambda: acme.post("/tags", json=body), 409, "A tag with this slug already exists"
    )


def test_create_tag_slug_of_another_account_is_free(acme: VendorClient) -> None:
    r = acme.post("/tags", json={"name": "Enterprise", "slug": "enterprise"})
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Has Space", "has-space"), ("Ñandú", "nandu"), ("Über_Größe!", "uber-grosse")],
)
def test_create_tag_slug_is_normalised_by_the_slug_rule(
    acme: VendorClient, given: str, stored: str
) -> None:
    r = acme.post("/tags", json={"name": "Normalised", "slug": given})
    assert (r.status_code, r.json()["data"]["slug"]) == (201, stored)
    assert tags_by_slug(acme)[stored]["id"] == r.json()["data"]["id"]


def test_create_tag_slug_that_normalises_to_a_taken_slug_returns_409(
    world: World, acme: VendorClient
) -> None:
    # "VIP" is the slug `vip` of the fixture's VIP tag once normalised.
    act = lambda: acme.post("/tags", json={"name": "Shouting VIP", "slug": "VIP"})  # noqa: E731
    refused(world, act, 409, "A tag with this slug already exists")


def test_create_tag_slug_without_letter_or_digit_returns_400(
    world: World, acme: VendorClient
) -> None:
    act = lambda: acme.post("/tags", json={"name": "Bangs", "slug": "!!!"})  # noqa: E731
    refused(world, act, 400, "Tag slug is required")


def test_sync_finds_a_tag_created_with_a_non_slug_slug(acme: VendorClient) -> None:
    created = acme.post("/tags", json={"name": "Has Space", "slug": "Has Space"}).json()["data"]
    r = sync(acme, {"lead_id": MARIA, "tags": ["Has Space"]})
    assert r.status_code == 200, r.text
    assert [t["id"] for t in r.json()["tags"]] == [created["id"]]
    assert list(tags_by_slug(acme)).count("has-space") == 1
    assert len(tags_by_slug(acme)) == 5


def test_sync_transliterates_names_as_create_does(acme: VendorClient) -> None:
    r = sync(acme, {"lead_id": MARIA, "tags": ["Ñandú", "Über"]})
    assert [t["slug"] for t in r.json()["tags"]] == ["nandu", "uber"]
    again = acme.post("/tags", json={"name": "Nandu", "slug": "nandu"})
    assert again.status_code == 409


# -- PUT /tags/{id} ---------------------------------------------------------------------------
def test_update_tag_changes_only_given_fields(acme: VendorClient) -> None:
    r = acme.put(f"/tags/{VIP}", json={"name": "VIP Customer"})
    assert r.status_code == 200
    tag = r.json()["data"]
    assert (tag["id"], tag["name"], tag["slug"]) == (VIP, "VIP Customer", "vip")
    assert tag["description"] == "High-value customers"
    assert tags_by_slug(acme)["vip"]["name"] == "VIP Customer"


def test_update_tag_slug_and_clear_description(acme: VendorClient) -> None:
    r = acme.put(f"/tags/{VIP}", json={"slug": "very-important", "description": None})
    assert r.status_code == 200
    assert (r.json()["data"]["slug"], r.json()["data"]["description"]) == ("very-important", None)
    assert "vip" not in tags_by_slug(acme)


def test_update_tag_keeps_its_own_slug(acme: VendorClient) -> None:
    assert acme.put(f"/tags/{VIP}", json={"slug": "vip"}).status_code == 200


def test_update_tag_slug_is_normalised_and_answered(acme: VendorClient) -> None:
    r = acme.put(f"/tags/{VIP}", json={"slug": "Very  Important!"})
    assert (r.status_code, r.json()["data"]["slug"]) == (200, "very-important")
    assert acme.put(f"/tags/{VIP}", json={"slug": "VIP"}).json()["data"]["slug"] == "vip"


def test_update_tag_slug_without_letter_or_digit_returns_400(
    world: World, acme: VendorClient
) -> None:
    act = lambda: acme.put(f"/tags/{VIP}", json={"slug": " - "})  # noqa: E731
    refused(world, act, 400, "Tag slug cannot be empty")


def test_update_tag_taken_slug_returns_409(world: World, acme: VendorClient) -> None:
    act = lambda: acme.put(f"/tags/{VIP}", json={"slug": "hot-lead"})  # noqa: E731
    refused(world, act, 409, "A tag with this slug already exists")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": ""}, "Tag name cannot be empty"),
        ({"slug": ""}, "Tag slug cannot be empty"),
        ({"slug": None}, "Tag slug must be a string"),
    ],
)
def test_update_tag_invalid_returns_400(
    world: World, acme: VendorClient, body: dict[str, Any], error: str
) -> None:
    refused(world, lambda: acme.put(f"/tags/{VIP}", json=body), 400, error)


@pytest.mark.parametrize("tag_id", [UNKNOWN, ENTERPRISE, "not-a-uuid"])
def test_update_tag_unknown_returns_404(world: World, acme: VendorClient, tag_id: str) -> None:
    refused(world, lambda: acme.put(f"/tags/{tag_id}", json={"name": "X"}), 404, "Tag not found")


# -- DELETE /tags/{id} ------------------------------------------------------------------------
def test_delete_tag_returns_success_and_removes_it_from_every_lead(acme: VendorClient) -> None:
    assert acme.post(f"/leads/{MARIA}/tags", json={"tagId": HOT}).status_code == 201
    r = acme.delete(f"/tags/{HOT}")
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert "hot-lead" not in tags_by_slug(acme)
    assert lead_tag_ids(acme, JOHN) == [VIP]
    assert lead_tag_ids(acme, MARIA) == []


def test_delete_tag_leaves_other_accounts_alone(acme: VendorClient, globex: VendorClient) -> None:
    assert acme.delete(f"/tags/{VIP}").status_code == 200
    assert lead_tag_ids(globex, HANK) == [GLOBEX_VIP, ENTERPRISE]


@pytest.mark.parametrize("tag_id", [UNKNOWN, GLOBEX_VIP, "not-a-uuid"])
def test_delete_tag_unknown_returns_404(world: World, acme: VendorClient, tag_id: str) -> None:
    refused(world, lambda: acme.delete(f"/tags/{tag_id}"), 404, "Tag not found")


# -- GET/POST /leads/{leadId}/tags ------------------------------------------------------------
def test_get_lead_tags_returns_id_name_slug(acme: VendorClient) -> None:
    r = acme.get(f"/leads/{JANE}/tags")
    assert r.status_code == 200
    assert r.json() == {
        "data": [
            {"id": FOLLOW_UP, "name": "Follow-up", "slug": "follow-up"},
            {"id": COLD, "name": "Cold Lead", "slug": "cold-lead"},
        ]
    }


@pytest.mark.parametrize("lead_id", [UNKNOWN, HANK, "not-a-uuid"])
def test_get_lead_tags_unknown_lead_returns_404(
    world: World, acme: VendorClient, lead_id: str
) -> None:
    refused(world, lambda: acme.get(f"/leads/{lead_id}/tags"), 404, "Lead not found")


def test_assign_lead_tags_tag_id_returns_201_with_the_lead_tags(acme: VendorClient) -> None:
    r = acme.post(f"/leads/{JANE}/tags", json={"tagId": VIP})
    assert r.status_code == 201
    assert [t["id"] for t in r.json()["data"]] == [FOLLOW_UP, COLD, VIP]
    assert lead_tag_ids(acme, JANE) == [FOLLOW_UP, COLD, VIP]


def test_assign_lead_tags_skips_already_assigned(acme: VendorClient) -> None:
    r = acme.post(f"/leads/{JANE}/tags", json={"tagIds": [COLD, HOT, FOLLOW_UP, HOT]})
    assert r.status_code == 201
    assert [t["id"] for t in r.json()["data"]] == [FOLLOW_UP, COLD, HOT]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "Provide either tagId or tagIds, not both"),
        ({"tagId": VIP, "tagIds": [HOT]}, "Provide either tagId or tagIds, not both"),
        ({"tagIds": []}, "tagIds must be a non-empty array of tag ids"),
        ({"tagId": "VIP"}, "tagId must be a tag id (UUID)"),
    ],
)
def test_assign_lead_tags_invalid_returns_400(
    world: World, acme: VendorClient, body: dict[str, Any], error: str
) -> None:
    refused(world, lambda: acme.post(f"/leads/{JANE}/tags", json=body), 400, error)


@pytest.mark.parametrize("tag_ids", [[UNKNOWN], [VIP, GLOBEX_VIP]])
def test_assign_lead_tags_unknown_tag_returns_404_and_assigns_nothing(
    world: World, acme: VendorClient, tag_ids: list[str]
) -> None:
    act = lambda: acme.post(f"/leads/{JANE}/tags", json={"tagIds": tag_ids})  # noqa: E731
    refused(world, act, 404, "Tag not found")


@pytest.mark.parametrize("lead_id", [UNKNOWN, HANK, "not-a-uuid"])
def test_assign_lead_tags_unknown_lead_returns_404(
    world: World, acme: VendorClient, lead_id: str
) -> None:
    act = lambda: acme.post(f"/leads/{lead_id}/tags", json={"tagId": VIP})  # noqa: E731
    refused(world, act, 404, "Lead not found")


# -- PUT /leads/tags: the sync ----------------------------------------------------------------
def test_sync_lead_tags_replaces_the_set_and_reports_added_and_removed(acme: VendorClient) -> None:
    r = sync(acme, {"lead_id": JOHN, "tags": ["Hot Lead", "Cold Lead"]})
    assert r.status_code == 200
    assert r.json() == {
        "success": True,
        "lead_id": JOHN,
        "tags": [
            {"id": HOT, "name": "Hot Lead", "slug": "hot-lead"},
            {"id": COLD, "name": "Cold Lead", "slug": "cold-lead"},
        ],
        "added": [COLD],
        "removed": [VIP],
    }
    assert lead_tag_ids(acme, JOHN) == [HOT, COLD]


def test_sync_lead_tags_unchanged_set_adds_and_removes_nothing(acme: VendorClient) -> None:
    r = sync(acme, {"lead_id": JOHN, "tags": ["VIP", "Hot Lead"]})
    assert (r.json()["added"], r.json()["removed"]) == ([], [])


def test_sync_lead_tags_empty_list_clears(acme: VendorClient) -> None:
    r = sync(acme, {"lead_id": JOHN, "tags": []})
    assert r.status_code == 200
    assert (r.json()["tags"], r.json()["added"], r.json()["removed"]) == ([], [], [VIP, HOT])
    assert lead_tag_ids(acme, JOHN) == []


def test_sync_lead_tags_creates_missing_tags_by_slug(acme: VendorClient) -> None:
    r = sync(acme, {"lead_id": MARIA, "tags": ["Big Deal"]})
    assert r.status_code == 200
    (tag,) = r.json()["tags"]
    assert (tag["name"], tag["slug"]) == ("Big Deal", "big-deal")
    assert r.json()["added"] == [tag["id"]]
    listed = tags_by_slug(acme)["big-deal"]
    assert (listed["id"], listed["name"], listed["description"]) == (tag["id"], "Big Deal", None)


def test_sync_lead_tags_slugifies_the_documented_examples(globex: VendorClient) -> None:
    # globex has "vip" but neither "follow-up" nor "hot-lead".
    r = sync(globex, {"lead_id": HANK, "tags": ["VIP", "Follow-up", "Hot Lead"]})
    assert [t["slug"] for t in r.json()["tags"]] == ["vip", "follow-up", "hot-lead"]
    assert r.json()["tags"][0]["id"] == GLOBEX_VIP


def test_sync_lead_tags_names_with_the_same_slug_are_one_tag(acme: VendorClient) -> None:
    r = sync(acme, {"lead_id": MARIA, "tags": ["Big Deal", "big deal", "BIG-DEAL!"]})
    assert [(t["name"], t["slug"]) for t in r.json()["tags"]] == [("Big Deal", "big-deal")]
    assert len(r.json()["added"]) == 1
    assert list(tags_by_slug(acme)).count("big-deal") == 1


def test_sync_lead_tags_existing_tag_keeps_its_name(acme: VendorClient) -> None:
    r = sync(acme, {"lead_id": MARIA, "tags": ["vip", "HOT LEAD"]})
    assert r.json()["tags"] == [
        {"id": VIP, "name": "VIP", "slug": "vip"},
        {"id": HOT, "name": "Hot Lead", "slug": "hot-lead"},
    ]
    assert len(tags_by_slug(acme)) == 4


def test_sync_lead_tags_lead_id_beats_email(acme: VendorClient) -> None:
    r = sync(acme, {"email": "jane@example.com", "lead_id": JOHN, "tags": []})
    assert r.json()["lead_id"] == JOHN
    assert lead_tag_ids(acme, JANE) == [FOLLOW_UP, COLD]


def test_sync_lead_tags_lead_id_beats_email_without_fallback(
    world: World, acme: VendorClient
) -> None:
    body = {"lead_id": UNKNOWN, "email": "jane@example.com", "tags": []}
    refused(world, lambda: sync(acme, body), 404, "Lead not found")


@pytest.mark.parametrize("email", ["maria.garcia@example.com", "MARIA.GARCIA@EXAMPLE.COM"])
def test_sync_lead_tags_email_is_case_insensitive(acme: VendorClient, email: str) -> None:
    r = sync(acme, {"email": email, "tags": ["VIP"]})
    assert (r.status_code, r.json()["lead_id"]) == (200, MARIA)


def test_sync_lead_tags_finds_fields_nested_anywhere(acme: VendorClient) -> None:
    # The spec's "nested" example.
    body = {
        "event": "lead.updated",
        "payload": {"lead": {"email": "JANE@example.com", "tags": ["VIP"]}},
    }
    r = sync(acme, body)
    assert r.status_code == 200
    assert (r.json()["lead_id"], r.json()["added"]) == (JANE, [VIP])


def test_sync_lead_tags_finds_fields_inside_arrays(acme: VendorClient) -> None:
    r = sync(acme, {"items": [{"lead": {"lead_id": JOHN}}, {"tags": []}]})
    assert (r.status_code, r.json()["lead_id"], r.json()["tags"]) == (200, JOHN, [])


def test_sync_lead_tags_shallowest_occurrence_wins(acme: VendorClient) -> None:
    body = {
        "a": {"b": {"lead_id": JANE, "tags": ["Cold Lead"]}},
        "c": {"lead_id": JOHN},
        "tags": ["VIP"],
    }
    r = sync(acme, body)
    assert (r.json()["lead_id"], [t["id"] for t in r.json()["tags"]]) == (JOHN, [VIP])


def test_sync_lead_tags_same_depth_goes_to_document_order(acme: VendorClient) -> None:
    body = {"x": {"lead_id": MARIA}, "y": {"lead_id": JANE}, "tags": []}
    assert sync(acme, body).json()["lead_id"] == MARIA


def test_sync_lead_tags_null_counts_as_absent(acme: VendorClient) -> None:
    body: dict[str, Any] = {"lead_id": None, "lead": {"email": "jane@example.com"}, "tags": []}
    assert sync(acme, body).json()["lead_id"] == JANE


def test_sync_lead_tags_finds_a_field_at_the_depth_limit(acme: VendorClient) -> None:
    # Root object = level 1; the object holding lead_id is level DEPTH, the deepest allowed.
    body = {"tags": ["VIP"], **nest({"lead_id": MARIA}, DEPTH - 1)}
    r = sync(acme, body)
    assert (r.status_code, r.json()["lead_id"]) == (200, MARIA)


def test_sync_lead_tags_body_deeper_than_the_limit_returns_400(
    world: World, acme: VendorClient
) -> None:
    body = {"tags": ["VIP"], **nest({"lead_id": MARIA}, DEPTH)}
    error = f"The JSON body is nested deeper than {DEPTH} levels."
    refused(world, lambda: sync(acme, body), 400, error)


def test_sync_lead_tags_hostile_10000_level_body_returns_400(
    world: World, acme: VendorClient
) -> None:
    body = b'{"tags": [], "n": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    headers = {"Content-Type": "application/json"}
    act = lambda: acme.put("/leads/tags", content=body, headers=headers)  # noqa: E731
    refused(world, act, 400, f"The JSON body is nested deeper than {DEPTH} levels.")


@pytest.mark.parametrize(
    "body",
    [
        {"lead_id": JANE},
        {"lead_id": JANE, "tags": None},
        {"lead_id": JANE, "tags": "VIP"},
        {"lead_id": JANE, "tags": {"name": "VIP"}},
        {"lead_id": JANE, "tags": ["VIP", 1]},
        {"lead_id": JANE, "tags": [None]},
        {"lead_id": JANE, "tags": [["VIP"]]},
    ],
)
def test_sync_lead_tags_tags_not_an_array_of_strings_returns_400(
    world: World, acme: VendorClient, body: dict[str, Any]
) -> None:
    refused(world, lambda: sync(acme, body), 400, "tags must be an array of strings")


@pytest.mark.parametrize(
    "body", [{"tags": ["VIP"]}, {"lead_id": None, "email": None, "tags": []}, {"tags": []}]
)
def test_sync_lead_tags_neither_lead_id_nor_email_returns_400(
    world: World, acme: VendorClient, body: dict[str, Any]
) -> None:
    refused(world, lambda: sync(acme, body), 400, "lead_id or email is required")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"lead_id": "not-a-uuid", "tags": []}, "lead_id must be a UUID"),
        ({"n": {"lead_id": "not-a-uuid", "tags": []}}, "lead_id must be a UUID"),
        ({"email": "no-at-sign", "tags": []}, "email must be a valid email address"),
        ({"n": [{"email": "no-at-sign"}], "tags": []}, "email must be a valid email address"),
        ({"lead_id": JANE, "tags": 5, "email": 7}, "tags must be an array of strings"),
    ],
)
def test_sync_lead_tags_fields_typed_as_the_docs_do_top_level_or_nested(
    world: World, acme: VendorClient, body: dict[str, Any], error: str
) -> None:
    refused(world, lambda: sync(acme, body), 400, error)


def test_sync_lead_tags_schema_valid_top_level_fields_are_accepted(acme: VendorClient) -> None:
    body = {"lead_id": JANE.upper(), "email": None, "tags": ["VIP"], "extra": {"any": [1]}}
    r = sync(acme, body)
    assert r.status_code == 200, r.text
    assert [t["slug"] for t in r.json()["tags"]] == ["vip"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"lead_id": 42, "tags": []}, "lead_id must be a string"),
        ({"email": {"address": "jane@example.com"}, "tags": []}, "email must be a string"),
    ],
)
def test_sync_lead_tags_lead_id_or_email_not_a_string_returns_400(
    world: World, acme: VendorClient, body: dict[str, Any], error: str
) -> None:
    refused(world, lambda: sync(acme, body), 400, error)


@pytest.mark.parametrize(
    "body",
    [
        {"lead_id": UNKNOWN, "tags": ["Brand New"]},
        {"email": "nobody@example.com", "tags": ["Brand New"]},
        {"payload": {"lead_id": UNKNOWN, "tags": ["Brand New"]}},
    ],
)
def test_sync_lead_tags_unknown_lead_returns_404(
    world: World, acme: VendorClient, body: dict[str, Any]
) -> None:
    refused(world, lambda: sync(acme, body), 404, "Lead not found")


@pytest.mark.parametrize(
    "body",
    [
        {"lead_id": HANK, "tags": ["Brand New"]},
        {"email": "hank@globex.example", "tags": ["Brand New"]},
    ],
)
def test_sync_lead_tags_other_account_lead_returns_404(
    world: World, acme: VendorClient, body: dict[str, Any]
) -> None:
    refused(world, lambda: sync(acme, body), 404, "Lead not found")


def test_sync_lead_tags_bad_item_creates_no_tag(world: World, acme: VendorClient) -> None:
    body = {"lead_id": JANE, "tags": ["Brand New", "Another", "!!!"]}
    refused(world, lambda: sync(acme, body), 400, 'Tag name "!!!" must contain a letter or digit')
    assert "brand-new" not in tags_by_slug(acme)


def test_sync_lead_tags_body_not_an_object_returns_400(world: World, acme: VendorClient) -> None:
    body = [{"lead_id": JANE, "tags": []}]
    refused(world, lambda: sync(acme, body), 400, "The request body must be a JSON object.")


def test_sync_lead_tags_empty_body_returns_400(world: World, acme: VendorClient) -> None:
    # The spec requires a body: its absence is refused before any field is looked for.
    act = lambda: acme.put("/leads/tags", headers={"Content-Type": "application/json"})  # noqa: E731
    refused(world, act, 400, "Request body is required")


# -- POST /leads, GET /leads/{id} -------------------------------------------------------------
def test_create_leads_single_returns_201_with_the_lead(acme: VendorClient) -> None:
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "phone": "+14155550100",
        "plan": "pro",
        "metadata": {"seats": 3},
    }
    r = acme.post("/leads", json=body)
    assert r.status_code == 201
    out = r.json()
    assert out["success"] is True
    lead = out["lead"]
    assert UUID.match(lead["id"]) and RFC3339_UTC.match(lead["created_at"])
    assert {k: v for k, v in lead.items() if k not in {"id", "created_at"}} == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "phone": "+14155550100",
        "source": "api",
        "company": None,
        "title": None,
        "metadata": {"plan": "pro", "seats": 3},  # unknown keys go into metadata
    }
    got = acme.get(f"/leads/{lead['id']}")
    assert (got.status_code, got.json()["lead"]["tags"]) == (200, [])


def test_create_leads_explicit_metadata_wins_on_conflicts(acme: VendorClient) -> None:
    body = {"first_name": "Ada", "plan": "pro", "metadata": {"plan": "enterprise"}}
    assert acme.post("/leads", json=body).json()["lead"]["metadata"] == {"plan": "enterprise"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"last_name": "Nameless"}, "first_name is required"),
        ({"first_name": ""}, "first_name is required"),
        ({"first_name": "A", "email": "not-an-email"}, "email must be a valid email address"),
        ({"first_name": "A", "force_first_message": True}, "force_first_message requires"),
        ({"first_name": "A", "metadata": {"x": [1]}}, "metadata values must be strings"),
        (5, "Request body must be a lead object or an array of 1 to 1,000 leads"),
        ([], "Request body must be a lead object or an array of 1 to 1,000 leads"),
    ],
)
def test_create_leads_invalid_returns_400_and_creates_nothing(
    world: World, acme: VendorClient, body: Any, error: str
) -> None:
    before = world.snapshot()
    r = acme.post("/leads", json=body)
    assert r.status_code == 400
    assert r.json()["error"].startswith(error)
    assert world.snapshot() == before


def test_create_leads_bulk_partial_success_returns_200(acme: VendorClient) -> None:
    body = [
        {"first_name": "Ada", "email": "ada@example.org"},
        {"last_name": "Nameless"},
        {"first_name": "Bo"},
    ]
    r = acme.post("/leads", json=body)
    assert r.status_code == 200
    out = r.json()
    assert (out["success"], out["created"], out["failed"]) == (True, 2, 1)
    assert [lead["first_name"] for lead in out["leads"]] == ["Ada", "Bo"]
    assert out["errors"] == [{"index": 1, "error": "first_name is required"}]
    for lead in out["leads"]:
        assert acme.get(f"/leads/{lead['id']}").status_code == 200


def test_create_leads_bulk_of_1000_is_accepted(acme: VendorClient) -> None:
    r = acme.post("/leads", json=[{"first_name": "L"}] * 1000)
    assert (r.status_code, r.json()["created"]) == (200, 1000)


def test_create_leads_bulk_over_1000_returns_400(world: World, acme: VendorClient) -> None:
    act = lambda: acme.post("/leads", json=[{"first_name": "L"}] * 1001)  # noqa: E731
    refused(world, act, 400, "Request body must be a lead object or an array of 1 to 1,000 leads")


def test_created_lead_can_be_synced_by_email(acme: VendorClient) -> None:
    created = acme.post("/leads", json={"first_name": "Zed", "email": "Zed@Example.org"}).json()
    r = sync(acme, {"email": "zed@example.org", "tags": ["VIP"]})
    assert (r.json()["lead_id"], r.json()["added"]) == (created["lead"]["id"], [VIP])


def test_get_lead_returns_the_lead_with_its_tags(acme: VendorClient) -> None:
    r = acme.get(f"/leads/{JANE}")
    assert r.status_code == 200
    out = r.json()
    assert (out["success"], out["variables"]) == (True, {})
    lead = out["lead"]
    assert (lead["id"], lead["first_name"], lead["email"]) == (JANE, "Jane", "jane@example.com")
    assert lead["tags"] == [
        {"id": FOLLOW_UP, "name": "Follow-up", "slug": "follow-up"},
        {"id": COLD, "name": "Cold Lead", "slug": "cold-lead"},
    ]
    assert (lead["campaign"], lead["active_workflow_run"]) == (None, None)


def test_get_lead_shows_tags_after_a_sync(acme: VendorClient) -> None:
    sync(acme, {"lead_id": JANE, "tags": ["Hot Lead"]})
    assert [t["id"] for t in acme.get(f"/leads/{JANE}").json()["lead"]["tags"]] == [HOT]


@pytest.mark.parametrize("lead_id", [UNKNOWN, HANK, "not-a-uuid"])
def test_get_lead_unknown_returns_404(world: World, acme: VendorClient, lead_id: str) -> None:
    refused(world, lambda: acme.get(f"/leads/{lead_id}"), 404, "Lead not found")


# -- tenant isolation -------------------------------------------------------------------------
def test_tenant_isolation_sync_in_one_account_leaves_the_other_alone(
    acme: VendorClient, globex: VendorClient
) -> None:
    before = tags_by_slug(globex)
    assert sync(acme, {"lead_id": JANE, "tags": ["Enterprise", "New Acme Tag"]}).status_code == 200
    assert tags_by_slug(globex) == before
    assert "new-acme-tag" not in tags_by_slug(globex)
    # acme got its own "enterprise", not globex's.
    assert tags_by_slug(acme)["enterprise"]["id"] != ENTERPRISE


def test_tenant_isolation_other_account_objects_are_not_found(
    world: World, globex: VendorClient
) -> None:
    refused(world, lambda: globex.get(f"/leads/{JANE}"), 404, "Lead not found")
    refused(world, lambda: globex.put(f"/tags/{VIP}", json={"name": "X"}), 404, "Tag not found")
    refused(world, lambda: globex.delete(f"/tags/{VIP}"), 404, "Tag not found")
    act = lambda: globex.post(f"/leads/{HANK}/tags", json={"tagId": VIP})  # noqa: E731
    refused(world, act, 404, "Tag not found")
    refused(
        world,
        lambda: sync(globex, {"email": "jane@example.com", "tags": []}),
        404,
        "Lead not found",
    )


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/tags"), ("PUT", "/leads/tags"), ("POST", "/leads")]
)
def test_malformed_json_returns_400(
    world: World, acme: VendorClient, method: str, path: str
) -> None:
    headers = {"Content-Type": "application/json"}
    act = lambda: acme.request(method, path, content=b'{"tags": [', headers=headers)  # noqa: E731
    refused(world, act, 400, "The request body is not valid JSON.")


def test_non_json_constant_returns_400(world: World, acme: VendorClient) -> None:
    headers = {"Content-Type": "application/json"}
    body = b'{"lead_id": "' + JANE.encode() + b'", "tags": [NaN]}'
    act = lambda: acme.put("/leads/tags", content=body, headers=headers)  # noqa: E731
    refused(world, act, 400, "The request body is not valid JSON.")


def test_body_not_utf8_returns_400(world: World, acme: VendorClient) -> None:
    headers = {"Content-Type": "application/json"}
    act = lambda: acme.post("/tags", content=b'{"name": "\xff", "slug": "x"}', headers=headers)  # noqa: E731
    refused(world, act, 400, "The request body is not valid UTF-8.")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_returns_415(
    world: World, acme: VendorClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"lead_id": JANE, "tags": []}).encode()
    act = lambda: acme.put("/leads/tags", content=body, headers=headers)  # noqa: E731
    refused(world, act, 415, "Content-Type must be application/json")


def test_json_content_type_with_charset_is_accepted(acme: VendorClient) -> None:
    body = json.dumps({"lead_id": JANE, "tags": []}).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    assert acme.put("/leads/tags", content=body, headers=headers).status_code == 200


def padded_tag(size: int) -> bytes:
    """A valid POST /tags body of exactly `size` bytes."""
    base = json.dumps({"name": "Pad", "slug": "pad", "description": ""}).encode()
    return base[:-2] + b"x" * (size - len(base)) + base[-2:]


def test_body_at_the_limit_is_accepted(acme: VendorClient) -> None:
    body = padded_tag(LIMIT)
    assert len(body) == LIMIT
    r = acme.post("/tags", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201


def test_body_over_the_limit_returns_413(world: World, acme: VendorClient) -> None:
    body = padded_tag(LIMIT + 1)
    act = lambda: acme.post("/tags", content=body, headers={"Content-Type": "application/json"})  # noqa: E731
    refused(world, act, 413, "Request body too large")


def test_chunked_body_over_the_limit_returns_413(world: World, acme: VendorClient) -> None:
    def chunks() -> Iterator[bytes]:
        body = padded_tag(2 * LIMIT)
        yield from (body[i : i + 4096] for i in range(0, len(body), 4096))

    headers = {"Content-Type": "application/json"}
    act = lambda: acme.post("/tags", content=chunks(), headers=headers)  # noqa: E731
    refused(world, act, 413, "Request body too large")


@pytest.mark.parametrize("path", ["/nope", "/tags/extra/segments", "/leads/tags/more", "/"])
def test_unknown_route_returns_404(world: World, acme: VendorClient, path: str) -> None:
    refused(world, lambda: acme.get(path), 404, "Not found")


def test_unknown_route_with_line_break_returns_404(world: World, acme: VendorClient) -> None:
    refused(world, lambda: acme.get("/tags%0A"), 404, "Not found")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/leads/tags", "PUT"),
        ("PATCH", "/tags", "GET, POST"),
        ("GET", f"/tags/{VIP}", "DELETE, PUT"),
        ("PUT", f"/leads/{JANE}", "GET"),
        ("DELETE", f"/leads/{JANE}/tags", "GET, POST"),
        ("GET", "/leads", "POST"),
    ],
)
def test_unsupported_method_returns_405_with_allow(
    world: World, acme: VendorClient, method: str, path: str, allow: str
) -> None:
    r = refused(world, lambda: acme.request(method, path), 405, "Method not allowed")
    assert r.headers["allow"] == allow


# -- throttling and server faults (injected) --------------------------------------------------
def test_injected_rate_limit_returns_429_with_retry_after(world: World, acme: VendorClient) -> None:
    headers = {"X-Tagfake-Fault": "rate_limit; retry_after=7"}
    body = {"lead_id": JANE, "tags": []}
    act = lambda: acme.put("/leads/tags", json=body, headers=headers)  # noqa: E731
    r = refused(world, act, 429, "Too many requests")
    assert r.headers["retry-after"] == "7"


def test_injected_server_fault_returns_500_in_nexor_envelope(
    world: World, acme: VendorClient
) -> None:
    headers = {"X-Tagfake-Fault": "status=500"}
    body = {"lead_id": JANE, "tags": ["Brand New"]}
    act = lambda: acme.put("/leads/tags", json=body, headers=headers)  # noqa: E731
    refused(world, act, 500, "Internal server error")


def test_a_concrete_path_wins_over_a_templated_one(world: World, acme: VendorClient) -> None:
    # /leads/tags is a path of its own (PUT only), not /leads/{id} with the id "tags".
    before = world.snapshot()
    r = acme.get("/leads/tags")
    assert (r.status_code, r.headers["allow"]) == (405, "PUT")
    assert r.json() == {"error": "Method not allowed"}
    assert world.snapshot() == before
