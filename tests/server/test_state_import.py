"""`GET /__admin/state` exports the whole store as a `tagfake-state/1` snapshot and
`PUT /__admin/state` imports one — on every engine. An import is checked whole first: a
snapshot that is malformed, or whose references do not hold, is refused with 422 naming the
problem, and nothing changes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tagfake.settings import Settings
from tests.conftest import World
from tests.server.test_admin import admin, create_zapini_tag, problem, zapini_get

Snapshot = dict[str, Any]


@pytest.fixture(params=["memory", "sqlite"])
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    store = "memory"
    if request.param == "sqlite":
        store = f"sqlite:{tmp_path_factory.getbasetemp() / 'state-import.db'}"
    return Settings(validation="enforce", seed=1234, store=store)


def export(world: World) -> Snapshot:
    r = admin(world, "GET", "/state")
    assert r.status_code == 200, r.text
    doc: Snapshot = r.json()
    return doc


def space(doc: Snapshot, vendor: str, tenant: str = "acme") -> dict[str, Any]:
    return next(n for n in doc["namespaces"] if (n["vendor"], n["tenant"]) == (vendor, tenant))


def comparable(doc: Snapshot) -> Snapshot:
    return {k: v for k, v in doc.items() if k not in {"revision", "saved_at"}}


def test_an_export_imported_again_is_the_same_state(world: World) -> None:
    made = create_zapini_tag(world, "Exported").json()["data"]["tag"]
    before = export(world)
    assert before["format"] == "tagfake-state/1"
    assert sorted(before["vendors"]) == ["commbox", "healvi", "nexor", "zapini"]
    world.runtime.reset()
    assert made["id"] not in zapini_get(world, "/tags").text
    r = admin(world, "PUT", "/state", json=before)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": {"tenants": len(before["namespaces"])}}
    assert zapini_get(world, f"/tags/{made['id']}").json()["data"]["tag"]["name"] == "Exported"
    assert comparable(export(world)) == comparable(before)
    # the id source went on from where the export was
    again = create_zapini_tag(world, "After import").json()["data"]["tag"]["id"]
    assert again != made["id"]


def _entity_names_a_missing_tag(doc: Snapshot) -> None:
    convs = space(doc, "zapini")["data"]["entities"]["conversations"]
    next(iter(convs.values()))["tags"].append("00000000-0000-4000-8000-000000000000")


def _tag_in_a_missing_group(doc: Snapshot) -> None:
    tag = next(iter(space(doc, "commbox")["data"]["tags"].values()))
    tag["groupId"] = 987654


def _credential_of_two_tenants(doc: Snapshot) -> None:
    space(doc, "zapini", "globex")["credentials"].append(space(doc, "zapini")["credentials"][0])


def _tag_twice_on_an_entity(doc: Snapshot) -> None:
    convs = space(doc, "zapini")["data"]["entities"]["conversations"]
    entity = next(e for e in convs.values() if e["tags"])
    entity["tags"].append(entity["tags"][0])


def _two_tags_of_one_name(doc: Snapshot) -> None:
    tags = space(doc, "zapini")["data"]["tags"]
    first = next(iter(tags.values()))
    tags["11111111-1111-4111-8111-111111111111"] = {
        **first,
        "id": "11111111-1111-4111-8111-111111111111",
        "name": first["name"].upper(),
    }


def _unknown_vendor(doc: Snapshot) -> None:
    doc["namespaces"].append({"vendor": "acme-crm", "tenant": "x", "credentials": [], "data": {}})


def _tenant_twice(doc: Snapshot) -> None:
    doc["namespaces"].append(copy.deepcopy(space(doc, "nexor")))


def _attrs_not_an_object(doc: Snapshot) -> None:
    convs = space(doc, "zapini")["data"]["entities"]["conversations"]
    next(iter(convs.values()))["attrs"] = "Maria"


def _counters_not_integers(doc: Snapshot) -> None:
    doc["counters"] = {"healvi:tag": "12"}


def _tags_not_an_object(doc: Snapshot) -> None:
    space(doc, "healvi")["data"]["tags"] = []


def _newer_format(doc: Snapshot) -> None:
    doc["format"] = "tagfake-state/2"


def _namespaces_not_a_list(doc: Snapshot) -> None:
    doc["namespaces"] = {"zapini": {}}


@pytest.mark.parametrize(
    ("corrupt", "words"),
    [
        (_entity_names_a_missing_tag, "carries tag '00000000-0000-4000-8000-000000000000'"),
        (_tag_in_a_missing_group, "is in group 987654, which does not exist"),
        (_credential_of_two_tenants, "a credential of tenant 'acme' is given to it too"),
        (_tag_twice_on_an_entity, "carries a tag twice"),
        (_two_tags_of_one_name, "already held"),
        (_unknown_vendor, "unknown vendor 'acme-crm'"),
        (_tenant_twice, "appears twice"),
        (_attrs_not_an_object, 'needs an object "attrs"'),
        (_counters_not_integers, '"counters" must be an integer'),
        (_tags_not_an_object, '"data.tags" must be an object'),
        (_newer_format, "'tagfake-state/2' is not one this tagfake reads"),
        (_namespaces_not_a_list, "namespaces"),
    ],
)
def test_an_inconsistent_snapshot_is_refused_and_changes_nothing(
    world: World, corrupt: Callable[[Snapshot], None], words: str
) -> None:
    create_zapini_tag(world, "Still here")
    before = export(world)
    broken = copy.deepcopy(before)
    corrupt(broken)
    body = problem(admin(world, "PUT", "/state", json=broken), 422)
    assert words in body["detail"], body["detail"]
    assert comparable(export(world)) == comparable(before)
    assert "Still here" in zapini_get(world, "/tags").text


def test_an_import_needs_a_snapshot_body(world: World) -> None:
    problem(
        admin(
            world, "PUT", "/state", content=b"[1, 2]", headers={"content-type": "application/json"}
        ),
        400,
    )
    problem(admin(world, "PUT", "/state", json={"format": "tagfake-state/1"}), 422)
