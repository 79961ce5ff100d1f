"""Makes the vendor misbehave on purpose: the admin API's fault rules and the per-request
`X-Tagfake-Fault` header. Runs after routing (rules match operationIds), before auth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tagfake import errors as e
from tagfake.admin.faults import HEADER, FaultSpecError, Target
from tagfake.pipeline.auth import credential_of
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, hands_on, header
from tagfake.pipeline.offload import store_call
from tagfake.pipeline.requests import read_request_body

# A 200 whose body stops half-way: the client's JSON parser must cope.
MALFORMED_BODY = b'{"data": [{"id": "'


class DropConnection(Exception):
    """Raised where no transport can be closed (an in-process client): the call fails."""


def _as_error(status: int) -> e.TagfakeError:
    """A status as the domain error each vendor already knows how to shape."""
    known: dict[int, e.TagfakeError] = {
        400: e.BadRequest("Bad Request"),
        401: e.Unauthorized(),
        404: e.NotFound(),
        409: e.Conflict("Conflict"),
        413: e.PayloadTooLarge(0),
        415: e.UnsupportedMediaType("Unsupported Media Type"),
        422: e.Invalid("The given data was invalid."),
        429: e.TooManyRequests(1),
    }
    return known.get(status, e.ServerFault(status))


async def drop(receive: Receive) -> None:
    """Close the client's connection without a word, where the server lets us reach it.

    Under uvicorn `receive` is bound to the request cycle, which holds the transport; once the
    loop has seen the connection lost, returning without an answer is silent."""
    cycle: Any = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise DropConnection
    transport.abort()
    for _ in range(3):
        await asyncio.sleep(0)


class Faults:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @hands_on
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Most requests ask for no fault and the memory store has no rules: a plain function
        # handing on the next stage's awaitable.
        call: Call | None = scope.get(SCOPE_KEY)
        if call is None or not call.vendor.is_vendor or call.operation is None:
            return self.app(scope, receive, send)
        wanted = header(scope, HEADER)
        runtime = call.runtime
        if wanted is None and not runtime.store.blocking and not runtime.faults.has_rules():
            return self.app(scope, receive, send)
        return self._faulted(call, wanted, scope, receive, send)

    async def _faulted(
        self, call: Call, wanted: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        assert call.operation is not None  # as the caller checked
        rules = call.runtime.faults
        # Without the header only a blocking store's rules are still to be asked for (the
        # caller asked the memory store's).
        blocking = call.runtime.store.blocking
        if wanted is None and blocking and not await store_call(call.runtime, rules.has_rules):
            await self.app(scope, receive, send)
            return
        credential = credential_of(call.vendor, scope)
        tenant = await store_call(
            call.runtime, call.runtime.store.tenant_of, call.vendor.slug, credential or ""
        )
        target = Target(
            vendor=call.vendor.slug,
            operation=call.operation.operation_id,
            method=scope["method"].upper(),
            path=scope["path"],
            tenant=tenant,
        )
        try:
            rule = await store_call(call.runtime, rules.pick, target, wanted)
        except FaultSpecError as exc:
            raise e.BadRequest(f"X-Tagfake-Fault: {exc}") from None
        if rule is None:
            await self.app(scope, receive, send)
            return
        call.fault = rule.describe()
        # The journal shows what a faulted try sent, as for any other request.
        call.tenant = target.tenant
        if call.operation.body_media and rule.effect["kind"] != "delay":
            settings = call.runtime.settings
            call.raw_body = await read_request_body(
                scope, receive, settings.max_body_bytes, settings.body_timeout
            )
        kind = rule.effect["kind"]
        if kind == "delay":
            await sleep_at_least(rule.delay_seconds())
            call.fault = f"{call.fault} (then answered normally)"
            await self.app(scope, receive, send)
        elif kind == "status":
            raise _as_error(int(rule.effect["status"]))
        elif kind == "rate_limit":
            raise e.TooManyRequests(int(rule.effect.get("retry_after", 1)))
        elif kind == "drop":
            await drop(receive)
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": MALFORMED_BODY})


async def sleep_at_least(
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """An injected delay is a promise of at least that long; uvloop's timers have millisecond
    granularity and may fire a fraction of a millisecond early."""
    deadline = clock() + seconds
    while (left := deadline - clock()) > 0:
        await sleep(left)
