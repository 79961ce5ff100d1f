"""Stages that hand on the next stage's awaitable instead of being coroutines of their own are
still ASGI 3 apps to whatever tells the interfaces apart, and behave as coroutine stages do."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest
import uvicorn

from tagfake.pipeline.admin_guard import AdminGuard, AdminPolicy
from tagfake.pipeline.auth import Auth
from tagfake.pipeline.faults import Faults
from tagfake.pipeline.ratelimit import RateLimit
from tagfake.pipeline.routes import RouteCheck

STAGES: list[Any] = [
    RouteCheck,
    Faults,
    Auth,
    RateLimit,
    partial(AdminGuard, policy=AdminPolicy(None, (), "127.0.0.1")),
]


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_is_an_asgi3_app(stage: Any) -> None:
    app = stage(_answer)
    assert asyncio.iscoroutinefunction(app.__call__)
    config = uvicorn.Config(app)
    config.load()
    assert config.interface == "asgi3"


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_passes_a_request_it_has_nothing_to_do_with(stage: Any) -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/elsewhere", "headers": []}
    asyncio.run(stage(_answer)(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
