"""healvi's backend, envelope and fixture loading without HTTP: MemoryStore, a frozen Clock and
namespaces built by hand or by the vendor's own `load_tenant`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tagfake import errors as e
from tagfake.clock import Clock
from tagfake.contract.schema import Violation
from tagfake.contract.spec import compile_contract
from tagfake.fixtures import FixtureError, parse_fixture_text
from tagfake.runtime import Runtime, spec_path
from tagfake.settings import Settings
from tagfake.state import Entity, MemoryStore, Namespace
from tagfake.vendors.healvi.backend import KIND, VENDOR, HealviBackend
from tagfake.vendors.healvi.vendor import VENDOR as HEALVI

FROZEN = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
FROZEN_TEXT = "2024-05-02T09:30:00Z"
OLD = "2023-01-01T12:00:00Z"


def tag(tag_id: int, title: str) -> dict[str, Any]:
    return {"id": tag_id, "title": title, "created_at": OLD, "updated_at": OLD}


def profile(profile_id: int, *tags: int) -> Entity:
    attrs = {"id": profile_id, "name": f"Profile {profile_id}"}
    return Entity(attrs=attrs, tags=[str(t) for t in tags])


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore(seed=1)
    acme = Namespace(
        tags={str(t["id"]): t for t in (tag(1, "VIP"), tag(2, "Newsletter"), tag(9, "Nine"))},
        entities={KIND: {"101": profile(101, 1, 9), "102": profile(102)}},
    )
    globex = Namespace(tags={"11": tag(11, "VIP")}, entities={KIND: {"201": profile(201, 11)}})
    s.put_tenant(VENDOR, "acme", acme, ["acme-token"])
    s.put_tenant(VENDOR, "globex", globex, ["globex-token"])
    s.bump_int(VENDOR, "tag", 11)  # the highest fixture id of both tenants
    return s


@pytest.fixture
def backend(store: MemoryStore) -> HealviBackend:
    clock = Clock()
    clock.freeze(FROZEN)
    return HealviBackend(store, clock)


def state(store: MemoryStore) -> dict[str, Any]:
    snap = store.snapshot()
    snap.pop("revision")
    return snap


def carried(store: MemoryStore, profile_id: str, tenant: str = "acme") -> list[str]:
    with store.read(VENDOR, tenant) as ns:
        return list(ns.kind(KIND)[profile_id].tags)


def ids(tags: list[dict[str, Any]]) -> list[int]:
    return [t["id"] for t in tags]


# -- get_profile -------------------------------------------------------------------------------
def test_get_profile_returns_the_profile_attributes(backend: HealviBackend) -> None:
    assert backend.get_profile("acme", 101) == {"id": 101, "name": "Profile 101"}


@pytest.mark.parametrize("profile_id", [999, 201])
def test_get_profile_unknown_or_other_tenants_profile_is_not_found(
    backend: HealviBackend, profile_id: int
) -> None:
    with pytest.raises(e.NotFound):
        backend.get_profile("acme", profile_id)


# -- sync: attaching by id ---------------------------------------------------------------------
def test_sync_makes_the_set_exactly_the_listed_ids(
    backend: HealviBackend, store: MemoryStore
) -> None:
    result = backend.sync_profile_tags("acme", 101, {"tags": [{"id": 2}, {"id": 1}]})
    assert ids(result) == [1, 2]
    assert sorted(carried(store, "101")) == ["1", "2"]


def test_sync_detaches_unlisted_tags_without_deleting_them(
    backend: HealviBackend, store: MemoryStore
) -> None:
    backend.sync_profile_tags("acme", 101, {"tags": [{"id": 2}]})
    assert carried(store, "101") == ["2"]
    with store.read(VENDOR, "acme") as ns:
        assert set(ns.tags) == {"1", "2", "9"}


def test_sync_with_empty_list_detaches_all(backend: HealviBackend, store: MemoryStore) -> None:
    assert backend.sync_profile_tags("acme", 101, {"tags": []}) == []
    assert carried(store, "101") == []
    with store.read(VENDOR, "acme") as ns:
        assert set(ns.tags) == {"1", "2", "9"}


def test_sync_duplicate_ids_count_once(backend: HealviBackend, store: MemoryStore) -> None:
    result = backend.sync_profile_tags(
        "acme", 102, {"tags": [{"id": 2}, {"id": 2}, {"id": 1}, {"id": 2}]}
    )
    assert ids(result) == [1, 2]
    assert sorted(carried(store, "102")) == ["1", "2"]


def test_sync_id_wins_over_title(backend: HealviBackend, store: MemoryStore) -> None:
    before = state(store)["counters"]
    result = backend.sync_profile_tags("acme", 102, {"tags": [{"id": 2, "title": "Renamed?"}]})
    assert result == [tag(2, "Newsletter")]
    assert state(store)["counters"] == before  # no tag created


def test_sync_integral_float_id_names_the_same_tag(backend: HealviBackend) -> None:
    assert ids(backend.sync_profile_tags("acme", 102, {"tags": [{"id": 1.0}]})) == [1]


def test_sync_answer_is_ordered_by_numeric_id(backend: HealviBackend) -> None:
    # "10" < "9" as text; the answer must order 9 before 10.
    result = backend.sync_profile_tags(
        "acme", 102, {"tags": [{"title": "Twelve"}, {"id": 9}, {"id": 1}]}
    )
    assert ids(result) == [1, 9, 12]


def test_sync_answer_is_the_full_tag_records(backend: HealviBackend) -> None:
    assert backend.sync_profile_tags("acme", 102, {"tags": [{"id": 1}]}) == [tag(1, "VIP")]


# -- sync: creating by title -------------------------------------------------------------------
def test_sync_title_only_creates_a_tag_with_the_next_id_and_clock_time(
    backend: HealviBackend, store: MemoryStore
) -> None:
    result = backend.sync_profile_tags(
        "acme", 101, {"tags": [{"id": None, "title": "Rückruf"}, {"id": 1}]}
    )
    created = {"id": 12, "title": "Rückruf", "created_at": FROZEN_TEXT, "updated_at": FROZEN_TEXT}
    assert result == [tag(1, "VIP"), created]
    with store.read(VENDOR, "acme") as ns:
        assert ns.tags["12"] == created
    assert sorted(carried(store, "101")) == ["1", "12"]


def test_sync_title_matching_an_existing_tag_still_creates_a_new_one(
    backend: HealviBackend, store: MemoryStore
) -> None:
    result = backend.sync_profile_tags("acme", 102, {"tags": [{"title": "VIP"}, {"title": "VIP"}]})
    assert [(t["id"], t["title"]) for t in result] == [(12, "VIP"), (13, "VIP")]
    with store.read(VENDOR, "acme") as ns:
        assert [t["title"] for t in ns.tags.values()].count("VIP") == 3


def test_sync_trims_titles(backend: HealviBackend) -> None:
    assert (
        backend.sync_profile_tags("acme", 102, {"tags": [{"title": "  Lead \n"}]})[0]["title"]
        == "Lead"
    )


def test_sync_new_ids_are_global_across_tenants(backend: HealviBackend) -> None:
    assert ids(backend.sync_profile_tags("globex", 201, {"tags": [{"title": "G"}]})) == [12]
    assert ids(backend.sync_profile_tags("acme", 102, {"tags": [{"title": "A"}]})) == [13]


# -- sync: rejected requests change nothing ----------------------------------------------------
@pytest.mark.parametrize(
    ("items", "field", "text"),
    [
        (
            [{"title": "New"}, {"id": 1}, {"id": 999}],
            "tags.2.id",
            "The selected tags.2.id is invalid.",
        ),
        ([{"title": "New"}, {"id": 11}], "tags.1.id", "The selected tags.1.id is invalid."),
        (
            [{"title": "New"}, {}],
            "tags.1.title",
            "The tags.1.title field is required when tags.1.id is not present.",
        ),
        (
            [{"title": "New"}, {"id": None, "title": "   "}],
            "tags.1.title",
            "The tags.1.title field is required when tags.1.id is not present.",
        ),
    ],
    ids=["unknown-id", "other-tenants-id", "neither", "blank-title"],
)
def test_sync_invalid_item_raises_invalid_and_changes_nothing(
    backend: HealviBackend,
    store: MemoryStore,
    items: list[dict[str, Any]],
    field: str,
    text: str,
) -> None:
    before = state(store)
    with pytest.raises(e.Invalid) as caught:
        backend.sync_profile_tags("acme", 101, {"tags": items})
    assert caught.value.fields == {field: [text]}
    assert caught.value.message == text
    assert state(store) == before  # no tag created, nothing detached, no id consumed


def test_sync_reports_every_bad_item(backend: HealviBackend) -> None:
    with pytest.raises(e.Invalid) as caught:
        backend.sync_profile_tags("acme", 101, {"tags": [{"id": 998}, {"id": 1}, {"title": ""}]})
    assert list(caught.value.fields) == ["tags.0.id", "tags.2.title"]
    assert caught.value.message == "The selected tags.0.id is invalid. (and 1 more error)"


def test_sync_rejected_request_does_not_consume_an_id(backend: HealviBackend) -> None:
    with pytest.raises(e.Invalid):
        backend.sync_profile_tags("acme", 101, {"tags": [{"title": "New"}, {"id": 999}]})
    assert ids(backend.sync_profile_tags("acme", 101, {"tags": [{"title": "New"}]})) == [12]


@pytest.mark.parametrize("profile_id", [999, 201])
def test_sync_unknown_or_other_tenants_profile_is_not_found_and_changes_nothing(
    backend: HealviBackend, store: MemoryStore, profile_id: int
) -> None:
    before = state(store)
    with pytest.raises(e.NotFound):
        backend.sync_profile_tags("acme", profile_id, {"tags": [{"title": "New"}]})
    assert state(store) == before


def test_concurrent_syncs_are_atomic_and_ids_unique(
    backend: HealviBackend, store: MemoryStore
) -> None:
    results: list[list[int]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        got = ids(backend.sync_profile_tags("acme", 102, {"tags": [{"title": f"T{n}"}, {"id": 1}]}))
        with lock:
            results.append(got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = sorted(r[1] for r in results)
    assert created == list(range(12, 28))  # each request created exactly one, unique id
    assert all(r[0] == 1 and len(r) == 2 for r in results)
    final = carried(store, "102")
    assert len(final) == 2 and "1" in final  # the last sync's set, never a mix


# -- the vendor: fixtures ----------------------------------------------------------------------
@pytest.fixture
def runtime() -> Runtime:
    rt = Runtime.build(Settings(vendors=("healvi",), seed=1))
    rt.clock.freeze(FROZEN)
    return rt


FIXTURE = """
vendor: healvi
tenants:
  one:
    credentials: ["t-one"]
    tags:
      - {{ id: 5, title: " Spaced ", created_at: "2023-01-01T14:00:00+02:00" }}
    profiles:
      - {{ id: 50, name: "Min", tags: [5] {extra} }}
  two:
    credentials: ["t-two"]
    tags:
      - {{ id: {two_tag}, title: "Other" }}
    profiles: []
"""


def load(runtime: Runtime, extra: str = "", two_tag: int = 30) -> Namespace:
    doc = runtime.check_fixture(
        "healvi", parse_fixture_text(FIXTURE.format(extra=extra, two_tag=two_tag))
    )
    return HEALVI.load_tenant(doc, "one", runtime)[0]


def test_load_tenant_fills_profile_defaults_that_keep_the_spec(runtime: Runtime) -> None:
    ns = load(runtime)
    attrs = ns.kind(KIND)["50"].attrs
    assert attrs["salutation"] == "informal"
    assert attrs["gender"] == "undisclosed"
    assert attrs["custom_1"] is None and attrs["date_of_birth"] is None
    assert attrs["created_at"] == attrs["updated_at"] == FROZEN_TEXT
    contract = compile_contract("healvi", spec_path(runtime.settings, "healvi"))
    _, schema = contract.operations["getProfile"].response_schema(200)
    assert schema is not None
    assert schema.violations({"data": attrs}) == []


def test_load_tenant_normalises_tags_to_utc_and_trims(runtime: Runtime) -> None:
    ns = load(runtime)
    assert ns.tags["5"] == {
        "id": 5,
        "title": "Spaced",
        "created_at": "2023-01-01T12:00:00Z",
        "updated_at": "2023-01-01T12:00:00Z",
    }
    assert ns.kind(KIND)["50"].tags == ["5"]


def test_load_tenant_bumps_the_id_counter_past_every_tenants_tags(runtime: Runtime) -> None:
    load(runtime, two_tag=30)
    assert runtime.store.next_int("healvi", "tag") == 31


@pytest.mark.parametrize(
    ("extra", "two_tag", "complaint"),
    [
        (', nmae: "typo"', 30, "nmae"),
        (', gender: "unknown"', 30, "gender"),
        ("", 5, "tag id"),  # the same tag id in two tenants
    ],
)
def test_fixture_mistakes_are_refused_with_a_line(
    runtime: Runtime, extra: str, two_tag: int, complaint: str
) -> None:
    with pytest.raises(FixtureError) as caught:
        load(runtime, extra, two_tag)
    assert caught.value.line is not None
    assert complaint in str(caught.value)


def test_fixture_tag_of_another_tenant_is_refused(runtime: Runtime) -> None:
    text = FIXTURE.format(extra="", two_tag=30).replace("tags: [5]", "tags: [30]")
    with pytest.raises(FixtureError, match="not a tag of tenant 'one'"):
        runtime.check_fixture("healvi", parse_fixture_text(text))


def test_default_fixture_loads_and_new_ids_follow_it(runtime: Runtime) -> None:
    runtime.load_fixtures()
    with runtime.store.read("healvi", "acme") as ns:
        assert list(ns.tags) == ["1", "2", "3", "4"]
        assert ns.kind(KIND)["101"].tags == ["1", "3"]
    assert runtime.store.tenant_of("healvi", "healvi-acme-token-2") == "acme"
    assert runtime.store.tenant_of("healvi", "healvi-globex-token") == "globex"
    assert runtime.store.next_int("healvi", "tag") == 14


# -- the vendor: errors ------------------------------------------------------------------------
def sync_contract(runtime: Runtime) -> Callable[[int, Any], list[str]]:
    contract = compile_contract("healvi", spec_path(runtime.settings, "healvi"))
    op = contract.operations["syncProfileTags"]

    def check(status: int, body: Any) -> list[str]:
        documented, schema = op.response_schema(status)
        assert documented, status
        assert schema is not None
        return [str(v) for v in schema.violations(body)]

    return check


@pytest.mark.parametrize(
    ("error", "status", "body", "headers"),
    [
        (e.Unauthorized(missing=True), 401, {"message": "Unauthenticated."}, {}),
        (e.NotFound("Profile"), 404, {"message": "Not found."}, {}),
        (e.RouteNotFound("/x"), 404, {"message": "Not found."}, {}),
        (
            e.Invalid("first", {"tags.0.id": ["first"]}),
            422,
            {"message": "first", "errors": {"tags.0.id": ["first"]}},
            {},
        ),
        (
            e.BadRequest("The request body is not valid JSON."),
            400,
            {"message": "The request body is not valid JSON."},
            {},
        ),
        (e.PayloadTooLarge(10), 413, {"message": "The request body is too large."}, {}),
        (
            e.UnsupportedMediaType("x"),
            415,
            {"message": "Unsupported Media Type. Send application/json."},
            {},
        ),
        (e.TooManyRequests(7), 429, {"message": "Too Many Attempts."}, {"Retry-After": "7"}),
        (e.ServerFault(), 500, {"message": "Server Error"}, {}),
    ],
)
def test_errors_render_in_laravels_envelope_and_keep_the_spec(
    runtime: Runtime,
    error: e.TagfakeError,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    got_status, got_body, got_headers = HEALVI.render_error(error, runtime)
    assert got_status == status
    assert got_body == body
    assert got_headers == headers
    assert sync_contract(runtime)(status, got_body) == []


def test_injected_fault_keeps_its_own_status(runtime: Runtime) -> None:
    status, body, _ = HEALVI.render_error(e.ServerFault(503, "injected"), runtime)
    assert (status, body) == (503, {"message": "Service Unavailable"})


def test_method_not_allowed_names_the_allowed_methods(runtime: Runtime) -> None:
    status, body, headers = HEALVI.render_error(e.MethodNotAllowed("GET", ["POST"]), runtime)
    assert status == 405
    assert headers == {"Allow": "POST"}
    assert body == {
        "message": "The GET method is not supported for this route. Supported methods: POST."
    }


def test_invalid_body_that_is_not_an_object_is_a_bad_request() -> None:
    err = HEALVI.invalid("syncProfileTags", [Violation("", '[] is not of type "object"')])
    assert isinstance(err, e.BadRequest)


def test_invalid_item_type_error_hides_the_any_of_echo() -> None:
    err = HEALVI.invalid(
        "syncProfileTags",
        [
            Violation("tags.0.id", '"abc" is not of types "null", "integer"'),
            Violation(
                "tags.0", "{} is not valid under any of the schemas listed in the 'anyOf' keyword"
            ),
            Violation("tags", 'is not of type "array"'),
        ],
    )
    assert isinstance(err, e.Invalid)
    assert err.fields == {
        "tags.0.id": ["The tags.0.id field must be an integer."],
        "tags": ["The tags field must be an array."],
    }
    assert err.message == "The tags.0.id field must be an integer. (and 1 more error)"
