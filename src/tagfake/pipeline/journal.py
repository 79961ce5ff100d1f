"""Records every vendor request and its answer in the runtime's journal (admin calls are not)."""

from __future__ import annotations

import functools
import logging
import math
import os
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from tagfake.clock import rfc3339
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Message, Receive, Scope, Send
from tagfake.pipeline.offload import store_call
from tagfake.redact import PLAIN
from tagfake.state.store import StoreUnavailable

log = logging.getLogger("tagfake")


def _headers(pairs: list[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        name = bytes(k).decode("latin-1").lower()
        out[name] = PLAIN.header(name, bytes(v).decode("latin-1"))
    return out


@functools.lru_cache(maxsize=8)
def _second(epoch_s: int) -> str:
    return rfc3339(datetime.fromtimestamp(epoch_s, UTC))


def _stamp(moment: datetime) -> str:
    """rfc3339(moment), formatted once per second of the clock rather than once per request."""
    return _second(math.floor(moment.timestamp()))


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
        moment = await store_call(call.runtime, call.runtime.clock.now)
        answer: dict[str, Any] = {"status": 0, "headers": [], "body": b"", "size": 0}
        limit = call.runtime.journal.body_limit

        recorded = False

        async def record() -> None:
            nonlocal recorded
            recorded = True
            write = partial(
                call.runtime.journal.record,
                {
                    "time": _stamp(moment),
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
                    "request": {"headers": _headers(scope.get("headers", []))},
                    "response": {"headers": _headers(answer["headers"])},
                    "violations": list(call.violations),
                    "fault": call.fault,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    # Which process answered, when several workers serve one port.
                    "worker": os.getpid(),
                    # `tagfake proxy`: the upstream's answer, request violations, differences.
                    **({"proxy": call.proxy} if call.proxy is not None else {}),
                },
                call.raw_body,
                answer["body"],
                response_size=answer["size"],
            )
            try:
                await store_call(call.runtime, write)
            except StoreUnavailable as exc:
                # The answer still goes out; only its journal entry is lost with the store.
                log.warning("journal entry of %s %s lost: %s", scope["method"], scope["path"], exc)

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                answer["size"] += len(chunk)
                if len(answer["body"]) <= limit:  # the journal keeps no more than its limit
                    answer["body"] += chunk[: limit + 1 - len(answer["body"])]
                if not message.get("more_body", False) and call.proxy is None:
                    # Journaled before the answer's last byte leaves: a client that reads the
                    # journal once it has its answer finds the entry there. (`tagfake proxy`
                    # adds what it observed of the answer after sending it: recorded last.)
                    await record()
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if not recorded:  # no whole answer: an error on the way, or a dropped connection
                await record()
