"""The journal of `tagfake serve --workers N --store sqlite:PATH`: each worker appends to a shard
of its own beside the store, and every worker reads them all as one journal, in order."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.process.serving import AUTH, TAGS, Server
from tests.process.test_workers import WORKER, on_worker

pytestmark = pytest.mark.process

ADMIN = {"X-Tagfake-Admin": "1"}
#: A path of its own for every request a test sends (the journal's path filter is a substring).
_PATHS = itertools.count()


def shards(store: Path) -> list[Path]:
    return sorted(p for p in store.parent.iterdir() if p.name[len(store.name) :][9:].isdigit())


def journal_through(server: Server, pid: str) -> dict[str, Any]:
    """The journal as the worker `pid` reads it."""
    answer = on_worker(server, lambda got: got == pid, lambda http: http.get("/__admin/journal"))
    journal: dict[str, Any] = answer.json()
    return journal


def send_one_by_one(server: Server, n: int) -> list[tuple[str, str]]:
    """n requests, each on a new connection (so both workers serve some), each checked in the
    journal, read through whichever worker, as soon as its answer is in: (path, worker)."""
    sent = []
    for i in range(n):
        path = f"{TAGS}/missing-{next(_PATHS)}-"
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as http:
            answer = http.get(path)
        assert answer.status_code == 404
        with httpx.Client(base_url=server.url, timeout=10) as http:
            found = http.get("/__admin/journal", params={"path": path}).json()["entries"]
        assert [e["path"] for e in found] == [path], f"entry {i} missing right after its answer"
        sent.append((path, answer.headers.get(WORKER, "")))
    return sent


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "tagfake.db"


@pytest.fixture
def two(store: Path) -> Iterator[Server]:
    running = Server("--store", f"sqlite:{store}", "--workers", "2")
    try:
        yield running
    finally:
        code, _ = running.terminate()
        assert code == 0, "".join(running.stderr)[-2000:]


def test_every_workers_entries_are_read_through_either_worker_in_order(
    two: Server, store: Path
) -> None:
    sent = send_one_by_one(two, 30)
    pids = {pid for _, pid in sent}
    assert len(pids) == 2, "the kernel gave every connection to one worker"
    assert len(shards(store)) == 2
    for pid in pids:
        journal = journal_through(two, pid)
        assert journal["total"] == 30
        assert [(e["path"], str(e["worker"])) for e in journal["entries"]] == sent
        ids = [e["id"] for e in journal["entries"]]
        assert ids == sorted(set(ids))
    newest = httpx.get(two.url + "/__admin/journal", params={"limit": 10}).json()
    assert [e["path"] for e in newest["entries"]] == [path for path, _ in sent[20:]]


def test_clear_through_one_worker_empties_every_shard(two: Server) -> None:
    sent = send_one_by_one(two, 12)
    pids = sorted({pid for _, pid in sent})
    assert len(pids) == 2
    cleared = on_worker(
        two,
        lambda got: got == pids[0],
        lambda http: http.delete("/__admin/journal", headers=ADMIN),
    )
    assert cleared.status_code < 300
    for pid in pids:
        journal = journal_through(two, pid)
        assert (journal["total"], journal["entries"], journal["bytes"]) == (0, [], 0)


def test_the_bounds_hold_for_all_shards_together(store: Path) -> None:
    server = Server("--store", f"sqlite:{store}", "--workers", "2", "--journal-bytes", "16384")
    try:
        sent = send_one_by_one(server, 80)
        journal = httpx.get(server.url + "/__admin/journal").json()
    finally:
        code, _ = server.terminate()
        assert code == 0, "".join(server.stderr)[-2000:]
    # Each of the two workers keeps its newest entries within half of the 16 KiB.
    assert journal["bytes"] <= 16384
    assert 0 < journal["total"] == len(journal["entries"]) < 40
    assert journal["total"] + journal["dropped"] == 80
    assert journal["entries"][-1]["path"] == sent[-1][0]
    for pid in {pid for _, pid in sent}:
        mine = [e["path"] for e in journal["entries"] if str(e["worker"]) == pid]
        assert mine and mine == [p for p, w in sent if w == pid][-len(mine) :]


def test_a_worker_that_dies_leaves_its_entries_to_the_one_that_replaces_it(
    two: Server, store: Path
) -> None:
    sent = send_one_by_one(two, 10)
    victim = sent[-1][1]
    os.kill(int(victim), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:  # uvicorn's supervisor starts a new worker in its place
        with httpx.Client(base_url=two.url, timeout=5) as http:
            try:
                answer = http.get("/__admin/journal")
            except httpx.TransportError:
                answer = None
        if answer is not None and answer.headers[WORKER] not in {p for _, p in sent}:
            break
        assert time.monotonic() < deadline, "no worker replaced the one killed"
        time.sleep(0.1)
    assert [(e["path"], str(e["worker"])) for e in answer.json()["entries"]] == sent
    later = send_one_by_one(two, 10)
    assert len(shards(store)) == 2  # the new worker took over the dead one's shard
    journal = httpx.get(two.url + "/__admin/journal").json()
    assert [e["path"] for e in journal["entries"]] == [p for p, _ in sent + later]


def test_a_new_run_with_another_worker_count_starts_an_empty_journal(store: Path) -> None:
    for workers, requests in (("2", 6), ("1", 4), ("3", 5)):
        server = Server("--store", f"sqlite:{store}", "--workers", workers)
        try:
            # Like the fault rules and the clock, the journal belongs to one run of the server.
            assert httpx.get(server.url + "/__admin/journal").json()["total"] == 0
            sent = send_one_by_one(server, requests)
            journal = httpx.get(server.url + "/__admin/journal").json()
            assert [e["path"] for e in journal["entries"]] == [p for p, _ in sent]
        finally:
            code, _ = server.terminate()
            assert code == 0, "".join(server.stderr)[-2000:]
