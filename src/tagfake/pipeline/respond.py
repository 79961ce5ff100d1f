"""Every answer on a vendor route leaves through here: domain errors become the vendor's
envelope, nothing unexpected leaks a stack trace, and the answer is checked against the spec."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException

from tagfake.contract.spec import OperationContract, VendorContract
from tagfake.errors import (
    BadRequest,
    BodyTimeout,
    MethodNotAllowed,
    RouteNotFound,
    ServerFault,
    TagfakeError,
)
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.faults import DropConnection
from tagfake.pipeline.http import ASGIApp, Message, Receive, Scope, Send, dumps, loads
from tagfake.pipeline.media import is_json_media
from tagfake.settings import ValidationMode
from tagfake.state.store import StoreUnavailable

log = logging.getLogger("tagfake.validation")
outage = logging.getLogger("tagfake")

VIOLATIONS_HEADER = "x-tagfake-violations"
# The shared responses a router-made answer (no operation matched) is checked against.
_ROUTER_RESPONSES = {404: "NotFound", 405: "MethodNotAllowed", 501: "NotImplemented"}


def check_response(
    contract: VendorContract, operation: OperationContract | None, status: int, body: Any
) -> list[str]:
    """Where the answer breaks the spec; empty when it keeps it."""
    if operation is not None:
        documented, schema = operation.response_schema(status)
        if not documented:
            return [
                f"{operation.operation_id} {status}: status {status} is not documented"
                " for this operation"
            ]
    else:
        name = _ROUTER_RESPONSES.get(status)
        if name is None:
            return []
        where = f"{name} {status}"
        if name not in contract.shared_responses:
            return [f"{where}: components.responses.{name} is missing from the spec"]
        schema = contract.shared_responses[name]
    if schema is None:
        return []
    found = schema.violations(body, limit=5)
    if not found:
        return []
    if operation is not None:
        where = f"{operation.operation_id} {status}"
    return [f"{where}: {v}" for v in found]


class Respond:
    def __init__(self, app: ASGIApp, *, mode: ValidationMode) -> None:
        self.app = app
        self.mode = mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is None:
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                held["start"] = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    held["done"] = True
                    await self._finish(call, held["start"], b"".join(chunks), send)
            else:
                await send(message)

        try:
            if _has_line_break(scope):
                raise RouteNotFound(scope["path"])
            try:
                await self.app(scope, receive, capture)
            except HTTPException as exc:
                raise _router_error(call, scope, exc.status_code) from None
        except DropConnection:
            raise
        except TagfakeError as exc:
            if "start" in held:
                raise
            await self._error(call, exc, send)
        except StoreUnavailable as exc:
            if "start" in held:
                raise
            outage.warning("%s %s: store unavailable: %s", scope.get("method"), scope["path"], exc)
            await self._error(call, _unavailable(call), send)
        except Exception:
            if "start" in held:
                raise
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            await self._error(call, ServerFault(), send)

    async def _error(self, call: Call, exc: TagfakeError, send: Send) -> None:
        status, body, headers = call.vendor.render_error(exc, call.runtime)
        payload = dumps(body)
        raw = [] if _has(headers, "content-type") else [(b"content-type", b"application/json")]
        raw += [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]
        if isinstance(exc, BodyTimeout):  # what is left of the body would read as a request
            raw.append((b"connection", b"close"))
        start = {"type": "http.response.start", "status": status, "headers": raw}
        await self._finish(call, start, payload, send)

    async def _finish(self, call: Call, start: Message, payload: bytes, send: Send) -> None:
        status = int(start["status"])
        headers: list[tuple[bytes, bytes]] = []
        ctype: bytes | None = None
        for k, v in start.get("headers", []):
            name = k.lower()
            if name == b"content-length":
                continue
            if ctype is None and name == b"content-type":
                ctype = v
            headers.append((k, v))
        if self.mode != "off" and call.fault is None:
            problems = self._violations(call, status, ctype or b"", payload)
            if problems:
                call.violations.extend(problems)
                log.warning("response breaks the %s contract: %s", call.vendor.slug, problems)
                if self.mode == "enforce":
                    status, body, extra = call.vendor.render_error(ServerFault(), call.runtime)
                    payload = dumps(body)
                    call.answer = body
                    headers = (
                        []
                        if _has(extra, "content-type")
                        else [(b"content-type", b"application/json")]
                    )
                    headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        if call.violations:
            # Everything found on the way, the request's too (the proxy reports those).
            summary = " | ".join(call.violations)[:2000]
            headers.append((VIOLATIONS_HEADER.encode(), _ascii(summary)))
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    def _violations(call: Call, status: int, ctype: bytes, payload: bytes) -> list[str]:
        """`ctype`: the answer's first Content-Type (b"" when it has none)."""
        if not payload:
            body: Any = None
        elif not is_json_media(ctype.decode("latin-1")):
            return [f"status {status}: answer is {ctype.decode('latin-1') or 'untyped'}, not JSON"]
        elif call.replied is not None and call.replied[0] == payload:
            body = call.replied[1]
        else:
            try:
                body = loads(payload)
            except ValueError:
                return [f"status {status}: answer is not valid JSON"]
        call.answer, call.answer_parsed = body, True
        return check_response(call.contract, call.operation, status, body)


def _unavailable(call: Call) -> ServerFault:
    """The store is away: the vendor's 503 where the operation documents one, else its 500."""
    documented = call.operation is not None and str(503) in call.operation.responses
    if documented or call.operation is None:
        return ServerFault(503, "Service Unavailable")
    return ServerFault()


def _router_error(call: Call, scope: Scope, status: int) -> TagfakeError:
    """Starlette's own 404/405 for a partial route match, as the vendor's error; any other
    status it raises (a request it cannot read) as the vendor's 400 or 500."""
    allow = call.contract.methods_for(scope["path"][len(call.mount) :] or "/")
    if status == 405 and allow:
        return MethodNotAllowed(scope["method"].upper(), allow)
    if status in {404, 405}:
        return RouteNotFound(scope["path"])
    if 400 <= status < 500:
        return BadRequest("The request could not be read.")
    return ServerFault()


def _has(headers: dict[str, str], name: str) -> bool:
    return any(k.lower() == name for k in headers)


def _has_line_break(scope: Scope) -> bool:
    path = scope["path"]
    if "\n" in path or "\r" in path:
        return True
    raw = scope.get("raw_path") or b""
    # `find`, not `in`: a bytes `in` first tries its operand as an integer, and the TypeError
    # it raises and drops costs more than the search.
    if raw.find(b"%0") < 0:
        return False
    raw = raw.lower()
    return raw.find(b"%0a") >= 0 or raw.find(b"%0d") >= 0


def _ascii(text: str) -> bytes:
    return text.encode("ascii", "backslashreplace").replace(b"\r", b" ").replace(b"\n", b" ")
