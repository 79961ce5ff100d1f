"""Small ASGI helpers: JSON replies and bounded body reading."""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

import orjson

from tagfake.deadlines import deadlines_for

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


F = TypeVar("F", bound=Callable[..., Any])


def hands_on(method: F) -> F:
    """Marks a stage's plain `__call__`, one that returns the next stage's awaitable instead of
    being a coroutine of its own (cheaper for a stage with nothing to do afterwards), as an
    ASGI 3 app to whatever tells ASGI 2 from 3 by asking whether `__call__` is a coroutine
    function (uvicorn, starlette's TestClient)."""
    if sys.version_info >= (3, 12):
        return inspect.markcoroutinefunction(method)
    # Python 3.11's marker, which asyncio.iscoroutinefunction honours.
    setattr(method, "_is_coroutine", getattr(asyncio.coroutines, "_is_coroutine"))  # noqa: B009, B010
    return method


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON. orjson writes the same bytes as the standard library for what the
    backends answer, several times faster; what it refuses (integers beyond 64 bits, NaN) the
    standard library writes as before."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(raw: bytes) -> Any:
    """JSON as the standard library reads it (ValueError when it is none); orjson first."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


async def answer_lifespan(receive: Receive, send: Send) -> None:
    """An app with nothing to start or stop: acknowledge the server's start-up and shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    payload = b"" if body is None else dumps(body)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def header(scope: Scope, name: str) -> str | None:
    wanted = name.lower().encode("latin-1")
    size = len(wanted)
    for key, value in scope.get("headers", []):
        # Most names differ in length: no lower-cased copy of those.
        if len(key) == size and key.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def headers_dict(scope: Scope) -> dict[str, str]:
    return {
        bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")
        for k, v in scope.get("headers", [])
    }


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


#: Scope key: the event loop that runs the request, where `tagfake serve` tells it (see
#: `read_body`).
LOOP_KEY = "tagfake.loop"


async def read_body(
    receive: Receive,
    limit: int,
    timeout: float | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> bytes:
    """The whole body (chunked or not), refusing more than `limit` bytes or, with `timeout`,
    a body that has not arrived whole within that many seconds. `loop`: the running loop,
    when the caller knows it."""
    if timeout is None:
        return await _read_all(receive, limit)
    # asyncio.timeout() asks for the running loop three times and sets a loop timer: costs
    # that showed in every request with a body (each ask is a getpid() system call, ~6 % of
    # a sync's CPU under load on this VM). The loop as the server gave it (else asked once)
    # and a deadline on the loop's shared timer (`tagfake.deadlines`), with the same effect:
    # the task cancelled when the deadline passes, that one cancellation turned into
    # BodyTooSlow, any other left to propagate.
    loop = loop or asyncio.get_running_loop()
    task = asyncio.current_task(loop)
    if task is None:  # not inside a task: nothing to cancel, the stdlib way
        try:
            async with asyncio.timeout(timeout):
                return await _read_all(receive, limit)
        except TimeoutError:
            raise BodyTooSlow from None
    already = task.cancelling()
    passed = False

    def expire() -> None:
        nonlocal passed
        passed = True
        task.cancel()

    deadlines = deadlines_for(loop, timeout)
    deadline = deadlines.start(expire)
    try:
        return await _read_all(receive, limit)
    except asyncio.CancelledError:
        if passed and task.uncancel() <= already:
            raise BodyTooSlow from None
        raise
    finally:
        deadlines.stop(deadline)


async def _read_all(receive: Receive, limit: int) -> bytes:
    message = await receive()
    if message["type"] == "http.disconnect":
        return b""
    first = message.get("body", b"")
    if len(first) > limit:
        raise BodyTooLarge
    if not message.get("more_body", False):
        return bytes(first)  # most bodies: one message (bytes: no copy)
    chunks = [first]
    size = len(first)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body to the next app, then defers to the original."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
