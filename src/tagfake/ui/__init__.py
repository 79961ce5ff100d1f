"""The dashboard at /__admin/ui/: Flask (WSGI) run in a thread pool under the ASGI app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagfake.pipeline.admin_guard import UI_PREFIX
from tagfake.pipeline.admin_guard import is_dashboard_path as is_ui_path
from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send
from tagfake.pipeline.lazy import BuiltOnFirstUse

if TYPE_CHECKING:
    from tagfake.admin.backend import AdminBackend
    from tagfake.contract.spec import VendorContract
    from tagfake.pipeline.admin_guard import AdminPolicy

__all__ = ["UI_PREFIX", "is_ui_path", "mount_ui"]


def mount_ui(backend: AdminBackend, admin_contract: VendorContract, policy: AdminPolicy) -> ASGIApp:
    """An ASGI app serving the dashboard for paths under `UI_PREFIX`, behind the admin guard
    (`tagfake.pipeline.admin_guard`, whose policy it shares). Flask is imported and the
    dashboard built on its first page: a session that never opens it does not wait for it."""

    def build() -> ASGIApp:
        from a2wsgi import WSGIMiddleware

        from tagfake.ui.app import create_ui

        # A handful of threads: the dashboard is for a person or two, and must not take the
        # event loop's default executor from the vendor handlers.
        wsgi = WSGIMiddleware(create_ui(backend, admin_contract, policy), workers=4)  # type: ignore[arg-type]

        async def ui(scope: Scope, receive: Receive, send: Send) -> None:
            root = scope.get("root_path", "") + UI_PREFIX
            await wsgi({**scope, "root_path": root}, receive, send)  # type: ignore[arg-type]

        return ui

    return BuiltOnFirstUse(build)
