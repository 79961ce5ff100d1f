"""A handler's JSON reply: the bytes and headers starlette's own Response would send."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.responses import Response

from tagfake.pipeline.call import Call, bind
from tagfake.vendors.common import reply


def _sent(response: Response) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    async def receive() -> dict[str, Any]:
        raise AssertionError("a reply reads nothing")

    asyncio.run(response({"type": "http"}, receive, send))  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("status", [200, 201, 202, 204, 304, 404, 422, 503])
@pytest.mark.parametrize("body", [{"tags": [{"id": 1, "name": "VIP é"}]}, [], None, "text"])
@pytest.mark.parametrize("headers", [None, {}, {"Retry-After": "3", "X-Custom": "a b"}])
def test_reply_sends_what_starlette_would(
    status: int, body: Any, headers: dict[str, str] | None
) -> None:
    call = Call(runtime=None, vendor=None, contract=None, mount="", backend=None)  # type: ignore[arg-type]
    bind(call)
    ours = reply(body, status, headers)
    payload, replied = call.replied or (b"", None)
    theirs = Response(payload, status, headers, media_type="application/json")
    assert replied == body
    assert ours.status_code == theirs.status_code
    assert ours.raw_headers == theirs.raw_headers
    assert dict(ours.headers) == dict(theirs.headers)
    assert _sent(ours) == _sent(theirs)
