"""The vendors' documented rate limits, when rate-limit mode is on: the vendor's own 429."""

from __future__ import annotations

from collections.abc import Awaitable

from tagfake.errors import TooManyRequests
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, hands_on
from tagfake.pipeline.offload import store_call


class RateLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @hands_on
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain function handing on the next stage's awaitable, unless the store blocks.
        call: Call | None = scope.get(SCOPE_KEY)
        if call is not None and call.credential is not None:
            limit = call.vendor.rate_limit
            if limit is not None:
                if call.runtime.store.blocking:
                    return self._counted(call, limit, scope, receive, send)
                wait = _hit(call, limit)
                if wait:
                    raise TooManyRequests(wait)
        return self.app(scope, receive, send)

    async def _counted(
        self, call: Call, limit: tuple[int, int], scope: Scope, receive: Receive, send: Send
    ) -> None:
        wait = await store_call(call.runtime, _hit, call, limit)
        if wait:
            raise TooManyRequests(wait)
        await self.app(scope, receive, send)


def _hit(call: Call, limit: tuple[int, int]) -> int:
    limiter = call.runtime.limiter
    if not limiter.enabled or call.credential is None:
        return 0
    return limiter.hit(call.vendor.slug, call.credential, limit, call.runtime.clock.now())
