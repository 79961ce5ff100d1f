"""Outermost: whatever escapes everything else becomes a bare 500, logged, never a trace.

Vendor routes never get here (Respond answers in the vendor's envelope); this covers the rest
and replaces connexion's ServerErrorMiddleware, whose handler starlette 1.x never awaits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from tagfake.pipeline.http import ASGIApp, Message, Receive, Scope, Send, send_json

log = logging.getLogger("tagfake")


class LastResort:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        def watch(message: Message) -> Awaitable[None]:  # the next send's own awaitable
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            return send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await send_json(send, 500, {"error": "Internal Server Error"})
