"""An answer's status line and headers leave with its body in one write (one wake-up of the
client per answer), interim answers at once, and nothing held is lost on close or completion."""

from __future__ import annotations

from typing import Any

from tagfake.connections import _HeldHeaders

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recorder:
    """Stands for uvloop's transport: what was written, in which calls, and whether closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else None


def test_headers_and_body_go_in_one_write() -> None:
    real = Recorder()
    held = _HeldHeaders(real)
    held.write(HEAD)
    assert real.writes == []
    held.write(b"{}")
    assert real.writes == [HEAD + b"{}"]
    held.write(b"more")  # a streamed answer's later chunks go as they come
    assert real.writes[-1] == b"more"


def test_an_interim_answer_goes_at_once() -> None:
    real = Recorder()
    held = _HeldHeaders(real)
    held.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert real.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_an_answer_without_a_body_leaves_when_it_is_complete() -> None:
    real = Recorder()
    held = _HeldHeaders(real)
    held.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    held.flush()
    assert real.writes == [b"HTTP/1.1 204 No Content\r\n\r\n"]
    held.flush()  # nothing twice
    assert len(real.writes) == 1


def test_closing_sends_what_is_held_first() -> None:
    real = Recorder()
    held = _HeldHeaders(real)
    held.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n")
    held.close()
    assert real.writes == [b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n"]
    assert real.closed


def test_everything_else_is_the_transport_s() -> None:
    real = Recorder()
    assert _HeldHeaders(real).get_extra_info("peername") == ("127.0.0.1", 1)
