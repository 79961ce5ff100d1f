"""The proxy's ASGI app: the fake's pipeline with a forwarding stage where the handler was.

    AdminGuard → Guard → JournalRecorder → Observe (report, HAR)
          → Respond (answer check, report mode) → RouteAll
          → Forward (RouteCheck + RequestCheck reported, then the upstream)

The vendor is served at its own base path (as `tagfake serve --vendor V`), so an app changes
only its host; tagfake's admin API (journal, health) stays at /__admin."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException

from tagfake.admin.backend import AdminBackend
from tagfake.admin.surface import SURFACE as ADMIN
from tagfake.app_connexion import SpecPages, add_api, spec_page_paths, trusted_specs
from tagfake.contract.spec import compile_contract
from tagfake.pipeline.admin_guard import AdminGuard, AdminPolicy
from tagfake.pipeline.call import SCOPE_KEY
from tagfake.pipeline.guard import ADMIN_PREFIX, Guard, Mount
from tagfake.pipeline.http import Receive, Scope, Send
from tagfake.pipeline.journal import JournalRecorder
from tagfake.pipeline.last_resort import LastResort
from tagfake.pipeline.respond import Respond
from tagfake.proxy.forward import Forward
from tagfake.proxy.har import HarRecorder
from tagfake.proxy.observe import Observe
from tagfake.proxy.options import ProxyOptions
from tagfake.proxy.report import ProxyReport
from tagfake.proxy.shadow import Shadow
from tagfake.proxy.upstream import Upstream
from tagfake.runtime import Runtime
from tagfake.settings import Settings
from tagfake.ui import mount_ui

with warnings.catch_warnings():
    # connexion as tagfake.app_connexion imports it (above, under its import-time warning
    # filters): this module, imported on its own, must not be the first to import connexion.
    from connexion import AsyncApp
    from connexion.middleware.context import ContextMiddleware
    from connexion.middleware.exceptions import ExceptionMiddleware
    from connexion.middleware.lifespan import LifespanMiddleware
    from connexion.middleware.routing import RoutingMiddleware


class RouteAll(RoutingMiddleware):  # type: ignore[misc]
    """connexion's routing, except that a vendor request whose method the spec lacks for its
    path (starlette's 405) still goes on, without an operation, to be reported and forwarded."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except HTTPException:
            call = scope.get(SCOPE_KEY)
            if call is None or not call.vendor.is_vendor or call.proxy is not None:
                raise
            await self.app(scope, receive, send)


def proxy_settings(settings: Settings, options: ProxyOptions) -> Settings:
    return settings.replace(vendors=(options.vendor,), single_vendor=True, validation="report")


@dataclass
class ProxySession:
    """A running proxy: its app, and what it owns (upstream client, shadow, report, recording)."""

    options: ProxyOptions
    runtime: Runtime
    upstream: Upstream
    report: ProxyReport
    shadow: Shadow | None
    recorder: HarRecorder | None
    app: Any = field(default=None)

    def finish(self) -> tuple[Path, Path]:
        """Close the recording and write the report; returns the report's two files."""
        if self.recorder is not None:
            self.recorder.close()
        return self.report.write(self.options.report_dir)


def create_proxy(settings: Settings, options: ProxyOptions) -> ProxySession:
    settings = proxy_settings(settings, options)
    runtime = Runtime.build(settings)
    vendor = runtime.vendors[options.vendor]
    shadow = Shadow.build(settings, options, runtime) if options.shadow else None
    session = ProxySession(
        options=options,
        runtime=runtime,
        upstream=Upstream(options),
        report=ProxyReport(options.vendor, options.base, options.shadow),
        shadow=shadow,
        recorder=(
            HarRecorder(options.record_dir, options.vendor, datetime.now(UTC))
            if options.record_dir is not None
            else None
        ),
    )
    if shadow is not None:
        shadow.upstream = session.upstream
    admin_contract = compile_contract("admin", settings.specs_dir / "admin.openapi.yaml")
    admin_backend = AdminBackend(runtime)
    mounts = [
        Mount(vendor.mount_path(True), vendor, runtime.contracts[options.vendor], None),
        Mount(ADMIN_PREFIX, ADMIN, admin_contract, admin_backend),
    ]
    policy = AdminPolicy(settings.admin_token, settings.allowed_hosts, settings.host)
    # The dashboard, on the proxy's journal: violations and differences as they happen.
    ui = mount_ui(admin_backend, admin_contract, policy)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await session.upstream.aclose()
            if shadow is not None:
                await shadow.aclose()

    pipeline = [
        LastResort,
        # The proxy's admin API (journal, the shadow's state) is guarded as the fake's is.
        partial(AdminGuard, policy=policy),
        ExceptionMiddleware,
        partial(SpecPages, paths=spec_page_paths(mounts)),
        partial(Guard, runtime=runtime, mounts=mounts, ui=ui),
        JournalRecorder,
        partial(Observe, report=session.report, recorder=session.recorder),
        # The upstream's answer is checked and reported, never replaced: always report mode.
        partial(Respond, mode="report"),
        RouteAll,
        partial(
            Forward,
            options=options,
            upstream=session.upstream,
            max_body_bytes=settings.max_body_bytes,
            max_json_depth=settings.max_json_depth,
            body_timeout=settings.body_timeout,
            shadow=shadow,
        ),
        LifespanMiddleware,
        ContextMiddleware,
    ]
    app = AsyncApp(__name__, middlewares=pipeline, lifespan=lifespan)
    with trusted_specs():
        for m in mounts:
            add_api(app, m)
    session.app = app
    return session
