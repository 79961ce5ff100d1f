"""Answers leave in bursts: what one turn of the event loop writes is sent at the start of the
next, each connection's answer (status line, headers and body) in one write; interim answers at
once; nothing held is lost on close, and nothing is written to a connection already closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tagfake.outbox import HeldWrites, outbox_for

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recorder:
    """Stands for uvloop's transport: what was written, in which calls, and whether closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else default


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.close()


def _turn(loop: asyncio.AbstractEventLoop) -> None:
    """Let the loop finish the turn it is in and run the next."""
    loop.run_until_complete(asyncio.sleep(0))


def test_an_answer_leaves_in_one_write_when_the_turn_ends(loop: asyncio.AbstractEventLoop) -> None:
    real = Recorder()
    held = HeldWrites(real, outbox_for(loop))
    held.write(HEAD)
    held.write(b"{}")
    assert real.writes == []
    _turn(loop)
    assert real.writes == [HEAD + b"{}"]
    held.write(b"more")  # a streamed answer's later chunks: one write per turn
    _turn(loop)
    assert real.writes[-1] == b"more"


def test_the_answers_of_one_turn_leave_together(loop: asyncio.AbstractEventLoop) -> None:
    connections = [Recorder() for _ in range(3)]
    for n, real in enumerate(connections):
        held = HeldWrites(real, outbox_for(loop))
        held.write(HEAD)
        held.write(b"%d!" % n)
    assert all(real.writes == [] for real in connections)
    _turn(loop)
    assert [real.writes for real in connections] == [[HEAD + b"%d!" % n] for n in range(3)]


def test_an_interim_answer_goes_at_once(loop: asyncio.AbstractEventLoop) -> None:
    real = Recorder()
    held = HeldWrites(real, outbox_for(loop))
    held.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert real.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_closing_sends_what_is_held_first(loop: asyncio.AbstractEventLoop) -> None:
    real = Recorder()
    held = HeldWrites(real, outbox_for(loop))
    held.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n")
    held.close()
    assert real.writes == [b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n"]
    assert real.closed
    _turn(loop)  # the outbox's turn finds nothing left, and writes nothing after the close
    assert len(real.writes) == 1


def test_an_aborted_connection_gets_nothing_more(loop: asyncio.AbstractEventLoop) -> None:
    real = Recorder()
    held = HeldWrites(real, outbox_for(loop))
    held.write(HEAD)
    held.abort()  # a dropped connection (the `drop` fault): what was held is not sent
    _turn(loop)
    assert real.writes == []


def test_a_long_answer_is_not_held_whole(loop: asyncio.AbstractEventLoop) -> None:
    real = Recorder()
    held = HeldWrites(real, outbox_for(loop))
    held.write(HEAD)
    for _ in range(40):
        held.write(b"x" * 4096)
    assert real.writes, "160 KiB written in one turn went nowhere until the turn ended"
    assert max(map(len, real.writes)) <= 80 * 1024
    _turn(loop)
    assert b"".join(real.writes) == HEAD + b"x" * 4096 * 40


def test_everything_else_is_the_transport_s(loop: asyncio.AbstractEventLoop) -> None:
    real = Recorder()
    assert HeldWrites(real, outbox_for(loop)).get_extra_info("peername") == ("127.0.0.1", 1)
    held = HeldWrites(real, outbox_for(loop))
    assert held.get_extra_info("sockname", "none") == "none"
    assert not held.is_closing()
    real.close()
    assert held.is_closing()


def test_it_is_a_whole_transport(loop: asyncio.AbstractEventLoop) -> None:
    """Whatever uvicorn (or a protocol it hands the connection to) asks of a transport."""
    names = [n for n in dir(asyncio.Transport) if not n.startswith("_")]
    held = HeldWrites(Recorder(), outbox_for(loop))
    assert [n for n in names if not callable(getattr(held, n, None))] == []
