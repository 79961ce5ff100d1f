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


class JsonReply(Response):
    """A JSON answer as starlette's `Response` makes it, minus the general header logic it
    runs for any body and media type: these two headers are all a reply without `headers`
    carries."""

    media_type = "application/json"

    def __init__(self, payload: bytes, status: int) -> None:
        self.status_code = status
        self.body = payload
        self.background = None
        self.raw_headers = [
            (b"content-length", str(len(payload)).encode()),
            (b"content-type", b"application/json"),
        ]


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = dumps(body)
    current().replied = (payload, body)
    if headers or status < 200 or status in (204, 304):  # starlette's rules for these
        return Response(payload, status, headers, media_type="application/json")
    return JsonReply(payload, status)


def snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
