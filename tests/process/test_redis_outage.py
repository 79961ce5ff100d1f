"""Redis killed and started again under load: while it is away every vendor request gets its
vendor's error envelope within the store timeout and health says `store: unavailable` (503);
once it is back, tagfake serves again without a restart, every acknowledged create kept (Redis
here writes its append-only file before it answers: `appendfsync always`)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tagfake.state.redis.conn import RedisOptions
from tests.process.serving import AUTH, TAGS, Server
from tests.redis_server import AOF_ALWAYS, RedisServer

pytestmark = pytest.mark.process

TIMEOUT = 0.5
LOCK_TTL = RedisOptions("redis://x").lock_ttl


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis-outage"), persist=AOF_ALWAYS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(redis_server: RedisServer) -> Iterator[Server]:
    one = Server("--store", redis_server.url, "--store-timeout", str(TIMEOUT))
    try:
        yield one
    finally:
        code, _ = one.terminate()
        assert code == 0, "".join(one.stderr)[-2000:]


class Load:
    """One writer creating tags as fast as it can; what was acknowledged, what failed and how
    long each answer took."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: list[str] = []
        self.failures: list[tuple[int, dict[str, object], float]] = []
        self.slowest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=AUTH, timeout=10) as http:
            i = 0
            while not self._stop.is_set():
                i += 1
                sent = time.monotonic()
                r = http.post(TAGS, json={"name": f"Load {i}", "color": "#000000"})
                took = time.monotonic() - sent
                self.slowest = max(self.slowest, took)
                if r.status_code == 201:
                    self.acknowledged.append(r.json()["data"]["tag"]["id"])
                else:
                    self.failures.append((r.status_code, r.json(), took))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)


def test_a_killed_redis_gives_error_envelopes_then_tagfake_recovers_by_itself(
    redis_server: RedisServer, server: Server
) -> None:
    load = Load(server.url)
    time.sleep(0.5)
    redis_server.kill()
    time.sleep(1.0)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        sent = time.monotonic()
        during = http.get(TAGS, headers=AUTH)
        took = time.monotonic() - sent
        health = http.get("/__admin/health")
    assert during.status_code == 500
    assert during.json() == {
        "success": False,
        "error": {"code": "SERVER_ERROR", "message": "Internal server error.", "details": {}},
    }
    assert took < TIMEOUT * 2 + 0.5
    assert health.status_code == 503
    assert (health.json()["status"], health.json()["store"]) == ("unavailable", "unavailable")

    redis_server.start()
    deadline = time.monotonic() + 10
    while httpx.get(server.url + "/__admin/health").status_code != 200:
        assert time.monotonic() < deadline, "tagfake did not notice Redis came back"
        time.sleep(0.1)
    time.sleep(0.5)
    load.stop()

    assert load.failures, "the load never saw the outage"
    for status, body, took in load.failures:
        assert status == 500 and body["success"] is False, body
        assert took < TIMEOUT * 2 + 0.5
    # A create holding the tenant's lock when Redis died leaves the lock in the append-only
    # file: after the restart the tenant's next change waits for it to expire (5 s), no longer.
    assert load.slowest < LOCK_TTL + TIMEOUT * 2 + 1
    after = server.tag_ids()
    assert set(load.acknowledged) <= after, "an acknowledged create was lost"
    with server.client() as http:
        assert http.post(TAGS, json={"name": "After", "color": "#000000"}).status_code == 201
    assert "Traceback" not in "".join(server.stderr)


def test_a_stalled_redis_answers_within_the_timeout(
    redis_server: RedisServer, server: Server
) -> None:
    assert redis_server.proc is not None
    os.kill(redis_server.proc.pid, signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as http:
            sent = time.monotonic()
            answers = [http.get(TAGS) for _ in range(3)]
            took = (time.monotonic() - sent) / 3
            health = http.get("/__admin/health")
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    assert [r.status_code for r in answers] == [500] * 3
    assert took < TIMEOUT * 3 + 0.5
    assert health.status_code == 503
    assert server.tag_ids()  # and straight back once Redis answers
    assert "Traceback" not in "".join(server.stderr)
