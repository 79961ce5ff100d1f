"""Two `tagfake serve --store redis://...` processes on their own ports, one real redis-server:
two replicas of one world. What is made, faulted or journaled through one holds on the other,
and concurrent writes spread over both serialise per tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from tests.process.serving import AUTH, TAGS, Server
from tests.redis_server import RedisServer

pytestmark = pytest.mark.process

CONVERSATION = "/zapini/api/v1/conversations/550e8400-e29b-41d4-a716-446655440047"
NEXOR = {"X-API-Key": "nxr_live_your_api_key"}
JANE = "123e4567-e89b-12d3-a456-426614174000"
#: A DELETE on the admin API says it is meant as one (the guard against cross-site requests).
ADMIN = {"X-Tagfake-Admin": "1"}


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer) -> Iterator[tuple[Server, Server]]:
    args = ("--store", redis_server.url, "--store-prefix", "replicas:")
    first = Server(*args, vendors="zapini,nexor")
    try:
        second = Server(*args, vendors="zapini,nexor")
    except BaseException:
        first.kill()
        raise
    try:
        yield first, second
    finally:
        for one in (first, second):
            code, _ = one.terminate()
            assert code == 0, "".join(one.stderr)[-2000:]


@pytest.fixture(autouse=True)
def fresh(replicas: tuple[Server, Server]) -> None:
    httpx.post(replicas[0].url + "/__admin/reset", json={}).raise_for_status()


def alternating(
    replicas: tuple[Server, Server], n: int, send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """`send` n times at once, the i-th through replica i % 2."""

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=replicas[i % 2].url, timeout=30) as http:
            return send(http, i)

    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(one, range(n)))


def test_the_second_replica_joins_the_world_the_first_created(
    replicas: tuple[Server, Server],
) -> None:
    first, second = replicas
    assert "started from the fixtures" in "".join(first.stdout)
    assert "kept" in "".join(second.stdout)
    for one in replicas:
        health = httpx.get(one.url + "/__admin/health")
        assert health.status_code == 200
        assert (health.json()["status"], health.json()["store"]) == ("ok", "redis")


def test_a_tag_created_through_one_is_listed_updated_and_deleted_through_the_other(
    replicas: tuple[Server, Server],
) -> None:
    first, second = replicas
    with first.client() as a, second.client() as b:
        made = a.post(TAGS, json={"name": "Shared", "color": "#112233"})
        assert made.status_code == 201
        key = made.json()["data"]["tag"]["id"]
        assert key in second.tag_ids()
        assert b.patch(f"{TAGS}/{key}", json={"color": "#445566"}).status_code == 200
        assert a.get(f"{TAGS}/{key}").json()["data"]["tag"]["color"] == "#445566"
        assert b.delete(f"{TAGS}/{key}").status_code in (200, 204)
        assert a.get(f"{TAGS}/{key}").status_code == 404


def test_64_concurrent_syncs_alternating_between_replicas_leave_one_requests_set(
    replicas: tuple[Server, Server],
) -> None:
    first, _ = replicas
    tags = sorted(first.tag_ids())
    sets = [[tags[i % 4], tags[(i + 1) % 4]] if i % 3 else [tags[i % 4]] for i in range(64)]
    answers = alternating(
        replicas,
        64,
        lambda http, i: http.put(f"{CONVERSATION}/tags", json={"tag_ids": sets[i]}, headers=AUTH),
    )
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers][:3]
    for one in replicas:
        with one.client() as http:
            conv = http.get(CONVERSATION).json()["data"]["conversation"]
            listed = http.get(TAGS).json()["data"]["tags"]
        assert [t["id"] for t in conv["tags"]] in sets
        state = httpx.get(one.url + "/__admin/state/zapini/acme").json()
        conversations = state["entities"]["conversations"]
        for tag in listed:  # every live count agrees with the conversations' sets
            assert tag["conversations_count"] == sum(tag["id"] in c["tags"] for c in conversations)


def test_64_concurrent_nexor_lead_syncs_alternating_between_replicas_serialise(
    replicas: tuple[Server, Server],
) -> None:
    sets = [[f"Load {i}", f"Shared {i % 3}"] for i in range(64)]
    answers = alternating(
        replicas,
        64,
        lambda http, i: http.put(
            "/nexor/api/public/leads/tags", json={"lead_id": JANE, "tags": sets[i]}, headers=NEXOR
        ),
    )
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers][:3]
    with httpx.Client(base_url=replicas[1].url, headers=NEXOR) as http:
        final = sorted(
            t["name"] for t in http.get(f"/nexor/api/public/leads/{JANE}/tags").json()["data"]
        )
        slugs = [t["slug"] for t in http.get("/nexor/api/public/tags").json()["data"]]
    assert final in [sorted(s) for s in sets]
    assert len(slugs) == len(set(slugs))  # find-or-create made one tag per slug


def test_200_concurrent_creates_of_one_name_across_both_give_one_201(
    replicas: tuple[Server, Server],
) -> None:
    answers = alternating(
        replicas,
        200,
        lambda http, i: http.post(TAGS, json={"name": "Race", "color": "#000000"}, headers=AUTH),
    )
    assert sorted(r.status_code for r in answers) == [201] + [422] * 199
    for one in replicas:
        with one.client() as http:
            names = [t["name"] for t in http.get(TAGS).json()["data"]["tags"]]
        assert names.count("Race") == 1


def test_a_fault_set_through_one_fires_on_the_other_once(replicas: tuple[Server, Server]) -> None:
    first, second = replicas
    rule = {"match": {"vendor": "zapini"}, "effect": {"kind": "status", "status": 503}, "times": 1}
    assert httpx.post(first.url + "/__admin/faults", json=rule).status_code == 201
    with second.client() as b, first.client() as a:
        assert b.get(TAGS).status_code == 503
        # times=1 counted across replicas: the next request, through either, goes through.
        assert a.get(TAGS).status_code == 200
        assert b.get(TAGS).status_code == 200
    [listed] = httpx.get(first.url + "/__admin/faults").json()["faults"]
    assert listed["applied"] == 1


def test_the_clock_set_through_one_holds_on_the_other(replicas: tuple[Server, Server]) -> None:
    first, second = replicas
    moment = "2031-05-06T07:08:09Z"
    assert httpx.post(first.url + "/__admin/clock", json={"at": moment}).status_code == 200
    assert httpx.get(second.url + "/__admin/clock").json() == {"now": moment, "frozen": True}
    with second.client() as http:
        made = http.post(TAGS, json={"name": "Frozen", "color": "#123456"})
    assert made.json()["data"]["tag"]["created_at"] == moment


def test_the_journal_read_through_either_holds_both_replicas_requests(
    replicas: tuple[Server, Server],
) -> None:
    first, _ = replicas
    httpx.delete(first.url + "/__admin/journal", headers=ADMIN).raise_for_status()
    alternating(replicas, 40, lambda http, i: http.get(TAGS, headers=AUTH))
    seen = []
    for one in replicas:
        journal = httpx.get(one.url + "/__admin/journal").json()
        assert journal["total"] == 40
        seen.append([e["id"] for e in journal["entries"]])
        assert len({e["worker"] for e in journal["entries"]}) == 2
    assert seen[0] == seen[1]


def test_a_reset_deletes_only_its_own_prefix(
    replicas: tuple[Server, Server], redis_server: RedisServer
) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.set("someone-else:key", "kept")
    try:
        httpx.post(replicas[1].url + "/__admin/reset", json={}).raise_for_status()
        assert client.get("someone-else:key") == "kept"
        assert all(k.startswith("replicas:") for k in client.scan_iter() if k != "someone-else:key")
    finally:
        client.delete("someone-else:key")
        client.close()
