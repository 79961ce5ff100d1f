"""create_app(settings): the only way to build tagfake's ASGI app (CLI, tests, container).

The request pipeline is the list of stages below, in order; handlers know nothing of it. An
operation the compiled route table names (and the dashboard) goes through those stages alone;
anything else (unknown paths and methods, spec pages, Swagger UI, the index) through the same
stages inside connexion's app, which is built, and connexion imported, on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from tagfake import __version__
from tagfake.admin.backend import AdminBackend
from tagfake.admin.surface import SURFACE as ADMIN
from tagfake.contract.spec import compile_contract
from tagfake.handlers import check_handlers, handler_lookup, handlers_module
from tagfake.pipeline.admin_guard import AdminGuard, AdminPolicy
from tagfake.pipeline.auth import Auth
from tagfake.pipeline.dispatch import Dispatch, compile_endpoints
from tagfake.pipeline.faults import Faults
from tagfake.pipeline.guard import ADMIN_PREFIX, Guard, Mount
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send, answer_lifespan
from tagfake.pipeline.journal import JournalRecorder
from tagfake.pipeline.last_resort import LastResort
from tagfake.pipeline.lazy import BuiltOnFirstUse
from tagfake.pipeline.ratelimit import RateLimit
from tagfake.pipeline.requests import RequestCheck
from tagfake.pipeline.respond import Respond
from tagfake.pipeline.routes import RouteCheck
from tagfake.pipeline.routing import RouteTable, compile_routes, route
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.ui import is_ui_path, mount_ui

log = logging.getLogger("tagfake")


class TagfakeApp:
    """The ASGI app: the compiled stages for operations and the dashboard, connexion's app for
    the rest (`rest`, built on first use). It answers the lifespan itself: nothing is started
    or stopped with it."""

    def __init__(
        self, compiled: ASGIApp, table: RouteTable, build_rest: Callable[[], ASGIApp]
    ) -> None:
        self.compiled = compiled
        self.table = table
        self.rest = BuiltOnFirstUse(build_rest)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" and (route(scope, self.table) or is_ui_path(scope["path"])):
            await self.compiled(scope, receive, send)
        elif kind == "lifespan":
            await answer_lifespan(receive, send)
        else:
            await self.rest(scope, receive, send)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> TagfakeApp:
    settings = settings or Settings()
    if runtime is None:
        runtime = Runtime.build(settings)
        runtime.load_fixtures()
    mounts = [
        Mount(
            vendor.mount_path(settings.single_vendor),
            vendor,
            runtime.contracts[slug],
            runtime.backends[slug],
        )
        for slug, vendor in runtime.vendors.items()
    ]
    admin_spec = settings.specs_dir / "admin.openapi.yaml"
    admin_contract = compile_contract("admin", admin_spec)
    admin_backend = AdminBackend(runtime)
    mounts.append(Mount(ADMIN_PREFIX, ADMIN, admin_contract, admin_backend))
    policy = AdminPolicy(settings.admin_token, settings.allowed_hosts, settings.host)
    for m in mounts:
        check_handlers(m)
    # Compiled once from the specs: the route table, each operation's handler and arguments.
    routes = compile_routes((m.prefix, m.contract) for m in mounts)
    endpoints = {
        id(m.contract): compile_endpoints(
            m.contract.operations.values(), handler_lookup(handlers_module(m))
        )
        for m in mounts
    }
    ui = mount_ui(admin_backend, admin_contract, policy)
    # The pipeline, outermost first. Inside connexion's app, where no compiled operation names
    # the request, its exception handling and spec pages come after `outer` and its router
    # after `front`.
    outer = [
        LastResort,
        # Ahead of everything under /__admin: the API, its spec, the dashboard.
        partial(AdminGuard, policy=policy),
    ]
    front = [
        partial(Guard, runtime=runtime, mounts=mounts, ui=ui),
        JournalRecorder,
        partial(Respond, mode=settings.validation),
    ]
    inner = [
        RouteCheck,
        Faults,
        Auth,
        RateLimit,
        partial(
            RequestCheck,
            max_body_bytes=settings.max_body_bytes,
            max_json_depth=settings.max_json_depth,
            body_timeout=settings.body_timeout,
        ),
        # The operation's handler, called directly; what is not an operation goes on.
        partial(Dispatch, endpoints=endpoints),
    ]

    def build_rest() -> ASGIApp:
        from tagfake.app_connexion import connexion_app

        index = _index(mounts) if all(m.prefix for m in mounts) else None
        rest: ASGIApp = connexion_app(mounts, outer, front, inner, index)
        return rest

    app = TagfakeApp(_chain([*outer, *front, *inner], _no_operation), routes, build_rest)
    _RUNTIMES[id(app)] = runtime
    return app


def _chain(stages: list[Any], last: ASGIApp) -> ASGIApp:
    app = last
    for stage in reversed(stages):
        # Each stage holds the next one's bound `__call__`: calling an instance goes through
        # its type's call slot, a bound method straight to the function (every request, at
        # every stage).
        app = stage(app).__call__
    return app


async def _no_operation(scope: Scope, receive: Receive, send: Send) -> None:
    # Only what the route table names (or the dashboard, answered on the way) comes this way.
    raise RuntimeError(f"no compiled operation for {scope['method']} {scope['path']}")


def _index(mounts: list[Mount]) -> Callable[[Request], Any]:
    async def index(request: Request) -> JSONResponse:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "tagfake": __version__,
                "vendors": {
                    m.surface.slug: f"{base}{m.prefix}" for m in mounts if m.surface.is_vendor
                },
                "admin": f"{base}{ADMIN_PREFIX}",
            }
        )

    return index


_RUNTIMES: dict[int, Runtime] = {}


def runtime_of(app: Any) -> Runtime:
    """The runtime behind an app built by `create_app` (tests and the server reach state here)."""
    return _RUNTIMES[id(app)]
