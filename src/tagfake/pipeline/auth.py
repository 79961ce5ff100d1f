"""The credential decides the tenant; a missing, unknown or ambiguous one is the vendor's 401."""

from __future__ import annotations

from tagfake.errors import Unauthorized
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, headers_dict
from tagfake.vendors.base import Surface


def sent_twice(surface: Surface, scope: Scope) -> bool:
    """A credential header given more than once, even with equal values: which one counts
    would be a guess (proxies and servers disagree on first or last), so none does."""
    names = [bytes(k).decode("latin-1").lower() for k, _ in scope.get("headers", [])]
    return any(names.count(h) > 1 for h in surface.credential_headers)


def credential_of(surface: Surface, scope: Scope) -> str | None:
    """The one credential the request carries; None when it carries none or an ambiguous one."""
    if sent_twice(surface, scope):
        return None
    return surface.credential(headers_dict(scope))


class Auth:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is not None and call.vendor.is_vendor:
            if sent_twice(call.vendor, scope):
                raise Unauthorized("Ambiguous credentials: send one.", missing=False)
            credential = call.vendor.credential(headers_dict(scope))
            if credential is None:
                raise Unauthorized(missing=True)
            tenant = call.runtime.store.tenant_of(call.vendor.slug, credential)
            if tenant is None:
                raise Unauthorized(missing=False)
            call.credential = credential
            call.tenant = tenant
        await self.app(scope, receive, send)
