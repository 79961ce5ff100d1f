"""The credential decides the tenant; a missing or unknown one is the vendor's 401."""

from __future__ import annotations

from tagfake.errors import Unauthorized
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, headers_dict
from tagfake.pipeline.offload import store_call


class Auth:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is not None and call.vendor.is_vendor:
            credential = call.vendor.credential(headers_dict(scope))
            if credential is None:
                raise Unauthorized(missing=True)
            tenant = await store_call(
                call.runtime, call.runtime.store.tenant_of, call.vendor.slug, credential
            )
            if tenant is None:
                raise Unauthorized(missing=False)
            call.credential = credential
            call.tenant = tenant
        await self.app(scope, receive, send)
