"""What handlers share: the current call, running backend code, and building replies."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tagfake.pipeline.call import Call, current
from tagfake.pipeline.http import dumps

P = ParamSpec("P")
T = TypeVar("T")


def call() -> Call:
    return current()


def tenant() -> str:
    c = current()
    assert c.tenant is not None, "auth runs before every handler"
    return c.tenant


def request_body() -> Any:
    """The JSON body exactly as the request check parsed and checked it (None: none sent; a
    vendor that validates after route-model binding finds its schema violations in
    `call().pending`).

    Handlers take it from here, never from connexion's own body argument: connexion decides
    by its own media-type test whether to parse (it misses `application/JSON` and
    `application/json ; charset=utf-8`) and parses again without tagfake's checks."""
    return current().body


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Backend code inline on the loop, or on a worker thread when the store blocks on I/O."""
    if current().runtime.store.blocking:
        return await run_in_threadpool(fn, *args, **kwargs)
    return fn(*args, **kwargs)


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status, headers, media_type="application/json")


def snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
