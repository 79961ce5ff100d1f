"""The vendors' documented rate limits, when rate-limit mode is on: the vendor's own 429."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from tagfake.errors import TooManyRequests
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send


class RateLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is not None and call.credential is not None:
            limiter = call.runtime.limiter
            limit = call.vendor.rate_limit
            if limiter.enabled and limit is not None:
                hit = (call.vendor.slug, call.credential, limit, call.runtime.clock.now())
                if call.runtime.store.blocking:  # a write to a shared store: off the loop
                    wait = await run_in_threadpool(limiter.hit, *hit)
                else:
                    wait = limiter.hit(*hit)
                if wait:
                    raise TooManyRequests(wait)
        await self.app(scope, receive, send)
