"""create_app(settings): the only way to build tagfake's ASGI app (CLI, tests, container).

The request pipeline is the middleware list below, in order; handlers know nothing of it.
"""

from __future__ import annotations

import copy
import importlib
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from tagfake import __version__
from tagfake.admin.backend import AdminBackend
from tagfake.admin.surface import SURFACE as ADMIN
from tagfake.contract.spec import SpecError, compile_contract, line_of
from tagfake.pipeline.admin_guard import AdminGuard, AdminPolicy
from tagfake.pipeline.auth import Auth
from tagfake.pipeline.faults import Faults
from tagfake.pipeline.guard import ADMIN_PREFIX, Guard, Mount
from tagfake.pipeline.journal import JournalRecorder
from tagfake.pipeline.last_resort import LastResort
from tagfake.pipeline.ratelimit import RateLimit
from tagfake.pipeline.requests import RequestCheck
from tagfake.pipeline.respond import Respond
from tagfake.pipeline.routes import RouteCheck
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.ui import mount_ui
from tagfake.vendors.common import snake

with warnings.catch_warnings():
    # Import-time warnings of connexion 3.3's own imports, none about tagfake's use of it, that
    # would break users running with `-W error` or pytest's `filterwarnings = error`:
    # starlette's TestClient (imported, never used here) prefers httpx2 to connexion's httpx,
    # and connexion still imports the RefResolver names jsonschema deprecated in 4.18.
    for message, category in (
        ("Using `httpx` with `starlette.testclient`", UserWarning),
        ("jsonschema.RefResolver is deprecated", DeprecationWarning),
        ("jsonschema.exceptions.RefResolutionError is deprecated", DeprecationWarning),
    ):
        warnings.filterwarnings("ignore", message=message, category=category)
    from connexion import AsyncApp
    from connexion.middleware.context import ContextMiddleware
    from connexion.middleware.exceptions import ExceptionMiddleware
    from connexion.middleware.lifespan import LifespanMiddleware
    from connexion.middleware.routing import RoutingMiddleware
    from connexion.middleware.swagger_ui import SwaggerUIMiddleware
    from connexion.options import SwaggerUIOptions
    from connexion.resolver import Resolver
    from connexion.spec import Specification

log = logging.getLogger("tagfake")


SWAGGER_UI_PATH = "/ui"


def spec_page_paths(mounts: list[Mount]) -> tuple[str, ...]:
    """The path prefixes connexion's spec and Swagger UI routes answer (one per mount)."""
    out: list[str] = []
    for m in mounts:
        out += [f"{m.prefix}/openapi.json", f"{m.prefix}/openapi.yaml"]
        if m.surface.is_vendor:
            out.append(f"{m.prefix}{SWAGGER_UI_PATH}")
    return tuple(out)


class SpecPages(SwaggerUIMiddleware):  # type: ignore[misc]
    """connexion's SwaggerUIMiddleware, entered only for its own paths: one `startswith` for a
    vendor request instead of a walk through a router of every mount's spec and UI routes."""

    def __init__(self, app: Any, *, paths: tuple[str, ...]) -> None:
        super().__init__(app)
        self.paths = paths

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.paths):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def handler_resolver(module_name: str) -> Resolver:
    module = importlib.import_module(module_name)

    def resolve(operation_id: str) -> Callable[..., Any]:
        fn: Callable[..., Any] = getattr(module, snake(operation_id))
        return fn

    return Resolver(function_resolver=resolve)


@contextmanager
def trusted_specs() -> Iterator[None]:
    """Skip connexion's metaschema check of each spec, done on every `add_api` and again on the
    clone it makes (about a second per app). tests/specs validates every bundled spec with
    openapi-spec-validator, and start-up time is what the pytest plugin waits for."""
    original = Specification.__dict__["_validate_spec"]
    Specification._validate_spec = classmethod(lambda cls, spec: None)
    try:
        yield
    finally:
        Specification._validate_spec = original


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> AsyncApp:
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
    ui = mount_ui(admin_backend, admin_contract, policy)
    pipeline = [
        LastResort,
        # Ahead of everything under /__admin: the API, its spec, the dashboard.
        partial(AdminGuard, policy=policy),
        ExceptionMiddleware,
        # Each spec at `<mount>/openapi.json` and Swagger UI at `<mount>/ui/`, ahead of auth, as
        # vendors publish theirs; other paths skip its router.
        partial(SpecPages, paths=spec_page_paths(mounts)),
        partial(Guard, runtime=runtime, mounts=mounts, ui=ui),
        JournalRecorder,
        partial(Respond, mode=settings.validation),
        RoutingMiddleware,
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
        LifespanMiddleware,
        ContextMiddleware,
    ]
    app = AsyncApp(__name__, middlewares=pipeline)
    with trusted_specs():
        for m in mounts:
            _add_api(app, m)

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

    if all(m.prefix for m in mounts):
        app.add_url_rule("/", "index", index, methods=["GET"])
    _RUNTIMES[id(app)] = runtime
    return app


_RUNTIMES: dict[int, Runtime] = {}


def _handlers_module(m: Mount) -> str:
    if m.surface is ADMIN:
        return "tagfake.admin.handlers"
    return f"tagfake.vendors.{m.surface.slug}.handlers"


def _check_handlers(m: Mount) -> None:
    """Every operationId of the spec has its handler; else the spec is refused at start (as
    one line), not when connexion resolves it inside uvicorn's start-up."""
    module = importlib.import_module(_handlers_module(m))
    for op in m.contract.operations.values():
        if not callable(getattr(module, snake(op.operation_id), None)):
            where = ["paths", op.path, op.method, "operationId"]
            raise SpecError(
                m.contract.path,
                line_of(m.contract.path, where),
                f"operationId {op.operation_id!r} is no operation tagfake implements for "
                f"{m.surface.slug}",
            )


def _add_api(app: AsyncApp, m: Mount) -> None:
    _check_handlers(m)
    app.add_api(
        # The document parsed once at start; connexion may resolve references in place.
        copy.deepcopy(m.contract.document),
        base_path=m.prefix,
        name=m.surface.slug,
        resolver=handler_resolver(_handlers_module(m)),
        validate_responses=False,
        swagger_ui_options=SwaggerUIOptions(
            swagger_ui=m.surface.is_vendor,
            swagger_ui_path=SWAGGER_UI_PATH,
            # "Try it out" sends to the spec's servers, which connexion sets to this mount.
            swagger_ui_config={"tryItOutEnabled": False, "displayRequestDuration": True},
        ),
    )


def runtime_of(app: AsyncApp) -> Runtime:
    """The runtime behind an app built by `create_app` (tests and the server reach state here)."""
    return _RUNTIMES[id(app)]
