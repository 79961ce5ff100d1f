"""Atomic under concurrent requests: many clients syncing and creating at once through a real
server; every answer and the final state are consistent with some serial order."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tagfake.settings import Settings
from tagfake.testing.server import ThreadedServer

pytestmark = pytest.mark.process

NEXOR = {"X-API-Key": "nxr_live_your_api_key", "Content-Type": "application/json"}
ZAPINI = {
    "Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6",
    "Content-Type": "application/json",
}
JANE = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with ThreadedServer(Settings(validation="enforce", seed=5)) as server:
        yield server.url


def call(url: str, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_concurrent_syncs_of_one_lead_serialise(url: str) -> None:
    sets = [[f"Load {i}", f"Shared {i % 3}"] for i in range(8)]
    answers: list[Any] = [None] * len(sets)

    def sync(i: int) -> None:
        for _ in range(5):
            answers[i] = call(
                url,
                "PUT",
                "/nexor/api/public/leads/tags",
                NEXOR,
                {"lead_id": JANE, "tags": sets[i]},
            )

    threads = [threading.Thread(target=sync, args=(i,)) for i in range(len(sets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(status == 200 for status, _ in answers)
    status, lead = call(url, "GET", f"/nexor/api/public/leads/{JANE}/tags", NEXOR)
    assert status == 200
    final = sorted(t["name"] for t in lead["data"])
    assert final in [sorted(s) for s in sets], final
    # find-or-create under contention made exactly one tag per slug
    status, listed = call(url, "GET", "/nexor/api/public/tags", NEXOR)
    assert status == 200
    slugs = [t["slug"] for t in listed["data"]]
    assert len(slugs) == len(set(slugs))
    for i in range(8):
        assert f"load-{i}" in slugs


def test_concurrent_creates_of_one_name_make_exactly_one_tag(url: str) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def create() -> None:
        status, _ = call(
            url, "POST", "/zapini/api/v1/tags", ZAPINI, {"name": "Race", "color": "#000000"}
        )
        with lock:
            results.append(status)

    threads = [threading.Thread(target=create) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201] + [422] * 11
    status, body = call(url, "GET", "/zapini/api/v1/tags", ZAPINI)
    assert status == 200
    assert [t["name"] for t in body["data"]["tags"]].count("Race") == 1


def test_concurrent_added_and_removed_chain_without_gaps(url: str) -> None:
    """Each sync's `removed` is exactly what the sync before it (in store order) left."""
    lead = JANE
    call(url, "PUT", "/nexor/api/public/leads/tags", NEXOR, {"lead_id": lead, "tags": []})
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def sync(i: int) -> None:
        _, body = call(
            url,
            "PUT",
            "/nexor/api/public/leads/tags",
            NEXOR,
            {"lead_id": lead, "tags": [f"Step {i}"]},
        )
        with lock:
            answers.append(body)

    threads = [threading.Thread(target=sync, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every tag added by one sync is removed by exactly one later sync, except the last one's.
    added = [a["added"][0] for a in answers]
    removed = [r for a in answers for r in a["removed"]]
    assert len(removed) == len(set(removed)) == 9
    assert set(removed) < set(added)
