"""Slow clients cannot hold the server: a deadline for every request's headers, on top of uvicorn.

uvicorn times out idle keep-alive connections (and restarts that timer on every byte), but not a
client that opens a connection and sends half a request line, trickles headers, or leaves the
rest of a body the app did not read. The protocol below gives each request `timeout` seconds
from the moment the connection is ready for it (opened, or the previous answer sent) until its
headers are complete and an answer is under way; past that, a client that started a request
gets a bare 408 and the connection is closed (one that sent nothing is closed silently, as
uvicorn closes idle ones). Bodies the app reads have their own bound, answered in the vendor's
envelope (`pipeline/requests.py`). `limit_concurrency` caps the connections served at once.
Each connection writes through `outbox.HeldWrites`: an answer's bytes leave in one write, with
the other answers of the same turn of the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from tagfake.deadlines import Deadlines, deadlines_for
from tagfake.outbox import HeldWrites, outbox_for
from tagfake.pipeline.http import LOOP_KEY

_TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _RequestDeadline:
    """Mixed into uvicorn's HTTP protocol (httptools or h11: both keep `cycle`, `transport`,
    `loop` and call `on_response_complete`)."""

    timeout: float = 5.0
    _deadline: int | None = None
    _deadlines: Deadlines | None = None
    _heard: bool = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        # Flow control keeps the real transport; request cycles write through the outbox.
        self.transport = HeldWrites(transport, outbox_for(self._loop()))
        self._arm()

    def on_message_begin(self) -> None:
        # httptools' hook (h11 has none), at a request's first byte: the request's scope is
        # made here. It carries the loop, so that the app need not ask for it (a system call
        # each time).
        super().on_message_begin()  # type: ignore[misc]
        self._heard = True
        scope: Any = getattr(self, "scope", None)
        if scope is not None:
            scope[LOOP_KEY] = self._loop()

    def on_response_complete(self) -> None:
        transport: Any = self.transport
        super().on_response_complete()  # type: ignore[misc]
        if not transport.is_closing():
            self._heard = False
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self) -> None:
        deadlines = self._deadlines
        if deadlines is None:
            deadlines = self._deadlines = deadlines_for(self._loop(), self.timeout)
        elif self._deadline is not None:
            deadlines.stop(self._deadline)
        self._deadline = deadlines.start(self._expired)

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop = getattr(self, "loop", None) or asyncio.get_event_loop()
        return loop

    def _disarm(self) -> None:
        if self._deadline is not None and self._deadlines is not None:
            self._deadlines.stop(self._deadline)
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        transport: Any = getattr(self, "transport", None)
        if transport is None or transport.is_closing():
            return
        cycle: Any = getattr(self, "cycle", None)
        if cycle is not None and not cycle.response_complete:
            return  # a request is being answered; its body has the app's own bound
        if self._heard:
            transport.write(_TIMEOUT_ANSWER)
        transport.close()


class _HeardByBytes(_RequestDeadline):
    """For h11, which tells of no request's first byte: any byte counts as one."""

    def data_received(self, data: bytes) -> None:
        self._heard = True
        super().data_received(data)  # type: ignore[misc]


def guarded_protocol(timeout: float, base: type[Any] = AutoHTTPProtocol) -> type[asyncio.Protocol]:
    """uvicorn's own HTTP protocol class (`base`: httptools' where installed, else h11's), with
    the request deadline."""
    mixin = _RequestDeadline if hasattr(base, "on_message_begin") else _HeardByBytes
    guarded: type[asyncio.Protocol] = type(
        "GuardedHTTPProtocol", (mixin, base), {"timeout": timeout}
    )
    return guarded
