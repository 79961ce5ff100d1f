"""CommBox through the app: every rule of the commbox section of vendor-behaviour.md, the error
envelope for each failure, tenant isolation, and bad input answered as CommBox's 400/404/501."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from tagfake.app import create_app, runtime_of
from tagfake.settings import Settings
from tests.conftest import VendorClient, World

LIMIT = 2048
SUCCESS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
ERROR_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
}
TAG_FIELDS = {"id", "name", "type", "groupId", "isObject", "isUser", "isChild"}
FROZEN = datetime(2025, 8, 6, 7, 51, 52, 258194, tzinfo=UTC)


@pytest.fixture
def settings() -> Settings:
    # CommBox alone (the other vendors' packages are not needed) and a small body limit.
    return Settings(validation="enforce", seed=1, vendors=("commbox",), max_body_bytes=LIMIT)


@pytest.fixture
def acme(world: World) -> VendorClient:
    return world.client("commbox", "acme")


@pytest.fixture
def globex(world: World) -> VendorClient:
    return world.client("commbox", "globex")


# -- helpers ------------------------------------------------------------------------------------
def assert_ok(response: Any) -> Any:
    """The success envelope; returns `data`."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"status", "description", "response_time", "data"}
    assert body["status"] == "200"
    assert body["description"] == "Operation successful"
    assert SUCCESS_TIME.match(body["response_time"]), body["response_time"]
    return body["data"]


def assert_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"status", "description", "response_time"}
    assert body["status"] == status
    assert isinstance(body["status"], int)
    assert body["description"] == DESCRIPTIONS[status]
    assert ERROR_TIME.match(body["response_time"]), body["response_time"]


def tags(client: VendorClient) -> dict[int, dict[str, Any]]:
    return {t["id"]: t for t in assert_ok(client.get("/tags"))}


def groups(client: VendorClient) -> dict[int, dict[str, Any]]:
    return {g["id"]: g for g in assert_ok(client.get("/tags/groups"))}


def create_tag(client: VendorClient, **data: Any) -> int:
    created = assert_ok(client.post("/tags", json={"data": data}))
    assert set(created) == {"id"}
    assert isinstance(created["id"], str) and created["id"].isdigit()
    return int(created["id"])


def object_tags(world: World, stream: int, obj: int, tenant: str = "acme") -> list[int]:
    result: list[int] = world.runtime.backends["commbox"].object_tags(tenant, stream, obj)
    return result


def object_path(stream: int, obj: int, tag: int) -> str:
    return f"/streams/{stream}/objects/{obj}/tags/{tag}"


# -- prefix and auth ----------------------------------------------------------------------------
def test_get_tags_is_served_under_the_commbox_prefix_with_bearer_auth(acme: VendorClient) -> None:
    response = acme.get("/tags")
    assert response.headers["content-type"].startswith("application/json")
    assert 40 in {t["id"] for t in assert_ok(response)}


def test_single_vendor_mode_serves_tags_at_the_root() -> None:
    app = create_app(Settings(vendors=("commbox",), single_vendor=True, validation="enforce"))
    with TestClient(app, raise_server_exceptions=False) as http:
        headers = {"Authorization": "Bearer commbox-acme-token"}
        response = http.get("/tags", headers=headers)
        assert "x-tagfake-violations" not in response.headers
        assert 40 in {t["id"] for t in assert_ok(response)}
        assert_ok(http.post(object_path(17566, 372235, 2789), headers=headers))
        prefixed = http.get("/commbox/tags", headers=headers)
        assert_error(prefixed, 404)
        assert_error(http.get("/tags"), 401)


def test_second_key_of_a_tenant_reaches_the_same_account(world: World) -> None:
    rotated = world.anonymous("commbox", {"Authorization": "Bearer commbox-acme-token-2"})
    assert tags(rotated) == tags(world.client("commbox", "acme"))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer "},
        {"Authorization": "commbox-acme-token"},
        {"Authorization": "Basic commbox-acme-token"},
        {"Authorization": "Bearer commbox-globex-token-x"},
        # another vendor's credential is not a CommBox key
        {"Authorization": "Bearer 1|acmeUserToken7Qv2Lk9pXw3Rt5Ny8Bd4Hs6Jm1Fc0"},
    ],
)
def test_missing_or_wrong_credentials_return_401(world: World, headers: dict[str, str]) -> None:
    client = world.anonymous("commbox", headers)
    assert_error(client.get("/tags"), 401)
    assert_error(client.get("/tags/groups"), 401)


def test_missing_credentials_change_nothing(world: World) -> None:
    client = world.anonymous("commbox")
    before = world.snapshot()
    assert_error(client.post("/tags", json={"data": {"Name": "x"}}), 401)
    assert_error(client.delete("/tags/40"), 401)
    assert_error(client.delete("/tags/groups/101"), 401)
    assert_error(client.post(object_path(17566, 372241, 40)), 401)
    assert world.snapshot() == before


# -- envelope -----------------------------------------------------------------------------------
def test_success_envelope_has_string_status_and_seven_fractional_digits(
    world: World, acme: VendorClient
) -> None:
    world.runtime.clock.freeze(FROZEN)
    body = acme.get("/tags/groups").json()
    assert body["status"] == "200"
    assert body["description"] == "Operation successful"
    assert body["response_time"] == "2025-08-06T07:51:52.2581940Z"


def test_error_envelope_has_integer_status_and_millisecond_time(
    world: World, acme: VendorClient
) -> None:
    world.runtime.clock.freeze(FROZEN)
    response = acme.delete("/tags/999999")
    assert response.json() == {
        "status": 404,
        "description": "Not Found",
        "response_time": "2025-08-06T07:51:52.258Z",
    }


def test_injected_server_fault_answers_500_in_the_envelope_and_changes_nothing(
    world: World, acme: VendorClient
) -> None:
    before = world.snapshot()
    response = acme.post(
        "/tags", json={"data": {"Name": "x"}}, headers={"X-Tagfake-Fault": "status=500"}
    )
    assert_error(response, 500)
    assert world.snapshot() == before


def test_injected_throttle_answers_429_with_retry_after(acme: VendorClient) -> None:
    response = acme.get("/tags", headers={"X-Tagfake-Fault": "rate_limit"})
    assert_error(response, 429)
    assert int(response.headers["retry-after"]) >= 1


def test_throttling_is_off_by_default(acme: VendorClient) -> None:
    for _ in range(120):
        assert acme.get("/tags/groups").status_code == 200


def test_rate_limit_mode_throttles_a_key_after_100_requests_a_minute(settings: Settings) -> None:
    app = create_app(settings.replace(rate_limits=True))
    runtime_of(app).clock.freeze(FROZEN)
    acme = {"Authorization": "Bearer commbox-acme-token"}
    globex = {"Authorization": "Bearer commbox-globex-token"}
    with TestClient(app, raise_server_exceptions=False) as http:
        for _ in range(100):
            assert http.get("/commbox/tags/groups", headers=acme).status_code == 200
        throttled = http.get("/commbox/tags/groups", headers=acme)
        assert_error(throttled, 429)
        assert throttled.headers["retry-after"] == "60"
        # per key: another account is not throttled
        assert http.get("/commbox/tags/groups", headers=globex).status_code == 200
        runtime_of(app).clock.advance(60)
        assert http.get("/commbox/tags/groups", headers=acme).status_code == 200


# -- unsupported methods and unknown routes -----------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/tags"),
        ("PATCH", "/tags"),
        ("DELETE", "/tags"),
        ("GET", "/tags/40"),
        ("PUT", "/tags/40"),
        ("PATCH", "/tags/40"),
        ("DELETE", "/tags/groups"),
        ("PUT", "/tags/groups"),
        ("GET", "/tags/groups/101"),
        ("GET", object_path(17566, 372235, 40)),
        ("PUT", object_path(17566, 372235, 40)),
    ],
)
def test_unsupported_method_returns_501_not_405(
    world: World, acme: VendorClient, method: str, path: str
) -> None:
    before = world.snapshot()
    response = acme.request(method, path)
    assert_error(response, 501)
    assert "allow" not in response.headers
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/",
        "/tag",
        "/tags/40/extra",
        "/streams/17566/objects/372235/tags",
        "/streams/17566/objects/372235",
    ],
)
def test_unknown_route_under_commbox_returns_404(acme: VendorClient, path: str) -> None:
    assert_error(acme.get(path), 404)
    assert_error(acme.post(path, json={"data": {"Name": "x"}}), 404)


def test_unknown_route_is_404_even_without_credentials(world: World) -> None:
    assert_error(world.anonymous("commbox").get("/nope"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/tags/abc"),
        ("POST", "/tags/4.0"),
        ("DELETE", "/tags/groups/x1"),
        ("POST", "/streams/hNyRN_fLUy7rrOrN9jLpipA%3d%3d/objects/372235/tags/40"),
        ("POST", "/streams/17566/objects/abc/tags/40"),
        ("DELETE", "/streams/17566/objects/372235/tags/-"),
    ],
)
def test_path_id_that_is_not_an_integer_returns_404(
    world: World, acme: VendorClient, method: str, path: str
) -> None:
    before = world.snapshot()
    assert_error(acme.request(method, path, json={"data": {"Name": "x"}}), 404)
    assert world.snapshot() == before


# -- POST /tags ---------------------------------------------------------------------------------
def test_create_tag_returns_the_new_id_as_a_string(acme: VendorClient) -> None:
    response = acme.post("/tags", json={"data": {"Name": "Fresh"}})
    assert assert_ok(response) == {"id": "3005"}


def test_create_tag_applies_defaults_type_1_free_standing_object_tag(acme: VendorClient) -> None:
    new_id = create_tag(acme, Name="Fresh")
    assert tags(acme)[new_id] == {
        "id": new_id,
        "name": "Fresh",
        "type": 1,
        "groupId": 0,
        "isObject": True,
        "isUser": False,
        "isChild": False,
    }


def test_create_tag_keeps_type_group_and_flags(acme: VendorClient) -> None:
    new_id = create_tag(
        acme,
        Name="Escalate",
        Type=102,
        TagGroupId=102,
        ObjectTag=False,
        UserTag=True,
        ChildTag=True,
    )
    assert tags(acme)[new_id] == {
        "id": new_id,
        "name": "Escalate",
        "type": 102,
        "groupId": 102,
        "isObject": False,
        "isUser": True,
        "isChild": True,
    }


def test_create_tag_group_zero_is_free_standing(acme: VendorClient) -> None:
    new_id = create_tag(acme, Name="Loose", TagGroupId=0)
    assert tags(acme)[new_id]["groupId"] == 0


@pytest.mark.parametrize("tag_type", [1, 2, 3, 4, 5, 100, 101, 102, 103])
def test_create_tag_accepts_every_tags_type(acme: VendorClient, tag_type: int) -> None:
    new_id = create_tag(acme, Name="t", Type=tag_type)
    assert tags(acme)[new_id]["type"] == tag_type


def test_create_tag_names_need_not_be_unique(acme: VendorClient) -> None:
    new_id = create_tag(acme, Name="VIP")
    assert [t["name"] for t in tags(acme).values()].count("VIP") == 2
    assert new_id != 40


def test_create_tag_ids_keep_increasing(acme: VendorClient, globex: VendorClient) -> None:
    first = create_tag(acme, Name="a")
    second = create_tag(globex, Name="b")
    assert second == first + 1


@pytest.mark.parametrize(
    "body",
    [
        {"data": {}},
        {"data": {"Name": ""}},
        {"data": {"Name": "   "}},
        {"data": {"Name": None}},
        {"data": {"Name": 7}},
        {"data": {"Type": 3}},
        {"Name": "not wrapped in data"},
        {"data": "Name"},
        {"data": None},
        {},
    ],
)
def test_create_tag_without_a_name_returns_400_and_changes_nothing(
    world: World, acme: VendorClient, body: dict[str, Any]
) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags", json=body), 400)
    assert world.snapshot() == before


@pytest.mark.parametrize("bad", [0, 6, 99, 104, -1, "3", 3.5, True, None])
def test_create_tag_unknown_type_returns_400_and_changes_nothing(
    world: World, acme: VendorClient, bad: Any
) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags", json={"data": {"Name": "x", "Type": bad}}), 400)
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        {"TagGroupId": "101"},
        {"TagGroupId": None},
        {"TagGroupId": 1.5},
        {"ObjectTag": "true"},
        {"UserTag": 0},
        {"ChildTag": None},
    ],
)
def test_create_tag_wrong_field_types_return_400(
    world: World, acme: VendorClient, data: dict[str, Any]
) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags", json={"data": {"Name": "x", **data}}), 400)
    assert world.snapshot() == before


@pytest.mark.parametrize("group", [999, 201, -5])
def test_create_tag_unknown_or_foreign_group_returns_404_and_changes_nothing(
    world: World, acme: VendorClient, group: int
) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags", json={"data": {"Name": "x", "TagGroupId": group}}), 404)
    assert world.snapshot() == before


def test_create_tag_rejected_request_does_not_use_up_an_id(acme: VendorClient) -> None:
    assert_error(acme.post("/tags", json={"data": {"Name": "x", "TagGroupId": 999}}), 404)
    assert_error(acme.post("/tags", json={"data": {"Name": ""}}), 400)
    assert create_tag(acme, Name="ok") == 3005


def test_create_tag_in_a_group_shows_the_group(acme: VendorClient) -> None:
    new_id = create_tag(acme, Name="Upsell", TagGroupId=101)
    assert tags(acme)[new_id]["groupId"] == 101


def test_create_tag_accepts_the_spellings_with_spaces_as_update_does(acme: VendorClient) -> None:
    data = {"Name": "Spaced", "Tag Group Id": 101, "Object Tag": False, "User Tag": True}
    new_id = create_tag(acme, **data, **{"Child Tag": True})
    assert tags(acme)[new_id] == {
        "id": new_id,
        "name": "Spaced",
        "type": 1,
        "groupId": 101,
        "isObject": False,
        "isUser": True,
        "isChild": True,
    }


def test_create_tag_spelling_with_spaces_is_checked_like_the_other(acme: VendorClient) -> None:
    assert_error(acme.post("/tags", json={"data": {"Name": "x", "Tag Group Id": 999}}), 404)
    assert_error(acme.post("/tags", json={"data": {"Name": "x", "Object Tag": "yes"}}), 400)


@pytest.mark.parametrize(
    ("field", "legacy", "value"),
    [
        ("TagGroupId", "Tag Group Id", 101),
        ("ObjectTag", "Object Tag", True),
        ("UserTag", "User Tag", False),
        ("ChildTag", "Child Tag", False),
    ],
)
@pytest.mark.parametrize("path", ["/tags", "/tags/2789"])
def test_both_spellings_of_one_field_return_400_and_change_nothing(
    world: World, acme: VendorClient, path: str, field: str, legacy: str, value: Any
) -> None:
    before = world.snapshot()
    body = {"data": {"Name": "Twice", field: value, legacy: value}}
    assert_error(acme.post(path, json=body), 400)
    assert world.snapshot() == before


# -- GET /tags ----------------------------------------------------------------------------------
def test_get_tags_lists_items_with_id_name_type_group_and_flags(acme: VendorClient) -> None:
    listed = assert_ok(acme.get("/tags"))
    assert [t["id"] for t in listed] == [40, 2789, 2790, 2791, 2792]
    assert all(set(t) == TAG_FIELDS for t in listed)
    assert listed[1] == {
        "id": 2789,
        "name": "Hot lead",
        "type": 1,
        "groupId": 101,
        "isObject": True,
        "isUser": True,
        "isChild": False,
    }


def test_get_tags_lists_only_the_accounts_tags(acme: VendorClient, globex: VendorClient) -> None:
    new_id = create_tag(acme, Name="acme only")
    assert new_id in tags(acme)
    assert set(tags(globex)) == {3001, 3002, 3003, 3004}


# -- POST /tags/{TAG_ID} ------------------------------------------------------------------------
def test_update_tag_renames_and_answers_null_id(acme: VendorClient) -> None:
    assert assert_ok(acme.post("/tags/40", json={"data": {"Name": "Very VIP"}})) == {"id": None}
    assert tags(acme)[40] == {
        "id": 40,
        "name": "Very VIP",
        "type": 1,
        "groupId": 0,
        "isObject": True,
        "isUser": False,
        "isChild": False,
    }


@pytest.mark.parametrize("field", ["TagGroupId", "Tag Group Id"])
def test_update_tag_moves_it_into_a_group_under_either_spelling(
    acme: VendorClient, field: str
) -> None:
    assert assert_ok(acme.post("/tags/40", json={"data": {field: 102}})) == {"id": None}
    assert tags(acme)[40]["groupId"] == 102
    assert tags(acme)[40]["name"] == "VIP"


@pytest.mark.parametrize("field", ["TagGroupId", "Tag Group Id"])
def test_update_tag_group_zero_makes_it_free_standing(acme: VendorClient, field: str) -> None:
    assert_ok(acme.post("/tags/2789", json={"data": {field: 0}}))
    assert tags(acme)[2789]["groupId"] == 0


def test_update_tag_name_and_group_together(acme: VendorClient) -> None:
    assert_ok(acme.post("/tags/2789", json={"data": {"Name": "Warm", "Tag Group Id": 102}}))
    assert (tags(acme)[2789]["name"], tags(acme)[2789]["groupId"]) == ("Warm", 102)


@pytest.mark.parametrize(
    "body",
    [
        {"data": {}},
        {"data": {"Type": 3}},
        {"data": {"Name": ""}},
        {"data": {"Name": "  "}},
        {"data": {"TagGroupId": 102, "Tag Group Id": 102}},
        {"data": {"TagGroupId": "102"}},
        {"Name": "unwrapped"},
    ],
)
def test_update_tag_invalid_body_returns_400_and_changes_nothing(
    world: World, acme: VendorClient, body: dict[str, Any]
) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags/40", json=body), 400)
    assert world.snapshot() == before


@pytest.mark.parametrize("field", ["TagGroupId", "Tag Group Id"])
def test_update_tag_unknown_group_returns_404_and_changes_nothing(
    world: World, acme: VendorClient, field: str
) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags/40", json={"data": {"Name": "Renamed", field: 999}}), 404)
    assert world.snapshot() == before


def test_update_tag_unknown_id_returns_404(world: World, acme: VendorClient) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags/999999", json={"data": {"Name": "x"}}), 404)
    assert world.snapshot() == before


# -- DELETE /tags/{TAG_ID} ----------------------------------------------------------------------
def test_delete_tag_answers_null_id_and_removes_it(acme: VendorClient) -> None:
    assert assert_ok(acme.delete("/tags/2790")) == {"id": None}
    assert 2790 not in tags(acme)
    assert_error(acme.delete("/tags/2790"), 404)


def test_delete_tag_detaches_it_from_every_object(world: World, acme: VendorClient) -> None:
    assert_ok(acme.post(object_path(17567, 372241, 2789)))
    assert 2789 in object_tags(world, 17566, 372236)
    assert_ok(acme.delete("/tags/2789"))
    assert object_tags(world, 17566, 372236) == [2790]
    assert object_tags(world, 17567, 372241) == []


def test_delete_tag_unknown_id_returns_404(world: World, acme: VendorClient) -> None:
    before = world.snapshot()
    assert_error(acme.delete("/tags/999999"), 404)
    assert world.snapshot() == before


# -- tags groups --------------------------------------------------------------------------------
def test_get_tags_groups_lists_id_name_and_brand(acme: VendorClient, globex: VendorClient) -> None:
    assert assert_ok(acme.get("/tags/groups")) == [
        {"id": 101, "name": "Sales", "brandId": "acme"},
        {"id": 102, "name": "Support", "brandId": "acme"},
    ]
    assert assert_ok(globex.get("/tags/groups")) == [
        {"id": 201, "name": "Onboarding", "brandId": "globex"}
    ]


def test_create_tags_group_returns_its_id_and_takes_tags(acme: VendorClient) -> None:
    created = assert_ok(acme.post("/tags/groups", json={"data": {"Name": "Billing"}}))
    assert created == {"id": "202"}
    assert groups(acme)[202] == {"id": 202, "name": "Billing", "brandId": "acme"}
    new_tag = create_tag(acme, Name="Invoice", TagGroupId=202)
    assert tags(acme)[new_tag]["groupId"] == 202
    assert_ok(acme.post("/tags/40", json={"data": {"TagGroupId": 202}}))
    assert tags(acme)[40]["groupId"] == 202


def test_update_tags_group_renames_and_keeps_its_tags(acme: VendorClient) -> None:
    response = acme.post("/tags/groups/101", json={"data": {"Name": "Revenue"}})
    assert assert_ok(response) == {"id": None}
    assert groups(acme)[101]["name"] == "Revenue"
    assert tags(acme)[2789]["groupId"] == 101


@pytest.mark.parametrize("body", [{"data": {}}, {"data": {"Name": ""}}, {"data": {"Name": " "}}])
def test_tags_group_without_a_name_returns_400_and_changes_nothing(
    world: World, acme: VendorClient, body: dict[str, Any]
) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags/groups", json=body), 400)
    assert_error(acme.post("/tags/groups/101", json=body), 400)
    assert world.snapshot() == before


def test_update_tags_group_unknown_id_returns_404(world: World, acme: VendorClient) -> None:
    before = world.snapshot()
    assert_error(acme.post("/tags/groups/999", json={"data": {"Name": "x"}}), 404)
    assert world.snapshot() == before


def test_delete_tags_group_deletes_its_tags_and_detaches_them(
    world: World, acme: VendorClient
) -> None:
    assert object_tags(world, 17566, 372236) == [2789, 2790]
    assert assert_ok(acme.delete("/tags/groups/101")) == {"id": None}
    assert 101 not in groups(acme)
    assert set(tags(acme)) == {40, 2791, 2792}
    assert object_tags(world, 17566, 372236) == []
    assert object_tags(world, 17566, 372235) == [40]
    assert_error(acme.post(object_path(17566, 372235, 2789)), 404)


def test_delete_tags_group_leaves_other_groups_tags(world: World, acme: VendorClient) -> None:
    assert_ok(acme.delete("/tags/groups/102"))
    assert set(tags(acme)) == {40, 2789, 2790, 2792}
    assert object_tags(world, 17567, 372240) == []
    assert object_tags(world, 17566, 372236) == [2789, 2790]


def test_delete_tags_group_unknown_id_returns_404(world: World, acme: VendorClient) -> None:
    before = world.snapshot()
    assert_error(acme.delete("/tags/groups/999"), 404)
    assert world.snapshot() == before


# -- tags of conversations (objects) ------------------------------------------------------------
def test_set_object_tag_tags_the_conversation_and_answers_null_data(
    world: World, acme: VendorClient
) -> None:
    assert assert_ok(acme.post(object_path(17566, 372235, 2789))) is None
    assert object_tags(world, 17566, 372235) == [40, 2789]


def test_set_object_tag_is_idempotent(world: World, acme: VendorClient) -> None:
    assert assert_ok(acme.post(object_path(17566, 372235, 40))) is None
    assert assert_ok(acme.post(object_path(17566, 372235, 40))) is None
    assert object_tags(world, 17566, 372235) == [40]


def test_set_object_tag_accepts_a_tag_created_through_the_api(
    world: World, acme: VendorClient
) -> None:
    new_id = create_tag(acme, Name="Fresh")
    assert_ok(acme.post(object_path(17567, 372241, new_id)))
    assert object_tags(world, 17567, 372241) == [new_id]


def test_delete_object_tag_removes_it_and_answers_null_data(
    world: World, acme: VendorClient
) -> None:
    assert assert_ok(acme.delete(object_path(17566, 372236, 2789))) is None
    assert object_tags(world, 17566, 372236) == [2790]


def test_delete_object_tag_is_idempotent(world: World, acme: VendorClient) -> None:
    before = world.snapshot()
    assert assert_ok(acme.delete(object_path(17566, 372235, 2789))) is None
    assert object_tags(world, 17566, 372235) == [40]
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("stream", "obj", "tag"),
    [
        (99999, 372235, 40),  # unknown stream
        (17566, 99999, 40),  # unknown object
        (17567, 372235, 40),  # an object of another stream
        (17566, 372235, 99999),  # unknown tag
    ],
)
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_object_tag_unknown_stream_object_or_tag_returns_404_and_changes_nothing(
    world: World, acme: VendorClient, method: str, stream: int, obj: int, tag: int
) -> None:
    before = world.snapshot()
    assert_error(acme.request(method, object_path(stream, obj, tag)), 404)
    assert world.snapshot() == before


def test_set_object_tag_whose_object_tag_is_false_returns_400(
    world: World, acme: VendorClient
) -> None:
    before = world.snapshot()
    assert_error(acme.post(object_path(17566, 372235, 2792)), 400)
    assert world.snapshot() == before


def test_set_object_tag_created_with_object_tag_false_returns_400(
    world: World, acme: VendorClient
) -> None:
    new_id = create_tag(acme, Name="Customer only", ObjectTag=False, UserTag=True)
    assert_error(acme.post(object_path(17566, 372235, new_id)), 400)
    assert object_tags(world, 17566, 372235) == [40]


# -- tenant isolation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/tags/3001", {"data": {"Name": "hijack"}}),
        ("DELETE", "/tags/3001", None),
        ("POST", "/tags/groups/201", {"data": {"Name": "hijack"}}),
        ("DELETE", "/tags/groups/201", None),
        ("POST", "/tags", {"data": {"Name": "x", "TagGroupId": 201}}),
        ("POST", "/tags/40", {"data": {"TagGroupId": 201}}),
        ("POST", object_path(18001, 480003, 40), None),
        ("POST", object_path(18001, 480003, 3001), None),
        ("POST", object_path(17566, 372235, 3001), None),
        ("DELETE", object_path(18001, 480001, 3001), None),
        ("DELETE", object_path(17566, 372235, 3001), None),
    ],
)
def test_globex_ids_from_acme_return_404_and_change_nothing(
    world: World, acme: VendorClient, method: str, path: str, body: Any
) -> None:
    before = world.snapshot()
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    assert_error(acme.request(method, path, **kwargs), 404)
    assert world.snapshot() == before


def test_tags_created_by_one_account_are_invisible_to_another(
    acme: VendorClient, globex: VendorClient
) -> None:
    new_id = create_tag(acme, Name="Secret")
    assert new_id not in tags(globex)
    assert_error(globex.delete(f"/tags/{new_id}"), 404)
    assert_error(globex.post(object_path(18001, 480003, new_id)), 404)
    assert new_id in tags(acme)


def test_globex_reaches_its_own_objects(world: World, globex: VendorClient) -> None:
    assert_ok(globex.post(object_path(18001, 480003, 3001)))
    assert object_tags(world, 18001, 480003, "globex") == [3001]


# -- bad input ----------------------------------------------------------------------------------
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b'{"data": {"Name": "x"', JSON),  # malformed JSON
        (b"[]", JSON),  # a JSON array
        (b'[{"data": {"Name": "x"}}]', JSON),
        (b'"data"', JSON),
        (b"null", JSON),
        (b'{"data": {"Name": NaN}}', JSON),
        (b'{"data": {"Name": "\xff"}}', JSON),  # not UTF-8
        (b'{"data": {"Name": "x"}}', {"Content-Type": "text/plain"}),  # wrong content type
        (b'{"data": {"Name": "x"}}', {"Content-Type": "application/x-www-form-urlencoded"}),
        (b'{"data": {"Name": "x"}}', {}),  # no content type
        (b"", JSON),  # no body
    ],
)
@pytest.mark.parametrize("path", ["/tags", "/tags/40", "/tags/groups", "/tags/groups/101"])
def test_unreadable_body_returns_400_and_changes_nothing(
    world: World, acme: VendorClient, path: str, content: bytes, headers: dict[str, str]
) -> None:
    before = world.snapshot()
    assert_error(acme.post(path, content=content, headers=headers), 400)
    assert world.snapshot() == before


def test_body_over_the_limit_returns_400_and_changes_nothing(
    world: World, acme: VendorClient
) -> None:
    before = world.snapshot()
    body = json.dumps({"data": {"Name": "x" * LIMIT}}).encode()
    assert len(body) > LIMIT
    assert_error(acme.post("/tags", content=body, headers=JSON), 400)
    assert world.snapshot() == before


def test_body_just_under_the_limit_is_accepted(acme: VendorClient) -> None:
    body = json.dumps({"data": {"Name": "x" * (LIMIT - 40)}}).encode()
    assert len(body) <= LIMIT
    assert_ok(acme.post("/tags", content=body, headers=JSON))


def test_json_nested_deeper_than_max_json_depth_returns_400(
    world: World, settings: Settings, acme: VendorClient
) -> None:
    depth = settings.max_json_depth + 5
    nested = "[" * depth + "]" * depth
    body = '{"data": {"Name": "x", "Extra": ' + nested + "}}"
    before = world.snapshot()
    assert_error(acme.post("/tags", content=body.encode(), headers=JSON), 400)
    assert world.snapshot() == before


def test_json_within_max_json_depth_is_accepted(settings: Settings, acme: VendorClient) -> None:
    depth = settings.max_json_depth - 3
    nested = "[" * depth + "]" * depth
    body = '{"data": {"Name": "x", "Extra": ' + nested + "}}"
    assert_ok(acme.post("/tags", content=body.encode(), headers=JSON))


def test_json_content_type_with_charset_is_accepted(acme: VendorClient) -> None:
    response = acme.post(
        "/tags",
        content=b'{"data": {"Name": "x"}}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert_ok(response)


def test_object_tag_ignores_a_body_it_does_not_take(world: World, acme: VendorClient) -> None:
    response = acme.post(
        object_path(17566, 372235, 2789),
        content=b"not json",
        headers={"Content-Type": "text/plain"},
    )
    assert assert_ok(response) is None
    assert object_tags(world, 17566, 372235) == [40, 2789]
