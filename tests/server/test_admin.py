"""The admin API: health, reset, seed, state, journal, faults, clock, rate limits."""

from __future__ import annotations

from typing import Any

import pytest

from tagfake.admin.journal import JournalQuery
from tests.conftest import World

ZAPINI_TOKEN = "sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
VIP = "550e8400-e29b-41d4-a716-446655440001"
MARIA = "550e8400-e29b-41d4-a716-446655440045"


def admin(world: World, method: str, path: str, **kwargs: Any) -> Any:
    """An admin call as tagfake's own clients make it (with the X-Tagfake-Admin header)."""
    headers = {"X-Tagfake-Admin": "1", **kwargs.pop("headers", {})}
    r = world.http.request(method, f"/__admin{path}", headers=headers, **kwargs)
    assert "x-tagfake-violations" not in r.headers, r.headers["x-tagfake-violations"]
    return r


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert body["detail"]
    return body


def zapini_get(world: World, path: str, **headers: str) -> Any:
    return world.http.get(
        f"/zapini/api/v1{path}", headers={"Authorization": f"Bearer {ZAPINI_TOKEN}", **headers}
    )


def create_zapini_tag(world: World, name: str) -> Any:
    return world.http.post(
        "/zapini/api/v1/tags",
        json={"name": name, "color": "#123456"},
        headers={"Authorization": f"Bearer {ZAPINI_TOKEN}"},
    )


# -- health, state ---------------------------------------------------------------------------
def test_health_names_the_version_vendors_and_store(world: World) -> None:
    body = admin(world, "GET", "/health").json()
    assert body["status"] == "ok"
    assert body["vendors"] == {
        "healvi": "/healvi/third-party/v1",
        "commbox": "/commbox",
        "zapini": "/zapini/api/v1",
        "nexor": "/nexor/api/public",
    }
    assert body["store"] == "memory"
    assert body["uptime_seconds"] >= 0


def test_state_shows_a_tenants_tags_and_each_entitys_tag_set(world: World) -> None:
    body = admin(world, "GET", "/state/zapini/acme").json()
    assert ZAPINI_TOKEN in body["credentials"]
    assert VIP in [t["id"] for t in body["tags"]]
    maria = next(e for e in body["entities"]["conversations"] if e["id"] == MARIA)
    assert maria["tags"] == [VIP]


def test_state_follows_changes_made_through_the_vendor_api(world: World) -> None:
    tag_id = create_zapini_tag(world, "Fresh").json()["data"]["tag"]["id"]
    names = [t["name"] for t in admin(world, "GET", "/state/zapini/acme").json()["tags"]]
    assert "Fresh" in names
    assert tag_id in [t["id"] for t in admin(world, "GET", "/state/zapini/acme").json()["tags"]]


@pytest.mark.parametrize("path", ["/state/zapini/nobody", "/state/acme/acme", "/nowhere"])
def test_unknown_state_or_route_is_a_404_problem(world: World, path: str) -> None:
    problem(admin(world, "GET", path), 404)


def test_unsupported_method_is_a_405_problem_with_allow(world: World) -> None:
    r = admin(world, "DELETE", "/health")
    problem(r, 405)
    assert r.headers["allow"] == "GET"


# -- reset ------------------------------------------------------------------------------------
def test_reset_everything_restores_fixtures_and_clears_journal_and_faults(world: World) -> None:
    create_zapini_tag(world, "Gone soon")
    admin(world, "POST", "/faults", json={"effect": {"kind": "status", "status": 503}})
    admin(world, "POST", "/clock", json={"freeze": True})
    r = admin(world, "POST", "/reset")
    assert r.json() == {"reset": {"vendor": None, "tenant": None}}
    names = [t["name"] for t in zapini_get(world, "/tags").json()["data"]["tags"]]
    assert "Gone soon" not in names
    assert admin(world, "GET", "/faults").json()["faults"] == []
    assert admin(world, "GET", "/clock").json()["frozen"] is False
    assert admin(world, "GET", "/journal").json()["entries"][-1]["operation_id"] == "listTags"


def test_reset_one_tenant_leaves_the_others_alone(world: World) -> None:
    create_zapini_tag(world, "Acme's")
    globex = world.client("zapini", "globex")
    globex.post("/tags", json={"name": "Globex's", "color": "#123456"})
    admin(world, "POST", "/reset", json={"vendor": "zapini", "tenant": "acme"})
    assert "Acme's" not in [t["name"] for t in zapini_get(world, "/tags").json()["data"]["tags"]]
    assert "Globex's" in [t["name"] for t in globex.get("/tags").json()["data"]["tags"]]


def test_reset_with_a_tenant_needs_the_vendor(world: World) -> None:
    problem(admin(world, "POST", "/reset", json={"tenant": "acme"}), 422)


@pytest.mark.parametrize(
    "body", [{"vendor": "acme"}, {"vendor": "zapini", "extra": 1}, {"tenant": 5}]
)
def test_reset_refuses_a_bad_body(world: World, body: dict[str, Any]) -> None:
    problem(admin(world, "POST", "/reset", json=body), 422)


def test_reset_refuses_malformed_json(world: World) -> None:
    r = admin(world, "POST", "/reset", content=b"{", headers={"Content-Type": "application/json"})
    problem(r, 400)


# -- seed -------------------------------------------------------------------------------------
DOC: dict[str, Any] = {
    "vendor": "zapini",
    "tenants": {
        "initech": {
            "credentials": ["initech-token"],
            "tags": [
                {"id": "11111111-1111-4111-8111-111111111111", "name": "TPS", "color": "#000000"}
            ],
            "conversations": [
                {
                    "id": "22222222-2222-4222-8222-222222222222",
                    "tags": ["11111111-1111-4111-8111-111111111111"],
                }
            ],
        }
    },
}


def test_seed_an_inline_document_adds_a_tenant_reachable_by_its_credential(world: World) -> None:
    r = admin(world, "POST", "/seed", json={"vendor": "zapini", "document": DOC})
    assert r.json() == {"vendor": "zapini", "tenants": ["initech"]}
    seen = world.http.get(
        "/zapini/api/v1/conversations/22222222-2222-4222-8222-222222222222",
        headers={"Authorization": "Bearer initech-token"},
    )
    assert seen.json()["data"]["conversation"]["tags"][0]["name"] == "TPS"
    assert "acme" in [*world.runtime.store.tenants("zapini")]


def test_seed_a_bad_document_changes_nothing_and_says_where(world: World) -> None:
    before = world.snapshot()
    bad = {**DOC, "tenants": {"initech": {**DOC["tenants"]["initech"], "colour": "x"}}}
    body = problem(admin(world, "POST", "/seed", json={"vendor": "zapini", "document": bad}), 422)
    assert "tenants.initech" in body["detail"]
    assert world.snapshot() == before


def test_seed_refuses_a_credential_another_tenant_holds(world: World) -> None:
    taken = {
        **DOC,
        "tenants": {"initech": {**DOC["tenants"]["initech"], "credentials": [ZAPINI_TOKEN]}},
    }
    before = world.snapshot()
    problem(admin(world, "POST", "/seed", json={"vendor": "zapini", "document": taken}), 422)
    assert world.snapshot() == before


def test_seed_a_named_scenario_reloads_it_and_an_unknown_one_is_404(world: World) -> None:
    create_zapini_tag(world, "Scratch")
    r = admin(
        world, "POST", "/seed", json={"vendor": "zapini", "scenario": "default", "tenant": "acme"}
    )
    assert r.json()["tenants"] == ["acme"]
    assert "Scratch" not in [t["name"] for t in zapini_get(world, "/tags").json()["data"]["tags"]]
    problem(admin(world, "POST", "/seed", json={"vendor": "zapini", "scenario": "nope"}), 404)


def test_seed_needs_exactly_one_of_scenario_and_document(world: World) -> None:
    problem(admin(world, "POST", "/seed", json={"vendor": "zapini"}), 422)
    both = {"vendor": "zapini", "scenario": "default", "document": DOC}
    problem(admin(world, "POST", "/seed", json=both), 422)


# -- journal ----------------------------------------------------------------------------------
def test_journal_records_what_the_client_sent_and_got(world: World) -> None:
    create_zapini_tag(world, "Journaled")
    entry = admin(world, "GET", "/journal", params={"operation": "createTag"}).json()["entries"][-1]
    assert entry["vendor"] == "zapini"
    assert entry["tenant"] == "acme"
    assert entry["method"] == "POST"
    assert entry["path"] == "/zapini/api/v1/tags"
    assert entry["status"] == 201
    assert entry["request"]["body"] == {"name": "Journaled", "color": "#123456"}
    assert entry["request"]["headers"]["authorization"] == "***"
    assert entry["response"]["body"]["data"]["tag"]["name"] == "Journaled"
    assert entry["violations"] == []
    assert entry["fault"] is None


def test_journal_filters_and_limits(world: World) -> None:
    zapini_get(world, "/tags")
    zapini_get(world, f"/tags/{VIP}")
    zapini_get(world, "/tags/00000000-0000-4000-8000-000000000000")
    world.anonymous("zapini").get("/tags")
    j = admin(world, "GET", "/journal", params={"vendor": "zapini", "status": 404}).json()
    assert [e["operation_id"] for e in j["entries"]] == ["getTag"]
    j = admin(world, "GET", "/journal", params={"status": 401}).json()
    assert [e["tenant"] for e in j["entries"]] == [None]
    j = admin(world, "GET", "/journal", params={"path": "/tags/", "limit": 1}).json()
    assert len(j["entries"]) == 1
    assert j["entries"][0]["status"] == 404
    assert j["total"] == 4
    assert admin(world, "GET", "/journal", params={"method": "post"}).json()["entries"] == []


def test_journal_does_not_record_admin_calls_and_can_be_cleared(world: World) -> None:
    zapini_get(world, "/tags")
    admin(world, "GET", "/health")
    assert admin(world, "GET", "/journal").json()["total"] == 1
    assert admin(world, "DELETE", "/journal").json() == {"cleared": 1}
    assert admin(world, "GET", "/journal").json()["entries"] == []


def test_journal_is_bounded_and_drops_the_oldest(world: World) -> None:
    capacity = world.runtime.journal.capacity
    zapini_get(world, "/tags")
    real = dict(world.runtime.journal.query(JournalQuery())["entries"][0])
    real.pop("id")
    for _ in range(capacity + 4):
        world.runtime.journal.record(real)
    j = admin(world, "GET", "/journal", params={"limit": 1}).json()
    assert j["total"] == capacity
    assert j["dropped"] == 5


def test_journal_rejects_bad_filters(world: World) -> None:
    problem(admin(world, "GET", "/journal", params={"status": "abc"}), 422)
    problem(admin(world, "GET", "/journal", params={"vendor": "acme"}), 422)


# -- faults -----------------------------------------------------------------------------------
def add_fault(world: World, spec: dict[str, Any]) -> dict[str, Any]:
    r = admin(world, "POST", "/faults", json=spec)
    assert r.status_code == 201, r.text
    rule: dict[str, Any] = r.json()
    return rule


def test_a_status_fault_answers_in_the_vendors_envelope_for_the_first_n_matches(
    world: World,
) -> None:
    rule = add_fault(
        world,
        {
            "match": {"vendor": "zapini", "operation": "listTags"},
            "effect": {"kind": "status", "status": 503},
            "times": 2,
        },
    )
    statuses = [zapini_get(world, "/tags").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    body = zapini_get(world, "/tags", **{"X-Tagfake-Fault": "status=500"}).json()
    assert body["error"]["code"] == "SERVER_ERROR"
    listed = {r["id"]: r for r in admin(world, "GET", "/faults").json()["faults"]}
    assert listed[rule["id"]]["applied"] == 2
    assert listed[rule["id"]]["matched"] == 3  # the header answered the 4th itself


def test_a_fault_changes_nothing_and_is_journaled(world: World) -> None:
    add_fault(
        world, {"match": {"operation": "createTag"}, "effect": {"kind": "status", "status": 500}}
    )
    before = world.snapshot()
    assert create_zapini_tag(world, "Never").status_code == 500
    assert world.snapshot() == before
    entry = admin(world, "GET", "/journal").json()["entries"][-1]
    assert entry["fault"].endswith("status=500")


def test_faults_match_by_method_path_and_tenant(world: World) -> None:
    add_fault(
        world,
        {
            "match": {"tenant": "globex", "method": "GET", "path": "^/zapini/.*/tags$"},
            "effect": {"kind": "status", "status": 502},
        },
    )
    assert zapini_get(world, "/tags").status_code == 200  # acme
    assert (
        world.client("zapini", "globex")
        .http.get(
            "/zapini/api/v1/tags",
            headers={"Authorization": f"Bearer {world.credential('zapini', 'globex')}"},
        )
        .status_code
        == 502
    )
    assert (
        world.client("zapini", "globex")
        .http.get(
            f"/zapini/api/v1/tags/{VIP}",
            headers={"Authorization": f"Bearer {world.credential('zapini', 'globex')}"},
        )
        .status_code
        == 404
    )


def test_a_rate_limit_fault_is_the_vendors_429_with_retry_after(world: World) -> None:
    add_fault(world, {"effect": {"kind": "rate_limit", "retry_after": 7}, "times": 1})
    r = zapini_get(world, "/tags")
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.json()["error"]["code"] == "RATE_LIMITED"
    assert zapini_get(world, "/tags").status_code == 200


def test_a_malformed_fault_answers_200_with_a_body_that_is_not_json(world: World) -> None:
    add_fault(world, {"effect": {"kind": "malformed"}})
    r = zapini_get(world, "/tags")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


def test_a_delay_fault_answers_normally_after_the_delay(world: World) -> None:
    import time

    add_fault(world, {"effect": {"kind": "delay", "delay_ms": 150}})
    started = time.perf_counter()
    r = zapini_get(world, "/tags")
    assert r.status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_a_probability_fault_with_a_seed_is_reproducible(world: World) -> None:
    def run() -> list[int]:
        admin(world, "DELETE", "/faults")
        add_fault(
            world, {"effect": {"kind": "status", "status": 503}, "probability": 0.5, "seed": 42}
        )
        return [zapini_get(world, "/tags").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert {200, 503} == set(first)


def test_the_fault_header_with_times_lets_the_retry_through(world: World) -> None:
    header = {"X-Tagfake-Fault": "status=503; times=1"}
    assert zapini_get(world, "/tags", **header).status_code == 503
    assert zapini_get(world, "/tags", **header).status_code == 200
    assert (
        zapini_get(world, "/tags", **{"X-Tagfake-Fault": "rate_limit; retry_after=3"}).headers[
            "retry-after"
        ]
        == "3"
    )


def test_a_bad_fault_header_is_the_vendors_400(world: World) -> None:
    r = zapini_get(world, "/tags", **{"X-Tagfake-Fault": "explode"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BAD_REQUEST"


def test_a_dropped_connection_fails_the_call_in_process(world: World) -> None:
    add_fault(world, {"effect": {"kind": "drop"}, "times": 1})
    r = zapini_get(world, "/tags")
    # In-process there is no socket to close: the call fails; tests/process drops a real one.
    assert r.status_code == 500
    entry = admin(world, "GET", "/journal").json()["entries"][-1]
    assert entry["status"] == 0
    assert entry["fault"].endswith("drop")
    assert zapini_get(world, "/tags").status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"effect": {"kind": "explode"}},
        {"effect": {"kind": "status"}},
        {"effect": {"kind": "delay"}},
        {"effect": {"kind": "delay", "delay_ms": 50, "delay_max_ms": 10}},
        {"effect": {"kind": "status", "status": 200}},
        {"match": {"path": "("}, "effect": {"kind": "drop"}},
        {"match": {"vendor": "acme"}, "effect": {"kind": "drop"}},
    ],
)
def test_a_bad_fault_rule_is_refused(world: World, spec: dict[str, Any]) -> None:
    problem(admin(world, "POST", "/faults", json=spec), 422)
    assert admin(world, "GET", "/faults").json()["faults"] == []


def test_fault_rules_can_be_removed_one_by_one_or_all(world: World) -> None:
    one = add_fault(world, {"id": "slow", "effect": {"kind": "delay", "delay_ms": 1}})
    add_fault(world, {"effect": {"kind": "drop"}, "match": {"vendor": "nexor"}})
    assert admin(world, "DELETE", f"/faults/{one['id']}").json()["id"] == "slow"
    problem(admin(world, "DELETE", "/faults/slow"), 404)
    assert admin(world, "DELETE", "/faults").json() == {"cleared": 1}


# -- clock ------------------------------------------------------------------------------------
def test_a_frozen_clock_drives_created_at_and_can_be_advanced(world: World) -> None:
    assert admin(world, "POST", "/clock", json={"at": "2030-01-02T03:04:05Z"}).json() == {
        "now": "2030-01-02T03:04:05Z",
        "frozen": True,
    }
    tag = create_zapini_tag(world, "Dated").json()["data"]["tag"]
    assert tag["created_at"] == "2030-01-02T03:04:05Z"
    admin(world, "POST", "/clock", json={"advance_seconds": 60})
    r = world.http.patch(
        f"/zapini/api/v1/tags/{tag['id']}",
        json={"color": "#000000"},
        headers={"Authorization": f"Bearer {ZAPINI_TOKEN}"},
    )
    assert r.json()["data"]["tag"]["updated_at"] == "2030-01-02T03:05:05Z"
    assert admin(world, "POST", "/clock", json={"release": True}).json()["frozen"] is False


def test_the_clock_refuses_an_empty_or_bad_request(world: World) -> None:
    problem(admin(world, "POST", "/clock", json={}), 422)
    problem(admin(world, "POST", "/clock", json={"at": "yesterday"}), 422)
    problem(admin(world, "POST", "/clock", json={"advance_seconds": -5}), 422)


# -- rate limits ------------------------------------------------------------------------------
def test_rate_limit_mode_can_be_switched_and_lists_the_documented_limits(world: World) -> None:
    body = admin(world, "POST", "/rate-limits", json={"enabled": True}).json()
    assert body["enabled"] is True
    assert body["limits"]["zapini"] == {"requests": 100, "seconds": 900}
    assert admin(world, "POST", "/rate-limits", json={"enabled": False}).json()["enabled"] is False
    problem(admin(world, "POST", "/rate-limits", json={"enabled": "yes"}), 422)


# -- determinism ------------------------------------------------------------------------------
def test_a_seed_makes_generated_ids_repeat_after_a_reset(world: World) -> None:
    first = create_zapini_tag(world, "Seeded").json()["data"]["tag"]["id"]
    admin(world, "POST", "/reset")
    again = create_zapini_tag(world, "Seeded").json()["data"]["tag"]["id"]
    assert first == again


@pytest.mark.parametrize(
    ("vendor", "path"),
    [
        ("healvi", "/profiles/101"),
        ("commbox", "/tags"),
        ("zapini", "/tags"),
        ("nexor", "/tags"),
    ],
)
def test_an_injected_status_keeps_its_status_in_every_vendors_envelope(
    world: World, vendor: str, path: str
) -> None:
    client = world.client(vendor, "acme")
    r = client.http.get(
        client.prefix + path, headers={**client.headers, "X-Tagfake-Fault": "status=503"}
    )
    assert r.status_code == 503
    body = r.json()
    assert isinstance(body, dict)
    assert body  # the vendor's envelope, not an empty answer


def test_a_faulted_request_is_journaled_with_its_tenant_and_body(world: World) -> None:
    r = world.http.post(
        "/zapini/api/v1/tags",
        json={"name": "Retry me", "color": "#123456"},
        headers={"Authorization": f"Bearer {ZAPINI_TOKEN}", "X-Tagfake-Fault": "status=503"},
    )
    assert r.status_code == 503
    entry = admin(world, "GET", "/journal").json()["entries"][-1]
    assert entry["tenant"] == "acme"
    assert entry["request"]["body"] == {"name": "Retry me", "color": "#123456"}
    assert entry["fault"].endswith("status=503")


def test_fault_ids_start_again_after_a_reset(world: World) -> None:
    first = add_fault(world, {"effect": {"kind": "drop"}})["id"]
    admin(world, "POST", "/reset")
    assert add_fault(world, {"effect": {"kind": "drop"}})["id"] == first == "fault-1"
