"""`tagfake serve --state-file`: what a developer built up survives kill -9, SIGTERM and restarts;
a file tagfake can't read is refused at start and left as it was.

Each test starts real `tagfake serve` processes on 127.0.0.1 (port 0) serving zapini only.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

pytestmark = pytest.mark.process

BANNER = re.compile(r"tagfake serving .* at (http://127\.0\.0\.1:\d+)")
TAGS = "/zapini/api/v1/tags"
AUTH = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}
SEED = 20261122


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGFAKE_")}
    env["TAGFAKE_VENDORS"] = "zapini"
    return env


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


class Server:
    """A running `tagfake serve`: its URL from the banner, its output collected in threads."""

    def __init__(self, *args: str) -> None:
        self.proc = start(*args)
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._banner = threading.Event()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._drain, args=(stream, into), daemon=True)
            for stream, into in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr))
        ]
        for reader in self._readers:
            reader.start()
        if not self._banner.wait(20) or not self.url:
            self.kill()
            raise AssertionError(f"no banner; stderr: {''.join(self.stderr)[-2000:]}")
        self._wait_listening()

    url = ""

    def _drain(self, stream: IO[str], into: list[str]) -> None:
        for line in stream:
            into.append(line)
            found = BANNER.search(line)
            if found and not self.url:
                self.url = found.group(1)
                self._banner.set()
        self._banner.set()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=AUTH, timeout=5)

    def tag_ids(self) -> set[str]:
        with self.client() as http:
            response = http.get(TAGS)
        assert response.status_code == 200, response.text
        return {tag["id"] for tag in response.json()["data"]["tags"]}

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; the exit code and the seconds it took to exit."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(10)
        took = time.monotonic() - sent
        self._close()
        return code, took

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


class WriteLoad:
    """Creates tags one after another from a thread; records when each create was answered."""

    def __init__(self, server: Server, label: str) -> None:
        self.server = server
        self.label = label
        self.acked: list[tuple[float, str]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.server.client() as http:
            i = 0
            while not self.stopped.is_set():
                try:
                    response = http.post(
                        TAGS, json={"name": f"{self.label}-{i}", "color": "#102030"}
                    )
                except httpx.TransportError:
                    return  # the server was killed
                answered = time.monotonic()
                assert response.status_code == 201, response.text
                self.acked.append((answered, response.json()["data"]["tag"]["id"]))
                i += 1

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(10)


def test_kill_9_under_write_load_loses_at_most_the_last_second(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    rng = random.Random(SEED)
    kept: set[str] = set()  # acknowledged more than a second before some kill: must stay
    server = Server("--state-file", str(state))
    try:
        for round_no in range(3):
            load = WriteLoad(server, f"r{round_no}")
            time.sleep(rng.uniform(1.2, 3.0))
            killed_at = time.monotonic()
            server.kill()  # SIGKILL: no shutdown code runs
            load.stop()
            assert len(load.acked) > 20, "the write load did not get going"
            must = {tag for at, tag in load.acked if at < killed_at - 1.0}
            recent = {tag for at, tag in load.acked if at >= killed_at - 1.0}

            server = Server("--state-file", str(state))
            assert "loaded" in "".join(server.stdout)
            present = server.tag_ids()
            lost = must - present
            assert not lost, f"round {round_no}: {len(lost)} of {len(must)} acknowledged tags lost"
            assert kept <= present, f"round {round_no}: tags of earlier rounds lost"
            kept |= must
            print(
                f"round {round_no}: {len(load.acked)} creates, killed after "
                f"{killed_at - load.acked[0][0]:.2f}s; of the last second's "
                f"{len(recent)}, {len(recent - present)} lost"
            )
        code, seconds = server.terminate()
        assert code == 0
        assert seconds < 2
    finally:
        server.kill()
    assert state.with_name("state.json.bak").is_file()
    assert not list(tmp_path.glob(".state.json.*.tmp*")), "temporary files left behind"


def test_sigterm_exits_0_within_2s_and_keeps_the_last_change(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    server = Server("--state-file", str(state))
    try:
        with server.client() as http:  # the keep-alive connection stays open over the stop
            response = http.post(TAGS, json={"name": "Last one", "color": "#abcdef"})
            assert response.status_code == 201, response.text
            last = response.json()["data"]["tag"]["id"]
            code, seconds = server.terminate()  # right away: before any periodic flush
        assert code == 0, "".join(server.stderr)
        assert seconds < 2, f"took {seconds:.2f}s to stop"
        assert "tagfake stopped" in "".join(server.stderr)
    finally:
        server.kill()
    doc = json.loads(state.read_text())
    assert last in json.dumps(doc)

    again = Server("--state-file", str(state))
    try:
        assert last in again.tag_ids()
    finally:
        again.kill()


def test_restart_without_changes_keeps_state_as_it_was(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = Server("--state-file", str(state))
    try:
        with first.client() as http:
            http.delete(f"{TAGS}/550e8400-e29b-41d4-a716-446655440005").raise_for_status()
        before = first.tag_ids()
        assert first.terminate()[0] == 0
    finally:
        first.kill()
    second = Server("--state-file", str(state))
    try:
        assert second.tag_ids() == before  # the deleted fixture tag did not come back
    finally:
        second.kill()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"format": "tagfake-state/1", "revision": 7, "namespa', "is not valid JSON"),
        (
            b'{"format": "tagfake-state/2", "namespaces": []}',
            "was written in format 'tagfake-state/2'",
        ),
        (b"", "is empty"),
    ],
)
def test_unusable_state_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content)
    mtime = state.stat().st_mtime_ns
    proc = start("--state-file", str(state))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2, (out, err)
    assert f"state file {state}: {problem}" in err
    assert "tagfake serving" not in out
    assert "Traceback" not in err
    assert state.read_bytes() == content
    assert state.stat().st_mtime_ns == mtime
    assert not state.with_name("state.json.bak").exists()


def test_second_server_on_the_same_state_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    server = Server("--state-file", str(state))
    try:
        proc = start("--state-file", str(state))
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 2
        assert f"is in use by another tagfake (pid {server.proc.pid})" in err
    finally:
        server.kill()
