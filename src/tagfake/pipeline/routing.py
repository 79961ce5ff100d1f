"""Routing compiled from the specs: a concrete spec path (`/tags`, `/leads/tags`) is one dict
lookup on the full request path; anything else (templated paths, trailing slashes, unknown
paths) goes through connexion's routers, which RouteCheck then reads the same way."""

from __future__ import annotations

from collections.abc import Iterable

from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from tagfake.contract.spec import VendorContract
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send
from tagfake.pipeline.routes import ROUTING_CONTEXT

Route = dict[str, tuple[str, str]]  # METHOD → (mount prefix, operationId)


def concrete_routes(mounts: Iterable[tuple[str, VendorContract]]) -> dict[str, Route]:
    """Full path → METHOD → (prefix, operationId) for every spec path without a template."""
    table: dict[str, Route] = {}
    for prefix, contract in mounts:
        for op in contract.operations.values():
            if "{" not in op.path:
                table.setdefault(prefix + op.path, {})[op.method.upper()] = (
                    prefix,
                    op.operation_id,
                )
    return table


class Routing(RoutingMiddleware):  # type: ignore[misc]  # connexion is untyped
    def __init__(self, app: ASGIApp, *, concrete: dict[str, Route]) -> None:
        super().__init__(app)
        self.concrete = concrete
        self.next = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self.concrete.get(scope["path"])
            found = None if route is None else route.get(scope["method"])
            if found is not None:
                extensions = scope.setdefault("extensions", {})
                extensions[ROUTING_CONTEXT] = {"api_base_path": found[0], "operation_id": found[1]}
                await self.next(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


class SpecDocs(SwaggerUIMiddleware):  # type: ignore[misc]  # connexion is untyped
    """connexion's spec files and Swagger UI (`<mount>/openapi.json`), skipped by a request for
    an operation's concrete path, which can be none of them."""

    def __init__(self, app: ASGIApp, *, concrete: dict[str, Route]) -> None:
        super().__init__(app)
        self.concrete = concrete
        self.next = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.concrete:
            await self.next(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
