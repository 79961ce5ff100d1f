"""The topology of examples/replicas/compose.yaml, run on 127.0.0.1 without a container engine:
a real redis-server, two `tagfake serve --store redis://...` replicas and HAProxy (Debian's
package) in front, with the example's own haproxy.cfg. Requests through the one address reach
both replicas and see one world."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.process.serving import AUTH, TAGS, Server
from tests.redis_server import RedisServer, free_port

pytestmark = pytest.mark.process

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "replicas" / "haproxy.cfg"


class HAProxy:
    def __init__(self, config: Path, env: dict[str, str]) -> None:
        binary = shutil.which("haproxy")
        assert binary, "haproxy is missing: `make tools` installs it (apt-get install haproxy)"
        check = subprocess.run(
            [binary, "-c", "-f", str(config)], env=env, capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
        self.proc = subprocess.Popen(
            [binary, "-db", "-f", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Server]]]:
    folder = tmp_path_factory.mktemp("haproxy")
    redis_server = RedisServer(folder)
    replicas: list[Server] = []
    proxy: HAProxy | None = None
    try:
        for _ in range(2):
            replicas.append(Server("--store", redis_server.url, vendors="zapini"))
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TAGFAKE_")},
            "LISTEN": f"127.0.0.1:{port}",
            "REPLICA_1": replicas[0].url.removeprefix("http://"),
            "REPLICA_2": replicas[1].url.removeprefix("http://"),
        }
        proxy = HAProxy(EXAMPLE, env)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(url + "/__admin/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "HAProxy never answered"
            time.sleep(0.1)
        yield url, replicas
    finally:
        if proxy is not None:
            proxy.stop()
        for one in replicas:
            one.terminate()
        redis_server.stop()


def test_requests_through_the_balancer_reach_both_replicas_and_one_world(
    topology: tuple[str, list[Server]],
) -> None:
    url, replicas = topology
    httpx.post(url + "/__admin/reset", json={}).raise_for_status()
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        made = [
            http.post(TAGS, json={"name": f"Balanced {i}", "color": "#000000"}) for i in range(10)
        ]
        assert [r.status_code for r in made] == [201] * 10
        listings = [{t["id"] for t in http.get(TAGS).json()["data"]["tags"]} for _ in range(4)]
        journal = http.get("/__admin/journal").json()
    ids = {r.json()["data"]["tag"]["id"] for r in made}
    assert all(ids <= listed for listed in listings)
    # Round robin: the journal (one for the world) holds requests of both replicas.
    assert len({e["worker"] for e in journal["entries"]}) == 2
    for one in replicas:
        assert ids <= one.tag_ids()
