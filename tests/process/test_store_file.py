"""`tagfake serve --store sqlite:PATH`: what a developer built up survives kill -9, SIGTERM and
restarts, with nothing acknowledged lost and nothing deleted back; a file tagfake can't use is
refused at start with one line and left as it was.

Each test starts real `tagfake serve` processes on 127.0.0.1 (port 0) serving zapini only.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.process.serving import TAGS, Server, start

pytestmark = pytest.mark.process

SEED = 20261122
ROUNDS = 10


@dataclass
class Writer:
    """Creates, renames and deletes its own tags from a thread; remembers what was answered."""

    server: Server
    label: str
    rng: random.Random
    #: id -> the name its last acknowledged create or update gave it
    named: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    #: the write sent but not answered when the server died: (op, id, name)
    inflight: tuple[str, str | None, str | None] | None = None
    acked: int = 0

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.stopped = threading.Event()
        self.thread.start()

    def _run(self) -> None:
        with self.server.client() as http:
            i = 0
            while not self.stopped.is_set():
                i += 1
                name = f"{self.label}-{i}"
                roll = self.rng.random()
                mine = sorted(self.named)
                try:
                    if len(mine) < 3 or roll < 0.5:
                        self.inflight = ("create", None, name)
                        r = http.post(TAGS, json={"name": name, "color": "#102030"})
                        assert r.status_code == 201, r.text
                        self.named[r.json()["data"]["tag"]["id"]] = name
                    elif roll < 0.8:
                        tag = self.rng.choice(mine)
                        self.inflight = ("update", tag, name)
                        r = http.patch(f"{TAGS}/{tag}", json={"name": name})
                        assert r.status_code == 200, r.text
                        self.named[tag] = name
                    else:
                        tag = self.rng.choice(mine)
                        self.inflight = ("delete", tag, None)
                        r = http.delete(f"{TAGS}/{tag}")
                        assert r.status_code == 200, r.text
                        del self.named[tag]
                        self.deleted.add(tag)
                except httpx.TransportError:
                    return  # the server was killed; `inflight` stays unknown
                self.inflight = None
                self.acked += 1

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(10)


def tags_by_id(server: Server) -> dict[str, str]:
    with server.client() as http:
        response = http.get(TAGS)
    assert response.status_code == 200, response.text
    return {t["id"]: t["name"] for t in response.json()["data"]["tags"]}


def test_kill_9_under_a_4_writer_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'tagfake.db'}"
    rng = random.Random(SEED)
    expected: dict[str, str] = {}  # every acknowledged tag of every round so far, by id
    gone: set[str] = set()  # every acknowledged delete
    lost = resurrected = acked = 0
    server = Server("--store", store)
    try:
        for round_no in range(ROUNDS):
            writers = [
                Writer(server, f"r{round_no}w{w}", random.Random(rng.random())) for w in range(4)
            ]
            time.sleep(rng.uniform(0.4, 1.6))
            deadline = time.monotonic() + 15
            while sum(w.acked for w in writers) < 20 and time.monotonic() < deadline:
                time.sleep(0.02)  # a busy machine: let the load get going first
            server.kill()  # SIGKILL at a random point: no shutdown code runs
            for w in writers:
                w.stop()
            assert sum(w.acked for w in writers) > 20, "the write load did not get going"
            acked += sum(w.acked for w in writers)

            server = Server("--store", store)
            present = tags_by_id(server)
            unsure: set[str] = set()
            for w in writers:
                if w.inflight is not None and w.inflight[1] is not None:
                    unsure.add(w.inflight[1])
                expected.update(w.named)
                gone |= w.deleted
                for tag in w.deleted:
                    expected.pop(tag, None)
            for tag, name in expected.items():
                if tag in unsure:
                    continue
                if present.get(tag) != name:
                    lost += 1
            resurrected += len(gone & present.keys())
            assert (lost, resurrected) == (0, 0), (
                f"round {round_no}: {lost} acknowledged writes lost, {resurrected} deletes undone"
            )
            for tag in unsure:  # a write in flight may have landed or not: take what is there
                if tag in present:
                    expected[tag] = present[tag]
                else:
                    expected.pop(tag, None)
                    gone.add(tag)
        print(f"{ROUNDS} kills, {acked} acknowledged writes: 0 lost, 0 resurrected")
        code, seconds = server.terminate()
        assert code == 0
        assert seconds < 2
    finally:
        server.kill()


def test_sigterm_exits_0_within_2s_and_keeps_the_last_change(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'tagfake.db'}"
    server = Server("--store", store)
    try:
        with server.client() as http:  # the keep-alive connection stays open over the stop
            response = http.post(TAGS, json={"name": "Last one", "color": "#abcdef"})
            assert response.status_code == 201, response.text
            last = response.json()["data"]["tag"]["id"]
            code, seconds = server.terminate()
        assert code == 0, "".join(server.stderr)
        assert seconds < 2, f"took {seconds:.2f}s to stop"
        assert "tagfake stopped" in "".join(server.stderr)
    finally:
        server.kill()
    again = Server("--store", store)
    try:
        assert last in tags_by_id(again)
        assert "kept 2 tenant(s)" in "".join(again.stdout)
    finally:
        again.kill()


def test_the_state_file_option_is_the_sqlite_store(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Server("--state-file", str(path))
    try:
        with first.client() as http:
            http.delete(f"{TAGS}/550e8400-e29b-41d4-a716-446655440005").raise_for_status()
        before = tags_by_id(first)
        assert first.terminate()[0] == 0
    finally:
        first.kill()
    second = Server("--store", f"sqlite:{path}")
    try:
        assert tags_by_id(second) == before  # the deleted fixture tag did not come back
    finally:
        second.kill()


def _newer(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1952933483")  # tagfake's
    conn.execute("PRAGMA user_version = 99")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p.write_bytes(b"\x00\x01garbage" * 100), "is not an SQLite database"),
        (
            lambda p: p.write_text(json.dumps({"format": "tagfake-state/1", "namespaces": []})),
            "is a JSON state snapshot, not a store",
        ),
        (_newer, "was written by a newer tagfake (schema 99"),
    ],
)
def test_an_unusable_store_file_is_refused_with_one_line_and_left_untouched(
    tmp_path: Path, make: object, problem: str
) -> None:
    path = tmp_path / "tagfake.db"
    make(path)  # type: ignore[operator]
    content, mtime = path.read_bytes(), path.stat().st_mtime_ns
    proc = start("--store", f"sqlite:{path}")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2, (out, err)
    assert err.count("\n") == 1, err
    assert err.startswith(f"tagfake: store {path}: {problem}"), err
    assert "tagfake serving" not in out
    assert path.read_bytes() == content
    assert path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tagfake.db"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--workers", "2"), "2 workers need a store they can share"),
        (("--store", "redis-ish://x"), "unknown kind 'redis-ish'"),
        (("--workers", "0"), "workers must be >= 1"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(args: tuple[str, ...], words: str) -> None:
    proc = start(*args)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2, (out, err)
    assert words in err and err.count("\n") == 1, err
