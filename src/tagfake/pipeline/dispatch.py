"""Last vendor stage: the operation's handler, called with the arguments it names.

Compiled once at start from the specs and the handler modules: for each operationId, the
handler function, which of its path and query parameters it takes (coerced to the schema's
type) and whether it takes the body. A request then does only that: no per-request signature
inspection, no framework request object. Anything without a compiled operation (the index
page, a spec file, the Swagger UI) goes on to connexion.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import Response

from tagfake.contract.spec import OperationContract, Param
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send
from tagfake.pipeline.requests import coerce

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Endpoint:
    handler: Handler
    path_args: tuple[tuple[str, Param], ...]
    query_args: tuple[tuple[str, Param], ...]
    takes_body: bool
    #: What the handler gets for an absent body: the schema's default (else `{}`), as connexion.
    default_body: Any

    def arguments(self, call: Call, scope: Scope) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.path_args:
            values = scope.get("path_params", {})
            for name, p in self.path_args:
                kwargs[name] = coerce(p, str(values[p.name]))
        if self.query_args:
            # As starlette reads a query: `?search=` is the empty text, the last value wins.
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"), True)
            for name, p in self.query_args:
                given = query.get(p.name)
                if given is not None:
                    kwargs[name] = coerce(p, given[-1])
        if self.takes_body:
            body = call.body
            kwargs["body"] = copy.deepcopy(self.default_body) if body is None else body
        return kwargs


def compile_endpoint(op: OperationContract, handler: Handler) -> Endpoint:
    accepted = inspect.signature(handler).parameters
    path_args = tuple((p.name, p) for p in op.params if p.location == "path" and p.name in accepted)
    query_args = tuple(
        (p.name, p) for p in op.params if p.location == "query" and p.name in accepted
    )
    default = op.body.json_schema.get("default", {}) if op.body is not None else {}
    takes_body = bool(op.body_media) and "body" in accepted
    return Endpoint(handler, path_args, query_args, takes_body, default)


def compile_endpoints(
    operations: Iterable[OperationContract], resolve: Callable[[str], Handler]
) -> dict[str, Endpoint]:
    return {op.operation_id: compile_endpoint(op, resolve(op.operation_id)) for op in operations}


class Dispatch:
    def __init__(self, app: ASGIApp, *, endpoints: dict[int, dict[str, Endpoint]]) -> None:
        self.app = app
        #: id(contract) → operationId → endpoint: each surface's own handlers.
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is None or call.operation is None:
            await self.app(scope, receive, send)
            return
        endpoint = self.endpoints[id(call.contract)][call.operation.operation_id]
        response: Response = await endpoint.handler(**endpoint.arguments(call, scope))
        body = getattr(response, "body", None)
        if not isinstance(body, bytes) or response.background is not None:
            await response(scope, receive, send)  # streamed, or with work after the answer
            return
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": body})
