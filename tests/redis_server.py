"""A real `redis-server` for tests (Debian's package): on a free port of 127.0.0.1 or a unix
socket in a temp folder, its data in that folder, stopped by its PID. It can be killed and
started again on the same port and folder, to test an outage."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

#: Never persists unless asked: tests start from nothing.
NO_PERSISTENCE = ("--save", "", "--appendonly", "no")
#: Every acknowledged write on disk before Redis answers (survives kill -9).
AOF_ALWAYS = ("--save", "", "--appendonly", "yes", "--appendfsync", "always")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(
        self, folder: Path, *, tcp: bool = True, persist: tuple[str, ...] = NO_PERSISTENCE
    ):
        binary = shutil.which("redis-server")
        assert binary, (
            "redis-server is missing: `make tools` installs it (apt-get install redis-server)"
        )
        self.binary = binary
        self.folder = folder
        self.port = free_port() if tcp else 0
        self.socket = folder / "redis.sock"
        self.persist = persist
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.folder),
                "--daemonize", "no",
                "--loglevel", "warning",
                *self.persist,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    break
            except (redis.exceptions.ConnectionError, FileNotFoundError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("redis-server did not start") from None
                time.sleep(0.02)
        client.close()

    def kill(self) -> None:
        """SIGKILL: what an acknowledged write survives depends on `persist`."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
