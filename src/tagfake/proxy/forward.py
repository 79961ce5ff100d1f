"""The proxy's last stage, where the fake has its handler: check the request against the spec,
forward it, hand the upstream's answer back (Respond, outside, checks it against the spec)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from tagfake.errors import BodyTimeout, Invalid, PayloadTooLarge, ServerFault, TagfakeError
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    dumps,
    headers_dict,
    replay,
)
from tagfake.pipeline.requests import RequestCheck, read_request_body
from tagfake.pipeline.routes import RouteCheck
from tagfake.proxy.options import ProxyOptions
from tagfake.proxy.upstream import Upstream, UpstreamFailed

if TYPE_CHECKING:
    from tagfake.proxy.shadow import Shadow

log = logging.getLogger("tagfake.proxy")

UPSTREAM_ERROR_HEADER = b"x-tagfake-upstream-error"
T = TypeVar("T")


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}


async def _reached(scope: Scope, receive: Receive, send: Send) -> None:
    """Where a request that keeps the spec ends up inside the check."""


def describe(call: Call, scope: Scope, error: TagfakeError) -> str:
    """A request the fake would refuse, as one line for the header, journal and report."""
    status, _, _ = call.vendor.render_error(error, call.runtime)
    where = (
        call.operation.operation_id
        if call.operation is not None
        else f"{scope['method'].upper()} {scope['path']}"
    )
    detail = error.message
    if isinstance(error, Invalid) and error.fields:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
    return f"request {where}: the spec refuses it ({status}): {detail}"


class Forward:
    def __init__(
        self,
        app: ASGIApp,
        *,
        options: ProxyOptions,
        upstream: Upstream,
        max_body_bytes: int,
        max_json_depth: int,
        body_timeout: float,
        shadow: Shadow | None = None,
    ) -> None:
        self.app = app
        self.options = options
        self.upstream = upstream
        self.limit = max_body_bytes
        self.body_timeout = body_timeout
        self.shadow = shadow
        limits: dict[str, Any] = {
            "max_body_bytes": max_body_bytes,
            "max_json_depth": max_json_depth,
            "body_timeout": body_timeout,
        }
        # The admin API is checked as in the fake.
        self.admin: ASGIApp = RouteCheck(RequestCheck(app, **limits))
        # The fake's own request stages, run around nothing: whatever they refuse is reported.
        self.check: ASGIApp = RouteCheck(RequestCheck(_reached, **limits))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if scope["type"] != "http" or call is None:
            await self.app(scope, receive, send)
            return
        if not call.vendor.is_vendor:
            await self.admin(scope, receive, send)
            return
        info: dict[str, Any] = {"upstream": None, "forwarded": False, "request_violations": []}
        call.proxy = info
        try:
            raw = await read_request_body(scope, receive, self.limit, self.body_timeout)
        except (PayloadTooLarge, BodyTimeout) as exc:
            # Not buffered, so not forwarded: the app gets the vendor's 413 (or 400) from the proxy.
            info["refused"] = f"the body could not be buffered: {exc.message}"
            raise
        call.raw_body = raw
        refusal = await self._check(call, scope, raw)
        if refusal is not None:
            text = describe(call, scope, refusal)
            call.violations.append(text)
            info["request_violations"] = [text]
            if self.options.request_check == "enforce":
                info["refused"] = "the request breaks the spec (--request-check enforce)"
                raise refusal
        suffix = (scope.get("raw_path") or scope["path"].encode())[len(call.mount.encode()) :]
        url = self.upstream.url(suffix.decode("latin-1"), scope.get("query_string", b""))
        info["upstream"] = _without_query(url)
        if self.shadow is not None:
            await self._shadow(self.shadow.prepare(call, scope, raw), info)
            # The journal's tenant: the shadow's, where it knows the credential.
            credential = call.vendor.credential(headers_dict(scope))
            if credential is not None:
                call.tenant = call.runtime.store.tenant_of(call.vendor.slug, credential)
        try:
            answer = await self.upstream.send(
                scope["method"].upper(), url, list(scope.get("headers", [])), raw
            )
        except UpstreamFailed as exc:
            await self._bad_gateway(call, f"the upstream {exc}", send)
            return
        info["forwarded"] = True
        info["upstream_status"] = answer.status
        if self.shadow is not None:
            info.update(
                await self._shadow(self.shadow.compare(call, scope, raw, answer), info) or {}
            )
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})

    @staticmethod
    async def _shadow(work: Awaitable[T], info: dict[str, Any]) -> T | None:
        """The shadow never costs the app its answer: a failure there is only reported."""
        try:
            return await work
        except Exception as exc:
            log.exception("shadow comparison failed")
            info["shadow"] = f"not compared: the shadow failed ({type(exc).__name__}: {exc})"
            return None

    async def _check(self, call: Call, scope: Scope, raw: bytes) -> TagfakeError | None:
        try:
            await self.check(scope, replay(raw, _nothing_more), _refuse_send)
        except TagfakeError as exc:
            return exc
        # A vendor that validates after looking the route's entities up (Laravel's order) has
        # its schema violation handed on to the backend: here, it is the request's violation.
        pending, call.pending = call.pending, None
        return pending

    async def _bad_gateway(self, call: Call, why: str, send: Send) -> None:
        """The vendor's own 502, with why in a header; never checked against the spec."""
        log.warning("%s %s: %s", call.vendor.slug, call.proxy and call.proxy.get("upstream"), why)
        assert call.proxy is not None
        call.proxy["error"] = why
        call.fault = f"proxy: {why}"
        status, body, extra = call.vendor.render_error(ServerFault(502, why), call.runtime)
        headers = [(b"content-type", b"application/json")]
        headers += [(k.lower().encode(), v.encode("latin-1")) for k, v in extra.items()]
        headers.append((UPSTREAM_ERROR_HEADER, why.encode("ascii", "backslashreplace")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": dumps(body)})


async def _refuse_send(message: Message) -> None:
    raise AssertionError("the request check answers nothing itself")


def _without_query(url: str) -> str:
    # The query may carry a credential: the journal keeps it apart, redacted.
    return url.split("?", 1)[0]
