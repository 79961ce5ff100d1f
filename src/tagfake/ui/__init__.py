"""The dashboard at /__admin/ui/: Flask (WSGI) run in a thread pool under the ASGI app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagfake.pipeline.http import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from tagfake.admin.backend import AdminBackend
    from tagfake.contract.spec import VendorContract

UI_PREFIX = "/__admin/ui"


def is_ui_path(path: str) -> bool:
    return path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


def mount_ui(
    backend: AdminBackend, admin_contract: VendorContract, admin_token: str | None
) -> ASGIApp:
    """An ASGI app serving the dashboard for paths under `UI_PREFIX`."""
    from a2wsgi import WSGIMiddleware

    from tagfake.ui.app import create_ui

    # A handful of threads: the dashboard is for a person or two, and must not take the
    # event loop's default executor from the vendor handlers.
    wsgi = WSGIMiddleware(create_ui(backend, admin_contract, admin_token), workers=4)  # type: ignore[arg-type]

    async def ui(scope: Scope, receive: Receive, send: Send) -> None:
        await wsgi({**scope, "root_path": scope.get("root_path", "") + UI_PREFIX}, receive, send)  # type: ignore[arg-type]

    return ui
