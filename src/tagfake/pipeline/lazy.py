"""Parts of the app most sessions never reach (connexion's part, the dashboard), built on their
first request rather than at start."""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send


class BuiltOnFirstUse:
    """An ASGI app built once, by whichever request (or thread, through `get`) needs it first.
    A request builds it on a worker thread, so requests already in flight keep being answered."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._build = build
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    def get(self) -> ASGIApp:
        with self._lock:
            if self._app is None:
                self._app = self._build()
            return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if app is None:
            app = await run_in_threadpool(self.get)
        await app(scope, receive, send)
