"""After connexion's routing: an unknown path is the vendor's 404, a known path with another
method its 405 (CommBox: 501), with an `Allow` header computed from the spec."""

from __future__ import annotations

from collections.abc import Awaitable

from tagfake.errors import MethodNotAllowed, RouteNotFound
from tagfake.pipeline.call import SCOPE_KEY, Call
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, hands_on

ROUTING_CONTEXT = "connexion_routing"
#: In the routing context: the compiled route table named the operation by a concrete spec
#: path (`/leads/tags`), the most concrete path there is for the request.
CONCRETE = "tagfake.concrete"


class RouteCheck:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @hands_on
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        call: Call | None = scope.get(SCOPE_KEY)
        if call is not None:
            routing = scope.get("extensions", {}).get(ROUTING_CONTEXT, {})
            op_id = routing.get("operation_id")
            method = scope["method"].upper()
            if op_id is None or method in {"HEAD", "OPTIONS"}:
                sub = scope["path"][len(call.mount) :] or "/"
                allow = call.contract.methods_for(sub)
                # A path value the route's type refuses (`/profiles/abc`) names nothing: 404.
                if allow is None or method in allow:
                    raise RouteNotFound(scope["path"])
                raise MethodNotAllowed(method, allow)
            operation = call.contract.operations[op_id]
            if not routing.get(CONCRETE):
                sub = scope["path"][len(call.mount) :] or "/"
                route = call.contract.route_for(sub)
                if route is not None and op_id not in route.values():
                    # The router took a templated path (`/leads/{id}`) for a concrete one the
                    # spec names (`/leads/tags`), which does not support this method.
                    raise MethodNotAllowed(method, sorted(m.upper() for m in route))
            call.operation = operation
        return self.app(scope, receive, send)
