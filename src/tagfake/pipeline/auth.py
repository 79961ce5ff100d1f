"""The credential decides the tenant; a missing, unknown or ambiguous one is the vendor's 401."""

from __future__ import annotations

import functools
from collections.abc import Awaitable

from tagfake.errors import Unauthorized
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, hands_on
from tagfake.pipeline.offload import store_call
from tagfake.vendors.base import Surface


def credentials_sent(surface: Surface, scope: Scope) -> dict[str, str] | None:
    """The surface's credential headers the request carries, by lower-case name; None when one
    is given more than once, even with equal values: which one counts would be a guess
    (proxies and servers disagree on first or last), so none does."""
    wanted, sizes = _names_of(surface.credential_headers)
    found: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if len(key) not in sizes:  # most headers: no lower-cased copy, no text made
            continue
        name = bytes(key).lower()
        if name in wanted:
            text = name.decode("latin-1")
            if text in found:
                return None
            found[text] = bytes(value).decode("latin-1")
    return found


@functools.cache
def _names_of(names: tuple[str, ...]) -> tuple[frozenset[bytes], frozenset[int]]:
    """Header names as the request carries them (lower-cased bytes), and their lengths."""
    encoded = frozenset(n.lower().encode("latin-1") for n in names)
    return encoded, frozenset(len(n) for n in encoded)


def credential_of(surface: Surface, scope: Scope) -> str | None:
    """The one credential the request carries; None when it carries none or an ambiguous one."""
    found = credentials_sent(surface, scope)
    return None if found is None else surface.credential(found)


class Auth:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @hands_on
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain function handing on the next stage's awaitable, unless the store blocks.
        call: Call | None = scope.get(SCOPE_KEY)
        if call is not None and call.vendor.is_vendor:
            found = credentials_sent(call.vendor, scope)
            if found is None:
                raise Unauthorized("Ambiguous credentials: send one.", missing=False)
            credential = call.vendor.credential(found)
            if credential is None:
                raise Unauthorized(missing=True)
            store = call.runtime.store
            if store.blocking:
                return self._looked_up(call, credential, scope, receive, send)
            _admit(call, credential, store.tenant_of(call.vendor.slug, credential))
        return self.app(scope, receive, send)

    async def _looked_up(
        self, call: Call, credential: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        store = call.runtime.store
        tenant = await store_call(call.runtime, store.tenant_of, call.vendor.slug, credential)
        _admit(call, credential, tenant)
        await self.app(scope, receive, send)


def _admit(call: Call, credential: str, tenant: str | None) -> None:
    if tenant is None:
        raise Unauthorized(missing=False)
    call.credential = credential
    call.tenant = tenant
