"""Records every vendor request and its answer in the runtime's journal (admin calls are not)."""

from __future__ import annotations

import json
import time
from typing import Any

from tagfake.clock import rfc3339
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Message, Receive, Scope, Send
from tagfake.redact import PLAIN
from tagfake.text import has_lone_surrogate

_MAX_TEXT = 64 * 1024


def _decoded(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        doc = None
    else:
        # A refused body may spell a lone surrogate: kept as its text, the journal can answer.
        if not has_lone_surrogate(doc):
            return doc
    return raw[:_MAX_TEXT].decode("utf-8", "replace")


def _headers(pairs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        name = bytes(k).decode("latin-1").lower()
        out[name] = PLAIN.header(name, bytes(v).decode("latin-1"))
    return out


class JournalRecorder:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is None or not call.vendor.is_vendor:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        wall = time.time()
        moment = call.runtime.clock.now()
        answer: dict[str, Any] = {"status": 0, "headers": [], "body": b""}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            call.runtime.journal.record(
                {
                    "time": rfc3339(moment),
                    # Wall-clock seconds, unlike `time` (the fake's clock, which may be frozen):
                    # what the dashboard's per-second charts are drawn on.
                    "wall_time": round(wall, 3),
                    "vendor": call.vendor.slug,
                    "tenant": call.tenant,
                    "operation_id": call.operation.operation_id if call.operation else None,
                    "method": scope["method"].upper(),
                    "path": scope["path"],
                    "query": PLAIN.query(scope.get("query_string", b"").decode("latin-1")),
                    # 0: the connection was dropped (a fault) before any answer.
                    "status": answer["status"],
                    "request": {
                        "headers": _headers(scope.get("headers", [])),
                        "body": call.body if call.body is not None else _decoded(call.raw_body),
                    },
                    "response": {
                        "headers": _headers(answer["headers"]),
                        "body": call.answer if call.answer_parsed else _decoded(answer["body"]),
                    },
                    "violations": list(call.violations),
                    "fault": call.fault,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    # `tagfake proxy`: the upstream's answer, request violations, differences.
                    **({"proxy": call.proxy} if call.proxy is not None else {}),
                }
            )
