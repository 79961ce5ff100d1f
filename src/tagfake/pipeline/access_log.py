"""`TAGFAKE_LOG_FORMAT=json`: one JSON line per request on stdout, and JSON log records.

`AccessLog` wraps the whole ASGI app (outside connexion's middleware), so every request is
logged once, whatever answered it: a handler, the guard, routing, or an error handler.
A line: `{"time", "method", "path", "status", "duration_ms", "vendor"?}`; `vendor` is there
when the path is under a served vendor's mount. A request whose client went away before any
answer is logged with status 499, as nginx does.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from tagfake.pipeline.http import ASGIApp, Message, Receive, Scope, Send

CLIENT_CLOSED = 499


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_line(**fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)


class AccessLog:
    def __init__(
        self, app: ASGIApp, mounts: Mapping[str, str], stream: TextIO | None = None
    ) -> None:
        self.app = app
        # Longest mount first, so `/a/b` wins over `/a`; "" (single-vendor at "/") matches all.
        self.mounts = sorted(mounts.items(), key=lambda item: len(item[0]), reverse=True)
        self.stream = stream

    def vendor_of(self, path: str) -> str | None:
        for prefix, slug in self.mounts:
            if not prefix or path == prefix or path.startswith(prefix + "/"):
                return slug
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except BaseException:
            status = status or 500
            raise
        finally:
            self.write(scope, status or CLIENT_CLOSED, started)

    def write(self, scope: Scope, status: int, started: float) -> None:
        fields: dict[str, Any] = {
            "time": utc_now(),
            "method": scope.get("method", ""),
            "path": scope.get("path", ""),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        vendor = self.vendor_of(fields["path"])
        if vendor is not None:
            fields["vendor"] = vendor
        stream = self.stream or sys.stdout
        stream.write(json_line(**fields) + "\n")
        stream.flush()


class JsonFormatter(logging.Formatter):
    """Log records as one JSON object a line: time, level, logger, message (+ exception)."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        return json_line(**fields)
