"""Nexor's backend rules on a memory store, without HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from tagfake.clock import Clock
from tagfake.errors import Conflict, Invalid, NotFound
from tagfake.fixtures import FixtureError, parse_fixture_text
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.state.memory import MemoryStore
from tagfake.state.model import Entity, Namespace, Record
from tagfake.vendors.nexor.backend import KIND, VENDOR, NexorBackend, lead_error

VIP = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
FOLLOW = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
COLD = "cccccccc-cccc-cccc-cccc-cccccccccccc"
JANE = "123e4567-e89b-12d3-a456-426614174000"
JOHN = "8fc3ed12-e560-4acf-bf24-dabea9c19c36"
JANE_TOO = "a702a27e-a295-4b6f-b263-2468c4722231"  # same email as Jane, created later
OTHER_LEAD = "3eb439c2-29d6-40a1-9092-b798040d1fd6"
OTHER_TAG = "4663fb06-c082-477b-9cc4-473da65850c3"
START = "2026-01-01T00:00:00Z"


def tag(key: str, name: str, slug: str, description: str | None = None) -> Record:
    return {
        "id": key,
        "name": name,
        "slug": slug,
        "description": description,
        "created_at": START,
        "updated_at": START,
    }


def lead(key: str, first: str, email: str | None, tags: list[str]) -> Entity:
    attrs: Record = {
        "id": key,
        "first_name": first,
        "last_name": None,
        "email": email,
        "phone": None,
        "source": "api",
        "company": None,
        "title": None,
        "metadata": {},
        "created_at": START,
        "updated_at": START,
    }
    return Entity(attrs=attrs, tags=list(tags))


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore(seed=7)
    acme = Namespace(
        tags={
            VIP: tag(VIP, "VIP", "vip", "High-value customers"),
            FOLLOW: tag(FOLLOW, "Follow-up", "follow-up"),
            COLD: tag(COLD, "Cold Lead", "cold-lead", "No reply for 30 days"),
        },
        entities={
            KIND: {
                JANE: lead(JANE, "Jane", "jane@example.com", [FOLLOW, COLD]),
                JOHN: lead(JOHN, "John", "John.Smith@Example.com", [VIP]),
                JANE_TOO: lead(JANE_TOO, "Jane", "JANE@example.com", []),
            }
        },
    )
    globex = Namespace(
        tags={OTHER_TAG: tag(OTHER_TAG, "VIP", "vip")},
        entities={KIND: {OTHER_LEAD: lead(OTHER_LEAD, "Hank", "hank@globex.example", [])}},
    )
    s.put_tenant(VENDOR, "acme", acme, ["k-acme"])
    s.put_tenant(VENDOR, "globex", globex, ["k-globex"])
    return s


@pytest.fixture
def clock() -> Clock:
    c = Clock()
    c.freeze(datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC))
    return c


@pytest.fixture
def backend(store: MemoryStore, clock: Clock) -> NexorBackend:
    return NexorBackend(store, clock, max_depth=32)


def lead_tags(store: MemoryStore, key: str, tenant: str = "acme") -> list[str]:
    with store.read(VENDOR, tenant) as ns:
        return list(ns.kind(KIND)[key].tags)


def slugs(store: MemoryStore, tenant: str = "acme") -> list[str]:
    with store.read(VENDOR, tenant) as ns:
        return [t["slug"] for t in ns.tags.values()]


def state(store: MemoryStore) -> dict[str, Any]:
    snap = store.snapshot()
    snap.pop("revision")
    return snap


# -- tags -------------------------------------------------------------------------------------
def test_list_tags_oldest_first_with_every_field(backend: NexorBackend) -> None:
    tags = backend.list_tags("acme")
    assert [t["id"] for t in tags] == [VIP, FOLLOW, COLD]
    assert set(tags[0]) == {"id", "name", "slug", "description", "created_at", "updated_at"}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("vip", [VIP]),  # name
        ("FOLLOW-UP", [FOLLOW]),  # slug, case ignored
        ("30 DAYS", [COLD]),  # description
        ("lead", [COLD]),  # name "Cold Lead" / slug cold-lead
        ("-", [VIP, FOLLOW, COLD]),  # "High-value", "follow-up", "cold-lead"
        ("", [VIP, FOLLOW, COLD]),
        ("nothing", []),
    ],
)
def test_list_tags_search_name_slug_or_description_case_insensitive(
    backend: NexorBackend, search: str, expected: list[str]
) -> None:
    assert [t["id"] for t in backend.list_tags("acme", search)] == expected


def test_create_tag_stores_as_given(backend: NexorBackend, store: MemoryStore) -> None:
    created = backend.create_tag("acme", {"name": "VIP Client", "slug": "vip-client"})
    assert created == {
        "id": created["id"],
        "name": "VIP Client",
        "slug": "vip-client",
        "description": None,
        "created_at": "2026-02-03T04:05:06Z",
    }
    assert backend.list_tags("acme")[-1]["id"] == created["id"]


def test_create_tag_taken_slug_conflicts_and_changes_nothing(
    backend: NexorBackend, store: MemoryStore
) -> None:
    before = state(store)
    with pytest.raises(Conflict, match="A tag with this slug already exists"):
        backend.create_tag("acme", {"name": "Very Important", "slug": "vip"})
    assert state(store) == before


def test_create_tag_slug_normalised_before_the_uniqueness_check(
    backend: NexorBackend, store: MemoryStore
) -> None:
    with pytest.raises(Conflict):
        backend.create_tag("acme", {"name": "Loud VIP", "slug": "VIP"})
    assert backend.create_tag("acme", {"name": "Loud", "slug": "Loud VIP!"})["slug"] == "loud-vip"
    assert "VIP" not in slugs(store)


def test_create_tag_same_slug_in_another_account(backend: NexorBackend) -> None:
    backend.create_tag("globex", {"name": "Follow-up", "slug": "follow-up"})
    assert [t["slug"] for t in backend.list_tags("globex")] == ["vip", "follow-up"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"slug": "x"}, "Tag name is required"),
        ({"name": "", "slug": "x"}, "Tag name is required"),
        ({"name": "X"}, "Tag slug is required"),
        ({}, "Tag name is required"),
        ({"name": "X", "slug": "x", "description": 5}, "Tag description must be a string or null"),
    ],
)
def test_create_tag_invalid(
    backend: NexorBackend, store: MemoryStore, body: dict[str, Any], message: str
) -> None:
    before = state(store)
    with pytest.raises(Invalid) as err:
        backend.create_tag("acme", body)
    assert err.value.message == message
    assert state(store) == before


def test_update_tag_changes_only_given_fields(backend: NexorBackend) -> None:
    updated = backend.update_tag("acme", VIP, {"name": "VIP Customer"})
    assert updated["name"] == "VIP Customer"
    assert updated["slug"] == "vip"
    assert updated["description"] == "High-value customers"
    assert updated["updated_at"] == "2026-02-03T04:05:06Z"
    assert updated["created_at"] == START


def test_update_tag_null_description_clears_it(backend: NexorBackend) -> None:
    assert backend.update_tag("acme", VIP, {"description": None})["description"] is None


def test_update_tag_empty_body_changes_nothing(backend: NexorBackend, store: MemoryStore) -> None:
    before = backend.list_tags("acme")[0]
    assert backend.update_tag("acme", VIP, {}) == before


def test_update_tag_uppercase_id_finds_the_tag(backend: NexorBackend) -> None:
    assert backend.update_tag("acme", VIP.upper(), {"name": "X"})["id"] == VIP


def test_update_tag_slug_taken_by_another_tag(backend: NexorBackend, store: MemoryStore) -> None:
    before = state(store)
    with pytest.raises(Conflict):
        backend.update_tag("acme", VIP, {"name": "Renamed", "slug": "follow-up"})
    assert state(store) == before


def test_update_tag_own_slug_is_not_a_conflict(backend: NexorBackend) -> None:
    assert backend.update_tag("acme", VIP, {"slug": "vip", "name": "V"})["name"] == "V"


@pytest.mark.parametrize("tag_id", [OTHER_TAG, "dddddddd-dddd-dddd-dddd-dddddddddddd"])
def test_update_and_delete_unknown_or_other_account_tag_not_found(
    backend: NexorBackend, tag_id: str
) -> None:
    with pytest.raises(NotFound, match="Tag not found"):
        backend.update_tag("acme", tag_id, {"name": "X"})
    with pytest.raises(NotFound, match="Tag not found"):
        backend.delete_tag("acme", tag_id)


def test_delete_tag_removes_it_from_every_lead(backend: NexorBackend, store: MemoryStore) -> None:
    backend.assign_lead_tags("acme", JANE_TOO, {"tagId": COLD})
    backend.delete_tag("acme", COLD)
    assert COLD not in [t["id"] for t in backend.list_tags("acme")]
    assert lead_tags(store, JANE) == [FOLLOW]
    assert lead_tags(store, JANE_TOO) == []


# -- lead tags --------------------------------------------------------------------------------
def test_get_lead_tags_in_assignment_order(backend: NexorBackend) -> None:
    assert backend.get_lead_tags("acme", JANE) == [
        {"id": FOLLOW, "name": "Follow-up", "slug": "follow-up"},
        {"id": COLD, "name": "Cold Lead", "slug": "cold-lead"},
    ]


def test_get_lead_tags_other_account_lead_not_found(backend: NexorBackend) -> None:
    with pytest.raises(NotFound, match="Lead not found"):
        backend.get_lead_tags("acme", OTHER_LEAD)


def test_assign_lead_tags_skips_assigned_and_duplicates(
    backend: NexorBackend, store: MemoryStore
) -> None:
    tags = backend.assign_lead_tags("acme", JANE, {"tagIds": [COLD, VIP, VIP.upper()]})
    assert [t["id"] for t in tags] == [FOLLOW, COLD, VIP]
    assert lead_tags(store, JANE) == [FOLLOW, COLD, VIP]


@pytest.mark.parametrize(
    "body", [{}, {"tagId": VIP, "tagIds": [VIP]}, {"tagIds": []}, {"tagIds": "x"}]
)
def test_assign_lead_tags_needs_exactly_one_of_tag_id_or_tag_ids(
    backend: NexorBackend, store: MemoryStore, body: dict[str, Any]
) -> None:
    before = state(store)
    with pytest.raises(Invalid):
        backend.assign_lead_tags("acme", JANE, body)
    assert state(store) == before


def test_assign_lead_tags_unknown_tag_assigns_nothing(
    backend: NexorBackend, store: MemoryStore
) -> None:
    before = state(store)
    with pytest.raises(NotFound, match="Tag not found"):
        backend.assign_lead_tags("acme", JANE, {"tagIds": [VIP, OTHER_TAG]})
    assert state(store) == before


# -- sync -------------------------------------------------------------------------------------
def test_sync_lead_tags_reports_exact_set_differences(backend: NexorBackend) -> None:
    result = backend.sync_lead_tags("acme", {"lead_id": JANE, "tags": ["VIP", "Follow-up"]})
    assert result == {
        "lead_id": JANE,
        "tags": [
            {"id": VIP, "name": "VIP", "slug": "vip"},
            {"id": FOLLOW, "name": "Follow-up", "slug": "follow-up"},
        ],
        "added": [VIP],
        "removed": [COLD],
    }


def test_sync_lead_tags_same_set_changes_nothing(backend: NexorBackend) -> None:
    result = backend.sync_lead_tags("acme", {"lead_id": JANE, "tags": ["Follow-up", "Cold Lead"]})
    assert (result["added"], result["removed"]) == ([], [])


def test_sync_lead_tags_creates_missing_tags_by_slug(
    backend: NexorBackend, store: MemoryStore
) -> None:
    result = backend.sync_lead_tags("acme", {"lead_id": JANE, "tags": ["Hot Lead"]})
    (new,) = result["tags"]
    assert (new["name"], new["slug"]) == ("Hot Lead", "hot-lead")
    assert result["added"] == [new["id"]]
    created = backend.list_tags("acme")[-1]
    assert created["id"] == new["id"]
    assert created["description"] is None
    assert created["created_at"] == "2026-02-03T04:05:06Z"


def test_sync_lead_tags_same_slug_is_one_tag_and_existing_keeps_name(
    backend: NexorBackend, store: MemoryStore
) -> None:
    result = backend.sync_lead_tags(
        "acme", {"lead_id": JANE, "tags": ["vip", "V.I.P.", "VIP!", "Hot Lead", "hot-lead"]}
    )
    # "V.I.P." slugs to v-i-p: a tag of its own.
    assert [(t["name"], t["slug"]) for t in result["tags"]] == [
        ("VIP", "vip"),
        ("V.I.P.", "v-i-p"),
        ("Hot Lead", "hot-lead"),
    ]
    assert slugs(store).count("vip") == 1
    assert slugs(store).count("hot-lead") == 1


def test_sync_lead_tags_empty_list_clears(backend: NexorBackend, store: MemoryStore) -> None:
    result = backend.sync_lead_tags("acme", {"lead_id": JANE, "tags": []})
    assert (result["tags"], result["added"], result["removed"]) == ([], [], [FOLLOW, COLD])
    assert lead_tags(store, JANE) == []


def test_sync_lead_tags_lead_id_beats_email(backend: NexorBackend, store: MemoryStore) -> None:
    result = backend.sync_lead_tags(
        "acme", {"email": "jane@example.com", "lead_id": JOHN, "tags": []}
    )
    assert result["lead_id"] == JOHN
    assert lead_tags(store, JANE) == [FOLLOW, COLD]


def test_sync_lead_tags_unknown_lead_id_does_not_fall_back_to_email(
    backend: NexorBackend, store: MemoryStore
) -> None:
    with pytest.raises(NotFound, match="Lead not found"):
        backend.sync_lead_tags(
            "acme",
            {
                "lead_id": "dddddddd-dddd-dddd-dddd-dddddddddddd",
                "email": "jane@example.com",
                "tags": [],
            },
        )


def test_sync_lead_tags_email_ignores_case_and_takes_earliest_lead(
    backend: NexorBackend,
) -> None:
    result = backend.sync_lead_tags("acme", {"email": "JANE@EXAMPLE.COM", "tags": []})
    assert result["lead_id"] == JANE
    result = backend.sync_lead_tags("acme", {"email": "john.smith@example.com", "tags": []})
    assert result["lead_id"] == JOHN


def test_sync_lead_tags_finds_nested_fields(backend: NexorBackend) -> None:
    body = {
        "event": "lead.updated",
        "payload": {"lead": {"email": "jane@example.com"}, "tags": ["VIP"]},
    }
    result = backend.sync_lead_tags("acme", body)
    assert (result["lead_id"], result["added"]) == (JANE, [VIP])


def test_sync_lead_tags_shallowest_field_wins(backend: NexorBackend) -> None:
    body = {"a": {"b": {"lead_id": JANE}}, "c": {"lead_id": JOHN}, "tags": []}
    assert backend.sync_lead_tags("acme", body)["lead_id"] == JOHN


def test_sync_lead_tags_search_stops_at_the_depth_bound(store: MemoryStore, clock: Clock) -> None:
    shallow = NexorBackend(store, clock, max_depth=2)
    with pytest.raises(Invalid, match="lead_id or email is required"):
        shallow.sync_lead_tags("acme", {"tags": [], "a": {"b": {"lead_id": JANE}}})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lead_id": JANE}, "tags must be an array of strings"),
        ({"lead_id": JANE, "tags": "VIP"}, "tags must be an array of strings"),
        ({"lead_id": JANE, "tags": ["VIP", 3]}, "tags must be an array of strings"),
        ({"lead_id": JANE, "tags": [["VIP"]]}, "tags must be an array of strings"),
        ({"tags": ["VIP"]}, "lead_id or email is required"),
        ({"lead_id": None, "email": None, "tags": []}, "lead_id or email is required"),
        ({"lead_id": 5, "tags": []}, "lead_id must be a string"),
        ({"email": ["jane@example.com"], "tags": []}, "email must be a string"),
        ({"lead_id": JANE, "tags": ["New One", "!!!"]}, 'Tag name "!!!" must contain'),
    ],
)
def test_sync_lead_tags_invalid_changes_nothing(
    backend: NexorBackend, store: MemoryStore, body: dict[str, Any], message: str
) -> None:
    before = state(store)
    with pytest.raises(Invalid) as err:
        backend.sync_lead_tags("acme", body)
    assert err.value.message.startswith(message)
    assert state(store) == before


@pytest.mark.parametrize(
    "body",
    [
        {"lead_id": OTHER_LEAD, "tags": ["Brand New"]},
        {"lead_id": "dddddddd-dddd-dddd-dddd-dddddddddddd", "tags": ["Brand New"]},
        {"email": "hank@globex.example", "tags": ["Brand New"]},
        {"email": "nobody@example.com", "tags": ["Brand New"]},
    ],
)
def test_sync_lead_tags_unknown_or_other_account_lead_creates_no_tag(
    backend: NexorBackend, store: MemoryStore, body: dict[str, Any]
) -> None:
    before = state(store)
    with pytest.raises(NotFound, match="Lead not found"):
        backend.sync_lead_tags("acme", body)
    assert state(store) == before


def test_sync_lead_tags_atomic_under_concurrent_syncs(
    backend: NexorBackend, store: MemoryStore
) -> None:
    names = [f"Race {i}" for i in range(20)]
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def worker(lead_key: str) -> None:
        start.wait()
        try:
            for _ in range(25):
                backend.sync_lead_tags("acme", {"lead_id": lead_key, "tags": names})
                backend.sync_lead_tags("acme", {"lead_id": lead_key, "tags": names[::-1]})
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=([JANE, JOHN][i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    every = slugs(store)
    assert len(every) == len(set(every))  # one tag per slug, however the syncs interleaved
    assert len(lead_tags(store, JANE)) == len(names)


# -- leads ------------------------------------------------------------------------------------
def test_create_leads_one_maps_unknown_keys_into_metadata(backend: NexorBackend) -> None:
    out = backend.create_leads(
        "acme",
        {"first_name": "Ada", "plan": "pro", "seats": 3, "metadata": {"plan": "enterprise"}},
    )
    lead_out = out["lead"]
    assert lead_out["metadata"] == {"plan": "enterprise", "seats": 3}
    assert lead_out["source"] == "api"
    assert lead_out["last_name"] is None
    assert backend.get_lead("acme", lead_out["id"])["first_name"] == "Ada"


def test_create_leads_invalid_single_creates_nothing(
    backend: NexorBackend, store: MemoryStore
) -> None:
    before = state(store)
    with pytest.raises(Invalid, match="first_name is required"):
        backend.create_leads("acme", {"last_name": "Nameless"})
    assert state(store) == before


def test_create_leads_bulk_partial_success(backend: NexorBackend, store: MemoryStore) -> None:
    out = backend.create_leads(
        "acme", [{"first_name": "Ada"}, {"last_name": "X"}, "nope", {"first_name": "Bo"}]
    )
    assert (out["created"], out["failed"]) == (2, 2)
    assert [x["first_name"] for x in out["leads"]] == ["Ada", "Bo"]
    assert out["errors"] == [
        {"index": 1, "error": "first_name is required"},
        {"index": 2, "error": "Lead must be a JSON object"},
    ]
    with store.read(VENDOR, "acme") as ns:
        assert len(ns.kind(KIND)) == 5


@pytest.mark.parametrize("size", [0, 1001])
def test_create_leads_bulk_size_limits(backend: NexorBackend, size: int) -> None:
    with pytest.raises(Invalid):
        backend.create_leads("acme", [{"first_name": "A"}] * size)


def test_create_leads_bulk_of_1000_is_accepted(backend: NexorBackend) -> None:
    assert backend.create_leads("acme", [{"first_name": "A"}] * 1000)["created"] == 1000


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"first_name": "A"}, None),
        ({"first_name": "A", "email": "a@example.org", "metadata": {"n": 1.5, "b": True}}, None),
        ({"first_name": "A", "workflow_id": JANE, "force_first_message": True}, None),
        ({}, "first_name is required"),
        ({"first_name": ""}, "first_name is required"),
        ({"first_name": 1}, "first_name must be a string"),
        ({"first_name": "A", "phone": 5}, "phone must be a string"),
        ({"first_name": "A", "email": "not an email"}, "email must be a valid email address"),
        ({"first_name": "A", "campaign_id": "x"}, "campaign_id must be a UUID"),
        ({"first_name": "A", "metadata": []}, "metadata must be an object"),
        (
            {"first_name": "A", "metadata": {"x": None}},
            "metadata values must be strings, numbers or booleans",
        ),
        ({"first_name": "A", "force_first_message": True}, "force_first_message requires"),
        ([], "Lead must be a JSON object"),
    ],
)
def test_lead_error_rules(raw: Any, problem: str | None) -> None:
    found = lead_error(raw)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_get_lead_with_its_tags(backend: NexorBackend) -> None:
    got = backend.get_lead("acme", JANE.upper())
    assert got["id"] == JANE
    assert [t["slug"] for t in got["tags"]] == ["follow-up", "cold-lead"]
    assert (got["campaign"], got["active_workflow_run"]) == (None, None)


def test_get_lead_other_account_not_found(backend: NexorBackend) -> None:
    with pytest.raises(NotFound, match="Lead not found"):
        backend.get_lead("globex", JANE)


# -- fixtures ---------------------------------------------------------------------------------
FIXTURE_HEAD = """vendor: nexor
tenants:
  acme:
    credentials: [ "nxr_live_a" ]
"""


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime.build(Settings(vendors=("nexor",), seed=1))


def check(runtime: Runtime, text: str) -> None:
    runtime.check_fixture("nexor", parse_fixture_text(text, "nexor.yaml"))


def test_default_fixture_loads_the_docs_example_account(runtime: Runtime) -> None:
    doc = runtime.read_fixture("nexor")
    ns, credentials = runtime.vendors["nexor"].load_tenant(doc, "acme", runtime)
    assert credentials == ["nxr_live_your_api_key"]  # the docs' placeholder key
    assert ns.kind(KIND)[JANE].attrs["email"] == "jane@example.com"
    assert ns.kind(KIND)[JANE].tags == [FOLLOW, COLD]
    assert [ns.tags[k]["slug"] for k in (VIP, FOLLOW)] == ["vip", "follow-up"]


def test_fixture_slug_used_twice_in_one_account_is_refused(runtime: Runtime) -> None:
    text = FIXTURE_HEAD + (
        "    tags:\n"
        f"      - {{id: {VIP}, name: VIP, slug: vip}}\n"
        f"      - {{id: {FOLLOW}, name: Vip, slug: vip}}\n"
    )
    with pytest.raises(FixtureError, match="slug 'vip' is used twice"):
        check(runtime, text)


def test_fixture_same_slug_in_two_accounts_is_fine(runtime: Runtime) -> None:
    text = FIXTURE_HEAD + (
        f"    tags: [ {{id: {VIP}, name: VIP, slug: vip}} ]\n"
        "  globex:\n"
        '    credentials: [ "nxr_live_g" ]\n'
        f"    tags: [ {{id: {OTHER_TAG}, name: VIP, slug: vip}} ]\n"
    )
    check(runtime, text)


def test_fixture_unknown_field_is_refused(runtime: Runtime) -> None:
    text = FIXTURE_HEAD + f"    tags: [ {{id: {VIP}, name: VIP, slug: vip, colour: red}} ]\n"
    with pytest.raises(FixtureError, match="colour"):
        check(runtime, text)


def test_fixture_lead_carrying_another_accounts_tag_is_refused(runtime: Runtime) -> None:
    text = FIXTURE_HEAD + (
        f"    leads: [ {{id: {JANE}, first_name: Jane, tags: [ {OTHER_TAG} ]}} ]\n"
        "  globex:\n"
        '    credentials: [ "nxr_live_g" ]\n'
        f"    tags: [ {{id: {OTHER_TAG}, name: VIP, slug: vip}} ]\n"
    )
    with pytest.raises(FixtureError, match="is not a tag of tenant 'acme'"):
        check(runtime, text)


def test_banner_names_the_key_and_ids_to_copy(runtime: Runtime) -> None:
    doc = runtime.read_fixture("nexor")
    ns, credentials = runtime.vendors["nexor"].load_tenant(doc, "acme", runtime)
    (line,) = runtime.vendors["nexor"].banner("acme", credentials, ns)
    assert line.startswith("acme: X-API-Key nxr_live_your_api_key; tags aaaaaaaa-")
    assert f"leads {JANE}, {JOHN}" in line
