"""Answers leave in bursts: every answer written during one turn of the event loop is sent at
the start of the next, each connection's bytes in one write.

On loopback (and in the VMs CI runs in) every write wakes the client's thread, and waking a
thread that sleeps costs the writer more than the write: two writes per answer (status line and
headers, then body) cost twice, and a client woken by the first answer of a burst finds the
others already there instead of being woken once per answer. An answer waits at most for the
rest of the turn that produced it."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any


class Outbox:
    """The answers written during one turn of the event loop, sent together at the start of
    the next: on loopback each write wakes the client, and a client woken by the first of a
    burst finds the rest already there instead of being woken once per answer."""

    __slots__ = ("_loop", "_pending")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # the loop's outbox must not keep the loop alive
        self._pending: list[HeldWrites] = []

    def add(self, held: HeldWrites) -> None:
        if not self._pending:
            loop = self._loop()
            if loop is None or loop.is_closed():
                held.flush()
                return
            loop.call_soon(self._send)
        self._pending.append(held)

    def _send(self) -> None:
        pending, self._pending = self._pending, []
        for held in pending:
            held.flush()


_outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Outbox] = (
    weakref.WeakKeyDictionary()
)


def outbox_for(loop: asyncio.AbstractEventLoop) -> Outbox:
    box = _outboxes.get(loop)
    if box is None:
        box = _outboxes[loop] = Outbox(loop)
    return box


#: Past this many held bytes an answer goes at once: a long streamed answer is not buffered.
_HOLD_AT_MOST = 64 * 1024


class HeldWrites:
    """The connection's transport, which holds what an answer writes until the loop's turn
    ends and then writes it with one call (`Outbox`). Interim answers (`100 Continue`) go at
    once; anything held goes out before the connection closes."""

    __slots__ = ("_held", "_outbox", "_size", "_transport")

    def __init__(self, transport: Any, outbox: Outbox) -> None:
        self._transport = transport
        self._outbox = outbox
        self._held: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if data.startswith(b"HTTP/1.1 1"):
            self.flush()
            self._transport.write(data)
            return
        first = not self._held
        self._held.append(data)
        self._size += len(data)
        if self._size > _HOLD_AT_MOST:
            self.flush()
        elif first:
            self._outbox.add(self)

    def flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held, self._size = [], 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def writelines(self, chunks: Any) -> None:
        for data in chunks:
            self.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held, self._size = [], 0  # an aborted connection sends nothing more
        self._transport.abort()

    # The rest of asyncio's Transport, passed on by name: no `__getattr__`, which would slow
    # every attribute this class reads (a request reads twenty).
    def is_closing(self) -> bool:
        closing: bool = self._transport.is_closing()
        return closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def can_write_eof(self) -> bool:
        able: bool = self._transport.can_write_eof()
        return able

    def get_protocol(self) -> Any:
        return self._transport.get_protocol()

    def set_protocol(self, protocol: Any) -> None:
        self._transport.set_protocol(protocol)

    def is_reading(self) -> bool:
        reading: bool = self._transport.is_reading()
        return reading

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def get_write_buffer_size(self) -> int:
        """What the transport has not sent yet, and what this holds for it."""
        size: int = self._transport.get_write_buffer_size()
        return size + self._size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        limits: tuple[int, int] = self._transport.get_write_buffer_limits()
        return limits

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)
