"""A `tagfake serve` child process for tests: its URL from the banner, its output collected."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import IO

import httpx

BANNER = re.compile(r"tagfake serving .* at (http://127\.0\.0\.1:\d+)")
TAGS = "/zapini/api/v1/tags"
AUTH = {"Authorization": "Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"}


def child_env(vendors: str = "zapini") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGFAKE_")}
    env["TAGFAKE_VENDORS"] = vendors
    return env


def start(*args: str, vendors: str = "zapini") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(vendors),
    )


class Server:
    """A running `tagfake serve`: its URL from the banner, its output collected in threads."""

    def __init__(self, *args: str, vendors: str = "zapini") -> None:
        self.proc = start(*args, vendors=vendors)
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
