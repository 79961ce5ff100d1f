"""The request deadline on uvicorn's h11 protocol too (used where httptools is missing), which
tells of no request's first byte: a client that sent part of a request gets a 408, one that sent
nothing is closed without a word, and a whole request is answered."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from tagfake.connections import guarded_protocol

pytestmark = pytest.mark.process


async def _app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        _app, http=guarded_protocol(0.5, H11Protocol), lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)
    sock.close()


def _read_all(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def test_h11_part_of_a_request_gets_a_408_nothing_sent_is_closed_silently(port: int) -> None:
    started = socket.create_connection(("127.0.0.1", port), timeout=10)
    started.sendall(b"GE")
    idle = socket.create_connection(("127.0.0.1", port), timeout=10)
    whole = socket.create_connection(("127.0.0.1", port), timeout=10)
    whole.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert whole.recv(65536).startswith(b"HTTP/1.1 200 ")
    assert _read_all(started).startswith(b"HTTP/1.1 408 ")
    assert _read_all(idle) == b""
    for s in (started, idle, whole):
        s.close()
