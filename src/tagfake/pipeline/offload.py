"""Store calls made by the pipeline itself (credentials, fault rules, rate windows, the clock):
inline for the memory store, on a worker thread when the store waits for I/O, so a slow or
absent network store holds up only the requests that need it, never the event loop.

The stages every request passes test `store.blocking` themselves and call the memory store
directly: awaiting `store_call` makes a coroutine, and a request made five of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

P = ParamSpec("P")
T = TypeVar("T")


async def store_call(runtime: Runtime, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    if runtime.store.blocking:
        return await run_in_threadpool(fn, *args, **kwargs)
    return fn(*args, **kwargs)
