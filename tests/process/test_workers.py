"""`tagfake serve --workers 2 --store sqlite:PATH`: two processes on one port behave as one
server. Concurrent writes spread over both serialise; a fault rule, a clock change or a reset
made through one worker holds on the other (`X-Tagfake-Worker` names the one that answered)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.process.serving import AUTH, TAGS, Server

pytestmark = pytest.mark.process

CONVERSATION = "/zapini/api/v1/conversations/550e8400-e29b-41d4-a716-446655440047"
NEXOR = {"X-API-Key": "nxr_live_your_api_key"}
JANE = "123e4567-e89b-12d3-a456-426614174000"
WORKER = "x-tagfake-worker"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("workers") / "tagfake.db"
    running = Server("--store", f"sqlite:{path}", "--workers", "2", vendors="zapini,nexor")
    try:
        yield running
    finally:
        code, _ = running.terminate()
        assert code == 0, "".join(running.stderr)[-2000:]


@pytest.fixture(autouse=True)
def fresh(server: Server) -> None:
    httpx.post(server.url + "/__admin/reset", json={}).raise_for_status()


def on_worker(
    server: Server, want: Callable[[str], bool], send: Callable[[httpx.Client], Any]
) -> Any:
    """`send` on new connections until a worker `want` accepts answers it (the kernel hands a
    new connection to whichever worker accepts first). `send` may go out several times: only
    requests that may be repeated (reads, or the same setting again)."""
    for _ in range(400):
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as http:
            response = send(http)
        if want(response.headers[WORKER]):
            return response
    raise AssertionError("the other worker never answered")


def workers_of(responses: list[httpx.Response]) -> set[str]:
    return {r.headers[WORKER] for r in responses}


def parallel(n: int, fn: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(fn, range(n)))


def test_both_workers_serve_and_say_so(server: Server) -> None:
    health = httpx.get(server.url + "/__admin/health").json()
    assert (health["store"], health["workers"]) == ("sqlite", 2)
    first = on_worker(server, lambda pid: True, lambda http: http.get(TAGS))
    other = on_worker(server, lambda pid: pid != first.headers[WORKER], lambda http: http.get(TAGS))
    assert first.json() == other.json()


def test_64_concurrent_syncs_over_both_workers_leave_exactly_one_requests_set(
    server: Server,
) -> None:
    tags = [t["id"] for t in httpx.get(server.url + TAGS, headers=AUTH).json()["data"]["tags"]]
    sets = [[tags[i % 4], tags[(i + 1) % 4]] if i % 3 else [tags[i % 4]] for i in range(64)]

    def sync(i: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
            return http.put(f"{CONVERSATION}/tags", json={"tag_ids": sets[i]})

    answers = parallel(64, sync)
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers][:3]
    assert len(workers_of(answers)) == 2, "the load did not reach both workers"
    with httpx.Client(base_url=server.url, headers=AUTH) as http:
        final = [t["id"] for t in http.get(CONVERSATION).json()["data"]["conversation"]["tags"]]
        listed = http.get(TAGS).json()["data"]["tags"]
    state = httpx.get(server.url + "/__admin/state/zapini/acme").json()
    conversations = state["entities"]["conversations"]
    assert final in sets
    for tag in listed:  # every live count agrees with the conversations' sets
        carrying = sum(tag["id"] in c["tags"] for c in conversations)
        assert tag["conversations_count"] == carrying, tag


def test_64_concurrent_nexor_lead_syncs_over_both_workers_serialise(server: Server) -> None:
    sets = [[f"Load {i}", f"Shared {i % 3}"] for i in range(64)]

    def sync(i: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, headers=NEXOR, timeout=30) as http:
            return http.put("/nexor/api/public/leads/tags", json={"lead_id": JANE, "tags": sets[i]})

    answers = parallel(64, sync)
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers][:3]
    assert len(workers_of(answers)) == 2
    with httpx.Client(base_url=server.url, headers=NEXOR) as http:
        final = sorted(
            t["name"] for t in http.get(f"/nexor/api/public/leads/{JANE}/tags").json()["data"]
        )
        slugs = [t["slug"] for t in http.get("/nexor/api/public/tags").json()["data"]]
    assert final in [sorted(s) for s in sets]
    assert len(slugs) == len(set(slugs))  # find-or-create made one tag per slug


def test_200_concurrent_creates_of_one_name_over_both_workers_give_one_201(
    server: Server,
) -> None:
    def create(i: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
            return http.post(TAGS, json={"name": "Race", "color": "#000000"})

    answers = parallel(200, create)
    assert sorted(r.status_code for r in answers) == [201] + [422] * 199
    assert len(workers_of(answers)) == 2
    names = [t["name"] for t in httpx.get(server.url + TAGS, headers=AUTH).json()["data"]["tags"]]
    assert names.count("Race") == 1


def test_a_fault_rule_set_through_one_worker_fires_on_the_other(server: Server) -> None:
    rule = {"match": {"vendor": "zapini"}, "effect": {"kind": "status", "status": 503}}
    added = on_worker(
        server, lambda pid: True, lambda http: http.post("/__admin/faults", json=rule)
    )
    assert added.status_code == 201
    adder = added.headers[WORKER]
    faulted = on_worker(server, lambda pid: pid != adder, lambda http: http.get(TAGS))
    assert faulted.status_code == 503
    removed = on_worker(
        server, lambda pid: True, lambda http: http.delete(f"/__admin/faults/{added.json()['id']}")
    )
    assert removed.status_code == 200, removed.text
    healed = on_worker(
        server, lambda pid: pid != removed.headers[WORKER], lambda http: http.get(TAGS)
    )
    assert healed.status_code == 200


def test_a_rules_times_count_every_workers_matches(server: Server) -> None:
    rule = {"effect": {"kind": "status", "status": 503}, "times": 3}
    httpx.post(server.url + "/__admin/faults", json=rule).raise_for_status()
    answers = parallel(24, lambda i: httpx.get(server.url + TAGS, headers=AUTH))
    assert len(workers_of(answers)) == 2
    assert sorted(r.status_code for r in answers) == [200] * 21 + [503] * 3
    [listed] = httpx.get(server.url + "/__admin/faults").json()["faults"]
    assert (listed["matched"], listed["applied"]) == (24, 3)


def test_a_fault_header_counts_its_retries_across_workers(server: Server) -> None:
    header = {"X-Tagfake-Fault": "status=503; times=1"}
    first = on_worker(server, lambda pid: True, lambda http: http.get(TAGS, headers=header))
    assert first.status_code == 503
    retry = on_worker(
        server,
        lambda pid: pid != first.headers[WORKER],
        lambda http: http.get(TAGS, headers=header),
    )
    assert retry.status_code == 200


def test_clock_and_reset_through_one_worker_hold_on_the_other(server: Server) -> None:
    moment = "2031-05-06T07:08:09Z"
    set_by = on_worker(
        server, lambda pid: True, lambda http: http.post("/__admin/clock", json={"at": moment})
    )
    seen = on_worker(
        server, lambda pid: pid != set_by.headers[WORKER], lambda http: http.get("/__admin/clock")
    )
    assert seen.json() == {"now": moment, "frozen": True}
    created = on_worker(  # any worker: a create is not to be repeated until one answers
        server,
        lambda pid: True,
        lambda http: http.post(TAGS, json={"name": "Frozen", "color": "#123456"}),
    )
    assert created.status_code == 201, created.text
    assert created.json()["data"]["tag"]["created_at"] == moment
    reset = on_worker(server, lambda pid: True, lambda http: http.post("/__admin/reset", json={}))
    after = on_worker(server, lambda pid: pid != reset.headers[WORKER], lambda http: http.get(TAGS))
    assert "Frozen" not in [t["name"] for t in after.json()["data"]["tags"]]
    clock = on_worker(
        server, lambda pid: pid != reset.headers[WORKER], lambda http: http.get("/__admin/clock")
    )
    assert clock.json()["frozen"] is False


def test_the_journal_holds_both_workers_requests(server: Server) -> None:
    httpx.delete(
        server.url + "/__admin/journal", headers={"X-Tagfake-Admin": "1"}
    ).raise_for_status()
    answers = parallel(40, lambda i: httpx.get(server.url + TAGS, headers=AUTH))
    journal = httpx.get(server.url + "/__admin/journal").json()
    assert journal["total"] == 40
    assert {str(e["worker"]) for e in journal["entries"]} == workers_of(answers)
    assert len(workers_of(answers)) == 2


def test_a_seeded_server_repeats_its_ids(tmp_path: Path) -> None:
    ids = []
    for run in range(2):
        path = tmp_path / f"run{run}.db"
        one = Server("--store", f"sqlite:{path}", "--seed", "7")
        try:
            with one.client() as http:
                made = [
                    http.post(TAGS, json={"name": f"Seeded {i}", "color": "#000000"})
                    for i in range(3)
                ]
            ids.append([r.json()["data"]["tag"]["id"] for r in made])
        finally:
            one.kill()
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 3
