"""CommBox's backend, envelope and fixture loading without HTTP: a MemoryStore with namespaces
built by hand, or by the vendor's own `load_tenant` from fixture text."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from tagfake import errors as e
from tagfake.clock import Clock
from tagfake.fixtures import FixtureError, parse_fixture_text
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.state import Entity, MemoryStore, Namespace
from tagfake.vendors.commbox import envelope
from tagfake.vendors.commbox.backend import OBJECTS, STREAMS, VENDOR, CommBoxBackend
from tagfake.vendors.commbox.vendor import VENDOR as COMMBOX


def tag(
    tag_id: int, name: str, group: int = 0, *, is_object: bool = True, tag_type: int = 1
) -> dict[str, Any]:
    return {
        "id": tag_id,
        "name": name,
        "type": tag_type,
        "groupId": group,
        "isObject": is_object,
        "isUser": False,
        "isChild": False,
    }


def namespace(*tags: dict[str, Any], objects: dict[str, list[int]] | None = None) -> Namespace:
    """Groups 7 and 8, stream 10 with objects 100 and 101, stream 11 with object 110."""
    carried = objects or {}
    objs = {
        key: Entity(
            attrs={"id": int(key.split("/")[1]), "streamId": int(key.split("/")[0])},
            tags=[str(t) for t in carried.get(key, [])],
        )
        for key in ("10/100", "10/101", "11/110")
    }
    return Namespace(
        tags={str(t["id"]): t for t in tags},
        groups={"7": {"id": 7, "name": "Sales"}, "8": {"id": 8, "name": "Support"}},
        entities={
            STREAMS: {
                "10": Entity(attrs={"id": 10, "name": "WhatsApp"}),
                "11": Entity(attrs={"id": 11, "name": "Email"}),
            },
            OBJECTS: objs,
        },
    )


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore(seed=1)
    ns = namespace(
        tag(1, "VIP"),
        tag(2, "Hot lead", 7),
        tag(3, "Deal won", 7, tag_type=2),
        tag(4, "Refund", 8),
        tag(5, "Churn risk", is_object=False),
        objects={"10/100": [1, 2], "10/101": [2, 3], "11/110": [4]},
    )
    s.put_tenant(VENDOR, "acme", ns, ["acme-key"])
    s.put_tenant(VENDOR, "globex", namespace(tag(50, "VIP"), objects={}), ["globex-key"])
    s.bump_int(VENDOR, "tag", 50)
    s.bump_int(VENDOR, "group", 8)
    return s


@pytest.fixture
def backend(store: MemoryStore) -> CommBoxBackend:
    return CommBoxBackend(store, Clock())


def state(store: MemoryStore) -> dict[str, Any]:
    snap = store.snapshot()
    snap.pop("revision")
    return snap


def tags_of(store: MemoryStore, tenant: str = "acme") -> dict[str, dict[str, Any]]:
    with store.read(VENDOR, tenant) as ns:
        return dict(ns.tags())


def carried(store: MemoryStore, key: str, tenant: str = "acme") -> list[str]:
    with store.read(VENDOR, tenant) as ns:
        tags = ns.entity_tags(OBJECTS, key)
        assert tags is not None
        return tags


# -- create_tag ---------------------------------------------------------------------------------
def test_create_tag_applies_the_documented_defaults(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    new_id = backend.create_tag("acme", {"Name": "Fresh"})
    assert new_id == "51"
    assert tags_of(store)["51"] == {
        "id": 51,
        "name": "Fresh",
        "type": 1,
        "groupId": 0,
        "isObject": True,
        "isUser": False,
        "isChild": False,
    }


def test_create_tag_keeps_every_given_field(backend: CommBoxBackend, store: MemoryStore) -> None:
    data = {"Name": "Miss", "Type": 3, "TagGroupId": 8}
    new_id = backend.create_tag(
        "acme", {**data, "ObjectTag": False, "UserTag": True, "ChildTag": True}
    )
    assert tags_of(store)[new_id] == {
        "id": int(new_id),
        "name": "Miss",
        "type": 3,
        "groupId": 8,
        "isObject": False,
        "isUser": True,
        "isChild": True,
    }


def test_create_tag_ids_follow_the_counter_across_tenants(backend: CommBoxBackend) -> None:
    assert backend.create_tag("acme", {"Name": "a"}) == "51"
    assert backend.create_tag("globex", {"Name": "b"}) == "52"
    assert backend.create_tag("acme", {"Name": "c"}) == "53"


def test_create_tag_skips_an_id_already_taken(backend: CommBoxBackend, store: MemoryStore) -> None:
    with store.transaction(VENDOR, "acme") as ns:
        ns.put_tag("51", tag(51, "seeded later"))
    assert backend.create_tag("acme", {"Name": "next"}) == "52"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"Name": ""},
        {"Name": "   "},
        {"Name": None},
        {"Name": 5},
        {"Name": "x", "Type": 6},
        {"Name": "x", "Type": 0},
        {"Name": "x", "Type": True},
        {"Name": "x", "Type": "3"},
        {"Name": "x", "TagGroupId": "7"},
        {"Name": "x", "TagGroupId": None},
        {"Name": "x", "TagGroupId": False},
        {"Name": "x", "ObjectTag": "true"},
        {"Name": "x", "UserTag": 1},
        {"Name": "x", "ChildTag": None},
    ],
)
def test_create_tag_invalid_data_is_refused_and_changes_nothing(
    backend: CommBoxBackend, store: MemoryStore, data: dict[str, Any]
) -> None:
    before = state(store)
    with pytest.raises(e.Invalid):
        backend.create_tag("acme", data)
    assert state(store) == before  # no tag, and no id used up


@pytest.mark.parametrize("tag_type", [1, 2, 3, 4, 5, 100, 101, 102, 103])
def test_create_tag_accepts_every_tags_type(
    backend: CommBoxBackend, store: MemoryStore, tag_type: int
) -> None:
    new_id = backend.create_tag("acme", {"Name": "t", "Type": tag_type})
    assert tags_of(store)[new_id]["type"] == tag_type


def test_create_tag_unknown_group_is_not_found_and_changes_nothing(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    before = state(store)
    with pytest.raises(e.NotFound):
        backend.create_tag("acme", {"Name": "x", "TagGroupId": 99})
    assert state(store) == before


def test_create_tag_in_a_group_of_another_tenant_is_not_found(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    with store.transaction(VENDOR, "globex") as ns:
        ns.put_group("60", {"id": 60, "name": "Theirs"})
    with pytest.raises(e.NotFound):
        backend.create_tag("acme", {"Name": "x", "TagGroupId": 60})


def test_create_tag_names_need_not_be_unique(backend: CommBoxBackend, store: MemoryStore) -> None:
    backend.create_tag("acme", {"Name": "VIP"})
    assert [t["name"] for t in tags_of(store).values()].count("VIP") == 2


def test_create_tag_concurrent_requests_get_distinct_ids(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(25):
            new_id = backend.create_tag("acme", {"Name": f"w{n}-{i}"})
            with lock:
                ids.append(new_id)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 200
    assert set(ids) <= set(tags_of(store))


# -- get_tags -----------------------------------------------------------------------------------
def test_get_tags_lists_the_tenants_tags_by_id_with_all_fields(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    with store.transaction(VENDOR, "acme") as ns:
        ns.put_tag("0", tag(0, "first by id"))  # inserted last, listed first
    listed = backend.get_tags("acme")
    assert [t["id"] for t in listed] == [0, 1, 2, 3, 4, 5]
    assert listed[3] == tag(3, "Deal won", 7, tag_type=2)
    assert [t["id"] for t in backend.get_tags("globex")] == [50]


def test_get_tags_returns_copies(backend: CommBoxBackend, store: MemoryStore) -> None:
    backend.get_tags("acme")[0]["name"] = "mutated"
    assert tags_of(store)["1"]["name"] == "VIP"


# -- update_tag ---------------------------------------------------------------------------------
def test_update_tag_renames_and_keeps_the_rest(backend: CommBoxBackend, store: MemoryStore) -> None:
    backend.update_tag("acme", 2, {"Name": "Warm lead"})
    assert tags_of(store)["2"] == tag(2, "Warm lead", 7)


@pytest.mark.parametrize("field", ["TagGroupId", "Tag Group Id"])
def test_update_tag_moves_to_a_group_under_either_spelling(
    backend: CommBoxBackend, store: MemoryStore, field: str
) -> None:
    backend.update_tag("acme", 1, {field: 8})
    assert tags_of(store)["1"]["groupId"] == 8
    backend.update_tag("acme", 1, {field: 0})
    assert tags_of(store)["1"]["groupId"] == 0


def test_update_tag_changes_name_and_group_together(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    backend.update_tag("acme", 2, {"Name": "Moved", "Tag Group Id": 8})
    assert tags_of(store)["2"] == tag(2, "Moved", 8)


def test_update_tag_does_not_change_type_or_flags(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    backend.update_tag("acme", 1, {"Name": "VIP 2", "Type": 3, "ObjectTag": False})
    assert tags_of(store)["1"] == tag(1, "VIP 2")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"Type": 2},
        {"Name": ""},
        {"Name": " "},
        {"TagGroupId": "8"},
        {"Tag Group Id": None},
        {"TagGroupId": 8, "Tag Group Id": 8},
        {"Name": "ok", "TagGroupId": True},
    ],
)
def test_update_tag_invalid_data_is_refused_and_changes_nothing(
    backend: CommBoxBackend, store: MemoryStore, data: dict[str, Any]
) -> None:
    before = state(store)
    with pytest.raises(e.Invalid):
        backend.update_tag("acme", 1, data)
    assert state(store) == before


def test_update_tag_unknown_group_changes_nothing(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    before = state(store)
    with pytest.raises(e.NotFound):
        backend.update_tag("acme", 1, {"Name": "renamed", "TagGroupId": 99})
    assert state(store) == before


@pytest.mark.parametrize("tag_id", [99, 50, -1])
def test_update_tag_unknown_or_foreign_tag_is_not_found(
    backend: CommBoxBackend, tag_id: int
) -> None:
    with pytest.raises(e.NotFound):
        backend.update_tag("acme", tag_id, {"Name": "x"})


# -- delete_tag ---------------------------------------------------------------------------------
def test_delete_tag_removes_it_and_detaches_it_from_every_object(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    backend.delete_tag("acme", 2)
    assert "2" not in tags_of(store)
    assert carried(store, "10/100") == ["1"]
    assert carried(store, "10/101") == ["3"]


@pytest.mark.parametrize("tag_id", [99, 50])
def test_delete_tag_unknown_or_foreign_tag_is_not_found(
    backend: CommBoxBackend, store: MemoryStore, tag_id: int
) -> None:
    before = state(store)
    with pytest.raises(e.NotFound):
        backend.delete_tag("acme", tag_id)
    assert state(store) == before


# -- tags groups --------------------------------------------------------------------------------
def test_get_tags_groups_lists_groups_with_the_tenant_as_brand(backend: CommBoxBackend) -> None:
    assert backend.get_tags_groups("acme") == [
        {"id": 7, "name": "Sales", "brandId": "acme"},
        {"id": 8, "name": "Support", "brandId": "acme"},
    ]


def test_create_tags_group_returns_the_next_group_id(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    assert backend.create_tags_group("acme", {"Name": "New"}) == "9"
    assert backend.create_tags_group("globex", {"Name": "Theirs"}) == "10"
    assert {"id": 9, "name": "New", "brandId": "acme"} in backend.get_tags_groups("acme")
    assert backend.get_tags_groups("globex") == [
        {"id": 7, "name": "Sales", "brandId": "globex"},
        {"id": 8, "name": "Support", "brandId": "globex"},
        {"id": 10, "name": "Theirs", "brandId": "globex"},
    ]


@pytest.mark.parametrize("data", [{}, {"Name": ""}, {"Name": "  "}, {"Name": 3}])
def test_tags_group_name_is_required(
    backend: CommBoxBackend, store: MemoryStore, data: dict[str, Any]
) -> None:
    before = state(store)
    with pytest.raises(e.Invalid):
        backend.create_tags_group("acme", data)
    with pytest.raises(e.Invalid):
        backend.update_tags_group("acme", 7, data)
    assert state(store) == before


def test_update_tags_group_renames_and_its_tags_stay(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    backend.update_tags_group("acme", 7, {"Name": "Revenue"})
    assert backend.get_tags_groups("acme")[0] == {"id": 7, "name": "Revenue", "brandId": "acme"}
    assert tags_of(store)["2"]["groupId"] == 7


def test_update_tags_group_unknown_is_not_found(backend: CommBoxBackend) -> None:
    with pytest.raises(e.NotFound):
        backend.update_tags_group("acme", 99, {"Name": "x"})


def test_delete_tags_group_deletes_its_tags_and_detaches_them(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    backend.delete_tags_group("acme", 7)
    assert [g["id"] for g in backend.get_tags_groups("acme")] == [8]
    assert sorted(tags_of(store)) == ["1", "4", "5"]
    assert carried(store, "10/100") == ["1"]
    assert carried(store, "10/101") == []
    assert carried(store, "11/110") == ["4"]


def test_delete_tags_group_unknown_is_not_found_and_changes_nothing(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    before = state(store)
    with pytest.raises(e.NotFound):
        backend.delete_tags_group("acme", 99)
    assert state(store) == before


# -- tags of objects ----------------------------------------------------------------------------
def test_set_object_tag_attaches_the_tag(backend: CommBoxBackend, store: MemoryStore) -> None:
    backend.set_object_tag("acme", 11, 110, 1)
    assert carried(store, "11/110") == ["4", "1"]
    assert backend.object_tags("acme", 11, 110) == [4, 1]


def test_set_object_tag_twice_is_idempotent(backend: CommBoxBackend, store: MemoryStore) -> None:
    backend.set_object_tag("acme", 10, 100, 1)
    backend.set_object_tag("acme", 10, 100, 1)
    assert carried(store, "10/100") == ["1", "2"]


@pytest.mark.parametrize(
    ("stream", "obj", "tag_id"),
    [
        (99, 100, 1),  # unknown stream
        (10, 999, 1),  # unknown object
        (11, 100, 1),  # an object of another stream
        (10, 100, 99),  # unknown tag
        (10, 100, 50),  # another tenant's tag
    ],
)
def test_object_tag_unknown_stream_object_or_tag_is_not_found(
    backend: CommBoxBackend, store: MemoryStore, stream: int, obj: int, tag_id: int
) -> None:
    before = state(store)
    with pytest.raises(e.NotFound):
        backend.set_object_tag("acme", stream, obj, tag_id)
    with pytest.raises(e.NotFound):
        backend.delete_object_tag("acme", stream, obj, tag_id)
    assert state(store) == before


def test_set_object_tag_refuses_a_tag_whose_object_tag_flag_is_false(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    before = state(store)
    with pytest.raises(e.Invalid):
        backend.set_object_tag("acme", 10, 100, 5)
    assert state(store) == before


def test_delete_object_tag_removes_only_that_tag(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    backend.delete_object_tag("acme", 10, 101, 2)
    assert carried(store, "10/101") == ["3"]
    assert carried(store, "10/100") == ["1", "2"]


def test_delete_object_tag_not_carried_is_idempotent(
    backend: CommBoxBackend, store: MemoryStore
) -> None:
    before = state(store)
    backend.delete_object_tag("acme", 11, 110, 1)
    assert carried(store, "11/110") == ["4"]
    assert state(store) == before


# -- envelope -----------------------------------------------------------------------------------
MOMENT = datetime(2025, 8, 6, 7, 51, 52, 258194, tzinfo=UTC)


def test_success_envelope_has_a_string_status_and_seven_fractional_digits() -> None:
    assert envelope.ok({"id": "1"}, MOMENT) == {
        "status": "200",
        "description": "Operation successful",
        "response_time": "2025-08-06T07:51:52.2581940Z",
        "data": {"id": "1"},
    }


@pytest.mark.parametrize(
    ("error", "status", "description"),
    [
        (e.Invalid("x"), 400, "Bad Request"),
        (e.BadRequest("x"), 400, "Bad Request"),
        (e.PayloadTooLarge(10), 400, "Bad Request"),
        (e.UnsupportedMediaType("x"), 400, "Bad Request"),
        (e.Conflict("x"), 400, "Bad Request"),
        (e.Unauthorized(), 401, "Unauthorized"),
        (e.NotFound("Tag"), 404, "Not Found"),
        (e.RouteNotFound("/x"), 404, "Not Found"),
        (e.MethodNotAllowed("PUT", ["GET"]), 501, "Not Implemented"),
        (e.TooManyRequests(7), 429, "Too Many Requests"),
        (e.ServerFault(), 500, "Internal Server Error"),
        (e.ServerFault(503), 503, "Service Unavailable"),
        (e.TagfakeError("unexpected"), 500, "Internal Server Error"),
    ],
)
def test_error_envelope_per_domain_error(
    error: e.TagfakeError, status: int, description: str
) -> None:
    got_status, body, headers = envelope.render_error(error, MOMENT)
    assert got_status == status
    assert body == {
        "status": status,
        "description": description,
        "response_time": "2025-08-06T07:51:52.258Z",
    }
    assert headers == ({"Retry-After": "7"} if status == 429 else {})


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture
def runtime() -> Runtime:
    return Runtime.build(Settings(vendors=("commbox",), seed=1))


GOOD = """
vendor: commbox
tenants:
  a:
    credentials: [ka]
    groups: [{id: 5, name: G}]
    tags:
      - {id: 9, name: T, groupId: 5}
      - {id: 12, name: U, type: 3, isObject: false, isUser: true, isChild: true}
    streams:
      - {id: 1, name: S, objects: [{id: 2, tags: [9, 9]}, {id: 3}]}
  b:
    credentials: [kb]
    groups: [{id: 40, name: H}]
    tags: [{id: 30, name: T}]
    streams: [{id: 4, objects: [{id: 6, tags: [30]}]}]
"""


def test_load_tenant_builds_the_namespace_with_defaults(runtime: Runtime) -> None:
    doc = runtime.check_fixture(VENDOR, parse_fixture_text(GOOD))
    ns, creds = COMMBOX.load_tenant(doc, "a", runtime)
    assert creds == ["ka"]
    assert ns.groups == {"5": {"id": 5, "name": "G"}}
    assert ns.tags["9"] == {
        "id": 9,
        "name": "T",
        "type": 1,
        "groupId": 5,
        "isObject": True,
        "isUser": False,
        "isChild": False,
    }
    assert ns.tags["12"]["isObject"] is False
    assert ns.entities[STREAMS]["1"].attrs == {"id": 1, "name": "S"}
    assert ns.entities[OBJECTS]["1/2"].tags == ["9"]  # a repeated tag counts once
    assert ns.entities[OBJECTS]["1/3"].tags == []


def test_new_ids_follow_the_fixtures_highest_across_tenants(runtime: Runtime) -> None:
    runtime.apply_fixture(VENDOR, runtime.check_fixture(VENDOR, parse_fixture_text(GOOD)))
    backend = runtime.backends[VENDOR]
    assert backend.create_tag("a", {"Name": "new"}) == "31"
    assert backend.create_tags_group("a", {"Name": "new"}) == "41"


def test_default_fixture_new_ids_follow_the_highest_fixture_ids(runtime: Runtime) -> None:
    runtime.load_fixtures()
    backend = runtime.backends[VENDOR]
    assert backend.create_tag("acme", {"Name": "new"}) == "3005"
    assert backend.create_tags_group("acme", {"Name": "new"}) == "202"
    runtime.reset()
    assert backend.create_tag("acme", {"Name": "again"}) == "3005"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("groupId: 5}", "groupId: 40}"), "40 is not a group of tenant 'a'"),
        (("tags: [9, 9]", "tags: [30]"), "30 is not a tag of tenant 'a'"),
        (("tags: [9, 9]", "tags: [12]"), "tag 12 has isObject false"),
        (("{id: 30, name: T}", "{id: 9, name: T}"), "tag id '9' is used twice"),
        (("{id: 40, name: H}", "{id: 5, name: H}"), "group id '5' is used twice"),
        (("{id: 6, tags", "{id: 2, tags"), "object id '2' is used twice"),
        (("{id: 4, objects", "{id: 1, objects"), "stream id '1' is used twice"),
        (("type: 3", "type: 6"), "6 is not one of"),
        (("name: G", "name: G, colour: red"), "colour"),
        (("credentials: [kb]", "credentials: [ka]"), "credential 'ka' is used twice"),
    ],
)
def test_bad_fixtures_are_refused_with_the_line(
    runtime: Runtime, change: tuple[str, str], message: str
) -> None:
    assert change[0] in GOOD
    text = GOOD.replace(change[0], change[1], 1)
    with pytest.raises(FixtureError, match=re.escape(message)) as info:
        runtime.check_fixture(VENDOR, parse_fixture_text(text))
    assert info.value.line is not None


def test_default_fixture_loads_and_banner_names_an_object(runtime: Runtime) -> None:
    doc = runtime.read_fixture(VENDOR)
    ns, creds = COMMBOX.load_tenant(doc, "acme", runtime)
    assert creds == ["commbox-acme-token", "commbox-acme-token-2"]
    assert "17566/372235" in ns.entities[OBJECTS]
    runtime.store.put_tenant(VENDOR, "acme", ns, creds)
    with runtime.store.read(VENDOR, "acme") as r:
        assert COMMBOX.banner("acme", creds, r) == [
            "acme: credential commbox-acme-token; tags 40, 2789, 2790; stream 17566 object 372235"
        ]


def test_mount_path_is_commbox_beside_others_and_the_root_alone() -> None:
    assert COMMBOX.mount_path(single_vendor=False) == "/commbox"
    assert COMMBOX.mount_path(single_vendor=True) == ""
