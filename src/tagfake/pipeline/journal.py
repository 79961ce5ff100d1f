"""Records every vendor request and its answer in the runtime's journal (admin calls are not)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from tagfake.admin.journal import Exchange
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Message, Receive, Scope, Send
from tagfake.pipeline.offload import store_call
from tagfake.state.store import StoreUnavailable

if TYPE_CHECKING:
    from tagfake.runtime import Runtime

log = logging.getLogger("tagfake")

# This process's id, read once (and again in a forked child) rather than per entry: under
# load each getpid() system call cost a GET several per cent of its time.
_process = {"pid": os.getpid()}
os.register_at_fork(after_in_child=lambda: _process.update(pid=os.getpid()))


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
        runtime = call.runtime
        blocking = runtime.store.blocking
        clock = runtime.clock
        moment = await store_call(runtime, clock.now) if blocking else clock.now()
        answer: dict[str, Any] = {"status": 0, "headers": [], "body": b"", "size": 0}
        limit = runtime.journal.body_limit

        recorded = False

        def exchange() -> Exchange:
            nonlocal recorded
            recorded = True
            # What the request and answer were, by reference: formatted when it is read. By
            # position, in the fields' order: nineteen keywords cost thrice the construction.
            return Exchange(
                moment,
                wall,
                call.vendor.slug,
                call.tenant,
                call.operation.operation_id if call.operation else None,
                scope["method"].upper(),
                scope["path"],
                scope.get("query_string", b""),
                answer["status"],
                scope.get("headers", []),
                answer["headers"],
                list(call.violations),
                call.fault,
                time.perf_counter() - started,
                _process["pid"],
                call.raw_body,
                answer["body"],
                answer["size"],
                call.proxy,
            )

        async def record_then_send(message: Message) -> None:
            await store_call(runtime, _keep, runtime, exchange(), scope)
            await send(message)

        # A plain function handing on the next send's awaitable: a coroutine of its own per
        # message would cost more than what it does.
        def watch(message: Message) -> Awaitable[None]:
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
                    if blocking:
                        return record_then_send(message)
                    _keep(runtime, exchange(), scope)
            return send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if not recorded:  # no whole answer: an error on the way, or a dropped connection
                if blocking:
                    await store_call(runtime, _keep, runtime, exchange(), scope)
                else:
                    _keep(runtime, exchange(), scope)


def _keep(runtime: Runtime, exchange: Exchange, scope: Scope) -> None:
    try:
        runtime.journal.record_exchange(exchange)
    except StoreUnavailable as exc:
        # The answer still goes out; only its journal entry is lost with the store.
        log.warning("journal entry of %s %s lost: %s", scope["method"], scope["path"], exc)
