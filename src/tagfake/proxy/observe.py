"""Outside the answer check: once an exchange is over (its violations known), it goes to the
proxy report and, with `--record`, to the HAR recording."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Message, Receive, Scope, Send, headers_dict
from tagfake.proxy.har import HarRecorder
from tagfake.proxy.report import ProxyReport


class Observe:
    def __init__(
        self, app: ASGIApp, *, report: ProxyReport, recorder: HarRecorder | None = None
    ) -> None:
        self.app = app
        self.report = report
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is None or not call.vendor.is_vendor:
            await self.app(scope, receive, send)
            return
        started = datetime.now(UTC)
        began = time.perf_counter()
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
            self._done(call, scope, answer, started, (time.perf_counter() - began) * 1000)

    def _done(
        self, call: Call, scope: Scope, answer: dict[str, Any], started: datetime, ms: float
    ) -> None:
        proxy = call.proxy
        if proxy is not None:
            asked = set(proxy.get("request_violations", []))
            proxy["answer_violations"] = [v for v in call.violations if v not in asked]
        entry = {
            "operation_id": call.operation.operation_id if call.operation else None,
            "method": scope["method"].upper(),
            "path": scope["path"],
            "status": answer["status"],
            "violations": list(call.violations),
        }
        self.report.add(entry, proxy)
        if self.recorder is None:
            return
        credential = call.vendor.credential(headers_dict(scope))
        self.recorder.add(
            started=started,
            duration_ms=ms,
            method=entry["method"],
            url=(proxy or {}).get("upstream") or scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            request_headers=list(scope.get("headers", [])),
            request_body=call.raw_body or b"",
            status=answer["status"],
            response_headers=answer["headers"],
            response_body=answer["body"],
            tagfake={
                "vendor": call.vendor.slug,
                "operation_id": entry["operation_id"],
                "path": scope["path"][len(call.mount) :] or "/",
                "path_params": {k: str(v) for k, v in scope.get("path_params", {}).items()},
                "tenant": self.recorder.fingerprint(credential),
                "forwarded": bool(proxy and proxy.get("forwarded")),
                "violations": entry["violations"],
            },
        )
