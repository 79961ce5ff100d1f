"""How the in-process server stops: what a test session relies on at its end. An answer under
way is finished, an idle keep-alive connection is closed, what outlasts the grace period is
cancelled, and the app's lifespan hears the shutdown after its last request."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tagfake.testing.server import ThreadedServer

Scope = dict[str, Any]


class Recorder:
    """A small ASGI app that tells the test what it went through: the lifespan messages, the
    requests it began, the ones it finished and the ones it saw cancelled."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.began = threading.Event()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                self.events.append(message["type"])
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        path = scope["path"]
        self.events.append(f"began {path}")
        self.began.set()
        try:
            if path == "/slow":
                await asyncio.sleep(0.3)
            elif path == "/forever":
                await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.events.append(f"cancelled {path}")
            raise
        body = f"answered {path}".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
        self.events.append(f"answered {path}")


class RecorderServer(ThreadedServer):
    def __init__(self) -> None:
        super().__init__()
        self.recorder = Recorder()

    def build_app(self) -> Any:
        return self.recorder


@pytest.fixture
def server() -> Iterator[RecorderServer]:
    with RecorderServer() as running:
        yield running


def get_in_thread(server: ThreadedServer, path: str) -> tuple[threading.Thread, list[Any]]:
    """GET `path` from another thread; the list gets (status, body) or the exception."""
    outcome: list[Any] = []

    def call() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            outcome.append((answer.status, answer.read()))
        except (OSError, http.client.HTTPException) as error:
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=call)
    thread.start()
    return thread, outcome


def refused(server: ThreadedServer) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_stop_finishes_the_answer_under_way(server: RecorderServer) -> None:
    client, outcome = get_in_thread(server, "/slow")
    assert server.recorder.began.wait(5)
    server.stop()
    client.join(5)
    assert outcome == [(200, b"answered /slow")]
    assert not server.running
    assert refused(server)
    # The lifespan is told only once the last answer is out.
    assert server.recorder.events == [
        "lifespan.startup",
        "began /slow",
        "answered /slow",
        "lifespan.shutdown",
    ]


def test_stop_closes_an_idle_keep_alive_connection(server: RecorderServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/quick")
        answer = connection.getresponse()
        assert (answer.status, answer.read()) == (200, b"answered /quick")
        assert not answer.will_close  # HTTP/1.1: the connection stays open for the next one
        server.stop()
        assert not server.running
        assert connection.sock is not None
        assert connection.sock.recv(1) == b""  # closed by the server
    finally:
        connection.close()
    assert server.recorder.events[-1] == "lifespan.shutdown"


def test_stop_cancels_what_outlasts_the_grace_period(server: RecorderServer) -> None:
    client, outcome = get_in_thread(server, "/forever")
    assert server.recorder.began.wait(5)
    server.stop()  # the grace period is one second
    client.join(5)
    assert not server.running
    assert outcome == [(500, b"Internal Server Error")]  # uvicorn's answer for a cancelled app
    assert server.recorder.events[1:] == [
        "began /forever",
        "cancelled /forever",
        "lifespan.shutdown",
    ]


def test_stop_twice_and_stop_unstarted_are_harmless() -> None:
    ThreadedServer().stop()
    with RecorderServer() as server:
        server.stop()
    assert not server.running
    assert server.recorder.events == ["lifespan.startup", "lifespan.shutdown"]
