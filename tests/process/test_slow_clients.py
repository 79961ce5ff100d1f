"""Slow clients against a real `tagfake serve`: a body that does not arrive within
`--body-timeout` gets the vendor's 400 in its envelope and the connection is closed; headers
that never finish get a 408 and are closed; 300 such connections at once do not stop the server
answering others, and nothing is stored. `--max-connections` caps what is served at once."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.envelopes import leaks_nothing
from tests.server.test_bad_input import envelope_ok

pytestmark = pytest.mark.process

BODY_ROUTES = {
    "healvi": (
        "/healvi/third-party/v1/profiles/101/tags",
        "Authorization: Bearer healvi-acme-token",
    ),
    "commbox": ("/commbox/tags", "Authorization: Bearer commbox-acme-token"),
    "zapini": (
        "/zapini/api/v1/tags",
        "Authorization: Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6",
    ),
    "nexor": ("/nexor/api/public/tags", "X-API-Key: nxr_live_your_api_key"),
}
TIMEOUT = 1.0


@contextmanager
def serve(*args: str) -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tagfake.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    port = 0
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            m = re.search(r"at http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
            if line.startswith("validation:") or not line:
                break
        assert port, "no banner"
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def read_all(s: socket.socket) -> bytes:
    """Everything until the server closes the connection (the test fails if it does not)."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return status, headers, body


def request(port: int, path: str, header: str = "", body: bytes | None = None) -> tuple[int, Any]:
    s = connect(port)
    method = "GET" if body is None else "POST"
    extra = (
        "" if body is None else f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    )
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"{header}\r\n{extra}\r\n"
    )
    s.sendall(head.replace("\r\n\r\n\r\n", "\r\n\r\n").encode() + (body or b""))
    status, headers, payload = parse(read_all(s))
    s.close()
    is_json = "json" in headers.get("content-type", "")
    return status, json.loads(payload) if is_json else payload.decode("latin-1")


def state(port: int) -> list[Any]:
    return [request(port, f"/__admin/state/{v}/acme")[1] for v in BODY_ROUTES]


def start_slow_body(port: int, vendor: str) -> socket.socket:
    path, auth = BODY_ROUTES[vendor]
    s = connect(port)
    s.sendall(
        f"POST {path} HTTP/1.1\r\nHost: t\r\n{auth}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n".encode()
        + b'{"name": "x'  # 11 of the 100 bytes, then nothing
    )
    return s


def test_300_slow_bodies_get_the_vendors_400_and_are_closed_while_others_are_served() -> None:
    with serve("--body-timeout", str(TIMEOUT)) as port:
        before = state(port)
        vendors = list(BODY_ROUTES)
        slow = [(vendors[i % 4], start_slow_body(port, vendors[i % 4])) for i in range(300)]
        # Others are answered while the 300 wait for their bodies.
        for vendor, (path, auth) in BODY_ROUTES.items():
            get_path = {"healvi": "/healvi/third-party/v1/profiles/101"}.get(vendor, path)
            status, _ = request(port, get_path, auth + "\r\n")
            assert status == 200, vendor
        started = time.monotonic()
        for vendor, s in slow:
            status, headers, body = parse(read_all(s))  # the server closes the connection
            s.close()
            assert status == 400, (vendor, body)
            assert headers["connection"] == "close"
            envelope_ok(vendor, json.loads(body), 400)
            assert leaks_nothing(body.decode())
        assert time.monotonic() - started < TIMEOUT + 10
        assert state(port) == before


def test_headers_that_never_finish_get_a_408_and_are_closed() -> None:
    with serve("--body-timeout", str(TIMEOUT)) as port:
        partial = []
        for i in range(50):
            s = connect(port)
            s.sendall(b"GET /zapini/api/v1/tags HTTP/1.1\r\nHost: t\r\n" if i % 2 else b"GE")
            partial.append(s)
        idle = connect(port)  # sends nothing: closed without a word
        assert request(port, "/__admin/health")[0] == 200
        for s in partial:
            status, headers, _ = parse(read_all(s))
            assert (status, headers["connection"]) == (408, "close")
            s.close()
        assert read_all(idle) == b""
        idle.close()


def test_the_rest_of_a_body_nobody_reads_cannot_hold_the_connection() -> None:
    with serve("--body-timeout", str(TIMEOUT)) as port:
        s = connect(port)
        s.sendall(
            b"GET /nexor/api/public/tags HTTP/1.1\r\nHost: t\r\n"
            b"X-API-Key: nxr_live_your_api_key\r\nContent-Length: 100\r\n\r\nabc"
        )
        time.sleep(TIMEOUT / 2)
        s.sendall(b"def")  # trickling bytes do not keep it open
        raw = read_all(s)
        assert raw.startswith(b"HTTP/1.1 200 ")
        s.close()


def test_connections_beyond_the_cap_are_refused_until_slow_ones_are_closed() -> None:
    with serve("--body-timeout", str(TIMEOUT), "--max-connections", "10") as port:
        slow = [start_slow_body(port, "zapini") for _ in range(12)]
        time.sleep(0.2)
        # uvicorn's own overload answer: no vendor is known before the request is read
        assert request(port, "/__admin/health") == (503, "Service Unavailable")
        for s in slow:
            read_all(s)
            s.close()
        assert request(port, "/__admin/health")[0] == 200
